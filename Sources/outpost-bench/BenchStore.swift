import Foundation
import OutpostModel
import OutpostPostgresCluster
import OutpostStore
import OutpostSync
#if canImport(Glibc)
import Glibc
#endif

/// Where a scenario's node keeps its state: SQLite files in its directory, or a PostgreSQL database.
enum BenchStore {
    case sqlite
    case postgresql(PostgresConnectionString)

    var name: String {
        switch self {
        case .sqlite: return "SQLite"
        case .postgresql: return "PostgreSQL"
        }
    }

    var isPostgreSQL: Bool {
        if case .postgresql = self { return true }
        return false
    }

    /// Makes what a setup wrote durable before a timed phase, so that the phase is not charged for it: the file
    /// system's dirty pages (`sync`) and, on PostgreSQL, a `CHECKPOINT` (after 1,000 resellers' schemas were made,
    /// the checkpointer and the kernel otherwise write for minutes: the no-op syncs timed right after ran at
    /// 2,000/s and at 3,700/s once that was done). Best effort: a server's user may not be allowed to checkpoint.
    func settle() {
        if case .postgresql(let store) = self { try? PostgresDatabase(store).executeScript("CHECKPOINT") }
        sync()
    }

    /// A new node in `directory` on this store.
    func createNode(at directory: URL, clock: any Clock) throws -> Node {
        switch self {
        case .sqlite: return try Node.create(at: directory, clock: clock)
        case .postgresql(let store): return try Node.create(at: directory, store: store, clock: clock)
        }
    }
}

/// The PostgreSQL server the scenarios use: `OUTPOST_BENCH_POSTGRES` (a connection string, read from the environment,
/// never from argv) when set, else a throwaway cluster of the bench's own, started with fsync on (a push is
/// acknowledged only once its commit is durable, on both stores) and stopped when the scenario ends.
/// Every scenario gets a database of its own, dropped at its end.
final class BenchPostgres {
    static let environmentVariable = "OUTPOST_BENCH_POSTGRES"

    /// Where the server came from, for the output.
    let source: String
    private let cluster: PostgresCluster?
    private let adminText: String
    private var databases: [String] = []

    private init(source: String, cluster: PostgresCluster?, adminText: String) {
        self.source = source
        self.cluster = cluster
        self.adminText = adminText
    }

    /// The server, or why there is none.
    static func start() -> Result<BenchPostgres, PostgresCluster.Unavailable> {
        if let text = ProcessInfo.processInfo.environment[environmentVariable] {
            return .success(BenchPostgres(source: "\(environmentVariable)", cluster: nil, adminText: text))
        }
        switch PostgresCluster.startPrivate(fsync: true) {
        case .success(let cluster):
            return .success(BenchPostgres(source: "a throwaway cluster (\(cluster.version), fsync on)", cluster: cluster,
                                          adminText: cluster.connectionString()))
        case .failure(let reason):
            return .failure(reason)
        }
    }

    /// A new, empty database on the server.
    func freshDatabase(_ name: String) throws -> PostgresConnectionString {
        let database = "outpost_bench_\(name.replacingOccurrences(of: "-", with: "_"))_\(getpid())"
        let admin = try PostgresDatabase(try PostgresConnectionString(adminText, source: source))
        // The name is made here of letters, digits and underscores: an identifier, not data.
        try admin.executeScript("DROP DATABASE IF EXISTS \(database)")
        try admin.executeScript("CREATE DATABASE \(database)")
        databases.append(database)
        return try PostgresConnectionString(Self.text(adminText, database: database), source: source)
    }

    /// The connection text naming `database` instead: libpq takes the last of a repeated keyword, and a URI's
    /// query parameters over its path.
    private static func text(_ text: String, database: String) -> String {
        if text.hasPrefix("postgresql://") || text.hasPrefix("postgres://") {
            return text + (text.contains("?") ? "&" : "?") + "dbname=\(database)"
        }
        return text + " dbname=\(database)"
    }

    /// Drops the scenario's databases and stops the throwaway cluster.
    func stop() {
        if let admin = try? PostgresDatabase(try PostgresConnectionString(adminText, source: source)) {
            for database in databases { try? admin.executeScript("DROP DATABASE IF EXISTS \(database) WITH (FORCE)") }
        }
        cluster?.stop()
    }
}

/// A scenario's figure on one store, and whether it meets the issue's target there (`nil`: no target on that store).
struct StoreFigure {
    let line: String
    let met: Bool?

    var verdict: String { met.map { $0 ? " [target met]" : " [target missed]" } ?? "" }
}

/// Runs one scenario on SQLite, then on PostgreSQL, and prints both figures under its name.
/// `OUTPOST_BENCH_STORES=postgresql` (or `sqlite`) runs it on one only, for a quick look at one store.
func onBothStores(_ scenario: String, target: String, _ body: (BenchStore) throws -> StoreFigure) -> String {
    var lines = ["\(scenario) (target: \(target))"]
    let chosen = ProcessInfo.processInfo.environment["OUTPOST_BENCH_STORES"]?.lowercased() ?? "sqlite,postgresql"
    if chosen.contains("sqlite") {
        resetPeakMemory()
        do {
            let figure = try body(.sqlite)
            lines.append("  SQLite:     \(figure.line)\(figure.verdict)")
        } catch {
            lines.append("  SQLite:     failed: \(error)")
        }
    } else {
        lines.append("  SQLite:     not run (OUTPOST_BENCH_STORES=\(chosen))")
    }
    guard chosen.contains("postgresql") else {
        lines.append("  PostgreSQL: not run (OUTPOST_BENCH_STORES=\(chosen))")
        return lines.joined(separator: "\n")
    }
    switch BenchPostgres.start() {
    case .failure(let reason):
        lines.append("  PostgreSQL: skipped: \(reason.description)")
    case .success(let server):
        defer { server.stop() }
        resetPeakMemory()
        do {
            let figure = try body(.postgresql(try server.freshDatabase(scenario)))
            lines.append("  PostgreSQL: \(figure.line)\(figure.verdict) (server: \(server.source))")
        } catch {
            lines.append("  PostgreSQL: failed: \(error) (server: \(server.source))")
        }
    }
    return lines.joined(separator: "\n")
}

/// Inserts rows into a node's table for a scenario's setup (not timed), on either store: many rows per statement on
/// PostgreSQL, where one statement per row is one round trip per row; one cached statement per row on SQLite.
/// `table` and `columns` come from the schema's own lists, never from data.
final class BatchInsert {
    private let db: any SQLDatabase
    private let table: String
    private let columns: [String]
    private let rowsPerStatement: Int
    private var pending: [SQLValue] = []
    private var pendingRows = 0

    init(into db: any SQLDatabase, table: String, columns: [String]) {
        self.db = db
        self.table = table
        self.columns = columns
        // PostgreSQL binds at most 65,535 parameters a statement.
        rowsPerStatement = db.dialect == .postgresql ? max(1, 20_000 / columns.count) : 1
    }

    func add(_ values: [SQLValue]) throws {
        precondition(values.count == columns.count, "\(values.count) values for \(columns.count) columns")
        pending += values
        pendingRows += 1
        if pendingRows == rowsPerStatement { try flush() }
    }

    func flush() throws {
        guard pendingRows > 0 else { return }
        let row = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
        let sql = "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES " + Array(repeating: row, count: pendingRows).joined(separator: ", ")
        if let sqlite = db as? Database {
            try sqlite.cachedStatement(sql).execute(pending)
        } else {
            try db.execute(sql, pending)
        }
        pending.removeAll(keepingCapacity: true)
        pendingRows = 0
    }
}
