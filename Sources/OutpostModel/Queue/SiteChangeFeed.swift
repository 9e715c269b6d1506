import OutpostStore

/// One change in the feed: a row that was written, or a row that a written row refers to.
public struct SiteChange: Sendable, Equatable {
    /// The feed position; increases with every change and is never reused.
    public let seq: Int64
    /// The table of the changed row (`customer`, `invoice`, …), or `*` for an overflow marker.
    public let entity: String
    /// The changed row's id (empty for an overflow marker).
    public let entityId: String
    /// Empty when the row itself was written; the child table's name when a row pointing at
    /// this one was; `display` for a customer update that moved neither status nor
    /// creation date; `name` for one that also left the invoices' bill-to as it was,
    /// but for the name; `overflow` for the marker of a bulk write.
    public let via: String

    public init(seq: Int64, entity: String, entityId: String, via: String) {
        self.seq = seq
        self.entity = entity
        self.entityId = entityId
        self.via = via
    }
}

/// The replica's feed of changed rows (table `site_change`), so the dashboards
/// rebuild only the pages whose data changed since their last build.
///
/// It records what changed, never which page shows it: each row written, and
/// each row a written row refers to (a payment names its customer and its
/// invoice; recorded with it because a deleted row can no longer be asked).
/// The site builder remembers `latest` after a build, next time asks for
/// `changes(after:)`, and decides itself which pages those rows show on
/// (`ChangePlan` in OutpostSite). `nil` means "cannot tell, rebuild everything".
///
/// (Called `SiteJournal` before: a change feed is not a journal, an accounting
/// word in this domain. The table and the `replica_meta` key keep their names,
/// which renaming would cost a migration of every replica for nothing.)
///
/// Triggers write the feed, so no write path can forget it. They are TEMP
/// triggers, created on each connection `Replica` opens: the node keeps one
/// database per reseller with the same schema, and nothing would ever read a
/// feed there. Bulk writes (big pulls, snapshots, the fixture generator)
/// switch the triggers off and leave one overflow marker instead of millions of
/// rows that would only say "everything changed" slowly.
public enum SiteChangeFeed {
    /// Pull pages with more changes than this are applied with the feed off (`withFeedOff`).
    public static let bulkThreshold = 2_000

    /// The marker a bulk write leaves: anything may have changed.
    static let overflow = (entity: "*", entityId: "", via: "overflow")

    /// `replica_meta` key: the highest seq pruned away; asking for changes after an older seq cannot be answered.
    static let prunedKey = "site_journal_pruned"

    /// A column of a table that refers to a row of another table.
    struct Parent {
        let column: String
        let table: String
    }

    /// The references the feed records with a written row, by table: the rows it belongs to
    /// (its customer, its invoice, its order…). Which pages those rows show on is the site's
    /// business; tables missing here (settings, plans, users, logins, conflicts) belong to no row.
    static let parents: [String: [Parent]] = [
        "customer_user": [Parent(column: "customer_id", table: "customer")],
        "orders": [Parent(column: "customer_id", table: "customer")],
        "order_line": [Parent(column: "order_id", table: "orders")],
        "subscription": [Parent(column: "customer_id", table: "customer")],
        "invoice": [Parent(column: "customer_id", table: "customer")],
        "invoice_line": [Parent(column: "invoice_id", table: "invoice")],
        "credit_note": [Parent(column: "invoice_id", table: "invoice"), Parent(column: "customer_id", table: "customer")],
        "credit_note_line": [Parent(column: "credit_note_id", table: "credit_note")],
        "payment": [Parent(column: "customer_id", table: "customer"), Parent(column: "invoice_id", table: "invoice")],
        "domain": [Parent(column: "customer_id", table: "customer")],
        "ssl_certificate": [Parent(column: "customer_id", table: "customer")],
        "license": [Parent(column: "customer_id", table: "customer")],
        "notification": [Parent(column: "customer_id", table: "customer")],
        "price_rule": [Parent(column: "plan_id", table: "plan")],
        // A portal's id is its customer's.
        "customer_portal": [Parent(column: "id", table: "customer")],
    ]

    /// How an update of a table marks the row itself: a customer update that moved neither
    /// status nor creation date cannot change any financial figure (`display`), and one that
    /// also left the bill-to's contact, address and tax id alone changes at most the name on
    /// the customer's invoices (`name`), so the site can rebuild less for them.
    static func updateVia(_ table: String) -> String {
        let billTo = ["contact_name", "address", "city", "postal_code", "country", "tax_id"].map { "OLD.\($0) IS NEW.\($0)" }.joined(separator: " AND ")
        return table == "customer"
            ? "CASE WHEN OLD.status IS NOT NEW.status OR OLD.created_at IS NOT NEW.created_at THEN '' WHEN \(billTo) THEN 'name' ELSE 'display' END"
            : "''"
    }

