import OutpostModel
import OutpostStore

/// The words of a notice: its subject and plain-text body, from the entity as it stands today.
///
/// Counts of days in the text are from today to the date (not the schedule's
/// threshold), so a notice sent late says how things really are. Amounts are
/// formatted in the entity's currency, as everywhere else (`Money.formatted`).
struct NoticeLetter {
    let subject: String
    let body: String
    /// The customer's name and e-mail address (empty when it has none).
    let customerName: String
    let customerEmail: String
    /// What people call the entity: the invoice's number, the subscription's plan, the domain, the certificate's common name.
    let entityName: String

    /// Why a notice cannot be written (its entity went away meanwhile).
    struct Missing: Error {}

    init(_ notice: DueNotice, settings: ResellerSettings, today: BusinessDate, in db: any SQLDatabase) throws {
        guard let customer = try db.row("SELECT name, contact_name, email FROM customer WHERE id = ?", [notice.customerId]) else { throw Missing() }
        // Names go into a line of their own: no line breaks or control characters come along.
        customerName = MailMessage.clean(try customer.string("name"))
        customerEmail = try customer.string("email").trimmingCharacters(in: .whitespaces)
        let contact = MailMessage.clean(try customer.string("contact_name"))
        let greeting = "Dear \(contact.isEmpty ? customerName : contact),"
        let (subject, paragraphs) = try Self.content(notice, settings: settings, today: today, in: db)
        entityName = MailMessage.clean(try Self.entityName(notice, in: db) ?? notice.entityId)
        self.subject = subject
        body = ([greeting] + paragraphs.map(Self.wrapped) + ["Kind regards,\n" + Self.signature(settings)]).joined(separator: "\n\n") + "\n"
    }

    private static func content(_ notice: DueNotice, settings: ResellerSettings, today: BusinessDate, in db: any SQLDatabase)
        throws -> (subject: String, paragraphs: [String]) {
        switch notice.kind {
        case .invoiceDue, .invoiceOverdue:
            guard let row = try db.row("SELECT * FROM invoice WHERE id = ?", [notice.entityId]),
                  let balance = try InvoiceBalance.of(notice.entityId, today: today, in: db) else { throw Missing() }
            let invoice = try Invoice(row: row)
            let money = { (units: Int64) in Money.formatted(units, currency: Currency(code: invoice.currency) ?? settings.currencyValue) }
            var facts: [(String, String)] = [("Invoice", invoice.displayNumber), ("Issued", invoice.issueDate.description),
                                             ("Due", invoice.dueDate.description), ("Total", money(invoice.total))]
            if balance.paid > 0 { facts.append(("Paid", money(balance.paid))) }
            if balance.credited > 0 { facts.append(("Credited", money(balance.credited))) }
            facts.append(("Outstanding", money(balance.outstanding)))
            let items = try invoice.lines(in: db).map { "  - \(MailMessage.clean($0.description)): \(money($0.amount))" }.joined(separator: "\n")
            let number = invoice.displayNumber
            if notice.kind == .invoiceDue {
                let left = today.days(until: invoice.dueDate)
                return ("Invoice \(number) is due \(left == 0 ? "today" : "in " + days(left))", [
                    "this is a reminder that invoice \(number) of \(invoice.issueDate) is due on \(invoice.dueDate)\(left == 0 ? ", today" : ", in " + days(left)).",
                    table(facts), "For:\n" + items,
                    "Please pay the outstanding \(money(balance.outstanding)) by \(invoice.dueDate). If you have already paid, thank you, and please disregard this reminder.",
                ])
            }
            let late = invoice.dueDate.days(until: today)
            return ("Invoice \(number) is \(days(late)) overdue", [
                "invoice \(number) of \(invoice.issueDate) was due on \(invoice.dueDate) and is now \(days(late)) overdue.",
                table(facts), "For:\n" + items,
                "Please pay the outstanding \(money(balance.outstanding)) as soon as possible. If you have paid in the meantime, thank you, and please disregard this reminder.",
            ])

        case .subscriptionExpiring:
            guard let row = try db.row("""
                SELECT s.*, p.name AS plan_name FROM subscription s JOIN plan p ON p.id = s.plan_id WHERE s.id = ?
                """, [notice.entityId]) else { throw Missing() }
            let subscription = try Subscription(row: row)
            let plan = try row.string("plan_name")
            let money = Money.formatted(subscription.unitPrice * Int64(subscription.quantity),
                                        currency: Currency(code: subscription.currency) ?? settings.currencyValue)
            let left = today.days(until: subscription.periodEnd)
            let why = subscription.cancelAtPeriodEnd ? "It was cancelled to end with its current period" : "It does not renew automatically"
            return ("Your subscription \(plan) ends \(left == 0 ? "today" : "in " + days(left))", [
                "your subscription \(plan) ends on \(subscription.periodEnd)\(left == 0 ? ", today" : ", in " + days(left)). \(why).",
                table([("Subscription", subscription.id), ("Plan", plan), ("Quantity", String(subscription.quantity)),
                       ("Current period", "\(subscription.periodStart) to \(subscription.periodEnd)"), ("Price per period", money + " plus tax")]),
                "To keep it, please contact us before \(subscription.periodEnd).",
            ])

        case .domainExpiring:
            guard let row = try db.row("SELECT * FROM domain WHERE id = ?", [notice.entityId]) else { throw Missing() }
            let domain = try Domain(row: row)
            let expires = domain.expiresOn ?? notice.referenceDate
            let left = today.days(until: expires)
            let when = left == 0 ? "today" : "in " + days(left)
            let renewal = try renewal(of: domain.subscriptionId, settings: settings, in: db)
            if domain.autoRenew, let renewal {
                return ("Domain \(domain.name) renews \(when)", [
                    "the registration of \(domain.name) runs until \(expires) and renews automatically then, \(when).",
                    table([("Domain", domain.name), ("Expires", expires.description), ("Renewal", renewal + " plus tax")]),
                    "Nothing needs doing. If you no longer need the domain, please tell us before \(expires).",
                ])
            }
            return ("Domain \(domain.name) expires \(when)", [
                "the registration of \(domain.name) runs until \(expires), \(when), and does not renew automatically.",
                table([("Domain", domain.name), ("Expires", expires.description)]),
                "To keep the domain, please contact us before \(expires): once it has expired, the name may be lost to someone else.",
            ])

        case .sslExpiring:
            guard let row = try db.row("SELECT * FROM ssl_certificate WHERE id = ?", [notice.entityId]) else { throw Missing() }
            let certificate = try SSLCertificate(row: row)
            let expires = certificate.expiresOn ?? notice.referenceDate
            let left = today.days(until: expires)
            let when = left == 0 ? "today" : "in " + days(left)
            let facts = [("Common name", certificate.commonName), ("Validation", certificate.validation.rawValue), ("Expires", expires.description)]
            if let renewal = try renewal(of: certificate.subscriptionId, settings: settings, in: db) {
                return ("SSL certificate for \(certificate.commonName) expires \(when)", [
                    "the \(certificate.validation.rawValue) certificate for \(certificate.commonName) expires on \(expires), \(when). It renews automatically: a new certificate is issued on that day.",
                    table(facts + [("Renewal", renewal + " plus tax")]),
                    "Please install the new certificate on every server that uses the old one before \(expires).",
                ])
            }
            return ("SSL certificate for \(certificate.commonName) expires \(when)", [
                "the \(certificate.validation.rawValue) certificate for \(certificate.commonName) expires on \(expires), \(when), and does not renew automatically.",
                table(facts),
                "To keep the site secure, please contact us before \(expires).",
            ])
        }
    }

