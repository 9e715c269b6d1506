import Foundation
import Testing
import OutpostTestThreads

/// Tenant isolation and authentication over real HTTP: the reseller always comes from the token.
@Suite("Tenant isolation and auth over HTTP", .ownThreads)
struct TenantIsolationTests {
    @Test("A's customer never reaches B, and a body naming another reseller changes nothing", arguments: NodeStore.all)
    func resellersSeeOnlyTheirOwnRows(store: NodeStore) throws {
        let node = try ServedNode(store: store)
        defer { node.shutDown() }
        let customer = ServedNode.newId("cus")
        let push = node.push("a", ServedNode.pushBody(replica: ServedNode.newId("rep"), mutations: [
            ServedNode.customerCreate(seq: 1, id: customer, name: "Alpha Kunde"),
        ]))
        #expect(push.status == 200, "\(push.text)")
        #expect((push.json?["verdicts"] as? [[String: Any]])?.first?["status"] as? String == "applied")

        #expect(try Self.customerIds(node.pull("a")).contains(customer))
        let seenByB = try Self.customerIds(node.pull("b"))
        #expect(!seenByB.contains(customer))
        #expect(seenByB.isEmpty, "B has no customers at all")

        // Forged bodies: "reseller":"b" at the top, in the mutation, in the args; "reseller":"a" in B's pull.
        let forged = ServedNode.newId("cus")
        let forgedPush = node.push("a", ServedNode.pushBody(
            replica: ServedNode.newId("rep"),
            mutations: [ServedNode.customerCreate(seq: 1, id: forged, name: "Forged Kunde", extraArgs: #","reseller":"b","reseller_id":"b""#,
                                                  extra: #","reseller":"b""#)],
            extra: #","reseller":"b","reseller_id":"b","tenant":"b""#))
        // Unknown fields are ignored: the push is A's, because the token is A's.
        #expect(forgedPush.status == 200, "\(forgedPush.text)")
        #expect((forgedPush.json?["verdicts"] as? [[String: Any]])?.first?["status"] as? String == "applied")
        #expect(try node.customerCount("b") == 0, "nothing was written into B's database")
        #expect(try node.customerCount("a", id: forged) == 1, "it landed in A's database")
        #expect(!(try Self.customerIds(node.pull("b", body: ServedNode.pullBody(extra: #","reseller":"b""#))).contains(forged)))
        let bAskingForA = try Self.customerIds(node.pull("b", body: ServedNode.pullBody(extra: #","reseller":"a","reseller_id":"a""#)))
        #expect(!bAskingForA.contains(customer) && !bAskingForA.contains(forged), "B's token reads B's rows whatever the body says")
        #expect(try Self.customerIds(node.pull("a")).contains(forged))
        #expect(try node.customerCount("a", id: customer) == 1)
    }

    @Test("a missing, malformed, unknown or revoked token gets 401 and no data", arguments: NodeStore.all)
    func badTokensGet401(store: NodeStore) throws {
        let node = try ServedNode(store: store)
        defer { node.shutDown() }
        let pushBody = ServedNode.pushBody(replica: ServedNode.newId("rep"), mutations: [
            ServedNode.customerCreate(seq: 1, id: ServedNode.newId("cus"), name: "Should Not Exist"),
        ])
        let unknown = "opt_" + String(repeating: "0", count: 64)
        let requests: [(String, String)] = [
            ("no Authorization", ServedNode.post("/v1/pull", body: ServedNode.pullBody(), token: nil)),
            ("unknown token", ServedNode.post("/v1/pull", body: ServedNode.pullBody(), token: unknown)),
            ("garbage token", ServedNode.post("/v1/pull", body: ServedNode.pullBody(), token: "garbage")),
            ("Basic scheme", ServedNode.post("/v1/pull", body: ServedNode.pullBody(), token: nil, extraHeaders: ["Authorization: Basic \(node.tokens["a"]!)"])),
            ("token in the body", ServedNode.post("/v1/pull", body: ServedNode.pullBody(extra: #","token":"\#(node.tokens["a"]!)""#), token: nil)),
            ("token in the query", ServedNode.post("/v1/pull?token=\(node.tokens["a"]!)", body: ServedNode.pullBody(), token: nil)),
            ("two Authorization headers", ServedNode.post("/v1/pull", body: ServedNode.pullBody(), token: node.tokens["a"],
                                                          extraHeaders: ["Authorization: Bearer \(node.tokens["b"]!)"])),
            ("push without token", ServedNode.post("/v1/push", body: pushBody, token: nil)),
            ("push with unknown token", ServedNode.post("/v1/push", body: pushBody, token: unknown)),
            ("digest without token", ServedNode.post("/v1/digest", body: #"{"protocol":1}"#, token: nil)),
        ]
        for (label, request) in requests {
            let response = try node.request(request)
            #expect(response.status == 401, "\(label): \(response.status) \(response.text)")
            #expect(response.errorCode == "unauthorized", "\(label)")
            #expect(Set(response.json?.keys.map { $0 } ?? []) == ["protocol", "error"], "\(label): no data beside the error")
        }
        #expect(try node.customerCount("a") == 0)

        // Revoked with the real command: A's token stops working at once; B's still works.
        #expect(node.pull("a").status == 200)
        try node.ok(["node", "token", "revoke", try #require(node.tokenIds["a"]), "--node", node.nodePath])
        let revoked = node.pull("a")
        #expect(revoked.status == 401)
        #expect(revoked.errorCode == "unauthorized")
        #expect(revoked.json?["changes"] == nil)
        #expect(node.push("a", pushBody).status == 401)
        #expect(node.pull("b").status == 200)
        #expect(try node.customerCount("a") == 0)
    }

    @Test("protocol 2 gets 400 unsupported_protocol; malformed JSON gets 400 malformed; neither changes anything", arguments: NodeStore.all)
    func protocolErrors(store: NodeStore) throws {
        let node = try ServedNode(store: store)
        defer { node.shutDown() }
        let customer = ServedNode.newId("cus")
        let mutation = ServedNode.customerCreate(seq: 1, id: customer, name: "Zweite Version")
        let cases: [(String, String, String)] = [
            ("protocol 2 push", ServedNode.pushBody(replica: ServedNode.newId("rep"), mutations: [mutation], protocolVersion: 2), "unsupported_protocol"),
            ("protocol 2 pull", #"{"protocol":2,"replica":"\#(ServedNode.newId("rep"))","cursor":0}"#, "unsupported_protocol"),
            ("not JSON", #"{"protocol":1,"replica":"#, "malformed"),
            ("not an object", "[1,2,3]", "malformed"),
            ("no protocol", #"{"replica":"\#(ServedNode.newId("rep"))","mutations":[]}"#, "malformed"),
            ("bad replica id", ServedNode.pushBody(replica: "rep_!!", mutations: [mutation]), "malformed"),
            ("empty body", "", "malformed"),
        ]
        for (label, body, code) in cases {
            let path = label.contains("pull") ? "/v1/pull" : "/v1/push"
            let response = node.exchange(path, body: body, token: node.tokens["a"])
            #expect(response.status == 400, "\(label): \(response.status) \(response.text)")
            #expect(response.errorCode == code, "\(label): \(response.text)")
        }
        #expect(try node.customerCount("a") == 0)
        #expect(!(try Self.customerIds(node.pull("a")).contains(customer)))
    }

    @Test("replaying the same push gives identical verdicts and no second customer", arguments: NodeStore.all)
    func replayedPush(store: NodeStore) throws {
        let node = try ServedNode(store: store)
        defer { node.shutDown() }
        let replica = ServedNode.newId("rep")
        let customer = ServedNode.newId("cus")
        let body = ServedNode.pushBody(replica: replica, mutations: [
            ServedNode.customerCreate(seq: 1, id: customer, name: "Einmal GmbH"),
            ServedNode.customerCreate(seq: 2, id: ServedNode.newId("cus"), name: ""),  // refused: a name is required
        ])
        let first = node.push("a", body)
        let second = node.push("a", body)
        #expect(first.status == 200)
        #expect(second.status == 200)
        let firstVerdicts = try #require(first.json?["verdicts"] as? [[String: Any]])
        let secondVerdicts = try #require(second.json?["verdicts"] as? [[String: Any]])
        #expect(firstVerdicts.map { $0["status"] as? String } == ["applied", "refused"])
        #expect(NSArray(array: firstVerdicts).isEqual(to: secondVerdicts), "identical verdicts:\n\(first.text)\n\(second.text)")

        let changes = try #require(node.pull("a").json?["changes"] as? [[String: Any]])
        #expect(changes.filter { $0["t"] as? String == "customer" && $0["id"] as? String == customer }.count == 1)
        #expect(try Self.customerIds(node.pull("a")).count == 1)
        #expect(try node.customerCount("a") == 1)
        let metrics = try node.get("/metrics").text
        #expect(metrics.contains("outpost_sync_refusals_total 2\n"), "the refusal is counted for both answers")
    }

    /// Ids of customer rows in a pull response (which must be a 200).
    static func customerIds(_ response: RawResponse, sourceLocation: SourceLocation = #_sourceLocation) throws -> Set<String> {
        try #require(response.status == 200, "pull: \(response.status) \(response.text)", sourceLocation: sourceLocation)
        let changes = try #require(response.json?["changes"] as? [[String: Any]], sourceLocation: sourceLocation)
        return Set(changes.filter { $0["t"] as? String == "customer" }.compactMap { $0["id"] as? String })
    }
}
