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
    /// One month.
    public struct Month: Sendable, Equatable {
        public let month: ReportMonth
        /// Invoice subtotals issued in the month, before credit notes.
        public let invoicedGross: Int64
        /// Credit-note subtotals issued in the month (positive).
        public let credited: Int64
        /// Revenue: `invoicedGross − credited` (excluding tax).
        public let invoiced: Int64
        /// Invoice totals net of credit-note totals (including tax), to compare with `collected`.
        public let invoicedIncludingTax: Int64
        /// Completed payments received (including tax).
        public let collected: Int64
        /// Margin on `invoiced`.
        public let margin: Int64
        /// `margin / invoiced`, basis points; `nil` when nothing was invoiced.
        public var marginBp: Int? { ReportMath.basisPoints(margin, of: invoiced) }
    }

    /// One service plan over the whole period.
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
    /// Every month of the period, oldest first, zero-filled.
    public let months: [Month]
    /// Plans with invoice lines or credits in the period, largest revenue first (then by name).
    public let plans: [PlanRow]

    /// The whole period.
    public var total: (invoiced: Int64, collected: Int64, margin: Int64) {
        months.reduce((0, 0, 0)) { ($0.0 + $1.invoiced, $0.1 + $1.collected, $0.2 + $1.margin) }
    }

    /// Revenue of the `months` calendar months ending with `asOf`'s month (through `asOf`).
    public static func compute(in db: Database, asOf: BusinessDate, months: Int = 12) throws -> RevenueReport {
        try compute(in: db, ledger: try Ledger.Memory(in: db, asOf: asOf, months: months, figures: [.invoiced, .credited, .payments, .lines, .creditLines]))
    }

    /// Revenue of the ledger's period, from its sums (plan names from `db`).
    public static func compute(in db: Database, ledger: any LedgerTotals) throws -> RevenueReport {
        let series = try MonthlyRevenue.series(ledger, months: ledger.months.count)

        struct Key: Hashable { let month: String; let plan: String? }
        // By month and plan: amounts, and margins rounded once per price and cost group (the ledger's key).
        func group(_ figure: Ledger.Figure) throws -> (amount: [Key: Int64], margin: [Key: Int64]) {
            var amounts: [Key: Int64] = [:]
            var margins: [Key: Int64] = [:]
            for (text, sum) in try ledger.sums(figure) {
                let fields = Ledger.fields(text)
                guard fields.count == 4 else { continue }
                let key = Key(month: String(fields[0]), plan: fields[1].isEmpty ? nil : String(fields[1]))
                let amount = sum[0]
                // No subscription (or no price): the reseller's own charge, all margin.
                var margin = amount
                if let price = Int64(fields[2]), price > 0 {
                    margin = try ReportMath.scaled(amount, by: price - (Int64(fields[3]) ?? 0), over: price)
                }
                amounts[key] = try ReportMath.add(amounts[key] ?? 0, amount)
                margins[key] = try ReportMath.add(margins[key] ?? 0, margin)
            }
            return (amounts, margins)
        }
        let (lineAmount, lineMargin) = try group(.lines)
        let (creditAmount, creditMargin) = try group(.creditLines)

        var marginByMonth: [String: Int64] = [:]
        for (key, value) in lineMargin { marginByMonth[key.month, default: 0] += value }
        for (key, value) in creditMargin { marginByMonth[key.month, default: 0] -= value }
        let monthRows = series.map { entry in
            Month(month: entry.month, invoicedGross: entry.invoicedGross, credited: entry.credited, invoiced: entry.invoiced,
                  invoicedIncludingTax: entry.invoicedIncludingTax, collected: entry.collected,
                  margin: marginByMonth[entry.month.description] ?? 0)
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
        return RevenueReport(asOf: ledger.asOf, currency: try ReportSQL.currency(in: db), months: monthRows, plans: planRows)
    }

    /// An amount of this report as `Money`.
    public func money(_ minorUnits: Int64) -> Money { Money(minorUnits: minorUnits, currency: currency) }

    /// Month columns: invoiced (gross, credited, net), including tax, collected, margin.
    public var csvHeader: [String] {
        let code = currency.code
        return ["Month", "Invoiced before credits (\(code))", "Credited (\(code))", "Invoiced (\(code))",
                "Invoiced incl. tax (\(code))", "Collected (\(code))", "Margin (\(code))", "Margin %"]
    }

    /// One line per month.
    public var csvRows: [[String]] {
        let digits = currency.minorDigits
        return months.map { m in
            [m.month.description] + [m.invoicedGross, m.credited, m.invoiced, m.invoicedIncludingTax, m.collected, m.margin]
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
