import OutpostStore

/// One sign-in attempt, recorded by the node: to the reseller panel (a sync by a panel user's token,
/// `customerUserId` nil) or to a customer's own panel (imported from the vendor, `customerUserId` set).
public struct LoginEvent: Codable, Sendable, Equatable {
    public enum Result: String, Codable, Sendable, CaseIterable {
        case success, failure
    }

    public let id: String
    public let username: String
    public let at: Timestamp
    /// Where it came from: an address, `sync`, `ssh`.
    public let source: String
    public let result: Result
    /// The customer user who signed in, for a customer's login; nil for a panel user's.
    public let customerUserId: String?
    /// That customer user's customer.
    public let customerId: String?
    public let version: Int64

    public init(row: Row) throws {
        id = try row.string("id")
        username = try row.string("username")
        at = Timestamp(try row.string("at")) ?? Timestamp(secondsSinceEpoch: 0)
        source = try row.string("source")
        result = Result(rawValue: try row.string("result")) ?? .failure
        customerUserId = try row.optionalString("customer_user_id")
        customerId = try row.optionalString("customer_id")
        version = try row.int64("version")
    }

    /// Panel logins, newest first, optionally for one username (customer users' logins are not among them).
    public static func list(username: String?, in db: any SQLDatabase, limit: Int = 1000) throws -> [LoginEvent] {
        try db.rows("SELECT * FROM login_event WHERE customer_user_id IS NULL AND (CAST(?1 AS TEXT) IS NULL OR username = ?1) ORDER BY at DESC, id DESC LIMIT ?2",
                    [username, limit])
            .map(LoginEvent.init(row:))
    }

    /// One customer user's logins, newest first.
    public static func list(customerUserId: String, in db: any SQLDatabase, limit: Int = 50) throws -> [LoginEvent] {
        try db.rows("SELECT * FROM login_event WHERE customer_user_id = ? ORDER BY at DESC, id DESC LIMIT ?", [customerUserId, limit])
            .map(LoginEvent.init(row:))
    }

    /// Usernames that signed in with a token but are no panel user of this reseller, with their last login:
    /// a token names its user freely (`node token issue --user`), and their syncs still count as logins.
    public static func tokenOnlyUsers(in db: any SQLDatabase) throws -> [LoginEvent] {
        try db.rows("""
            SELECT * FROM login_event e WHERE customer_user_id IS NULL
              AND NOT EXISTS (SELECT 1 FROM panel_user u WHERE u.username = e.username)
              AND id = (SELECT f.id FROM login_event f WHERE f.customer_user_id IS NULL AND f.username = e.username ORDER BY f.at DESC, f.id DESC LIMIT 1)
            ORDER BY username
            """).map(LoginEvent.init(row:))
    }

    /// Records an attempt (a node fact; it replicates to the reseller's replicas).
    public static func record(id: String, username: String, source: String, result: Result, in context: MutationContext) throws {
        try context.insert("login_event", [
            ("id", id), ("username", username), ("at", context.now.description), ("source", source), ("result", result.rawValue),
        ])
    }

    /// Records a customer user's sign-in as the vendor reported it, once: an event with the same user,
    /// time, result and source is the same event, so importing a file again changes nothing (returns false).
    @discardableResult
    public static func recordCustomerLogin(_ login: CustomerLogin, id: String, in context: MutationContext) throws -> Bool {
        guard try context.db.scalar("SELECT 1 FROM login_event WHERE customer_user_id = ? AND at = ? AND result = ? AND source = ?",
                                    [login.customerUserId, login.at.description, login.result.rawValue, login.source]) == nil else { return false }
        try context.insert("login_event", [
            ("id", id), ("username", login.username), ("at", login.at.description), ("source", login.source),
            ("result", login.result.rawValue), ("customer_user_id", login.customerUserId), ("customer_id", login.customerId),
        ])
        return true
    }
}
