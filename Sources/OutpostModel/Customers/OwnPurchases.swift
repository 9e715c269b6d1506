import OutpostStore

/// What the reseller bought for its own use ("Settings → My product subscriptions"): the orders,
/// subscriptions and invoices of `Customer.ownAccountId`, at the distributor's cost.
///
/// Shown apart (`outpost own list`, the "Own purchases" page) because they are no customer's:
/// the reports and the home page leave them out.
public struct OwnPurchases: Sendable, Encodable {
    /// An own subscription with its plan and what it costs per month.
    public struct Item: Sendable, Encodable {
        public let subscription: Subscription
        public let planName: String
        /// `unit_cost × quantity` per month: a twelfth of it for annual plans, rounded half away from zero.
        public let costPerMonth: Int64
    }

    public let currency: String
    public let subscriptions: [Item]
    public let orders: [Order]
    public let invoices: [Invoice]

    /// Own subscriptions that are active (what `costPerMonth` adds up).
    public var activeSubscriptions: Int { subscriptions.filter { $0.subscription.status == .active }.count }
    /// What the active own subscriptions cost per month.
    public var costPerMonth: Int64 { subscriptions.filter { $0.subscription.status == .active }.reduce(0) { $0 + $1.costPerMonth } }

    private enum CodingKeys: String, CodingKey {
        case currency, subscriptions, orders, invoices, activeSubscriptions, costPerMonth
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(currency, forKey: .currency)
        try container.encode(activeSubscriptions, forKey: .activeSubscriptions)
        try container.encode(costPerMonth, forKey: .costPerMonth)
        try container.encode(subscriptions, forKey: .subscriptions)
        try container.encode(orders, forKey: .orders)
        try container.encode(invoices, forKey: .invoices)
    }

    /// The reseller's own purchases as the replica (or the node) holds them.
    public static func load(from db: any SQLDatabase) throws -> OwnPurchases {
        var items: [Item] = []
        // The same monthly rule as MRR (`RecurringRevenue`), so the two read alike.
        try db.forEachRow("""
            SELECT s.*, p.name AS plan_name, \(ReportSQL.monthly("s.unit_cost * s.quantity", periodColumn: "p.billing_period")) AS cost_per_month
            FROM subscription s JOIN plan p ON p.id = s.plan_id
            WHERE s.customer_id = ? ORDER BY s.created_at, s.id
            """, [Customer.ownAccountId]) { row in
            items.append(Item(subscription: try Subscription(row: row), planName: try row.string("plan_name"),
                              costPerMonth: try ReportSQL.integer(row, "cost_per_month")))
        }
        return OwnPurchases(currency: try ResellerSettings.load(from: db).currency, subscriptions: items,
                            orders: try Order.list(customerId: Customer.ownAccountId, in: db),
                            invoices: try Invoice.list(customerId: Customer.ownAccountId, in: db))
    }
}
