import OutpostModel
import OutpostStore

/// The node's change log for one reseller: every accepted row change, with
/// a monotonically increasing version that is also written into the row.
enum ChangeLog {
    /// The highest version written so far (0 when empty). Never goes back: compaction
    /// may drop the newest entry (a delete), so the horizon it left counts too.
    /// Callers that need it to agree with other reads run it in a `readTransaction`.
    static func head(in db: any SQLDatabase) throws -> Int64 {
        try bounds(in: db).head
    }

    /// The head and the horizon (the oldest cursor the log serves incrementally, after compaction), in one query.
    static func bounds(in db: any SQLDatabase) throws -> (head: Int64, horizon: Int64) {
        guard let row = try db.row("SELECT \(boundsColumns)") else { return (0, 0) }
        return try bounds(of: row)
    }

    /// `bounds` and the kept table digests, in one statement (so from one snapshot); a digest not kept yet is
    /// missing, and `nil` when none is kept.
    static func boundsAndDigests(in db: any SQLDatabase) throws -> (head: Int64, horizon: Int64, digests: [String: TableDigest])? {
        var digests: [String: TableDigest] = [:]
        var last: Row?
        try db.forEachRow("SELECT entity, row_count, digest, \(boundsColumns) FROM table_digest") { row in
            digests[try row.string("entity")] = try TableDigest(tableDigestRow: row)
            last = row
        }
        guard let last else { return nil }
        let (head, horizon) = try bounds(of: last)
        return (head, horizon, digests)
    }

    /// The columns `logged` and `horizon` that `bounds(of:)` reads.
    private static let boundsColumns = """
        (SELECT coalesce(max(version), 0) FROM change_log) AS logged, (SELECT value FROM replica_meta WHERE key = 'horizon') AS horizon
        """

    private static func bounds(of row: Row) throws -> (head: Int64, horizon: Int64) {
        let logged = try row.optionalInt64("logged") ?? 0
        let horizon = Int64(try row.optionalString("horizon") ?? "0") ?? 0
        return (max(logged, horizon), horizon)
    }

