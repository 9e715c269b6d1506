import Foundation
import OutpostTestSupport
import Testing
import OutpostModel
import OutpostStore
import OutpostSystem
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
import OutpostTestThreads
#endif

/// `outpost node serve` as a real process on a real socket, spoken to with bytes written by hand.
@Suite("HTTP server: framing, limits, timeouts, concurrency, shutdown", .ownThreads)
struct HTTPServerTests {
    @Test("node serve takes its node as every node command does: DIR, --node DIR or OUTPOST_NODE; none is a usage error")
    func nodeGivenAsEveryNodeCommandTakesIt() throws {
        for given in [ServedNode.NodeGiven.option, .environment] {
            let node = try ServedNode(nodeGiven: given)
            defer { node.shutDown() }
            #expect(node.pull("a").status == 200, "\(given)")
        }
        let binary = try #require(ServedNode.binary)
        let none = ServedNode.run(binary, ["node", "serve", "--listen", "127.0.0.1:0"])
        #expect(none.status == 64)
        #expect(none.stderr.contains("no node given: pass --node DIR or set OUTPOST_NODE"), "\(none.stderr)")
    }

    @Test("a bad request line gets 400 and closes; the server keeps serving others")
    func badRequestLine() throws {
        let node = try ServedNode()
        defer { node.shutDown() }
        for line in ["GARBAGE\r\n\r\n", "GET /health\r\nHost: x\r\n\r\n", "GET  /health HTTP/1.1\r\nHost: x\r\n\r\n", "G(T /health HTTP/1.1\r\nHost: x\r\n\r\n",
                     "GET health HTTP/1.1\r\nHost: x\r\n\r\n", "GET /health HTTP/1.1 extra\r\nHost: x\r\n\r\n"] {
            let connection = try RawConnection(port: node.port)
            try connection.send(line)
            let response = try connection.readResponse()
            #expect(response.status == 400, "\(line.debugDescription)")
            #expect(response.errorCode == "malformed", "\(line.debugDescription)")
            #expect(response.headers["connection"] == "close")
            #expect(connection.readsEndOfStream(within: 3), "the connection is closed after a bad request line")
        }
        let version = try RawConnection(port: node.port)
        try version.send("GET /health HTTP/2.0\r\nHost: x\r\n\r\n")
        let unsupported = try version.readResponse()
        #expect(unsupported.status == 505)
        #expect(unsupported.errorCode == "malformed")
        // Meanwhile and afterwards, others are served.
        #expect(try node.get("/health").status == 200)
    }

    @Test("header lines that are ambiguous get 400: no Host, space before the colon, folding, both lengths")
    func ambiguousHeaders() throws {
        let node = try ServedNode()
        defer { node.shutDown() }
        let heads = [
            "GET /health HTTP/1.1\r\n\r\n",
            "GET /health HTTP/1.1\r\nHost : x\r\n\r\n",
            "GET /health HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n folded\r\n\r\n",
            "POST /v1/pull HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n",
            "POST /v1/pull HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n",
            "POST /v1/pull HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
            "POST /v1/pull HTTP/1.1\r\nHost: x\r\nContent-Length: 0x10\r\n\r\n",
        ]
        for head in heads {
            let connection = try RawConnection(port: node.port)
            try connection.send(head)
            let response = try connection.readResponse()
            #expect(response.status == 400, "\(head.debugDescription) got \(response.status)")
            #expect(response.errorCode == "malformed")
        }
    }

