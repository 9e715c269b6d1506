import OutpostStore

/// Revenue: invoiced, collected and margin by month, and invoiced and margin by service plan.
///
/// - invoiced: as `MonthlyRevenue` — invoice subtotals excluding tax of issued
///   invoices by issue date, net of credit-note subtotals by the credit note's
///   date. Collected: completed payments (including tax).
/// - margin of an invoice line: `amount × (unit_price − unit_cost) / unit_price`
///   of the line's subscription (the price and cost it was sold at), so a
///   prorated line carries a prorated cost. A line without a subscription is
///   the reseller's own charge with no distributor cost: all of it is margin.
///   Lines are grouped by month, plan, price and cost before dividing, and
///   each group is rounded half away from zero once.
/// - a credit note lowers invoiced revenue and margin in its own month; it is
///   spread over its invoice's lines in proportion to their amounts (rounded
///   per line) to attribute it to plans and margins.
/// - by plan: invoice lines (and credits) of the period grouped by their
///   subscription's plan; lines without a subscription form one row with
///   `planId == nil`. Month totals use invoice subtotals and plan rows use
///   lines; they agree whenever an invoice's subtotal is the sum of its lines
///   (as `Invoicing` writes them), up to a minor unit per credit note spread
///   over several lines.
public struct RevenueReport: Sendable, Equatable {
    /// One period: a month, or a quarter or year (the sums of its months).
    public struct Row: Sendable, Equatable {
        public let period: ReportSpan
        /// Invoice subtotals issued in the period, before credit notes.
        public let invoicedGross: Int64
        /// Credit-note subtotals issued in the period (positive).
        public let credited: Int64
        /// Revenue: `invoicedGross − credited` (excluding tax).
        public var invoiced: Int64 { invoicedGross - credited }
        /// Invoice totals net of credit-note totals (including tax), to compare with `collected`.
        public let invoicedIncludingTax: Int64
        /// Completed payments received (including tax).
        public let collected: Int64
        /// Margin on `invoiced`.
        public let margin: Int64
        /// `margin / invoiced`, basis points; `nil` when nothing was invoiced.
        public var marginBp: Int? { ReportMath.basisPoints(margin, of: invoiced) }
    }

    /// One service plan over the whole report.
    public struct PlanRow: Sendable, Equatable {
        /// `nil` for invoice lines that belong to no subscription.
        public let planId: String?
        /// The plan's name; `Other charges` when `planId` is nil.
        public let planName: String
        public let invoicedGross: Int64
        public let credited: Int64
        public var invoiced: Int64 { invoicedGross - credited }
        public let margin: Int64
        public var marginBp: Int? { ReportMath.basisPoints(margin, of: invoiced) }
    }

    /// The `planName` of lines without a subscription.
    public static let otherChargesName = "Other charges"

    public let asOf: BusinessDate
    public let currency: Currency
    /// Every period, oldest first, zero-filled.
    public let rows: [Row]
    /// Plans with invoice lines or credits in the report's periods, largest revenue first (then by name).
    public let plans: [PlanRow]

    /// The whole report.
    public var total: (invoiced: Int64, collected: Int64, margin: Int64) {
        rows.reduce((0, 0, 0)) { ($0.0 + $1.invoiced, $0.1 + $1.collected, $0.2 + $1.margin) }
    }

    /// Revenue of the `months` calendar months ending with `asOf`'s month (through `asOf`).
    public static func compute(in db: Database, asOf: BusinessDate, months: Int = 12) throws -> RevenueReport {
        try compute(in: db, totals: try CustomerShares.InMemory(in: db, asOf: asOf, months: months,
                                                                kinds: [.invoiced, .credited, .payments, .lines, .creditLines]))
    }

