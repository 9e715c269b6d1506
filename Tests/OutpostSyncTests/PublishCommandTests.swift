import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif
import OutpostModel
import OutpostTestSupport
import OutpostTestThreads

/// `outpost sync` publishing the rendered site with the replica's own command (`init --publish-command`,
/// `config set`), run as the built binary with real shell commands.
@Suite("Publishing the dashboards with a command", .ownThreads)
struct PublishCommandTests {
    let dir: TemporaryDirectory
    let env: [String: String]

    init() throws {
        dir = try TemporaryDirectory("outpost-publish-command")
        env = ["OUTPOST_NOW": "2026-03-02T09:00:00Z", "OUTPOST_NODE": dir.path("node")]
        _ = try outpost(["node", "init", dir.path("node")])
        _ = try outpost(["node", "plans", "import", "--builtin"])
        _ = try outpost(["node", "reseller", "add", "acme", "--name", "Acme"])
        try outpost(["node", "token", "issue", "--reseller", "acme", "--user", "anna"]).stdout
            .write(toFile: dir.path("token"), atomically: false, encoding: .utf8)
    }

    func outpost(_ arguments: [String]) throws -> OutpostBinary.Result {
        try OutpostBinary.run(arguments, environment: env, in: dir.url)
    }

    /// `init` of replica `name` in the test directory, with `extra` options.
    func initReplica(_ name: String, _ extra: [String] = []) throws -> OutpostBinary.Result {
        try outpost(["init", "--replica", dir.path(name), "--node", dir.path("node"), "--reseller", "acme", "--token-file", dir.path("token")] + extra)
    }

    /// Whether process `pid` is gone (or a zombie waiting to be reaped) within two seconds.
    static func ends(_ pid: pid_t) -> Bool {
        for _ in 0..<100 {
            let state = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?.split(separator: ")").last?.split(separator: " ").first
            if kill(pid, 0) != 0 || state == "Z" { return true }
            usleep(20_000)
        }
        return false
    }

    /// Every regular file below `root` by relative path, with its bytes; the site's hidden bookkeeping files left out.
    func tree(_ root: String) -> [String: Data] {
        var files: [String: Data] = [:]
        let base = URL(fileURLWithPath: root).standardizedFileURL.path + "/"
        for case let url as URL in FileManager.default.enumerator(at: URL(fileURLWithPath: root), includingPropertiesForKeys: nil) ?? .init() {
            var isDirectory: ObjCBool = false
            let path = String(url.standardizedFileURL.path.dropFirst(base.count))
            // Hidden files and directories are the builder's bookkeeping, never published.
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue,
                  !path.split(separator: "/").contains(where: { $0.hasPrefix(".") }) else { continue }
            files[path] = FileManager.default.contents(atPath: url.path)
        }
        return files
    }

    @Test(.timeLimit(.minutes(20)))
    func aCommandPublishesTheSiteFromTheReplicaDirectory() throws {
        // The command runs in the replica directory (relative paths land there) with the site's absolute path.
        let command = """
            case "$OUTPOST_SITE" in /*) ;; *) exit 9 ;; esac
            mkdir -p published && cp -R "$OUTPOST_SITE/." published && echo run >> runs
            readlink /proc/$$/fd/0 > stdin.txt 2>/dev/null
            echo "copied the site"; echo "rsync-like chatter" >&2
            """
        #expect(try initReplica("r", ["--publish-command", command]).status == 0)
        #expect(try outpost(["customer", "add", "--replica", dir.path("r"), "--name", "Contoso"]).status == 0)
        let quiet = try outpost(["sync", "--replica", dir.path("r"), "--quiet"])
        #expect(quiet.status == 0, "\(quiet.stderr)")
        #expect(quiet.stdout.isEmpty && quiet.stderr.isEmpty, "quiet, and the command's own output is not shown: \(quiet.stdout)\(quiet.stderr)")
        let site = tree(dir.path("r/site"))
        #expect(site["index.html"] != nil)
        #expect(tree(dir.path("r/published")) == site, "the published copy equals the rendered site")
        if FileManager.default.fileExists(atPath: "/proc/self/fd/0") {
            #expect(try String(contentsOfFile: dir.path("r/stdin.txt"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) == "/dev/null")
        }
        // It runs after every sync that has a site (so a failed publish is tried again); logged, without the command's text.
        let logged = try outpost(["sync", "--replica", dir.path("r"), "--log-format", "json"])
        #expect(logged.status == 0, "\(logged.stderr)")
        #expect(try String(contentsOfFile: dir.path("r/runs"), encoding: .utf8) == "run\nrun\n")
        let events = logged.stderr.split(separator: "\n").compactMap { try? JSONValue(parsing: String($0)) }
        let published = try #require(events.first { $0["event"]?.stringValue == "site.published" }, "\(logged.stderr)")
        #expect(published["command"]?.boolValue == true)
        #expect(!logged.stderr.contains("cp -R") && !logged.stderr.contains("chatter") && !logged.stdout.contains("chatter"))
        // --no-site renders and publishes nothing.
        #expect(try outpost(["sync", "--replica", dir.path("r"), "--no-site", "--quiet"]).status == 0)
        #expect(try String(contentsOfFile: dir.path("r/runs"), encoding: .utf8) == "run\nrun\n")
    }

