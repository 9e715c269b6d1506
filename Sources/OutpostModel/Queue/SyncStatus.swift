import OutpostStore

/// What a replica knows about its sync with the node: for `outpost status`,
/// the dashboards' freshness line and the sync page.
public struct SyncStatus: Sendable, Equatable, Codable {
    /// One recorded `outpost sync` (or push/pull) run.
    public struct Run: Sendable, Equatable, Codable {
        public let runId: String
        public let startedAt: Timestamp
        public let finishedAt: Timestamp?
        public let pushed: Int
        public let pulled: Int
        public let refused: Int
        public let conflicts: Int
        public let bytes: Int64
        /// `running`, `ok`, `attention` (refusals or conflicts) or `failed`.
        public let result: String
        public let message: String
        public let cursor: Int64
    }

    /// The node's change-log position this replica has applied up to (0 = never pulled).
    public let cursor: Int64
    /// The node location, if the replica is attached to one.
    public let node: String?
    public let resellerId: String?
    /// The last run that ended `ok` or `attention`.
    public let lastSuccessfulRun: Run?
    /// The latest run, whatever its result.
    public let lastRun: Run?
    /// Mutations waiting to be pushed or acknowledged.
    public let pending: Int
    /// Mutations the node refused.
    public let rejected: Int
    /// Conflict records still open (resolved ones stay in the history but need no one).
    public let conflicts: Int

    public static func load(from db: Database) throws -> SyncStatus {
        func meta(_ key: String) throws -> String? { try db.scalar("SELECT value FROM replica_meta WHERE key = ?", [key])?.string }
        func run(_ sql: String) throws -> Run? {
            try db.row(sql).map { row in
                Run(runId: try row.string("run_id"), startedAt: Timestamp(try row.string("started_at")) ?? Timestamp(secondsSinceEpoch: 0),
                    finishedAt: try row.optionalString("finished_at").flatMap(Timestamp.init), pushed: try row.int("pushed"),
                    pulled: try row.int("pulled"), refused: try row.int("refused"), conflicts: try row.int("conflicts"),
                    bytes: try row.int64("bytes"), result: try row.string("result"), message: try row.string("message"),
                    cursor: try row.int64("cursor"))
            }
        }
        func count(_ table: String) throws -> Int { Int(try db.scalar("SELECT count(*) FROM \(table)")?.int64 ?? 0) }
        return SyncStatus(
            cursor: Int64(try meta("cursor") ?? "0") ?? 0, node: try meta("node"), resellerId: try meta("reseller_id"),
            lastSuccessfulRun: try run("SELECT * FROM sync_run WHERE result IN ('ok', 'attention') ORDER BY id DESC LIMIT 1"),
            lastRun: try run("SELECT * FROM sync_run ORDER BY id DESC LIMIT 1"),
            pending: try count("queue"), rejected: try count("rejected"), conflicts: try Conflict.openCount(in: db))
    }
}
