import Foundation
import OutpostTestSupport
import Testing
import OutpostTestThreads

/// Customer portals through real processes: a node served over HTTP, Anna's and Ben's laptops.
/// A portal enabled on one laptop is built by both; renewing moves it, disabling and closing
/// the customer remove its directory at the next build; a closed customer gets none.
@Suite("Customer portals with real processes", .ownThreads, .timeLimit(.minutes(20)))
struct CustomerPortalTests: ClockedScenario {
    let dir: TemporaryDirectory
    var node: String { dir.path("node") }
    let monday = "2026-02-02T08:00:00Z"
    let friday = "2026-02-06T18:00:00Z"

    init() throws {
        dir = try TemporaryDirectory("outpost-portals")
    }

    /// `portal list --json` on `user`'s laptop: each portal's path by customer name.
    func portals(_ user: String) throws -> [String: String] {
        let list = try #require(try json(["portal", "list", "--replica", dir.path(user)], at: friday) as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: list.compactMap { entry in
            (entry["customer_name"] as? String).flatMap { name in (entry["path"] as? String).map { (name, $0) } }
        })
    }

    /// The portal directories in `user`'s built site.
    func directories(_ user: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir.path("\(user)/site/portals"))) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    func file(_ user: String, _ path: String) -> String? {
        try? String(contentsOfFile: dir.path("\(user)/site/\(path)"), encoding: .utf8)
    }

    @Test("Enable by name, both laptops build the page; renew moves it; disable and closing remove it; a closed customer is refused")
    func portalLifecycle() throws {
        try #require(OutpostBinary.url != nil, "the outpost binary is built")
        try makeNode(node, users: ["anna", "ben"], at: monday)
        let served = try ServedNodeProcess(node: node, environment: ["OUTPOST_NOW": friday], in: dir.url)
        defer { served.stop() }
        for user in ["anna", "ben"] {
            try outpost(["init", "--replica", dir.path(user), "--node", served.url, "--reseller", "acme", "--token-file", dir.path("\(user).token")], at: monday)
        }
        let anna = dir.path("anna"), ben = dir.path("ben")
        for replica in [anna, ben] { try outpost(["sync", "--replica", replica, "--no-site"], at: monday) }
        try outpost(["customer", "add", "--name", "Contoso GmbH", "--country", "DE", "--replica", anna], at: monday)
        try outpost(["customer", "add", "--name", "Fabrikam Ltd", "--country", "GB", "--replica", anna], at: monday)
        try outpost(["order", "place", "--replica", anna, "--customer", "Contoso", "--plan", "pln_office-ltsc-std-2024", "--quantity", "2"], at: monday)
        try outpost(["sync", "--replica", anna], at: monday)
        try outpost(["node", "provision", node, "--builtin"], at: monday)

        // Bad input first: an unknown customer, nothing queued.
        let typo = try outpost(["portal", "enable", "Contsoo", "--replica", anna], at: monday, expect: 65)
        #expect(typo.stderr.contains("Contsoo"), "\(typo.stderr)")
        // Enabled by a name prefix on Anna's laptop; after syncing, both laptops build the same portal.
        let enabled = try outpost(["portal", "enable", "contoso", "--replica", anna], at: monday)
        #expect(enabled.stdout.contains("Enabled the portal of Contoso GmbH"), "\(enabled.stdout)")
        try outpost(["portal", "enable", "Contoso", "--replica", anna], at: monday, expect: 65)
        try outpost(["sync", "--replica", anna], at: friday)
        try outpost(["sync", "--replica", ben], at: friday)
        let first = try #require(try portals("anna")["Contoso GmbH"])
        #expect(try portals("ben") == ["Contoso GmbH": first], "Ben's laptop has the portal Anna enabled")
        let firstKey = String(first.dropFirst("portals/".count).prefix { $0 != "/" })
        for user in ["anna", "ben"] {
            #expect(directories(user) == [firstKey], "\(user)'s site has the portal")
            let home = try #require(file(user, first), "\(user) built \(first)")
            #expect(home.contains("<h1>Contoso GmbH</h1>"))
            #expect(home.contains("Balance due"))
            #expect(!home.contains("Fabrikam"))
            #expect(file(user, "portals/\(firstKey)/licenses.html")?.contains("Office LTSC Standard 2024") == true, "the license from provisioning")
            #expect(file(user, "portals/\(firstKey)/assets/outpost.css") != nil, "its own stylesheet")
            let invoices = try FileManager.default.subpathsOfDirectory(atPath: dir.path("\(user)/site/portals/\(firstKey)/invoices"))
            #expect(invoices.contains { $0.contains("/inv_") }, "the invoice from provisioning has its printable page: \(invoices)")
        }
        let shown = try outpost(["customer", "show", "Contoso", "--replica", ben], at: friday)
        #expect(shown.stdout.contains("Portal:  \(first)"), "\(shown.stdout)")
        let detail = try #require(try json(["customer", "show", "Contoso", "--replica", anna], at: friday) as? [String: Any])
        #expect(detail["portal"] as? String == first)
        let customerId = try #require((detail["customer"] as? [String: Any])?["id"] as? String)
        #expect(file("anna", PublishedSite.customerPage(customerId))?.contains("href=\"../../\(first)\"") == true, "the customer's page links its portal")

        // Renew on Ben's laptop: a new key, and the old directory is gone on both laptops after their next sync.
        try outpost(["portal", "renew", "Contoso", "--replica", ben], at: friday)
        try outpost(["sync", "--replica", ben], at: friday)
        try outpost(["sync", "--replica", anna], at: friday)
        let second = try #require(try portals("anna")["Contoso GmbH"])
        #expect(second != first)
        let secondKey = String(second.dropFirst("portals/".count).prefix { $0 != "/" })
        for user in ["anna", "ben"] {
            #expect(directories(user) == [secondKey], "\(user): only the renewed portal is left")
            #expect(file(user, second) != nil)
        }

        // Disable: the directory goes, the customer page says none.
        try outpost(["portal", "disable", "Contoso", "--replica", anna], at: friday)
        try outpost(["portal", "disable", "Contoso", "--replica", anna], at: friday, expect: 65)
        try outpost(["sync", "--replica", anna], at: friday)
        #expect(directories("anna").isEmpty)
        #expect(try portals("anna").isEmpty)

        // A closed customer gets no portal; closing a customer with one disables it and its directory goes.
        try outpost(["customer", "close", "Fabrikam", "--replica", anna], at: friday)
        let refused = try outpost(["portal", "enable", "Fabrikam", "--replica", anna], at: friday, expect: 65)
        #expect(refused.stderr.contains("closed"), "\(refused.stderr)")
        try outpost(["portal", "enable", "Fabrikam", "--replica", ben], at: friday)
        try outpost(["customer", "activate", "Fabrikam", "--replica", anna], at: friday)
        try outpost(["sync", "--replica", anna], at: friday)
        try outpost(["sync", "--replica", ben], at: friday)
        let fabrikam = try #require(try portals("ben")["Fabrikam Ltd"], "Ben's enable was made before Anna reopened Fabrikam, and arrived after")
        let fabrikamKey = String(fabrikam.dropFirst("portals/".count).prefix { $0 != "/" })
        #expect(directories("ben") == [fabrikamKey])
        let closed = try outpost(["customer", "close", "Fabrikam", "--replica", ben], at: friday)
        #expect(closed.stdout.contains("its portal is disabled"), "\(closed.stdout)")
        try outpost(["sync", "--replica", ben], at: friday)
        try outpost(["sync", "--replica", anna], at: friday)
        for user in ["anna", "ben"] {
            #expect(directories(user).isEmpty, "\(user): the closed customer's portal directory is deleted")
            #expect(try portals(user).isEmpty)
        }

        // The node checks too: Ben enables a portal for a customer Anna closed while he was offline; the node refuses it.
        try outpost(["customer", "add", "--name", "Tailspin Toys", "--replica", anna], at: friday)
        try outpost(["sync", "--replica", anna, "--no-site"], at: friday)
        try outpost(["sync", "--replica", ben, "--no-site"], at: friday)
        try outpost(["customer", "close", "Tailspin", "--replica", anna], at: friday)
        try outpost(["sync", "--replica", anna], at: friday)
        try outpost(["portal", "enable", "Tailspin", "--replica", ben], at: friday)
        try outpost(["sync", "--replica", ben], at: friday, expect: 1)
        let rejected = try outpost(["queue", "rejected", "--replica", ben], at: friday).stdout
        #expect(rejected.contains("portal.enable") && rejected.contains("closed"), "\(rejected)")
        #expect(directories("ben").isEmpty)
        #expect(try portals("ben").isEmpty)
    }
}
