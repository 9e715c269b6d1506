import Foundation
import OutpostTestSupport
import Testing
import OutpostTestThreads

/// The reseller's own purchases through real processes: a node served over HTTP and a laptop.
/// An order `--for-self` is bought at cost, provisioned and billed like any order, listed by
/// `own list` and on the "Own purchases" page, and counted in no customer figure.
@Suite("Own purchases with real processes", .ownThreads, .timeLimit(.minutes(20)))
struct OwnPurchasesTests: ClockedScenario {
    let dir: TemporaryDirectory
    var node: String { dir.path("node") }
    var laptop: String { dir.path("laptop") }
    let march = "2026-03-02T08:00:00Z"
    let april = "2026-04-02T08:00:00Z"

    init() throws {
        dir = try TemporaryDirectory("outpost-own")
    }

    func page(_ path: String) throws -> String {
        try String(contentsOfFile: dir.path("laptop/site/\(path)"), encoding: .utf8)
    }

    /// Two customers and one own purchase, all placed, synced and provisioned on 2 March 2026:
    /// - Contoso: 4 × Microsoft 365 Business Basic (monthly), cost 4.60, default markup 25 % → 5.75 each.
    /// - Fabrikam: 2 × Acronis Cloud Storage 250 GB (monthly), cost 11.00, plan markup 50 % → 16.50 each.
    /// - Own: 2 × Dynamics 365 Business Central Essentials (monthly) at cost 61.80 each = 123.60 a month.
    func setUp() throws -> ServedNodeProcess {
        try outpost(["node", "init", node], at: march)
        try outpost(["node", "plans", "import", "--builtin", "--node", node], at: march)
        try outpost(["node", "reseller", "add", "acme", "--name", "Acme Cloud", "--node", node], at: march)
        let token = try outpost(["node", "token", "issue", "--reseller", "acme", "--user", "anna", "--node", node], at: march)
        try token.stdout.write(toFile: dir.path("anna.token"), atomically: false, encoding: .utf8)
        let served = try ServedNodeProcess(node: node, environment: ["OUTPOST_NOW": march], in: dir.url)
        try outpost(["init", "--replica", laptop, "--node", served.url, "--reseller", "acme", "--token-file", dir.path("anna.token")], at: march)
        try outpost(["sync", "--no-site", "--replica", laptop], at: march)
        try outpost(["customer", "add", "--name", "Contoso GmbH", "--replica", laptop], at: march)
        try outpost(["customer", "add", "--name", "Fabrikam Ltd", "--replica", laptop], at: march)
        try outpost(["price", "set", "--markup", "50", "--plan", "acronis-cloud-storage-250gb-m", "--replica", laptop], at: march)
        try outpost(["order", "place", "--customer", "Contoso", "--plan", "m365-business-basic-m", "--quantity", "4", "--replica", laptop], at: march)
        try outpost(["order", "place", "--customer", "Fabrikam", "--plan", "acronis-cloud-storage-250gb-m", "--quantity", "2", "--replica", laptop], at: march)
        let placed = try outpost(["order", "place", "--for-self", "--plan", "dynamics-365-bc-essentials-m", "--quantity", "2", "--replica", laptop], at: march)
        #expect(placed.stdout.contains("for your own use, at cost") && placed.stdout.contains("123.60 EUR"), "\(placed.stdout)")
        try outpost(["sync", "--no-site", "--replica", laptop], at: march)
        try outpost(["node", "provision", node, "--builtin"], at: march)
        try outpost(["sync", "--replica", laptop], at: march)
        return served
    }

