import OutpostStore

/// Receivables aging: current, 1–30, 31–60, 61–90 and 90+ days past due, in total and per customer.
///
/// An invoice's outstanding amount is `max(0, total − completed payments −
/// credit notes)`, counting payments and credit notes dated on or before
/// `asOf`, for issued (not void) invoices issued on or before `asOf`. Amounts
/// include tax (they are what the customer owes). The whole invoice's
/// outstanding amount falls in the bucket of its due date.
///
/// The per-customer list is unbounded (up to every customer), so it is
/// streamed (`forEachCustomer`) or read a page at a time (`customers(…)`),
/// ordered by customer name (case-insensitive), then id. Each call
/// aggregates all invoices again (about a second on the 100,000-customer
/// fixture), so to write many pages stream once and cut the pages while
/// streaming rather than calling `customers(limit:offset:)` per page.
public struct ReceivablesAgingReport: Sendable, Equatable {
    /// One customer's outstanding receivables by bucket.
    public struct CustomerAging: Sendable, Equatable {
        public let customerId: String
        public let customerName: String
        public let buckets: AgingBuckets
        /// Issued invoices with something outstanding.
        public let openInvoices: Int
        /// The earliest due date among them.
        public let oldestDueDate: BusinessDate?
    }

    public let asOf: BusinessDate
    public let currency: Currency
    /// All customers together.
    public let total: AgingBuckets
    /// Customers with something outstanding (the length of the per-customer list).
    public let customerCount: Int
    /// Invoices with something outstanding.
    public let openInvoiceCount: Int

    /// The totals; the per-customer rows are read with `customers(…)` or `forEachCustomer(…)`.
    public static func compute(in db: Database, asOf: BusinessDate) throws -> ReceivablesAgingReport {
        try compute(in: db, totals: try CustomerShares.InMemory(in: db, asOf: asOf, months: 1, kinds: [.receivables]))
    }

    /// The totals from the customers' summed shares.
    public static func compute(in db: Database, totals: any FigureTotals) throws -> ReceivablesAgingReport {
        let sum = try totals.total(Figures.receivables)
        return ReceivablesAgingReport(asOf: totals.asOf, currency: try ReportSQL.currency(in: db), total: sum.buckets,
                                      customerCount: Int(sum.customersOwing), openInvoiceCount: Int(sum.openInvoices))
    }

    /// Calls `body` for each customer with something outstanding, by name (or by id); `limit`/`offset`
    /// page through them; `only` limits them to some customers (whose rows an incremental site build redoes).
    public static func forEachCustomer(in db: Database, asOf: BusinessDate, limit: Int? = nil, offset: Int = 0,
                                       only: Set<String>? = nil, byId: Bool = false,
                                       _ body: (CustomerAging) throws -> Void) throws {
        let sql = """
            WITH open AS (\(ReportSQL.openInvoices)),
            per AS (
                SELECT customer_id, \(AgingBuckets.sumColumns), count(*) AS invoices, min(due_date) AS oldest
                FROM open WHERE outstanding > 0\(only == nil ? "" : " AND customer_id IN (SELECT value FROM json_each(?7))") GROUP BY customer_id
            )
            SELECT per.*, c.name AS name FROM per JOIN customer c ON c.id = per.customer_id
            ORDER BY \(byId ? "c.id" : "c.name COLLATE NOCASE, c.id")
            LIMIT ?5 OFFSET ?6
            """
        var arguments = AgingBuckets.arguments(asOf: asOf) + [limit ?? -1, max(0, offset)]
        if let only { arguments.append(SQLValue.jsonArray(only)) }
        try db.forEachRow(sql, arguments) { row in
            try body(CustomerAging(
                customerId: try row.string("customer_id"), customerName: try row.string("name"), buckets: try AgingBuckets(row: row),
                openInvoices: Int(try ReportSQL.integer(row, "invoices")),
                oldestDueDate: try row.optionalString("oldest").flatMap(BusinessDate.init)))
        }
    }

    /// One page of the per-customer rows, by name.
    public static func customers(in db: Database, asOf: BusinessDate, limit: Int, offset: Int = 0) throws -> [CustomerAging] {
        var result: [CustomerAging] = []
        try forEachCustomer(in: db, asOf: asOf, limit: limit, offset: offset) { result.append($0) }
        return result
    }

    /// CSV columns: customer, then the five buckets and the total, in the reseller's currency.
    public var csvHeader: [String] {
        ["Customer ID", "Customer"] + AgingBuckets.labels.map { "\($0) (\(currency.code))" } + ["Total (\(currency.code))", "Open invoices", "Oldest due date"]
    }

    /// The `Total` row first, then every customer's row (never capped) in id order: the order in
    /// which an incremental site build can patch one customer's row in place.
    public func forEachCSVRow(in db: Database, _ body: ([String]) throws -> Void) throws {
        try body(csvTotalRecord)
        try Self.forEachCustomer(in: db, asOf: asOf, byId: true) { try body(Self.csvRecord($0, currency: currency)) }
    }

    /// The CSV's `Total` row (its id is empty, so it leads the rows in id order).
    public var csvTotalRecord: [String] {
        ["", "Total"] + Self.amounts(total, currency) + [String(openInvoiceCount), ""]
    }

    /// One customer's CSV row.
    public static func csvRecord(_ customer: CustomerAging, currency: Currency) -> [String] {
        [customer.customerId, customer.customerName] + amounts(customer.buckets, currency)
            + [String(customer.openInvoices), customer.oldestDueDate?.description ?? ""]
    }

    private static func amounts(_ b: AgingBuckets, _ currency: Currency) -> [String] {
        [b.current, b.days1to30, b.days31to60, b.days61to90, b.over90, b.total].map { Money.decimalString($0, digits: currency.minorDigits) }
    }

    /// A bucket amount as `Money`.
    public func money(_ minorUnits: Int64) -> Money { Money(minorUnits: minorUnits, currency: currency) }
}
