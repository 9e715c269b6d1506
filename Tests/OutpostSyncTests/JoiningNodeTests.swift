import Foundation
import Testing
import OutpostModel
import OutpostStore
import OutpostTestThreads

/// Getting started against a real node served over HTTP: `init --node` checks the reseller and the
/// token before creating anything, a joining replica queues no settings (so its first sync has no
/// conflict), and a replica made offline joins later with `config set --node` and pushes its work.
@Suite("joining a node", .ownThreads, .timeLimit(.minutes(20)))
struct JoiningNodeTests {
    /// Writes `reseller`'s token to a file in the node's directory; its path.
    static func tokenFile(_ node: ServedNode, _ reseller: String) throws -> String {
        let path = node.root.appendingPathComponent("token-\(reseller)").path
        try (node.tokens[reseller]! + "\n").write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }

    static func url(_ node: ServedNode) -> String { "http://127.0.0.1:\(node.port)/" }

    @Test("init --node refuses a mistyped reseller, another reseller's token and a location that is not a node, and creates nothing")
    func initChecksBeforeCreating() throws {
        let node = try ServedNode()
        defer { node.shutDown() }
        let replica = node.root.appendingPathComponent("r").path
        let tokenA = try Self.tokenFile(node, "a")
        let tokenB = try Self.tokenFile(node, "b")

        let mistyped = node.run(["init", "--replica", replica, "--node", Self.url(node), "--reseller", "aa", "--token-file", tokenA])
        #expect(mistyped.status == 77, "\(mistyped)")
        #expect(mistyped.stderr.contains("the token belongs to reseller 'a' on this node, not 'aa'"))
        #expect(!FileManager.default.fileExists(atPath: replica), "nothing is created")

        let otherToken = node.run(["init", "--replica", replica, "--node", Self.url(node), "--reseller", "a", "--token-file", tokenB])
        #expect(otherToken.status == 77, "\(otherToken)")
        #expect(otherToken.stderr.contains("belongs to reseller 'b'"))
        #expect(!FileManager.default.fileExists(atPath: replica))

        let forged = node.root.appendingPathComponent("forged").path
        try ("opt_" + String(repeating: "0", count: 64)).write(toFile: forged, atomically: false, encoding: .utf8)
        let refused = node.run(["init", "--replica", replica, "--node", Self.url(node), "--reseller", "a", "--token-file", forged])
        #expect(refused.status == 77, "\(refused)")
        #expect(refused.stderr.contains("refused the token"))

        let notANode = node.root.appendingPathComponent("not-a-node")
        try FileManager.default.createDirectory(at: notANode, withIntermediateDirectories: true)
        let plainDirectory = node.run(["init", "--replica", replica, "--node", notANode.path, "--reseller", "a", "--token-file", tokenA])
        #expect(plainDirectory.status == 78, "\(plainDirectory)")
        #expect(plainDirectory.stderr.contains("is not an Outpost node"))
        let missing = node.run(["init", "--replica", replica, "--node", node.root.appendingPathComponent("nowhere").path, "--reseller", "a", "--token-file", tokenA])
        #expect(missing.status == 66, "\(missing)")
        let unknownReseller = node.run(["init", "--replica", replica, "--node", node.nodePath, "--reseller", "zz", "--token-file", tokenA])
        #expect(unknownReseller.status == 65, "\(unknownReseller)")
        #expect(unknownReseller.stderr.contains("no reseller 'zz'"))
        #expect(!FileManager.default.fileExists(atPath: replica))
    }

    @Test("an unreachable node is a warning: the replica is created, offline-first")
    func unreachableIsAWarning() throws {
        let node = try ServedNode()
        defer { node.shutDown() }
        let tokenA = try Self.tokenFile(node, "a")
        let replica = node.root.appendingPathComponent("r").path
        // Port 1 on the loopback: nothing listens there, so the connection is refused at once.
        let location = "http://127.0.0.1:1/"
        let created = node.run(["init", "--replica", replica, "--node", location, "--reseller", "a", "--token-file", tokenA])
        #expect(created.status == 0, "\(created)")
        #expect(created.stderr.contains("warning: the node at \(location) is not reachable now"))
        #expect(FileManager.default.fileExists(atPath: replica + "/replica.sqlite"))
        // Settings flags cannot be checked now, so they are refused rather than queued.
        let withSettings = node.run(["init", "--replica", replica + "2", "--node", location, "--reseller", "a", "--token-file", tokenA, "--company-name", "A"])
        #expect(withSettings.status == 64, "\(withSettings)")
        #expect(!FileManager.default.fileExists(atPath: replica + "2/replica.sqlite"))
    }

