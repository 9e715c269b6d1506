import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif
import OutpostModel
import OutpostStore
import OutpostTestSupport
import OutpostTestThreads

/// `outpost sync` as cron and systemd timers run it: one at a time, retries, exit codes, quiet and structured logs.
@Suite("Unattended sync with real processes", .ownThreads)
struct UnattendedSyncTests {
    let dir: TemporaryDirectory
    let env: [String: String]
    let token: String

    init() throws {
        dir = try TemporaryDirectory("outpost-cron")
        env = ["OUTPOST_NOW": "2026-03-02T09:00:00Z", "OUTPOST_NODE": dir.path("node")]
        _ = try OutpostBinary.run(["node", "init", dir.path("node")], environment: env, in: dir.url)
        _ = try OutpostBinary.run(["node", "plans", "import", "--builtin"], environment: env, in: dir.url)
        _ = try OutpostBinary.run(["node", "reseller", "add", "acme", "--name", "Acme"], environment: env, in: dir.url)
        token = try OutpostBinary.run(["node", "token", "issue", "--reseller", "acme", "--user", "anna"], environment: env, in: dir.url)
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try (token + "\n").write(toFile: dir.path("token"), atomically: false, encoding: .utf8)
    }

    func outpost(_ arguments: [String]) throws -> OutpostBinary.Result {
        try OutpostBinary.run(arguments, environment: env, in: dir.url)
    }

    func makeReplica(_ name: String, node: String? = nil) throws {
        let result = try outpost(["init", "--replica", dir.path(name), "--node", node ?? dir.path("node"), "--reseller", "acme", "--token-file", dir.path("token")])
        #expect(result.status == 0, "\(result.stderr)")
    }

    /// A port nothing listens on (yet).
    static func freePort() -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @Test(.timeLimit(.minutes(20)))
    func twoSyncsStartedTogetherOneRunsTheOtherSaysSo() throws {
        // Whichever takes the lock first holds it inside its publish command until the test creates `go`,
        // which it does only once the other has ended: so the other always meets the lock held, whether
        // it started first, second, or while the first was still starting up.
        let initialised = try outpost(["init", "--replica", dir.path("r"), "--node", dir.path("node"), "--reseller", "acme", "--token-file", dir.path("token"),
                                       "--publish-command", "touch publishing; while [ ! -e go ]; do sleep 0.05; done"])
        #expect(initialised.status == 0, "\(initialised.stderr)")
        #expect(try outpost(["customer", "add", "--replica", dir.path("r"), "--name", "Contoso"]).status == 0)
        let syncs = try (0..<2).map { _ in try OutpostBinary.start(["sync", "--replica", dir.path("r")], environment: env, in: dir.url) }
        var ended: OutpostBinary.Running?
        for _ in 0..<1200 where ended == nil {
            ended = syncs.first { !$0.process.isRunning }
            if ended == nil { usleep(50_000) }
        }
        let turnedAway = try #require(ended, "one of the two ended while the other held the lock")
        let holder = try #require(syncs.first { $0 !== turnedAway })
        let refused = turnedAway.wait()
        #expect(refused.status == 75, "\(refused.stderr)")
        #expect(refused.stderr.contains("another outpost sync is running on \(dir.path("r")) (pid \(holder.process.processIdentifier))"), "\(refused.stderr)")
        try "".write(toFile: dir.path("r/go"), atomically: false, encoding: .utf8)
        let synced = holder.wait()
        #expect(synced.status == 0, "\(synced.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir.path("r/publishing")), "the holder synced and published")
        #expect(synced.stdout.contains("pushed 1"), "the holder did the sync: \(synced.stdout)")
        // With --wait it queues behind instead, and the lock of a finished (or killed) run never blocks.
        let after = try outpost(["sync", "--replica", dir.path("r"), "--wait", "5", "--quiet"])
        #expect(after.status == 0, "\(after.stderr)")
    }

