import Foundation
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

    init(cluster: PostgresCluster) throws {
        // The name is ours (hex), so it may stand in the statement.
        name = "node_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        admin = cluster.connectionString()
        connectionString = cluster.connectionString(database: name)
        try PostgresDatabase(PostgresConnectionString(admin)).executeScript("CREATE DATABASE \(name)")
    }

    var store: PostgresConnectionString {
        get throws { try PostgresConnectionString(connectionString) }
    }

    deinit {
        // WITH (FORCE): a node object or a served node of the test may still hold a connection (PostgreSQL 13+).
        try? PostgresDatabase(PostgresConnectionString(admin)).executeScript("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }
}
