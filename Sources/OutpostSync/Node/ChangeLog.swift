import OutpostModel
import OutpostStore

/// The node's change log for one reseller: every accepted row change, with
/// a monotonically increasing version that is also written into the row.
enum ChangeLog {
    /// The highest version written so far (0 when empty). Never goes back: compaction
    /// may drop the newest entry (a delete), so the horizon it left counts too.
    static func head(in db: Database) throws -> Int64 {
        try db.scalar("""
            SELECT max(coalesce((SELECT max(version) FROM change_log), 0),
                       coalesce((SELECT CAST(value AS INTEGER) FROM replica_meta WHERE key = 'horizon'), 0))
            """)?.int64 ?? 0
    }

    /// Appends a mutation's (or a back-office fact's) changes: one entry per
    /// row, in the order rows were first touched, with the final image.
    /// Sets each row's `version`, keeps table digests current; returns the last version written.
    @discardableResult
    static func append(_ changes: [RowChange], origin: String, in db: Database) throws -> Int64 {
        var order: [String] = []
        var first: [String: RowChange] = [:]
        var columns: [String: Set<String>] = [:]
        for change in changes {
            let key = change.table + "\u{1}" + change.id
            if first[key] == nil {
                order.append(key)
                first[key] = change
            }
            columns[key, default: []].formUnion(change.changedColumns)
        }
        var version = try head(in: db)
        for key in order {
            guard let change = first[key] else { continue }
            version += 1
            let table = RowDigest.checked(change.table)
            let before = change.before
            var after: [String: SQLValue]?
            if try db.scalar("SELECT 1 FROM \(table) WHERE id = ?", [change.id]) != nil {
                try db.execute("UPDATE \(table) SET version = ? WHERE id = ?", [version, change.id])
                after = try db.row("SELECT * FROM \(table) WHERE id = ?", [change.id])?.dictionary
            }
            let changed = columns[key, default: []].subtracting(["version"]).sorted().joined(separator: ",")
            let rowText = after.map { row in JSONValue.object(row.mapValues(\.json)).serialized }
            try db.execute("INSERT INTO change_log (version, entity, entity_id, op, row, columns, origin) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           [version, table, change.id, after == nil ? "delete" : "upsert", rowText, changed, origin])
            try RowDigest.adjust(table, before: before, after: after, in: db)
        }
        return version
    }

    /// Columns of a row that writers other than `origin` changed after `version`.
    static func columnsChanged(table: String, id: String, after version: Int64, notBy origin: String, in db: Database) throws -> Set<String> {
        var result: Set<String> = []
        try db.forEachRow("SELECT columns FROM change_log WHERE entity = ? AND entity_id = ? AND version > ? AND origin != ?",
                          [table, id, version, origin]) { row in
            for column in (row[0].string ?? "").split(separator: ",") { result.insert(String(column)) }
        }
        return result
    }
}
