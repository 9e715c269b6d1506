import CLibPQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A connection to a PostgreSQL database, through libpq loaded at first use.
///
/// Not `Sendable`: one owner uses it, as with SQLite's `Database`. Every statement goes through
/// `PQexecParams` with its values bound (`?` markers are translated to `$n`, `PostgresPlaceholders`);
/// results come back as text and are mapped to `SQLValue` by the column's type (`PostgresValues`).
/// Transactions are PostgreSQL's default, READ COMMITTED: the node serialises a reseller's writers
/// on its counter row (`ResellerCounter`), not on the isolation level.
public final class PostgresDatabase {
    /// Where this connection goes, without credentials when printed.
    public let store: PostgresConnectionString
    private let libpq: LibPQ
    private let connection: OpaquePointer
    private var savepointDepth = 0
    private var translations: [String: (sql: String, parameterCount: Int)] = [:]
    /// Rows changed by the last INSERT, UPDATE or DELETE.
    public private(set) var changes = 0
    /// `SET` statements that make up this session (`bytea_output`, a statement timeout), run again after a reconnect.
    private var sessionSettings: [String] = []
    /// The schema `search_path` names now, when known: `nil` after a reconnect or a rollback (which undoes a `SET`
    /// made inside the transaction), so the next `use(schema:)` sets it again.
    private var currentSchema: String?
    /// Session-level advisory locks taken and not released: they end with the session, so a lost connection
    /// that held one is not silently made again.
    private var heldAdvisoryLocks: [Int64] = []
    /// Transactions this object began and has not ended (0 or 1: nested ones are savepoints).
    private var openTransactions = 0

    /// How long libpq may take to connect (its `connect_timeout`) unless the connection string says otherwise:
    /// a database that does not answer turns into an error, not a hang.
    public static let defaultConnectTimeout = 5

    /// Connects; throws a `PostgresError` of kind `.libraryMissing` when libpq cannot be loaded and
    /// `.connectionFailed` when the server cannot be reached or refuses the login.
    public init(_ store: PostgresConnectionString) throws {
        self.store = store
        let libpq = try LibPQ.shared.get()
        self.libpq = libpq
        // `dbname` is expanded (expand_dbname = 1) into the whole connection string; `client_encoding`
        // after it wins over anything the string says, so text always arrives as UTF-8.
        // `connect_timeout` before `dbname`: a value in the connection string wins over it.
        let keywords = ["connect_timeout", "dbname", "client_encoding"]
        let values = [String(Self.defaultConnectTimeout), store.text, "UTF8"]
        let connection = withCStringArray(keywords) { keywordPointers in
            withCStringArray(values) { valuePointers in
                libpq.connectdbParams(keywordPointers, valuePointers, 1)
            }
        }
        guard let connection else {
            throw PostgresError(kind: .connectionFailed, message: "libpq could not allocate a connection", store: store.display)
        }
        guard libpq.status(connection) == CONNECTION_OK else {
            let message = store.redacting(Self.trimmedMessage(libpq.errorMessage(connection)))
            libpq.finish(connection)
            throw PostgresError(kind: .connectionFailed, message: message, store: store.display)
        }
        self.connection = connection
        // Server notices (NOTICE, WARNING) would go to stderr by default; a node's stderr is its log.
        _ = libpq.setNoticeProcessor(connection, { _, _ in }, nil)
        // bytea arrives hex-encoded whatever the server's default (PostgresValues decodes hex only).
        try keepSetting("SET bytea_output = 'hex'")
    }

    // MARK: The session

    /// Runs a `SET` now and again after every reconnect, so the session keeps it.
    public func keepSetting(_ sql: String) throws {
        // Kept first: when this fails because the connection was lost, the reconnect sets it.
        sessionSettings.append(sql)
        try executeScript(sql)
    }

    /// Ends every statement after `seconds` (PostgreSQL's `statement_timeout`, kept across reconnects): a slow
    /// database turns into an error the caller can answer (503), not a request that hangs.
    public func limitStatements(toSeconds seconds: Double) throws {
        let milliseconds = max(1, Int((seconds * 1000).rounded()))
        try keepSetting("SET statement_timeout = \(milliseconds)")
    }

    /// Points `search_path` at `schema` (a plain identifier the caller chose, never input), unless it already does.
    func use(schema: String) throws {
        guard currentSchema != schema else { return }
        try executeScript("SET search_path TO \(schema)")
        currentSchema = schema
    }

    /// A view of this connection whose statements run in `schema` (a plain identifier chosen by the caller):
    /// how one connection serves the node's registry and every reseller's schema in turn.
    public func schema(_ schema: String) -> PostgresSchemaDatabase {
        PostgresSchemaDatabase(connection: self, schema: schema)
    }

