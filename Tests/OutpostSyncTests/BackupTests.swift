import Foundation
import Testing
import OutpostModel
import OutpostStore
@testable import OutpostSync
import OutpostTestSupport
import OutpostTestThreads

/// `outpost node backup` during a push, and `node restore`, with real processes.
@Suite("Node backup and restore", .ownThreads)
struct BackupTests {
    @Test(.timeLimit(.minutes(20)))
    func aBackupTakenDuringAPushRestoresToAConsistentNode() throws {
        let dir = try TemporaryDirectory("outpost-backup")
        let env = ["OUTPOST_NOW": "2026-03-02T09:00:00Z", "OUTPOST_NODE": dir.path("node")]
        func outpost(_ arguments: [String]) throws -> OutpostBinary.Result { try OutpostBinary.run(arguments, environment: env, in: dir.url) }
        #expect(try outpost(["node", "init", dir.path("node")]).status == 0)
        #expect(try outpost(["node", "plans", "import", "--builtin"]).status == 0)
        #expect(try outpost(["node", "reseller", "add", "acme", "--name", "Acme"]).status == 0)
        try outpost(["node", "token", "issue", "--reseller", "acme", "--user", "anna"]).stdout.write(toFile: dir.path("token"), atomically: false, encoding: .utf8)
        #expect(try outpost(["init", "--replica", dir.path("r"), "--node", dir.path("node"), "--reseller", "acme", "--token-file", dir.path("token")]).status == 0)
        do {
            let replica = try Replica.open(URL(fileURLWithPath: dir.path("r")), clock: FixedClock(Timestamp("2026-03-02T09:00:00Z")!))
            for index in 0..<1500 { try replica.submit(CreateCustomer(id: replica.ids.make("cus"), name: "Customer \(index)")) }
        }
        let push = try OutpostBinary.start(["sync", "--replica", dir.path("r"), "--no-site", "--quiet"], environment: env, in: dir.url)
        usleep(150_000)
        let during = try outpost(["node", "backup", dir.path("node"), "--to", dir.path("during.backup")])
        #expect(during.status == 0, "\(during.stderr)")
        #expect(push.wait().status == 0)

        // Restored, the mid-push backup is a consistent node: sound files, kept digests equal to recomputed ones,
        // and every applied verdict has its customer.
        let restored = try outpost(["node", "restore", dir.path("during.backup"), "--to", dir.path("restored")])
        #expect(restored.status == 0, "\(restored.stderr)")
        let node = try Node.open(URL(fileURLWithPath: dir.path("restored")), clock: FixedClock(Timestamp("2026-03-02T09:00:00Z")!))
        let tenant = try node.tenant("acme")
        #expect(try tenant.sqliteDatabase().integrityCheck() == ["ok"])
        #expect(try RowDigest.storedAll(in: tenant.db) == RowDigest.computeAll(in: tenant.db))
        let applied = try tenant.db.scalar("SELECT count(*) FROM verdict WHERE status != 'refused'")?.int64 ?? -1
        #expect(try tenant.db.scalar("SELECT count(*) FROM customer WHERE id <> 'cus_own'")?.int64 == applied)

        // A backup after the push restores to a node whose digests match the live node's.
        #expect(try outpost(["node", "backup", dir.path("node"), "--to", dir.path("after.backup")]).status == 0)
        #expect(try outpost(["node", "restore", dir.path("after.backup"), "--to", dir.path("restored-after")]).status == 0)
        let live = try Node.open(URL(fileURLWithPath: dir.path("node")), clock: FixedClock(Timestamp("2026-03-02T09:00:00Z")!))
        let copy = try Node.open(URL(fileURLWithPath: dir.path("restored-after")), clock: FixedClock(Timestamp("2026-03-02T09:00:00Z")!))
        #expect(try copy.tenant("acme").fullDigests() == live.tenant("acme").fullDigests())
        #expect(try copy.tenant("acme").db.scalar("SELECT count(*) FROM customer WHERE id <> 'cus_own'")?.int64 == 1500)

        // Restoring over a directory in use is refused; a damaged file is refused.
        #expect(try outpost(["node", "restore", dir.path("after.backup"), "--to", dir.path("node")]).status == 65)
        try "not a backup".write(toFile: dir.path("bad.backup"), atomically: false, encoding: .utf8)
        #expect(try outpost(["node", "restore", dir.path("bad.backup"), "--to", dir.path("nowhere")]).status == 65)
    }
}
