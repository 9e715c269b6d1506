import Foundation
import OutpostModel
import OutpostStore
import OutpostTestSupport
import Testing
@testable import OutpostSync
import OutpostTestThreads

/// `outpost node migrate` (issue 16, "moving an existing node"): a SQLite node that replicas sync with over
/// HTTP, copied into PostgreSQL and served from there; the replicas carry on without a new init.
@Suite("node migrate", .ownThreads, .enabled(if: PostgresCluster.unavailableReason == nil, "\(PostgresCluster.unavailableReason ?? "")"),
       .timeLimit(.minutes(20)))
struct NodeMigrateTests: ClockedScenario {
    let dir: TemporaryDirectory
    let now = "2026-03-02T09:00:00Z"

    init() throws {
        dir = try TemporaryDirectory("outpost-migrate")
    }

    /// `outpost sync` of a laptop, which may exit 1 (refusals or conflicts to look at) as well as 0.
    @discardableResult
    func sync(_ laptop: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> OutpostBinary.Result {
        let result = try OutpostBinary.run(["sync", "--replica", dir.path(laptop), "--no-site"], environment: ["OUTPOST_NOW": now], in: dir.url)
        #expect([0, 1].contains(result.status), "sync \(laptop) exited \(result.status): \(result.stdout)\n\(result.stderr)", sourceLocation: sourceLocation)
        return result
    }

    /// What a node holds that replicas depend on, per reseller: its digests, head, verdicts and tokens.
    static func standing(_ node: Node) throws -> [String] {
        try node.resellers().map { reseller in
            let tenant = try node.tenant(reseller.id)
            let digests = try tenant.fullDigests().sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.rows)/\($0.value.digest)" }
            let verdicts = try tenant.db.rows("SELECT replica_id, seq, status, code FROM verdict ORDER BY replica_id, seq")
                .map { "\(try $0.string("replica_id")):\(try $0.int64("seq")):\(try $0.string("status")):\(try $0.optionalString("code") ?? "")" }
            let tokens = try node.tokens(resellerId: reseller.id).map { "\($0.id) \($0.username) \($0.state.rawValue) \($0.lastUsedAt ?? "-")" }
            return "\(reseller.id) head \(try ChangeLog.head(in: tenant.db)) \(digests) \(verdicts) \(tokens)"
        }
    }

