import OutpostModel
import OutpostStore

/// One page per month of the monthly reports (`reports/months/2026-01.html`): the invoices issued,
/// the orders placed and the payments received that month — the rows a month's figures add up,
/// under the same rules (issued invoices, orders not refused, completed payments; the reseller's own
/// purchases are in no figure, so on no such page). A month in a report's table or chart links here.
///
/// Each list shows its first `limit` rows, by date then number; a month with more says how many
/// there are (the count comes from the figures) and leads to the whole lists.
enum ReportMonthPages {
    static let limit = 200

    /// A month's first invoices, orders and payments (?1 and ?2 its first and last day — for orders the day
    /// after —, ?3 the own account, ?4 `limit`): read through the replica's date indexes (`Replica.localIndexes`),
    /// about a day's rows whatever the size of the data. (`+o.status`: without statistics SQLite would pick the
    /// orders' status index and sort every completed order of the month: 200 ms at 100,000 customers.)
    static let invoicesSQL = """
        SELECT i.id, i.number, i.issue_date, i.customer_id, c.name AS customer_name, i.subtotal, i.total
        FROM invoice i JOIN customer c ON c.id = i.customer_id
        WHERE i.status = 'issued' AND i.issue_date BETWEEN ?1 AND ?2 AND i.customer_id <> ?3
        ORDER BY i.issue_date, i.number IS NULL, i.number, i.id LIMIT ?4
        """
    static let ordersSQL = """
        SELECT o.id, o.number, o.placed_at, o.customer_id, c.name AS customer_name, o.type, o.status, o.total
        FROM orders o JOIN customer c ON c.id = o.customer_id
        WHERE +o.status IN ('queued', 'submitted', 'provisioning', 'completed') AND o.placed_at >= ?1 AND o.placed_at < ?2
          AND o.customer_id <> ?3
        ORDER BY o.placed_at, o.number IS NULL, o.number, o.id LIMIT ?4
        """
    static let paymentsSQL = """
        SELECT p.received_on, p.customer_id, c.name AS customer_name, p.invoice_id, i.number AS invoice_number, p.method, p.amount
        FROM payment p JOIN customer c ON c.id = p.customer_id LEFT JOIN invoice i ON i.id = p.invoice_id
        WHERE p.status = 'completed' AND p.received_on BETWEEN ?1 AND ?2 AND p.customer_id <> ?3
        ORDER BY p.received_on, i.number IS NULL, i.number, p.id LIMIT ?4
        """

    /// The page of `month`, from the site root.
    static func path(_ month: ReportMonth) -> String { "reports/months/\(month.description).html" }

    /// Where a month's invoices, orders or payments are listed, from the site root.
    static func invoices(_ month: ReportMonth) -> String { path(month) + "#invoices" }
    static func orders(_ month: ReportMonth) -> String { path(month) + "#orders" }
    static func payments(_ month: ReportMonth) -> String { path(month) + "#payments" }

    /// What a month's page counts (from the figures).
    struct Counts: Equatable {
        var invoices: Int64 = 0
        var orders: Int64 = 0
        var payments: Int64 = 0
    }

    /// Every month's counts.
    static func counts(_ context: BuildContext) throws -> [ReportMonth: Counts] {
        var counts: [ReportMonth: Counts] = [:]
        for (month, sum) in try context.figures.sums(Figures.invoiced) { counts[month, default: Counts()].invoices = sum.count }
        for (month, sum) in try context.figures.sums(Figures.sales).regrouped({ $0.month }) { counts[month, default: Counts()].orders = sum.count }
        for (month, sum) in try context.figures.sums(Figures.payments).regrouped({ $0.month }) { counts[month, default: Counts()].payments = sum.count }
        return counts
    }

    /// The shown months whose pages an incremental build must redo: those a changed row is dated in (a changed
    /// invoice's payments show its number; every row of a renamed customer shows its name), and those whose
    /// counts moved between `before` and now — the only trace a row leaves in a month it was removed or moved
    /// from. On a new day, every shown month (the current one is "to date").
    static func touched(by plan: ChangePlan, countsBefore before: [ReportMonth: Counts], in context: BuildContext) throws -> [ReportMonth] {
        let shown = ReportPages.periods(context, .month).compactMap(\.month)
        if plan.newDay { return shown }
        let invoices = plan.touched["invoice", default: []].union(plan.renamedOnInvoices.keys)
        var months = Set<ReportMonth>()
        // Each part through an index of its own (an OR across two columns would scan the table): a few rows per changed row.
        try context.db.forEachRow("""
            SELECT substr(issue_date, 1, 7) AS month FROM invoice WHERE id IN (SELECT value FROM json_each(?1))
            UNION SELECT substr(issue_date, 1, 7) FROM invoice WHERE customer_id IN (SELECT value FROM json_each(?4))
            UNION SELECT substr(placed_at, 1, 7) FROM orders WHERE id IN (SELECT value FROM json_each(?2))
            UNION SELECT substr(placed_at, 1, 7) FROM orders WHERE customer_id IN (SELECT value FROM json_each(?4))
            UNION SELECT substr(received_on, 1, 7) FROM payment WHERE id IN (SELECT value FROM json_each(?3))
            UNION SELECT substr(received_on, 1, 7) FROM payment WHERE invoice_id IN (SELECT value FROM json_each(?1))
            UNION SELECT substr(received_on, 1, 7) FROM payment WHERE customer_id IN (SELECT value FROM json_each(?4))
            """, [SQLValue.jsonArray(invoices), SQLValue.jsonArray(plan.touched["orders", default: []]),
                  SQLValue.jsonArray(plan.touched["payment", default: []]), SQLValue.jsonArray(plan.customerRows)]) { row in
            if let month = ReportMonth(stored: try row.string("month")) { months.insert(month) }
        }
        let after = try counts(context)
        for month in Set(before.keys).union(after.keys) where before[month] != after[month] { months.insert(month) }
        return shown.filter(months.contains)
    }

