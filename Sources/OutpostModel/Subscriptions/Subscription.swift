import OutpostStore

/// A customer's running service: a plan, a quantity, a billing period, and the price and cost it was sold at.
public struct Subscription: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable, CaseIterable {
        case pending, active, suspended, cancelled, expired
    }

    public let id: String
    public let customerId: String
    public let planId: String
    public let orderId: String?
    public let quantity: Int
    public let status: Status
    public let periodStart: BusinessDate
    public let periodEnd: BusinessDate
    public let autoRenew: Bool
    public let cancelAtPeriodEnd: Bool
    /// Sale price per unit and period, fixed when sold.
    public let unitPrice: Int64
    /// Cost per unit and period, fixed when sold.
    public let unitCost: Int64
    public let currency: String
    public let createdAt: Timestamp
    public let version: Int64

    public init(row: Row) throws {
        id = try row.string("id")
        customerId = try row.string("customer_id")
        planId = try row.string("plan_id")
        orderId = try row.optionalString("order_id")
        quantity = try row.int("quantity")
        status = Status(rawValue: try row.string("status")) ?? .pending
        periodStart = BusinessDate(try row.string("period_start")) ?? BusinessDate(daysSinceEpoch: 0)
        periodEnd = BusinessDate(try row.string("period_end")) ?? BusinessDate(daysSinceEpoch: 0)
        autoRenew = try row.bool("auto_renew")
        cancelAtPeriodEnd = try row.bool("cancel_at_period_end")
        unitPrice = try row.int64("unit_price")
        unitCost = try row.int64("unit_cost")
        currency = try row.string("currency")
        createdAt = Timestamp(try row.string("created_at")) ?? Timestamp(secondsSinceEpoch: 0)
        version = try row.int64("version")
    }

    /// Margin per period: (price − cost) × quantity.
    public var marginPerPeriod: Int64 { (unitPrice - unitCost) * Int64(quantity) }

    public static func require(_ id: String, in db: any SQLDatabase, field: String = "subscription_id") throws -> Subscription {
        guard let row = try db.row("SELECT * FROM subscription WHERE id = ?", [id]) else {
            throw MutationRefusal.notFound(field, "subscription \(id) does not exist")
        }
        return try Subscription(row: row)
    }

    /// A customer's subscriptions; without one, every customer's (the reseller's own, `Customer.ownAccountId`, are listed apart).
    public static func list(customerId: String?, in db: any SQLDatabase) throws -> [Subscription] {
        try db.rows("SELECT * FROM subscription WHERE CAST(?1 AS TEXT) IS NULL AND customer_id <> 'cus_own' OR customer_id = ?1 ORDER BY customer_id, created_at, id", [customerId])
            .map(Subscription.init(row:))
    }
}