    @Test("a served SQLite node with two replicas, migrated and served from PostgreSQL: the replicas sync on, verify, no new init")
    func replicasSyncOnAfterMigration() throws {
        let cluster = try #require(PostgresCluster.shared)
        let database = try TestDatabase(cluster: cluster)
        defer { withExtendedLifetime(database) {} }
        let node = dir.path("node"), moved = dir.path("node-pg")
        try makeNode(node, users: ["anna", "ben"], at: now)
        try outpost(["node", "reseller", "add", "globex", "--name", "Globex", "--node", node], at: now)
        var served = try ServedNodeProcess(node: node, environment: ["OUTPOST_NOW": now], in: dir.url)
        let port = served.port
        for laptop in ["anna", "ben"] {
            try outpost(["init", "--replica", dir.path(laptop), "--node", served.url, "--reseller", "acme", "--token-file", dir.path("\(laptop).token")], at: now)
            try sync(laptop)
        }
        // Work on both laptops, with a conflict (both edit the phone) and a refusal (ben orders for a customer anna suspended).
        let added = try json(["customer", "add", "--name", "Contoso Dental", "--replica", dir.path("anna")], at: now)
        let customer = try #require((added as? [String: Any])?["id"] as? String)
        try sync("anna")
        try sync("ben")
        try outpost(["customer", "edit", customer, "--phone", "+49 30 1111", "--replica", dir.path("anna")], at: now)
        try outpost(["customer", "suspend", customer, "--replica", dir.path("anna")], at: now)
        try outpost(["customer", "edit", customer, "--phone", "+49 30 2222", "--replica", dir.path("ben")], at: now)
        try outpost(["order", "place", "--customer", customer, "--plan", "pln_m365-business-basic-m", "--quantity", "2", "--replica", dir.path("ben")], at: now)
        try sync("anna")
        #expect(try sync("ben").status == 1, "ben's order is refused")
        #expect(try sync("anna").stdout.contains("+49 30 2222"), "anna is told her phone edit lost")
        try sync("ben")
        served.stop()

        let clock = FixedClock(Timestamp(now)!)
        let before = try Self.standing(try Node.open(URL(fileURLWithPath: node), clock: clock))
        #expect(before.first?.contains(":refused:") == true && before.first?.contains(":applied:") == true, "\(before)")
        let onNode = try Database(path: dir.path("node/tenants/acme.sqlite"), mode: .readOnly)
        #expect(try onNode.scalar("SELECT count(*) FROM conflict")?.int64 == 1, "the phone conflict is on the node")
        // Who each laptop is to the node: its replica id (a new init would make a new one).
        let identities = try ["anna", "ben"].map { laptop in
            try Database(path: dir.path("\(laptop)/replica.sqlite"), mode: .readOnly).scalar("SELECT value FROM replica_meta WHERE key = 'replica_id'")?.string
        }

        let migrated = try outpost(["node", "migrate", "--from", node, "--to", database.connectionString, "--into", moved], at: now)
        #expect(migrated.stdout.contains("Migrated 2 reseller(s)"), "\(migrated.stdout)")
        #expect(migrated.stderr.contains("Copied acme:") && migrated.stderr.contains("Copied globex:"), "\(migrated.stderr)")
        let head = try #require(before.first?.split(separator: " ").dropFirst(2).first)
        #expect(migrated.stderr.contains("up to version \(head)"), "the change log's head per reseller: \(migrated.stderr)")
        #expect(FileManager.default.fileExists(atPath: "\(moved)/store"))
        #expect(!FileManager.default.fileExists(atPath: "\(moved)/node.sqlite"))
        let after = try Self.standing(try Node.open(URL(fileURLWithPath: moved), clock: clock))
        #expect(after == before, "digests, heads, verdicts and tokens agree")

        // The node, served from PostgreSQL on the same address: the laptops sync on with what they had.
        served = try ServedNodeProcess(node: moved, environment: ["OUTPOST_NOW": now], in: dir.url, port: port)
        defer { served.stop() }
        try outpost(["customer", "add", "--name", "Fabrikam", "--replica", dir.path("anna")], at: now)
        try outpost(["customer", "add", "--name", "Northwind", "--replica", dir.path("ben")], at: now)
        for laptop in ["anna", "ben", "anna"] { try sync(laptop) }
        for (index, laptop) in ["anna", "ben"].enumerated() {
            let replica = try Database(path: dir.path("\(laptop)/replica.sqlite"), mode: .readOnly)
            #expect(try replica.scalar("SELECT value FROM replica_meta WHERE key = 'replica_id'")?.string == identities[index], "no new init")
            #expect(try replica.scalar("SELECT count(*) FROM queue")?.int64 == 0, "\(laptop) pushed everything")
            let names = try replica.rows("SELECT name FROM customer WHERE id <> 'cus_own' ORDER BY name").map { try $0.string("name") }
            #expect(names == ["Contoso Dental", "Fabrikam", "Northwind"], "\(laptop) has the other's customer")
            let verify = try outpost(["verify", "--replica", dir.path(laptop)], at: now)
            #expect(!verify.stdout.contains("DIFF"), "\(laptop): \(verify.stdout)")
        }
        let tenant = try NodeStore.postgresql.tenantDatabase(node: moved, reseller: "acme", database: database)
        #expect(try tenant.scalar("SELECT count(*) FROM customer WHERE name IN ('Fabrikam', 'Northwind')")?.int64 == 2)
        let versions = try tenant.rows("SELECT version FROM change_log ORDER BY version").map { try $0.int64("version") }
        #expect(versions == Array(1...Int64(versions.count)), "versions go on gap-free from the migrated head")

        // A second migration into the same database is refused, and changes nothing there.
        let standing = try Self.standing(try Node.open(URL(fileURLWithPath: moved), clock: clock))
        let again = try outpost(["node", "migrate", "--from", node, "--to", database.connectionString, "--into", dir.path("node-pg2")], at: now,
                                expect: 73)
        #expect(again.stderr.contains("already holds an Outpost node"), "\(again.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("node-pg2")))
        #expect(try Self.standing(try Node.open(URL(fileURLWithPath: moved), clock: clock)) == standing)
    }

    @Test("node migrate refuses a password in --to, a missing source and an --into that holds a node, before writing anything")
    func refusesBadInputBeforeWriting() throws {
        let cluster = try #require(PostgresCluster.shared)
        let database = try TestDatabase(cluster: cluster)
        defer { withExtendedLifetime(database) {} }
        let node = dir.path("node")
        try makeNode(node, users: ["anna"], at: now)
        let withPassword = try outpost(["node", "migrate", "--from", node, "--to", "postgresql://outpost:secret@localhost/x", "--into", dir.path("pg")],
                                       at: now, expect: 64)
        #expect(withPassword.stderr.contains("must not hold a password") && !withPassword.stderr.contains("secret"), "\(withPassword.stderr)")
        try outpost(["node", "migrate", "--from", dir.path("nothing"), "--to", database.connectionString, "--into", dir.path("pg")], at: now, expect: 66)
        try outpost(["node", "migrate", "--from", node, "--to", database.connectionString, "--into", node], at: now, expect: 73)
        let admin = try PostgresDatabase(database.store)
        #expect(try admin.scalar("SELECT count(*) FROM information_schema.schemata WHERE schema_name = 'outpost_node' OR schema_name LIKE 'reseller%'")?.int64 == 0,
                "nothing was written to the database")
        #expect(!FileManager.default.fileExists(atPath: dir.path("pg")))
    }
}
