import Foundation
import OutpostStore
import OutpostTestSupport
import Testing

/// A node that goes back in time (restored from an older backup) loses nothing it acknowledged:
/// three laptops, backups taken between their pushes, real `outpost` processes.
@Suite("Rollback: a node restored from an older backup", .timeLimit(.minutes(5)))
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
        return try db.rows("SELECT name FROM customer ORDER BY name").map { try $0.string("name") }
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

    @Test
    func everyAcknowledgedMutationComesBackOnceAfterARestore() throws {
        try outpost(["node", "init", node], at: now)
        try outpost(["node", "plans", "import", "--builtin", "--node", node], at: now)
        try outpost(["node", "reseller", "add", "acme", "--name", "Acme Cloud", "--node", node], at: now)
        for laptop in laptops {
            let token = try outpost(["node", "token", "issue", "--reseller", "acme", "--user", laptop, "--node", node], at: now)
            try token.stdout.write(toFile: dir.path("\(laptop).token"), atomically: false, encoding: .utf8)
            try outpost(["init", "--replica", dir.path(laptop), "--node", node, "--reseller", "acme", "--token-file", dir.path("\(laptop).token")], at: now)
        }
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
                #expect(try replica.scalar("SELECT count(*) FROM customer")?.int64 == Int64(acknowledged.count + 1))
                #expect(try replica.scalar("SELECT count(*) FROM queue")?.int64 == 0)
            }
            // A second run finds nothing more to mend.
            let again = try sync("anna")
            #expect(!again.stdout.contains("lost") && !again.stdout.contains("re-sent"), "\(again.stdout)")
        }
    }
}

private extension Array where Element: Hashable {
    /// The elements without repeats, first occurrence kept.
    func uniqued() -> [Element] {
        var seen: Set<Element> = []
        return filter { seen.insert($0).inserted }
    }
}
