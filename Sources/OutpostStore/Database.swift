import CSQLite
#if canImport(Glibc)
import Glibc
#endif

/// A connection to one SQLite database file.
///
/// Not `Sendable`: one owner uses it. Opened as GRDB opens its connections:
/// extended result codes, `foreign_keys = ON`, WAL (checked, not assumed),
/// `synchronous = FULL`, a busy timeout; writes take `BEGIN IMMEDIATE` so
/// two writers queue on the busy timeout instead of failing on upgrade.
public final class Database {
    /// How the file is opened.
    public enum Mode: Sendable {
        /// Read and write; create the file when it is missing.
        case readWriteCreate
        /// Read and write an existing file.
        case readWrite
        /// Read only (dashboards, status).
        case readOnly
    }

    /// The file path, or `:memory:`.
    public let path: String
    let handle: OpaquePointer
    private var statementCache: [String: Statement] = [:]
    private var savepointDepth = 0

    /// SQLite's process-wide settings, made once before the first connection opens. Memory statistics off: with
    /// them on, every allocation SQLite makes takes a global mutex, a tenth of a pull's apply thread (perf, issue 16).
    private static let configured: Void = {
        _ = csqlite_disable_memstatus()
    }()

    /// Opens (and for `.readWriteCreate` creates) the database at `path`.
    ///
    /// - Parameter busyTimeoutMilliseconds: how long a statement waits for
    ///   another connection's lock before failing with `SQLITE_BUSY`.
    public init(path: String, mode: Mode = .readWriteCreate, busyTimeoutMilliseconds: Int32 = 5000) throws {
        _ = Self.configured
        self.path = path
        var flags: Int32 = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI
        switch mode {
        case .readWriteCreate: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        case .readWrite: flags |= SQLITE_OPEN_READWRITE
        case .readOnly: flags |= SQLITE_OPEN_READONLY
        }
        if mode == .readWriteCreate, !path.isEmpty, path != ":memory:", !path.hasPrefix("file:") {
            // SQLite would create the file 0644 (less the umask), and it gives the -wal and -shm files the
            // database's own mode: made here first, for its owner alone, all three are private (a replica
            // holds a reseller's customers; another local user must not read them). An existing file is kept.
            let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if descriptor >= 0 { close(descriptor) }
        }
        var connection: OpaquePointer?
        let rc = sqlite3_open_v2(path, &connection, flags, nil)
        guard rc == SQLITE_OK, let connection else {
            // sqlite3_open_v2 allocates a handle even on failure; it must be closed.
            let message = connection.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open database"
            let extended = connection.map { sqlite3_extended_errcode($0) } ?? rc
            let systemErrno = connection.map { sqlite3_system_errno($0) } ?? 0
            sqlite3_close_v2(connection)
            throw DatabaseError(extendedCode: extended, message: "\(message) (\(path))", systemErrno: systemErrno, file: path)
        }
        self.handle = connection
        sqlite3_extended_result_codes(connection, 1)
        sqlite3_busy_timeout(connection, busyTimeoutMilliseconds)
        // On failure `deinit` closes the handle: the object is fully built here.
        try configure(mode: mode)
    }

    /// A private in-memory database (for tests and scratch work).
    public static func inMemory() throws -> Database {
        try Database(path: ":memory:")
    }

    deinit {
        statementCache.removeAll()
        sqlite3_close_v2(handle)
    }

    private func configure(mode: Mode) throws {
        try executeScript("PRAGMA foreign_keys = ON")
        // Reading a pragma forces SQLite to read the header: a file that is
        // not a database fails here with SQLITE_NOTADB instead of later.
        _ = try scalar("PRAGMA schema_version")
        guard mode != .readOnly, path != ":memory:" else { return }
        let journal = try scalar("PRAGMA journal_mode = WAL")?.string?.lowercased()
        guard journal == "wal" else {
            throw DatabaseError(extendedCode: SQLITE_ERROR, message: "journal_mode = WAL returned \(journal ?? "nothing")", sql: "PRAGMA journal_mode = WAL")
        }
        // FULL, not GRDB's NORMAL: in WAL mode NORMAL lets a power loss take back commits that were
        // already reported — a push the node acknowledged, a write the CLI said it queued
        // (sync/PROTOCOL.md 9). FULL syncs the WAL at each commit, so writers that must be fast
        // commit many changes at once (the node's push does one commit per request).
        try executeScript("PRAGMA synchronous = FULL")
    }