    /// After the server went away (a restart, a failover, a dropped link) libpq marks the connection bad: the
    /// statement that found out failed with `connectionFailed`, and the next use reconnects here (`PQreset`) and
    /// sets the session up again. A connection that cannot be made yet throws `connectionFailed` again.
    private func reconnectIfLost() throws {
        guard libpq.status(connection) != CONNECTION_OK else { return }
        // Inside a transaction the work so far is gone with the session: every statement up to its end fails,
        // so none of the rest runs outside it, on a new session.
        guard openTransactions == 0 else {
            throw PostgresError(kind: .connectionFailed, message: "the connection was lost inside a transaction, which did not commit",
                                store: store.display)
        }
        // A job's advisory lock went with the session: a new one would carry on unguarded beside a second copy.
        guard heldAdvisoryLocks.isEmpty else {
            throw PostgresError(kind: .connectionFailed, message: "the connection holding this job's lock was lost; the job stops here "
                                    + "(run it again: it takes the lock anew)", store: store.display)
        }
        libpq.reset(connection)
        guard libpq.status(connection) == CONNECTION_OK else {
            throw PostgresError(kind: .connectionFailed, message: store.redacting(Self.trimmedMessage(libpq.errorMessage(connection))),
                                store: store.display)
        }
        _ = libpq.setNoticeProcessor(connection, { _, _ in }, nil)
        currentSchema = nil
        savepointDepth = 0
        for sql in sessionSettings { try executeScript(sql) }
        reconnects += 1
    }

    /// How often this connection was made again after it was lost (for tests and metrics).
    public private(set) var reconnects = 0

    deinit {
        libpq.finish(connection)
    }

    // MARK: Statements

    /// Runs one statement with bound arguments.
    public func execute(_ sql: String, _ arguments: [any SQLBindable] = []) throws {
        _ = try run(sql, arguments.map(\.sqlValue))
    }

    /// Runs several `;`-separated statements that take no arguments (schema scripts, `SET`).
    public func executeScript(_ sql: String) throws {
        try reconnectIfLost()
        let result = try check(libpq.exec(connection, sql), sql: sql)
        noteChanges(result)
    }

    /// All rows of a query.
    public func rows(_ sql: String, _ arguments: [any SQLBindable] = []) throws -> [Row] {
        try run(sql, arguments.map(\.sqlValue)).rows()
    }

    /// The first row of a query, if any.
    public func row(_ sql: String, _ arguments: [any SQLBindable] = []) throws -> Row? {
        let result = try run(sql, arguments.map(\.sqlValue))
        return result.count > 0 ? result.row(0) : nil
    }

    /// The first column of the first row, if any.
    public func scalar(_ sql: String, _ arguments: [any SQLBindable] = []) throws -> SQLValue? {
        let result = try run(sql, arguments.map(\.sqlValue))
        return result.count > 0 && result.columnNames.count > 0 ? result.value(row: 0, column: 0) : nil
    }

    /// Calls `body` for each row.
    public func forEachRow(_ sql: String, _ arguments: [any SQLBindable] = [], _ body: (Row) throws -> Void) throws {
        let result = try run(sql, arguments.map(\.sqlValue))
        for index in 0..<result.count { try body(result.row(index)) }
    }

    /// Calls `body` for each row until it returns `false`.
    public func forEachRowWhile(_ sql: String, _ arguments: [any SQLBindable] = [], _ body: (Row) throws -> Bool) throws {
        let result = try run(sql, arguments.map(\.sqlValue))
        for index in 0..<result.count {
            guard try body(result.row(index)) else { return }
        }
    }

    /// Whether a transaction is open (also one a failed statement has aborted, until it rolls back).
    public var isInTransaction: Bool {
        let status = libpq.transactionStatus(connection)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE
    }

    /// Whether the connection is still usable; `false` once the server has gone away.
    public var isConnected: Bool { libpq.status(connection) == CONNECTION_OK }

    // MARK: Transactions

