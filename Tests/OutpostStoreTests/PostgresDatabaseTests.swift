import Foundation
import OutpostStore
import OutpostTestSupport
import Testing
import OutpostTestThreads

/// What only PostgreSQL has: type mapping by OID, the errors a concurrent server gives, advisory locks.
@Suite("PostgreSQL store", .ownThreads, .enabled(if: PostgresCluster.unavailableReason == nil, "\(PostgresCluster.unavailableReason ?? "")"),
       .timeLimit(.minutes(20)))
struct PostgresDatabaseTests {
    @Test("the throwaway cluster answers on its own socket, with no TCP port")
    func clusterIsRunning() throws {
        let schema = try PostgresSchema.make()
        let db = try schema.connect()
        #expect(try db.scalar("SELECT current_schema()") == .text(schema.name))
        #expect(try db.scalar("SHOW listen_addresses") == .text(""))
        #expect(try PostgresLibrary.version() >= 100000)
    }

    @Test("result columns map to SQLValue by their type")
    func typesMapByOID() throws {
        let db = try PostgresSchema.make().connect()
        let row = try #require(try db.row("""
            SELECT 7::int2 AS small, 70000::int4 AS medium, 9000000000::int8 AS large,
                   1.5::float4 AS single, 'Infinity'::float8 AS infinite,
                   12345678901234::numeric AS whole, 2.25::numeric AS fraction,
                   123456789012345678901234567890::numeric AS huge,
                   true AS yes, false AS no, '\\x00ff10'::bytea AS bytes,
                   'x'::varchar(3) AS short, '2026-03-02'::date AS day, NULL::int4 AS nothing
            """))
        #expect(row["small"] == .integer(7))
        #expect(row["medium"] == .integer(70000))
        #expect(row["large"] == .integer(9_000_000_000))
        #expect(row["single"] == .real(1.5))
        #expect(row["infinite"] == .real(.infinity))
        #expect(row["whole"] == .integer(12_345_678_901_234))
        #expect(row["fraction"] == .real(2.25))
        #expect(row["huge"] == .text("123456789012345678901234567890"), "too large for Int64: exact, as text")
        #expect(row["yes"] == .integer(1))
        #expect(row["no"] == .integer(0))
        #expect(row["bytes"] == .blob([0, 255, 16]))
        #expect(row["short"] == .text("x"))
        #expect(row["day"] == .text("2026-03-02"))
        #expect(row["nothing"] == .null)
        // sum(bigint) is numeric in PostgreSQL: still an integer here, as SQLite's sum is.
        #expect(try db.scalar("SELECT sum(x) FROM (VALUES (?::bigint), (?::bigint)) AS t(x)", [Int64.max / 2, 1]) == .integer(Int64.max / 2 + 1))
    }

    @Test("a serialization failure is its own kind: the node answers 503, a command exits 75")
    func serializationFailureIsMustRetry() throws {
        let schema = try PostgresSchema.make()
        let first = try schema.connect()
        let second = try schema.connect()
        try first.executeScript("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL); INSERT INTO counter VALUES (1, 0)")
        let error = try #require(throws: PostgresError.self) {
            try first.transaction {
                try first.executeScript("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                _ = try first.scalar("SELECT n FROM counter WHERE id = ?", [1])  // the snapshot is taken here
                try second.execute("UPDATE counter SET n = n + 1 WHERE id = ?", [1])  // commits on its own
                try first.execute("UPDATE counter SET n = n + 10 WHERE id = ?", [1])
            }
        }
        #expect(error.sqlState == "40001", "\(error)")
        #expect(error.kind == .mustRetry)
        #expect(error.kind.exitCode == 75)
        #expect(!first.isInTransaction, "rolled back")
        #expect(try first.scalar("SELECT n FROM counter WHERE id = ?", [1]) == .integer(1))
    }

    @Test("a connection the server ends is a connection failure, not a statement error")
    func terminatedConnectionIsConnectionFailed() throws {
        let schema = try PostgresSchema.make()
        let victim = try schema.connect()
        let admin = try schema.connect()
        let pid = try #require(try victim.scalar("SELECT pg_backend_pid()")?.int64)
        #expect(try admin.scalar("SELECT pg_terminate_backend(?::int4)", [pid]) == .integer(1))
        let error = try #require(throws: PostgresError.self) { try victim.scalar("SELECT 1") }
        #expect(error.kind == .connectionFailed, "\(error)")
        #expect(!victim.isConnected)
        #expect(error.description.contains(schema.cluster.directory.path), "names the store: \(error)")
    }

    @Test("COMMIT after a swallowed error is refused: nothing of the transaction is kept")
    func abortedTransactionIsNotReportedAsCommitted() throws {
        let db = try PostgresSchema.make().connect()
        try db.executeScript("CREATE TABLE n (x INTEGER PRIMARY KEY)")
        let error = try #require(throws: PostgresError.self) {
            try db.transaction {
                try db.execute("INSERT INTO n VALUES (?)", [1])
                _ = try? db.execute("INSERT INTO n VALUES (?)", [1])  // fails; the caller looks away
            }
        }
        #expect(error.message.contains("savepoint"), "\(error)")
        #expect(!db.isInTransaction)
        #expect(try db.scalar("SELECT count(*) FROM n") == .integer(0))
    }

    @Test("two connections cannot both hold one advisory lock; closing a connection frees its locks")
    func advisoryLockIsExclusive() throws {
        let schema = try PostgresSchema.make()
        let key = PostgresDatabase.advisoryLockKey("provision-\(schema.name)")
        #expect(key == PostgresDatabase.advisoryLockKey("provision-\(schema.name)"), "stable")
        #expect(key != PostgresDatabase.advisoryLockKey("bill-\(schema.name)"))
        var first: PostgresDatabase? = try schema.connect()
        let second = try schema.connect()
        #expect(try first!.tryAdvisoryLock(key))
        #expect(try !second.tryAdvisoryLock(key), "held by the first connection")
        #expect(try first!.advisoryUnlock(key))
        #expect(try second.tryAdvisoryLock(key), "free once released")
        #expect(try !first!.tryAdvisoryLock(key), "now the second one's")
        #expect(try second.advisoryUnlock(key))
        #expect(try first!.tryAdvisoryLock(key))
        first = nil  // the session ends: PostgreSQL drops its session locks
        #expect(try eventually { try second.tryAdvisoryLock(key) }, "free after the holder's connection closed")
    }

    /// Polls `condition` for up to 10 s (a closed backend goes away asynchronously); not a timing assertion.
    private func eventually(_ condition: () throws -> Bool) throws -> Bool {
        for _ in 0..<1000 {
            if try condition() { return true }
            usleep(10_000)
        }
        return false
    }
}