    @Test(.timeLimit(.minutes(20)))
    func aNodeDownForTheFirstAttemptsIsReachedWithinTheTimeout() throws {
        let port = Self.freePort()
        try makeReplica("r", node: "http://127.0.0.1:\(port)/")
        #expect(try outpost(["customer", "add", "--replica", dir.path("r"), "--name", "Contoso"]).status == 0)
        let sync = try OutpostBinary.start(["sync", "--replica", dir.path("r"), "--timeout", "30", "--log-format", "json"], environment: env, in: dir.url)
        usleep(1_500_000)
        let server = try OutpostBinary.start(["node", "serve", dir.path("node"), "--listen", "127.0.0.1:\(port)"], environment: env, in: dir.url)
        defer { server.signal(SIGTERM); _ = server.wait(timeLimit: 10) }
        let result = sync.wait(timeLimit: 40)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stderr.split(separator: "\n").map(String.init)
        let events = lines.compactMap { (try? JSONValue(parsing: $0))?["event"]?.stringValue }
        #expect(events.contains("sync.retry"), "it retried while the node was down: \(result.stderr)")
        #expect(events.last == "sync.done")
        for line in lines { #expect((try? JSONValue(parsing: line)) != nil, "every log line is JSON: \(line)") }
        #expect(!result.stderr.contains(token) && !result.stdout.contains(token))
    }

    @Test(.timeLimit(.minutes(20)))
    func eachExitCodeFromItsRealCause() throws {
        try makeReplica("r")
        // 0: in sync; --quiet prints nothing at all.
        let clean = try outpost(["sync", "--replica", dir.path("r"), "--quiet"])
        #expect(clean.status == 0)
        #expect(clean.stdout.isEmpty && clean.stderr.isEmpty, "quiet: \(clean.stdout)\(clean.stderr)")
        // 1: a refusal needs attention (the customer was suspended on the node before the order arrived).
        try makeReplica("other")
        let created = try outpost(["customer", "add", "--replica", dir.path("r"), "--name", "Contoso", "--json"])
        let customer = try #require(try JSONValue(parsing: created.stdout)["id"]?.stringValue)
        _ = try outpost(["sync", "--replica", dir.path("r"), "--quiet"])
        _ = try outpost(["sync", "--replica", dir.path("other"), "--quiet"])
        #expect(try outpost(["customer", "suspend", customer, "--replica", dir.path("r")]).status == 0)
        #expect(try outpost(["order", "place", "--replica", dir.path("other"), "--customer", customer, "--plan", "pln_m365-business-basic-m"]).status == 0)
        #expect(try outpost(["sync", "--replica", dir.path("r"), "--quiet"]).status == 0)
        let attention = try outpost(["sync", "--replica", dir.path("other"), "--log-format", "json"])
        #expect(attention.status == 1, "\(attention.stderr)")
        // 64: usage.
        #expect(try outpost(["sync", "--replica", dir.path("r"), "--qiet"]).status == 64)
        // A replica ahead of the node, as after restoring the node from an older backup, is not an error:
        // it re-fetches everything and says so in one line (PROTOCOL.md 6.6).
        let db = try Database(path: dir.path("other/replica.sqlite"), mode: .readWrite)
        try db.execute("UPDATE replica_meta SET value = '999999' WHERE key = 'cursor'")
        let ahead = try outpost(["sync", "--replica", dir.path("other"), "--quiet"])
        #expect(ahead.status == 0, "\(ahead.stderr)")
        #expect(ahead.stdout.contains("before this replica's cursor 999999") && ahead.stdout.contains("re-fetched everything"), "\(ahead.stdout)")
        // 65: bad data — a copy of a replica directory pushes other mutations under seqs the node has verdicts for.
        try FileManager.default.copyItem(atPath: dir.path("r"), toPath: dir.path("r-copy"))
        for replica in ["r", "r-copy"] {
            #expect(try outpost(["customer", "add", "--replica", dir.path(replica), "--name", "Made in \(replica)"]).status == 0)
        }
        #expect(try outpost(["sync", "--replica", dir.path("r"), "--quiet"]).status == 0)
        let copied = try outpost(["sync", "--replica", dir.path("r-copy")])
        #expect(copied.status == 65, "\(copied.stderr)")
        #expect(copied.stderr.contains("already used for another mutation"))
        // 75: node unavailable, after retrying until the timeout.
        try makeReplica("down", node: "http://127.0.0.1:\(Self.freePort())/")
        let down = try outpost(["sync", "--replica", dir.path("down"), "--timeout", "2"])
        #expect(down.status == 75, "\(down.stderr)")
        #expect(down.stderr.contains("event=sync.retry"))
        // 77: the token was revoked.
        let tokens = try Database(path: dir.path("node/node.sqlite"), mode: .readOnly)
        let tokenId = try #require(try tokens.scalar("SELECT id FROM token")?.string)
        #expect(try outpost(["node", "token", "revoke", tokenId]).status == 0)
        let revoked = try outpost(["sync", "--replica", dir.path("r")])
        #expect(revoked.status == 77, "\(revoked.stderr)")
        #expect(!revoked.stderr.contains(token))
        // 78: configuration — a replica that has no node.
        #expect(try outpost(["init", "--replica", dir.path("alone"), "--no-catalog"]).status == 0)
        let alone = try outpost(["sync", "--replica", dir.path("alone")])
        #expect(alone.status == 78, "\(alone.stderr)")
    }

    @Test(.timeLimit(.minutes(20)))
    func aRefusalReceivedByAFailedAttemptStillMakesTheRunExitOne() throws {
        // The customer is suspended on the node before the other laptop's order for it arrives: refused.
        try makeReplica("r")
        try makeReplica("other", node: "ssh://anna@node.example" + dir.path("node"))
        let standIn = try SSHStandIn(in: dir, cutsAfterFirstAnswer: true)
        let created = try outpost(["customer", "add", "--replica", dir.path("r"), "--name", "Contoso", "--json"])
        let customer = try #require(try JSONValue(parsing: created.stdout)["id"]?.stringValue)
        #expect(try outpost(["sync", "--replica", dir.path("r"), "--quiet"]).status == 0)
        #expect(try outpost(["pull", "--replica", dir.path("other"), "--ssh-command", SSHStandIn(in: dir, name: "plain-ssh").path]).status == 0)
        #expect(try outpost(["customer", "suspend", customer, "--replica", dir.path("r")]).status == 0)
        #expect(try outpost(["sync", "--replica", dir.path("r"), "--quiet"]).status == 0)
        #expect(try outpost(["order", "place", "--replica", dir.path("other"), "--customer", customer, "--plan", "pln_m365-business-basic-m"]).status == 0)
        // The first attempt's connection drops right after the push's verdicts (the refusal); the retry pushes
        // nothing more and pulls: the run still reports the refusal and exits 1.
        let run = try outpost(["sync", "--replica", dir.path("other"), "--ssh-command", standIn.path, "--timeout", "30", "--no-site"])
        #expect(standIn.calls().count == 2, "one cut attempt and one retry: \(standIn.calls())")
        #expect(run.stderr.contains("event=sync.retry"), "\(run.stderr)")
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("(1 refused"), "\(run.stdout)")
        #expect(run.stderr.contains("refused=1"), "the log line counts it too: \(run.stderr)")
        let status = try JSONValue(parsing: try outpost(["status", "--replica", dir.path("other"), "--json"]).stdout)
        #expect(status["last_result"]?.stringValue == "attention", "\(status)")
    }
}