    @Test("POST without Content-Length gets 411, and a chunked body 411 too")
    func missingContentLength() throws {
        let node = try ServedNode()
        defer { node.shutDown() }
        let connection = try RawConnection(port: node.port)
        try connection.send("POST /v1/pull HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(node.tokens["a"]!)\r\n\r\n")
        let response = try connection.readResponse()
        #expect(response.status == 411)
        #expect(response.errorCode == "malformed")

        let chunked = try RawConnection(port: node.port)
        try chunked.send("POST /v1/pull HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
        let refused = try chunked.readResponse()
        #expect(refused.status == 411)
        #expect(chunked.readsEndOfStream(within: 3))
    }

    @Test("a huge Content-Length gets 413 at once, without the body being read")
    func hugeContentLength() throws {
        let node = try ServedNode()
        defer { node.shutDown() }
        let connection = try RawConnection(port: node.port)
        let started = Date()
        // Only the head is sent: the answer must not wait for 1 GB that never comes.
        try connection.send("POST /v1/push HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(node.tokens["a"]!)\r\nContent-Length: 1073741824\r\n\r\n")
        let response = try connection.readResponse()
        #expect(response.status == 413)
        #expect(response.errorCode == "too_large")
        #expect(Date().timeIntervalSince(started) < 2)
        #expect(connection.readsEndOfStream(within: 3))
        // Headers beyond 16 KiB: 431.
        let large = try RawConnection(port: node.port)
        try large.send("GET /health HTTP/1.1\r\nHost: x\r\nX-Padding: \(String(repeating: "a", count: 17 * 1024))\r\n\r\n")
        let tooLarge = try large.readResponse()
        #expect(tooLarge.status == 431)
        #expect(tooLarge.errorCode == "too_large")
    }

    @Test("a client that sends half a request and stalls is cut off after the read timeout; others are served meanwhile")
    func slowClientTimesOut() throws {
        let node = try ServedNode(serveArguments: ["--read-timeout", "1"])
        defer { node.shutDown() }
        let slow = try RawConnection(port: node.port)
        let started = Date()
        try slow.send("POST /v1/pull HTTP/1.1\r\nHost: x\r\nContent-Le")
        let slowBody = try RawConnection(port: node.port)
        // With a valid token: a request without one is answered 401 on its head, its body never awaited.
        try slowBody.send("POST /v1/pull HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(node.tokens["a"]!)\r\nContent-Length: 100\r\n\r\n{\"proto")
        let silent = try RawConnection(port: node.port)
        // While they stall, other clients are served: both answers arrive before the stalled ones hear anything.
        #expect(try node.get("/health").status == 200)
        #expect(!slow.hasDataWaiting && !slowBody.hasDataWaiting && !silent.hasDataWaiting,
                "the stalled clients were still waiting when another was answered")
        #expect(node.pull("a").status == 200)

        for connection in [slow, slowBody] {
            let response = try connection.readResponse(timeout: 5)
            #expect(response.status == 408)
            #expect(response.errorCode == "unavailable", "a replica that was too slow tries again later")
            #expect(connection.readsEndOfStream(within: 3))
        }
        #expect(silent.readsEndOfStream(within: 3), "a client that says nothing is closed too")
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed >= 0.9 && elapsed < 4, "closed after about the read timeout, took \(elapsed) s")
    }

    @Test("50 concurrent clients each pulling all get 200")
    func fiftyConcurrentPulls() throws {
        let node = try ServedNode()
        defer { node.shutDown() }
        // Every connection is open, and every request sent, before any answer is read.
        var connections: [RawConnection] = []
        for index in 0..<50 {
            let connection = try RawConnection(port: node.port)
            let reseller = index.isMultiple(of: 2) ? "a" : "b"
            try connection.send(ServedNode.post("/v1/pull", body: ServedNode.pullBody(), token: node.tokens[reseller]))
            connections.append(connection)
        }
        var statuses: [Int] = []
        for connection in connections {
            let response = try connection.readResponse(timeout: 30)
            statuses.append(response.status)
            #expect(response.json?["changes"] != nil)
        }
        #expect(statuses == Array(repeating: 200, count: 50))
        let metrics = try node.get("/metrics").text
        #expect(metrics.contains("outpost_http_requests_total{route=\"/v1/pull\",status=\"200\"} 50"))
    }

    @Test("keep-alive serves several requests on one connection; Connection: close is honoured; pipelined requests are answered in order")
    func keepAlive() throws {
        let node = try ServedNode()
        defer { node.shutDown() }
        let connection = try RawConnection(port: node.port)
        try connection.send(ServedNode.post("/v1/pull", body: ServedNode.pullBody(), token: node.tokens["a"]))
        #expect(try connection.readResponse().status == 200)
        try connection.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try connection.readResponse().status == 200)
        #expect(try connection.readResponse().status == 404)
        try connection.send("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let last = try connection.readResponse()
        #expect(last.status == 200)
        #expect(last.headers["connection"] == "close")
        #expect(connection.readsEndOfStream(within: 3))

        let old = try RawConnection(port: node.port)
        try old.send("GET /health HTTP/1.0\r\n\r\n")
        #expect(try old.readResponse().status == 200)
        #expect(old.readsEndOfStream(within: 3), "HTTP/1.0 closes unless asked to keep alive")
    }

    @Test("GET /health, GET /metrics in the Prometheus text format, 404 and 405 as JSON")
    func healthMetricsAndRoutes() throws {
        let node = try ServedNode()
        defer { node.shutDown() }
        let health = try node.get("/health")
        #expect(health.status == 200)
        #expect(health.text == #"{"status":"ok"}"#)
        #expect(health.headers["content-type"] == "application/json")

        #expect(node.pull("a").status == 200)
        #expect(node.push("a", ServedNode.pushBody(replica: ServedNode.newId("rep"), mutations: [
            ServedNode.customerCreate(seq: 1, id: ServedNode.newId("cus"), name: "Metrics GmbH"),
        ])).status == 200)
        #expect(node.pull("a", token: "opt_wrong").status == 401)

        let missing = try node.get("/v2/pull")
        #expect(missing.status == 404)
        #expect(missing.errorCode == "not_found")
        #expect(missing.json?["protocol"] as? Int == 1)
        let wrongMethod = try node.get("/v1/push")
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.errorCode == "not_found")
        #expect(wrongMethod.headers["allow"] == "POST")

        // A request is counted just after its answer was written, so a scrape sent the moment the 405 arrived may come
        // before it is: scrape until it is there (each scrape is a request too, counted under its own route).
        var metrics = try node.get("/metrics")
        let last = #"outpost_http_requests_total{route="/v1/push",status="405"} 1"#
        for _ in 0..<100 where !metrics.text.contains(last + "\n") {
            usleep(20_000)
            metrics = try node.get("/metrics")
        }
        #expect(metrics.status == 200)
        #expect(metrics.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        let text = metrics.text
        for sample in [
            #"outpost_http_requests_total{route="/health",status="200"} 1"#,
            #"outpost_http_requests_total{route="/v1/pull",status="200"} 1"#,
            #"outpost_http_requests_total{route="/v1/pull",status="401"} 1"#,
            #"outpost_http_requests_total{route="/v1/push",status="200"} 1"#,
            #"outpost_http_requests_total{route="other",status="404"} 1"#,
            last,
            #"outpost_http_errors_total{class="4xx"} 3"#,
            "outpost_sync_pushes_total 1", "outpost_sync_pulls_total 1", "outpost_sync_mutations_total 1",
            "outpost_sync_refusals_total 0", "outpost_sync_conflicts_total 0",
        ] {
            #expect(text.contains(sample + "\n"), "missing \(sample) in\n\(text)")
        }
        // Every request counted is in the duration histogram: its count and its +Inf bucket are the sum of the requests.
        let requests = text.split(separator: "\n").filter { $0.hasPrefix("outpost_http_requests_total{") }
            .compactMap { $0.split(separator: " ").last.flatMap { Int($0) } }.reduce(0, +)
        #expect(requests >= 6)
        #expect(text.contains("outpost_http_request_duration_seconds_count \(requests)\n"), "\(text)")
        #expect(text.contains(#"outpost_http_request_duration_seconds_bucket{le="+Inf"} "# + "\(requests)\n"), "\(text)")
        try PrometheusText.check(text)
    }

    @Test("SIGTERM while a request is in flight: it completes, new connections are refused, the process exits 0")
    func sigtermFinishesInFlightRequest() throws {
        let node = try ServedNode()
        defer { node.shutDown() }
        let idle = try RawConnection(port: node.port)
        #expect(try node.get("/health", on: idle).status == 200)

        let body = Array(ServedNode.pushBody(replica: ServedNode.newId("rep"), mutations: [
            ServedNode.customerCreate(seq: 1, id: ServedNode.newId("cus"), name: "In Flight Ltd"),
        ]).utf8)
        let inFlight = try RawConnection(port: node.port)
        try inFlight.send("POST /v1/push HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(node.tokens["a"]!)\r\nContent-Length: \(body.count)\r\n\r\n")
        try inFlight.send(bytes: Array(body.prefix(body.count / 2)))
        usleep(200_000)
        node.signal(SIGTERM)
        // The listener closes at once; the idle keep-alive connection is closed.
        #expect(ServedNode.waitUntil(seconds: 3) { !RawConnection.canConnect(port: node.port) }, "new connections are refused while draining")
        #expect(idle.readsEndOfStream(within: 3))
        #expect(node.isRunning, "the process waits for the request in flight")
        try inFlight.send(bytes: Array(body.dropFirst(body.count / 2)))
        let response = try inFlight.readResponse(timeout: 10)
        #expect(response.status == 200)
        #expect(response.headers["connection"] == "close")
        let verdicts = response.json?["verdicts"] as? [[String: Any]]
        #expect(verdicts?.first?["status"] as? String == "applied")
        let status = node.waitForExit(seconds: 10)
        #expect(status == 0, "exit status after SIGTERM: \(String(describing: status))\n\(node.log)")
        #expect(node.log.contains("Stopped."))
    }

    @Test("one log line per request with method, path, status, bytes, ms, run and reseller — never the token")
    func requestLog() throws {
        let node = try ServedNode()
        defer { node.shutDown() }
        #expect(node.pull("a", run: "run_01TESTRUN").status == 200)
        #expect(node.pull("b").status == 200)
        let forged = "opt_" + String(repeating: "f", count: 64)
        #expect(node.pull("a", token: forged).status == 401)
        #expect(try node.request(ServedNode.post("/v1/pull", body: "{}", token: nil, extraHeaders: ["X-Outpost-Run: evil\" status=200"])).status == 401)
        #expect(try node.get("/health").status == 200)
        node.shutDown()

        let lines = node.log.split(separator: "\n").filter { $0.hasPrefix("http ") }
        #expect(lines.count == 5, "\(node.log)")
        #expect(lines.contains { $0.contains("method=POST path=/v1/pull status=200") && $0.contains("run=run_01TESTRUN") && $0.contains("reseller=a") })
        #expect(lines.contains { $0.contains("status=200") && $0.contains("reseller=b") })
        #expect(lines.contains { $0.contains("method=GET path=/health status=200") && $0.contains(" ms=") && $0.contains(" bytes=15") })
        #expect(lines.contains { $0.contains(#"run="evil\" status=200""#) }, "client-chosen values are quoted")
        for token in node.tokens.values + [forged] {
            #expect(!node.log.contains(token))
            #expect(!node.log.contains(String(token.dropFirst(4).prefix(16))))
        }
        #expect(!node.log.lowercased().contains("authorization"))
        #expect(!node.log.lowercased().contains("bearer"))
    }

    @Test("--log-format json: every line is a JSON object with method, path, status, bytes, ms, run and reseller — never the token")
    func requestLogAsJSON() throws {
        let node = try ServedNode(serveArguments: ["--log-format", "json"])
        defer { node.shutDown() }
        // A real replica syncs over HTTP, so the run id is the one the sync client sends.
        let replica = node.root.appendingPathComponent("replica").path
        let tokenFile = node.root.appendingPathComponent("token-a").path
        try (node.tokens["a"]! + "\n").write(toFile: tokenFile, atomically: false, encoding: .utf8)
        try node.ok(["init", "--replica", replica, "--node", "http://127.0.0.1:\(node.port)/", "--reseller", "a", "--token-file", tokenFile])
        try node.ok(["customer", "add", "--name", "Nordwind Logistik", "--replica", replica])
        let sync = node.run(["sync", "--replica", replica, "--json", "--no-site"])
        #expect(sync.status == 0, "sync: \(sync.stdout)\(sync.stderr)\n\(node.log)")
        let runId = try #require(try JSONValue(parsing: sync.stdout)["run"]?.stringValue)
        let forged = "opt_" + String(repeating: "f", count: 64)
        #expect(node.pull("a", token: forged).status == 401)
        let hostile = #"evil" status=200 \ {"x":1}"#
        #expect(node.pull("b", run: hostile).status == 200)
        #expect(try node.get("/health").status == 200)
        node.shutDown()

        let lines = node.log.split(separator: "\n").map(String.init)
        var objects: [[String: JSONValue]] = []
        for line in lines {
            let object = (try? JSONValue(parsing: line))?.objectValue
            #expect(object != nil, "every line is a JSON object: \(line)")
            if let object { objects.append(object) }
        }
        #expect(objects.first?["event"]?.stringValue == "node.listening")
        #expect(objects.first?["url"]?.stringValue == "http://127.0.0.1:\(node.port)/")
        #expect(objects.contains { $0["event"]?.stringValue == "node.stopping" && $0["signal"]?.stringValue == "SIGTERM" })
        #expect(objects.last?["event"]?.stringValue == "node.stopped")
        #expect(objects.allSatisfy { $0["time"]?.stringValue == ServedNode.now && $0["level"]?.stringValue != nil })

        let requests = objects.filter { $0["event"]?.stringValue == "http.request" }
        #expect(requests.count == 6, "init's account check, push, pull, forged pull, hostile pull, health:\n\(node.log)")
        #expect(requests.contains { $0["path"]?.stringValue == "/v1/account" && $0["status"]?.integerValue == 200 && $0["reseller"]?.stringValue == "a" })
        for request in requests {
            for key in ["method", "path", "status", "bytes", "in", "ms", "run", "reseller", "peer"] {
                #expect(request[key] != nil, "\(key) in \(request)")
            }
            #expect(request["status"]?.integerValue != nil && request["bytes"]?.integerValue != nil)
            #expect(request["ms"].map { if case .double = $0 { true } else { $0.integerValue != nil } } == true, "ms is a number")
        }
        let ofTheSync = requests.filter { $0["run"]?.stringValue == runId }
        #expect(Set(ofTheSync.compactMap { $0["path"]?.stringValue }) == ["/v1/push", "/v1/pull"], "the sync's run id is on its requests: \(node.log)")
        for request in ofTheSync {
            #expect(request["method"]?.stringValue == "POST")
            #expect(request["status"]?.integerValue == 200)
            #expect(request["reseller"]?.stringValue == "a")
            #expect((request["bytes"]?.integerValue ?? 0) > 0)
        }
        #expect(requests.contains { $0["status"]?.integerValue == 401 && $0["reseller"] == .null })
        #expect(requests.contains { $0["run"]?.stringValue == hostile && $0["reseller"]?.stringValue == "b" }, "client-chosen values arrive intact, escaped")
        #expect(requests.contains { $0["method"]?.stringValue == "GET" && $0["path"]?.stringValue == "/health" && $0["bytes"]?.integerValue == 15 })
        for token in node.tokens.values + [forged] {
            #expect(!node.log.contains(token))
            #expect(!node.log.contains(String(token.dropFirst(4).prefix(16))))
        }
        #expect(!node.log.lowercased().contains("bearer"))
    }

    @Test("a replica syncs through HTTP with the outpost binary, and verifies")
    func replicaSyncsOverHTTP() throws {
        let node = try ServedNode()
        defer { node.shutDown() }
        let replica = node.root.appendingPathComponent("replica").path
        let tokenFile = node.root.appendingPathComponent("token-a").path
        try (node.tokens["a"]! + "\n").write(toFile: tokenFile, atomically: false, encoding: .utf8)
        let url = "http://127.0.0.1:\(node.port)/"
        try node.ok(["init", "--replica", replica, "--node", url, "--reseller", "a", "--token-file", tokenFile])
        try node.ok(["customer", "add", "--name", "Nordwind Logistik", "--email", "it@nordwind.example", "--replica", replica])
        let sync = node.run(["sync", "--replica", replica])
        #expect(sync.status == 0, "sync: \(sync.stdout)\(sync.stderr)\n\(node.log)")
        let verify = node.run(["verify", "--replica", replica])
        #expect(verify.status == 0, "verify: \(verify.stdout)\(verify.stderr)")
        let second = node.run(["sync", "--replica", replica])
        #expect(second.status == 0, "a second sync is a no-op: \(second.stderr)")
        #expect(try node.customerCount("a") == 1)
        #expect(try node.customerCount("b") == 0)
        #expect(node.log.contains("method=POST path=/v1/push status=200"))
        #expect(!node.log.contains(node.tokens["a"]!))
    }
}