    /// Runs `body` in a transaction: commits when it returns, rolls back when it throws.
    /// Inside another transaction it becomes a savepoint.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try transaction(begin: "BEGIN", body)
    }

    /// A REPEATABLE READ transaction: every statement in it sees the snapshot its first one took.
    public func readTransaction<T>(_ body: () throws -> T) throws -> T {
        try transaction(begin: "BEGIN ISOLATION LEVEL REPEATABLE READ", body)
    }

    private func transaction<T>(begin: String, _ body: () throws -> T) throws -> T {
        if isInTransaction { return try savepoint(body) }
        try executeScript(begin)
        openTransactions += 1
        defer { openTransactions -= 1 }
        let result: T
        do {
            result = try body()
            // COMMIT in a transaction a failed statement aborted answers ROLLBACK without an error:
            // the caller would believe its work committed. Refuse instead.
            try requireNotAborted()
            try executeScript("COMMIT")
        } catch {
            rollbackQuietly()
            throw error
        }
        return result
    }

    /// Runs `body` in a savepoint: released when it returns, rolled back to (and released) when it
    /// throws. Outside a transaction it is one, as SQLite's outermost savepoint is.
    public func savepoint<T>(_ body: () throws -> T) throws -> T {
        guard isInTransaction else { return try transaction(body) }
        savepointDepth += 1
        defer { savepointDepth -= 1 }
        let name = "outpost_sp\(savepointDepth)"
        try executeScript("SAVEPOINT \(name)")
        let result: T
        do {
            result = try body()
            try requireNotAborted()
            try executeScript("RELEASE SAVEPOINT \(name)")
        } catch {
            try? executeScript("ROLLBACK TO SAVEPOINT \(name); RELEASE SAVEPOINT \(name)")
            currentSchema = nil
            throw error
        }
        return result
    }

    private func requireNotAborted() throws {
        guard libpq.transactionStatus(connection) != PQTRANS_INERROR else {
            throw PostgresError(kind: .other, message: "a statement failed inside the transaction and its error was caught; "
                                    + "PostgreSQL cannot go on after it, so nothing was committed (run such a statement in a savepoint)",
                                store: store.display)
        }
    }

    private func rollbackQuietly() {
        if isInTransaction { try? executeScript("ROLLBACK") }
        currentSchema = nil
    }

    // MARK: Advisory locks

    /// Takes the session-level advisory lock `key` if no other session holds it (`pg_try_advisory_lock`);
    /// `false` when another does. Held until `advisoryUnlock` or until this connection closes.
    public func tryAdvisoryLock(_ key: Int64) throws -> Bool {
        let taken = try scalar("SELECT pg_try_advisory_lock(?)", [key]) == .integer(1)
        if taken { heldAdvisoryLocks.append(key) }
        return taken
    }

    /// Releases a session-level advisory lock this connection holds; `false` when it held none.
    public func advisoryUnlock(_ key: Int64) throws -> Bool {
        if let index = heldAdvisoryLocks.firstIndex(of: key) { heldAdvisoryLocks.remove(at: index) }
        return try scalar("SELECT pg_advisory_unlock(?)", [key]) == .integer(1)
    }

    /// A stable advisory-lock key for a name (a back-office job: `provision`, `bill`…): FNV-1a, 64 bits.
    public static func advisoryLockKey(_ name: String) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return Int64(bitPattern: hash)
    }

    // MARK: Running statements

    private func run(_ sql: String, _ arguments: [SQLValue]) throws -> PostgresResult {
        try reconnectIfLost()
        let translation: (sql: String, parameterCount: Int)
        if let known = translations[sql] {
            translation = known
        } else {
            translation = PostgresPlaceholders.translate(sql)
            translations[sql] = translation
        }
        guard translation.parameterCount == arguments.count else {
            throw PostgresError(kind: .other, message: "statement expects \(translation.parameterCount) arguments, got \(arguments.count)",
                                sql: sql, store: store.display)
        }
        let parameters = PostgresParameters(arguments)
        defer { parameters.deallocate() }
        let result = libpq.execParams(connection, translation.sql, Int32(arguments.count), parameters.types,
                                      parameters.values, parameters.lengths, parameters.formats, 0)
        let checked = try check(result, sql: sql)
        noteChanges(checked)
        return checked
    }

    /// Wraps a result, or throws the error it (or the connection) reports.
    private func check(_ result: OpaquePointer?, sql: String) throws -> PostgresResult {
        guard let result else {
            // No result at all: the connection is gone or memory ran out.
            throw PostgresError(kind: isConnected ? .other : .connectionFailed,
                                message: store.redacting(Self.trimmedMessage(libpq.errorMessage(connection))), sql: sql, store: store.display)
        }
        let wrapped = PostgresResult(libpq: libpq, result: result)
        let status = libpq.resultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY else {
            let sqlState = wrapped.errorField(outpost_PG_DIAG_SQLSTATE)
            var kind = PostgresError.kind(sqlState: sqlState)
            if kind == .other, !isConnected { kind = .connectionFailed }
            let primary = wrapped.errorField(outpost_PG_DIAG_MESSAGE_PRIMARY) ?? Self.trimmedMessage(libpq.resultErrorMessage(result))
            throw PostgresError(kind: kind, sqlState: sqlState, message: store.redacting(primary),
                                detail: wrapped.errorField(outpost_PG_DIAG_MESSAGE_DETAIL), sql: sql, store: store.display)
        }
        return wrapped
    }

    /// Keeps the count of an INSERT, UPDATE or DELETE (also with RETURNING), as SQLite's `changes` does.
    private func noteChanges(_ result: PostgresResult) {
        guard let tag = libpq.cmdStatus(result.result).map({ String(cString: $0) }),
              tag.hasPrefix("INSERT ") || tag.hasPrefix("UPDATE ") || tag.hasPrefix("DELETE ") else { return }
        changes = libpq.cmdTuples(result.result).flatMap { Int(String(cString: $0)) } ?? 0
    }

    private static func trimmedMessage(_ pointer: UnsafeMutablePointer<CChar>?) -> String {
        guard let pointer else { return "unknown libpq error" }
        var text = String(cString: pointer)
        while let last = text.last, last == "\n" || last == " " { text.removeLast() }
        return text.isEmpty ? "unknown libpq error" : text
    }
}

extension PostgresDatabase: SQLDatabase {
    /// Always `.postgresql`.
    public var dialect: SQLDialect { .postgresql }
}

/// Calls `body` with a NULL-terminated array of C strings that live for the call.
private func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    let pointers: [UnsafePointer<CChar>?] = copies.map { UnsafePointer($0) } + [nil]
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
