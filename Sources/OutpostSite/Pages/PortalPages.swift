import OutpostModel
import OutpostStore

/// Each customer's read-only portal (`outpost portal enable`): a directory `portals/<key>/` with its
/// own copy of the theme, an overview, one page per kind of record and one printable page per
/// invoice. It shows what the customer may see of its own account and nothing else: no cost,
/// margin or markup, no reseller's notes, no other customer, no full license key, and no link out
/// of its directory, so it can be published on its own.
///
/// Portals are opt-in and few, so each is read with a handful of queries for its customer rather
/// than streamed beside the others like the customers' pages.
enum PortalPages {
    /// The portals of customers that are not closed: closing a customer disables its portal, and a
    /// build never renders one for a closed customer.
    static let portalSQL = """
        SELECT * FROM (SELECT p.id, p.portal_key, c.name FROM customer_portal p JOIN customer c ON c.id = p.id WHERE c.status <> 'closed')
        ORDER BY id
        """

    /// The portal directories (`portals/<key>/`) the site should have, by customer.
    static func directories(in db: Database) throws -> [String: String] {
        var directories: [String: String] = [:]
        try db.forEachRow(portalSQL) { row in
            directories[try row.string("id")] = CustomerPortal.directory(try row.string("portal_key"))
        }
        return directories
    }

    /// Builds every portal, or those of the customers in `only` (an incremental build). When `patching`,
    /// files of the last build that are no longer part of a portal are removed: those of a portal
    /// rendered again that it did not produce this time, and every file under `portals/` that belongs
    /// to no portal (a renewed key, a disabled portal, a closed customer). A whole build leaves that
    /// to the manifest.
    static func build(in context: BuildContext, settings: ResellerSettings, theme: Theme, only: Set<String>? = nil, patching: Bool = false) throws {
        let scope = Scope(only)
        var portals: [(customerId: String, name: String, directory: String)] = []
        try context.forEachRow(scope.sql(portalSQL, "id"), scope.arguments) { row in
            portals.append((try row.string("id"), try row.string("name"), CustomerPortal.directory(try row.string("portal_key"))))
        }
        for portal in portals {
            if patching { try removeFiles(under: portal.directory, in: context) }
            try build(portal.customerId, name: portal.name, directory: portal.directory, in: context, settings: settings, theme: theme)
        }
        if patching {
            let kept = Set(try directories(in: context.db).values)
            for name in context.output.entries(in: "portals") where !kept.contains(CustomerPortal.directory(name)) {
                try removeFiles(under: CustomerPortal.directory(name), in: context)
            }
        }
    }

    /// Marks every file under `directory` for removal; what this build writes there again stays (`SiteOutput.remove`).
    private static func removeFiles(under directory: String, in context: BuildContext) throws {
        for path in context.output.files(under: directory) { try context.output.remove(path) }
    }

