import Foundation
import Synchronization
import OutpostStore
import OutpostTestSupport
import Testing

/// Where a test's node keeps its state: the node's own suites run once per store (issue 16: "both
/// stores pass the same node test suites"), as `@Test(arguments: NodeStore.all)`.
enum NodeStore: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// SQLite files in the node's directory (`outpost node init DIR`).
    case sqlite
    /// A fresh database on the test run's throwaway cluster (`outpost node init DIR --store …`).
    case postgresql

    static let all = allCases

    var testDescription: String { rawValue }

    /// The database a PostgreSQL case keeps its node in, made for it alone; `nil` for SQLite. Where the
    /// cluster cannot be had, the test case is cancelled with the reason (Swift Testing shows it skipped),
    /// never failed.
    func makeDatabase() throws -> TestDatabase? {
        guard self == .postgresql else { return nil }
        guard let cluster = PostgresCluster.shared else {
            try Test.cancel("PostgreSQL is not available: \(PostgresCluster.unavailableReason ?? "unknown reason")")
        }
        return try TestDatabase(cluster: cluster)
    }

    /// As `makeDatabase()`, a copy of the database `make` fills once per `key` (`TestDatabase.copy`).
    func makeDatabase(key: String, _ make: (TestDatabase) throws -> Void) throws -> TestDatabase? {
        guard self == .postgresql else { return nil }
        guard let cluster = PostgresCluster.shared else {
            try Test.cancel("PostgreSQL is not available: \(PostgresCluster.unavailableReason ?? "unknown reason")")
        }
        return try TestDatabase.copy(of: key, cluster: cluster, make: make)
    }

    /// `outpost node init DIR` with what this store adds (`--store …`).
    func initArguments(_ node: String, database: TestDatabase?) -> [String] {
        ["node", "init", node] + (database.map { ["--store", $0.connectionString] } ?? [])
    }

    /// A reseller's database of a node made on this store, to read what the node holds: the SQLite file
    /// (read-only), or a connection to the reseller's schema.
    func tenantDatabase(node: String, reseller: String, database: TestDatabase?) throws -> any SQLDatabase {
        guard let database else {
            return try Database(path: URL(fileURLWithPath: node).appendingPathComponent("tenants/\(reseller).sqlite").path, mode: .readOnly)
        }
        let connection = try PostgresDatabase(PostgresConnectionString(database.connectionString))
        // The schema's name is the reseller's id with hyphens as underscores (`Node.tenantSchema`); ours have none.
        try connection.executeScript("SET search_path TO reseller_\(reseller.replacingOccurrences(of: "-", with: "_"))")
        return connection
    }
}

/// A database of its own on the shared cluster for one test (the node's schemas have fixed names),
/// dropped when the last reference goes, with whatever connections still use it.
final class TestDatabase: @unchecked Sendable {
    // @unchecked: every property is a constant.
    let name: String
    /// A libpq connection string to it, without a password (the cluster trusts its socket).
    let connectionString: String
    private let admin: String

    /// A new empty database, or a copy of `template` (a database no one is connected to).
    init(cluster: PostgresCluster, template: String? = nil) throws {
        // The names are ours (hex), so they may stand in the statement.
        name = "node_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        admin = cluster.connectionString()
        connectionString = cluster.connectionString(database: name)
        try PostgresDatabase(PostgresConnectionString(admin)).executeScript("CREATE DATABASE \(name)" + (template.map { " TEMPLATE \($0)" } ?? ""))
    }

    /// A copy of a database `make` fills once per test process and `key`: setup many test cases share,
    /// which PostgreSQL copies file by file. A node made through `Node.create` costs about 0.8 s on a busy
    /// 2-core machine (the schema is created table by table, for the registry and for each reseller), a copy
    /// about 0.3 s, as much as an empty database (timed by hand with a probe test); the randomized simulation
    /// alone makes 48 nodes. `make` must leave no connection open: a database being used cannot be copied.
    static func copy(of key: String, cluster: PostgresCluster, make: (TestDatabase) throws -> Void) throws -> TestDatabase {
        let template: String = try templates.withLock { made in
            if let name = made[key] { return name }
            let database = try TestDatabase(cluster: cluster)
            try make(database)
            // Kept for the process (the cluster goes with it): not dropped when this object goes.
            database.keep = true
            made[key] = database.name
            return database.name
        }
        return try TestDatabase(cluster: cluster, template: template)
    }

    private static let templates = Mutex<[String: String]>([:])
    private var keep = false

    var store: PostgresConnectionString {
        get throws { try PostgresConnectionString(connectionString) }
    }

    deinit {
        if keep { return }
        // WITH (FORCE): a node object or a served node of the test may still hold a connection (PostgreSQL 13+).
        try? PostgresDatabase(PostgresConnectionString(admin)).executeScript("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }
}
