import Foundation
import Testing
import OutpostModel
import OutpostSync
import OutpostTestSupport
import OutpostTestThreads

/// An address that answers but is not an Outpost node — another web server on the port, or a real node
/// under a wrong path — is a configuration error the moment it is met: `init --node` and
/// `config set --node` refuse it (78) and write nothing, and `sync` stops at once with 78 instead of
/// retrying as if the node were down. Only a proxy's 502/503/504 is worth retrying.
@Suite("an address that is not an Outpost node", .ownThreads, .timeLimit(.minutes(20)))
struct NotANodeTests {
    let dir: TemporaryDirectory

    init() throws {
        dir = try TemporaryDirectory("outpost-not-a-node")
    }

    @discardableResult
    func outpost(_ arguments: [String], expect status: Int32, sourceLocation: SourceLocation = #_sourceLocation) throws -> OutpostBinary.Result {
        let result = try OutpostBinary.run(arguments, environment: ["OUTPOST_NOW": "2026-02-07T08:00:00Z"], in: dir.url)
        #expect(result.status == status, "outpost \(arguments.joined(separator: " ")): \(result.stdout) \(result.stderr)", sourceLocation: sourceLocation)
        return result
    }

    /// A token file with a token-shaped text (no node will ever see it accepted).
    func tokenFile() throws -> String {
        let path = dir.path("some.token")
        try ("opt_" + String(repeating: "7", count: 64) + "\n").write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }

    static let answers: [ForeignServer.Answer] = [
        .init(status: 501, contentType: "text/html", body: "<html><body><h1>Error response</h1><p>Error code: 501</p></body></html>"),
        .init(status: 404, contentType: "text/html", body: "<html><body>404 Not Found</body></html>"),
        .init(status: 200, contentType: "text/html", body: "<!doctype html><title>Welcome to nginx!</title>"),
        .init(status: 200, contentType: "application/json", body: #"{"status":"ok"}"#),
        .init(status: 500, contentType: "text/plain", body: "Internal Server Error"),
    ]

    @Test("init --node refuses a web server that is not a node (any status, HTML or foreign JSON), with or without a token, and creates nothing")
    func initRefusesAForeignServer() throws {
        try #require(OutpostBinary.url != nil, "the outpost binary is built")
        let token = try tokenFile()
        for answer in Self.answers {
            let server = try ForeignServer(answer)
            defer { server.stop() }
            let replica = dir.path("r-\(answer.status)")
            for extra in [["--token-file", token], []] {
                let refused = try outpost(["init", "--replica", replica, "--node", server.url, "--reseller", "acme"] + extra, expect: 78)
                #expect(refused.stderr.contains("\(server.url) is not an Outpost node: it answered 'account' with status \(answer.status)"),
                        "\(answer.status) \(answer.contentType): \(refused.stderr)")
                #expect(!FileManager.default.fileExists(atPath: replica), "nothing is created for \(answer.status) \(answer.contentType)")
            }
        }
    }

    @Test("a real node under a wrong path is not a node: init and config set --node refuse it (78) and write nothing")
    func wrongPathIsRefused() throws {
        let node = try ServedNode()
        defer { node.shutDown() }
        let tokenA = try JoiningNodeTests.tokenFile(node, "a")
        let wrong = JoiningNodeTests.url(node) + "nope/"
        let replica = node.root.appendingPathComponent("r").path
        let refused = node.run(["init", "--replica", replica, "--node", wrong, "--reseller", "a", "--token-file", tokenA])
        #expect(refused.status == 78, "\(refused)")
        #expect(refused.stderr.contains("\(wrong) is not an Outpost node: no route /nope/v1/account"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: replica))

        try node.ok(["init", "--replica", replica])
        try node.ok(["customer", "add", "--name", "Contoso GmbH", "--replica", replica])
        let joining = node.run(["config", "set", "--replica", replica, "--node", wrong, "--reseller", "a", "--token-file", tokenA])
        #expect(joining.status == 78, "\(joining)")
        let shown = node.run(["config", "show", "--replica", replica, "--json"])
        #expect((try JSONValue(parsing: shown.stdout)["node"] ?? .null) == .null, "a refused join writes nothing: \(shown.stdout)")
        #expect(!FileManager.default.fileExists(atPath: replica + "/token"), "no token is written")
    }

