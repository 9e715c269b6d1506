import Foundation
import OutpostStore
import OutpostTestSupport
import Testing
import OutpostTestThreads

/// Gap-free versions in commit order with several writers on one PostgreSQL database
/// (DESIGN.md, "Scale past one machine").
@Suite("Reseller counter on PostgreSQL", .ownThreads, .enabled(if: PostgresCluster.unavailableReason == nil, "\(PostgresCluster.unavailableReason ?? "")"),
       .timeLimit(.minutes(20)))
struct ResellerCounterTests {
    private static let changeLog = """
        CREATE TABLE change_log (version BIGINT NOT NULL, reseller TEXT NOT NULL, writer INTEGER NOT NULL,
                                 PRIMARY KEY (reseller, version))
        """

    @Test("why not a sequence: a later value commits first, and a reader sees a gap it would skip for good")
    func aSequenceCommitsOutOfOrder() throws {
        let schema = try PostgresSchema.make()
        let first = try schema.connect(), second = try schema.connect(), reader = try schema.connect()
        try first.executeScript("CREATE SEQUENCE change_version; " + Self.changeLog)
        try first.executeScript("BEGIN")
        let early = try #require(try first.scalar("SELECT nextval('change_version')")?.int64)
        try second.transaction {
            let late = try #require(try second.scalar("SELECT nextval('change_version')")?.int64)
            try second.execute("INSERT INTO change_log (version, reseller, writer) VALUES (?, ?, ?)", [late, "acme", 2])
        }
        #expect(try reader.rows("SELECT version FROM change_log ORDER BY version").map { try $0.int64("version") } == [early + 1],
                "version \(early) is still uncommitted while \(early + 1) is visible")
        try first.executeScript("ROLLBACK")
    }

    @Test("the counter row makes the next writer wait until the version before it has committed")
    func theNextWriterWaitsForTheCommit() throws {
        let schema = try PostgresSchema.make()
        let first = try schema.connect(), second = try schema.connect()
        try first.executeScript(ResellerCounter.createTable)
        try ResellerCounter.register("acme", in: first)
        try ResellerCounter.register("globex", in: first)
        try first.transaction {
            #expect(try ResellerCounter.next(for: "acme", in: first) == 1)
            // The second writer gives up on the row lock instead of waiting (lock_timeout): it cannot
            // take a version while the first transaction is open.
            let waited = try #require(throws: PostgresError.self) {
                try second.transaction {
                    try second.executeScript("SET LOCAL lock_timeout = '100ms'")
                    _ = try ResellerCounter.next(for: "acme", in: second)
                }
            }
            #expect(waited.sqlState == "55P03", "\(waited)")
            #expect(waited.kind == .mustRetry)
            // Another reseller's writer is not held up.
            #expect(try second.transaction { try ResellerCounter.next(for: "globex", in: second) } == 1)
        }
        #expect(try second.transaction { try ResellerCounter.next(for: "acme", in: second) } == 2)
    }

    @Test("two writers on two connections commit versions 1…n with no gap, and every reader's view is gap-free")
    func concurrentWritersCommitInOrder() throws {
        let schema = try PostgresSchema.make()
        let setup = try schema.connect()
        try setup.executeScript(ResellerCounter.createTable + "; " + Self.changeLog)
        try ResellerCounter.register("acme", in: setup)
        let perWriter = 60
        let state = SharedState()
        let group = DispatchGroup()
        for writer in 1...2 {
            DispatchQueue.global().async(group: group) {
                do {
                    let db = try schema.connect()
                    for _ in 0..<perWriter {
                        try db.transaction {
                            let version = try ResellerCounter.next(for: "acme", in: db)
                            try db.execute("INSERT INTO change_log (version, reseller, writer) VALUES (?, ?, ?)", [version, "acme", writer])
                        }
                    }
                } catch {
                    state.record("writer \(writer): \(error)")
                }
            }
        }
        let finished = SharedState()
        DispatchQueue.global().async {
            group.wait()
            finished.record("done")
        }
        // A reader pulling all the while: what it sees committed is always 1…k, so a cursor never skips.
        let reader = try schema.connect()
        var snapshots = 0
        var largestSeen: Int64 = 0
        while finished.messages.isEmpty || snapshots == 0 {
            let versions = try reader.rows("SELECT version FROM change_log WHERE reseller = ? ORDER BY version", ["acme"]).map { try $0.int64("version") }
            if versions != (0..<versions.count).map({ Int64($0 + 1) }) {
                state.record("a reader saw a gap: \(versions)")
                break
            }
            largestSeen = max(largestSeen, Int64(versions.count))
            snapshots += 1
        }
        group.wait()
        #expect(state.messages.isEmpty, "\(state.messages)")
        let all = try reader.rows("SELECT version, writer FROM change_log WHERE reseller = ? ORDER BY version", ["acme"])
        #expect(try all.map { try $0.int64("version") } == Array(1...Int64(2 * perWriter)))
        #expect(try all.filter { try $0.int64("writer") == 1 }.count == perWriter)
        #expect(try all.filter { try $0.int64("writer") == 2 }.count == perWriter)
        #expect(try ResellerCounter.current(for: "acme", in: reader) == Int64(2 * perWriter))
        #expect(snapshots > 0 && largestSeen <= Int64(2 * perWriter))
    }
}

/// Messages collected from several threads.
final class SharedState: @unchecked Sendable {
    // @unchecked: every access goes through `lock`.
    private let lock = NSLock()
    private var collected: [String] = []

    func record(_ message: String) {
        lock.lock()
        collected.append(message)
        lock.unlock()
    }

    var messages: [String] {
        lock.lock()
        defer { lock.unlock() }
        return collected
    }
}