@Suite("outpost status", .ownThreads)
struct StatusTests {
    @Test func statusReportsAndChecksFreshness() throws {
        let dir = try TemporaryDirectory("outpost-status")
        var env = ["OUTPOST_NOW": "2026-03-02T09:00:00Z", "OUTPOST_NODE": dir.path("node")]
        func outpost(_ arguments: [String]) throws -> OutpostBinary.Result { try OutpostBinary.run(arguments, environment: env, in: dir.url) }
        _ = try outpost(["node", "init", dir.path("node")])
        _ = try outpost(["node", "reseller", "add", "acme", "--name", "Acme"])
        try outpost(["node", "token", "issue", "--reseller", "acme", "--user", "anna"]).stdout.write(toFile: dir.path("token"), atomically: false, encoding: .utf8)
        _ = try outpost(["init", "--replica", dir.path("r"), "--node", dir.path("node"), "--reseller", "acme", "--token-file", dir.path("token")])
        let never = try outpost(["status", "--replica", dir.path("r"), "--check"])
        #expect(never.status == 1)
        #expect(never.stderr.contains("never synced"))
        #expect(try outpost(["sync", "--replica", dir.path("r"), "--quiet"]).status == 0)
        let fresh = try outpost(["status", "--replica", dir.path("r"), "--check", "--max-age", "30m"])
        #expect(fresh.status == 0, "\(fresh.stderr)")
        let json = try JSONValue(parsing: try outpost(["status", "--replica", dir.path("r"), "--json"]).stdout)
        #expect(json["last_result"]?.stringValue == "ok")
        #expect(json["pending"]?.integerValue == 0)
        #expect(json["site_built"]?.boolValue == true)
        // Two hours later, the same replica is stale.
        env["OUTPOST_NOW"] = "2026-03-02T11:00:00Z"
        let stale = try outpost(["status", "--replica", dir.path("r"), "--check", "--max-age", "1h"])
        #expect(stale.status == 1)
        #expect(stale.stderr.contains("last successful sync 120 min ago"))
        #expect(try outpost(["status", "--replica", dir.path("r"), "--check", "--max-age", "soon"]).status == 65)
    }
}