    /// The events recorded for every replicated table.
    static let events = ["INSERT", "UPDATE", "DELETE"]

    static func triggerName(_ table: String, _ event: String) -> String {
        "site_change_\(table)_\(event.lowercased())"
    }

    /// Per replicated table, the script making its three TEMP triggers and the one dropping them.
    /// Identifiers come from `Schema.replicatedTables` and `parents` only.
    static let triggerScripts: [String: (create: String, drop: String)] = {
        let insert = "INSERT INTO site_change (entity, entity_id, via)"
        var scripts: [String: (create: String, drop: String)] = [:]
        for table in Schema.replicatedTables.map(SQLIdentifier.checked) {
            let links = (parents[table] ?? []).map { (column: SQLIdentifier.checked($0.column), table: SQLIdentifier.checked($0.table)) }
            func trigger(_ event: String, _ body: [String]) -> String {
                // Trigger bodies may not name a schema for the table they write (https://sqlite.org/lang_createtrigger.html);
                // `site_change` exists only in main, so the unqualified name finds it.
                """
                CREATE TEMP TRIGGER IF NOT EXISTS \(triggerName(table, event)) AFTER \(event) ON main.\(table)
                WHEN NOT EXISTS (SELECT 1 FROM temp.site_change_off)
                BEGIN
                \(body.map { "    \($0);" }.joined(separator: "\n"))
                END;

                """
            }
            func rowAndParents(_ image: String) -> [String] {
                ["\(insert) VALUES ('\(table)', \(image).id, '')"]
                    + links.map { "\(insert) SELECT '\($0.table)', \(image).\($0.column), '\(table)' WHERE \(image).\($0.column) IS NOT NULL" }
            }
            let via = updateVia(table)
            let create = trigger("INSERT", rowAndParents("NEW")) + trigger("DELETE", rowAndParents("OLD")) + trigger("UPDATE", [
                "\(insert) VALUES ('\(table)', NEW.id, \(via))",
                "\(insert) SELECT '\(table)', OLD.id, \(via) WHERE OLD.id IS NOT NEW.id",
            ] + links.flatMap { link in [
                "\(insert) SELECT '\(link.table)', NEW.\(link.column), '\(table)' WHERE NEW.\(link.column) IS NOT NULL",
                "\(insert) SELECT '\(link.table)', OLD.\(link.column), '\(table)' WHERE OLD.\(link.column) IS NOT NULL AND OLD.\(link.column) IS NOT NEW.\(link.column)",
            ] })
            let drop = events.map { "DROP TRIGGER IF EXISTS temp.\(triggerName(table, $0));\n" }.joined()
            scripts[table] = (create, drop)
        }
        return scripts
    }()

    /// The off switch and every table's triggers, as one script.
    static let installScript = "CREATE TEMP TABLE IF NOT EXISTS site_change_off (x INTEGER);\n"
        + Schema.replicatedTables.compactMap { triggerScripts[$0]?.create }.joined()

    /// Makes this connection record every write to a replicated table in the feed. Call after migrating;
    /// calling again is harmless. TEMP objects live as long as the connection.
    public static func install(on db: Database) throws {
        try db.executeScript(installScript)
    }

    /// Whether `install` ran on this connection.
    static func isInstalled(_ db: Database) throws -> Bool {
        try db.scalar("SELECT 1 FROM sqlite_temp_master WHERE type = 'table' AND name = 'site_change_off'") != nil
    }

