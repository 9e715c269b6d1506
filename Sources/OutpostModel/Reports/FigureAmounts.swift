import OutpostStore

/// The named amounts a figure adds up per key: a customer's share, and the reseller's sum of them.
///
/// Each type lists its fields once, with the SQL column each is read from; reading a row, adding,
/// and the site cache's stored form all follow that list, so no caller counts positions.
public protocol FigureAmounts: Sendable, Equatable {
    /// Zero in every field.
    init()
    /// Every field, with the column of a share's row it is read from.
    static var fields: [(column: String, path: WritableKeyPath<Self, Int64>)] { get }
}

extension FigureAmounts {
    /// The fields of a share's row; a column the row lacks is an error, never a zero.
    public init(row: Row) throws {
        self.init()
        for field in Self.fields { self[keyPath: field.path] = try ReportSQL.sum(row, field.column) }
    }

    /// The fields in `fields` order: how the site cache stores them.
    public var stored: [Int64] { Self.fields.map { self[keyPath: $0.path] } }

    /// Amounts from their stored form; `nil` when it holds another number of fields.
    public init?(stored: [Int64]) {
        guard stored.count == Self.fields.count else { return nil }
        self.init()
        for (field, value) in zip(Self.fields, stored) { self[keyPath: field.path] = value }
    }

    /// Adds `other` field by field; overflow is an error, never wrapped.
    public mutating func add(_ other: Self) throws {
        for field in Self.fields { self[keyPath: field.path] = try ReportMath.add(self[keyPath: field.path], other[keyPath: field.path]) }
    }

    /// The sum of `all`.
    public static func sum(_ all: some Sequence<Self>) throws -> Self {
        var total = Self()
        for amounts in all { try total.add(amounts) }
        return total
    }
}

/// How many customers (paying, active, new in a month): each customer's share is 1.
public struct CustomerCount: FigureAmounts {
    public var customers: Int64 = 0
    public init() {}
    public static var fields: [(column: String, path: WritableKeyPath<Self, Int64>)] { [("customers", \.customers)] }
}

/// Issued invoices (or credit notes): how many, their subtotals (excluding tax) and totals (including tax).
public struct InvoiceAmounts: FigureAmounts {
    public var count: Int64 = 0
    public var subtotal: Int64 = 0
    public var total: Int64 = 0
    public init() {}
    public static var fields: [(column: String, path: WritableKeyPath<Self, Int64>)] {
        [("count", \.count), ("subtotal", \.subtotal), ("total", \.total)]
    }
}

/// Payments or orders: how many, and their amount.
public struct Tally: FigureAmounts {
    public var count: Int64 = 0
    public var amount: Int64 = 0
    public init() {}
    public init(count: Int64, amount: Int64) {
        self.count = count
        self.amount = amount
    }
    public static var fields: [(column: String, path: WritableKeyPath<Self, Int64>)] { [("count", \.count), ("amount", \.amount)] }
}

/// Invoice line amounts (before rounding any margin).
public struct LineAmount: FigureAmounts {
    public var amount: Int64 = 0
    public init() {}
    public static var fields: [(column: String, path: WritableKeyPath<Self, Int64>)] { [("amount", \.amount)] }
}

/// Receivables as of the figures' date: the aging buckets, the open invoices, and 1 per customer owing.
public struct ReceivableAmounts: FigureAmounts {
    public var buckets = AgingBuckets()
    public var openInvoices: Int64 = 0
    public var customersOwing: Int64 = 0
    public init() {}
    public static var fields: [(column: String, path: WritableKeyPath<Self, Int64>)] {
        [("current", \.buckets.current), ("days1to30", \.buckets.days1to30), ("days31to60", \.buckets.days31to60),
         ("days61to90", \.buckets.days61to90), ("over90", \.buckets.over90), ("open_invoices", \.openInvoices),
         ("customers_owing", \.customersOwing)]
    }
}

/// Receivables at the end of the month before the figures' month: what the home page compares with.
public struct MonthEndReceivables: FigureAmounts {
    /// Everything owed that day.
    public var outstanding: Int64 = 0
    /// The part of it past due that day.
    public var overdue: Int64 = 0
    public init() {}
    public static var fields: [(column: String, path: WritableKeyPath<Self, Int64>)] { [("outstanding", \.outstanding), ("overdue", \.overdue)] }
}

/// One plan's active subscriptions: their MRR (`RecurringRevenue`), and how many expire or renew in 30, 60 and 90 days.
public struct PlanAmounts: FigureAmounts {
    public var mrr: Int64 = 0
    public var mrrCost: Int64 = 0
    public var mrrMargin: Int64 = 0
    public var subscriptions: Int64 = 0
    public var units: Int64 = 0
    public var expiring30: Int64 = 0
    public var expiring60: Int64 = 0
    public var expiring90: Int64 = 0
    public var renewing30: Int64 = 0
    public var renewing60: Int64 = 0
    public var renewing90: Int64 = 0
    public init() {}
    public static var fields: [(column: String, path: WritableKeyPath<Self, Int64>)] {
        [("mrr", \.mrr), ("mrr_cost", \.mrrCost), ("mrr_margin", \.mrrMargin), ("subscriptions", \.subscriptions), ("units", \.units),
         ("expiring30", \.expiring30), ("expiring60", \.expiring60), ("expiring90", \.expiring90),
         ("renewing30", \.renewing30), ("renewing60", \.renewing60), ("renewing90", \.renewing90)]
    }

    /// The MRR part.
    public var recurring: RecurringRevenue {
        var r = RecurringRevenue()
        r.amount = mrr
        r.cost = mrrCost
        r.margin = mrrMargin
        r.subscriptions = Int(subscriptions)
        r.units = units
        return r
    }

    public var expiring: SubscriptionsReport.Windows { .init(in30: Int(expiring30), in60: Int(expiring60), in90: Int(expiring90)) }
    public var renewing: SubscriptionsReport.Windows { .init(in30: Int(renewing30), in60: Int(renewing60), in90: Int(renewing90)) }
}

/// Customers lost and won back in a month (`CustomerDynamicsReport`).
public struct CustomerEvents: FigureAmounts {
    public var churned: Int64 = 0
    public var reactivated: Int64 = 0
    public init() {}
    public static var fields: [(column: String, path: WritableKeyPath<Self, Int64>)] { [("churned", \.churned), ("reactivated", \.reactivated)] }
}

/// MRR moved by completed orders in a month (`CustomerDynamicsReport`).
public struct MRRMovements: FigureAmounts {
    /// Sales and transfers (≥ 0).
    public var new: Int64 = 0
    /// Seats added (≥ 0).
    public var expansion: Int64 = 0
    /// Seats removed (≤ 0).
    public var contraction: Int64 = 0
    /// Cancellations (≤ 0).
    public var churn: Int64 = 0
    public init() {}
    public static var fields: [(column: String, path: WritableKeyPath<Self, Int64>)] {
        [("new_mrr", \.new), ("expansion_mrr", \.expansion), ("contraction_mrr", \.contraction), ("churn_mrr", \.churn)]
    }

    /// new + expansion + contraction + churn.
    public var net: Int64 { new + expansion + contraction + churn }
}

/// Nothing to add up: the items of a list (an overdue invoice, an expiry) are only counted and listed.
public struct NoAmounts: FigureAmounts {
    public init() {}
    public static var fields: [(column: String, path: WritableKeyPath<Self, Int64>)] { [] }
}
