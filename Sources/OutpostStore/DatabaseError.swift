import CSQLite
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
    /// The operating system's `errno` behind an I/O failure (`sqlite3_system_errno`); 0 when there is none.
    public let systemErrno: Int32
    /// The database file, when the error came from a connection.
    public let file: String?

    public init(extendedCode: Int32, message: String, sql: String? = nil, systemErrno: Int32 = 0, file: String? = nil) {
        self.extendedCode = extendedCode
        self.message = message
        self.sql = sql
        self.systemErrno = systemErrno
        self.file = file
    }

    /// The primary result code (the low byte of the extended code).
    public var code: Int32 { extendedCode & 0xff }

    /// Whether the database was busy or locked by another connection.
    public var isBusy: Bool { code == SQLITE_BUSY || code == SQLITE_LOCKED }

    /// Whether a constraint (unique, foreign key, check, not null) failed.
    public var isConstraintViolation: Bool { code == SQLITE_CONSTRAINT }

    /// Whether the file is not a database, or is damaged.
    public var isNotADatabase: Bool { code == SQLITE_NOTADB || code == SQLITE_CORRUPT }

    /// Whether the disk holding the database is full (or the user's quota spent): `SQLITE_FULL`, or an I/O
    /// error whose cause was `ENOSPC`/`EDQUOT` — growing the WAL index (`-shm`) on a full disk fails as
    /// `SQLITE_IOERR_SHMSIZE` on the very first statement, not as `SQLITE_FULL`.
    public var isDiskFull: Bool {
        code == SQLITE_FULL || (code == SQLITE_IOERR && (systemErrno == ENOSPC || systemErrno == EDQUOT))
    }

    public var description: String {
        var text = "SQLite error \(extendedCode): \(message)"
        if let sql { text += " — while executing `\(sql)`" }
        return text
    }
}

extension DatabaseError: StoreFailure {
    /// SQLite's result code sorted into the kinds both stores share.
    public var kind: StoreFailureKind {
        // SQLITE_CONSTRAINT_UNIQUE and _PRIMARYKEY are macros Swift cannot import: (19 | 8 << 8), (19 | 6 << 8).
        if extendedCode == SQLITE_CONSTRAINT | 8 << 8 || extendedCode == SQLITE_CONSTRAINT | 6 << 8 { return .uniqueViolation }
        if isConstraintViolation { return .constraintViolation }
        if isBusy { return .mustRetry }
        return .other
    }
}