    @Test("a joining replica queues no settings: init --node then the first sync is exit 0 with no conflict")
    func joiningReplicaHasNoConflict() throws {
        let node = try ServedNode()
        defer { node.shutDown() }
        let replica = node.root.appendingPathComponent("r").path
        let tokenA = try Self.tokenFile(node, "a")
        // The reseller was added as "A" in EUR: flags that agree are accepted, one that differs is refused.
        let differs = node.run(["init", "--replica", replica, "--node", Self.url(node), "--reseller", "a", "--token-file", tokenA, "--company-name", "Another Name"])
        #expect(differs.status == 65, "\(differs)")
        #expect(differs.stderr.contains("the node already has company name 'A'"))
        #expect(!FileManager.default.fileExists(atPath: replica))
        let joined = node.run(["init", "--replica", replica, "--node", Self.url(node), "--reseller", "a", "--token-file", tokenA,
                               "--company-name", "A", "--currency", "EUR", "--markup", "25"])
        #expect(joined.status == 0, "\(joined)")
        #expect(joined.stdout.contains("Joined reseller a (A, EUR) as user-a"))
        let queue = node.run(["queue", "list", "--replica", replica, "--json"])
        #expect(try JSONValue(parsing: queue.stdout).arrayValue?.isEmpty == true, "a joining replica queues nothing: \(queue.stdout)")
        try node.ok(["customer", "add", "--name", "Nordwind Logistik", "--replica", replica])
        let sync = node.run(["sync", "--replica", replica, "--no-site"])
        #expect(sync.status == 0, "first sync: \(sync.stdout)\(sync.stderr)")
        #expect(sync.stdout.contains("0 with conflicts"))
        let conflicts = node.run(["conflicts", "--replica", replica, "--json"])
        #expect(try JSONValue(parsing: conflicts.stdout).arrayValue?.isEmpty == true, "\(conflicts.stdout)")
    }

    @Test("a replica made offline joins with config set --node and pushes its queued work on the first sync")
    func offlineReplicaJoinsLater() throws {
        let node = try ServedNode()
        defer { node.shutDown() }
        let replica = node.root.appendingPathComponent("offline").path
        let tokenA = try Self.tokenFile(node, "a")
        let tokenB = try Self.tokenFile(node, "b")
        // The README's first session by hand: no node at all.
        try node.ok(["init", "--replica", replica])
        try node.ok(["customer", "add", "--name", "Contoso GmbH", "--replica", replica])
        try node.ok(["customer", "add", "--name", "Fabrikam", "--replica", replica])
        try node.ok(["order", "place", "--customer", "Contoso", "--plan", "m365-business-basic-m", "--quantity", "5", "--replica", replica])
        let noNode = node.run(["sync", "--replica", replica, "--no-site"])
        #expect(noNode.status == 78, "\(noNode)")

        let wrongToken = node.run(["config", "set", "--replica", replica, "--node", Self.url(node), "--reseller", "a", "--token-file", tokenB])
        #expect(wrongToken.status == 77, "\(wrongToken)")
        let unattached = node.run(["config", "show", "--replica", replica, "--json"])
        #expect((try JSONValue(parsing: unattached.stdout)["node"] ?? .null) == .null, "a refused join writes nothing: \(unattached.stdout)")

        try node.ok(["config", "set", "--replica", replica, "--node", Self.url(node), "--reseller", "a", "--token-file", tokenA])
        let sync = node.run(["sync", "--replica", replica, "--no-site"])
        #expect(sync.status == 0, "first sync: \(sync.stdout)\(sync.stderr)")
        #expect(sync.stdout.contains("pushed 3 (0 refused, 0 with conflicts)"))
        let verify = node.run(["verify", "--replica", replica])
        #expect(verify.status == 0, "verify: \(verify.stdout)\(verify.stderr)")

        // The node has them: a second replica of the same reseller sees the customers and the numbered order.
        let other = node.root.appendingPathComponent("other").path
        try node.ok(["init", "--replica", other, "--node", Self.url(node), "--reseller", "a", "--token-file", tokenA])
        try node.ok(["sync", "--replica", other, "--no-site"])
        let orders = node.run(["order", "list", "--replica", other])
        #expect(orders.stdout.contains("ORD-000001  Contoso GmbH"), "\(orders.stdout)")
        #expect(node.run(["customer", "show", "Fabrikam", "--replica", other]).status == 0)

        // Once synced, the node cannot change.
        let again = node.run(["config", "set", "--replica", replica, "--node", Self.url(node), "--reseller", "b", "--token-file", tokenB])
        #expect(again.status == 65, "\(again)")
        #expect(again.stderr.contains("has already synced"))
    }