    /// Builds the page of every month in `months`.
    static func build(in context: BuildContext, months: [ReportMonth]) throws {
        let counts = try counts(context)
        for month in months {
            let first = month.firstDay.description
            let last = min(month.lastDay, context.today).description
            let end = min(month.lastDay, context.today).adding(days: 1).description
            let invoiceCount = Int(counts[month]?.invoices ?? 0)
            let orderCount = Int(counts[month]?.orders ?? 0)
            let paymentCount = Int(counts[month]?.payments ?? 0)

            var invoiceRows: [[Cell]] = []
            try context.db.forEachRow(invoicesSQL, [first, last, Customer.ownAccountId, limit]) { row in
                invoiceRows.append([.link(SitePath.invoice(try row.string("id")), try row.optionalString("number") ?? "pending"),
                                    .date(try row.string("issue_date")),
                                    .link(SitePath.customer(try row.string("customer_id")), try row.string("customer_name")),
                                    .money(try row.int64("subtotal")), .money(try row.int64("total"))])
            }
            var orderRows: [[Cell]] = []
            try context.db.forEachRow(ordersSQL, [first, end, Customer.ownAccountId, limit]) { row in
                let customer = try row.string("customer_id")
                orderRows.append([.link(SitePath.onCustomer(customer, try row.string("id")), try row.optionalString("number") ?? "pending"),
                                  .timestamp(try row.string("placed_at")), .link(SitePath.customer(customer), try row.string("customer_name")),
                                  .text(try row.string("type")), .status(try row.string("status")), .money(try row.int64("total"))])
            }
            var paymentRows: [[Cell]] = []
            try context.db.forEachRow(paymentsSQL, [first, last, Customer.ownAccountId, limit]) { row in
                var invoice = Cell.blank
                if let id = try row.optionalString("invoice_id") {
                    invoice = .link(SitePath.invoice(id), try row.optionalString("invoice_number") ?? "pending")
                }
                paymentRows.append([.date(try row.string("received_on")),
                                    .link(SitePath.customer(try row.string("customer_id")), try row.string("customer_name")), invoice,
                                    .text(ReportCharts.words(try row.string("method"))), .money(try row.int64("amount"))])
            }

            func shown(_ count: Int, _ rows: Int, _ what: String, _ list: String) -> Block {
                count > rows
                    ? .paragraph("The first \(rows) of \(count) \(what), by date; all of them are in the \(list).")
                    : .paragraph(Plural.sentence(count, String(what.dropLast())) + ".")
            }
            let path = path(month)
            try context.emit(PageModel(path: path, title: "\(month.label): invoices, orders and payments", section: .reports, blocks: [
                .paragraph("What the monthly reports count for \(month.label)\(month == ReportMonth(context.today) ? " (to date, \(context.today))" : ""): issued invoices (excluding void ones), orders placed and not refused, completed payments. The reseller's own purchases are in no report."),
                .links([("reports/sales.html", "Sales", false), ("reports/revenue.html", "Revenue", false),
                        ("reports/customers.html", "Customer dynamics", false), ("reports/payments.html", "Payment transactions", false)],
                       label: "Reports"),
                .section(title: "Invoices issued", id: "invoices", [
                    shown(invoiceCount, invoiceRows.count, "invoices", "invoice list"),
                    .table(columns: [Column("Invoice"), Column("Issued"), Column("Customer"), Column("Subtotal", numeric: true), Column("Total", numeric: true)],
                           rows: invoiceRows, empty: "No invoice was issued in \(month.label)."),
                    .links([(Section.invoices.path, "All invoices", false)], label: "Invoices"),
                ]),
                .section(title: "Orders placed", id: "orders", [
                    shown(orderCount, orderRows.count, "orders", "order list"),
                    .table(columns: [Column("Order"), Column("Placed"), Column("Customer"), Column("Type"), Column("Status"), Column("Order total", numeric: true)],
                           rows: orderRows, empty: "No order was placed in \(month.label)."),
                    .links([(Section.orders.path, "All orders", false)], label: "Orders"),
                ]),
                .section(title: "Payments received", id: "payments", [
                    shown(paymentCount, paymentRows.count, "payments", "payment list"),
                    .table(columns: [Column("Received"), Column("Customer"), Column("Invoice"), Column("Method"), Column("Amount", numeric: true)],
                           rows: paymentRows, empty: "No payment was received in \(month.label)."),
                    .links([(Section.payments.path, "All payments", false)], label: "Payments"),
                ]),
            ]))
        }
    }
}
