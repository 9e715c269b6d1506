import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif
import OutpostModel
import OutpostTestSupport
import OutpostTestThreads

/// An `https://` node whose certificate comes from a private CA: trusted with `--ca-file`, `OUTPOST_CA_FILE` or
/// `SSL_CERT_FILE`, and refused for good (77, naming the host and the reason) without. The CA and the node's
/// certificate are made with `openssl`; TLS is terminated in front of `outpost node serve` by a few lines of
/// Python's `ssl`, as nginx would in production.
@Suite("https with a private CA", .ownThreads)
struct PrivateCATests {
    /// Why the test cannot run here; `nil` when `openssl` and `python3` (with `ssl`) are at hand.
    static let missingTool: String? = {
        for tool in ["openssl", "python3"] where run(["/usr/bin/env", tool, "version"]) == nil && run(["/usr/bin/env", tool, "--version"]) == nil {
            return "\(tool) is not installed: no private CA or TLS terminator can be made here"
        }
        return run(["/usr/bin/env", "python3", "-c", "import ssl"]) == nil ? "python3 has no ssl module" : nil
    }()

    /// Runs a program to its end; its standard output, or `nil` when it failed.
    @discardableResult
    static func run(_ arguments: [String], in directory: String? = nil) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        guard (try? ProcessLauncher.run(process)) != nil else { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : nil
    }

    /// A TLS terminator: accepts on a port of the kernel's choosing (written to `port.txt`) and relays each
    /// connection to the node's plain HTTP port.
    static let terminator = """
        import socket, ssl, sys, threading
        cert, key, backend, port_file = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        with open(port_file + ".tmp", "w") as f: f.write(str(server.getsockname()[1]))
        import os; os.rename(port_file + ".tmp", port_file)
        def relay(source, target):
            try:
                while True:
                    data = source.recv(65536)
                    if not data: break
                    target.sendall(data)
            except Exception: pass
            for end in (source, target):
                try: end.close()
                except Exception: pass
        def serve(client):
            try: secure = context.wrap_socket(client, server_side=True)
            except Exception:
                client.close(); return
            upstream = socket.create_connection(("127.0.0.1", backend))
            threading.Thread(target=relay, args=(upstream, secure), daemon=True).start()
            relay(secure, upstream)
        while True:
            client, _ = server.accept()
            threading.Thread(target=serve, args=(client,), daemon=True).start()
        """