    /// Revenue of `periods` (every month of the figures when nil), from the customers' summed shares (plan names from `db`).
    public static func compute(in db: Database, totals: any FigureTotals, periods: [ReportSpan]? = nil) throws -> RevenueReport {
        let periods = periods ?? totals.months.map(ReportSpan.init(month:))
        func period(_ month: ReportMonth) -> ReportSpan? { periods.first { $0.contains(month) } }
        let invoiced = try totals.sums(Figures.invoiced).regrouped(period)
        let credited = try totals.sums(Figures.credited).regrouped(period)
        let collected = try totals.sums(Figures.payments).regrouped { period($0.month) }

        struct Key: Hashable { let period: ReportSpan; let plan: String? }
        // By period and plan: amounts, and margins rounded once per month, price and cost group (the figure's key).
        func group(_ figure: Figure<LineKey, LineAmount>) throws -> (amount: [Key: Int64], margin: [Key: Int64]) {
            var amounts: [Key: Int64] = [:]
            var margins: [Key: Int64] = [:]
            for (line, sum) in try totals.sums(figure) {
                guard let span = period(line.month) else { continue }
                let key = Key(period: span, plan: line.plan)
                // No subscription (or no price): the reseller's own charge, all margin.
                var margin = sum.amount
                if let price = line.price, price > 0 {
                    margin = try ReportMath.scaled(sum.amount, by: price - (line.cost ?? 0), over: price)
                }
                amounts[key] = try ReportMath.add(amounts[key] ?? 0, sum.amount)
                margins[key] = try ReportMath.add(margins[key] ?? 0, margin)
            }
            return (amounts, margins)
        }
        let (lineAmount, lineMargin) = try group(Figures.lines)
        let (creditAmount, creditMargin) = try group(Figures.creditLines)

        var marginByPeriod: [ReportSpan: Int64] = [:]
        for (key, value) in lineMargin { marginByPeriod[key.period, default: 0] += value }
        for (key, value) in creditMargin { marginByPeriod[key.period, default: 0] -= value }
        let rows = try periods.map { period in
            let gross = invoiced[period] ?? InvoiceAmounts()
            let credit = credited[period] ?? InvoiceAmounts()
            return Row(period: period, invoicedGross: gross.subtotal, credited: credit.subtotal,
                       invoicedIncludingTax: try ReportMath.add(gross.total, -credit.total), collected: collected[period]?.amount ?? 0,
                       margin: marginByPeriod[period] ?? 0)
        }

        var names: [String: String] = [:]
        try db.forEachRow("SELECT id, name FROM plan") { names[try $0.string("id")] = try $0.string("name") }
        struct PlanSums { var gross: Int64 = 0; var credited: Int64 = 0; var margin: Int64 = 0 }
        var byPlan: [String?: PlanSums] = [:]
        for (key, value) in lineAmount { byPlan[key.plan, default: PlanSums()].gross += value }
        for (key, value) in lineMargin { byPlan[key.plan, default: PlanSums()].margin += value }
        for (key, value) in creditAmount { byPlan[key.plan, default: PlanSums()].credited += value }
        for (key, value) in creditMargin { byPlan[key.plan, default: PlanSums()].margin -= value }
        let planRows = byPlan.map { plan, sums in
            PlanRow(planId: plan, planName: plan.map { names[$0] ?? $0 } ?? otherChargesName,
                    invoicedGross: sums.gross, credited: sums.credited, margin: sums.margin)
        }.sorted { a, b in
            if a.invoiced != b.invoiced { return a.invoiced > b.invoiced }
            if a.planName != b.planName { return a.planName < b.planName }
            return (a.planId ?? "") < (b.planId ?? "")
        }
        return RevenueReport(asOf: totals.asOf, currency: try ReportSQL.currency(in: db), rows: rows, plans: planRows)
    }

    /// An amount of this report as `Money`.
    public func money(_ minorUnits: Int64) -> Money { Money(minorUnits: minorUnits, currency: currency) }

    /// Period columns: invoiced (gross, credited, net), including tax, collected, margin.
    public var csvHeader: [String] {
        let code = currency.code
        return [(rows.first?.period.kind ?? .month).title, "Invoiced before credits (\(code))", "Credited (\(code))", "Invoiced (\(code))",
                "Invoiced incl. tax (\(code))", "Collected (\(code))", "Margin (\(code))", "Margin %"]
    }

    /// One line per period.
    public var csvRows: [[String]] {
        let digits = currency.minorDigits
        return rows.map { m in
            [m.period.description] + [m.invoicedGross, m.credited, m.invoiced, m.invoicedIncludingTax, m.collected, m.margin]
                .map { Money.decimalString($0, digits: digits) } + [m.marginBp.map(Pricing.percent) ?? ""]
        }
    }

    /// Plan columns.
    public var planCSVHeader: [String] {
        let code = currency.code
        return ["Plan ID", "Plan", "Invoiced before credits (\(code))", "Credited (\(code))", "Invoiced (\(code))", "Margin (\(code))", "Margin %"]
    }

    /// One line per plan, as `plans`.
    public var planCSVRows: [[String]] {
        let digits = currency.minorDigits
        return plans.map { p in
            [p.planId ?? "", p.planName] + [p.invoicedGross, p.credited, p.invoiced, p.margin].map { Money.decimalString($0, digits: digits) }
                + [p.marginBp.map(Pricing.percent) ?? ""]
        }
    }
}
