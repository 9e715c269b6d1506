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

    /// The last `count` months of the ledger's period, zero-filled, oldest first (the last month ends at `asOf`).
    static func series(_ ledger: any LedgerTotals, months count: Int) throws -> [MonthlyRevenue] {
        let invoiced = try ledger.sums(.invoiced)
        let credited = try ledger.sums(.credited)
        var collected: [Substring: Int64] = [:]
        for (key, sum) in try ledger.sums(.payments) {
            let month = key.prefix(7)
            collected[month] = try ReportMath.add(collected[month] ?? 0, sum[1])
        }
        return try ledger.months(count).map { month in
            let key = month.description
            var entry = MonthlyRevenue(month: month)
            let gross = invoiced[key] ?? Ledger.Sum()
            let credit = credited[key] ?? Ledger.Sum()
            entry.invoicedGross = gross[0]
            entry.credited = credit[0]
            entry.invoicedIncludingTax = try ReportMath.add(gross[1], -credit[1])
            entry.collected = collected[Substring(key)] ?? 0
            return entry
        }
    }
}
