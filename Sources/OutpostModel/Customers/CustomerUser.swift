import OutpostStore

/// A login of an end customer (to the customer's own control panel).
public struct CustomerUser: Codable, Sendable, Equatable {
    public enum Role: String, Codable, Sendable, CaseIterable {
        case admin, user, billing
    }

    public let id: String
    public let customerId: String
    public let username: String
    public let name: String
    public let email: String
    public let role: Role
    public let createdAt: Timestamp
    public let version: Int64

    public init(row: Row) throws {
        id = try row.string("id")
        customerId = try row.string("customer_id")
        username = try row.string("username")
        name = try row.string("name")
        email = try row.string("email")
        role = Role(rawValue: try row.string("role")) ?? .user
        createdAt = Timestamp(try row.string("created_at")) ?? Timestamp(secondsSinceEpoch: 0)
        version = try row.int64("version")
    }

    public static func require(_ id: String, in db: any SQLDatabase) throws -> CustomerUser {
        guard let row = try db.row("SELECT * FROM customer_user WHERE id = ?", [id]) else {
            throw MutationRefusal.notFound("id", "customer user \(id) does not exist")
        }
        return try CustomerUser(row: row)
    }

    /// A customer's users, or everyone's when `customerId` is nil.
    public static func list(customerId: String?, in db: any SQLDatabase) throws -> [CustomerUser] {
        try db.rows("SELECT * FROM customer_user WHERE CAST(?1 AS TEXT) IS NULL OR customer_id = ?1 ORDER BY customer_id, username", [customerId])
            .map(CustomerUser.init(row:))
    }
}

/// `customer_user.create`: a login for a customer; the username is unique within that customer.
public struct CreateCustomerUser: Mutation {
    public static let name = "customer_user.create"
    public static let version = 1

    public var id: String
    public var customerId: String
    public var username: String
    public var name: String
    public var email: String
    public var role: String = CustomerUser.Role.user.rawValue

    public init(id: String, customerId: String, username: String, name: String, email: String) {
        self.id = id
        self.customerId = customerId
        self.username = username
        self.name = name
        self.email = email
    }

    public func apply(in context: MutationContext) throws {
        let id = try FieldRules.id(id, prefix: "cu", field: "id")
        let customer = try Customer.requireEndCustomer(customerId, in: context.db)
        guard customer.status != .closed else {
            throw MutationRefusal.notAllowed("customer_id", "customer \(customerId) is closed; activate it before adding users")
        }
        let username = try FieldRules.username(username)
        let name = try FieldRules.requiredText(name, field: "name")
        let email = try FieldRules.email(email, required: true)
        let role = try FieldRules.oneOf(role, CustomerUser.Role.self, field: "role")
        try context.requireNew("customer_user", id: id, field: "id", what: "customer user")
        if try context.db.scalar("SELECT 1 FROM customer_user WHERE customer_id = ? AND username = ?", [customerId, username]) != nil {
            throw MutationRefusal(.duplicate, field: "username", "customer \(customerId) already has a user named \(username)")
        }
        try context.insert("customer_user", [
            ("id", id), ("customer_id", customerId), ("username", username), ("name", name), ("email", email),
            ("role", role.rawValue), ("created_at", context.now.description),
        ])
    }
}

/// `customer_user.update`: name, e-mail or role of a customer's login.
public struct UpdateCustomerUser: Mutation {
    public static let name = "customer_user.update"
    public static let version = 1

    public var id: String
    public var baseVersion: Int64
    public var name: String?
    public var email: String?
    public var role: String?

    public init(id: String, baseVersion: Int64) {
        self.id = id
        self.baseVersion = baseVersion
    }

    public func apply(in context: MutationContext) throws {
        let user = try CustomerUser.require(id, in: context.db)
        let name = try FieldRules.requiredText(name ?? user.name, field: "name")
        let email = try FieldRules.email(email ?? user.email, required: true)
        let role = try FieldRules.oneOf(role ?? user.role.rawValue, CustomerUser.Role.self, field: "role")
        try context.update("customer_user", id: id, [("name", name), ("email", email), ("role", role.rawValue)])
    }
}

/// `customer_user.delete`: removes a customer's login.
public struct DeleteCustomerUser: Mutation {
    public static let name = "customer_user.delete"
    public static let version = 1

    public var id: String
    public var baseVersion: Int64

    public init(id: String, baseVersion: Int64) {
        self.id = id
        self.baseVersion = baseVersion
    }

    public func apply(in context: MutationContext) throws {
        _ = try CustomerUser.require(id, in: context.db)
        try context.delete("customer_user", id: id)
    }
}
