import OutpostStore

/// Sales: orders by month and order type — how many, and for how much.
///
/// An order counts in the month of its `placed_at` (UTC) when it was not
/// refused: statuses `queued` (placed on this replica, not yet synced),
/// `submitted`, `provisioning` and `completed` count; `failed` and
/// `rejected` do not. The amount is the order total (sale price excluding
/// tax, signed: a cancellation's credit is negative; a seat change is the
/// seat difference at the full period price, before proration).
public struct SalesReport: Sendable, Equatable {
    /// One period (month, quarter or year) and order type.
    public struct Row: Sendable, Equatable {
        public let period: ReportSpan
        public let type: Order.OrderType
        public let count: Int
        /// Sum of order totals, minor units.
        public let amount: Int64
    }

    /// All order types of one period, or one order type over the whole report.
    public struct Total: Sendable, Equatable {
        public let count: Int
        public let amount: Int64
    }

    public let asOf: BusinessDate
    public let currency: Currency
    /// The periods covered, oldest first.
    public let periods: [ReportSpan]
    /// Every period × every order type (`Order.OrderType.allCases` order), zero-filled.
    public let rows: [Row]

    /// Periods in `periods` order with their totals over all order types.
    public var byPeriod: [(period: ReportSpan, total: Total)] {
        periods.map { period in
            let rows = rows.filter { $0.period == period }
            return (period, Total(count: rows.reduce(0) { $0 + $1.count }, amount: rows.reduce(0) { $0 + $1.amount }))
        }
    }

    /// Totals per order type over the whole report.
    public var totals: [(type: Order.OrderType, total: Total)] {
        Order.OrderType.allCases.map { type in
            let rows = rows.filter { $0.type == type }
            return (type, Total(count: rows.reduce(0) { $0 + $1.count }, amount: rows.reduce(0) { $0 + $1.amount }))
        }
    }

    /// The row of one period and type.
    public func row(_ period: ReportSpan, _ type: Order.OrderType) -> Row? {
        rows.first { $0.period == period && $0.type == type }
    }

    /// Orders of the `months` calendar months ending with `asOf`'s month (through `asOf`).
    public static func compute(in db: Database, asOf: BusinessDate, months: Int = 12) throws -> SalesReport {
        try compute(in: db, totals: try CustomerShares.InMemory(in: db, asOf: asOf, months: months, kinds: [.sales]))
    }

    /// Orders of `periods` (every month of the figures when nil), from the customers' summed shares.
    public static func compute(in db: Database, totals: any FigureTotals, periods: [ReportSpan]? = nil) throws -> SalesReport {
        let periods = periods ?? totals.months.map(ReportSpan.init(month:))
        let found = try totals.sums(Figures.sales).regrouped { key in
            periods.first { $0.contains(key.month) }.map { SalesKey.Period(period: $0, type: key.type) }
        }
        let rows = periods.flatMap { period in
            Order.OrderType.allCases.map { type in
                let sum = found[SalesKey.Period(period: period, type: type)] ?? Tally()
                return Row(period: period, type: type, count: Int(sum.count), amount: sum.amount)
            }
        }
        return SalesReport(asOf: totals.asOf, currency: try ReportSQL.currency(in: db), periods: periods, rows: rows)
    }

    /// An amount of this report as `Money`.
    public func money(_ minorUnits: Int64) -> Money { Money(minorUnits: minorUnits, currency: currency) }

    /// `Month, Order type, Orders, Amount (EUR)` (`Quarter` or `Year` by quarter or year).
    public var csvHeader: [String] { [(periods.first?.kind ?? .month).title, "Order type", "Orders", "Amount (\(currency.code))"] }

    /// One line per period and order type, as `rows`.
    public var csvRows: [[String]] {
        rows.map { [$0.period.description, $0.type.rawValue, String($0.count), Money.decimalString($0.amount, digits: currency.minorDigits)] }
    }
}

extension SalesKey {
    /// A period and an order type: the sales of a quarter or a year.
    struct Period: Hashable {
        let period: ReportSpan
        let type: Order.OrderType
    }
}
