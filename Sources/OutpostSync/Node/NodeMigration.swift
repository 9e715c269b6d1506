import Foundation
import OutpostModel
import OutpostStore

/// Moves a SQLite node into an empty PostgreSQL database (`outpost node migrate`), so that its replicas
/// carry on syncing without a new `init`: the same resellers and token hashes, the same change logs with
/// their versions (so every replica's cursor still points at the same change), the same verdicts (so a
/// replayed `(replica, seq)` is still answered, not applied again), and rows that hash to the same
/// digests (`RowDigest`).
///
/// The whole copy is one PostgreSQL transaction on one connection: it commits only after every
/// reseller's digests were checked against the source, and anything that fails on the way leaves the
/// target database as it was. Each source database is read inside one read transaction, so each is
/// copied as of one moment; a source written to during the copy (a `node serve` still running) is
/// noticed before the commit and refused.
public enum NodeMigration {
    /// Rows are sent to PostgreSQL this many per `INSERT`, read from SQLite one at a time: a large
    /// reseller's change log is never held in memory whole. (PostgreSQL takes at most 65,535 bound
    /// values per statement; our widest table has under 40 columns.)
    static let batchRows = 500

    /// What one reseller's copy holds.
    public struct ResellerCopy: Sendable, Codable, Equatable {
        public let id: String
        /// Rows copied, every table of the reseller's database together.
        public let rows: Int64
        public let changeLogEntries: Int64
        /// The change log's head: the cursor a replica that is up to date holds, the same on both stores.
        public let changeLogHead: Int64
        public let verdicts: Int64
        /// Replicated tables whose digests were compared (all of them: `Schema.replicatedTables`).
        public let tablesVerified: Int
    }

    /// What a migration copied.
    public struct Report: Sendable, Codable, Equatable {
        public let resellers: [ResellerCopy]
        public let tokens: Int64
        public let plans: Int64
    }

    /// Why a node cannot be migrated; nothing was written to the target.
    public enum Failure: Error, Sendable, CustomStringConvertible, Equatable {
        /// The target database already holds a node (or a reseller's schema).
        case targetHoldsNode(String)
        /// The source changed while it was copied.
        case sourceChanged(String)
        /// A copied table does not hash to the source's digest.
        case digestsDiffer(reseller: String, table: String)
        /// A table holds a different number of rows after the copy.
        case rowsDiffer(reseller: String, table: String, source: Int64, target: Int64)

        public var description: String {
            switch self {
            case .targetHoldsNode(let store):
                return "\(store) already holds an Outpost node; migrate into an empty database (CREATE DATABASE …) — nothing was changed"
            case .sourceChanged(let what):
                return "\(what) was written to while it was copied: stop every outpost node serve and back-office job of this node and migrate again; nothing was written to the target"
            case let .digestsDiffer(reseller, table):
                return "the copy of reseller \(reseller)'s \(table) does not hash to the source's digest; nothing was written to the target"
            case let .rowsDiffer(reseller, table, source, target):
                return "the copy of \(reseller)'s \(table) has \(target) rows where the source has \(source); nothing was written to the target"
            }
        }
    }

