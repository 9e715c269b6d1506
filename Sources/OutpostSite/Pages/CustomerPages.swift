import OutpostModel
import OutpostStore

/// One page per customer: profile, balance, users, subscriptions, orders,
/// invoices, payments, credit notes, domains, certificates, licenses and the
/// notifications the node sent.
///
/// Customers stream in id order and each linked table is read by a cursor
/// ordered by customer id alongside (a merge join), so building 100,000
/// customer pages holds one customer's rows at a time.
enum CustomerPages {
    /// How many of a customer's logins its page lists (`customer-user show` lists as many per user).
    static let loginsShown = 50

    /// Builds every customer's page, or only those of `only` (an incremental build).
    static func build(in context: BuildContext, only: Set<String>? = nil) throws {
        if only?.isEmpty == true { return }
        let db = context.db
        let scope = Scope(only)
        let users = try KeyedCursor(db, scope.sql("""
            SELECT u.*, (SELECT max(at) FROM login_event e WHERE e.customer_user_id = u.id AND e.result = 'success') AS last_login,
                   (SELECT count(*) FROM login_event e WHERE e.customer_user_id = u.id AND e.result = 'failure') AS failures
            FROM customer_user u ORDER BY u.customer_id, u.username, u.id
            """, "u.customer_id"), key: "customer_id", scope.arguments)
        // Customer users' logins (imported on the node), newest first within each customer.
        let logins = try KeyedCursor(db, scope.sql("""
            SELECT e.* FROM (SELECT * FROM login_event WHERE customer_id IS NOT NULL) e ORDER BY e.customer_id, e.at DESC, e.id DESC
            """, "e.customer_id"), key: "customer_id", scope.arguments)
        let subscriptions = try KeyedCursor(db, scope.sql("""
            SELECT s.*, p.name AS plan_name, p.billing_period FROM subscription s JOIN plan p ON p.id = s.plan_id
            ORDER BY s.customer_id, s.created_at, s.id
            """, "s.customer_id"), key: "customer_id", scope.arguments)
        let orders = try KeyedCursor(db, scope.sql(ListPages.orderSQL + " ORDER BY o.customer_id, o.placed_at, o.id", "o.customer_id"), key: "customer_id", scope.arguments)
        let orderLines = try KeyedCursor(db, scope.sql("""
            SELECT l.order_id, l.description, l.quantity, l.domain_name, l.common_name, o.customer_id
            FROM order_line l JOIN orders o ON o.id = l.order_id ORDER BY o.customer_id, l.order_id, l.id
            """, "o.customer_id"), key: "customer_id", scope.arguments)
        let creditLines = try KeyedCursor(db, scope.sql("""
            SELECT l.credit_note_id, l.description, l.quantity, n.customer_id
            FROM credit_note_line l JOIN credit_note n ON n.id = l.credit_note_id ORDER BY n.customer_id, l.credit_note_id, l.id
            """, "n.customer_id"), key: "customer_id", scope.arguments)
        // What the home page calls outstanding, per customer: one definition (`Receivables`).
        let receivables = try KeyedCursor(db, Receivables.byCustomerSQL(narrowed: scope.ids != nil), key: "customer_id",
                                          [context.today.description as any SQLBindable] + scope.arguments)
        let invoices = try KeyedCursor(db, scope.sql(ListPages.invoiceSQL + " ORDER BY i.customer_id, i.issue_date, i.id", "i.customer_id"), key: "customer_id", scope.arguments)
        let payments = try KeyedCursor(db, scope.sql(Self.paymentSQL, "p.customer_id"), key: "customer_id", scope.arguments)
        let credits = try KeyedCursor(db, scope.sql(Self.creditNoteSQL, "n.customer_id"), key: "customer_id", scope.arguments)
        let domains = try KeyedCursor(db, scope.sql("SELECT * FROM domain ORDER BY customer_id, name, id", "customer_id"), key: "customer_id", scope.arguments)
        let certificates = try KeyedCursor(db, scope.sql("SELECT * FROM ssl_certificate ORDER BY customer_id, common_name, id", "customer_id"), key: "customer_id", scope.arguments)
        let licenses = try KeyedCursor(db, scope.sql("SELECT * FROM license ORDER BY customer_id, product, id", "customer_id"), key: "customer_id", scope.arguments)
        let notifications = try KeyedCursor(db, scope.sql(Self.notificationSQL, "n.customer_id"), key: "customer_id", scope.arguments)

        // A closed customer's portal is not rendered (`PortalPages`), so its page does not link one.
        let customerSQL = "SELECT c.*, p.portal_key FROM customer c LEFT JOIN customer_portal p ON p.id = c.id AND c.status <> 'closed' ORDER BY c.id"
        try context.forEachRow(scope.sql(customerSQL, "c.id"), scope.arguments) { customer in
            let id = customer["id"].string ?? ""
            // The reseller's own account has the "Own purchases" page instead (`OwnPurchasesPage`).
            guard id != Customer.ownAccountId else { return }
            let path = SitePath.customer(id)
            func anchor(_ row: Row, _ label: String) -> Cell { Self.anchor(row, label) }
            func text(_ row: Row, _ column: String) -> String { row[column].string ?? "" }

            let invoiceRows = try invoices.rows(for: id)
            var invoiced: Int64 = 0, paid: Int64 = 0, credited: Int64 = 0
            for row in invoiceRows where row["status"].string != "void" {
                invoiced += row["total"].int64 ?? 0
                paid += row["paid"].int64 ?? 0
                credited += row["credited"].int64 ?? 0
            }
            let owed = try receivables.rows(for: id).first.map(Receivables.init(row:)) ?? Receivables(outstanding: 0, overdue: 0)
            let outstanding = owed.outstanding, overdue = owed.overdue

            var blocks: [Block] = []
            blocks.append(.links([
                (path + "#profile", "Profile", false), (path + "#balance", "Balance", false), (path + "#users", "Users", false), (path + "#logins", "Login history", false),
                (path + "#subscriptions", "Subscriptions", false), (path + "#orders", "Orders", false), (path + "#invoices", "Invoices", false),
                (path + "#payments", "Payments", false), (path + "#credit-notes", "Credit notes", false), (path + "#domains", "Domains", false),
                (path + "#certificates", "SSL certificates", false), (path + "#licenses", "Licenses", false),
                (path + "#notifications", "Notifications", false),
            ], label: "On this page"))
            blocks.append(.section(title: "Profile", id: "profile", [.facts([
                ("Status", .status(text(customer, "status"))), ("Customer id", .text(id)),
                ("Contact", .text(text(customer, "contact_name"))), ("E-mail", .email(text(customer, "email"))),
                ("Phone", .text(text(customer, "phone"))), ("Address", .text(text(customer, "address"))),
                ("City", .text(text(customer, "city"))), ("Postal code", .text(text(customer, "postal_code"))),
                ("Country", .text(text(customer, "country"))), ("Tax id", .text(text(customer, "tax_id"))),
                ("Customer since", .timestamp(customer["created_at"].string)),
                ("Portal", customer["portal_key"].string.map { .link(CustomerPortal.directory($0) + "index.html", "open") }
                    ?? .text("none (outpost portal enable gives one)")),
            ])]))
            blocks.append(.section(title: "Balance", id: "balance", [
                .figures([
                    ("Invoiced", .money(invoiced), "issued invoices, tax included"),
                    ("Paid", .money(paid), "completed payments"),
                    ("Credited", .money(credited), "credit notes"),
                    ("Outstanding", .money(outstanding), outstanding == 0 ? "nothing owed" : "owed, as on the home page"),
                    ("Overdue", .money(overdue), overdue == 0 ? "nothing past due" : "past the due date"),
                ]),
            ]))
            let userRows = try users.rows(for: id)
            blocks.append(.section(title: "Users", id: "users", [.table(
                columns: [Column("Username"), Column("Name"), Column("E-mail"), Column("Role"), Column("Created"), Column("Last sign-in"),
                          Column("Failed sign-ins", numeric: true)],
                rows: userRows.map { row in
                    [anchor(row, text(row, "username")), .text(text(row, "name")), .email(text(row, "email")), .text(text(row, "role")),
                     .timestamp(row["created_at"].string), .timestamp(row["last_login"].string), .number(row["failures"].int64 ?? 0)]
                }, empty: "This customer has no panel logins.")]))
            let loginRows = try logins.rows(for: id)
            let usernames = Dictionary(userRows.map { (text($0, "id"), text($0, "username")) }, uniquingKeysWith: { first, _ in first })
            blocks.append(.section(title: "Login history", id: "logins", [
                .paragraph(loginRows.count > Self.loginsShown
                           ? "The latest \(Self.loginsShown) of \(loginRows.count) sign-ins of this customer's users to their own panel, newest first, as the vendor reported them."
                           : "Sign-ins of this customer's users to their own panel, newest first, as the vendor reported them."),
                .table(
                    columns: [Column("When"), Column("User"), Column("Result"), Column("Source")],
                    rows: loginRows.prefix(Self.loginsShown).map { row in
                        [.timestamp(row["at"].string), .text(usernames[text(row, "customer_user_id")] ?? text(row, "username")),
                         .status(text(row, "result")), .text(text(row, "source"))]
                    }, empty: "No sign-ins recorded. The node imports them with: outpost node logins import FILE"),
            ]))
            blocks.append(.section(title: "Subscriptions", id: "subscriptions", [.table(
                columns: Self.subscriptionColumns(withCost: true),
                rows: try subscriptions.rows(for: id).map { ListPages.subscriptionCells($0, withCustomer: false) },
                empty: "No subscriptions.")]))
            let items = try Self.lines(orderLines.rows(for: id), owner: "order_id", Self.orderItem)
            blocks.append(.section(title: "Orders", id: "orders", [.table(
                columns: Self.orderColumns + [Column("Note")],
                rows: try orders.rows(for: id).map { row in
                    let note = ListPages.orderNote(row)
                    // Why it failed, and a failed hook's own words, are on the Operations page.
                    let noteCell: Cell = row["status"].string == "failed" ? .link(OperationsPages.eventsDirectory + "/index.html", note) : .text(note)
                    return Self.orderCells(row, items: items) + [noteCell]
                },
                empty: "No orders.")]))
            blocks.append(.section(title: "Invoices", id: "invoices", [.table(
                columns: ListPages.invoiceColumns.filter { $0.title != "Customer" },
                rows: invoiceRows.map { ListPages.invoiceCells($0, today: context.today, withCustomer: false) }, empty: "No invoices.")]))
            blocks.append(.section(title: "Payments", id: "payments", [.table(
                columns: Self.paymentColumns, rows: try payments.rows(for: id).map(Self.paymentCells), empty: "No payments.")]))
            let creditItems = try Self.lines(creditLines.rows(for: id), owner: "credit_note_id", Self.creditItem)
            blocks.append(.section(title: "Credit notes", id: "credit-notes", [.table(
                columns: Self.creditNoteColumns, rows: try credits.rows(for: id).map { Self.creditNoteCells($0, items: creditItems) },
                empty: "No credit notes.")]))
            blocks.append(.section(title: "Domains", id: "domains", [.table(
                columns: Self.domainColumns, rows: try domains.rows(for: id).map(Self.domainCells), empty: "No domains.")]))
            blocks.append(.section(title: "SSL certificates", id: "certificates", [.table(
                columns: Self.certificateColumns, rows: try certificates.rows(for: id).map(Self.certificateCells), empty: "No SSL certificates.")]))
            blocks.append(.section(title: "Licenses", id: "licenses", [.table(
                columns: Self.licenseColumns, rows: try licenses.rows(for: id).map(Self.licenseCells), empty: "No licenses.")]))
            blocks.append(.section(title: "Notifications", id: "notifications", [.table(
                columns: [Column("Sent"), Column("Notice"), Column("About"), Column("When"), Column("To"), Column("Subject")],
                rows: try notifications.rows(for: id).map { Self.notificationCells($0, customerId: id) },
                empty: "No notifications sent.")]))
            let name = text(customer, "name")
            try context.emit(PageModel(path: path, title: name.isEmpty ? "Customer " + id : name, section: .customers, blocks: blocks))
        }
    }