// MARK: - A node served by the real binary

/// A node made with the built `outpost` (two resellers `a` and `b`, a token each) and served by
/// `outpost node serve --listen 127.0.0.1:0` in a child process. `shutDown()` always ends it.
final class ServedNode: @unchecked Sendable {
    // @unchecked: every property is set in init and only read afterwards; `Process` is used from the test's thread.
    static let now = "2026-02-02T09:00:00Z"

    let root: URL
    let nodePath: String
    /// Bearer tokens and token ids by reseller.
    let tokens: [String: String]
    let tokenIds: [String: String]
    let process: Process
    let port: Int
    /// The PostgreSQL database the node lives in, for a `.postgresql` node (dropped with it).
    let database: TestDatabase?
    private let collector: StandardErrorCollector

    /// How `node serve` is told where the node is: as every node command takes it.
    enum NodeGiven: Sendable { case positional, option, environment }

    init(serveArguments: [String] = [], store: NodeStore = .sqlite, nodeGiven: NodeGiven = .positional,
         sourceLocation: SourceLocation = #_sourceLocation) throws {
        _ = ServedNode.ignoreSIGPIPE
        let binary = try #require(ServedNode.binary, "the outpost binary is not built next to the tests", sourceLocation: sourceLocation)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("outpost-http-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let nodePath = root.appendingPathComponent("node").path
        self.root = root
        self.nodePath = nodePath
        var created = false
        defer { if !created { try? FileManager.default.removeItem(at: root) } }

        func setup(_ arguments: [String]) throws -> (stdout: String, stderr: String) {
            let result = ServedNode.run(binary, arguments)
            try #require(result.status == 0, "outpost \(arguments.joined(separator: " ")): \(result.stderr)", sourceLocation: sourceLocation)
            return (result.stdout, result.stderr)
        }
        let database = try store.makeDatabase()
        self.database = database
        _ = try setup(store.initArguments(nodePath, database: database))
        _ = try setup(["node", "plans", "import", "--builtin", "--node", nodePath])
        var tokens: [String: String] = [:]
        var ids: [String: String] = [:]
        for reseller in ["a", "b"] {
            _ = try setup(["node", "reseller", "add", reseller, "--name", reseller.uppercased(), "--node", nodePath])
            let issued = try setup(["node", "token", "issue", "--reseller", reseller, "--user", "user-\(reseller)", "--node", nodePath])
            tokens[reseller] = issued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            ids[reseller] = issued.stderr.split(separator: " ").first { $0.hasPrefix("tok_") }.map(String.init)
        }
        self.tokens = tokens
        self.tokenIds = ids

        let process = Process()
        process.executableURL = binary
        let node: [String] = switch nodeGiven {
        case .positional: [nodePath]
        case .option: ["--node", nodePath]
        case .environment: []
        }
        process.arguments = ["node", "serve"] + node + ["--listen", "127.0.0.1:0"] + serveArguments
        process.environment = ServedNode.environment.merging(nodeGiven == .environment ? ["OUTPOST_NODE": nodePath] : [:]) { $1 }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try ProcessLauncher.run(process)
        self.process = process
        let collector = StandardErrorCollector(errors.fileHandleForReading)
        self.collector = collector
        created = true

        var found: Int?
        _ = ServedNode.waitUntil(seconds: 15) {
            let text = collector.text
            // "Listening on http://…/" as text; {"event":"node.listening","url":"http://…/"} with --log-format json.
            for marker in ["Listening on http://127.0.0.1:", #""url":"http://127.0.0.1:"#] {
                if let range = text.range(of: marker), let end = text[range.upperBound...].firstIndex(of: "/") {
                    found = Int(text[range.upperBound..<end])
                }
            }
            return found != nil || !process.isRunning
        }
        guard let found else {
            process.terminate()
            process.waitUntilExit()
            Issue.record("node serve did not print its address:\n\(collector.text)", sourceLocation: sourceLocation)
            try? FileManager.default.removeItem(at: root)
            throw ServeFailed()
        }
        port = found
    }

