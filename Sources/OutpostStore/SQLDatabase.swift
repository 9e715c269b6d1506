/// What a store can do, whichever database holds it: the narrow interface the node's code and the
/// mutation code use, implemented by SQLite's `Database` and by `PostgresDatabase`.
///
/// As GRDB's `DatabaseWriter` is implemented by its queue and its pool, callers hold `any SQLDatabase`
/// and do not ask which one it is. SQL is written once, with `?` markers, in the subset both speak;
/// where a statement must differ, both versions sit side by side, chosen by `dialect`. Values always
/// travel as bound parameters. A connection is not `Sendable`: one owner uses it.
///
/// One difference callers must know: after a failed statement PostgreSQL refuses everything else in
/// the transaction until it rolls back, where SQLite carries on. Code that catches a statement's error
/// and goes on inside a transaction runs the statement in a `savepoint` — which then behaves alike on both.
public protocol SQLDatabase: AnyObject {
    /// Which SQL dialect this store speaks, for the few statements that must differ.
    var dialect: SQLDialect { get }

    /// Runs one statement with bound arguments.
    func execute(_ sql: String, _ arguments: [any SQLBindable]) throws

    /// Runs one statement whose result nobody reads (a log entry, a verdict): PostgreSQL sends it without
    /// waiting for the answer, which comes back with the next statement that waits; that statement (or the
    /// commit) throws its error, and the transaction fails with it — also when the statement was sent inside a
    /// savepoint that has ended since. SQLite, in the process, runs it at once. Not counted in `changes`.
    /// For statements that fail only when something is already wrong (a log entry, a verdict).
    func executeLater(_ sql: String, _ arguments: [any SQLBindable]) throws

    /// Runs several `;`-separated statements that take no arguments (schema scripts).
    func executeScript(_ sql: String) throws

    /// All rows of a query.
    func rows(_ sql: String, _ arguments: [any SQLBindable]) throws -> [Row]

    /// The first row of a query, if any.
    func row(_ sql: String, _ arguments: [any SQLBindable]) throws -> Row?

    /// The first column of the first row, if any.
    func scalar(_ sql: String, _ arguments: [any SQLBindable]) throws -> SQLValue?

    /// Calls `body` for each row.
    func forEachRow(_ sql: String, _ arguments: [any SQLBindable], _ body: (Row) throws -> Void) throws

    /// Calls `body` for each row until it returns `false`.
    func forEachRowWhile(_ sql: String, _ arguments: [any SQLBindable], _ body: (Row) throws -> Bool) throws

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    var changes: Int { get }

    /// Whether a transaction is open on this connection.
    var isInTransaction: Bool { get }

    /// Runs `body` in a write transaction: commits when it returns, rolls back when it throws.
    /// Inside another transaction it is a savepoint, so nested work rolls back alone.
    func transaction<T>(_ body: () throws -> T) throws -> T

    /// Runs `body` in a savepoint: released when it returns, rolled back to when it throws.
    func savepoint<T>(_ body: () throws -> T) throws -> T

    /// Runs `body` in a transaction whose reads all see one state of the database (a pull's page and
    /// its digests, a digest answer's head and tables): SQLite's deferred transaction, PostgreSQL's
    /// REPEATABLE READ (its default, READ COMMITTED, takes a new snapshot per statement). Inside
    /// another transaction it is a savepoint of that one.
    func readTransaction<T>(_ body: () throws -> T) throws -> T
}

/// The SQL a store speaks.
public enum SQLDialect: String, Sendable, CaseIterable {
    case sqlite
    case postgresql
}

extension SQLDatabase {
    /// Runs one statement that takes no arguments.
    public func execute(_ sql: String) throws { try execute(sql, []) }

    /// All rows of a query without arguments.
    public func rows(_ sql: String) throws -> [Row] { try rows(sql, []) }

    /// The first row of a query without arguments.
    public func row(_ sql: String) throws -> Row? { try row(sql, []) }

    /// The first column of the first row of a query without arguments.
    public func scalar(_ sql: String) throws -> SQLValue? { try scalar(sql, []) }

    /// Calls `body` for each row of a query without arguments.
    public func forEachRow(_ sql: String, _ body: (Row) throws -> Void) throws { try forEachRow(sql, [], body) }

    /// The rows of `select`, whose last clauses are `WHERE key > ? ORDER BY key`, after `start`, to `body` until it
    /// returns false, read `chunk` rows per query with the last key read as the next start. PostgreSQL sends a
    /// query's whole result at once: a long table or log read in one query is held in memory whole, and a reader
    /// that stops early (a pull page full at its byte limit) has fetched all the rest for nothing. Callers that need
    /// one state of the database read in one (read) transaction.
    public func forEachRowInKeyOrder(_ select: String, after start: SQLValue, key: String, chunk: Int = 1_000,
                                     _ body: (Row) throws -> Bool) throws {
        var after = start
        while true {
            var count = 0
            var stopped = false
            try forEachRowWhile(select + " LIMIT ?", [after, chunk]) { row in
                count += 1
                after = row[key]
                stopped = try !body(row)
                return !stopped
            }
            if stopped || count < chunk { return }
        }
    }
}

extension Database: SQLDatabase {
    /// Always `.sqlite`.
    public var dialect: SQLDialect { .sqlite }

    /// In the process there is no round trip to save: runs the statement now.
    public func executeLater(_ sql: String, _ arguments: [any SQLBindable]) throws {
        try execute(sql, arguments)
    }

    /// An immediate transaction (the write lock is taken at `BEGIN`), or a savepoint inside one.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try transaction(.immediate, body)
    }

    /// A deferred transaction: it takes no write lock, and its reads see one snapshot (WAL).
    public func readTransaction<T>(_ body: () throws -> T) throws -> T {
        try transaction(.deferred, body)
    }
}