    @Test("a replica whose first sync failed against a wrong address is pointed at the right node and pushes its queue; after that its node is fixed")
    func failedFirstSyncCanBeRepointed() throws {
        let node = try ServedNode()
        defer { node.shutDown() }
        let replica = node.root.appendingPathComponent("offline").path
        let tokenA = try Self.tokenFile(node, "a")
        try node.ok(["init", "--replica", replica])
        try node.ok(["customer", "add", "--name", "Contoso GmbH", "--replica", replica])
        try node.ok(["customer", "add", "--name", "Fabrikam", "--replica", replica])

        // A mistyped port: accepted with a warning (offline-first), and the sync can only fail.
        let wrong = "http://127.0.0.1:1/"
        let typo = node.run(["config", "set", "--replica", replica, "--node", wrong, "--reseller", "a", "--token-file", tokenA])
        #expect(typo.status == 0, "\(typo)")
        #expect(typo.stderr.contains("is not reachable now"))
        let failed = node.run(["sync", "--replica", replica, "--no-site", "--timeout", "1"])
        #expect(failed.status == 75, "\(failed)")
        let status = node.run(["status", "--replica", replica])
        #expect(status.stdout.contains("Last sync: never") && status.stdout.contains("Pending:   2"), "\(status.stdout)")

        // Nothing was exchanged, so the node may still change. Without --token-file the token kept for the
        // old address is removed: it is never sent to another server.
        let noToken = node.run(["config", "set", "--replica", replica, "--node", Self.url(node), "--reseller", "a"])
        #expect(noToken.status == 0, "\(noToken)")
        #expect(noToken.stderr.contains("no --token-file"), "\(noToken.stderr)")
        #expect(!FileManager.default.fileExists(atPath: replica + "/token"), "the old address's token is gone")
        let repointed = node.run(["config", "set", "--replica", replica, "--node", Self.url(node), "--reseller", "a", "--token-file", tokenA])
        #expect(repointed.status == 0, "\(repointed)")
        #expect(repointed.stdout.contains("Node:     \(Self.url(node)), reseller a"), "\(repointed.stdout)")

        let sync = node.run(["sync", "--replica", replica, "--no-site"])
        #expect(sync.status == 0, "\(sync.stdout)\(sync.stderr)")
        #expect(sync.stdout.contains("pushed 2 (0 refused, 0 with conflicts)"), "\(sync.stdout)")
        let other = node.root.appendingPathComponent("other").path
        try node.ok(["init", "--replica", other, "--node", Self.url(node), "--reseller", "a", "--token-file", tokenA])
        try node.ok(["sync", "--replica", other, "--no-site"])
        for name in ["Contoso GmbH", "Fabrikam"] {
            #expect(node.run(["customer", "show", name, "--replica", other]).status == 0, "the node has \(name)")
        }

        // Now it has exchanged with this node: changing it is refused, saying why, and nothing changes.
        let moved = node.run(["config", "set", "--replica", replica, "--node", wrong, "--reseller", "a", "--token-file", tokenA])
        #expect(moved.status == 65, "\(moved)")
        #expect(moved.stderr.contains("has already synced with \(Self.url(node)) (it pulled its changes up to #"), "\(moved.stderr)")
        let shown = node.run(["config", "show", "--replica", replica, "--json"])
        #expect(try JSONValue(parsing: shown.stdout)["node"]?.stringValue == Self.url(node))
    }

    @Test("a replica whose only exchange was a push the node acknowledged cannot change its node either")
    func acknowledgedPushFixesTheNode() throws {
        let node = try ServedNode()
        defer { node.shutDown() }
        let replica = node.root.appendingPathComponent("r").path
        let tokenA = try Self.tokenFile(node, "a")
        try node.ok(["init", "--replica", replica])
        try node.ok(["customer", "add", "--name", "Contoso GmbH", "--replica", replica])
        try node.ok(["config", "set", "--replica", replica, "--node", Self.url(node), "--reseller", "a", "--token-file", tokenA])
        try node.ok(["push", "--replica", replica])
        let moved = node.run(["config", "set", "--replica", replica, "--node", node.nodePath, "--reseller", "a", "--token-file", tokenA])
        #expect(moved.status == 65, "\(moved)")
        #expect(moved.stderr.contains("(it had 1 change(s) acknowledged)"), "\(moved.stderr)")
    }
}