    struct ServeFailed: Error {}

    /// Everything the server wrote to standard error so far.
    var log: String { collector.text }

    var isRunning: Bool { process.isRunning }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Waits for the process to end; its exit status, or `nil` if it is still running.
    func waitForExit(seconds: Double) -> Int32? {
        guard ServedNode.waitUntil(seconds: seconds, { !self.process.isRunning }) else { return nil }
        process.waitUntilExit()
        collector.waitForEnd(seconds: 5)
        return process.terminationStatus
    }

    /// Ends the server (SIGTERM, then SIGKILL) and removes the directory. Safe to call twice.
    func shutDown() {
        if process.isRunning {
            signal(SIGTERM)
            if waitForExit(seconds: 10) == nil {
                signal(SIGKILL)
                process.waitUntilExit()
            }
        }
        collector.waitForEnd(seconds: 5)
        try? FileManager.default.removeItem(at: root)
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    // MARK: Running outpost

    static let environment: [String: String] = {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("OUTPOST_") }
        environment["OUTPOST_NOW"] = now
        return environment
    }()

    /// Runs `outpost args…` to completion (output in files, so no pipe fills up; killed after 30 s).
    static func run(_ binary: URL, _ arguments: [String]) -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.environment = environment
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("outpost-run-\(UUID().uuidString)")
        defer {
            try? FileManager.default.removeItem(at: scratch.appendingPathExtension("out"))
            try? FileManager.default.removeItem(at: scratch.appendingPathExtension("err"))
        }
        do {
            _ = LocalFiles.create(scratch.appendingPathExtension("out").path)
            _ = LocalFiles.create(scratch.appendingPathExtension("err").path)
            process.standardOutput = try FileHandle(forWritingTo: scratch.appendingPathExtension("out"))
            process.standardError = try FileHandle(forWritingTo: scratch.appendingPathExtension("err"))
            process.standardInput = FileHandle.nullDevice
            try ProcessLauncher.run(process)
        } catch {
            return (-1, "", "cannot start \(binary.path): \(error)")
        }
        if !waitUntil(seconds: 30, { !process.isRunning }) { process.terminate() }
        process.waitUntilExit()
        let out = (try? String(contentsOf: scratch.appendingPathExtension("out"), encoding: .utf8)) ?? ""
        let err = (try? String(contentsOf: scratch.appendingPathExtension("err"), encoding: .utf8)) ?? ""
        return (process.terminationStatus, out, err)
    }

    func run(_ arguments: [String]) -> (status: Int32, stdout: String, stderr: String) {
        guard let binary = ServedNode.binary else { return (-1, "", "not built") }
        return ServedNode.run(binary, arguments)
    }

    func ok(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = run(arguments)
        try #require(result.status == 0, "outpost \(arguments.joined(separator: " ")): \(result.stdout)\(result.stderr)", sourceLocation: sourceLocation)
    }

    /// The `outpost` executable next to the test bundle (the same search as the CLI tests' `OutpostProcess`):
    /// `OUTPOST_TEST_BINARY`, then walking up from the bundle and from `argv[0]`, then `.build/debug/outpost`.
    static let binary: URL? = {
        func executable(_ url: URL) -> URL? {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue,
                  FileManager.default.isExecutableFile(atPath: url.path) else { return nil }
            return url
        }
        func walkingUp(from start: URL) -> URL? {
            var directory = start.standardizedFileURL
            for _ in 0...4 {
                if let found = executable(directory.appendingPathComponent("outpost")) { return found }
                let parent = directory.deletingLastPathComponent()
                if parent.path == directory.path { break }
                directory = parent
            }
            return nil
        }
        if let override = ProcessInfo.processInfo.environment["OUTPOST_TEST_BINARY"], !override.isEmpty,
           let found = executable(URL(fileURLWithPath: override)) { return found }
        if let found = walkingUp(from: Bundle.main.bundleURL) { return found }
        if let first = CommandLine.arguments.first, !first.isEmpty,
           let found = walkingUp(from: URL(fileURLWithPath: first).resolvingSymlinksInPath().deletingLastPathComponent()) { return found }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return executable(root.appendingPathComponent(".build/debug/outpost"))
    }()

    static let ignoreSIGPIPE: Void = ignoreBrokenPipes()

    static func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(10_000)
        }
        return condition()
    }

    // MARK: Requests

    /// One request on a fresh connection.
    func request(_ bytes: String, timeout: Double = 20) throws -> RawResponse {
        let connection = try RawConnection(port: port)
        try connection.send(bytes)
        return try connection.readResponse(timeout: timeout)
    }

    func get(_ path: String, on connection: RawConnection? = nil) throws -> RawResponse {
        let text = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        guard let connection else { return try request(text) }
        try connection.send(text)
        return try connection.readResponse()
    }

    /// `POST /v1/pull` from cursor 0 with the reseller's token (or `token`); a failed request is status 0.
    func pull(_ reseller: String, token: String? = nil, body: String = ServedNode.pullBody(), run: String? = nil) -> RawResponse {
        exchange("/v1/pull", body: body, token: token ?? tokens[reseller], run: run)
    }

    func push(_ reseller: String, _ body: String, token: String? = nil) -> RawResponse {
        exchange("/v1/push", body: body, token: token ?? tokens[reseller])
    }

    func exchange(_ path: String, body: String, token: String?, run: String? = nil) -> RawResponse {
        do {
            return try request(ServedNode.post(path, body: body, token: token, extraHeaders: run.map { ["X-Outpost-Run: \($0)"] } ?? []))
        } catch {
            Issue.record("\(path): \(error)")
            return RawResponse(status: 0, headers: [:], body: [])
        }
    }

    static func post(_ path: String, body: String, token: String?, extraHeaders: [String] = []) -> String {
        var head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
        if let token { head += "Authorization: Bearer \(token)\r\n" }
        for header in extraHeaders { head += header + "\r\n" }
        return head + "\r\n" + body
    }

    // MARK: Messages, written by hand

    /// `prefix_` and 26 characters of Crockford base32.
    static func newId(_ prefix: String) -> String {
        let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
        return prefix + "_" + String((0..<26).map { _ in alphabet.randomElement()! })
    }

    static func pullBody(replica: String = newId("rep"), cursor: Int = 0, extra: String = "") -> String {
        #"{"protocol":1,"replica":"\#(replica)","cursor":\#(cursor)\#(extra)}"#
    }

    static func pushBody(replica: String, mutations: [String], protocolVersion: Int = 1, extra: String = "") -> String {
        #"{"protocol":\#(protocolVersion),"replica":"\#(replica)","mutations":[\#(mutations.joined(separator: ","))]\#(extra)}"#
    }

    static func customerCreate(seq: Int, id: String, name: String, extraArgs: String = "", extra: String = "") -> String {
        #"{"seq":\#(seq),"name":"customer.create","version":1,"created_at":"2026-02-02T08:30:00Z"\#(extra),"# +
            #""args":{"id":"\#(id)","name":"\#(name)","contact_name":"Jo Doe","email":"jo@example.com","phone":"+49 30 1234567","# +
            #""address":"Hauptstr. 1","city":"Berlin","postal_code":"10115","country":"DE","tax_id":"DE123456789"\#(extraArgs)}}"#
    }

    /// Customers in a reseller's database on the node, read directly.
    func customerCount(_ reseller: String, id: String? = nil) throws -> Int64 {
        let db = try (database == nil ? NodeStore.sqlite : .postgresql).tenantDatabase(node: nodePath, reseller: reseller, database: database)
        if let id { return try db.scalar("SELECT count(*) FROM customer WHERE id = ?", [id])?.int64 ?? -1 }
        return try db.scalar("SELECT count(*) FROM customer WHERE id <> 'cus_own'")?.int64 ?? -1
    }
}

