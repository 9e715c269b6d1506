import Foundation
import Testing
import OutpostTestSupport
import OutpostTestThreads

/// The ssh transport end to end through its stdio path: `--ssh-command` points at a
/// local stand-in for ssh that runs the remote command here, so the real
/// `outpost node exchange` speaks the framing over real pipes.
@Suite("ssh transport", .ownThreads)
struct SSHTransportTests {
    @Test func syncAndVerifyThroughTheStdioPath() throws {
        _ = try #require(OutpostBinary.url, "the outpost binary is built")
        let dir = try TemporaryDirectory("outpost-ssh")
        let env = ["OUTPOST_NOW": "2026-03-02T09:00:00Z", "OUTPOST_NODE": dir.path("node")]
        func outpost(_ arguments: [String]) throws -> OutpostBinary.Result {
            try OutpostBinary.run(arguments, environment: env, in: dir.url)
        }
        // ssh HOST 'outpost node exchange PATH'  →  sh -c with the built binary as outpost, and a log of what ran.
        let standIn = try SSHStandIn(in: dir).path

        #expect(try outpost(["node", "init", dir.path("node")]).status == 0)
        #expect(try outpost(["node", "plans", "import", "--builtin"]).status == 0)
        #expect(try outpost(["node", "reseller", "add", "acme", "--name", "Acme"]).status == 0)
        try outpost(["node", "token", "issue", "--reseller", "acme", "--user", "anna"]).stdout.write(toFile: dir.path("token"), atomically: false, encoding: .utf8)
        let location = "ssh://anna@node.example" + dir.path("node")
        let initialized = try outpost(["init", "--replica", dir.path("r"), "--node", location, "--reseller", "acme", "--token-file", dir.path("token")])
        #expect(initialized.status == 0, "\(initialized.stderr)")
        let added = try outpost(["customer", "add", "--replica", dir.path("r"), "--name", "Contoso over ssh"])
        #expect(added.status == 0)
        let synced = try outpost(["sync", "--replica", dir.path("r"), "--ssh-command", standIn])
        #expect(synced.status == 0, "sync over ssh: \(synced.stderr)")
        #expect(synced.stdout.contains("pushed 1"))
        let verified = try outpost(["verify", "--replica", dir.path("r"), "--ssh-command", standIn])
        #expect(verified.status == 0, "verify over ssh: \(verified.stdout) \(verified.stderr)")
        let log = try String(contentsOfFile: dir.path("fake-ssh.log"), encoding: .utf8)
        #expect(log.contains("anna@node.example outpost node exchange '\(dir.path("node"))'"), "ssh got the destination and the quoted remote command: \(log)")
        #expect(!log.contains("opt_"), "the token never appears on the ssh command line")
        let customers = try outpost(["customer", "list", "--replica", dir.path("r"), "--json"])
        #expect(customers.stdout.contains("Contoso over ssh"))

        // A publish command that leaves something running (an ssh master started by rsync, say) must not hold
        // the ssh pipes open: the connection is closed before publishing, and its descriptors are close-on-exec.
        let pidFile = dir.path("lingering.pid")
        let lingering = "sh -c 'echo $$ > \(pidFile); exec >/dev/null 2>&1 </dev/null; exec sleep 20' &"
        #expect(try outpost(["config", "set", "--replica", dir.path("r"), "--publish-command", lingering]).status == 0)
        #expect(try outpost(["customer", "add", "--replica", dir.path("r"), "--name", "Fabrikam over ssh"]).status == 0)
        let started = Date()
        let published = try outpost(["sync", "--replica", dir.path("r"), "--ssh-command", standIn])
        let took = Date().timeIntervalSince(started)
        if let pid = try? String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), let number = Int32(pid) {
            kill(number, SIGKILL)
        }
        #expect(published.status == 0, "\(published.stderr)")
        #expect(took < 10, "the sync ended in \(took) s, not when the lingering process did")

