import OutpostStore

/// A request to the distributor: a sale, renewal, change, cancellation or transfer, with its lines.
public struct Order: Codable, Sendable, Equatable {
    public enum OrderType: String, Codable, Sendable, CaseIterable {
        case sales, renewal, change, cancellation, transfer
    }

    public enum Status: String, Codable, Sendable, CaseIterable {
        /// Made on a replica, not yet pushed.
        case queued
        /// Accepted by the node and numbered, waiting for provisioning.
        case submitted
        case provisioning, completed, failed, rejected

        /// Whether the order still waits for the provisioning queue.
        public var isOpen: Bool { self == .queued || self == .submitted || self == .provisioning }
    }

    public enum CancelMode: String, Codable, Sendable, CaseIterable {
        case now
        case periodEnd = "period_end"
    }

    public let id: String
    /// `ORD-000123`, assigned by the node; `nil` means pending.
    public let number: String?
    public let customerId: String
    public let subscriptionId: String?
    public let type: OrderType
    public let status: Status
    public let cancelMode: CancelMode?
    public let placedAt: Timestamp
    public let total: Int64
    public let currency: String
    public let statusReason: String
    public let version: Int64

    public init(row: Row) throws {
        id = try row.string("id")
        number = try row.optionalString("number")
        customerId = try row.string("customer_id")
        subscriptionId = try row.optionalString("subscription_id")
        type = OrderType(rawValue: try row.string("type")) ?? .sales
        status = Status(rawValue: try row.string("status")) ?? .queued
        cancelMode = try row.optionalString("cancel_mode").flatMap(CancelMode.init(rawValue:))
        placedAt = Timestamp(try row.string("placed_at")) ?? Timestamp(secondsSinceEpoch: 0)
        total = try row.int64("total")
        currency = try row.string("currency")
        statusReason = try row.string("status_reason")
        version = try row.int64("version")
    }

    /// The number for people: `ORD-000123`, or `pending` until the node assigns one.
    public var displayNumber: String { number ?? "pending" }

    public static func require(_ id: String, in db: any SQLDatabase) throws -> Order {
        guard let row = try db.row("SELECT * FROM orders WHERE id = ?", [id]) else {
            throw MutationRefusal.notFound("id", "order \(id) does not exist")
        }
        return try Order(row: row)
    }

    /// Orders by number (zero-padded, so by length first), then the pending ones by when they were placed.
    /// Without a customer, every customer's: the reseller's own (`Customer.ownAccountId`) are listed apart.
    public static func list(customerId: String?, status: Status? = nil, in db: any SQLDatabase) throws -> [Order] {
        try db.rows("""
            SELECT * FROM orders WHERE (CAST(?1 AS TEXT) IS NULL AND customer_id <> 'cus_own' OR customer_id = ?1) AND (CAST(?2 AS TEXT) IS NULL OR status = ?2)
            ORDER BY number IS NULL, length(number), number, placed_at, id
            """, [customerId, status?.rawValue]).map(Order.init(row:))
    }

    public func lines(in db: any SQLDatabase) throws -> [OrderLine] {
        try db.rows("SELECT * FROM order_line WHERE order_id = ? ORDER BY id", [id]).map(OrderLine.init(row:))
    }
}

/// One line of an order: plan, signed quantity, unit price and cost, signed amount.
public struct OrderLine: Codable, Sendable, Equatable {
    public let id: String
    public let orderId: String
    public let planId: String
    public let description: String
    public let quantity: Int
    public let unitPrice: Int64
    public let unitCost: Int64
    public let amount: Int64
    public let domainName: String
    public let commonName: String
    public let version: Int64

    public init(row: Row) throws {
        id = try row.string("id")
        orderId = try row.string("order_id")
        planId = try row.string("plan_id")
        description = try row.string("description")
        quantity = try row.int("quantity")
        unitPrice = try row.int64("unit_price")
        unitCost = try row.int64("unit_cost")
        amount = try row.int64("amount")
        domainName = try row.string("domain_name")
        commonName = try row.string("common_name")
        version = try row.int64("version")
    }
}