    @Test(.enabled(if: missingTool == nil, "\(missingTool ?? "")"), .timeLimit(.minutes(20)))
    func aPrivateCAIsTrustedOnlyWhenGiven() throws {
        let dir = try TemporaryDirectory("outpost-private-ca")
        // The private CA and the node's certificate for localhost and 127.0.0.1.
        let openssl = ["/usr/bin/env", "openssl"]
        let curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        #expect(Self.run(openssl + ["req", "-x509"] + curve + ["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Outpost Test CA"], in: dir.path("")) != nil)
        #expect(Self.run(openssl + ["req"] + curve + ["-keyout", "node.key", "-out", "node.csr", "-subj", "/CN=localhost"], in: dir.path("")) != nil)
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\n".write(toFile: dir.path("san.cnf"), atomically: false, encoding: .utf8)
        #expect(Self.run(openssl + ["x509", "-req", "-in", "node.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "node.pem",
                                    "-days", "2", "-extfile", "san.cnf"], in: dir.path("")) != nil)

        let env = TestNode.environment(dir)
        func outpost(_ arguments: [String], _ extra: [String: String] = [:]) throws -> OutpostBinary.Result {
            try OutpostBinary.run(arguments, environment: env.merging(extra) { $1 }, in: dir.url)
        }
        try TestNode.make(dir, plans: false)
        let node = try ServedNodeProcess(node: dir.path("node"), environment: env, in: dir.url)
        defer { node.stop() }
        try Self.terminator.write(toFile: dir.path("terminator.py"), atomically: false, encoding: .utf8)
        let proxy = Process()
        proxy.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        proxy.arguments = ["python3", dir.path("terminator.py"), dir.path("node.pem"), dir.path("node.key"), String(node.port), dir.path("port.txt")]
        proxy.standardOutput = FileHandle.nullDevice
        try ProcessLauncher.run(proxy)
        // SIGKILL: a child started from a test thread may inherit a mask that blocks SIGTERM.
        defer { kill(proxy.processIdentifier, SIGKILL); proxy.waitUntilExit() }
        #expect(ServedNode.waitUntil(seconds: 15) { FileManager.default.fileExists(atPath: dir.path("port.txt")) })
        let port = try #require(Int(try String(contentsOfFile: dir.path("port.txt"), encoding: .utf8)))
        let location = "https://localhost:\(port)/"
        let trusted = ["OUTPOST_CA_FILE": dir.path("ca.pem")]

        // Joining checks the node, over TLS too: without the CA it is refused, naming the host and the reason.
        let untrustedJoin = try outpost(["init", "--replica", dir.path("r"), "--node", location, "--reseller", "acme", "--token-file", dir.path("token")])
        #expect(untrustedJoin.status == 77, "\(untrustedJoin.stderr)")
        #expect(untrustedJoin.stderr.contains("certificate of localhost is not trusted"), "\(untrustedJoin.stderr)")
        let joined = try outpost(["init", "--replica", dir.path("r"), "--node", location, "--reseller", "acme", "--token-file", dir.path("token")], trusted)
        #expect(joined.status == 0, "\(joined.stderr)")
        #expect(joined.stdout.contains("Joined reseller acme"), "the node answered over TLS: \(joined.stdout)")
        #expect(try outpost(["customer", "add", "--replica", dir.path("r"), "--name", "Contoso"]).status == 0)

        // A sync without the CA fails at once, for good: not retried until --timeout.
        let started = Date()
        let untrusted = try outpost(["sync", "--replica", dir.path("r"), "--no-site", "--timeout", "30"])
        #expect(untrusted.status == 77, "\(untrusted.stderr)")
        #expect(untrusted.stderr.contains("certificate of localhost is not trusted: unable to get local issuer certificate"), "\(untrusted.stderr)")
        #expect(!untrusted.stderr.contains("sync.retry"))
        #expect(Date().timeIntervalSince(started) < 20)

        // --ca-file, OUTPOST_CA_FILE and SSL_CERT_FILE each make it trusted.
        let withOption = try outpost(["sync", "--replica", dir.path("r"), "--no-site", "--ca-file", dir.path("ca.pem")])
        #expect(withOption.status == 0, "\(withOption.stderr)")
        #expect(withOption.stdout.contains("pushed 1"))
        #expect(try outpost(["customer", "add", "--replica", dir.path("r"), "--name", "Fabrikam"]).status == 0)
        let withVariable = try outpost(["sync", "--replica", dir.path("r"), "--no-site"], trusted)
        #expect(withVariable.status == 0, "\(withVariable.stderr)")
        #expect(withVariable.stdout.contains("pushed 1"))
        let withSystemVariable = try outpost(["sync", "--replica", dir.path("r"), "--no-site"], ["SSL_CERT_FILE": dir.path("ca.pem")])
        #expect(withSystemVariable.status == 0, "\(withSystemVariable.stderr)")

        // A CA file that is not there is refused before anything is sent.
        let missing = try outpost(["sync", "--replica", dir.path("r"), "--no-site", "--ca-file", dir.path("nope.pem")])
        #expect(missing.status == 66, "\(missing.stderr)")
        #expect(missing.stderr.contains("--ca-file \(dir.path("nope.pem"))"))
        let verified = try outpost(["verify", "--replica", dir.path("r"), "--ca-file", dir.path("ca.pem")])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")

        // init takes --ca-file too and keeps it: the replica's unattended syncs need no flag and no variable.
        let joinedWithOption = try outpost(["init", "--replica", dir.path("r2"), "--node", location, "--reseller", "acme",
                                            "--token-file", dir.path("token"), "--ca-file", dir.path("ca.pem")])
        #expect(joinedWithOption.status == 0, "\(joinedWithOption.stderr)")
        let kept = try outpost(["sync", "--replica", dir.path("r2"), "--no-site"])
        #expect(kept.status == 0, "\(kept.stderr)")
    }
}