/// Reads a child's standard error on a thread of its own until it ends.
final class StandardErrorCollector: @unchecked Sendable {
    // @unchecked: `collected` is only touched under `lock`; `ended` is a semaphore.
    private let lock = NSLock()
    private var collected = ""
    private let ended = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread { [self] in
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                lock.lock()
                collected += String(decoding: data, as: UTF8.self)
                lock.unlock()
            }
            ended.signal()
        }.start()
    }

    var text: String {
        lock.lock()
        defer { lock.unlock() }
        return collected
    }

    /// Waits until the child closed its standard error (it exited), at most `seconds`.
    func waitForEnd(seconds: Double) {
        if ended.wait(timeout: .now() + seconds) == .success { ended.signal() }
    }
}

private func ignoreBrokenPipes() {
    _ = signal(SIGPIPE, SIG_IGN)
}

#if canImport(Glibc)
private let streamSocket = Int32(SOCK_STREAM.rawValue)
private let noSignal = Int32(MSG_NOSIGNAL)
#else
private let streamSocket = SOCK_STREAM
private let noSignal: Int32 = 0
#endif

private func closeDescriptor(_ descriptor: Int32) {
    _ = close(descriptor)
}

private func sendBytes(_ descriptor: Int32, _ pointer: UnsafeRawPointer, _ count: Int) -> Int {
    send(descriptor, pointer, count, noSignal)
}

