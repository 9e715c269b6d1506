/// An error from a PostgreSQL store: the server's own fields, never the connection string.
///
/// Keeps SQLSTATE, the primary message, the detail and the statement, as postgres-nio's `PSQLError`
/// does; where the store is named it is by host and database only (`PostgresConnectionString.display`),
/// and any password the connection string held is blanked out of libpq's messages.
public struct PostgresError: StoreFailure, Sendable {
    public let kind: StoreFailureKind
    /// The five-character SQLSTATE (`23505`, `40001`…), when the server sent one.
    public let sqlState: String?
    /// The server's (or libpq's) primary message.
    public let message: String
    /// The server's detail line, when there is one.
    public let detail: String?
    /// The statement that failed, when there was one (its text only; values are bound, never in it).
    public let sql: String?
    /// Which store, as host and database without credentials.
    public let store: String?

    public init(kind: StoreFailureKind, sqlState: String? = nil, message: String, detail: String? = nil,
                sql: String? = nil, store: String? = nil) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.sql = sql
        self.store = store
    }

    /// libpq could not be loaded; names the Debian package that provides it.
    static func libraryMissing(reason: String) -> PostgresError {
        PostgresError(kind: .libraryMissing,
                      message: "a postgresql:// store needs libpq, the PostgreSQL client library, which cannot be loaded here "
                          + "(\(reason)); install the libpq5 package (apt-get install libpq5) or use a node directory instead")
    }

    /// The kind a SQLSTATE belongs to (PostgreSQL docs, appendix A).
    static func kind(sqlState: String?) -> StoreFailureKind {
        guard let sqlState else { return .other }
        switch sqlState {
        case "23505": return .uniqueViolation
        // serialization_failure, deadlock_detected, lock_not_available
        case "40001", "40P01", "55P03": return .mustRetry
        // query_canceled: statement_timeout ended a statement on a slow database; a later try may pass (503, exit 75).
        case "57014": return .mustRetry
        // too_many_connections: the server is full for now.
        case "53300": return .connectionFailed
        // admin_shutdown, crash_shutdown, cannot_connect_now: the server is going away or not up yet.
        case "57P01", "57P02", "57P03": return .connectionFailed
        default:
            if sqlState.hasPrefix("23") { return .constraintViolation }
            // Class 08: connection exception.
            if sqlState.hasPrefix("08") { return .connectionFailed }
            return .other
        }
    }

    public var description: String {
        var text = "PostgreSQL"
        if let store { text += " (\(store))" }
        text += kind == .libraryMissing ? ": " : " error"
        if let sqlState { text += " \(sqlState)" }
        if kind != .libraryMissing { text += ": " }
        text += message
        if let detail, !detail.isEmpty { text += " (\(detail))" }
        if let sql { text += " — while executing `\(sql)`" }
        return text
    }
}