    /// A row's label as a link target on its page (`#id`), linking nowhere itself.
    static func anchor(_ row: Row, _ label: String) -> Cell {
        let rowId = row["id"].string ?? ""
        return .custom(H.span(label.isEmpty ? "—" : label, [Attribute("id", SitePath.anchor(rowId)), Attribute("class", "anchor")]), label)
    }

    /// A customer's subscriptions as its portal shows them (`ListPages.subscriptionCells` without cost, the plan
    /// first and the id last); its page adds the cost columns before the id.
    static func subscriptionColumns(withCost: Bool) -> [Column] {
        [Column("Plan"), Column("Period"), Column("Qty", numeric: true), Column("Status"), Column("Current period ends"),
         Column("Renews"), Column("Price per period", numeric: true)]
            + (withCost ? [Column("Cost per period", numeric: true), Column("Margin", numeric: true), Column("Margin %", numeric: true)] : [])
            + [Column("Id")]
    }

    /// An order line as the customer's page lists it: `2 × Plan (example.com)`.
    static func orderItem(_ line: Row) -> String {
        var item = line["description"].string ?? ""
        let name = [line["domain_name"].string ?? "", line["common_name"].string ?? ""].filter { !$0.isEmpty }.joined(separator: ", ")
        if !name.isEmpty { item += " (" + name + ")" }
        return "\(line["quantity"].int64 ?? 1) × " + item
    }