    /// Copies the SQLite node in `source` into the PostgreSQL database `target`, which must hold no node.
    /// `progress` is told each reseller as it is done.
    public static func run(from source: URL, to target: PostgresConnectionString, clock: any Clock,
                           progress: (ResellerCopy) -> Void = { _ in }) throws -> Report {
        let node = try Node.open(source, clock: clock)
        guard case .sqlite = node.store, let registry = node.registry as? Database else {
            throw Node.AdminError("the node at \(source.path) is not a SQLite node: node migrate copies a SQLite node into PostgreSQL")
        }
        let db = try PostgresDatabase(target)
        return try db.transaction {
            // Two migrations into one database at once: the second waits here for the first's commit, then finds its node.
            try db.execute("SELECT pg_advisory_xact_lock(?)", [PostgresDatabase.advisoryLockKey("outpost node migrate")])
            if try db.scalar("SELECT 1 FROM information_schema.schemata WHERE schema_name = ? OR schema_name LIKE 'reseller\\_%'",
                             [Node.registrySchema]) != nil {
                throw Failure.targetHoldsNode(target.display)
            }
            // The registry: resellers, token hashes with their expiry, last use and revocation, the catalog.
            try db.executeScript("CREATE SCHEMA \(Node.registrySchema); SET search_path TO \(Node.registrySchema)")
            try PostgreSQLSchema.create(from: Node.registryMigrator, in: db)
            try db.executeScript(PublishedHeads.createTable)
            let registryMark = try registry.readTransaction {
                _ = try copyDatabase(registry, into: db, label: "the node's registry")
                return try registryFingerprint(registry)
            }
            var copies: [ResellerCopy] = []
            for reseller in try node.resellers() {
                let copy = try copyReseller(reseller.id, of: node, into: db)
                copies.append(copy)
                progress(copy)
            }
            // Nothing may have been written to the source since its copy began (its read transactions saw one moment each).
            guard try registryFingerprint(registry) == registryMark else { throw Failure.sourceChanged("the node's registry (\(Node.registryName))") }
            for copy in copies {
                let file = try tenantDatabase(copy.id, of: node)
                guard try ChangeLog.head(in: file) == copy.changeLogHead,
                      try file.scalar("SELECT count(*) FROM verdict")?.int64 == copy.verdicts else {
                    throw Failure.sourceChanged("reseller \(copy.id)'s database")
                }
            }
            try db.executeScript("SET search_path TO \(Node.registrySchema)")
            return Report(resellers: copies,
                          tokens: try db.scalar("SELECT count(*) FROM token")?.int64 ?? 0,
                          plans: try db.scalar("SELECT count(*) FROM catalog_plan")?.int64 ?? 0)
        }
    }

    /// A reseller's SQLite database, upgraded and with its kept digests in place, as `Node.tenant` opens it;
    /// opened here rather than through the node, which keeps every reseller's file open.
    static func tenantDatabase(_ resellerId: String, of node: Node) throws -> Database {
        let file = try Database(path: node.directory.appendingPathComponent("tenants/\(resellerId).sqlite").path)
        try Schema.migrate(file)
        try file.transaction { try RowDigest.prepare(in: file) }
        return file
    }

    /// Copies one reseller's database into a schema of its own, checks every table, and sets its counter.
    static func copyReseller(_ resellerId: String, of node: Node, into db: PostgresDatabase) throws -> ResellerCopy {
        let file = try tenantDatabase(resellerId, of: node)
        let schema = Node.tenantSchema(resellerId)
        try db.executeScript("CREATE SCHEMA \(schema); SET search_path TO \(schema)")
        try PostgreSQLSchema.create(from: Schema.migrator, in: db)
        let (tables, head, verdicts) = try file.readTransaction {
            (try copyDatabase(file, into: db, label: "reseller \(resellerId)"), try ChangeLog.head(in: file),
             try file.scalar("SELECT count(*) FROM verdict")?.int64 ?? 0)
        }
        // The replicated tables' digests, as a replica's pull compares them, from the copied rows.
        let digests = try RowDigest.computeAll(in: db)
        for table in Schema.replicatedTables where digests[table] != tables[table] {
            throw Failure.digestsDiffer(reseller: resellerId, table: table)
        }
        // Versions go on from the head the replicas' cursors know.
        try Tenant.prepareCounter(for: resellerId, in: db)
        guard try ResellerCounter.current(for: resellerId, in: db) == head, try ChangeLog.head(in: db) == head else {
            throw Failure.rowsDiffer(reseller: resellerId, table: "reseller_counter", source: head, target: try ResellerCounter.current(for: resellerId, in: db) ?? -1)
        }
        return ResellerCopy(id: resellerId, rows: tables.values.reduce(0) { $0 + $1.rows }, changeLogEntries: tables["change_log"]?.rows ?? 0,
                            changeLogHead: head, verdicts: verdicts, tablesVerified: Schema.replicatedTables.count)
    }