    /// One customer's portal.
    private static func build(_ customerId: String, name: String, directory: String, in context: BuildContext,
                              settings: ResellerSettings, theme: Theme) throws {
        let db = context.db
        func chrome(_ tab: PortalTab) -> PortalChrome {
            PortalChrome(companyName: settings.companyName, customerName: name, directory: directory, current: tab)
        }
        func emit(_ tab: PortalTab, _ blocks: [Block]) throws {
            try context.emit(PageModel(path: directory + tab.path, title: tab == .home ? name : tab.title, section: .customers,
                                       blocks: blocks, portal: chrome(tab)))
        }
        func rows(_ sql: String, _ column: String) throws -> [Row] {
            // The customers' pages' statements, for this customer only (`column` is its customer id column).
            try db.rows(Scope([customerId]).sql(sql, column), Scope([customerId]).arguments)
        }
        for file in theme.files { try context.output.file(directory + "assets/" + file.name, bytes: file.bytes) }

        let subscriptions = try rows("""
            SELECT s.*, p.name AS plan_name, p.billing_period FROM subscription s JOIN plan p ON p.id = s.plan_id
            ORDER BY s.customer_id, s.created_at, s.id
            """, "s.customer_id")
        let orders = try rows(ListPages.orderSQL + " ORDER BY o.placed_at, o.id", "o.customer_id")
        let orderItems = CustomerPages.lines(try rows("""
            SELECT l.order_id, l.description, l.quantity, l.domain_name, l.common_name, o.customer_id
            FROM order_line l JOIN orders o ON o.id = l.order_id ORDER BY l.order_id, l.id
            """, "o.customer_id"), owner: "order_id", CustomerPages.orderItem)
        let invoices = try rows(ListPages.invoiceSQL + " ORDER BY i.issue_date, i.id", "i.customer_id")
        let payments = try rows(CustomerPages.paymentSQL, "p.customer_id")
        let credits = try rows(CustomerPages.creditNoteSQL, "n.customer_id")
        let creditItems = CustomerPages.lines(try rows("""
            SELECT l.credit_note_id, l.description, l.quantity, n.customer_id
            FROM credit_note_line l JOIN credit_note n ON n.id = l.credit_note_id ORDER BY l.credit_note_id, l.id
            """, "n.customer_id"), owner: "credit_note_id", CustomerPages.creditItem)
        let domains = try rows("SELECT * FROM domain ORDER BY name, id", "customer_id")
        let certificates = try rows("SELECT * FROM ssl_certificate ORDER BY common_name, id", "customer_id")
        let licenses = try rows("SELECT * FROM license ORDER BY product, id", "customer_id")
        let owed = try Receivables.of(customerId: customerId, asOf: context.today, in: db)

        let asOf = Block.paragraph("As of \(context.today).")
        let active = subscriptions.filter { $0["status"].string == "active" }.count
        let open = invoices.filter { ListPages.invoiceState($0, today: context.today).outstanding > 0 }.count
        let provider = settings.companyName.isEmpty ? "your provider" : settings.companyName
        try emit(.home, [
            asOf,
            .figures([
                ("Balance due", .money(owed.outstanding), owed.outstanding == 0 ? "nothing owed" : "on \(open) open invoice\(open == 1 ? "" : "s")"),
                ("Overdue", .money(owed.overdue), owed.overdue == 0 ? "nothing past due" : "past the due date"),
            ]),
            .section(title: "Your account", id: "account", [.table(
                columns: [Column("Records"), Column("How many", numeric: true), Column("Of which")],
                rows: [
                    [.link(PortalTab.subscriptions.path, "Subscriptions"), .number(Int64(subscriptions.count)), .text("\(active) active")],
                    [.link(PortalTab.orders.path, "Orders"), .number(Int64(orders.count)), .text("")],
                    [.link(PortalTab.invoices.path, "Invoices"), .number(Int64(invoices.count)), .text("\(open) open")],
                    [.link(PortalTab.payments.path, "Payments"), .number(Int64(payments.count)), .text("")],
                    [.link(PortalTab.creditNotes.path, "Credit notes"), .number(Int64(credits.count)), .text("")],
                    [.link(PortalTab.domains.path, "Domains"), .number(Int64(domains.count)), .text("")],
                    [.link(PortalTab.ssl.path, "SSL certificates"), .number(Int64(certificates.count)), .text("")],
                    [.link(PortalTab.licenses.path, "Licenses"), .number(Int64(licenses.count)), .text("")],
                ], empty: "")]),
            .section(title: "Contact", id: "contact", [.facts([
                ("Provider", .text(settings.companyName)), ("E-mail", .email(settings.email)), ("Phone", .text(settings.phone)),
            ]), .paragraph("This page is read only. For changes to your services or questions about an invoice, contact \(provider).")]),
        ])
        // Subscriptions up to their price: cost and margin are the reseller's.
        try emit(.subscriptions, [asOf, .table(
            columns: CustomerPages.subscriptionColumns(withCost: false),
            rows: subscriptions.map { ListPages.subscriptionCells($0, withCustomer: false, withCost: false) }, empty: "No subscriptions.")])
        try emit(.orders, [asOf, .table(
            columns: CustomerPages.orderColumns, rows: orders.map { CustomerPages.orderCells($0, items: orderItems) }, empty: "No orders.")])
        try emit(.invoices, [asOf, .paragraph("Each invoice opens as a printable page."), .table(
            columns: ListPages.invoiceColumns.filter { $0.title != "Customer" },
            rows: invoices.map { ListPages.invoiceCells($0, today: context.today, withCustomer: false) }, empty: "No invoices.")])
        try emit(.payments, [asOf, .table(columns: CustomerPages.paymentColumns, rows: payments.map(CustomerPages.paymentCells), empty: "No payments.")])
        try emit(.creditNotes, [asOf, .table(
            columns: CustomerPages.creditNoteColumns, rows: credits.map { CustomerPages.creditNoteCells($0, items: creditItems) }, empty: "No credit notes.")])
        try emit(.domains, [asOf, .table(columns: CustomerPages.domainColumns, rows: domains.map(CustomerPages.domainCells), empty: "No domains.")])
        try emit(.ssl, [asOf, .table(columns: CustomerPages.certificateColumns, rows: certificates.map(CustomerPages.certificateCells),
                                     empty: "No SSL certificates.")])
        try emit(.licenses, [asOf, .paragraph("License keys show only their last four characters; ask \(provider) for a full key."), .table(
            columns: CustomerPages.licenseColumns, rows: licenses.map(CustomerPages.licenseCells), empty: "No licenses.")])
        let ids = Set(invoices.compactMap { $0["id"].string })
        try InvoicePages.forEachInvoice(in: context, settings: settings, only: ids, portal: true) { id, title, blocks in
            try context.emit(PageModel(path: directory + SitePath.invoice(id), title: title, section: .customers, blocks: blocks,
                                       portal: chrome(.invoices)))
        }
    }
}
