import OutpostModel
import OutpostStore

/// Per-table row counts and digests, computed the same way on the node and
/// on a replica, and kept up to date as changes are applied.
///
/// A table's digest is the wrapping sum of its rows' 64-bit FNV-1a hashes
/// over a canonical encoding (columns by name, typed values). A sum does not
/// depend on row order and can be adjusted row by row, so the end-of-pull
/// check costs nothing proportional to the table's size.
public enum RowDigest {
    /// The hash of one row.
    public static func hash(_ row: [String: SQLValue]) -> Int64 {
        let columns = row.keys.sorted()
        return hash(columns: columns, values: columns.map { row[$0]! })
    }

    /// The hash of one row given as columns in sorted order and their values.
    public static func hash(columns: [String], values: [SQLValue]) -> Int64 {
        // FNV-1a over each column's name, a type tag and the value's text. Written as loops over byte buffers with
        // the state in a local: as nested functions over `utf8` views it took a third of a pull's apply thread.
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for (key, value) in zip(columns, values) {
            feed(&h, key)
            feed(&h, 0x3d)
            switch value {
            case .null: feed(&h, 0x4e)
            case .integer(let v):
                feed(&h, 0x49)
                feedDecimal(&h, v)
            case .real(let v):
                feed(&h, 0x52)
                feed(&h, String(v))
            case .text(let v):
                feed(&h, 0x54)
                feed(&h, v)
            case .blob(let bytes):
                feed(&h, 0x42)
                bytes.withUnsafeBufferPointer { feed(&h, $0) }
            }
            feed(&h, 0x1f)
        }
        return Int64(bitPattern: h)
    }

    @inline(__always) private static func feed(_ h: inout UInt64, _ byte: UInt8) {
        h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
    }

    @inline(__always) private static func feed(_ h: inout UInt64, _ bytes: UnsafeBufferPointer<UInt8>) {
        var state = h
        for byte in bytes { state = (state ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        h = state
    }

    @inline(__always) private static func feed(_ h: inout UInt64, _ text: String) {
        var text = text
        text.withUTF8 { feed(&h, $0) }
    }

    /// The bytes of `String(value)`, without making the string.
    private static func feedDecimal(_ h: inout UInt64, _ value: Int64) {
        if value < 0 { feed(&h, UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 20 digits at most, least significant first
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            for index in stride(from: count - 1, through: 0, by: -1) { feed(&h, buffer[index]) }
        }
    }

    /// Counts and digests a table from scratch.
    public static func compute(_ table: String, in db: any SQLDatabase) throws -> TableDigest {
        var rows: Int64 = 0
        var sum: Int64 = 0
        try db.forEachRowInKeyOrder("SELECT * FROM \(Self.checked(table)) WHERE id > ? ORDER BY id", after: .text(""), key: "id") { row in
            rows += 1
            sum = sum &+ hash(row.dictionary)
            return true
        }
        return TableDigest(rows: rows, digest: sum)
    }

    /// The kept digest of a table, computed once when missing.
    ///
    /// The first computation must see the table as its writer last left it:
    /// call `prepare` before writing (the node when it opens a tenant, a
    /// replica before applying a page, with its pending changes taken off).
    public static func stored(_ table: String, in db: any SQLDatabase) throws -> TableDigest {
        if let row = try db.row("SELECT row_count, digest FROM table_digest WHERE entity = ?", [table]) {
            return try TableDigest(tableDigestRow: row)
        }
        let fresh = try compute(table, in: db)
        try db.execute("INSERT INTO table_digest (entity, row_count, digest) VALUES (?, ?, ?)", [table, fresh.rows, fresh.digest])
        return fresh
    }

    /// Makes sure every replicated table has a kept digest, before anything is written.
    public static func prepare(in db: any SQLDatabase) throws {
        _ = try storedAll(in: db)
    }

    /// Every replicated table's kept digest: one query (every pull that ends a page asks for them), and a
    /// computation for any table that has none yet.
    public static func storedAll(in db: any SQLDatabase) throws -> [String: TableDigest] {
        var result: [String: TableDigest] = [:]
        try db.forEachRow("SELECT entity, row_count, digest FROM table_digest") { row in
            result[try row.string("entity")] = try TableDigest(tableDigestRow: row)
        }
        for table in Schema.replicatedTables where result[table] == nil { result[table] = try stored(table, in: db) }
        return result.filter { Schema.replicatedTables.contains($0.key) }
    }

    /// Every replicated table's digest, from scratch.
    public static func computeAll(in db: any SQLDatabase) throws -> [String: TableDigest] {
        var result: [String: TableDigest] = [:]
        for table in Schema.replicatedTables { result[table] = try compute(table, in: db) }
        return result
    }

    /// Adds accumulated changes (row count, wrapping sum) to a table's kept digest.
    public static func add(_ table: String, rows: Int64, sum: Int64, in db: any SQLDatabase) throws {
        let current = try stored(table, in: db)
        try db.execute("UPDATE table_digest SET row_count = ?, digest = ? WHERE entity = ?",
                       [current.rows + rows, current.digest &+ sum, table])
    }

    /// Stores a table's kept digest (as `ChangeLog.Writer` ends a transaction that changed it).
    static func store(_ table: String, _ digest: TableDigest, in db: any SQLDatabase) throws {
        try db.executeLater("UPDATE table_digest SET row_count = ?, digest = ? WHERE entity = ?", [digest.rows, digest.digest, table])
    }

    /// Recomputes a table's kept digest from its rows (after they were replaced wholesale).
    public static func reset(_ table: String, in db: any SQLDatabase) throws {
        let fresh = try compute(table, in: db)
        try db.execute("INSERT INTO table_digest (entity, row_count, digest) VALUES (?, ?, ?) ON CONFLICT (entity) DO UPDATE SET row_count = excluded.row_count, digest = excluded.digest",
                       [table, fresh.rows, fresh.digest])
    }

    static func checked(_ table: String) -> String {
        precondition(Schema.replicatedTables.contains(table), "not a replicated table: \(table)")
        return table
    }
}

extension TableDigest {
    /// A kept digest as its `table_digest` row holds it (`row_count`, `digest`).
    init(tableDigestRow row: Row) throws {
        self.init(rows: try row.int64("row_count"), digest: try row.int64("digest"))
    }
}