    @Test("An order for yourself is provisioned, billed at cost, changed like any order, and shown apart from customers")
    func ownOrderLifecycle() throws {
        try #require(OutpostBinary.url != nil, "the outpost binary is built")
        let served = try setUp()
        defer { served.stop() }

        try outpost(["node", "bill", node, "--through", "2026-04-02"], at: april)
        try outpost(["sync", "--replica", laptop], at: april)
        let own = try #require(try json(["own", "list", "--replica", laptop], at: april) as? [String: Any])
        #expect(own["active_subscriptions"] as? Int == 1)
        #expect(own["cost_per_month"] as? Int == 12360, "2 × 61.80 at cost: \(own)")
        let items = own["subscriptions"] as? [[String: Any]] ?? []
        let subscription = try #require(items.first?["subscription"] as? [String: Any], "\(own)")
        #expect(subscription["unit_price"] as? Int == 6180 && subscription["unit_cost"] as? Int == 6180, "bought at cost, no markup: \(subscription)")
        let orders = own["orders"] as? [[String: Any]] ?? []
        #expect(orders.map { $0["type"] as? String } == ["sales", "renewal"], "the sale and the billing run's renewal: \(orders)")
        #expect(orders.allSatisfy { $0["total"] as? Int == 12360 && $0["status"] as? String == "completed" }, "\(orders)")
        let invoices = own["invoices"] as? [[String: Any]] ?? []
        #expect(invoices.count == 2 && invoices.allSatisfy { $0["subtotal"] as? Int == 12360 }, "invoiced at cost on provisioning and at renewal: \(invoices)")

        // Customer lists never show the own account or its documents.
        for command in [["customer", "list"], ["subscription", "list"], ["order", "list"], ["invoice", "list"]] {
            let listed = try outpost(command + ["--json", "--replica", laptop], at: april).stdout
            #expect(!listed.contains("cus_own") && !listed.contains("Own account"), "\(command.joined(separator: " ")): \(listed)")
            #expect(listed.contains("Contoso GmbH"), "\(command.joined(separator: " ")) still lists the customers")
        }
        try outpost(["order", "place", "--customer", "Own account", "--plan", "m365-business-basic-m", "--replica", laptop], at: april, expect: 65)
        #expect(try outpost(["settings", "show", "--replica", laptop], at: april).stdout.contains("1 active subscription(s) at cost, 123.60 EUR per month"))

        // The page and its CSVs; no customer page for the own account, and the customers list leaves it out.
        let ownPage = try page("own.html")
        #expect(ownPage.contains("Dynamics 365 Business Central Essentials (monthly)") && ownPage.contains("123.60 EUR"))
        #expect(ownPage.contains("INV-") && ownPage.contains("renewal"))
        let csv = try page("own-subscriptions.csv")
        #expect(csv.contains("Dynamics 365 Business Central Essentials (monthly)") && csv.contains("123.60"), "\(csv)")
        #expect(try page("settings.html").contains("href=\"own.html\""), "Settings links the Own purchases page")
        #expect(try page("index.html").contains("href=\"own.html\""), "the navigation links it")
        #expect(!FileManager.default.fileExists(atPath: dir.path("laptop/site/customers/cus_own.html")))
        #expect(!(try page("customers/index.html")).contains("Own account"))
        #expect(!(try page("invoices/index.html")).contains("Own account"))

        // A seat change works on an own subscription like on any other, still at cost; the page follows it.
        let id = try #require(subscription["id"] as? String)
        try outpost(["order", "change", id, "--quantity", "3", "--replica", laptop], at: april)
        try outpost(["sync", "--no-site", "--replica", laptop], at: april)
        try outpost(["node", "provision", node, "--builtin"], at: april)
        try outpost(["sync", "--replica", laptop], at: april)
        let changed = try #require(try json(["own", "list", "--replica", laptop], at: april) as? [String: Any])
        #expect(changed["cost_per_month"] as? Int == 18540, "3 × 61.80: \(changed)")
        #expect(try page("own.html").contains("185.40 EUR"), "the incremental build redid the Own purchases page")
    }