@Suite("Publishing the dashboards", .ownThreads)
struct PublishTests {
    @Test func syncPublishesTheSiteAndAFailedPublishLeavesSyncAndSiteIntact() throws {
        let dir = try TemporaryDirectory("outpost-publish")
        let env = ["OUTPOST_NOW": "2026-03-02T09:00:00Z", "OUTPOST_NODE": dir.path("node")]
        func outpost(_ arguments: [String]) throws -> OutpostBinary.Result { try OutpostBinary.run(arguments, environment: env, in: dir.url) }
        _ = try outpost(["node", "init", dir.path("node")])
        _ = try outpost(["node", "plans", "import", "--builtin"])
        _ = try outpost(["node", "reseller", "add", "acme", "--name", "Acme"])
        try outpost(["node", "token", "issue", "--reseller", "acme", "--user", "anna"]).stdout.write(toFile: dir.path("token"), atomically: false, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: dir.path("share"), withIntermediateDirectories: true)
        #expect(try outpost(["init", "--replica", dir.path("r"), "--node", dir.path("node"), "--reseller", "acme",
                             "--token-file", dir.path("token"), "--publish", dir.path("share")]).status == 0)
        #expect(try outpost(["customer", "add", "--replica", dir.path("r"), "--name", "Contoso"]).status == 0)
        let first = try outpost(["sync", "--replica", dir.path("r"), "--quiet"])
        #expect(first.status == 0, "\(first.stderr)")
        let published = try String(contentsOfFile: dir.path("share/index.html"), encoding: .utf8)
        #expect(published == (try String(contentsOfFile: dir.path("r/site/index.html"), encoding: .utf8)))
        #expect(FileManager.default.fileExists(atPath: dir.path("share/assets/outpost.css")))
        // A file that no longer belongs is removed from the share.
        try "stale".write(toFile: dir.path("share/old-page.html"), atomically: false, encoding: .utf8)
        #expect(try outpost(["customer", "add", "--replica", dir.path("r"), "--name", "Fabrikam"]).status == 0)
        #expect(try outpost(["sync", "--replica", dir.path("r"), "--quiet"]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: dir.path("share/old-page.html")))
        // The share is gone: the sync succeeds, the site is rendered, the publish step says why it failed.
        try FileManager.default.removeItem(atPath: dir.path("share"))
        #expect(try outpost(["customer", "add", "--replica", dir.path("r"), "--name", "Northwind"]).status == 0)
        let failed = try outpost(["sync", "--replica", dir.path("r")])
        #expect(failed.status == 0, "\(failed.stderr)")
        #expect(failed.stderr.contains("publishing failed: the publish directory \(dir.path("share")) does not exist"))
        #expect(FileManager.default.fileExists(atPath: dir.path("r/site/index.html")))
        let queue = try outpost(["queue", "list", "--replica", dir.path("r"), "--json"])
        #expect(queue.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[\n\n]" || queue.stdout.contains("[]"), "the sync went through: \(queue.stdout)")
    }
}
