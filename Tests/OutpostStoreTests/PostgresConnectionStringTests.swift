import Foundation
import OutpostStore
import Testing

@Suite("PostgreSQL connection strings stay out of sight", .timeLimit(.minutes(20)))
struct PostgresConnectionStringTests {
    @Test func aURIIsShownWithoutItsPassword() throws {
        let store = try PostgresConnectionString("postgresql://outpost:s3cr%40t@db.example.com:5433/node?sslmode=require")
        #expect(store.display == "postgresql://outpost@db.example.com:5433/node")
        #expect("\(store)" == store.display)
        #expect(String(reflecting: store) == store.display)
        #expect(!store.display.contains("s3cr"))
    }

    @Test func keywordPairsAreShownWithoutTheirPassword() throws {
        let store = try PostgresConnectionString("host=/run/postgresql dbname=outpost user=node password='a b\\'c'")
        #expect(store.display == "postgresql://node@/run/postgresql/outpost")
    }

    @Test func textThatIsNoConnectionStringIsRefusedWithoutRepeatingIt() throws {
        let error = try #require(throws: PostgresConnectionString.Invalid.self) {
            try PostgresConnectionString("hunter2", source: "OUTPOST_NODE_STORE")
        }
        #expect(error.description.contains("OUTPOST_NODE_STORE"))
        #expect(!error.description.contains("hunter2"))
        #expect(throws: PostgresConnectionString.Invalid.self) { try PostgresConnectionString("  \n") }
    }

    @Test func readFromAFileFirstLineOnly() throws {
        let directory = try TemporaryDirectory()
        let file = directory.path("store")
        try Data("postgresql://node:pw@db/outpost\n# a comment\n".utf8).write(to: URL(fileURLWithPath: file))
        #expect(try PostgresConnectionString.fromFile(file).display == "postgresql://node@db/outpost")
        let missing = try #require(throws: PostgresConnectionString.Invalid.self) { try PostgresConnectionString.fromFile(directory.path("none")) }
        #expect(missing.description.contains("cannot be read"))
    }

    @Test func readFromTheEnvironment() throws {
        let name = "OUTPOST_TEST_STORE_\(UUID().uuidString.prefix(8))"
        #expect(try PostgresConnectionString.fromEnvironment(name) == nil)
        setenv(name, "postgres://node:pw@db.internal/outpost", 1)
        defer { unsetenv(name) }
        #expect(try PostgresConnectionString.fromEnvironment(name)?.display == "postgresql://node@db.internal/outpost")
        #expect(PostgresConnectionString.environmentVariable == "OUTPOST_NODE_STORE")
    }

    @Test("a connection that fails names the store and never its password",
          .enabled(if: (try? PostgresLibrary.version()) != nil, "libpq is not installed here"))
    func failedConnectionHidesThePassword() throws {
        let directory = try TemporaryDirectory()
        // No server listens in an empty directory: libpq fails at once, naming the socket it tried.
        let store = try PostgresConnectionString("host=\(directory.url.path) dbname=outpost user=node password=Pa55word-in-plain")
        let error = try #require(throws: PostgresError.self) { try PostgresDatabase(store) }
        #expect(error.kind == .connectionFailed)
        #expect(error.kind.exitCode == 75)
        #expect(error.description.contains(directory.url.path), "\(error)")
        #expect(!error.description.contains("Pa55word"), "\(error)")
    }
}