    @Test("sync against an address that now answers as another server exits 78 after one request; a proxy's 502 is retried (75); the queue stays")
    func syncStopsAtOnceOnAForeignServer() throws {
        try #require(OutpostBinary.url != nil, "the outpost binary is built")
        // A port nothing listens on yet: the replica joins it offline-first (a warning), as a laptop does before the node is up.
        let probe = try ForeignServer(Self.answers[0])
        let port = probe.port
        probe.stop()
        let replica = dir.path("r")
        let created = try outpost(["init", "--replica", replica, "--node", "http://127.0.0.1:\(port)/", "--reseller", "acme", "--token-file", try tokenFile()], expect: 0)
        #expect(created.stderr.contains("is not reachable now"), "\(created.stderr)")
        try outpost(["customer", "add", "--name", "Contoso GmbH", "--replica", replica], expect: 0)

        // Another web server now answers there: no retry, exit 78 naming the problem.
        let foreign = try ForeignServer(Self.answers[1], port: port)
        let sync = try outpost(["sync", "--replica", replica, "--no-site", "--timeout", "60"], expect: 78)
        foreign.stop()
        #expect(sync.stderr.contains("http://127.0.0.1:\(port)/ is not an Outpost node: it answered 'push' with status 404"), "\(sync.stderr)")
        #expect(!sync.stderr.contains("sync.retry"), "not retried: \(sync.stderr)")
        #expect(foreign.requests == 1, "one request, no retries: \(foreign.requests)")

        // A proxy whose node is down answers 502: that is worth waiting for.
        let proxy = try ForeignServer(.init(status: 502, contentType: "text/html", body: "<html><body>502 Bad Gateway</body></html>"), port: port)
        let later = try outpost(["sync", "--replica", replica, "--no-site", "--timeout", "2"], expect: 75)
        proxy.stop()
        #expect(later.stderr.contains("sync.retry"), "retried: \(later.stderr)")
        #expect(proxy.requests > 1)

        let queue = try outpost(["queue", "list", "--replica", replica, "--json"], expect: 0)
        #expect(try JSONValue(parsing: queue.stdout).arrayValue?.count == 1, "the queued customer is still there: \(queue.stdout)")
    }
}

/// A web server that is not an Outpost node: it answers every request with one fixed response, and counts them.
final class ForeignServer {
    struct Answer: Sendable {
        let status: Int
        let contentType: String
        let body: String
    }

    /// The fixed answer, and how many requests got it.
    private final class Responder: HTTPResponder, @unchecked Sendable {
        // @unchecked: `answer` never changes; `count` is behind `lock`.
        let answer: Answer
        private let lock = NSLock()
        private var count = 0

        init(_ answer: Answer) { self.answer = answer }

        var requests: Int {
            lock.lock()
            defer { lock.unlock() }
            return count
        }

        func respond(to request: HTTPRequest) -> HTTPResponse {
            lock.lock()
            count += 1
            lock.unlock()
            return HTTPResponse(status: answer.status, contentType: answer.contentType, body: Array(answer.body.utf8))
        }

        /// Every request is served, with its body: this server stands in for whatever a replica may meet.
        func admit(_ head: HTTPRequestHead, peer: String) -> HTTPAdmission { .serveWithBody() }

        func answered(_ record: HTTPRequestRecord) {}
    }

    let port: Int
    private let server: HTTPServer
    private let responder: Responder

    var url: String { "http://127.0.0.1:\(port)/" }
    var requests: Int { responder.requests }

    /// Listens on `port` on the loopback (0: any free port).
    init(_ answer: Answer, port: Int = 0) throws {
        responder = Responder(answer)
        server = HTTPServer(configuration: .init(address: ListenAddress(host: "127.0.0.1", port: port)), responder: responder)
        self.port = try server.start().port
    }

    /// Stops listening and waits for the connections to end; safe to call twice.
    func stop() {
        server.stop()
        _ = server.waitUntilStopped(drainTimeout: 5)
    }
}
