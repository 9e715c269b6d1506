/// What went wrong in a store, in the terms a caller acts on, the same for SQLite and PostgreSQL.
///
/// The node turns `connectionFailed` and `mustRetry` into 503 with `Retry-After` (a command into exit 75),
/// `uniqueViolation` into "already done" where a unique key guards exactly-once, and `libraryMissing`
/// into exit 69.
public enum StoreFailureKind: Sendable, Hashable {
    /// The database could not be reached, or the connection was lost: try again later.
    case connectionFailed
    /// The transaction lost a race (PostgreSQL's serialization failure or deadlock, SQLite's busy
    /// or locked) and may succeed when run again from its start.
    case mustRetry
    /// A unique or primary key already holds the value (SQLSTATE 23505, `SQLITE_CONSTRAINT_UNIQUE`).
    case uniqueViolation
    /// Another constraint failed: foreign key, check, not null.
    case constraintViolation
    /// libpq is not installed on this machine, so a PostgreSQL store cannot be used.
    case libraryMissing
    /// Anything else: a bug, bad SQL, a damaged file, a full disk.
    case other

    /// The sysexits code a command exits with for this failure: 69 EX_UNAVAILABLE for a missing
    /// library, 75 EX_TEMPFAIL for what may pass on a later try, 65 EX_DATAERR for a refused value,
    /// 74 EX_IOERR for the rest.
    public var exitCode: Int32 {
        switch self {
        case .libraryMissing: return 69
        case .connectionFailed, .mustRetry: return 75
        case .uniqueViolation, .constraintViolation: return 65
        case .other: return 74
        }
    }
}

/// An error from a store that says which `StoreFailureKind` it is.
public protocol StoreFailure: Error, CustomStringConvertible {
    /// What kind of failure, for deciding between retry, refusal and report.
    var kind: StoreFailureKind { get }
}