    /// The entity's name for people (`INV-000003`, `Microsoft 365 Business Basic`, `example.com`), `nil` when it has none.
    private static func entityName(_ notice: DueNotice, in db: any SQLDatabase) throws -> String? {
        switch notice.kind {
        case .invoiceDue, .invoiceOverdue:
            return try db.scalar("SELECT number FROM invoice WHERE id = ?", [notice.entityId])?.string
        case .subscriptionExpiring:
            return try db.scalar("SELECT p.name FROM subscription s JOIN plan p ON p.id = s.plan_id WHERE s.id = ?", [notice.entityId])?.string
        case .domainExpiring:
            return try db.scalar("SELECT name FROM domain WHERE id = ?", [notice.entityId])?.string
        case .sslExpiring:
            return try db.scalar("SELECT common_name FROM ssl_certificate WHERE id = ?", [notice.entityId])?.string
        }
    }

    /// The price of the next period when the subscription renews automatically; `nil` when it ends.
    private static func renewal(of subscriptionId: String?, settings: ResellerSettings, in db: any SQLDatabase) throws -> String? {
        guard let subscriptionId, let row = try db.row("SELECT * FROM subscription WHERE id = ?", [subscriptionId]) else { return nil }
        let subscription = try Subscription(row: row)
        guard subscription.status == .active, subscription.autoRenew, !subscription.cancelAtPeriodEnd else { return nil }
        return Money.formatted(subscription.unitPrice * Int64(subscription.quantity),
                               currency: Currency(code: subscription.currency) ?? settings.currencyValue)
    }

    /// A prose paragraph broken into lines of at most 72 characters; tables and lists (several lines) stay as they are.
    static func wrapped(_ paragraph: String) -> String {
        guard !paragraph.contains("\n") else { return paragraph }
        var lines: [String] = []
        var line = ""
        for word in paragraph.split(separator: " ") {
            if !line.isEmpty, line.count + 1 + word.count > 72 {
                lines.append(line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        lines.append(line)
        return lines.joined(separator: "\n")
    }

    static func days(_ count: Int) -> String { count == 1 ? "1 day" : "\(count) days" }

    /// Label and value pairs, the values aligned.
    static func table(_ facts: [(String, String)]) -> String {
        let width = facts.map(\.0.count).max() ?? 0
        return facts.map { "  " + $0.0 + String(repeating: " ", count: width - $0.0.count + 2) + $0.1 }.joined(separator: "\n")
    }

    /// The reseller's name and contact details.
    static func signature(_ settings: ResellerSettings) -> String {
        var lines = [settings.companyName]
        lines += settings.address.split(whereSeparator: \.isNewline).map(String.init)
        lines += [settings.email, settings.phone].filter { !$0.isEmpty }
        return lines.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.joined(separator: "\n")
    }
}
