import OutpostStore

/// Payment transactions by month and payment method: how many, and how much.
///
/// Counts completed payments by `received_on` (pending, failed and refunded
/// payments moved no money). Amounts include tax (payments settle invoice totals).
public struct PaymentTransactionsReport: Sendable, Equatable {
    /// One period (month, quarter or year) and method.
    public struct Row: Sendable, Equatable {
        public let period: ReportSpan
        public let method: Payment.Method
        public let count: Int
        public let amount: Int64
    }

    /// A sum over several rows.
    public struct Total: Sendable, Equatable {
        public let count: Int
        public let amount: Int64
    }

    public let asOf: BusinessDate
    public let currency: Currency
    /// The periods covered, oldest first.
    public let periods: [ReportSpan]
    /// Every period × every method (`Payment.Method.allCases` order), zero-filled.
    public let rows: [Row]

    /// Per-period totals over all methods, in `periods` order.
    public var byPeriod: [(period: ReportSpan, total: Total)] {
        periods.map { period in (period, Self.sum(rows.filter { $0.period == period })) }
    }

    /// Per-method totals over the whole report.
    public var methods: [(method: Payment.Method, total: Total)] {
        Payment.Method.allCases.map { method in (method, Self.sum(rows.filter { $0.method == method })) }
    }

    /// Everything in the report.
    public var total: Total { Self.sum(rows) }

    static func sum(_ rows: [Row]) -> Total {
        Total(count: rows.reduce(0) { $0 + $1.count }, amount: rows.reduce(0) { $0 + $1.amount })
    }

    /// Payments of the `months` calendar months ending with `asOf`'s month (through `asOf`).
    public static func compute(in db: Database, asOf: BusinessDate, months: Int = 12) throws -> PaymentTransactionsReport {
        try compute(in: db, totals: try CustomerShares.InMemory(in: db, asOf: asOf, months: months, kinds: [.payments]))
    }

    /// Payments of `periods` (every month of the figures when nil), from the customers' summed shares.
    public static func compute(in db: Database, totals: any FigureTotals, periods: [ReportSpan]? = nil) throws -> PaymentTransactionsReport {
        let periods = periods ?? totals.months.map(ReportSpan.init(month:))
        let found = try totals.sums(Figures.payments).regrouped { key in
            periods.first { $0.contains(key.month) }.map { PaymentKey.Period(period: $0, method: key.method) }
        }
        let rows = periods.flatMap { period in
            Payment.Method.allCases.map { method in
                let sum = found[PaymentKey.Period(period: period, method: method)] ?? Tally()
                return Row(period: period, method: method, count: Int(sum.count), amount: sum.amount)
            }
        }
        return PaymentTransactionsReport(asOf: totals.asOf, currency: try ReportSQL.currency(in: db), periods: periods, rows: rows)
    }

    /// An amount of this report as `Money`.
    public func money(_ minorUnits: Int64) -> Money { Money(minorUnits: minorUnits, currency: currency) }

    /// `Month, Method, Payments, Amount (EUR)` (`Quarter` or `Year` by quarter or year).
    public var csvHeader: [String] { [(periods.first?.kind ?? .month).title, "Method", "Payments", "Amount (\(currency.code))"] }

    /// One line per period and method, as `rows`.
    public var csvRows: [[String]] {
        rows.map { [$0.period.description, $0.method.rawValue, String($0.count), Money.decimalString($0.amount, digits: currency.minorDigits)] }
    }
}

extension PaymentKey {
    /// A period and a method: the payments of a quarter or a year.
    struct Period: Hashable {
        let period: ReportSpan
        let method: Payment.Method
    }
}