    @Test(.timeLimit(.minutes(20)))
    func aFailingCommandIsAWarningAndTheSyncAndTheSiteStay() throws {
        // A long stderr: the warning quotes only its end.
        let command = "head -c 100000 /dev/zero | tr '\\0' x >&2; echo >&2; echo 'rsync: connection unexpectedly closed' >&2; exit 3"
        #expect(try initReplica("r", ["--publish-command", command]).status == 0)
        #expect(try outpost(["customer", "add", "--replica", dir.path("r"), "--name", "Contoso"]).status == 0)
        let failed = try outpost(["sync", "--replica", dir.path("r"), "--quiet"])
        #expect(failed.status == 0, "a failed publish does not fail the sync: \(failed.stderr)")
        let warning = try #require(failed.stderr.split(separator: "\n").first { $0.hasPrefix("Warning:") }.map(String.init), "\(failed.stderr)")
        #expect(warning.hasPrefix("Warning: the sync succeeded and the site is rendered in \(dir.path("r/site")), but publishing failed: the publish command exited with status 3: "))
        #expect(failed.stderr.contains("x\nrsync: connection unexpectedly closed\n"))
        #expect(failed.stderr.utf8.count < 3 * 4096 + 1000, "only the end of the command's stderr is kept: \(failed.stderr.utf8.count) bytes")
        #expect(failed.stderr.contains("event=publish.failed") && failed.stderr.contains("status=3"))
        #expect(FileManager.default.fileExists(atPath: dir.path("r/site/index.html")))
        let status = try JSONValue(parsing: try outpost(["status", "--replica", dir.path("r"), "--json"]).stdout)
        #expect(status["last_result"]?.stringValue == "ok")
        #expect(status["pending"]?.integerValue == 0, "the sync went through")
    }

    @Test(.timeLimit(.minutes(20)))
    func aHangingCommandIsKilledWithItsChildrenAtTheTimeout() throws {
        #expect(try initReplica("r", ["--publish-command", "sleep 30 & echo $! > child; wait"]).status == 0)
        let started = Date()
        let hung = try outpost(["sync", "--replica", dir.path("r"), "--timeout", "2"])
        #expect(hung.status == 0, "\(hung.stderr)")
        #expect(Date().timeIntervalSince(started) < 15)
        #expect(hung.stderr.contains("but publishing failed: the publish command did not finish within 2 s and was killed"), "\(hung.stderr)")
        #expect(hung.stderr.contains("timed_out=true"))
        // The shell's child went with it (its process group was killed): gone, or a zombie waiting to be reaped.
        let child = try #require(pid_t(try String(contentsOfFile: dir.path("r/child"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(Self.ends(child), "the sleep the command started was killed too")
    }

    @Test(.timeLimit(.minutes(20)))
    func aSyncStoppedWhilePublishingStopsTheCommandToo() throws {
        // The command has its own process group, so a kill of the sync alone would not reach it.
        #expect(try initReplica("r", ["--publish-command", "sleep 30 & echo $! > child; wait"]).status == 0)
        let sync = try OutpostBinary.start(["sync", "--replica", dir.path("r")], environment: env, in: dir.url)
        var child: pid_t?
        for _ in 0..<500 where child == nil {
            child = (try? String(contentsOfFile: dir.path("r/child"), encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            if child == nil { usleep(20_000) }
        }
        let sleeper = try #require(child, "the publish command started")
        sync.signal(SIGTERM)
        let ended = sync.wait(timeLimit: 10)
        #expect(sync.process.terminationReason == .uncaughtSignal && ended.status == SIGTERM,
                "the sync ends by the signal it got, not by the test's kill after the time limit: \(ended.status)")
        #expect(Self.ends(sleeper), "the publish command's process group got the signal too")
        kill(sleeper, SIGKILL)
    }

    @Test func initRefusesBothPublishFormsAndCreatesNothing() throws {
        let both = try initReplica("r", ["--publish", dir.path("share"), "--publish-command", "true"])
        #expect(both.status == 64)
        #expect(both.stderr.contains("give either --publish DIR or --publish-command CMD, not both"))
        #expect(!FileManager.default.fileExists(atPath: dir.path("r")))
        #expect(try initReplica("r", ["--publish-command", " "]).status == 64)
        #expect(!FileManager.default.fileExists(atPath: dir.path("r")))
    }

    @Test(.timeLimit(.minutes(20)))
    func configSetChangesHowAnExistingReplicaPublishes() throws {
        #expect(try initReplica("r").status == 0)
        #expect(try outpost(["config", "set", "--replica", dir.path("r")]).status == 64)
        #expect(try outpost(["config", "set", "--replica", dir.path("r"), "--publish", dir.path("share"), "--no-publish"]).status == 64)
        let set = try outpost(["config", "set", "--replica", dir.path("r"), "--publish-command", "cp -R \"$OUTPOST_SITE/.\" ../copy"])
        #expect(set.status == 0, "\(set.stderr)")
        #expect(set.stdout.contains("Publish:  by running cp -R"))
        #expect(try outpost(["sync", "--replica", dir.path("r"), "--quiet"]).status == 0)
        #expect(tree(dir.path("copy")) == tree(dir.path("r/site")))
        // One form replaces the other; --no-publish stops it.
        try FileManager.default.createDirectory(atPath: dir.path("share"), withIntermediateDirectories: true)
        #expect(try outpost(["config", "set", "--replica", dir.path("r"), "--publish", dir.path("share")]).status == 0)
        let config = try JSONValue(parsing: try outpost(["config", "show", "--replica", dir.path("r"), "--json"]).stdout)
        #expect(config["publish"]?.stringValue == dir.path("share"))
        #expect(config["publish_command"] == nil || config["publish_command"] == .null)
        #expect(try outpost(["sync", "--replica", dir.path("r"), "--quiet"]).status == 0)
        #expect(tree(dir.path("share")) == tree(dir.path("r/site")))
        #expect(try outpost(["config", "set", "--replica", dir.path("r"), "--no-publish"]).stdout.contains("Publish:  no"))
    }
}
