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
    /// One month and order type.
    public struct Row: Sendable, Equatable {
        public let month: ReportMonth
        public let type: Order.OrderType
        public let count: Int
        /// Sum of order totals, minor units.
        public let amount: Int64
    }

    /// All order types of one month, or one order type over the whole period.
    public struct Total: Sendable, Equatable {
        public let count: Int
        public let amount: Int64
    }

    public let asOf: BusinessDate
    public let currency: Currency
    /// The months covered, oldest first.
    public let periods: [ReportMonth]
    /// Every month × every order type (`Order.OrderType.allCases` order), zero-filled.
    public let rows: [Row]

    /// Months in `periods` order with their totals over all order types.
    public var months: [(month: ReportMonth, total: Total)] {
        periods.map { month in
            let rows = rows.filter { $0.month == month }
            return (month, Total(count: rows.reduce(0) { $0 + $1.count }, amount: rows.reduce(0) { $0 + $1.amount }))
        }
    }

    /// Totals per order type over the whole period.
    public var totals: [(type: Order.OrderType, total: Total)] {
        Order.OrderType.allCases.map { type in
            let rows = rows.filter { $0.type == type }
            return (type, Total(count: rows.reduce(0) { $0 + $1.count }, amount: rows.reduce(0) { $0 + $1.amount }))
        }
    }

    /// The row of one month and type.
    public func row(_ month: ReportMonth, _ type: Order.OrderType) -> Row? {
        rows.first { $0.month == month && $0.type == type }
    }

    /// Orders of the `months` calendar months ending with `asOf`'s month (through `asOf`).
    public static func compute(in db: Database, asOf: BusinessDate, months: Int = 12) throws -> SalesReport {
        try compute(in: db, ledger: try Ledger.Memory(in: db, asOf: asOf, months: months, figures: [.sales]))
    }

    /// Orders of the ledger's period, from its sums.
    public static func compute(in db: Database, ledger: any LedgerTotals) throws -> SalesReport {
        let found = try ledger.sums(.sales)
        let rows = ledger.months.flatMap { month in
            Order.OrderType.allCases.map { type in
                let sum = found[month.description + " " + type.rawValue] ?? Ledger.Sum()
                return Row(month: month, type: type, count: Int(sum[0]), amount: sum[1])
            }
        }
        return SalesReport(asOf: ledger.asOf, currency: try ReportSQL.currency(in: db), periods: ledger.months, rows: rows)
    }

    /// An amount of this report as `Money`.
    public func money(_ minorUnits: Int64) -> Money { Money(minorUnits: minorUnits, currency: currency) }

    /// `Month, Order type, Orders, Amount (EUR)`.
    public var csvHeader: [String] { ["Month", "Order type", "Orders", "Amount (\(currency.code))"] }

    /// One line per month and order type, as `rows`.
    public var csvRows: [[String]] {
        rows.map { [$0.month.description, $0.type.rawValue, String($0.count), Money.decimalString($0.amount, digits: currency.minorDigits)] }
    }
}
