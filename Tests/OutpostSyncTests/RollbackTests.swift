import Foundation
import OutpostModel
import OutpostStore
import OutpostTestSupport
import Testing
import OutpostTestThreads

/// A node that goes back in time (restored from an older backup) loses nothing it acknowledged:
/// three laptops, backups taken between their pushes, real `outpost` processes.
@Suite("Rollback: a node restored from an older backup", .ownThreads, .timeLimit(.minutes(20)))
struct RollbackTests: ClockedScenario {
    let dir: TemporaryDirectory
    var node: String { dir.path("node") }
    let now = "2026-03-02T09:00:00Z"
    let laptops = ["anna", "ben", "cleo"]

    init() throws {
        dir = try TemporaryDirectory("outpost-rollback")
    }

    /// The customers on the node, by name, sorted (a name twice would be a mutation applied twice).
    func nodeCustomers() throws -> [String] {
        let db = try Database(path: dir.path("node/tenants/acme.sqlite"), mode: .readOnly)
        return try db.rows("SELECT name FROM customer WHERE id <> 'cus_own' ORDER BY name").map { try $0.string("name") }
    }

    /// Adds a customer on a laptop through the CLI (durable once the command says so).
    func add(_ name: String, on laptop: String) throws {
        try outpost(["customer", "add", "--replica", dir.path(laptop), "--name", name], at: now)
    }