// MARK: - A client that writes bytes by hand

/// A TCP connection to 127.0.0.1 that sends exactly the bytes given and reads responses itself. `source`
/// picks the client's own address: all of 127.0.0.0/8 is loopback on Linux, so tests can be several peers.
final class RawConnection {
    let descriptor: Int32
    private var buffer: [UInt8] = []

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    init(port: Int, from source: String? = nil) throws {
        descriptor = socket(AF_INET, streamSocket, 0)
        guard descriptor >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        let steps: [(call: (Int32, UnsafePointer<sockaddr>, socklen_t) -> Int32, host: String, port: Int, what: String)] =
            (source.map { [(bind, $0, 0, "bind to \($0)")] } ?? []) + [(connect, "127.0.0.1", port, "connect to port \(port)")]
        for step in steps {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(step.port).bigEndian)
            address.sin_addr.s_addr = inet_addr(step.host)
            let status = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { step.call(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard status == 0 else {
                let reason = String(cString: strerror(errno))
                closeDescriptor(descriptor)
                throw Failure(description: "\(step.what): \(reason)")
            }
        }
    }

    deinit { closeDescriptor(descriptor) }

    static func canConnect(port: Int) -> Bool { (try? RawConnection(port: port)) != nil }

    func send(_ text: String) throws { try send(bytes: Array(text.utf8)) }

    func send(bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { sendBytes(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            guard count > 0 else { throw Failure(description: "send: \(String(cString: strerror(errno)))") }
            offset += count
        }
    }

    /// Reads more bytes into the buffer; `false` at end of stream, error or timeout.
    private func fill(until deadline: Date) -> Bool {
        var fds = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(max(0, deadline.timeIntervalSinceNow * 1000))
        guard poll(&fds, 1, milliseconds) > 0 else { return false }
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress!, $0.count, 0) }
        guard count > 0 else { return false }
        buffer += chunk[0..<count]
        return true
    }

