import OutpostModel
import OutpostStore

/// The node's change log for one reseller: every accepted row change, with
/// a monotonically increasing version that is also written into the row.
enum ChangeLog {
    /// The highest version written so far (0 when empty). Never goes back: compaction
    /// may drop the newest entry (a delete), so the horizon it left counts too.
    /// Two statements rather than SQLite's two-argument `max()` (PostgreSQL's is `greatest()`);
    /// callers that need them to agree with other reads run them in one `readTransaction`.
    static func head(in db: any SQLDatabase) throws -> Int64 {
        let logged = try db.scalar("SELECT coalesce(max(version), 0) FROM change_log")?.int64 ?? 0
        let horizon = Int64(try db.scalar("SELECT value FROM replica_meta WHERE key = 'horizon'")?.string ?? "0") ?? 0
        return max(logged, horizon)
    }

    /// Appends a mutation's (or a back-office fact's) changes: one entry per
    /// row, in the order rows were first touched, with the final image.
    /// Sets each row's `version`, keeps table digests current; returns the last version written.
    ///
    /// `edit` says when the change counts as made and by whom: what a later
    /// conflicting edit of the same field is judged against (PROTOCOL.md 6.5).
    ///
    /// Versions must be gap-free and in commit order (PROTOCOL.md, DESIGN.md "Scale past one machine").
    /// On SQLite the caller's write transaction holds the file's one write lock, so the head read here
    /// stays the head until commit: the next versions follow it. On PostgreSQL several node processes
    /// write at once and a read head can be taken twice: each version comes from the reseller's counter
    /// row (`ResellerCounter`), whose row lock makes the reseller's next writer wait for this commit.
    /// (SQLite keeps the head: its tools and tests that write the log directly need no counter.)
    @discardableResult
    static func append(_ changes: [RowChange], reseller: String, origin: String, edit: Edit, in db: any SQLDatabase) throws -> Int64 {
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
        // PostgreSQL numbers from the counter row alone: reading the head there would be two round trips per append for nothing.
        var version: Int64 = 0
        if db.dialect == .sqlite { version = try head(in: db) }
        for key in order {
            guard let change = first[key] else { continue }
            switch db.dialect {
            case .sqlite: version += 1
            case .postgresql: version = try ResellerCounter.next(for: reseller, in: db)
            }
            let table = RowDigest.checked(change.table)
            let before = change.before
            var after: [String: SQLValue]?
            if try db.scalar("SELECT 1 FROM \(table) WHERE id = ?", [change.id]) != nil {
                try db.execute("UPDATE \(table) SET version = ? WHERE id = ?", [version, change.id])
                after = try db.row("SELECT * FROM \(table) WHERE id = ?", [change.id])?.dictionary
            }
            let changed = columns[key, default: []].subtracting(["version"]).sorted().joined(separator: ",")
            let rowText = after.map { row in JSONValue.object(row.mapValues(\.json)).serialized }
            try db.execute("""
                INSERT INTO change_log (version, entity, entity_id, op, row, columns, origin, made_at, made_by, clock_ahead)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [version, table, change.id, after == nil ? "delete" : "upsert", rowText, changed, origin,
                      edit.madeAt.description, edit.user, edit.clockAhead])
            try RowDigest.adjust(table, before: before, after: after, in: db)
        }
        return version
    }

    /// When a logged change counts as made, by whom, and whether that instant was capped at the node's clock.
    struct Edit {
        let madeAt: Timestamp
        let user: String
        let clockAhead: Bool

        /// A pushed mutation's edit: made when its laptop says, but never later than its arrival,
        /// so a laptop whose clock runs ahead cannot win every conflict.
        static func pushed(createdAt: Timestamp, arrival: Timestamp, user: String) -> Edit {
            Edit(madeAt: min(createdAt, arrival), user: user, clockAhead: createdAt > arrival)
        }
    }

    /// The latest change to one field of a row by a writer other than `origin`, after `version`.
    struct FieldChange {
        let version: Int64
        let origin: String
        let edit: Edit
    }

    /// Per column of a row: the change with the latest instant that a writer other than `origin` made
    /// after `version` (on equal instants, the later arrival). Entries logged before instants were
    /// recorded count as made at the beginning of time: the pushed edit wins over them, as it did then.
    static func latestChanges(table: String, id: String, after version: Int64, notBy origin: String,
                              in db: any SQLDatabase) throws -> [String: FieldChange] {
        var result: [String: FieldChange] = [:]
        try db.forEachRow("""
            SELECT version, columns, origin, made_at, made_by, clock_ahead FROM change_log
            WHERE entity = ? AND entity_id = ? AND version > ? AND origin != ? ORDER BY version
            """, [table, id, version, origin]) { row in
            let change = FieldChange(
                version: try row.int64("version"), origin: try row.string("origin"),
                edit: Edit(madeAt: Timestamp(try row.string("made_at")) ?? Timestamp(secondsSinceEpoch: 0), user: try row.string("made_by"),
                           clockAhead: try row.int64("clock_ahead") != 0))
            for column in (try row.string("columns")).split(separator: ",") {
                let key = String(column)
                if let known = result[key], known.edit.madeAt > change.edit.madeAt { continue }
                result[key] = change
            }
        }
        return result
    }

    /// The version of the latest entry by `origin` after `version` that changed `column` of a row, if any.
    static func lastChange(of column: String, table: String, id: String, by origin: String, after version: Int64,
                           in db: any SQLDatabase) throws -> Int64? {
        var last: Int64?
        try db.forEachRow("SELECT version, columns FROM change_log WHERE entity = ? AND entity_id = ? AND origin = ? AND version > ? ORDER BY version",
                          [table, id, origin, version]) { row in
            if (try row.string("columns")).split(separator: ",").contains(Substring(column)) { last = try row.int64("version") }
        }
        return last
    }
}
