import OutpostStore

/// A user of the reseller's own control panel.
public struct PanelUser: Codable, Sendable, Equatable {
    /// What a panel user may do; at least one admin always remains.
    public enum Role: String, Codable, Sendable, CaseIterable {
        case admin, manager, billing, viewer
    }

    public let id: String
    public let username: String
    public let name: String
    public let email: String
    public let role: Role
    public let createdAt: Timestamp
    public let version: Int64

    public init(row: Row) throws {
        id = try row.string("id")
        username = try row.string("username")
        name = try row.string("name")
        email = try row.string("email")
        role = Role(rawValue: try row.string("role")) ?? .viewer
        createdAt = Timestamp(try row.string("created_at")) ?? Timestamp(secondsSinceEpoch: 0)
        version = try row.int64("version")
    }

    public static func require(_ id: String, in db: any SQLDatabase) throws -> PanelUser {
        guard let row = try db.row("SELECT * FROM panel_user WHERE id = ?", [id]) else {
            throw MutationRefusal.notFound("id", "user \(id) does not exist")
        }
        return try PanelUser(row: row)
    }

    public static func list(in db: any SQLDatabase) throws -> [PanelUser] {
        try db.rows("SELECT * FROM panel_user ORDER BY username").map(PanelUser.init(row:))
    }

    static func adminCount(in db: any SQLDatabase) throws -> Int64 {
        try db.scalar("SELECT count(*) FROM panel_user WHERE role = 'admin'")?.int64 ?? 0
    }
}

/// `user.create`: a panel user with a unique username.
public struct CreateUser: Mutation {
    public static let name = "user.create"
    public static let version = 1

    public var id: String
    public var username: String
    public var name: String
    public var email: String
    public var role: String

    public init(id: String, username: String, name: String, email: String, role: String) {
        self.id = id
        self.username = username
        self.name = name
        self.email = email
        self.role = role
    }

    public func apply(in context: MutationContext) throws {
        let id = try FieldRules.id(id, prefix: "usr", field: "id")
        let username = try FieldRules.username(username)
        let name = try FieldRules.requiredText(name, field: "name")
        let email = try FieldRules.email(email, required: true)
        let role = try FieldRules.oneOf(role, PanelUser.Role.self, field: "role")
        try context.requireNew("panel_user", id: id, field: "id", what: "user")
        if try context.db.scalar("SELECT 1 FROM panel_user WHERE username = ?", [username]) != nil {
            throw MutationRefusal(.duplicate, field: "username", "a user named \(username) already exists")
        }
        try context.insert("panel_user", [
            ("id", id), ("username", username), ("name", name), ("email", email), ("role", role.rawValue),
            ("created_at", context.now.description),
        ])
    }
}

/// `user.update`: name, e-mail or role; the last admin keeps the admin role.
public struct UpdateUser: Mutation {
    public static let name = "user.update"
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
        let user = try PanelUser.require(id, in: context.db)
        let name = try FieldRules.requiredText(name ?? user.name, field: "name")
        let email = try FieldRules.email(email ?? user.email, required: true)
        let role = try FieldRules.oneOf(role ?? user.role.rawValue, PanelUser.Role.self, field: "role")
        if user.role == .admin, role != .admin, try PanelUser.adminCount(in: context.db) <= 1 {
            throw MutationRefusal.notAllowed("role", "\(user.username) is the last admin; make another user admin first")
        }
        try context.update("panel_user", id: id, [("name", name), ("email", email), ("role", role.rawValue)])
    }
}

/// `user.delete`: removes a panel user; never the last admin.
public struct DeleteUser: Mutation {
    public static let name = "user.delete"
    public static let version = 1

    public var id: String
    public var baseVersion: Int64

    public init(id: String, baseVersion: Int64) {
        self.id = id
        self.baseVersion = baseVersion
    }

    public func apply(in context: MutationContext) throws {
        let user = try PanelUser.require(id, in: context.db)
        if user.role == .admin, try PanelUser.adminCount(in: context.db) <= 1 {
            throw MutationRefusal.notAllowed("id", "\(user.username) is the last admin and cannot be removed; make another user admin first")
        }
        try context.delete("panel_user", id: id)
    }
}
