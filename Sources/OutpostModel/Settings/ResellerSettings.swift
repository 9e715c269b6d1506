import OutpostStore

/// The reseller's company, billing defaults and notification schedules (one row).
public struct ResellerSettings: Codable, Sendable, Equatable {
    public let companyName: String
    public let address: String
    public let email: String
    public let phone: String
    public let taxId: String
    public let currency: String
    /// Tax added to invoices, basis points.
    public let taxRateBp: Int
    /// Days from issue to due date.
    public let paymentTermsDays: Int
    /// Notices: days before an invoice is due.
    public let notifyInvoiceDue: [Int]
    /// Notices: days after an invoice's due date.
    public let notifyInvoiceOverdue: [Int]
    public let notifySubscriptionExpiring: [Int]
    public let notifyDomainExpiring: [Int]
    public let notifySslExpiring: [Int]
    /// The default markup (the setup wizard's answer), basis points.
    public let defaultMarkupBp: Int
    /// How many days past today `node bill --through` may reach: billing further ahead is refused as a likely typo.
    public let advanceBillingDays: Int
    public let version: Int64

    /// The advance-billing window when nothing else is set.
    public static let defaultAdvanceBillingDays = 14
    /// The allowed advance-billing windows, in days.
    public static let advanceBillingRange = 0...366

    public static func load(from db: any SQLDatabase) throws -> ResellerSettings {
        guard let row = try db.row("SELECT * FROM settings WHERE id = 'settings'") else {
            throw MutationRefusal.notFound("settings", "the settings row is missing; is this an Outpost replica?")
        }
        return ResellerSettings(
            companyName: try row.string("company_name"), address: try row.string("address"), email: try row.string("email"),
            phone: try row.string("phone"), taxId: try row.string("tax_id"), currency: try row.string("currency"),
            taxRateBp: try row.int("tax_rate_bp"), paymentTermsDays: try row.int("payment_terms_days"),
            notifyInvoiceDue: NotificationDays.parse(try row.string("notify_invoice_due")) ?? [],
            notifyInvoiceOverdue: NotificationDays.parse(try row.string("notify_invoice_overdue")) ?? [],
            notifySubscriptionExpiring: NotificationDays.parse(try row.string("notify_subscription_expiring")) ?? [],
            notifyDomainExpiring: NotificationDays.parse(try row.string("notify_domain_expiring")) ?? [],
            notifySslExpiring: NotificationDays.parse(try row.string("notify_ssl_expiring")) ?? [],
            defaultMarkupBp: try PriceRule.defaultMarkup(in: db),
            advanceBillingDays: try row.int("advance_billing_days"),
            version: try row.int64("version"))
    }

    /// The reseller's currency; EUR when the stored code is unknown.
    public var currencyValue: Currency { Currency(code: currency) ?? Currency(code: "EUR")! }
}

/// A notification schedule: a list of day counts, stored as `30,7,1`.
public enum NotificationDays {
    /// Parses `30, 7,1` (or empty for none); `nil` when malformed or outside 0…365.
    public static func parse(_ text: String) -> [Int]? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty || trimmed == "none" { return [] }
        var days: [Int] = []
        for part in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
            let item = part.trimmingCharacters(in: .whitespaces)
            guard !item.isEmpty, item.allSatisfy({ $0.isASCII && $0.isNumber }), item.count <= 3, let value = Int(item), value <= 365 else { return nil }
            days.append(value)
        }
        return Array(Set(days)).sorted(by: >)
    }

    /// The canonical stored form.
    public static func format(_ days: [Int]) -> String { days.map(String.init).joined(separator: ",") }
}

/// `settings.update`: company details, currency, tax, payment terms and notification schedules.
public struct UpdateSettings: Mutation {
    public static let name = "settings.update"
    public static let version = 1

    public var baseVersion: Int64
    public var companyName: String?
    public var address: String?
    public var email: String?
    public var phone: String?
    public var taxId: String?
    public var currency: String?
    public var taxRateBp: Int?
    public var paymentTermsDays: Int?
    public var notifyInvoiceDue: String?
    public var notifyInvoiceOverdue: String?
    public var notifySubscriptionExpiring: String?
    public var notifyDomainExpiring: String?
    public var notifySslExpiring: String?
    /// Days past today a billing run may reach (0–366).
    public var advanceBillingDays: Int?

    public init(baseVersion: Int64) {
        self.baseVersion = baseVersion
    }

    public func apply(in context: MutationContext) throws {
        var values: [(String, any SQLBindable)] = []
        if let companyName { values.append(("company_name", try FieldRules.requiredText(companyName, field: "company_name"))) }
        if let address { values.append(("address", try FieldRules.multilineText(address, field: "address"))) }
        if let email { values.append(("email", try FieldRules.email(email, required: false))) }
        if let phone { values.append(("phone", try FieldRules.phone(phone))) }
        if let taxId { values.append(("tax_id", try FieldRules.optionalText(taxId, field: "tax_id", maximum: 40))) }
        if let currency {
            let code = currency.uppercased()
            guard Currency(code: code) != nil else {
                throw MutationRefusal.invalid("currency", "currency '\(currency)' is not a known ISO 4217 code (for example EUR, USD, GBP)")
            }
            let current = try ResellerSettings.load(from: context.db).currency
            if code != current {
                let used = try context.db.scalar("SELECT (SELECT count(*) FROM orders) + (SELECT count(*) FROM invoice)")?.int64 ?? 0
                guard used == 0 else {
                    throw MutationRefusal.notAllowed("currency", "the currency cannot change once orders or invoices exist (\(used) recorded in \(current))")
                }
            }
            values.append(("currency", code))
        }
        if let taxRateBp { values.append(("tax_rate_bp", try FieldRules.range(taxRateBp, 0...10_000, field: "tax_rate"))) }
        if let paymentTermsDays { values.append(("payment_terms_days", try FieldRules.range(paymentTermsDays, 0...365, field: "payment_terms"))) }
        if let advanceBillingDays {
            values.append(("advance_billing_days",
                           try FieldRules.range(advanceBillingDays, ResellerSettings.advanceBillingRange, field: "advance_billing_days")))
        }
        let schedules: [(String, String?)] = [
            ("notify_invoice_due", notifyInvoiceDue), ("notify_invoice_overdue", notifyInvoiceOverdue),
            ("notify_subscription_expiring", notifySubscriptionExpiring), ("notify_domain_expiring", notifyDomainExpiring),
            ("notify_ssl_expiring", notifySslExpiring),
        ]
        for (column, text) in schedules {
            guard let text else { continue }
            guard let days = NotificationDays.parse(text) else {
                throw MutationRefusal.invalid(column, "\(column) '\(text)' must be day counts 0-365 separated by commas, like 30,7,1 (or none)")
            }
            values.append((column, NotificationDays.format(days)))
        }
        guard !values.isEmpty else { throw MutationRefusal.invalid("settings", "nothing to change: name at least one setting") }
        try context.update("settings", id: "settings", values)
    }
}
