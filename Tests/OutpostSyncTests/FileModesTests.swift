import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif
import OutpostModel
import OutpostTestSupport
import OutpostTestThreads

/// Every file Outpost keeps for itself (databases and their -wal and -shm, locks, the token, the site's
/// build state, backups) is its owner's alone; the published pages stay readable; `status` and
/// `node status` warn about looser modes they find.
@Suite("Files for their owner only", .ownThreads)
struct FileModesTests {
    let dir: TemporaryDirectory
    let env: [String: String]

    init() throws {
        dir = try TemporaryDirectory("outpost-modes")
        env = ["OUTPOST_NOW": "2026-03-02T09:00:00Z", "OUTPOST_NODE": dir.path("node")]
    }

    func outpost(_ arguments: [String]) throws -> OutpostBinary.Result {
        try OutpostBinary.run(arguments, environment: env, in: dir.url)
    }

    /// The permission bits of `path`; -1 when it does not exist.
    func mode(_ path: String) -> Int {
        var status = stat()
        return lstat(dir.path(path), &status) == 0 ? Int(status.st_mode & 0o777) : -1
    }

    @Test(.timeLimit(.minutes(20)))
    func everyFileOutpostKeepsIsItsOwnersAloneAndStatusWarnsAboutLooserOnes() throws {
        for arguments in [["node", "init", dir.path("node")], ["node", "plans", "import", "--builtin"], ["node", "reseller", "add", "acme", "--name", "Acme"]] {
            #expect(try outpost(arguments).status == 0)
        }
        let token = try outpost(["node", "token", "issue", "--reseller", "acme", "--user", "anna"]).stdout
        try token.write(toFile: dir.path("token"), atomically: false, encoding: .utf8)
        // The publish command runs while the sync still has the replica open: its -wal and -shm are there to look at.
        let initialised = try outpost(["init", "--replica", dir.path("r"), "--node", dir.path("node"), "--reseller", "acme", "--token-file", dir.path("token"),
                                       "--publish-command", "stat -c '%a %n' replica.sqlite replica.sqlite-wal replica.sqlite-shm sync.lock token > modes.txt"])
        #expect(initialised.status == 0, "\(initialised.stderr)")
        #expect(try outpost(["customer", "add", "--replica", dir.path("r"), "--name", "Contoso"]).status == 0)
        let synced = try outpost(["sync", "--replica", dir.path("r")])
        #expect(synced.status == 0, "\(synced.stderr)")

        let seenWhileOpen = try String(contentsOfFile: dir.path("r/modes.txt"), encoding: .utf8).split(separator: "\n")
        #expect(seenWhileOpen.count == 5, "\(seenWhileOpen)")
        for line in seenWhileOpen { #expect(line.hasPrefix("600 "), "\(line)") }

        // The site's cache sits beside the replica, one directory per site directory (`SiteCache.Location`).
        let caches = try FileManager.default.contentsOfDirectory(atPath: dir.path("r/site-cache"))
        try #require(caches.count == 1, "\(caches)")
        let cache = "r/site-cache/" + caches[0]
        let own = ["node/node.sqlite", "node/tenants/acme.sqlite", "r/replica.sqlite", "r/token", "r/sync.lock",
                   cache + "/cache.sqlite", cache + "/build.lock"]
        for path in own { #expect(mode(path) == 0o600, "\(path): \(String(mode(path), radix: 8))") }
        for path in ["node", "node/tenants", "r/site-cache", cache] {
            #expect(mode(path) == 0o700, "\(path): \(String(mode(path), radix: 8))")
        }
        // The published pages are for others to read.
        let csv = try #require((FileManager.default.enumerator(atPath: dir.path("r/site/customers/csv"))?.allObjects as? [String] ?? []).first { $0.hasSuffix(".csv") })
        for path in ["r/site/index.html", "r/site/customers/csv/" + csv] { #expect(mode(path) & 0o004 != 0, "\(path) is readable") }

        // A backup and what it restores are the node's owner's alone too.
        #expect(try outpost(["node", "backup", dir.path("node"), "--to", dir.path("node.backup")]).status == 0)
        #expect(try outpost(["node", "restore", dir.path("node.backup"), "--to", dir.path("restored")]).status == 0)
        #expect(mode("node.backup") == 0o600)
        for path in ["restored", "restored/tenants"] { #expect(mode(path) == 0o700, "\(path)") }
        for path in ["restored/node.sqlite", "restored/tenants/acme.sqlite"] { #expect(mode(path) == 0o600, "\(path)") }

        // Nothing to warn about yet.
        let quiet = try outpost(["status", "--replica", dir.path("r")])
        #expect(quiet.status == 0 && !quiet.stderr.contains("Warning"), "\(quiet.stderr)")
        #expect(!(try outpost(["node", "status", dir.path("node")])).stderr.contains("Warning"))

        // Opened up (an older version, a copy, a chmod): status names each file, its mode and the fix; it still works.
        for path in ["r/replica.sqlite", cache + "/cache.sqlite", "node/tenants/acme.sqlite"] { chmod(dir.path(path), 0o644) }
        let warned = try outpost(["status", "--replica", dir.path("r"), "--json"])
        #expect(warned.status == 0)
        #expect((try? JSONValue(parsing: warned.stdout)) != nil, "the JSON on standard output is untouched")
        // The -wal and -shm that status's own connection made took the database's mode: they are named too.
        #expect(warned.stderr.hasPrefix("Warning: 4 file(s) holding the reseller's data or secrets are open to other users:"), "\(warned.stderr)")
        let fix = try #require(warned.stderr.split(separator: "\n").last { $0.hasPrefix("Make them private with: chmod go-rwx ") })
        for path in ["r/replica.sqlite", "r/replica.sqlite-wal", "r/replica.sqlite-shm", cache + "/cache.sqlite"] {
            #expect(warned.stderr.contains("  \(dir.path(path)) (mode 644)"), "\(warned.stderr)")
            #expect(fix.contains("'\(dir.path(path))'"))
        }
        let node = try outpost(["node", "status", dir.path("node")])
        #expect(node.status == 0)
        #expect(node.stderr.contains("  \(dir.path("node/tenants/acme.sqlite")) (mode 644)"), "\(node.stderr)")
        // Closed again with the command it gave: no more warning.
        for path in ["r/replica.sqlite", "r/replica.sqlite-wal", "r/replica.sqlite-shm", cache + "/cache.sqlite", "node/tenants/acme.sqlite"] {
            chmod(dir.path(path), 0o600)
        }
        #expect(!(try outpost(["status", "--replica", dir.path("r")])).stderr.contains("Warning"))
    }
}
