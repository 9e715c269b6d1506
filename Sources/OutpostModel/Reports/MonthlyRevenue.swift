import OutpostStore

/// One month of billing: invoiced (net of credit notes) and collected.
///
/// `invoiced` is invoice subtotals — excluding tax — of issued (not void)
/// invoices by `issue_date`, minus the subtotals of credit notes by their own
/// `issue_date` (a credit in March against a January invoice lowers March).
/// `collected` is completed payments by `received_on`; payments settle
/// invoice totals, so it includes tax — compare it with `invoicedIncludingTax`.
public struct MonthlyRevenue: Sendable, Equatable, Codable {
    public let month: ReportMonth
    /// Invoice subtotals issued in the month (excluding tax), before credit notes.
    public internal(set) var invoicedGross: Int64 = 0
    /// Credit-note subtotals issued in the month (excluding tax), positive.
    public internal(set) var credited: Int64 = 0
    /// Invoice totals − credit-note totals (including tax).
    public internal(set) var invoicedIncludingTax: Int64 = 0
    /// Completed payments received in the month (including tax).
    public internal(set) var collected: Int64 = 0

    public init(month: ReportMonth) {
        self.month = month
    }

    /// Revenue: invoiced excluding tax, net of credit notes.
    public var invoiced: Int64 { invoicedGross - credited }

    /// Every month of `period`, zero-filled, oldest first (the last month ends at the period's `asOf`).
    static func series(in db: Database, period: ReportPeriod) throws -> [MonthlyRevenue] {
        var byMonth: [ReportMonth: MonthlyRevenue] = [:]
        for month in period.months { byMonth[month] = MonthlyRevenue(month: month) }
        let arguments: [any SQLBindable] = [period.fromText, period.throughText]
        try db.forEachRow("""
            SELECT substr(issue_date, 1, 7) AS month, sum(subtotal) AS subtotal, sum(total) AS total
            FROM invoice WHERE status = 'issued' AND issue_date BETWEEN ?1 AND ?2 GROUP BY 1
            """, arguments) { row in
            guard let month = ReportMonth(try row.string("month")), byMonth[month] != nil else { return }
            byMonth[month]!.invoicedGross += try ReportSQL.integer(row, "subtotal")
            byMonth[month]!.invoicedIncludingTax += try ReportSQL.integer(row, "total")
        }
        try db.forEachRow("""
            SELECT substr(c.issue_date, 1, 7) AS month, sum(c.subtotal) AS subtotal, sum(c.total) AS total
            FROM credit_note c JOIN invoice i ON i.id = c.invoice_id
            WHERE i.status = 'issued' AND c.issue_date BETWEEN ?1 AND ?2 GROUP BY 1
            """, arguments) { row in
            guard let month = ReportMonth(try row.string("month")), byMonth[month] != nil else { return }
            byMonth[month]!.credited += try ReportSQL.integer(row, "subtotal")
            byMonth[month]!.invoicedIncludingTax -= try ReportSQL.integer(row, "total")
        }
        try db.forEachRow("""
            SELECT substr(received_on, 1, 7) AS month, sum(amount) AS amount
            FROM payment WHERE status = 'completed' AND received_on BETWEEN ?1 AND ?2 GROUP BY 1
            """, arguments) { row in
            guard let month = ReportMonth(try row.string("month")), byMonth[month] != nil else { return }
            byMonth[month]!.collected += try ReportSQL.integer(row, "amount")
        }
        return period.months.map { byMonth[$0]! }
    }
}