    /// Reads one response: status line, fields, and a body of Content-Length bytes.
    func readResponse(timeout: Double = 10) throws -> RawResponse {
        let deadline = Date().addingTimeInterval(timeout)
        let separator: [UInt8] = [13, 10, 13, 10]
        var headEnd: Int?
        while headEnd == nil {
            if buffer.count >= 4 {
                headEnd = (0...(buffer.count - 4)).first { Array(buffer[$0..<($0 + 4)]) == separator }.map { $0 + 4 }
            }
            if headEnd == nil, !fill(until: deadline) {
                throw Failure(description: "no complete response head (got \(String(decoding: buffer, as: UTF8.self).debugDescription))")
            }
        }
        let lines = String(decoding: buffer[0..<(headEnd! - 4)], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, statusParts[0] == "HTTP/1.1", let status = Int(statusParts[1]) else {
            throw Failure(description: "bad status line \(lines[0].debugDescription)")
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { throw Failure(description: "bad header line \(line.debugDescription)") }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "") ?? 0
        while buffer.count < headEnd! + length {
            guard fill(until: deadline) else { throw Failure(description: "body cut short: \(buffer.count - headEnd!) of \(length) bytes") }
        }
        let body = Array(buffer[headEnd!..<(headEnd! + length)])
        buffer.removeFirst(headEnd! + length)
        return RawResponse(status: status, headers: headers, body: body)
    }

    /// Whether bytes (or the end of the stream) are ready to read now.
    var hasDataWaiting: Bool {
        var fds = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        return poll(&fds, 1, 0) > 0 || !buffer.isEmpty
    }

    /// Whether the server closes the connection (after any bytes still coming) within `seconds`.
    func readsEndOfStream(within seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            var fds = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&fds, 1, Int32(max(1, deadline.timeIntervalSinceNow * 1000))) > 0 else { return false }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress!, $0.count, 0) }
            if count <= 0 { return true }
        }
        return false
    }
}