    /// Appends a mutation's (or a back-office fact's) changes: one entry per
    /// row, in the order rows were first touched, with the final image.
    /// Sets each row's `version`, keeps table digests current (through `writer`, which
    /// stores them when the transaction ends); returns the last version written.
    ///
    /// `edit` says when the change counts as made and by whom: what a later
    /// conflicting edit of the same field is judged against (PROTOCOL.md 6.5).
    @discardableResult
    static func append(_ changes: [RowChange], origin: String, edit: Edit, writer: Writer) throws -> Int64 {
        let db = writer.db
        var order: [String] = []
        var first: [String: RowChange] = [:]
        var columns: [String: Set<String>] = [:]
        var touches: [String: Int] = [:]
        for change in changes {
            let key = change.table + "\u{1}" + change.id
            if first[key] == nil {
                order.append(key)
                first[key] = change
            }
            columns[key, default: []].formUnion(change.changedColumns)
            touches[key, default: 0] += 1
        }
        var version: Int64 = writer.version
        for key in order {
            guard let change = first[key] else { continue }
            version = writer.nextVersion()
            let table = RowDigest.checked(change.table)
            // The row as it is now, with its new version; none when the mutation deleted it.
            let after: [String: SQLValue]?
            if touches[key] == 1, change.before == nil, var inserted = change.after {
                // A row inserted and not touched again is as its INSERT returned it: its version is set without
                // waiting for an answer (on PostgreSQL one round trip less per new row; `executeLater`).
                inserted["version"] = .integer(version)
                try db.executeLater("UPDATE \(table) SET version = ? WHERE id = ?", [version, change.id])
                after = inserted
            } else {
                after = try db.row("UPDATE \(table) SET version = ? WHERE id = ? RETURNING *", [version, change.id])?.dictionary
            }
            let changed = columns[key, default: []].subtracting(["version"]).sorted().joined(separator: ",")
            let rowText = after.map { row in JSONValue.object(row.mapValues(\.json)).serialized }
            // Nobody reads its answer: on PostgreSQL it travels with the next statement that waits (`executeLater`).
            try db.executeLater("""
                INSERT INTO change_log (version, entity, entity_id, op, row, columns, origin, made_at, made_by, clock_ahead)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [version, table, change.id, after == nil ? "delete" : "upsert", rowText, changed, origin,
                      edit.madeAt.description, edit.user, edit.clockAhead])
            try writer.adjustDigest(table, before: change.before, after: after)
        }
        return version
    }

    /// One transaction's writes to a reseller's log, from `begin` to `finish`: it holds the reseller's writer lock,
    /// hands out versions and keeps the tables' digests in memory, and stores both once, just before the commit.
    ///
    /// Versions must be gap-free and in commit order (PROTOCOL.md, DESIGN.md "Scale past one machine").
    /// On SQLite the write transaction holds the file's one write lock, so the head read at `begin` stays the
    /// head until commit. On PostgreSQL several node processes write at once: `begin` locks the reseller's
    /// counter row (`ResellerCounter.lock`), so the reseller's next writer waits for this commit and reads
    /// the version this one stores. (SQLite keeps numbering from the head: its tools and tests that write
    /// the log directly need no counter.)
    ///
    /// Kept in memory rather than written per change: a push of 500 mutations updated the counter row and a
    /// digest row 500 times each in one transaction, two round trips per change, each slower than the last on
    /// PostgreSQL (every updated version of a row stays until the transaction ends). A part of the
    /// transaction that rolls back (a refused mutation's savepoint) rolls the writer back too (`mark`, `rollBack`).
    final class Writer {
        let db: any SQLDatabase
        let reseller: String
        /// The last version handed out.
        private(set) var version: Int64
        private let startVersion: Int64
        /// Each touched table's digest as this transaction has made it so far.
        private var digests: [String: TableDigest] = [:]
        /// The digests as they were stored when first read, to write only those that changed.
        private var storedDigests: [String: TableDigest] = [:]

        private init(db: any SQLDatabase, reseller: String, version: Int64) {
            self.db = db
            self.reseller = reseller
            self.version = version
            self.startVersion = version
        }

        /// Takes the reseller's writer lock inside the caller's transaction and reads where the log stands.
        static func begin(reseller: String, in db: any SQLDatabase) throws -> Writer {
            switch db.dialect {
            case .sqlite:
                guard db.isInTransaction else { throw ResellerCounter.Failure.outsideTransaction(reseller: reseller) }
                return Writer(db: db, reseller: reseller, version: try ChangeLog.head(in: db))
            case .postgresql:
                return Writer(db: db, reseller: reseller, version: try ResellerCounter.lock(for: reseller, in: db))
            }
        }

        func nextVersion() -> Int64 {
            version += 1
            return version
        }

        /// Replaces one row's contribution to its table's digest: call with the row before and after a write.
        func adjustDigest(_ table: String, before: [String: SQLValue]?, after: [String: SQLValue]?) throws {
            guard before != after else { return }
            var digest = try current(table)
            if let before { digest = TableDigest(rows: digest.rows - 1, digest: digest.digest &- RowDigest.hash(before)) }
            if let after { digest = TableDigest(rows: digest.rows + 1, digest: digest.digest &+ RowDigest.hash(after)) }
            digests[table] = digest
        }

        private func current(_ table: String) throws -> TableDigest {
            if let known = digests[table] { return known }
            let stored = try RowDigest.stored(table, in: db)
            storedDigests[table] = stored
            return stored
        }

        /// Where the writer stands, to return to when part of the transaction rolls back.
        struct Mark {
            fileprivate let version: Int64
            fileprivate let digests: [String: TableDigest]
        }

        func mark() -> Mark { Mark(version: version, digests: digests) }

        /// Forgets what was handed out since `mark`: the savepoint that wrote it rolled back.
        func rollBack(to mark: Mark) {
            version = mark.version
            digests = mark.digests
        }

        /// Stores the counter and the digests; call last, inside the transaction, before it commits.
        func finish() throws {
            if db.dialect == .postgresql, version != startVersion {
                try ResellerCounter.store(version, for: reseller, in: db)
                // Where every node process looks to learn that the log moved (`NodeChangeWatch`); sent without waiting.
                try PublishedHeads.publish(version, for: reseller, in: db)
            }
            for table in digests.keys.sorted() where digests[table] != storedDigests[table] {
                guard let digest = digests[table] else { continue }
                try RowDigest.store(table, digest, in: db)
            }
        }
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
