import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
import OutpostTestThreads
#endif

/// `outpost node serve` against slow and hostile clients: the whole-request deadline, the connection caps,
/// the token checked before any body is read, the bound on bodies held at once, and who the peer is behind a proxy.
/// Limits are made small with flags so that each test takes about a second.
@Suite("HTTP server under slow and hostile clients: deadlines, caps, 503, unauthenticated bodies, proxies", .ownThreads)
struct HTTPServerLimitsTests {
    /// Sends `bytes` one at a time, `interval` seconds apart, until the server answers or `seconds` pass;
    /// then reads the answer. A server that timed each read on its own would never answer.
    static func trickle(_ bytes: String, on connection: RawConnection, interval: Double = 0.2, for seconds: Double = 6) throws -> RawResponse {
        let deadline = Date().addingTimeInterval(seconds)
        for byte in Array(bytes.utf8) where Date() < deadline && !connection.hasDataWaiting {
            guard (try? connection.send(bytes: [byte])) != nil else { break }
            usleep(UInt32(interval * 1_000_000))
        }
        return try connection.readResponse(timeout: max(1, deadline.timeIntervalSinceNow))
    }

    /// A connection from `source` on which `GET /health` was answered 200, left open. Throws otherwise (and records
    /// an issue, unless `record` is false: a test that waits for the node to make room tries again).
    static func served(_ node: ServedNode, from source: String, record: Bool = true) throws -> RawConnection {
        let connection = try RawConnection(port: node.port, from: source)
        try connection.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        let status = try connection.readResponse(timeout: 3).status
        if record { #expect(status == 200) }
        guard status == 200 else { throw RawConnection.Failure(description: "GET /health from \(source): \(status)") }
        return connection
    }

    /// The port of a node's `--metrics-listen` address, as `node serve` printed it; `nil` when it did not within 5 seconds.
    static func metricsPort(of node: ServedNode) -> Int? {
        var port: Int?
        _ = ServedNode.waitUntil(seconds: 5) {
            guard let range = node.log.range(of: "Metrics on http://127.0.0.1:"), let end = node.log[range.upperBound...].firstIndex(of: "/") else { return false }
            port = Int(node.log[range.upperBound..<end])
            return true
        }
        return port
    }

    @Test("a head sent a byte at a time is cut off with 408 after the read timeout, though each byte came in time")
    func slowHead() throws {
        let node = try ServedNode(serveArguments: ["--read-timeout", "1"])
        defer { node.shutDown() }
        let slow = try RawConnection(port: node.port)
        let started = Date()
        let head = "POST /v1/pull HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: \(String(repeating: "a", count: 100))\r\n\r\n"
        let response = try Self.trickle(head, on: slow)
        let elapsed = Date().timeIntervalSince(started)
        #expect(response.status == 408)
        #expect(response.errorCode == "unavailable")
        #expect(elapsed >= 0.9 && elapsed < 4, "cut off about a second after connecting, took \(elapsed) s")
        #expect(slow.readsEndOfStream(within: 3))
        #expect(try node.get("/health").status == 200, "others are still served")
    }

    @Test("a body sent a byte at a time is cut off with 408 after the request timeout, though each byte came within the read timeout")
    func slowBody() throws {
        let node = try ServedNode(serveArguments: ["--read-timeout", "1", "--request-timeout", "1.5"])
        defer { node.shutDown() }
        let slow = try RawConnection(port: node.port)
        let started = Date()
        let body = ServedNode.pullBody()
        try slow.send(String(ServedNode.post("/v1/pull", body: body, token: node.tokens["a"]).dropLast(body.utf8.count)))
        let response = try Self.trickle(body, on: slow)
        let elapsed = Date().timeIntervalSince(started)
        #expect(response.status == 408)
        #expect(response.errorCode == "unavailable")
        #expect(response.text.contains("1.5 seconds"), "the message names the request timeout: \(response.text)")
        #expect(elapsed >= 1.4 && elapsed < 4.5, "cut off about 1.5 s after connecting, took \(elapsed) s")
        #expect(slow.readsEndOfStream(within: 3))
        // The same pull sent at once is served.
        #expect(node.pull("a").status == 200)
    }

    @Test("one address gets --max-connections-per-peer connections: the next is answered 503 with Retry-After at once, others are served")
    func perPeerCap() throws {
        let node = try ServedNode(serveArguments: ["--max-connections-per-peer", "3"])
        defer { node.shutDown() }
        // Three connections from 127.0.0.2, each served by the node (it answers them, so they are counted) and kept open.
        var held = try (0..<3).map { _ in try Self.served(node, from: "127.0.0.2") }
        let started = Date()
        let fourth = try RawConnection(port: node.port, from: "127.0.0.2")
        let refused = try fourth.readResponse(timeout: 5)
        #expect(refused.status == 503)
        #expect(refused.errorCode == "unavailable")
        #expect(refused.headers["retry-after"] == "1")
        #expect(refused.text.contains("127.0.0.2"))
        #expect(Date().timeIntervalSince(started) < 2, "answered at once, not after a timeout")
        #expect(fourth.readsEndOfStream(within: 3))
        // Another address is not affected.
        #expect(try node.get("/health").status == 200)
        #expect(node.pull("b").status == 200)
        // Once one of the three closes, 127.0.0.2 is served again (the node notices the close on its own time).
        held.removeFirst()
        #expect(ServedNode.waitUntil(seconds: 5) { (try? Self.served(node, from: "127.0.0.2", record: false)) != nil })
        #expect(node.log.contains("status=503"), "the refusal is logged:\n\(node.log)")
    }

    @Test("with --max-connections open, the next client is answered 503 with Retry-After at once")
    func connectionCap() throws {
        let node = try ServedNode(serveArguments: ["--max-connections", "4"])
        defer { node.shutDown() }
        var held = try (0..<4).map { index in try Self.served(node, from: "127.0.0.\(10 + index)") }
        let started = Date()
        let refused = try RawConnection(port: node.port).readResponse(timeout: 5)
        #expect(refused.status == 503)
        #expect(refused.headers["retry-after"] == "1")
        #expect(refused.text.contains("4 connections"))
        #expect(Date().timeIntervalSince(started) < 2)
        held.removeAll()
        #expect(ServedNode.waitUntil(seconds: 5) { (try? node.get("/health"))?.status == 200 }, "served again once they closed")
    }

    @Test("a push without a valid token announcing 16 MiB is answered 401 on its head: the body is never read")
    func unauthenticatedLargeBody() throws {
        let node = try ServedNode()
        defer { node.shutDown() }
        let length = 16 * 1024 * 1024
        for authorization in [nil, "Bearer opt_\(String(repeating: "0", count: 64))", "Basic dXNlcjpwYXNz"] {
            let connection = try RawConnection(port: node.port)
            let started = Date()
            var head = "POST /v1/push HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(length)\r\n"
            if let authorization { head += "Authorization: \(authorization)\r\n" }
            // The head only: a server that read the body first would wait for 16 MiB that never come.
            try connection.send(head + "\r\n")
            let response = try connection.readResponse(timeout: 5)
            #expect(response.status == 401, "\(authorization ?? "no token")")
            #expect(response.errorCode == "unauthorized")
            #expect(response.headers["www-authenticate"] == "Bearer")
            #expect(response.headers["connection"] == "close")
            #expect(Date().timeIntervalSince(started) < 2, "answered at once")
            #expect(connection.readsEndOfStream(within: 3))
        }
        // The line is written after the answer went out: waited for, not read at once.
        #expect(ServedNode.waitUntil(seconds: 10) { node.log.contains("path=/v1/push status=401") }, "each refusal is logged:\n\(node.log)")
        #expect(node.pull("a").status == 200, "a valid token is still served")
    }

    @Test("bodies held at once are bounded by --body-memory: past it a request gets 503 before its body is read, and is served once room is back")
    func bodyBudget() throws {
        let node = try ServedNode(serveArguments: ["--body-memory", "16"])
        defer { node.shutDown() }
        // A push announcing 16 MiB with Expect: 100-continue: the node answers 100 once it has set the room aside.
        let large = try RawConnection(port: node.port)
        try large.send("POST /v1/push HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(16 * 1024 * 1024)\r\n"
                       + "Authorization: Bearer \(node.tokens["a"]!)\r\nExpect: 100-continue\r\n\r\n")
        #expect(try large.readResponse(timeout: 5).status == 100)
        let refused = node.pull("b")
        #expect(refused.status == 503)
        #expect(refused.errorCode == "unavailable")
        #expect(refused.headers["retry-after"] == "1")
        // A request without a body needs no room.
        #expect(try node.get("/health").status == 200)
        // The large one goes away; its room comes back.
        shutdown(large.descriptor, Int32(SHUT_RDWR))
        #expect(ServedNode.waitUntil(seconds: 5) { node.pull("b").status == 200 }, "served once the large body's room is given back")
    }

    /// The head of a request announcing a 16 MiB body, without a token, and the first two bytes of that body.
    static func largeBodyHead(_ method: String, _ path: String, expectContinue: Bool = false) -> String {
        "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(16 * 1024 * 1024)\r\n"
            + (expectContinue ? "Expect: 100-continue\r\n" : "") + "\r\n" + (expectContinue ? "" : "{}")
    }

    @Test("no route, a wrong method, or a body where a route takes none: answered at once on the head, on --listen and --metrics-listen, the body never read")
    func bodiesOutsideExchanges() throws {
        let node = try ServedNode(serveArguments: ["--body-memory", "16", "--metrics-listen", "127.0.0.1:0"])
        defer { node.shutDown() }
        let metricsPort = try #require(Self.metricsPort(of: node), "node serve did not print its metrics address:\n\(node.log)")
        let requests: [(port: Int, method: String, path: String, status: Int)] = [
            (node.port, "POST", "/health", 405), (node.port, "POST", "/v1/nosuch", 404), (node.port, "PUT", "/v1/push", 405),
            (node.port, "GET", "/health", 413), (node.port, "POST", "/metrics", 404),
            (metricsPort, "POST", "/metrics", 405), (metricsPort, "GET", "/metrics", 413), (metricsPort, "POST", "/v1/push", 404),
        ]
        // All at once, each with 16 MiB announced and two bytes sent: together they would fill --body-memory many times over.
        let started = Date()
        let connections = try requests.map { request in
            let connection = try RawConnection(port: request.port)
            try connection.send(Self.largeBodyHead(request.method, request.path))
            return connection
        }
        for (request, connection) in zip(requests, connections) {
            let response = try connection.readResponse(timeout: 5)
            #expect(response.status == request.status, "\(request.method) \(request.path) on \(request.port): \(response.text)")
            #expect(response.headers["connection"] == "close")
            #expect(connection.readsEndOfStream(within: 3))
        }
        #expect(Date().timeIntervalSince(started) < 3, "answered at once, not after waiting for the bodies")
        #expect(node.pull("a").status == 200)
    }

    @Test("clients without a token announcing large bodies to other routes take no body memory: an authenticated exchange is still served")
    func bodyBudgetOutsideExchanges() throws {
        let node = try ServedNode(serveArguments: ["--body-memory", "16"])
        defer { node.shutDown() }
        // Each asks for 100 Continue: a node that set room aside for the body would send it; the answer comes instead.
        var held: [RawConnection] = []
        for (method, path) in [("POST", "/health"), ("POST", "/v1/nosuch"), ("PUT", "/v1/push"), ("GET", "/health")] {
            let connection = try RawConnection(port: node.port)
            try connection.send(Self.largeBodyHead(method, path, expectContinue: true))
            let response = try connection.readResponse(timeout: 5)
            #expect([404, 405, 413].contains(response.status), "\(method) \(path): \(response.status) \(response.text)")
            held.append(connection)
        }
        // Still held open by their clients, they reserve nothing: the whole budget is there for a reseller's 16 MiB push.
        let pull = node.pull("a")
        #expect(pull.status == 200, "\(pull.text)")
        let large = try RawConnection(port: node.port)
        try large.send("POST /v1/push HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(16 * 1024 * 1024)\r\n"
                       + "Authorization: Bearer \(node.tokens["b"]!)\r\nExpect: 100-continue\r\n\r\n")
        #expect(try large.readResponse(timeout: 5).status == 100)
        withExtendedLifetime(held) {}  // the four stay open until here
    }

    @Test("one reseller's flood is bounded by --max-requests-per-reseller (503 with Retry-After past it) while another reseller's pulls are all served")
    func resellerFlood() throws {
        // b never has more than the bound (6) in the node, so only a's flood may be turned away: with a smaller
        // bound, b's own six could meet it on a busy machine.
        let node = try ServedNode(serveArguments: ["--max-requests-per-reseller", "6"])
        defer { node.shutDown() }
        // Every request is sent before any answer is read: 30 of a's pulls with 6 of b's among them.
        var flood: [RawConnection] = []
        var others: [RawConnection] = []
        for index in 0..<36 {
            let reseller = index % 6 == 5 ? "b" : "a"
            let connection = try RawConnection(port: node.port)
            try connection.send(ServedNode.post("/v1/pull", body: ServedNode.pullBody(), token: node.tokens[reseller]))
            if reseller == "a" { flood.append(connection) } else { others.append(connection) }
        }
        for connection in others {
            let response = try connection.readResponse(timeout: 30)
            #expect(response.status == 200, "b is served whatever a does: \(response.text)")
        }
        var served = 0
        for connection in flood {
            let response = try connection.readResponse(timeout: 30)
            // Which of a's requests find room depends on timing; each is either served or told to come back.
            if response.status == 200 {
                served += 1
            } else {
                #expect(response.status == 503, "\(response.text)")
                #expect(response.errorCode == "unavailable")
                #expect(response.headers["retry-after"] == "1")
            }
        }
        #expect(served >= 1, "a's requests are bounded, not refused")
    }

    @Test("X-Forwarded-For names the logged peer only from a --trusted-proxy, and only the address the proxy appended")
    func forwardedFor() throws {
        let trusted = try ServedNode(serveArguments: ["--trusted-proxy", "127.0.0.1"])
        defer { trusted.shutDown() }
        // What the client wrote itself first, then what the proxy appended: the address it saw.
        let headers = ["X-Forwarded-For: 203.0.113.9, 198.51.100.7"]
        let forwarded = try trusted.request(ServedNode.post("/v1/pull", body: ServedNode.pullBody(), token: trusted.tokens["a"], extraHeaders: headers))
        #expect(forwarded.status == 200)
        #expect(ServedNode.waitUntil(seconds: 5) { trusted.log.contains("reseller=a peer=198.51.100.7") }, "\(trusted.log)")
        #expect(!trusted.log.contains("203.0.113.9"), "what the client wrote itself is not believed")

        let direct = try ServedNode()
        defer { direct.shutDown() }
        let response = try direct.request(ServedNode.post("/v1/pull", body: ServedNode.pullBody(), token: direct.tokens["a"], extraHeaders: headers))
        #expect(response.status == 200)
        #expect(ServedNode.waitUntil(seconds: 5) { direct.log.contains("reseller=a peer=127.0.0.1") }, "\(direct.log)")
        #expect(!direct.log.contains("198.51.100.7"), "without --trusted-proxy the header is ignored")
    }

    @Test("--metrics-listen serves /metrics on its own address and not on --listen; bad values are refused with 65")
    func metricsAddress() throws {
        let node = try ServedNode(serveArguments: ["--metrics-listen", "127.0.0.1:0"])
        defer { node.shutDown() }
        let port = try #require(Self.metricsPort(of: node), "node serve did not print its metrics address:\n\(node.log)")
        #expect(node.pull("a").status == 200)
        let connection = try RawConnection(port: port)
        try connection.send("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let metrics = try connection.readResponse()
        #expect(metrics.status == 200)
        #expect(metrics.text.contains("outpost_sync_pulls_total 1"), "the metrics count the sync traffic: \(metrics.text)")
        try PrometheusText.check(metrics.text)
        #expect(try node.get("/metrics").status == 404)
        #expect(try node.get("/health").status == 200)

        for arguments in [["--metrics-listen", "nowhere"], ["--trusted-proxy", "proxy.example.com"], ["--max-connections-per-peer", "0"],
                          ["--body-memory", "8"], ["--request-timeout", "soon"]] {
            let result = node.run(["node", "serve", node.nodePath, "--listen", "127.0.0.1:0"] + arguments)
            #expect(result.status == 65, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("--\(arguments[0].dropFirst(2))"), "the error names the option: \(result.stderr)")
        }
    }
}
