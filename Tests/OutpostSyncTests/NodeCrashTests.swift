import Foundation
import OutpostModel
import OutpostStore
import OutpostTestSupport
import Testing
#if canImport(Glibc)
import Glibc
import OutpostTestThreads
#endif

/// `outpost node serve` killed with SIGKILL at random moments while two laptops push and pull over
/// HTTP, then served again from the same directory: every acknowledged mutation is there exactly once.
@Suite("Crash: SIGKILL of the node serving HTTP", .ownThreads)
struct NodeCrashTests: ClockedScenario {
    let dir: TemporaryDirectory
    let now = "2026-03-02T09:00:00Z"
    let laptops = ["anna", "ben"]

    init() throws {
        dir = try TemporaryDirectory("outpost-node-crash")
    }

    /// Queues `count` customers on a laptop in-process (as many CLI calls would); returns their names.
    func queue(_ count: Int, on laptop: String, round: Int, random: RandomSource) throws -> [String] {
        let replica = try Replica.open(URL(fileURLWithPath: dir.path(laptop)), clock: FixedClock(Timestamp(now)!), random: random)
        return try (0..<count).map { index in
            let name = "\(laptop) \(round).\(index)"
            try replica.submit(CreateCustomer(id: replica.ids.make("cus"), name: name))
            return name
        }
    }

    @Test(.timeLimit(.minutes(20)), arguments: NodeStore.all, [UInt64(21), 22])
    func killedNodeKeepsEveryAcknowledgedMutationOnce(store: NodeStore, seed: UInt64) throws {
        let node = dir.path("node")
        let database = try store.makeDatabase()
        defer { withExtendedLifetime(database) {} }
        try outpost(store.initArguments(node, database: database), at: now)
        try outpost(["node", "plans", "import", "--builtin", "--node", node], at: now)
        try outpost(["node", "reseller", "add", "acme", "--name", "Acme Cloud", "--node", node], at: now)
        var served = try ServedNodeProcess(node: node, environment: ["OUTPOST_NOW": now], in: dir.url)
        let port = served.port
        for laptop in laptops {
            let token = try outpost(["node", "token", "issue", "--reseller", "acme", "--user", laptop, "--node", node], at: now)
            try token.stdout.write(toFile: dir.path("\(laptop).token"), atomically: false, encoding: .utf8)
            try outpost(["init", "--replica", dir.path(laptop), "--node", served.url, "--reseller", "acme", "--token-file", dir.path("\(laptop).token")], at: now)
        }
        let random = RandomSource(seed: seed)
        var names: [String] = []
        var killsDuringSync = 0
        for round in 0..<5 {
            for laptop in laptops { names += try queue(300, on: laptop, round: round, random: random) }
            // Both laptops sync at once (each pushes, then pulls the other's); the node dies under them and comes back
            // on the same port, and their retries find it again.
            let syncs = try laptops.map { laptop in
                try OutpostBinary.start(["sync", "--replica", dir.path(laptop), "--no-site", "--timeout", "40"],
                                        environment: ["OUTPOST_NOW": now], in: dir.url)
            }
            usleep(UInt32(30_000 + random.next(below: 400_000)))
            if syncs.contains(where: { $0.process.isRunning }) { killsDuringSync += 1 }
            served.kill()
            usleep(UInt32(random.next(below: 300_000)))
            served = try ServedNodeProcess(node: node, environment: ["OUTPOST_NOW": now], in: dir.url, port: port)
            for sync in syncs {
                let result = sync.wait(timeLimit: 50)
                #expect(result.status == 0, "a sync retries until the node is back: \(result.stderr)")
            }
        }
        #expect(killsDuringSync >= 2, "kills hit syncs in progress (\(killsDuringSync))")
        // Everyone pulls what the others pushed last, then all agree with the node.
        for _ in 0..<2 {
            for laptop in laptops { try outpost(["sync", "--replica", dir.path(laptop), "--no-site"], at: now) }
        }
        for laptop in laptops {
            let verify = try outpost(["verify", "--replica", dir.path(laptop)], at: now)
            #expect(!verify.stdout.contains("DIFF"), "\(laptop): \(verify.stdout)")
            let replica = try Database(path: dir.path("\(laptop)/replica.sqlite"), mode: .readOnly)
            #expect(try replica.scalar("SELECT count(*) FROM queue")?.int64 == 0)
            #expect(try replica.scalar("SELECT count(*) FROM customer WHERE id <> 'cus_own'")?.int64 == Int64(names.count))
        }
        served.stop()
        let tenant = try store.tenantDatabase(node: node, reseller: "acme", database: database)
        if let file = tenant as? Database { #expect(try file.integrityCheck() == ["ok"]) }
        let onNode = try tenant.rows("SELECT name FROM customer WHERE id <> 'cus_own' ORDER BY name").map { try $0.string("name") }
        #expect(onNode == names.sorted(), "every acknowledged mutation exactly once")
        #expect(try tenant.scalar("SELECT count(*) FROM verdict")?.int64 == Int64(names.count), "one verdict per mutation")
    }
}