    /// Runs a bulk write with the feed off and leaves one overflow marker ("rebuild everything").
    ///
    /// Recording every row of a million-row pull would cost more than the pull itself and say
    /// no more than the marker does. The switch is removed again also when `body` throws; inside a
    /// transaction that then rolls back, the marker goes with it, so the journal never claims less
    /// than happened. Nested calls are fine: each removes only its own switch.
    ///
    /// Besides setting the switch, the triggers of `tables` (every replicated table when nil; name
    /// the ones the bulk write fills) are dropped for the duration and made again afterwards:
    /// while a table has a trigger, SQLite gives every write statement on it a statement journal
    /// (https://sqlite.org/tempfiles.html#stmtjrnl), even when the trigger's WHEN is false — a
    /// tenth of a big pull's time. TEMP schema changes are transactional, so a rollback brings
    /// the triggers back too.
    public static func withFeedOff<T>(_ db: Database, tables: [String]? = nil, _ body: () throws -> T) throws -> T {
        let hasJournal = try db.scalar("SELECT 1 FROM main.sqlite_master WHERE type = 'table' AND name = 'site_change'") != nil
        // The marker first: if `body` commits some of its work and then fails, the marker already says so.
        if hasJournal {
            try db.execute("INSERT INTO site_change (entity, entity_id, via) VALUES (?, ?, ?)", [overflow.entity, overflow.entityId, overflow.via])
        }
        guard try isInstalled(db) else { return try body() }
        try db.execute("INSERT INTO temp.site_change_off (x) VALUES (1)")
        let flag = try db.scalar("SELECT last_insert_rowid()")?.int64 ?? 0
        // Only triggers still there: an enclosing call that dropped some makes those again itself.
        let present = Set(try db.rows("SELECT DISTINCT tbl_name FROM sqlite_temp_master WHERE type = 'trigger' AND name LIKE 'site_change_%'")
            .compactMap { $0[0].string })
        let dropped = (tables ?? Schema.replicatedTables).filter(present.contains).compactMap { triggerScripts[$0] }
        // Switching back on must not fail silently (the feed would stay off), so only the
        // error path swallows a second error.
        func switchBackOn() throws {
            if !dropped.isEmpty { try db.executeScript(dropped.map(\.create).joined()) }
            try db.execute("DELETE FROM temp.site_change_off WHERE rowid = ?", [flag])
        }
        let result: T
        do {
            if !dropped.isEmpty { try db.executeScript(dropped.map(\.drop).joined()) }
            result = try body()
        } catch {
            try? switchBackOn()
            throw error
        }
        try switchBackOn()
        return result
    }

    /// The highest seq handed out so far (0 for a feed never written); pruning does not lower it.
    public static func latest(_ db: Database) throws -> Int64 {
        // sqlite_sequence keeps AUTOINCREMENT's high-water mark even when every row is deleted.
        let sequence = try db.scalar("SELECT seq FROM sqlite_sequence WHERE name = 'site_change'")?.int64 ?? 0
        return max(sequence, try pruned(db))
    }

    /// The changes after `seq`, oldest first; nil when the feed cannot say what changed
    /// (a bulk write happened, more than `limit` changes, the feed was pruned past `seq`, or
    /// `seq` is ahead of this feed — it came from another database): rebuild everything.
    public static func changes(_ db: Database, after seq: Int64, limit: Int) throws -> [SiteChange]? {
        guard seq >= (try pruned(db)), seq <= (try latest(db)) else { return nil }
        var changes: [SiteChange] = []
        var complete = true
        try db.forEachRowWhile("SELECT seq, entity, entity_id, via FROM site_change WHERE seq > ? ORDER BY seq LIMIT ?",
                               [seq, Int64(max(limit, 0)) + 1]) { row in
            let change = SiteChange(seq: try row.int64("seq"), entity: try row.string("entity"),
                                    entityId: try row.string("entity_id"), via: try row.string("via"))
            guard change.entity != overflow.entity, changes.count < limit else {
                complete = false
                return false
            }
            changes.append(change)
            return true
        }
        return complete ? changes : nil
    }

    /// Deletes the changes up to and including `seq` (clamped to `latest`) and remembers how far
    /// it pruned, so a later question about older changes gets nil, not a partial answer.
    public static func prune(_ db: Database, through seq: Int64) throws {
        try db.transaction {
            let through = min(seq, try latest(db))
            guard through > (try pruned(db)) else { return }
            try db.execute("DELETE FROM site_change WHERE seq <= ?", [through])
            try db.execute("INSERT INTO replica_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                           [prunedKey, String(through)])
        }
    }

    /// The highest seq pruned away (0 when never pruned).
    static func pruned(_ db: Database) throws -> Int64 {
        Int64(try db.scalar("SELECT value FROM replica_meta WHERE key = ?", [prunedKey])?.string ?? "0") ?? 0
    }
}

/// The feed's former name, for code written against it (other modules' branches, scripts); use `SiteChangeFeed`.
public typealias SiteJournal = SiteChangeFeed

extension SiteChangeFeed {
    /// The former name of `withFeedOff`.
    public static func withJournalOff<T>(_ db: Database, tables: [String]? = nil, _ body: () throws -> T) throws -> T {
        try withFeedOff(db, tables: tables, body)
    }
}
