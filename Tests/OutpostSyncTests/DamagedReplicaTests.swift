import Foundation
import Testing
import OutpostModel
import OutpostStore
import OutpostTestSupport
import OutpostTestThreads

/// A replica whose file was damaged (one page overwritten): `sync` and `status --check` stop and say so, and
/// `replica rescue` saves the queued changes into a fresh replica that pulls everything again.
@Suite("A damaged replica", .ownThreads)
struct DamagedReplicaTests {
    @Test(.timeLimit(.minutes(20)))
    func syncStopsAndRescueKeepsEveryQueuedChange() throws {
        let dir = try TemporaryDirectory("outpost-damaged")
        let env = TestNode.environment(dir)
        func outpost(_ arguments: [String]) throws -> OutpostBinary.Result { try OutpostBinary.run(arguments, environment: env, in: dir.url) }
        try TestNode.make(dir)
        let laptop = dir.path("r")
        #expect(try outpost(["init", "--replica", laptop, "--node", dir.path("node"), "--reseller", "acme", "--token-file", dir.path("token")]).status == 0)
        // Enough customers that their table spans many pages; synced, then two more queued offline.
        do {
            let replica = try Replica.open(URL(fileURLWithPath: laptop), clock: FixedClock(Timestamp("2026-03-02T09:00:00Z")!))
            for index in 0..<300 { try replica.submit(CreateCustomer(id: replica.ids.make("cus"), name: "Customer \(index)")) }
        }
        #expect(try outpost(["sync", "--replica", laptop, "--no-site", "--quiet"]).status == 0)
        #expect(try outpost(["customer", "add", "--replica", laptop, "--name", "Queued Contoso"]).status == 0)
        #expect(try outpost(["customer", "add", "--replica", laptop, "--name", "Queued Fabrikam"]).status == 0)

        // Overwrite the customer table's root page (all processes have ended: the WAL is checkpointed away).
        let file = laptop + "/" + Replica.databaseName
        let (root, pageSize): (Int64, Int64) = try {
            let db = try Database(path: file, mode: .readOnly)
            return (try #require(try db.scalar("SELECT rootpage FROM sqlite_master WHERE name = 'customer'")?.int64),
                    try #require(try db.scalar("PRAGMA page_size")?.int64))
        }()
        #expect(!FileManager.default.fileExists(atPath: file + "-wal") || ((try? FileManager.default.attributesOfItem(atPath: file + "-wal")[.size] as? Int) ?? 0) == 0)
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: file))
        try handle.seek(toOffset: UInt64((root - 1) * pageSize))
        try handle.write(contentsOf: Data(repeating: 0xA5, count: Int(pageSize)))
        try handle.close()

        #expect(try outpost(["customer", "list", "--replica", laptop]).status != 0, "the damage is real")
        let sync = try outpost(["sync", "--replica", laptop, "--no-site"])
        #expect(sync.status == 78, "\(sync.stdout)\(sync.stderr)")
        #expect(sync.stderr.contains("is damaged") && sync.stderr.contains("outpost replica rescue \(laptop) --to NEWDIR"), "\(sync.stderr)")
        let check = try outpost(["status", "--check", "--replica", laptop])
        #expect(check.status == 78, "\(check.stderr)")
        #expect(check.stderr.contains("is damaged"), "\(check.stderr)")

        // Bad input to the rescue changes nothing.
        #expect(try outpost(["replica", "rescue", laptop]).status == 64, "--to is required")
        #expect(try outpost(["replica", "rescue", dir.path("nowhere"), "--to", dir.path("x")]).status == 66)
        #expect(try outpost(["replica", "rescue", laptop, "--to", laptop]).status == 64)

        let rescued = try outpost(["replica", "rescue", laptop, "--to", dir.path("fresh")])
        #expect(rescued.status == 0, "\(rescued.stderr)")
        #expect(rescued.stdout.contains("Rescued 2 queued change(s), 0 refused one(s) and 300 acknowledged one(s)"), "\(rescued.stdout)")
        // The 300 the node acknowledged come along, so a node restored from an older backup can still get them again.
        let kept = try Database(path: dir.path("fresh/" + Replica.databaseName), mode: .readOnly)
        #expect(try kept.scalar("SELECT count(*) FROM acknowledged_mutation")?.int64 == 300)
        #expect(try outpost(["customer", "list", "--replica", laptop]).status == 66, "the damaged replica is out of the way")
        #expect(FileManager.default.fileExists(atPath: file + ".damaged"), "and kept beside")
        let token = try FileManager.default.attributesOfItem(atPath: dir.path("fresh/token"))[.posixPermissions] as? Int
        #expect(token == 0o600, "the token is copied for its owner only")

        let synced = try outpost(["sync", "--replica", dir.path("fresh"), "--no-site"])
        #expect(synced.status == 0, "\(synced.stderr)")
        #expect(synced.stdout.contains("pushed 2 (0 refused"), "\(synced.stdout)")
        let listed = try outpost(["customer", "list", "--replica", dir.path("fresh"), "--json"])
        let customers = try #require(try JSONValue(parsing: listed.stdout).arrayValue)
        #expect(customers.count == 302, "every synced customer pulled again, and both queued ones")
        #expect(listed.stdout.contains("Queued Contoso") && listed.stdout.contains("Queued Fabrikam"))
        #expect(try outpost(["status", "--check", "--replica", dir.path("fresh")]).status == 0)
        // Sending the rescued queue again changes nothing on the node: the push numbers are recognised.
        #expect(try outpost(["sync", "--replica", dir.path("fresh"), "--no-site"]).stdout.contains("pushed 0"))
    }
}
