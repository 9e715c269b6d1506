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

    /// The last `count` months of the figures' period, zero-filled, oldest first (the last month ends at `asOf`).
    static func series(_ totals: any FigureTotals, months count: Int) throws -> [MonthlyRevenue] {
        let invoiced = try totals.sums(Figures.invoiced)
        let credited = try totals.sums(Figures.credited)
        let collected = try totals.sums(Figures.payments).regrouped { $0.month }
        return try totals.months(count).map { month in
            var entry = MonthlyRevenue(month: month)
            let gross = invoiced[month] ?? InvoiceAmounts()
            let credit = credited[month] ?? InvoiceAmounts()
            entry.invoicedGross = gross.subtotal
            entry.credited = credit.subtotal
            entry.invoicedIncludingTax = try ReportMath.add(gross.total, -credit.total)
            entry.collected = collected[month]?.amount ?? 0
            return entry
        }
    }
}
