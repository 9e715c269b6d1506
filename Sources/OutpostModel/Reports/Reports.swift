import OutpostStore

// # Reports — what the dashboards compute, as typed Swift values
//
// Every report is a `public struct` computed by
// `static func compute(in db: Database, asOf: BusinessDate, …) throws -> Self`,
// or from sums kept elsewhere by `compute(in:totals:)`.
// `asOf` is the business date the report is "as of" (the site passes the
// date of its data — the last successful sync — never the wall clock);
// nothing dated after it counts. Statuses (active, cancelled, …) are the
// replica's current state. Every figure is a sum of customers' shares
// (`CustomerShares`): SQL with bound parameters works out each customer's share,
// and the report adds them up, so it holds a few hundred sums (and the home
// page's lists hold the keys of every overdue invoice and every expiry in
// the next 30 days, to list the first ones). A
// site build keeps the shares and updates them for the customers a sync
// touched; `compute(in:asOf:)` adds up every share in memory. The only
// unbounded list, receivables per customer, is streamed.
//
// Money: row and series amounts are `Int64` minor units of the report's
// `currency` (the reseller's, from settings) — what charts and CSV need;
// `money(_:)` wraps one as `Money`. The home page's single figures are
// `Money`. Percentages are basis points, `Int?` (nil when the base is 0).
// Monthly reports cover `months` calendar months (default 12) ending with
// `asOf`'s month, every month present and zero-filled, oldest first; from
// summed shares they also take periods (`ReportSpan`: months, quarters or
// years, each the sum of its months).
//
// ```
// ResellerSummary.compute(in:asOf:attentionLimit: = 10)
//     mrr, arr, mrrCost, mrrMargin: Money; mrrMarginBp: Int?
//     revenueThisMonth, revenueThisYear, collectedThisMonth, outstanding, overdue: Money
//     activeCustomers, payingCustomers, activeSubscriptions: Int
//     revenueSeries: [MonthlyRevenue] (12)   aging: AgingBuckets
//     attention: ResellerSummary.Attention (orders, overdueInvoices, expiringSubscriptions,
//         expiringDomains, expiringCertificates: AttentionList<…> {count, items};
//         failedOrders, rejectedMutations, conflicts, pendingMutations: Int)
// RecurringRevenue.compute(in:asOf:)          amount (MRR), annual (ARR), cost, margin, marginBp
// CustomerShares.shares(in:asOf:since:customers:_:)  each customer's share of every figure; CustomerShares.InMemory sums them
// SalesReport.compute(in:asOf:months:)        rows [Row(period, category: order type, count, amount)], byPeriod,
//                                             byCategory, total; csvHeader, csvRows (TallyReport<Order.OrderType>)
// RevenueReport.compute(in:asOf:months:)      rows [Row], plans [PlanRow], total;
//                                             csvHeader/csvRows (months), planCSVHeader/planCSVRows
// CustomerDynamicsReport.compute(in:asOf:months:)  rows [Row(new/churned/reactivated/net customers,
//                                             new/expansion/contraction/churn/net MRR)]; csvHeader, csvRows
// ReceivablesAgingReport.compute(in:asOf:)    total: AgingBuckets, customerCount, openInvoiceCount;
//     ReceivablesAgingReport.customers(in:asOf:limit:offset:) / forEachCustomer(in:asOf:limit:offset:_:)
//     csvHeader, forEachCSVRow(in:_:) (every customer, then a Total row)
// PaymentTransactionsReport.compute(in:asOf:months:)  rows [Row(period, category: method, count, amount)], byPeriod,
//                                             byCategory, total; csvHeader, csvRows (TallyReport<Payment.Method>)
// SubscriptionsReport.compute(in:asOf:)       plans [PlanRow(active, expiring/renewing Windows(in30,in60,in90),
//                                             recurring)], active, expiring, renewing, recurring; csvHeader, csvRows
// ```
//
// CSV cells are plain text: dates `YYYY-MM-DD`, months `YYYY-MM`, money as a
// plain decimal (`-1234.50`) with the currency code in the column header,
// percentages as `Pricing.percent` (`23.27%`); quoting is the writer's job
// (RFC 4180, OutpostSite's CSV writer).
//
// ## Definitions (each type repeats its own)
//
// - **MRR**: active subscriptions (status `active`, created on or before
//   `asOf`), `unit_price × quantity` per month; annual plans contribute
//   `unit_price × quantity / 12` **rounded half away from zero per
//   subscription**, so every breakdown (per plan, per customer) adds up to
//   the total exactly. Suspended subscriptions are not billing and are
//   excluded. ARR = MRR × 12. MRR margin is `(unit_price − unit_cost) ×
//   quantity` with the same per-subscription monthly rounding.
// - **Revenue** (invoiced): invoice subtotals — **excluding tax** — of issued
//   (not void) invoices by `issue_date`, net of credit-note subtotals by the
//   credit note's own `issue_date`. **Collected**: completed payments by
//   `received_on`; payments settle invoice totals, so collected amounts
//   **include tax** (compare with `invoicedIncludingTax`).
// - **Receivables**: per issued invoice, `max(0, total − completed payments
//   − credit notes)` counting only payments and credits dated on or before
//   `asOf` (as `InvoiceBalance` does, plus the date cut); amounts include tax.
//   Days past due = `asOf − due_date`: ≤ 0 current, 1–30, 31–60, 61–90,
//   ≥ 91 → 90+. Overdue = everything at least one day past due.
// - **Customer dynamics** and **MRR movements**: see `CustomerDynamicsReport`.

