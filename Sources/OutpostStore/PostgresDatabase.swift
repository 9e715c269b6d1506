import CLibPQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A connection to a PostgreSQL database, through libpq loaded at first use.
///
/// Not `Sendable`: one owner uses it, as with SQLite's `Database`. Every statement goes through
/// `PQprepare`d once per connection and run with `PQexecPrepared`, its values bound (`?` markers are translated to `$n`, `PostgresPlaceholders`);
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
        guard mustReconnect || libpq.status(connection) != CONNECTION_OK else { return }
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
        mustReconnect = false
        guard libpq.status(connection) == CONNECTION_OK else {
            throw PostgresError(kind: .connectionFailed, message: store.redacting(Self.trimmedMessage(libpq.errorMessage(connection))),
                                store: store.display)
        }
        _ = libpq.setNoticeProcessor(connection, { _, _ in }, nil)
        currentSchema = nil
        savepointDepth = 0
        // A new session has none of the old one's prepared statements.
        prepared.removeAll()
        for sql in sessionSettings { try executeScript(sql) }
        reconnects += 1
    }

    /// Set when the session's state is unknown (a pipeline broke off): the next use makes it again.
    private var mustReconnect = false

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
        try readUnanswered()
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
        // With statements in the pipeline the server's state is not known here until their answers are read.
        if !unanswered.isEmpty { return openTransactions > 0 }
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
        // Sent with the transaction's first statement that waits, as a savepoint is.
        try executeLater(begin, [])
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
        // Neither answer is waited for: they travel with the next statement that waits (`executeLater`).
        try executeLater("SAVEPOINT \(name)", [])
        let result: T
        do {
            result = try body()
            // With nothing in the pipeline the session knows whether a statement failed (and its error was caught);
            // otherwise the pipeline's answers will tell, and the release fails with the transaction.
            if unanswered.isEmpty { try requireNotAborted() }
            try executeLater("RELEASE SAVEPOINT \(name)", [])
        } catch {
            // A statement sent without waiting may have failed too: its error is the one to report.
            var reported = error
            do { try readUnanswered() } catch { reported = error }
            try? executeScript("ROLLBACK TO SAVEPOINT \(name); RELEASE SAVEPOINT \(name)")
            currentSchema = nil
            throw reported
        }
        return result
    }

    private func requireNotAborted() throws {
        try readUnanswered()
        guard libpq.transactionStatus(connection) != PQTRANS_INERROR else {
            throw PostgresError(kind: .other, message: "a statement failed inside the transaction and its error was caught; "
                                    + "PostgreSQL cannot go on after it, so nothing was committed (run such a statement in a savepoint)",
                                store: store.display)
        }
    }

    private func rollbackQuietly() {
        _ = try? readUnanswered()
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

    // MARK: LISTEN and NOTIFY

    /// A notification another session's commit (or this one's) sent on a channel this connection listens to.
    public struct Notification: Sendable, Equatable {
        public let channel: String
        public let payload: String
    }

    /// Listens on `channel` (a plain identifier the caller chose, never input) for the rest of this session;
    /// notifications then wait in libpq until `notifications(waitingUpTo:)` reads them. A reconnect ends it.
    public func listen(_ channel: String) throws {
        precondition(channel.utf8.allSatisfy { $0 == UInt8(ascii: "_") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) },
                     "a channel is a plain lower-case identifier")
        try executeScript("LISTEN \(channel)")
    }

    /// The notifications that arrived, waiting up to `seconds` for the first when none has. Throws
    /// `connectionFailed` when the connection is lost: a listener then cannot know what it missed.
    public func notifications(waitingUpTo seconds: Double) throws -> [Notification] {
        // What libpq (or TLS beneath it) has already read is not seen by poll(): taken in first.
        guard libpq.consumeInput(connection) == 1 else { throw lostListener() }
        var arrived = takeNotifications()
        guard arrived.isEmpty else { return arrived }
        let socket = libpq.socket(connection)
        guard socket >= 0 else { throw lostListener() }
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, Int32(max(0, seconds * 1000)))
        if ready < 0, errno != EINTR { throw lostListener() }
        guard ready > 0 else { return [] }
        // Reads what the server sent; 0 when the connection broke (the server went away).
        guard libpq.consumeInput(connection) == 1 else { throw lostListener() }
        arrived = takeNotifications()
        return arrived
    }

    private func takeNotifications() -> [Notification] {
        var arrived: [Notification] = []
        while let note = libpq.notifies(connection) {
            arrived.append(Notification(channel: String(cString: note.pointee.relname), payload: String(cString: note.pointee.extra)))
            libpq.freemem(note)
        }
        return arrived
    }

    private func lostListener() -> PostgresError {
        mustReconnect = true
        return PostgresError(kind: .connectionFailed, message: "the listening connection was lost: "
                                + store.redacting(Self.trimmedMessage(libpq.errorMessage(connection))), store: store.display)
    }

    // MARK: Running statements

    private func run(_ sql: String, _ arguments: [SQLValue]) throws -> PostgresResult {
        try reconnectIfLost()
        let translation = translate(sql)
        guard translation.parameterCount == arguments.count else {
            throw PostgresError(kind: .other, message: "statement expects \(translation.parameterCount) arguments, got \(arguments.count)",
                                sql: sql, store: store.display)
        }
        let parameters = PostgresParameters(arguments)
        defer { parameters.deallocate() }
        let checked: PostgresResult
        do {
            if !unanswered.isEmpty {
                // Statements sent without waiting are in the pipeline: this one goes after them, and all the answers come back together.
                try send(translation.sql, sql: sql, parameters: parameters)
                checked = try readUnanswered(keepingLast: true)!
            } else {
                let name = try preparedName(translation.sql, sql: sql, types: parameters.types)
                checked = try check(libpq.execPrepared(connection, name, Int32(arguments.count), parameters.values, parameters.lengths,
                                                       parameters.formats, 0), sql: sql)
            }
        } catch let error as PostgresError where error.sqlState == "0A000" || error.sqlState == "26000" {
            // "cached plan must not change result type" (a table this `SELECT *` reads gained a column since it was
            // prepared, by another process's migration) or a statement the server no longer has: prepare it anew next
            // time. Outside a transaction that is now, once; inside one the transaction is aborted and the error stands.
            forget(translation.sql, types: parameters.types)
            guard !isInTransaction, openTransactions == 0 else { throw error }
            let again = try preparedName(translation.sql, sql: sql, types: parameters.types)
            checked = try check(libpq.execPrepared(connection, again, Int32(arguments.count), parameters.values, parameters.lengths,
                                                   parameters.formats, 0), sql: sql)
        }
        noteChanges(checked)
        return checked
    }

    // MARK: Statements whose answers can wait

    /// Statements sent in pipeline mode whose answers are not read yet, in order.
    private var unanswered: [Unanswered] = []

    private struct Unanswered {
        /// The SQL as the caller gave it, for its error.
        let sql: String
        /// Set when this is the preparation of the statement after it: forgotten again when it fails.
        let preparing: String?
    }

    /// More statements than this waiting in the pipeline and their answers are read before another is sent: the
    /// server's answers must never fill the socket while this side is still writing (each would wait for the other).
    private static let pipelineLimit = 256

    /// Runs a statement whose result nobody reads (an INSERT into a log, a `SAVEPOINT`) without waiting for the
    /// server's answer: in libpq's pipeline mode it leaves with the next statement that waits (a query, a commit),
    /// and the answers come back together — one round trip for them all instead of one each. An error it causes
    /// is thrown by that next statement, which fails with it; inside a transaction the transaction is then
    /// aborted, as it would have been. `changes` does not count its rows. Without pipeline mode (libpq before 14)
    /// it runs at once.
    ///
    /// `outpost-bench push-http` on PostgreSQL (a 2-core VM where one round trip over the Unix socket takes 80 µs):
    /// a push went from 6 round trips per mutation to 3.5 (strace), and from 1,152 mutations/s to 1,500–1,900
    /// (debug build, 3,000–10,000 mutations; the VM's figures vary by a fifth from run to run).
    public func executeLater(_ sql: String, _ arguments: [any SQLBindable]) throws {
        guard libpq.pipeline != nil else {
            try execute(sql, arguments)
            return
        }
        try reconnectIfLost()
        let translation = translate(sql)
        guard translation.parameterCount == arguments.count else {
            throw PostgresError(kind: .other, message: "statement expects \(translation.parameterCount) arguments, got \(arguments.count)",
                                sql: sql, store: store.display)
        }
        let parameters = PostgresParameters(arguments.map(\.sqlValue))
        defer { parameters.deallocate() }
        try send(translation.sql, sql: sql, parameters: parameters)
    }

    private func translate(_ sql: String) -> (sql: String, parameterCount: Int) {
        if let known = translations[sql] { return known }
        let translation = PostgresPlaceholders.translate(sql)
        translations[sql] = translation
        return translation
    }

    /// Queues a statement in the pipeline (entering pipeline mode first when it is the first one), prepared
    /// there too when this session has not prepared it yet.
    private func send(_ text: String, sql: String, parameters: PostgresParameters) throws {
        guard let pipeline = libpq.pipeline else { preconditionFailure("send needs pipeline mode") }
        if unanswered.count >= Self.pipelineLimit { try readUnanswered() }
        if unanswered.isEmpty {
            guard pipeline.enter(connection) == 1 else { throw pipelineFailure("cannot enter pipeline mode", sql: sql) }
        }
        let key = preparedKey(text, types: parameters.types)
        let name: String
        if let known = prepared[key] {
            name = known
        } else {
            name = try newStatementName()
            guard pipeline.sendPrepare(connection, name, text, Int32(parameters.types.count), parameters.types) == 1 else {
                throw pipelineFailure("cannot send a statement", sql: sql)
            }
            unanswered.append(Unanswered(sql: sql, preparing: key))
            prepared[key] = name
        }
        guard pipeline.sendQueryPrepared(connection, name, Int32(parameters.types.count), parameters.values, parameters.lengths,
                                         parameters.formats, 0) == 1 else {
            throw pipelineFailure("cannot send a statement", sql: sql)
        }
        unanswered.append(Unanswered(sql: sql, preparing: nil))
    }

    /// Ends the pipeline: sends what is queued with a sync point, reads every answer, leaves pipeline mode, and
    /// throws the first error among them (the statements after it were skipped by the server). Returns the last
    /// statement's result when asked (`run`, whose statement is last). Nothing to do when nothing is queued.
    @discardableResult
    private func readUnanswered(keepingLast: Bool = false) throws -> PostgresResult? {
        guard !unanswered.isEmpty, let pipeline = libpq.pipeline else { return nil }
        let statements = unanswered
        unanswered.removeAll()
        guard pipeline.sync(connection) == 1 else { throw pipelineFailure("cannot send the pipeline", sql: statements.last?.sql) }
        var firstError: Error?
        var last: PostgresResult?
        for (index, statement) in statements.enumerated() {
            guard let result = pipeline.getResult(connection) else {
                throw pipelineFailure("the server's answers stopped", sql: statement.sql)
            }
            let status = libpq.resultStatus(result)
            if status == PGRES_PIPELINE_ABORTED {
                libpq.clear(result)
                if let key = statement.preparing { prepared[key] = nil }
            } else {
                do {
                    let checked = try check(result, sql: statement.sql)
                    if keepingLast && index == statements.count - 1 { last = checked }
                } catch {
                    if let key = statement.preparing { prepared[key] = nil }
                    if firstError == nil { firstError = error }
                }
            }
            // Each statement's answer ends with a null result.
            while let extra = pipeline.getResult(connection) { libpq.clear(extra) }
        }
        guard let sync = pipeline.getResult(connection) else { throw pipelineFailure("no answer to the pipeline's end", sql: nil) }
        let syncStatus = libpq.resultStatus(sync)
        libpq.clear(sync)
        guard syncStatus == PGRES_PIPELINE_SYNC, pipeline.exit(connection) == 1 else {
            throw pipelineFailure("the pipeline did not end cleanly", sql: nil)
        }
        if let firstError { throw firstError }
        return last
    }

    /// A pipeline that broke off (the server went away mid-answer, most likely): the session cannot be trusted
    /// with what is left in it, so it is made again at the next use.
    private func pipelineFailure(_ what: String, sql: String?) -> PostgresError {
        unanswered.removeAll()
        mustReconnect = true
        let kind: StoreFailureKind = isConnected ? .other : .connectionFailed
        return PostgresError(kind: kind, message: "\(what): \(store.redacting(Self.trimmedMessage(libpq.errorMessage(connection))))",
                             sql: sql, store: store.display)
    }

    // MARK: Prepared statements

    /// Statements this session has prepared, by their text and the types of their parameters (a parameter bound
    /// as an integer once and as text the next time is two statements), and the server-side names they have.
    ///
    /// Every statement is prepared on its first use and run by name afterwards, so the server parses and plans
    /// it once per connection rather than on every call. What it saves is the server's parse and plan of each
    /// statement: `outpost-bench push-http` on PostgreSQL, then ~16 statements per mutation, went from 446 to 464
    /// mutations/s with this alone (debug build, 3,000 mutations) — round trips, not planning, were the cost there.
    /// A new `search_path` makes PostgreSQL parse the statement again by itself, so one name serves every schema.
    private var prepared: [String: String] = [:]
    private var preparedCount = 0
    /// More distinct statements than this (a statement built with a varying number of markers, say) and the
    /// oldest are not tracked any more: they are deallocated, all at once, at the next chance outside a transaction.
    private static let preparedLimit = 1_000

    private func preparedKey(_ text: String, types: [Oid]) -> String {
        var key = text
        key.append("\u{0}")
        for type in types { key.append(String(type)); key.append(",") }
        return key
    }

    /// The server-side name of the prepared statement for `text` with parameters of `types`, preparing it first when needed.
    private func preparedName(_ text: String, sql: String, types: [Oid]) throws -> String {
        let key = preparedKey(text, types: types)
        if let name = prepared[key] { return name }
        let name = try newStatementName()
        _ = try check(libpq.prepare(connection, name, text, Int32(types.count), types), sql: sql)
        prepared[key] = name
        return name
    }

    /// A name no statement of this session has had.
    private func newStatementName() throws -> String {
        if prepared.count >= Self.preparedLimit, unanswered.isEmpty, !isInTransaction {
            try executeScript("DEALLOCATE ALL")
            prepared.removeAll()
        }
        preparedCount += 1
        return "outpost_\(preparedCount)"
    }

    private func forget(_ text: String, types: [Oid]) {
        prepared[preparedKey(text, types: types)] = nil
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
