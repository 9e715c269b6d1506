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
        let period = ReportPeriod(asOf: asOf, months: months)
        let series = try MonthlyRevenue.series(in: db, period: period)
        let arguments: [any SQLBindable] = [period.fromText, period.throughText]

        struct Key: Hashable { let month: String; let plan: String? }
        var lineAmount: [Key: Int64] = [:]
        var lineMargin: [Key: Int64] = [:]
        var creditAmount: [Key: Int64] = [:]
        var creditMargin: [Key: Int64] = [:]

        // A group's margin from its subscription price and cost; no subscription: all margin.
        func margin(_ row: Row, amount: Int64) throws -> Int64 {
            guard let price = try row.optionalInt64("unit_price"), price > 0 else { return amount }
            let cost = try row.optionalInt64("unit_cost") ?? 0
            return try ReportMath.scaled(amount, by: price - cost, over: price)
        }
        try db.forEachRow("""
            SELECT substr(i.issue_date, 1, 7) AS month, s.plan_id AS plan_id, s.unit_price AS unit_price, s.unit_cost AS unit_cost,
                   sum(l.amount) AS amount
            FROM invoice i JOIN invoice_line l ON l.invoice_id = i.id
            LEFT JOIN subscription s ON s.id = l.subscription_id
            WHERE i.status = 'issued' AND i.issue_date BETWEEN ?1 AND ?2
            GROUP BY 1, 2, 3, 4
            """, arguments) { row in
            let key = Key(month: try row.string("month"), plan: try row.optionalString("plan_id"))
            let amount = try ReportSQL.integer(row, "amount")
            lineAmount[key, default: 0] = try ReportMath.add(lineAmount[key, default: 0], amount)
            lineMargin[key, default: 0] = try ReportMath.add(lineMargin[key, default: 0], try margin(row, amount: amount))
        }
        let share = ReportSQL.roundedDivision("c.subtotal * l.amount", "i.subtotal")
        try db.forEachRow("""
            SELECT substr(c.issue_date, 1, 7) AS month, s.plan_id AS plan_id, s.unit_price AS unit_price, s.unit_cost AS unit_cost,
                   sum(CASE WHEN l.amount = i.subtotal THEN c.subtotal ELSE \(share) END) AS amount
            FROM credit_note c JOIN invoice i ON i.id = c.invoice_id
            JOIN invoice_line l ON l.invoice_id = i.id
            LEFT JOIN subscription s ON s.id = l.subscription_id
            WHERE i.status = 'issued' AND i.subtotal > 0 AND c.issue_date BETWEEN ?1 AND ?2
            GROUP BY 1, 2, 3, 4
            """, arguments) { row in
            let key = Key(month: try row.string("month"), plan: try row.optionalString("plan_id"))
            let amount = try ReportSQL.integer(row, "amount")
            creditAmount[key, default: 0] = try ReportMath.add(creditAmount[key, default: 0], amount)
            creditMargin[key, default: 0] = try ReportMath.add(creditMargin[key, default: 0], try margin(row, amount: amount))
        }

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
        return RevenueReport(asOf: asOf, currency: try ReportSQL.currency(in: db), months: monthRows, plans: planRows)
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