/// A response as read off the wire.
struct RawResponse {
    let status: Int
    /// Field names in lower case.
    let headers: [String: String]
    let body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }
    var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] }
    /// `error.code` of a protocol error body; checked against the protocol's error schema on the way.
    var errorCode: String? {
        guard let error = json?["error"] as? [String: Any], let code = error["code"] as? String else { return nil }
        #expect(Set(json!.keys) == ["protocol", "error"] && json!["protocol"] as? Int == 1, "error body: \(text)")
        #expect(Set(error.keys) == ["code", "message"] && !(error["message"] as? String ?? "").isEmpty, "error body: \(text)")
        #expect(RawResponse.protocolErrorCodes.contains(code), "code \(code) is not one of sync/schema/error.schema.json's")
        return code
    }

    /// The `enum` of `error.code` in sync/schema/error.schema.json.
    static let protocolErrorCodes: Set<String> = {
        let schema = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("sync/schema/error.schema.json")
        guard let data = try? Data(contentsOf: schema), let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let error = (root["properties"] as? [String: Any])?["error"] as? [String: Any],
              let code = (error["properties"] as? [String: Any])?["code"] as? [String: Any], let codes = code["enum"] as? [String] else {
            Issue.record("cannot read the error codes from \(schema.path)")
            return []
        }
        return Set(codes)
    }()
}

/// A strict enough reading of the Prometheus text exposition format (0.0.4).
enum PrometheusText {
    struct Invalid: Error, CustomStringConvertible { let description: String }

    static func check(_ text: String) throws {
        #expect(text.hasSuffix("\n"))
        var typed: [String: String] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            if line.hasPrefix("# HELP ") { continue }
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                guard parts.count == 4, ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[3]) else {
                    throw Invalid(description: "bad TYPE line: \(line)")
                }
                typed[String(parts[2])] = String(parts[3])
                continue
            }
            // name{label="value",…} value
            guard let space = line.lastIndex(of: " "), Double(line[line.index(after: space)...]) != nil || line.hasSuffix(" +Inf") else {
                throw Invalid(description: "bad sample value: \(line)")
            }
            let series = line[..<space]
            let name = series.prefix { $0 != "{" }
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" }), !name.first!.isNumber else {
                throw Invalid(description: "bad metric name: \(line)")
            }
            let labels = series.dropFirst(name.count)
            if !labels.isEmpty {
                guard labels.hasPrefix("{"), labels.hasSuffix("}") else { throw Invalid(description: "bad labels: \(line)") }
                for pair in labels.dropFirst().dropLast().split(separator: ",") {
                    guard let equals = pair.firstIndex(of: "="), pair[pair.index(after: equals)...].hasPrefix("\""), pair.hasSuffix("\"") else {
                        throw Invalid(description: "bad label: \(line)")
                    }
                }
            }
            let family = ["_bucket", "_sum", "_count"].reduce(String(name)) { base, suffix in
                base.hasSuffix(suffix) && typed[String(base.dropLast(suffix.count))] == "histogram" ? String(base.dropLast(suffix.count)) : base
            }
            guard typed[family] != nil else { throw Invalid(description: "sample before its TYPE line: \(line)") }
        }
    }
}
