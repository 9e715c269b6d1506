import Foundation
import Testing
import OutpostTestSupport
import OutpostTestThreads

/// One node, three replicas of one reseller editing offline, syncing in different
/// orders — every step a real `outpost` process, as field reps would run it.
@Suite("Offline scenario with real processes", .ownThreads)
struct OfflineScenarioTests {
    let dir: TemporaryDirectory
    let env: [String: String]

    init() throws {
        dir = try TemporaryDirectory("outpost-scenario")
        env = ["OUTPOST_NOW": "2026-03-02T09:00:00Z", "OUTPOST_NODE": dir.path("node")]
    }

    @discardableResult
    func outpost(_ arguments: [String], replica: String? = nil, expect status: Int32 = 0,
                 sourceLocation: SourceLocation = #_sourceLocation) throws -> OutpostBinary.Result {
        let args = arguments + (replica.map { ["--replica", dir.path($0)] } ?? [])
        let result = try OutpostBinary.run(args, environment: env, in: dir.url)
        #expect(result.status == status, "outpost \(args.joined(separator: " ")): \(result.stderr)", sourceLocation: sourceLocation)
        return result
    }

    func json(_ arguments: [String], replica: String) throws -> Any {
        let result = try outpost(arguments + ["--json"], replica: replica)
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
    }

    @Test(arguments: NodeStore.all) func threeRepsEditOfflineAndConverge(store: NodeStore) throws {
        try #require(OutpostBinary.url != nil, "the outpost binary is built")
        let database = try store.makeDatabase()
        defer { withExtendedLifetime(database) {} }
        try outpost(store.initArguments(dir.path("node"), database: database))
        try outpost(["node", "plans", "import", "--builtin"])
        try outpost(["node", "reseller", "add", "acme", "--name", "Acme Cloud"])
        let token = try outpost(["node", "token", "issue", "--reseller", "acme", "--user", "anna"]).stdout
        try token.write(toFile: dir.path("token"), atomically: false, encoding: .utf8)
        for rep in ["r1", "r2", "r3"] {
            try outpost(["init", "--node", dir.path("node"), "--reseller", "acme", "--token-file", dir.path("token")], replica: rep)
            try outpost(["sync"], replica: rep)
        }

        // r1 creates a customer everyone knows about.
        let created = try json(["customer", "add", "--name", "Contoso Dental", "--email", "it@contoso.example", "--country", "DE"], replica: "r1")
        let customer = try #require((created as? [String: Any])?["id"] as? String)
        try outpost(["sync"], replica: "r1")
        try outpost(["sync"], replica: "r2")
        try outpost(["sync"], replica: "r3")

        // Offline: concurrent edits of the same field, new customers, orders, and one order the node will refuse.
        try outpost(["customer", "edit", customer, "--phone", "+49 30 1111", "--city", "Berlin"], replica: "r1")
        try outpost(["customer", "suspend", customer], replica: "r1")
        try outpost(["customer", "edit", customer, "--phone", "+49 30 2222"], replica: "r2")
        try outpost(["customer", "add", "--name", "Fabrikam GmbH", "--country", "AT"], replica: "r2")
        try outpost(["customer", "add", "--name", "Northwind Traders", "--country", "NL"], replica: "r3")
        let order = try json(["order", "place", "--customer", customer, "--plan", "pln_m365-business-basic-m", "--quantity", "4"], replica: "r3")
        let orderId = try #require((order as? [String: Any])?["id"] as? String)

        // Sync in an order that makes the suspension land first: r3's order is refused, r2's phone edit conflicts.
        // Both phone edits were made at the same instant, so the later arrival (r2's) is kept: r2 is not told
        // (exit 0), r1, whose edit was overwritten, learns it on its next sync — once.
        try outpost(["sync"], replica: "r1")
        try outpost(["sync"], replica: "r3", expect: 1)
        try outpost(["sync"], replica: "r2")
        let told = try outpost(["sync"], replica: "r1", expect: 1)
        #expect(told.stdout.contains("Contoso Dental") && told.stdout.contains("phone") && told.stdout.contains("+49 30 1111")
                && told.stdout.contains("+49 30 2222"), "r1 is told which field lost, with both values: \(told.stdout)")
        for rep in ["r2", "r3", "r1", "r2", "r3"] { _ = try outpost(["sync"], replica: rep) }

        // Every replica equals the node, and each has its dashboards rendered by sync.
        for rep in ["r1", "r2", "r3"] {
            try outpost(["verify"], replica: rep)
            #expect(FileManager.default.fileExists(atPath: dir.path("\(rep)/site/index.html")), "\(rep)'s sync rendered the site")
        }

        // The refusal is listed, with its reason, on the replica that made it.
        let rejected = try #require(try json(["queue", "rejected"], replica: "r3") as? [[String: Any]])
        #expect(rejected.count == 1)
        #expect(rejected.first?["mutation"] as? String == "order.place")
        #expect((rejected.first?["message"] as? String)?.contains("suspended") == true)
        #expect(((rejected.first?["args"] as? [String: Any])?["id"] as? String) == orderId)
        #expect(try #require(try json(["order", "list"], replica: "r3") as? [[String: Any]]).allSatisfy { $0["id"] as? String != orderId },
                "the refused order's local effect is gone")

        // The conflicting field edits are conflict records on every replica.
        for rep in ["r1", "r2", "r3"] {
            let conflicts = try #require(try json(["conflicts"], replica: rep) as? [[String: Any]])
            let phone = conflicts.filter { $0["entity_id"] as? String == customer && $0["field"] as? String == "phone" }
            #expect(phone.count == 1, "\(rep) shows the phone conflict")
            #expect(phone.first?["kept_value"] as? String == "\"+49 30 2222\"")
            #expect(phone.first?["overwritten_value"] as? String == "\"+49 30 1111\"")
            #expect(phone.first?["reason"] as? String == "same_instant_later_arrival")
            #expect(phone.first?["your_side"] as? String == ["r1": "lost", "r2": "kept", "r3": "other"][rep], "\(rep) sees it from its side")
            let shown = try #require(try json(["customer", "show", customer], replica: rep) as? [String: Any])
            let profile = try #require(shown["customer"] as? [String: Any])
            #expect(profile["phone"] as? String == "+49 30 2222", "the later arrival won the tie")
            #expect(profile["city"] as? String == "Berlin", "fields edited once are merged, not lost")
            #expect(profile["status"] as? String == "suspended")
            let customers = try #require(try json(["customer", "list"], replica: rep) as? [[String: Any]])
            #expect(Set(customers.compactMap { $0["name"] as? String }) == ["Contoso Dental", "Fabrikam GmbH", "Northwind Traders"])
        }
    }
}