    /// A credit note line: `1 × Description`.
    static func creditItem(_ line: Row) -> String {
        "\(line["quantity"].int64 ?? 1) × " + (line["description"].string ?? "")
    }

    /// A customer's order (a row of `ListPages.orderSQL`) with its items (`lines` by order id); no note.
    static let orderColumns = [Column("Order"), Column("Placed"), Column("Type"), Column("Status"), Column("Items"), Column("Order total", numeric: true)]

    static func orderCells(_ row: Row, items: [String: String]) -> [Cell] {
        [anchor(row, row["number"].string ?? "pending"), .timestamp(row["placed_at"].string), .text(row["type"].string ?? ""),
         .status(row["status"].string ?? ""), .text(items[row["id"].string ?? ""] ?? ""), .money(row["total"].int64 ?? 0)]
    }

    /// A customer's payments, each with its invoice's number.
    static let paymentSQL = """
        SELECT p.*, i.number AS invoice_number FROM payment p JOIN invoice i ON i.id = p.invoice_id
        ORDER BY p.customer_id, p.received_on, p.id
        """

    static let paymentColumns = [Column("Received"), Column("Invoice"), Column("Method"), Column("Reference"), Column("Status"), Column("Amount", numeric: true)]

    static func paymentCells(_ row: Row) -> [Cell] {
        [.date(row["received_on"].string), .link(SitePath.invoice(row["invoice_id"].string ?? ""), row["invoice_number"].string ?? "pending"),
         .text(SiteFormat.words(row["method"].string ?? "")), .text(row["reference"].string ?? ""), .status(row["status"].string ?? ""),
         .money(row["amount"].int64 ?? 0)]
    }