    @discardableResult
    func sync(_ laptop: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> OutpostBinary.Result {
        try outpost(["sync", "--replica", dir.path(laptop), "--no-site"], at: now, sourceLocation: sourceLocation)
    }

    func copy(_ from: String, to: String) throws {
        try? FileManager.default.removeItem(atPath: dir.path(to))
        try FileManager.default.copyItem(atPath: dir.path(from), toPath: dir.path(to))
    }

    /// A node with reseller acme, and a replica for each of `laptops` (each with its own user's token).
    func setUp(_ laptops: [String]) throws {
        try outpost(["node", "init", node], at: now)
        try outpost(["node", "plans", "import", "--builtin", "--node", node], at: now)
        try outpost(["node", "reseller", "add", "acme", "--name", "Acme Cloud", "--node", node], at: now)
        for laptop in laptops {
            let token = try outpost(["node", "token", "issue", "--reseller", "acme", "--user", laptop, "--node", node], at: now)
            try token.stdout.write(toFile: dir.path("\(laptop).token"), atomically: false, encoding: .utf8)
            try outpost(["init", "--replica", dir.path(laptop), "--node", node, "--reseller", "acme", "--token-file", dir.path("\(laptop).token")], at: now)
        }
    }

    /// How many mutations a laptop keeps after their acknowledgement.
    func kept(on laptop: String) throws -> Int64? {
        try Database(path: dir.path("\(laptop)/replica.sqlite"), mode: .readOnly).scalar("SELECT count(*) FROM acknowledged_mutation")?.int64
    }

    @Test
    func everyAcknowledgedMutationComesBackOnceAfterARestore() throws {
        try setUp(laptops)
        // Four rounds of pushes by all three; a backup after each of the first three.
        var acknowledged: [String] = []
        for round in 1...4 {
            for laptop in laptops {
                for index in 1...2 { try add("\(laptop) \(round).\(index)", on: laptop) }
                try sync(laptop)
                acknowledged += ["\(laptop) \(round).1", "\(laptop) \(round).2"]
            }
            if round < 4 { try outpost(["node", "backup", node, "--to", dir.path("round\(round).backup")], at: now) }
        }
        #expect(try nodeCustomers() == acknowledged.sorted())
        for laptop in laptops { try copy(laptop, to: "\(laptop).before-restore") }

        for round in 1...3 {
            // The node restored from the backup taken after `round`; the laptops as they were before.
            try FileManager.default.removeItem(atPath: node)
            try outpost(["node", "restore", dir.path("round\(round).backup"), "--to", node], at: now)
            for laptop in laptops { try copy("\(laptop).before-restore", to: laptop) }
            let kept = acknowledged.filter { name in (1...round).contains { name.hasSuffix(" \($0).1") || name.hasSuffix(" \($0).2") } }
            #expect(try nodeCustomers() == kept.sorted(), "the restored node has only what was acknowledged before its backup")

            // Anna adds one and syncs: her lost mutations come back with it; Ben's and Cleo's wait for them.
            try add("anna after \(round)", on: "anna")
            let anna = try sync("anna")
            #expect(anna.stdout.contains("The node had lost \(2 * (4 - round)) change(s)"), "one line says what happened: \(anna.stdout)")
            let annas = acknowledged.filter { $0.hasPrefix("anna ") } + ["anna after \(round)"]
            #expect(try nodeCustomers() == (kept + annas).uniqued().sorted())
            for laptop in ["ben", "cleo"] {
                let result = try sync(laptop)
                #expect(result.stdout.contains("re-sent \(2 * (4 - round))"), "\(laptop): \(result.stdout)")
            }
            // Every mutation ever acknowledged is on the node exactly once.
            #expect(try nodeCustomers() == (acknowledged + ["anna after \(round)"]).sorted())
            // Once everyone has pulled what the others re-sent, all three agree with the node.
            for laptop in laptops { try sync(laptop) }
            for laptop in laptops {
                let verify = try outpost(["verify", "--replica", dir.path(laptop)], at: now)
                #expect(!verify.stdout.contains("DIFF"), "\(laptop): \(verify.stdout)")
                let replica = try Database(path: dir.path("\(laptop)/replica.sqlite"), mode: .readOnly)
                #expect(try replica.scalar("SELECT count(*) FROM customer WHERE id <> 'cus_own'")?.int64 == Int64(acknowledged.count + 1))
                #expect(try replica.scalar("SELECT count(*) FROM queue")?.int64 == 0)
            }
            // A second run finds nothing more to mend.
            let again = try sync("anna")
            #expect(!again.stdout.contains("lost") && !again.stdout.contains("re-sent"), "\(again.stdout)")
        }
    }

    @Test(.timeLimit(.minutes(20)), arguments: [UInt64(31), 32])
    func aRecoveryKilledAnywhereIsFinishedByTheNextSync(seed: UInt64) throws {
        try setUp(["anna"])
        try sync("anna")
        try outpost(["node", "backup", node, "--to", dir.path("early.backup")], at: now)
        // More than two push requests' worth, acknowledged after the backup (made in-process, as many CLI calls would).
        var names: [String] = []
        do {
            let replica = try Replica.open(URL(fileURLWithPath: dir.path("anna")), clock: FixedClock(Timestamp(now)!), random: RandomSource(seed: seed))
            for index in 0..<1200 {
                names.append("Customer \(index)")
                try replica.submit(CreateCustomer(id: replica.ids.make("cus"), name: "Customer \(index)"))
            }
        }
        try sync("anna")
        try FileManager.default.removeItem(atPath: node)
        try outpost(["node", "restore", dir.path("early.backup"), "--to", node], at: now)
        // The recovering sync killed at random moments, again and again, until one gets to finish by itself (or eight were
        // killed: the sync after them finishes it). Within 200 ms of its start: the whole recovery takes little more, so
        // a wider window lets a seed's first kill come after it ended and the test would show nothing.
        let random = RandomSource(seed: seed)
        let interrupted = try RandomKills.run(["sync", "--replica", dir.path("anna"), "--no-site"], environment: ["OUTPOST_NOW": now], in: dir.url,
                                              random: random, within: 200_000)
        #expect(interrupted >= 1, "a kill hit a recovery in progress")
        try sync("anna")
        #expect(try nodeCustomers() == names.sorted(), "every acknowledged mutation on the node exactly once")
        let verify = try outpost(["verify", "--replica", dir.path("anna")], at: now)
        #expect(!verify.stdout.contains("DIFF"), "\(verify.stdout)")
        let replica = try Database(path: dir.path("anna/replica.sqlite"), mode: .readOnly)
        #expect(try replica.scalar("SELECT count(*) FROM customer WHERE id <> 'cus_own'")?.int64 == 1200)
        #expect(try replica.scalar("SELECT count(*) FROM queue")?.int64 == 0)
        #expect(try replica.scalar("SELECT count(*) FROM replica_meta WHERE key = 'node_behind'")?.int64 == 0, "the re-pull is done")
    }

    @Test
    func keptMutationsAreForgottenThirtyDaysAfterTheirAcknowledgement() throws {
        try setUp(["anna"])
        for name in ["Contoso", "Fabrikam"] { try add(name, on: "anna") }
        try sync("anna")
        #expect(try kept(on: "anna") == 2)
        let later = "2026-04-02T09:00:00Z"
        try outpost(["customer", "add", "--replica", dir.path("anna"), "--name", "Northwind"], at: later)
        try outpost(["sync", "--replica", dir.path("anna"), "--no-site"], at: later)
        #expect(try kept(on: "anna") == 1, "the two acknowledged 31 days ago are forgotten; the new one is kept")
    }
}

private extension Array where Element: Hashable {
    /// The elements without repeats, first occurrence kept.
    func uniqued() -> [Element] {
        var seen: Set<Element> = []
        return filter { seen.insert($0).inserted }
    }
}
