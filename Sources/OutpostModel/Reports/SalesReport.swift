import OutpostStore

/// Sales: orders by month and order type — how many, and for how much.
///
/// An order counts in the month of its `placed_at` (UTC) when it was not
/// refused: statuses `queued` (placed on this replica, not yet synced),
/// `submitted`, `provisioning` and `completed` count; `failed` and
/// `rejected` do not. The amount is the order total (sale price excluding
/// tax, signed: a cancellation's credit is negative; a seat change is the
/// seat difference at the full period price, before proration).
public typealias SalesReport = TallyReport<Order.OrderType>

/// Payment transactions by month and payment method: how many, and how much.
///
/// Counts completed payments by `received_on` (pending, failed and refunded
/// payments moved no money). Amounts include tax (payments settle invoice totals).
public typealias PaymentTransactionsReport = TallyReport<Payment.Method>

/// Things counted by period and by a category — orders by type (`SalesReport`), payments by method
/// (`PaymentTransactionsReport`) — with their number and amount.
public struct TallyReport<Category: TallyCategory>: Sendable, Equatable {
    /// One period (month, quarter or year) and category.
    public struct Row: Sendable, Equatable {
        public let period: ReportSpan
        public let category: Category
        public let count: Int
        /// Sum of the amounts, minor units.
        public let amount: Int64
    }

    /// A sum over several rows: every category of one period, one category over the whole report, or everything.
    public struct Total: Sendable, Equatable {
        public let count: Int
        public let amount: Int64
    }

    public let asOf: BusinessDate
    public let currency: Currency
    /// The periods covered, oldest first.
    public let periods: [ReportSpan]
    /// Every period × every category (`Category.allCases` order), zero-filled.
    public let rows: [Row]

    /// Periods in `periods` order with their totals over all categories.
    public var byPeriod: [(period: ReportSpan, total: Total)] {
        periods.map { period in (period, Self.sum(rows.filter { $0.period == period })) }
    }

    /// Totals per category over the whole report, in `Category.allCases` order.
    public var byCategory: [(category: Category, total: Total)] {
        Category.allCases.map { category in (category, Self.sum(rows.filter { $0.category == category })) }
    }

    /// Everything in the report.
    public var total: Total { Self.sum(rows) }

    static func sum(_ rows: [Row]) -> Total {
        Total(count: rows.reduce(0) { $0 + $1.count }, amount: rows.reduce(0) { $0 + $1.amount })
    }

    /// The row of one period and category.
    public func row(_ period: ReportSpan, _ category: Category) -> Row? {
        rows.first { $0.period == period && $0.category == category }
    }

    /// The `months` calendar months ending with `asOf`'s month (through `asOf`).
    public static func compute(in db: Database, asOf: BusinessDate, months: Int = 12) throws -> TallyReport {
        try compute(in: db, totals: try CustomerShares.InMemory(in: db, asOf: asOf, months: months, kinds: [Category.figure.kind]))
    }

    /// `periods` (every month of the figures when nil), from the customers' summed shares.
    public static func compute(in db: Database, totals: any FigureTotals, periods: [ReportSpan]? = nil) throws -> TallyReport {
        let periods = periods ?? totals.months.map(ReportSpan.init(month:))
        let found = try totals.sums(Category.figure).regrouped { key in
            periods.first { $0.contains(key.month) }.map { PeriodCategory(period: $0, category: key.category) }
        }
        let rows = periods.flatMap { period in
            Category.allCases.map { category in
                let sum = found[PeriodCategory(period: period, category: category)] ?? Tally()
                return Row(period: period, category: category, count: Int(sum.count), amount: sum.amount)
            }
        }
        return TallyReport(asOf: totals.asOf, currency: try ReportSQL.currency(in: db), periods: periods, rows: rows)
    }

    /// A period and a category: what a quarter's or a year's months are summed under.
    private struct PeriodCategory: Hashable {
        let period: ReportSpan
        let category: Category
    }

    /// An amount of this report as `Money`.
    public func money(_ minorUnits: Int64) -> Money { Money(minorUnits: minorUnits, currency: currency) }

    /// `Month, Order type, Orders, Amount (EUR)` (`Quarter` or `Year` by quarter or year; `Method` and `Payments` for payments).
    public var csvHeader: [String] { [(periods.first?.kind ?? .month).title, Category.title, Category.countTitle, "Amount (\(currency.code))"] }

    /// One line per period and category, as `rows`.
    public var csvRows: [[String]] {
        rows.map { [$0.period.description, $0.category.rawValue, String($0.count), Money.decimalString($0.amount, digits: currency.minorDigits)] }
    }
}
