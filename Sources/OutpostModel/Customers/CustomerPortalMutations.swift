import OutpostStore

/// `portal.enable`: gives an active or suspended customer a read-only portal under a new random key.
public struct EnablePortal: Mutation {
    public static let name = "portal.enable"
    public static let version = 1

    public var customerId: String
    /// Made on the laptop by `CustomerPortal.makeKey()`.
    public var key: String

    public init(customerId: String, key: String) {
        self.customerId = customerId
        self.key = key
    }

    public func apply(in context: MutationContext) throws {
        let customer = try Customer.requireEndCustomer(customerId, in: context.db)
        guard customer.status != .closed else {
            throw MutationRefusal.notAllowed("customer_id", "customer \(customer.name) (\(customerId)) is closed; a closed customer has no portal (activate it first)")
        }
        guard try CustomerPortal.find(customerId: customerId, in: context.db) == nil else {
            throw MutationRefusal(.duplicate, field: "customer_id", "customer \(customerId) already has a portal; outpost portal renew gives it a new address")
        }
        let key = try CustomerPortal.requireNewKey(key, in: context.db)
        try context.insert("customer_portal", [("id", customerId), ("portal_key", key), ("enabled_at", context.now.description)])
    }
}

/// `portal.renew`: moves a customer's portal to a new random key; the old directory goes at the next site build.
public struct RenewPortal: Mutation {
    public static let name = "portal.renew"
    public static let version = 1

    public var customerId: String
    /// Made on the laptop by `CustomerPortal.makeKey()`.
    public var key: String

    public init(customerId: String, key: String) {
        self.customerId = customerId
        self.key = key
    }

    public func apply(in context: MutationContext) throws {
        _ = try Customer.requireEndCustomer(customerId, in: context.db)
        _ = try CustomerPortal.require(customerId: customerId, in: context.db)
        let key = try CustomerPortal.requireNewKey(key, in: context.db)
        try context.update("customer_portal", id: customerId, [("portal_key", key)])
    }
}

/// `portal.disable`: removes a customer's portal; its directory goes at the next site build.
public struct DisablePortal: Mutation {
    public static let name = "portal.disable"
    public static let version = 1

    public var customerId: String

    public init(customerId: String) {
        self.customerId = customerId
    }

    public func apply(in context: MutationContext) throws {
        _ = try Customer.requireEndCustomer(customerId, in: context.db)
        _ = try CustomerPortal.require(customerId: customerId, in: context.db)
        try context.delete("customer_portal", id: customerId)
    }
}