/// A calendar month, the period of every monthly report row (`2026-01`).
public struct ReportMonth: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let year: Int
    /// 1…12.
    public let month: Int

    /// The month `date` falls in.
    public init(_ date: BusinessDate) {
        let (year, month, _) = date.parts
        self.year = year
        self.month = month
    }

    /// A month from its parts; `nil` unless `month` is 1…12 and `year` 1…9999.
    public init?(year: Int, month: Int) {
        guard (1...9999).contains(year), (1...12).contains(month) else { return nil }
        self.year = year
        self.month = month
    }

    /// Parses `YYYY-MM` (and the month prefix of a date or timestamp).
    public init?(_ text: some StringProtocol) {
        guard text.utf8.count >= 7, let date = BusinessDate(text.prefix(7) + "-01") else { return nil }
        self.init(date)
    }

    /// The first day of the month.
    public var firstDay: BusinessDate { BusinessDate(year: year, month: month, day: 1)! }

    /// The last day of the month.
    public var lastDay: BusinessDate { adding(months: 1).firstDay.adding(days: -1) }

    /// The month `count` months later (earlier when negative).
    public func adding(months count: Int) -> ReportMonth {
        let total = year * 12 + (month - 1) + count
        return ReportMonth(year: total / 12, month: total % 12 + 1) ?? self
    }

    /// `2026-01`, as months appear in CSV files and SQL (`substr(date, 1, 7)`).
    public var description: String { CivilCalendar.pad(year, 4) + "-" + CivilCalendar.pad(month, 2) }

    /// `Jan 2026`, for chart axes and table headers (English, unambiguous).
    public var label: String { Self.names[month - 1] + " " + String(year) }

    /// `count` consecutive months ending with `last`, oldest first.
    public static func range(endingWith last: ReportMonth, count: Int) -> [ReportMonth] {
        guard count > 0 else { return [] }
        return (0..<count).map { last.adding(months: $0 - (count - 1)) }
    }

    public static func < (lhs: ReportMonth, rhs: ReportMonth) -> Bool {
        (lhs.year, lhs.month) < (rhs.year, rhs.month)
    }

    private static let names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard text.utf8.count == 7, let month = ReportMonth(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a YYYY-MM month: \(text)"))
        }
        self = month
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// A report could not be computed from what the database holds.
public struct ReportError: Error, Sendable, CustomStringConvertible {
    public let message: String

    public var description: String { message }

    public init(message: String) {
        self.message = message
    }

    static func overflow(_ what: String) -> ReportError {
        ReportError(message: "\(what) does not fit in 64-bit minor units; check the amounts stored in the replica")
    }
}

/// The reporting period shared by the monthly reports.
struct ReportPeriod {
    let months: [ReportMonth]
    /// First day of the first month.
    let from: BusinessDate
    /// The report's `asOf`: the last day that counts.
    let through: BusinessDate

    init(asOf: BusinessDate, months count: Int) {
        months = ReportMonth.range(endingWith: ReportMonth(asOf), count: max(1, count))
        from = months[0].firstDay
        through = asOf
    }

    /// `from` as text, for `date >= ?` on `YYYY-MM-DD` and ISO timestamp columns.
    var fromText: String { from.description }
    /// `through` as text, for `date <= ?` on `YYYY-MM-DD` columns.
    var throughText: String { through.description }
    /// The day after `through`, for `timestamp < ?` on ISO timestamp columns.
    var endText: String { through.adding(days: 1).description }
}