    /// Runs `body` with its commits not waiting for the disk (`synchronous = NORMAL`), then back to FULL: for records
    /// whose newest line a power cut may take back (a sync's run log), never for state a promise rests on. In WAL
    /// mode the next ordinary commit puts them on the disk with its own. Outside a transaction only.
    public func withoutDiskSync<T>(_ body: () throws -> T) throws -> T {
        try executeScript("PRAGMA synchronous = NORMAL")
        defer {
            // Left at NORMAL, a later commit reported to a user could be lost: better to stop here.
            do { try executeScript("PRAGMA synchronous = FULL") } catch { preconditionFailure("cannot set synchronous = FULL again: \(error)") }
        }
        return try body()
    }

    func error(code: Int32, sql: String?) -> DatabaseError {
        let extended = sqlite3_extended_errcode(handle)
        // Use the connection's extended code when it refines the one returned.
        let chosen = (extended & 0xff) == (code & 0xff) ? extended : code
        return DatabaseError(extendedCode: chosen, message: String(cString: sqlite3_errmsg(handle)), sql: sql,
                             systemErrno: sqlite3_system_errno(handle), file: path)
    }

    // MARK: Statements

    /// A prepared statement for `sql`, cached for reuse by this connection.
    ///
    /// While the cached statement is being stepped (a query run again from
    /// inside its own row loop), a fresh uncached statement is returned so
    /// the outer iteration is not reset.
    public func cachedStatement(_ sql: String) throws -> Statement {
        if let statement = statementCache[sql] {
            guard sqlite3_stmt_busy(statement.handle) != 0 else { return statement }
            return try Statement(database: self, sql: sql)
        }
        let statement = try Statement(database: self, sql: sql)
        statementCache[sql] = statement
        return statement
    }

    /// Runs one statement with bound arguments.
    public func execute(_ sql: String, _ arguments: [any SQLBindable] = []) throws {
        try cachedStatement(sql).execute(arguments.map(\.sqlValue))
    }

