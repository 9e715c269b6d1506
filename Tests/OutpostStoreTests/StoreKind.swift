import Foundation
import OutpostStore
import OutpostTestSupport
import Testing

/// The two stores behind `SQLDatabase`, for tests that run the same cases against both.
///
/// SQLite is a file in a fresh temporary directory; PostgreSQL is a fresh schema in the test process's
/// throwaway cluster (`PostgresCluster`), so tests running side by side never see each other's tables.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgresql

    /// Both where PostgreSQL can be had; SQLite alone otherwise (`PostgresClusterTests` then shows as
    /// skipped, with the reason).
    static var runnable: [StoreKind] {
        PostgresCluster.unavailableReason == nil ? allCases : [.sqlite]
    }

    var testDescription: String { rawValue }

    /// A new, empty store of this kind.
    func open() throws -> TestStore {
        switch self {
        case .sqlite:
            let directory = try TemporaryDirectory()
            return TestStore(db: try Database(path: directory.path("store.sqlite")), keep: directory, postgresSchema: nil)
        case .postgresql:
            let schema = try PostgresSchema.make()
            return TestStore(db: try schema.connect(), keep: nil, postgresSchema: schema)
        }
    }
}

/// An open test store; keeps what it needs alive (the temporary directory).
final class TestStore {
    let db: any SQLDatabase
    private let keep: AnyObject?
    let postgresSchema: PostgresSchema?

    init(db: any SQLDatabase, keep: AnyObject?, postgresSchema: PostgresSchema?) {
        self.db = db
        self.keep = keep
        self.postgresSchema = postgresSchema
    }
}

/// A schema of its own in the shared cluster, and connections whose `search_path` is that schema.
struct PostgresSchema: Sendable {
    let name: String
    let cluster: PostgresCluster

    /// Makes a uniquely named schema.
    static func make() throws -> PostgresSchema {
        let cluster = try #require(PostgresCluster.shared, "the PostgreSQL cluster is running")
        // A name we made (hex digits): identifiers cannot be bound parameters.
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let admin = try PostgresDatabase(PostgresConnectionString(cluster.connectionString()))
        try admin.executeScript("CREATE SCHEMA \(name)")
        return PostgresSchema(name: name, cluster: cluster)
    }

    /// The connection string for this schema.
    var connectionString: String {
        cluster.connectionString(options: "-c search_path=\(name)")
    }

    /// A new connection to this schema.
    func connect() throws -> PostgresDatabase {
        try PostgresDatabase(PostgresConnectionString(connectionString))
    }
}
