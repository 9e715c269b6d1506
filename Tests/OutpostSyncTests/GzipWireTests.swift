import Foundation
import Testing
@testable import OutpostSync
import OutpostModel
import OutpostStore
import OutpostTestThreads

/// gzip on the wire between `outpost sync` and `outpost node serve`, both the built binary on loopback.
@Suite("HTTP gzip on the wire: node serve answers gzip, sync inflates it", .ownThreads, .timeLimit(.minutes(20)))
struct GzipWireTests {
    /// Reseller `a` gets `count` customers through one push written by hand; returns the plain first pull page.
    static func filled(_ node: ServedNode, customers count: Int) throws -> RawResponse {
        let writer = ServedNode.newId("rep")
        let mutations = (1...count).map { ServedNode.customerCreate(seq: $0, id: ServedNode.newId("cus"), name: "Customer \($0) GmbH") }
        let pushed = node.push("a", ServedNode.pushBody(replica: writer, mutations: mutations))
        try #require(pushed.status == 200, "push: \(pushed.text)")
        try #require(try node.customerCount("a") == Int64(count))
        return node.pull("a")
    }

    @Test("a pull page comes gzip-coded only to a client that accepts it, with Vary; it inflates to the plain page")
    func pullPageIsCompressedWhenAccepted() throws {
        let node = try ServedNode()
        defer { node.shutDown() }
        let plain = try Self.filled(node, customers: 300)
        #expect(plain.status == 200)
        #expect(plain.headers["content-encoding"] == nil, "no Accept-Encoding: a plain answer")
        #expect(plain.headers["vary"] == "Accept-Encoding")
        #expect(plain.body.count > 100_000, "300 customers make a large page: \(plain.body.count) bytes")

        let asked = try node.request(ServedNode.post("/v1/pull", body: ServedNode.pullBody(), token: node.tokens["a"], extraHeaders: ["Accept-Encoding: gzip"]))
        #expect(asked.status == 200)
        #expect(asked.headers["content-encoding"] == "gzip")
        #expect(asked.headers["vary"] == "Accept-Encoding")
        #expect(Int(asked.headers["content-length"] ?? "") == asked.body.count)
        #expect(asked.body.count * 4 < plain.body.count, "gzip: \(asked.body.count) bytes on the wire for \(plain.body.count) of JSON")
        #expect(try Gzip.decompress(asked.body, limit: PlainHTTPClient.maximumAnswerBytes) == plain.body, "the same page, byte for byte")

        let refused = try node.request(ServedNode.post("/v1/pull", body: ServedNode.pullBody(), token: node.tokens["a"], extraHeaders: ["Accept-Encoding: gzip;q=0, br"]))
        #expect(refused.status == 200)
        #expect(refused.headers["content-encoding"] == nil, "gzip;q=0 means no gzip")
        #expect(refused.body == plain.body)

        // A small answer stays plain even when gzip is accepted: the pull from the head has no changes.
        let head = try #require(plain.json?["cursor"] as? Int)
        let small = try node.request(ServedNode.post("/v1/pull", body: ServedNode.pullBody(cursor: head), token: node.tokens["a"], extraHeaders: ["Accept-Encoding: gzip"]))
        #expect(small.status == 200)
        #expect(small.body.count < NodeHTTPService.smallestCompressedBody)
        #expect(small.headers["content-encoding"] == nil, "\(small.body.count) bytes stay plain")
        #expect(small.headers["vary"] == "Accept-Encoding")
    }

    @Test("a request body with a Content-Encoding is refused 415 unread, naming the coding; nothing is applied")
    func codedRequestBodyIsRefused() throws {
        let node = try ServedNode()
        defer { node.shutDown() }
        let body = ServedNode.pushBody(replica: ServedNode.newId("rep"), mutations: [ServedNode.customerCreate(seq: 1, id: ServedNode.newId("cus"), name: "Zipped GmbH")])
        let packed = Gzip.compress(Array(body.utf8))
        let connection = try RawConnection(port: node.port)
        let head = "POST /v1/push HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(packed.count)\r\n"
            + "Content-Encoding: gzip\r\nAuthorization: Bearer \(node.tokens["a"]!)\r\n\r\n"
        try connection.send(bytes: Array(head.utf8) + packed)
        let refused = try connection.readResponse()
        #expect(refused.status == 415)
        #expect(refused.errorCode == "malformed")
        #expect(refused.text.contains("Content-Encoding gzip"), "\(refused.text)")
        #expect(refused.headers["accept-encoding"] == "identity")
        #expect(connection.readsEndOfStream(within: 3), "the body is not read; the connection closes")
        #expect(try node.customerCount("a") == 0)
        // The same push sent plain is applied.
        let plain = node.exchange("/v1/push", body: body, token: node.tokens["a"])
        #expect(plain.status == 200, "\(plain.text)")
        #expect(try node.customerCount("a") == 1)
    }

    @Test("a new replica's first sync over HTTP pulls gzip-coded pages (fewer bytes in the node's log) and verifies")
    func firstSyncPullsCompressed() throws {
        let node = try ServedNode(serveArguments: ["--log-format", "json"])
        defer { node.shutDown() }
        let plain = try Self.filled(node, customers: 400)
        let replica = node.root.appendingPathComponent("replica").path
        let tokenFile = node.root.appendingPathComponent("token-a").path
        try (node.tokens["a"]! + "\n").write(toFile: tokenFile, atomically: false, encoding: .utf8)
        try node.ok(["init", "--replica", replica, "--node", "http://127.0.0.1:\(node.port)/", "--reseller", "a", "--token-file", tokenFile])
        let sync = node.run(["sync", "--replica", replica, "--json", "--no-site"])
        #expect(sync.status == 0, "sync: \(sync.stdout)\(sync.stderr)\n\(node.log)")
        let runId = try #require(try JSONValue(parsing: sync.stdout)["run"]?.stringValue)
        let verify = node.run(["verify", "--replica", replica])
        #expect(verify.status == 0, "verify: \(verify.stdout)\(verify.stderr)")
        let customers = try Database(path: replica + "/replica.sqlite", mode: .readOnly)
            .scalar("SELECT count(*) FROM customer WHERE id <> 'cus_own'")?.int64
        #expect(customers == 400, "every customer arrived")

        // The node logs each answer's body bytes as sent: the sync's pulls together are far smaller than the JSON.
        let requests = node.log.split(separator: "\n").compactMap { (try? JSONValue(parsing: String($0)))?.objectValue }
            .filter { $0["event"]?.stringValue == "http.request" && $0["run"]?.stringValue == runId && $0["path"]?.stringValue == "/v1/pull" }
        try #require(!requests.isEmpty, "the sync's pulls are in the node's log:\n\(node.log)")
        let wire = requests.compactMap { $0["bytes"]?.integerValue }.reduce(0, +)
        #expect(Int(wire) * 4 < plain.body.count, "\(wire) bytes on the wire for a first page of \(plain.body.count) bytes of JSON")

        // The replica's own record of the run counts the same wire bytes (push answer and pulls).
        let recorded = try Database(path: replica + "/replica.sqlite", mode: .readOnly)
            .scalar("SELECT bytes FROM sync_run WHERE run_id = ?", [runId])?.int64 ?? -1
        #expect(recorded > 0 && recorded < Int64(plain.body.count) / 4, "sync_run.bytes \(recorded)")
    }
}