    @Test("Hand-computed: the own purchase is in no MRR, revenue, margin, sales or customer count")
    func figuresLeaveOwnPurchasesOut() throws {
        try #require(OutpostBinary.url != nil, "the outpost binary is built")
        let served = try setUp()
        defer { served.stop() }
        // Worked out by hand (tax rate 0 %, all on 2 March 2026, nothing paid, due in 30 days):
        //   Contoso  4 × 5.75 = 23.00 a month, cost 4 × 4.60 = 18.40, margin 4.60
        //   Fabrikam 2 × 16.50 = 33.00 a month, cost 2 × 11.00 = 22.00, margin 11.00
        //   MRR 56.00, ARR 672.00, MRR cost 40.40, margin 15.60 = 27.86 % of 56.00 (2786 bp)
        //   revenue March = this year = 56.00 (the two customer invoices); outstanding 56.00, overdue 0
        //   sales March: 2 sales orders, 56.00; customers: 2 active, 2 paying, 2 new in March
        // The own purchase (123.60 a month at cost) would show as 179.60 or 3 customers anywhere it leaked.
        let summary = try #require(try json(["summary", "--replica", laptop], at: march) as? [String: Any])
        #expect(summary["mrr"] as? Int == 5600)
        #expect(summary["arr"] as? Int == 67200)
        #expect(summary["mrr_margin"] as? Int == 1560)
        #expect(summary["mrr_margin_bp"] as? Int == 2786)
        #expect(summary["revenue_this_month"] as? Int == 5600)
        #expect(summary["revenue_this_year"] as? Int == 5600)
        #expect(summary["outstanding"] as? Int == 5600)
        #expect(summary["overdue"] as? Int == 0)
        #expect(summary["active_customers"] as? Int == 2)
        #expect(summary["paying_customers"] as? Int == 2)
        #expect(summary["active_subscriptions"] as? Int == 2)

        func row(_ report: String, _ first: String) throws -> [String: String] {
            let table = try #require(try json(["report", report, "--replica", laptop], at: march) as? [String: Any])
            let header = table["header"] as? [String] ?? []
            let rows = table["rows"] as? [[String]] ?? []
            let found = try #require(rows.first { $0.first == first || ($0.count > 1 && $0[1] == first) }, "\(report) has a row \(first): \(rows)")
            return Dictionary(uniqueKeysWithValues: zip(header, found))
        }
        let revenue = try row("revenue", "2026-03")
        #expect(revenue["Invoiced (EUR)"] == "56.00" && revenue["Margin (EUR)"] == "15.60", "\(revenue)")
        let sales = try row("sales", "2026-03")
        #expect(sales["Order type"] == "sales" && sales["Orders"] == "2" && sales["Amount (EUR)"] == "56.00", "\(sales)")
        let customers = try row("customers", "2026-03")
        #expect(customers["New customers"] == "2" && customers["New MRR (EUR)"] == "56.00", "\(customers)")
        let subscriptions = try row("subscriptions", "Total")
        #expect(subscriptions["Active"] == "2" && subscriptions["Units"] == "6", "\(subscriptions)")
        #expect(subscriptions["MRR (EUR)"] == "56.00" && subscriptions["MRR cost (EUR)"] == "40.40" && subscriptions["MRR margin (EUR)"] == "15.60", "\(subscriptions)")

        let home = try page("index.html")
        #expect(home.contains("<dt>MRR</dt><dd><span class=\"money\">56.00 EUR"), "the home page's MRR")
        #expect(home.contains("<dt>Revenue, Mar 2026 to date</dt><dd><span class=\"money\">56.00 EUR"), "the current month is labelled to date")
        #expect(home.contains("<dt>Monthly margin</dt><dd><span class=\"money\">15.60 EUR"))
        #expect(home.contains("<dt>Active customers</dt><dd>2</dd>"))
        #expect(home.contains("<dt>Active subscriptions</dt><dd>2</dd>"))
    }

    @Test("An order for yourself with a markup is refused before anything is queued")
    func markupOnOwnOrderIsRefused() throws {
        try #require(OutpostBinary.url != nil, "the outpost binary is built")
        try outpost(["node", "init", node], at: march)
        try outpost(["node", "plans", "import", "--builtin", "--node", node], at: march)
        try outpost(["node", "reseller", "add", "acme", "--name", "Acme Cloud", "--node", node], at: march)
        let token = try outpost(["node", "token", "issue", "--reseller", "acme", "--user", "anna", "--node", node], at: march)
        try token.stdout.write(toFile: dir.path("anna.token"), atomically: false, encoding: .utf8)
        try outpost(["init", "--replica", laptop, "--node", node, "--reseller", "acme", "--token-file", dir.path("anna.token")], at: march)
        try outpost(["sync", "--no-site", "--replica", laptop], at: march)
        let before = try outpost(["queue", "list", "--json", "--replica", laptop], at: march).stdout

        let refused = try outpost(["order", "place", "--for-self", "--plan", "dynamics-365-bc-essentials-m", "--markup", "10", "--replica", laptop],
                                  at: march, expect: 64)
        #expect(refused.stderr.contains("takes no --markup") && refused.stderr.contains("at cost"), "\(refused.stderr)")
        let both = try outpost(["order", "place", "--for-self", "--customer", "Contoso", "--plan", "dynamics-365-bc-essentials-m", "--replica", laptop],
                               at: march, expect: 64)
        #expect(both.stderr.contains("not both"), "\(both.stderr)")
        #expect(try outpost(["queue", "list", "--json", "--replica", laptop], at: march).stdout == before, "nothing was queued")
        let own = try #require(try json(["own", "list", "--replica", laptop], at: march) as? [String: Any])
        #expect((own["orders"] as? [Any])?.isEmpty == true, "\(own)")
    }
}