/// SQL fragments and readers the reports share. Fragments are constants of
/// this file (never data); every value reaches SQL as a bound parameter.
enum ReportSQL {
    /// `expr / 12` rounded half away from zero when `periodColumn` is `'annual'`, else `expr`:
    /// one subscription's (or order line's) monthly amount. SQLite's integer
    /// division truncates toward zero, hence the explicit sign cases.
    static func monthly(_ expr: String, periodColumn: String) -> String {
        "(CASE WHEN \(periodColumn) = 'annual' THEN " + roundedDivision(expr, "12") + " ELSE (\(expr)) END)"
    }

    /// `numerator / denominator` rounded half away from zero, for a positive denominator.
    static func roundedDivision(_ numerator: String, _ denominator: String) -> String {
        "(CASE WHEN (\(numerator)) >= 0 THEN ((\(numerator)) * 2 + (\(denominator))) / ((\(denominator)) * 2)"
            + " ELSE -(((-(\(numerator))) * 2 + (\(denominator))) / ((\(denominator)) * 2)) END)"
    }

    /// Outstanding amount of each issued customer invoice as of `?1` (a `YYYY-MM-DD` date):
    /// total − completed payments − credit notes dated on or before it, never below zero.
    /// The reseller's own invoices (`Customer.ownAccountId`) are no receivable: they are left out.
    /// Columns: `id`, `number`, `customer_id`, `due_date`, `outstanding`.
    static let openInvoices = """
        SELECT i.id AS id, i.number AS number, i.customer_id AS customer_id, i.due_date AS due_date,
               max(0, i.total
                   - coalesce((SELECT sum(p.amount) FROM payment p
                               WHERE p.invoice_id = i.id AND p.status = 'completed' AND p.received_on <= ?1), 0)
                   - coalesce((SELECT sum(c.total) FROM credit_note c
                               WHERE c.invoice_id = i.id AND c.issue_date <= ?1), 0)) AS outstanding
        FROM invoice i
        WHERE i.status = 'issued' AND i.issue_date <= ?1 AND i.customer_id <> 'cus_own'
        """

    /// An integer (sum) column; NULL (an empty sum) reads as 0. SQLite turns an
    /// integer product that overflows into a REAL: that is reported, never rounded.
    static func integer(_ row: Row, _ column: String) throws -> Int64 {
        switch row[column] {
        case .null: return 0
        case .integer(let value): return value
        case .real: throw ReportError.overflow(column)
        case let other: throw RowDecodingError(column: column, expected: "integer", found: other)
        }
    }

    /// A summed column a figure's row must have: a missing column is an error, never a zero.
    static func sum(_ row: Row, _ column: String) throws -> Int64 {
        guard row.columns.contains(column) else { throw RowDecodingError(column: column, expected: "integer", found: .null) }
        return try integer(row, column)
    }

    /// The reseller's currency (EUR when the stored code is unknown).
    static func currency(in db: Database) throws -> Currency {
        try ResellerSettings.load(from: db).currencyValue
    }
}

/// Integer helpers for the report arithmetic.
enum ReportMath {
    /// `value × numerator / denominator`, rounded half away from zero, without intermediate overflow.
    static func scaled(_ value: Int64, by numerator: Int64, over denominator: Int64) throws -> Int64 {
        precondition(denominator > 0, "denominator must be positive")
        let negative = (value < 0) != (numerator < 0)
        let product = value.magnitude.multipliedFullWidth(by: numerator.magnitude)
        let divisor = UInt64(denominator)
        guard product.high < divisor else { throw ReportError.overflow("an amount") }
        var (quotient, remainder) = divisor.dividingFullWidth(product)
        // divisor ≤ Int64.max, so remainder × 2 cannot overflow.
        if remainder * 2 >= divisor { quotient += 1 }
        guard quotient <= UInt64(Int64.max) else { throw ReportError.overflow("an amount") }
        return negative ? -Int64(quotient) : Int64(quotient)
    }

    /// `part / whole` in basis points, rounded half away from zero; `nil` when `whole` is zero.
    static func basisPoints(_ part: Int64, of whole: Int64) -> Int? {
        guard whole != 0, whole != .min, part != .min else { return nil }
        let sign: Int64 = whole < 0 ? -1 : 1
        return (try? scaled(part * sign, by: 10_000, over: whole * sign)).map { Int($0) }
    }

    /// `a + b`, reporting overflow as a `ReportError`.
    static func add(_ a: Int64, _ b: Int64) throws -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        guard !overflow else { throw ReportError.overflow("a total") }
        return sum
    }
}
