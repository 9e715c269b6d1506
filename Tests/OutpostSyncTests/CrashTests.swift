import Foundation
import Testing
import OutpostModel
import OutpostStore
import OutpostSync
import OutpostTestSupport
import OutpostTestThreads

/// The real `outpost sync` killed with SIGKILL at random moments during push and
/// pull, then run again: the database is sound and the replica converges.
@Suite("Crash: SIGKILL during sync", .ownThreads)
struct CrashTests {
    @Test(arguments: NodeStore.all, [UInt64(11), 12, 13])
    func killedSyncsResumeCleanly(store: NodeStore, seed: UInt64) throws {
        try #require(OutpostBinary.url != nil, "the outpost binary is built")
        let dir = try TemporaryDirectory("outpost-crash")
        let database = try store.makeDatabase()
        defer { withExtendedLifetime(database) {} }
        let env = Self.environment(dir)
        func outpost(_ arguments: [String]) throws -> OutpostBinary.Result {
            try OutpostBinary.run(arguments, environment: env, in: dir.url)
        }
        try Self.node(with: ["writer", "reader"], in: dir, database: database)
        // A large queue on the writer, made in-process (as thousands of CLI calls would).
        do {
            let replica = try Replica.open(URL(fileURLWithPath: dir.path("writer")), clock: FixedClock(Timestamp("2026-03-02T09:00:00Z")!),
                                           random: RandomSource(seed: seed))
            for index in 0..<1500 {
                var customer = CreateCustomer(id: replica.ids.make("cus"), name: "Customer \(index)")
                customer.city = "City \(index % 50)"
                try replica.submit(customer)
            }
        }
        let random = RandomSource(seed: seed)
        var interrupted = 0
        for rep in ["writer", "reader"] {
            // Kill at a random moment, again and again, until a run gets to finish by itself.
            interrupted += try RandomKills.run(["sync", "--replica", dir.path(rep)], environment: env, in: dir.url, random: random)
            let finished = try outpost(["sync", "--replica", dir.path(rep)])
            #expect(finished.status == 0, "sync after kills: \(finished.stderr)")
        }
        #expect(interrupted >= 2, "kills hit syncs in progress, on both replicas (\(interrupted))")
        for rep in ["writer", "reader"] {
            let db = try Database(path: dir.path("\(rep)/replica.sqlite"), mode: .readOnly)
            #expect(try db.integrityCheck() == ["ok"])
            #expect(try db.scalar("SELECT count(*) FROM queue")?.int64 == 0)
            #expect(try db.scalar("SELECT count(*) FROM customer WHERE id <> 'cus_own'")?.int64 == 1500)
            let verify = try outpost(["verify", "--replica", dir.path(rep)])
            #expect(verify.status == 0, "verify: \(verify.stdout) \(verify.stderr)")
        }
        let node = try store.tenantDatabase(node: dir.path("node"), reseller: "acme", database: database)
        if let file = node as? Database { #expect(try file.integrityCheck() == ["ok"]) }
        #expect(try node.scalar("SELECT count(*) FROM customer WHERE id <> 'cus_own'")?.int64 == 1500, "nothing applied twice")
    }

    /// What every crash test's commands run with: a fixed clock and the node.
    static func environment(_ dir: TemporaryDirectory) -> [String: String] {
        ["OUTPOST_NOW": "2026-03-02T09:00:00Z", "OUTPOST_NODE": dir.path("node")]
    }

    /// A node in `dir` with the built-in catalog and reseller acme, and a replica of acme (anna's token) per name.
    /// With a `database`, the node lives there (`node init --store`).
    static func node(with replicas: [String], in dir: TemporaryDirectory, database: TestDatabase? = nil,
                     sourceLocation: SourceLocation = #_sourceLocation) throws {
        func outpost(_ arguments: [String]) throws -> OutpostBinary.Result {
            try OutpostBinary.run(arguments, environment: environment(dir), in: dir.url)
        }
        #expect(try outpost(["node", "init", dir.path("node")] + (database.map { ["--store", $0.connectionString] } ?? [])).status == 0,
                sourceLocation: sourceLocation)
        #expect(try outpost(["node", "plans", "import", "--builtin"]).status == 0, sourceLocation: sourceLocation)
        #expect(try outpost(["node", "reseller", "add", "acme", "--name", "Acme"]).status == 0, sourceLocation: sourceLocation)
        try outpost(["node", "token", "issue", "--reseller", "acme", "--user", "anna"]).stdout.write(toFile: dir.path("token"), atomically: false, encoding: .utf8)
        for rep in replicas {
            #expect(try outpost(["init", "--replica", dir.path(rep), "--node", dir.path("node"), "--reseller", "acme", "--token-file", dir.path("token")]).status == 0,
                    sourceLocation: sourceLocation)
        }
    }
}