    /// Runs several `;`-separated statements that take no arguments (schema scripts, pragmas).
    public func executeScript(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &message)
        if rc != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(message)
            throw DatabaseError(extendedCode: sqlite3_extended_errcode(handle), message: text, sql: sql,
                                systemErrno: sqlite3_system_errno(handle), file: path)
        }
    }

    /// All rows of a query.
    public func rows(_ sql: String, _ arguments: [any SQLBindable] = []) throws -> [Row] {
        var result: [Row] = []
        try cachedStatement(sql).forEachRow(arguments.map(\.sqlValue)) { result.append($0) }
        return result
    }

    /// The first row of a query, if any.
    public func row(_ sql: String, _ arguments: [any SQLBindable] = []) throws -> Row? {
        let statement = try cachedStatement(sql)
        try statement.bind(arguments.map(\.sqlValue))
        defer { statement.reset() }
        return try statement.step() ? statement.currentRow() : nil
    }

    /// The first column of the first row, if any.
    public func scalar(_ sql: String, _ arguments: [any SQLBindable] = []) throws -> SQLValue? {
        let statement = try cachedStatement(sql)
        try statement.bind(arguments.map(\.sqlValue))
        defer { statement.reset() }
        return try statement.step() ? statement.value(at: 0) : nil
    }

    /// Calls `body` for each row without collecting them.
    public func forEachRow(_ sql: String, _ arguments: [any SQLBindable] = [], _ body: (Row) throws -> Void) throws {
        try cachedStatement(sql).forEachRow(arguments.map(\.sqlValue), body)
    }

    /// Calls `body` for each row until it returns `false`; stops stepping there (no wasted scan).
    public func forEachRowWhile(_ sql: String, _ arguments: [any SQLBindable] = [], _ body: (Row) throws -> Bool) throws {
        let statement = try cachedStatement(sql)
        try statement.bind(arguments.map(\.sqlValue))
        defer { statement.reset() }
        while try statement.step() {
            guard try body(statement.currentRow()) else { return }
        }
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    public var changes: Int { Int(sqlite3_changes(handle)) }

    /// Whether a transaction is open on this connection.
    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    // MARK: Transactions

    /// How a transaction takes its lock.
    public enum TransactionKind: String, Sendable {
        case deferred = "DEFERRED"
        case immediate = "IMMEDIATE"
        case exclusive = "EXCLUSIVE"
    }

    /// Runs `body` in a transaction: commits when it returns, rolls back when it throws.
    ///
    /// Called inside another transaction, it becomes a savepoint, so nested
    /// work rolls back alone.
    public func transaction<T>(_ kind: TransactionKind = .immediate, _ body: () throws -> T) throws -> T {
        if isInTransaction { return try savepoint(body) }
        try executeScript("BEGIN \(kind.rawValue) TRANSACTION")
        let result: T
        do {
            result = try body()
        } catch {
            rollbackQuietly()
            throw error
        }
        do {
            try executeScript("COMMIT TRANSACTION")
        } catch {
            rollbackQuietly()
            throw error
        }
        return result
    }

    /// Runs `body` in a savepoint: released when it returns, rolled back to (and released) when it throws.
    public func savepoint<T>(_ body: () throws -> T) throws -> T {
        savepointDepth += 1
        defer { savepointDepth -= 1 }
        let name = "outpost_sp\(savepointDepth)"
        try executeScript("SAVEPOINT \(name)")
        let result: T
        do {
            result = try body()
        } catch {
            try? executeScript("ROLLBACK TO SAVEPOINT \(name); RELEASE SAVEPOINT \(name)")
            throw error
        }
        do {
            // Outside a transaction RELEASE is the commit, and can fail (a deferred foreign key).
            try executeScript("RELEASE SAVEPOINT \(name)")
        } catch {
            try? executeScript("ROLLBACK TO SAVEPOINT \(name); RELEASE SAVEPOINT \(name)")
            throw error
        }
        return result
    }

    private func rollbackQuietly() {
        // After some errors (SQLITE_FULL, SQLITE_IOERR…) SQLite has already
        // rolled back; a second ROLLBACK then fails harmlessly.
        if isInTransaction { try? executeScript("ROLLBACK TRANSACTION") }
    }

    // MARK: Schema

    /// `PRAGMA user_version`: the schema version the migrator has reached.
    public func userVersion() throws -> Int {
        Int(try scalar("PRAGMA user_version")?.int64 ?? 0)
    }

    func setUserVersion(_ version: Int) throws {
        // PRAGMA arguments cannot be bound; this is an integer we produced.
        try executeScript("PRAGMA user_version = \(version)")
    }

    /// Violations of foreign keys, as `table(rowid) -> parent` lines; empty when all hold.
    public func foreignKeyViolations() throws -> [String] {
        try rows("PRAGMA foreign_key_check").map { row in
            "\(row[0].string ?? "?")(\(row[1].int64 ?? -1)) -> \(row[2].string ?? "?")"
        }
    }

    /// Copies this database, consistently, into a new file at `path` with SQLite's online
    /// backup API, while other connections go on reading and writing.
    public func backup(to path: String) throws {
        let target = try Database(path: path)
        guard let backup = sqlite3_backup_init(target.handle, "main", handle, "main") else {
            throw target.error(code: sqlite3_errcode(target.handle), sql: nil)
        }
        var rc: Int32
        repeat {
            // All pages in one step, under one read transaction: a consistent copy even while
            // writers go on (WAL lets them); a busy source is retried rather than failed.
            rc = sqlite3_backup_step(backup, -1)
            if rc == SQLITE_BUSY || rc == SQLITE_LOCKED { sqlite3_sleep(20) }
        } while rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED
        let finish = sqlite3_backup_finish(backup)
        guard rc == SQLITE_DONE, finish == SQLITE_OK else {
            throw DatabaseError(extendedCode: rc == SQLITE_DONE ? finish : rc, message: String(cString: sqlite3_errmsg(target.handle)), sql: nil)
        }
    }

    /// `PRAGMA integrity_check`: `["ok"]` for a sound file.
    public func integrityCheck() throws -> [String] {
        try rows("PRAGMA integrity_check").compactMap { $0[0].string }
    }
}
