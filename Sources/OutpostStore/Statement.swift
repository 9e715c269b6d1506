import CSQLite

/// A prepared statement. Finalized when the last reference goes away.
///
/// Stepping is a loop over `SQLITE_ROW` / `SQLITE_DONE` / error, as in GRDB's
/// `Statement`; a statement that throws mid-read is reset before reuse so it
/// never holds a read transaction open.
public final class Statement {
    /// The SQL text this statement was prepared from.
    public let sql: String
    let handle: OpaquePointer
    unowned let database: Database
    /// Column names, read when prepared and again when SQLite has prepared the statement anew with other columns
    /// (a `SELECT *` cached before a migration added one: SQLite recompiles it by itself after a schema change).
    public private(set) var columnNames: [String]

    init(database: Database, sql: String) throws {
        self.database = database
        self.sql = sql
        var statement: OpaquePointer?
        var tail: UnsafePointer<CChar>?
        let rc = sql.withCString { sqlite3_prepare_v3(database.handle, $0, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, &tail) }
        guard rc == SQLITE_OK, let statement else {
            throw database.error(code: rc, sql: sql)
        }
        if let tail, tail.pointee != 0, !String(cString: tail).allSatisfy({ $0.isWhitespace || $0 == ";" }) {
            sqlite3_finalize(statement)
            throw DatabaseError(extendedCode: SQLITE_MISUSE, message: "more than one statement; use executeScript", sql: sql)
        }
        self.handle = statement
        let count = sqlite3_column_count(statement)
        self.columnNames = (0..<count).map { String(cString: sqlite3_column_name(statement, $0)) }
    }

    deinit {
        sqlite3_finalize(handle)
    }

    /// Binds the arguments, in order, to parameters `?1…?n`, after clearing old ones.
    public func bind(_ arguments: [SQLValue]) throws {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        let expected = Int(sqlite3_bind_parameter_count(handle))
        guard expected == arguments.count else {
            throw DatabaseError(extendedCode: SQLITE_RANGE, message: "statement expects \(expected) arguments, got \(arguments.count)", sql: sql)
        }
        for (offset, value) in arguments.enumerated() {
            let index = Int32(offset + 1)
            let rc: Int32
            switch value {
            case .null: rc = sqlite3_bind_null(handle, index)
            case .integer(let v): rc = sqlite3_bind_int64(handle, index, v)
            case .real(let v): rc = sqlite3_bind_double(handle, index, v)
            case .text(var v):
                // The string's own UTF-8 bytes and their length: no C-string copy first (a pull binds millions).
                rc = v.withUTF8 { bytes in
                    guard let base = bytes.baseAddress, bytes.count > 0 else { return sqlite3_bind_text(handle, index, "", 0, csqlite_transient()) }
                    return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                        sqlite3_bind_text(handle, index, $0, Int32(bytes.count), csqlite_transient())
                    }
                }
            case .blob(let v) where v.isEmpty:
                // An empty array may have no base address, and a NULL pointer would bind SQL NULL.
                rc = sqlite3_bind_zeroblob(handle, index, 0)
            case .blob(let v):
                rc = v.withUnsafeBytes { sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count), csqlite_transient()) }
            }
            guard rc == SQLITE_OK else { throw database.error(code: rc, sql: sql) }
        }
    }

    /// Advances; `true` when a row is available, `false` when done.
    public func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let error = database.error(code: rc, sql: sql)
            sqlite3_reset(handle)
            throw error
        }
    }

    /// Resets so the statement can run again; bindings are kept.
    public func reset() {
        sqlite3_reset(handle)
    }

    /// The value of column `index` of the current row.
    public func value(at index: Int32) -> SQLValue {
        switch sqlite3_column_type(handle, index) {
        case SQLITE_NULL: return .null
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(handle, index))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(handle, index))
        case SQLITE_TEXT:
            guard let text = sqlite3_column_text(handle, index) else { return .text("") }
            let count = Int(sqlite3_column_bytes(handle, index))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        default:
            let count = Int(sqlite3_column_bytes(handle, index))
            guard count > 0, let bytes = sqlite3_column_blob(handle, index) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: bytes, count: count)))
        }
    }

    /// The current row.
    public func currentRow() -> Row {
        if sqlite3_column_count(handle) != Int32(columnNames.count) {
            columnNames = (0..<sqlite3_column_count(handle)).map { String(cString: sqlite3_column_name(handle, $0)) }
        }
        return Row(columns: columnNames, values: (0..<Int32(columnNames.count)).map { value(at: $0) })
    }

    /// Runs with the arguments, calling `body` for every row; always resets.
    public func forEachRow(_ arguments: [SQLValue], _ body: (Row) throws -> Void) throws {
        try bind(arguments)
        defer { sqlite3_reset(handle) }
        while try step() {
            try body(currentRow())
        }
    }

    /// Runs with the arguments, ignoring rows; always resets.
    public func execute(_ arguments: [SQLValue]) throws {
        try bind(arguments)
        defer { sqlite3_reset(handle) }
        while try step() {}
    }
}