    /// A customer's credit notes, each with its invoice's number.
    static let creditNoteSQL = """
        SELECT n.*, i.number AS invoice_number FROM credit_note n JOIN invoice i ON i.id = n.invoice_id
        ORDER BY n.customer_id, n.issue_date, n.id
        """

    static let creditNoteColumns = [Column("Credit note"), Column("Issued"), Column("Invoice"), Column("Reason"), Column("Items"), Column("Total", numeric: true)]

    static func creditNoteCells(_ row: Row, items: [String: String]) -> [Cell] {
        [anchor(row, row["number"].string ?? "pending"), .date(row["issue_date"].string),
         .link(SitePath.invoice(row["invoice_id"].string ?? ""), row["invoice_number"].string ?? "pending"),
         .text(row["reason"].string ?? ""), .text(items[row["id"].string ?? ""] ?? ""), .money(row["total"].int64 ?? 0)]
    }

    static let domainColumns = [Column("Domain"), Column("Origin"), Column("Status"), Column("Registered"), Column("Expires"), Column("Renews")]

    static func domainCells(_ row: Row) -> [Cell] {
        [anchor(row, row["name"].string ?? ""), .text(row["origin"].string ?? ""), .status(row["status"].string ?? ""),
         .date(row["registered_on"].string), .date(row["expires_on"].string), .text(row["auto_renew"].int64 == 1 ? "auto-renews" : "manual")]
    }