    /// Replaces every row of the target's tables (its current schema) with the source's, table by table in
    /// the order SQLite made them (a referenced table before those that reference it), and checks each
    /// copy's row count and row hashes. Returns each table's count and hash sum (`TableDigest`).
    static func copyDatabase(_ source: Database, into db: PostgresDatabase, label: String) throws -> [String: TableDigest] {
        let tables = try source.rows("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid")
            .map { try $0.string("name") }
        let present = Set(try db.rows("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")
            .map { try $0.string("table_name") })
        for table in tables where !present.contains(table) {
            throw Node.AdminError("\(label) has a table \(table) that the PostgreSQL schema lacks: is this outpost older than the node?")
        }
        // The rows the schema's steps seeded (settings, default markup…) give way to the source's own.
        for table in tables.reversed() { try db.execute("DELETE FROM \(quoted(table))") }
        var copied: [String: TableDigest] = [:]
        for table in tables {
            let sent = try copyTable(table, from: source, into: db)
            let received = try fingerprint(table, in: db)
            guard received == sent else {
                throw Failure.rowsDiffer(reseller: label, table: table, source: sent.rows, target: received.rows)
            }
            copied[table] = sent
        }
        // Identity columns (SQLite's rowid keys) were given their values: their sequences go on after the largest.
        for identity in try db.rows("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() AND is_identity = 'YES'") {
            let table = try identity.string("table_name"), column = try identity.string("column_name")
            guard let largest = try db.scalar("SELECT max(\(quoted(column))) FROM \(quoted(table))")?.int64 else { continue }
            _ = try db.scalar("SELECT setval(pg_get_serial_sequence(?, ?), ?)", [quoted(table), column, largest])
        }
        return copied
    }

    /// Streams a table's rows from SQLite into PostgreSQL in batches; returns their count and hash sum.
    static func copyTable(_ table: String, from source: Database, into db: PostgresDatabase) throws -> TableDigest {
        var rows: Int64 = 0, sum: Int64 = 0
        var columns: [String] = []
        var batch: [SQLValue] = []
        func flush() throws {
            guard !batch.isEmpty else { return }
            let tuple = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
            let count = batch.count / columns.count
            try db.execute("INSERT INTO \(quoted(table)) (\(columns.map(quoted).joined(separator: ", "))) VALUES "
                           + Array(repeating: tuple, count: count).joined(separator: ", "), batch)
            batch.removeAll(keepingCapacity: true)
        }
        try source.forEachRow("SELECT * FROM \(quoted(table))") { row in
            if columns.isEmpty { columns = row.columns }
            batch += row.values
            rows += 1
            sum = sum &+ RowDigest.hash(row.dictionary)
            if batch.count >= batchRows * columns.count { try flush() }
        }
        try flush()
        return TableDigest(rows: rows, digest: sum)
    }

    /// A table's row count and the wrapping sum of its rows' hashes, as `RowDigest.compute` makes them for
    /// the replicated tables, for any table.
    static func fingerprint(_ table: String, in db: any SQLDatabase) throws -> TableDigest {
        var rows: Int64 = 0, sum: Int64 = 0
        try db.forEachRow("SELECT * FROM \(quoted(table))") { row in
            rows += 1
            sum = sum &+ RowDigest.hash(row.dictionary)
        }
        return TableDigest(rows: rows, digest: sum)
    }

    /// The registry's rows, hashed (small: resellers, tokens, plans).
    static func registryFingerprint(_ db: any SQLDatabase) throws -> [TableDigest] {
        try ["node_meta", "reseller", "token", "catalog_plan"].map { try fingerprint($0, in: db) }
    }

    /// A name from SQLite's catalogue or ours, quoted as an identifier.
    static func quoted(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
