import OutpostStore

/// One sign-in attempt to the panel, recorded by the node.
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
    public let version: Int64

    public init(row: Row) throws {
        id = try row.string("id")
        username = try row.string("username")
        at = Timestamp(try row.string("at")) ?? Timestamp(secondsSinceEpoch: 0)
        source = try row.string("source")
        result = Result(rawValue: try row.string("result")) ?? .failure
        version = try row.int64("version")
    }

    /// Newest first, optionally for one username.
    public static func list(username: String?, in db: Database, limit: Int = 1000) throws -> [LoginEvent] {
        try db.rows("SELECT * FROM login_event WHERE ?1 IS NULL OR username = ?1 ORDER BY at DESC, id DESC LIMIT ?2", [username, limit])
            .map(LoginEvent.init(row:))
    }

    /// Records an attempt (a node fact; it replicates to the reseller's replicas).
    public static func record(id: String, username: String, source: String, result: Result, in context: MutationContext) throws {
        try context.insert("login_event", [
            ("id", id), ("username", username), ("at", context.now.description), ("source", source), ("result", result.rawValue),
        ])
    }
}
