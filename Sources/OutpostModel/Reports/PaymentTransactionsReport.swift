import OutpostStore

/// Payment transactions by month and payment method: how many, and how much.
///
/// Counts completed payments by `received_on` (pending, failed and refunded
/// payments moved no money). Amounts include tax (payments settle invoice totals).
public struct PaymentTransactionsReport: Sendable, Equatable {
    /// One month and method.
    public struct Row: Sendable, Equatable {
        public let month: ReportMonth
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
    /// The months covered, oldest first.
    public let periods: [ReportMonth]
    /// Every month × every method (`Payment.Method.allCases` order), zero-filled.
    public let rows: [Row]

    /// Per-month totals over all methods, in `periods` order.
    public var months: [(month: ReportMonth, total: Total)] {
        periods.map { month in (month, Self.sum(rows.filter { $0.month == month })) }
    }

    /// Per-method totals over the whole period.
    public var methods: [(method: Payment.Method, total: Total)] {
        Payment.Method.allCases.map { method in (method, Self.sum(rows.filter { $0.method == method })) }
    }

    /// Everything in the period.
    public var total: Total { Self.sum(rows) }

    static func sum(_ rows: [Row]) -> Total {
        Total(count: rows.reduce(0) { $0 + $1.count }, amount: rows.reduce(0) { $0 + $1.amount })
    }

    /// Payments of the `months` calendar months ending with `asOf`'s month (through `asOf`).
    public static func compute(in db: Database, asOf: BusinessDate, months: Int = 12) throws -> PaymentTransactionsReport {
        try compute(in: db, ledger: try Ledger.Memory(in: db, asOf: asOf, months: months, figures: [.payments]))
    }

    /// Payments of the ledger's period, from its sums.
    public static func compute(in db: Database, ledger: any LedgerTotals) throws -> PaymentTransactionsReport {
        let found = try ledger.sums(.payments)
        let rows = ledger.months.flatMap { month in
            Payment.Method.allCases.map { method in
                let sum = found[month.description + " " + method.rawValue] ?? Ledger.Sum()
                return Row(month: month, method: method, count: Int(sum[0]), amount: sum[1])
            }
        }
        return PaymentTransactionsReport(asOf: ledger.asOf, currency: try ReportSQL.currency(in: db), periods: ledger.months, rows: rows)
    }

    /// An amount of this report as `Money`.
    public func money(_ minorUnits: Int64) -> Money { Money(minorUnits: minorUnits, currency: currency) }

    /// `Month, Method, Payments, Amount (EUR)`.
    public var csvHeader: [String] { ["Month", "Method", "Payments", "Amount (\(currency.code))"] }

    /// One line per month and method, as `rows`.
    public var csvRows: [[String]] {
        rows.map { [$0.month.description, $0.method.rawValue, String($0.count), Money.decimalString($0.amount, digits: currency.minorDigits)] }
    }
}
