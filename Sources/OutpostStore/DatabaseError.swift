import CSQLite

/// An error reported by SQLite, with what a reader needs to find its cause.
///
/// Carries the extended result code, SQLite's own message and the SQL that
/// failed (as GRDB's `DatabaseError` does), so a log line names the statement.
public struct DatabaseError: Error, Sendable, CustomStringConvertible {
    /// The extended result code (`SQLITE_CONSTRAINT_UNIQUE` = 2067, …).
    public let extendedCode: Int32
    /// SQLite's message, from `sqlite3_errmsg`.
    public let message: String
    /// The statement that failed, when there was one.
    public let sql: String?

    public init(extendedCode: Int32, message: String, sql: String? = nil) {
        self.extendedCode = extendedCode
        self.message = message
        self.sql = sql
    }

    /// The primary result code (the low byte of the extended code).
    public var code: Int32 { extendedCode & 0xff }

    /// Whether the database was busy or locked by another connection.
    public var isBusy: Bool { code == SQLITE_BUSY || code == SQLITE_LOCKED }

    /// Whether a constraint (unique, foreign key, check, not null) failed.
    public var isConstraintViolation: Bool { code == SQLITE_CONSTRAINT }

    /// Whether the file is not a database, or is damaged.
    public var isNotADatabase: Bool { code == SQLITE_NOTADB || code == SQLITE_CORRUPT }

    public var description: String {
        var text = "SQLite error \(extendedCode): \(message)"
        if let sql { text += " — while executing `\(sql)`" }
        return text
    }
}
