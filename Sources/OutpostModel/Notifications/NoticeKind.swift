/// What a notice is about: the five notification schedules of the reseller's settings.
public enum NoticeKind: String, Codable, Sendable, CaseIterable {
    /// N days before an unpaid invoice's due date.
    case invoiceDue = "invoice_due"
    /// N days after the due date of an invoice still unpaid.
    case invoiceOverdue = "invoice_overdue"
    /// N days before a subscription that does not renew ends.
    case subscriptionExpiring = "subscription_expiring"
    /// N days before a domain's registration runs out.
    case domainExpiring = "domain_expiring"
    /// N days before an SSL certificate expires.
    case sslExpiring = "ssl_expiring"

    /// The replicated table of the entity the notice is about.
    public var entity: String {
        switch self {
        case .invoiceDue, .invoiceOverdue: return "invoice"
        case .subscriptionExpiring: return "subscription"
        case .domainExpiring: return "domain"
        case .sslExpiring: return "ssl_certificate"
        }
    }

    /// The day counts the reseller chose for this kind.
    public func schedule(in settings: ResellerSettings) -> [Int] {
        switch self {
        case .invoiceDue: return settings.notifyInvoiceDue
        case .invoiceOverdue: return settings.notifyInvoiceOverdue
        case .subscriptionExpiring: return settings.notifySubscriptionExpiring
        case .domainExpiring: return settings.notifyDomainExpiring
        case .sslExpiring: return settings.notifySslExpiring
        }
    }

    /// The day a notice with `threshold` days is scheduled for: before the date, or after it for overdue.
    public func noticeDate(reference: BusinessDate, threshold: Int) -> BusinessDate {
        reference.adding(days: self == .invoiceOverdue ? threshold : -threshold)
    }
}