        // A stand-in whose remote side is not a node: a clear configuration error, not a hang.
        let broken = dir.path("broken-ssh")
        try "#!/bin/sh\nexit 255\n".write(toFile: broken, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: broken)
        let unreachable = try outpost(["sync", "--replica", dir.path("r"), "--ssh-command", broken, "--timeout", "2"])
        #expect(unreachable.status == 75, "ssh exiting 255 is 'unavailable, try later': \(unreachable.stderr)")
    }

    @Test func thePathReachesTheRemoteShellAsOneWord() throws {
        let dir = try TemporaryDirectory("outpost-ssh-quote")
        // A node directory with a space and a quote in its name.
        let node = dir.path("the node's home")
        let env = TestNode.environment(dir, node: node)
        func outpost(_ arguments: [String]) throws -> OutpostBinary.Result { try OutpostBinary.run(arguments, environment: env, in: dir.url) }
        try TestNode.make(dir, at: node)
        let standIn = try SSHStandIn(in: dir)
        #expect(try outpost(["init", "--replica", dir.path("r"), "--node", "ssh://anna@node.example" + node, "--reseller", "acme",
                             "--token-file", dir.path("token")]).status == 0)
        #expect(try outpost(["customer", "add", "--replica", dir.path("r"), "--name", "Contoso"]).status == 0)
        let synced = try outpost(["sync", "--replica", dir.path("r"), "--ssh-command", standIn.path, "--no-site"])
        #expect(synced.status == 0, "a path with a space and a quote: \(synced.stderr)")
        #expect(synced.stdout.contains("pushed 1"))

        // Shell syntax in the path stays part of the path: nothing runs, the node is simply not there.
        let pwned = dir.path("PWNED")
        let hostiles = ["\(node);touch \(pwned)", "\(node)$(touch \(pwned))", "\(node)`touch \(pwned)`", "\(node)' ; touch '\(pwned)"]
        for (index, hostile) in hostiles.enumerated() {
            let replica = dir.path("attacked-\(index)")
            let made = try outpost(["init", "--replica", replica, "--node", "ssh://anna@node.example" + hostile, "--reseller", "acme",
                                    "--token-file", dir.path("token")])
            #expect(made.status == 0, "\(made.stderr)")
            let attacked = try outpost(["sync", "--replica", replica, "--ssh-command", standIn.path, "--no-site", "--timeout", "5"])
            #expect(attacked.status != 0, "\(hostile): \(attacked.stderr)")
            #expect(!FileManager.default.fileExists(atPath: pwned), "the remote shell ran a command from the path \(hostile)")
        }
        #expect(standIn.calls().count >= 5)
    }

    @Test func aPortInTheLocationIsGivenToSSH() throws {
        let dir = try TemporaryDirectory("outpost-ssh-port")
        let env = TestNode.environment(dir)
        func outpost(_ arguments: [String]) throws -> OutpostBinary.Result { try OutpostBinary.run(arguments, environment: env, in: dir.url) }
        try TestNode.make(dir)
        let standIn = try SSHStandIn(in: dir)
        #expect(try outpost(["init", "--replica", dir.path("r"), "--node", "ssh://anna@node.example:2222" + dir.path("node"), "--reseller", "acme",
                             "--token-file", dir.path("token")]).status == 0)
        let synced = try outpost(["sync", "--replica", dir.path("r"), "--ssh-command", standIn.path, "--no-site"])
        #expect(synced.status == 0, "\(synced.stderr)")
        #expect(standIn.calls().first?.hasPrefix("-p 2222 anna@node.example outpost node exchange") == true, "\(standIn.calls())")
        // A port that is no port is refused before anything is written.
        let bad = try outpost(["init", "--replica", dir.path("bad"), "--node", "ssh://anna@node.example:22x" + dir.path("node"), "--reseller", "acme",
                               "--token-file", dir.path("token")])
        #expect(bad.status == 78, "\(bad.stderr)")
        #expect(bad.stderr.contains("port '22x'"), "\(bad.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("bad")), "no replica was made")
    }

    @Test(.timeLimit(.minutes(20)))
    func sshsOwnWordsAreShownAndARefusedKeyIsNotRetried() throws {
        let dir = try TemporaryDirectory("outpost-ssh-denied")
        let env = TestNode.environment(dir)
        func outpost(_ arguments: [String]) throws -> OutpostBinary.Result { try OutpostBinary.run(arguments, environment: env, in: dir.url) }
        try TestNode.make(dir)
        #expect(try outpost(["init", "--replica", dir.path("r"), "--node", "ssh://anna@node.example" + dir.path("node"), "--reseller", "acme",
                             "--token-file", dir.path("token")]).status == 0)
        let denied = try SSHStandIn(in: dir, name: "denied-ssh",
                                    before: "echo 'anna@node.example: Permission denied (publickey).' >&2; exit 255")
        let started = Date()
        let refused = try outpost(["sync", "--replica", dir.path("r"), "--ssh-command", denied.path, "--timeout", "30", "--no-site"])
        #expect(refused.status == 77, "a refused key is 'not allowed': \(refused.stderr)")
        #expect(refused.stderr.contains("Permission denied (publickey)"), "ssh's own words are shown: \(refused.stderr)")
        #expect(Date().timeIntervalSince(started) < 20, "not retried until --timeout")
        #expect(denied.calls().count == 1, "one attempt: \(denied.calls())")

        let down = try SSHStandIn(in: dir, name: "down-ssh",
                                  before: "echo 'ssh: connect to host node.example port 22: Connection refused' >&2; exit 255")
        let unavailable = try outpost(["sync", "--replica", dir.path("r"), "--ssh-command", down.path, "--timeout", "2", "--no-site"])
        #expect(unavailable.status == 75, "\(unavailable.stderr)")
        #expect(unavailable.stderr.contains("Connection refused"), "\(unavailable.stderr)")
    }

    @Test func nodeExchangeAnswersMalformedFramingWithAnError() throws {
        let binary = try #require(OutpostBinary.url, "the outpost binary is built")
        let dir = try TemporaryDirectory("outpost-exchange")
        #expect(try OutpostBinary.run(["node", "init", dir.path("node")], in: dir.url).status == 0)
        let process = Process()
        process.executableURL = binary
        process.arguments = ["node", "exchange", dir.path("node")]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try ProcessLauncher.run(process)
        // A pull with a bad token, then a header that is not JSON.
        let body = Array(#"{"protocol":1,"replica":"rep_01JDA4M5X2Q8R7T6Y5W4V3S2P1","cursor":0}"#.utf8)
        input.fileHandleForWriting.write(Data("{\"op\":\"pull\",\"token\":\"opt_nope\",\"length\":\(body.count)}\n".utf8) + Data(body))
        input.fileHandleForWriting.write(Data("this is not json\n".utf8))
        try input.fileHandleForWriting.close()
        var answer = Array(output.fileHandleForReading.readDataToEndOfFile())
        process.waitUntilExit()
        // Read the framing: a header line with `length`, then exactly that many bytes.
        var frames: [(header: String, body: String)] = []
        while let newline = answer.firstIndex(of: 0x0A) {
            let header = String(decoding: answer[..<newline], as: UTF8.self)
            answer.removeFirst(newline + 1)
            let fields = (try? JSONSerialization.jsonObject(with: Data(header.utf8))) as? [String: Any]
            let length = fields?["length"] as? Int ?? 0
            frames.append((header, String(decoding: answer.prefix(length), as: UTF8.self)))
            answer.removeFirst(min(length, answer.count))
        }
        #expect(frames.count == 2, "two framed answers")
        #expect(frames.first?.header.contains("\"status\":401") == true)
        #expect(frames.first?.body.contains("\"unauthorized\"") == true)
        #expect(frames.last?.header.contains("\"status\":400") == true)
        #expect(frames.last?.body.contains("\"malformed\"") == true)
        #expect(process.terminationStatus == 0)
    }
}