    static let certificateColumns = [Column("Common name"), Column("Validation"), Column("Status"), Column("Issued"), Column("Expires")]

    static func certificateCells(_ row: Row) -> [Cell] {
        [anchor(row, row["common_name"].string ?? ""), .text(row["validation"].string ?? ""), .status(row["status"].string ?? ""),
         .date(row["issued_on"].string), .date(row["expires_on"].string)]
    }

    /// Licenses show only the last four characters of their key (`LicenseKey.masked`).
    static let licenseColumns = [Column("Product"), Column("License key"), Column("Seats", numeric: true), Column("Status"), Column("Expires")]

    static func licenseCells(_ row: Row) -> [Cell] {
        [anchor(row, row["product"].string ?? ""), .text(LicenseKey.masked(row["license_key"].string ?? "")), .number(row["seats"].int64 ?? 0),
         .status(row["status"].string ?? ""), .date(row["expires_on"].string)]
    }

    /// Notices `outpost node notify` sent, with what each is about, by customer and time sent.
    static let notificationSQL = """
        SELECT n.customer_id, n.kind, n.entity, n.entity_id, n.threshold_days, n.reference_date, n.recipient, n.subject, n.sent_at,
               coalesce(i.number, d.name, c.common_name, p.name) AS about
        FROM notification n
        LEFT JOIN invoice i ON n.entity = 'invoice' AND i.id = n.entity_id
        LEFT JOIN domain d ON n.entity = 'domain' AND d.id = n.entity_id
        LEFT JOIN ssl_certificate c ON n.entity = 'ssl_certificate' AND c.id = n.entity_id
        LEFT JOIN subscription s ON n.entity = 'subscription' AND s.id = n.entity_id
        LEFT JOIN plan p ON p.id = s.plan_id
        ORDER BY n.customer_id, n.sent_at, n.id
        """

    static func notificationCells(_ row: Row, customerId: String) -> [Cell] {
        let entityId = row["entity_id"].string ?? ""
        let days = row["threshold_days"].int64 ?? 0
        let kind = row["kind"].string ?? ""
        let word: String
        switch kind {
        case "invoice_due": word = "Invoice due"
        case "invoice_overdue": word = "Invoice overdue"
        case "subscription_expiring": word = "Subscription ending"
        case "domain_expiring": word = "Domain expiring"
        case "ssl_expiring": word = "SSL certificate expiring"
        default: word = SiteFormat.words(kind)
        }
        let reference = row["reference_date"].string ?? ""
        let when = days == 0 ? "on " + reference : "\(days) day\(days == 1 ? "" : "s") \(kind == "invoice_overdue" ? "after" : "before") \(reference)"
        // Link to what the notice is about when the replica has it: the invoice page, or the row on this page.
        let about: Cell
        if let label = row["about"].string {
            about = .link(row["entity"].string == "invoice" ? SitePath.invoice(entityId) : SitePath.onCustomer(customerId, entityId), label)
        } else {
            about = .text(entityId)
        }
        return [.timestamp(row["sent_at"].string), .text(word), about, .text(when), .text(row["recipient"].string ?? ""),
                .text(row["subject"].string ?? "")]
    }

    /// Lines grouped by what they belong to, each owner's as one text (`1 × Plan (example.com); 2 × …`).
    static func lines(_ rows: [Row], owner: String, _ describe: (Row) -> String) -> [String: String] {
        var result: [String: String] = [:]
        for row in rows {
            let key = row[owner].string ?? ""
            let text = describe(row)
            result[key] = result[key].map { $0 + "; " + text } ?? text
        }
        return result
    }
}
