import OutpostStore

/// Every reseller's change-log head in one small table of a PostgreSQL node's registry (`outpost_node.reseller_head`):
/// what a serving process polls to learn that another process, or a back-office job on another machine, moved a
/// reseller's log (`NodeChangeWatch`).
///
/// Written in the transaction that moves the log (`ChangeLog.Writer.finish`), sent without waiting for an answer and
/// under the reseller's counter-row lock the writer already holds: no round trip more, and no lock shared between
/// resellers. (PostgreSQL's NOTIFY would have told the processes at once, but it makes every notifying commit in the
/// whole cluster wait for the one before it, pushes of all resellers included.) A SQLite node has no such table.
enum PublishedHeads {
    /// Made when a PostgreSQL node is created, opened or migrated into; the schema is the registry's.
    static let createTable = """
        CREATE TABLE IF NOT EXISTS \(Node.registrySchema).reseller_head (
            reseller TEXT PRIMARY KEY,
            version BIGINT NOT NULL
        )
        """

    /// Makes the table where it is missing (a node created before it), one process at a time: two processes
    /// running `CREATE TABLE IF NOT EXISTS` at once can collide on PostgreSQL's catalog.
    static func prepare(in registry: any SQLDatabase) throws {
        guard registry.dialect == .postgresql else { return }
        try registry.transaction {
            try registry.execute("SELECT pg_advisory_xact_lock(?)", [PostgresDatabase.advisoryLockKey("outpost reseller_head")])
            try registry.executeScript(createTable)
        }
    }

    /// Publishes the head the caller's transaction moved the reseller's log to; inside that transaction.
    static func publish(_ version: Int64, for reseller: String, in db: any SQLDatabase) throws {
        guard db.dialect == .postgresql else { return }
        try db.executeLater("""
            INSERT INTO \(Node.registrySchema).reseller_head (reseller, version) VALUES (?, ?)
            ON CONFLICT (reseller) DO UPDATE SET version = excluded.version
            """, [reseller, version])
    }

    /// Publishes a reseller's head where it has none yet (a reseller readied for the first time since the table came).
    static func register(_ reseller: String, head: Int64, in db: any SQLDatabase) throws {
        guard db.dialect == .postgresql else { return }
        try db.execute("INSERT INTO \(Node.registrySchema).reseller_head (reseller, version) VALUES (?, ?) ON CONFLICT (reseller) DO NOTHING",
                       [reseller, head])
    }
}
