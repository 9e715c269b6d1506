import Foundation
import OutpostTestSupport
import Testing
import OutpostTestThreads

/// The monthly reports by month, quarter and year, the month pages they link to, and the home
/// page's order and changes, on a small data set made through the built binary (a node in a
/// directory, one laptop), with figures worked out by hand.
@Suite("Reports by month, quarter and year, and the home page, with real processes", .ownThreads, .timeLimit(.minutes(20)))
struct ReportPeriodsTests: ClockedScenario {
    let dir: TemporaryDirectory
    var node: String { dir.path("node") }
    var laptop: String { dir.path("laptop") }
    let april = "2026-04-05T09:00:00Z"

    init() throws {
        dir = try TemporaryDirectory("outpost-periods")
    }

    func page(_ path: String) throws -> String {
        try String(contentsOfFile: dir.path("laptop/site/\(path)"), encoding: .utf8)
    }

    /// Orders placed, provisioned and invoiced (tax 0 %, default markup 25 %) in three quarters of two years:
    /// - 2025-11-10 Contoso GmbH 4 × M365 Business Basic at 5.75 (cost 4.60) = 23.00, INV-000001
    /// - 2026-01-15 Fabrikam Ltd 2 × Acronis Cloud Storage 250 GB at 13.75 (cost 11.00) = 27.50, INV-000002;
    ///   Contoso pays INV-000001 (23.00) by card on 2026-01-20
    /// - 2026-02-10 Northwind Traders 1 × M365 Business Basic = 5.75, INV-000003
    /// - 2026-04-05 Fabrikam Ltd 1 × M365 Business Basic = 5.75, INV-000004; the site is built as of that day
    func setUp() throws {
        let november = "2025-11-10T09:00:00Z"
        try makeNode(node, users: ["anna"], at: november)
        try outpost(["init", "--replica", laptop, "--node", node, "--reseller", "acme", "--token-file", dir.path("anna.token")], at: november)
        try outpost(["sync", "--no-site", "--replica", laptop], at: november)   // the catalog arrives
        func order(_ customer: String, new: Bool, _ plan: String, _ quantity: Int, at now: String) throws {
            if new { try outpost(["customer", "add", "--name", customer, "--replica", laptop], at: now) }
            try outpost(["order", "place", "--customer", customer, "--plan", plan, "--quantity", String(quantity), "--replica", laptop], at: now)
            try outpost(["sync", "--no-site", "--replica", laptop], at: now)
            try outpost(["node", "provision", node, "--builtin"], at: now)
            try outpost(["sync", "--no-site", "--replica", laptop], at: now)
        }
        try order("Contoso GmbH", new: true, "m365-business-basic-m", 4, at: november)
        try order("Fabrikam Ltd", new: true, "acronis-cloud-storage-250gb-m", 2, at: "2026-01-15T09:00:00Z")
        try outpost(["payment", "record", "--invoice", "INV-000001", "--amount", "23.00", "--method", "card", "--replica", laptop], at: "2026-01-20T09:00:00Z")
        try outpost(["sync", "--no-site", "--replica", laptop], at: "2026-01-20T09:00:00Z")
        try order("Northwind Traders", new: true, "m365-business-basic-m", 1, at: "2026-02-10T09:00:00Z")
        try order("Fabrikam Ltd", new: false, "m365-business-basic-m", 1, at: april)
        try outpost(["sync", "--replica", laptop], at: april)
    }

    /// The CSV's lines (without the header), as fields.
    func csv(_ path: String) throws -> [[String]] {
        try page(path).split(separator: "\r\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }

    @Test("A quarter's and a year's figures are the sums of their months, worked out by hand")
    func quartersAndYearsAddUpTheirMonths() throws {
        try #require(OutpostBinary.url != nil, "the outpost binary is built")
        try setUp()

        // Sales: orders placed and their totals.
        let salesMonths = try csv("reports/sales.csv").filter { $0[1] == "sales" }
        #expect(salesMonths.filter { $0[2] != "0" }.map { $0[0] + " " + $0[2] + " " + $0[3] }
                == ["2025-11 1 23.00", "2026-01 1 27.50", "2026-02 1 5.75", "2026-04 1 5.75"])
        let salesQuarters = try csv("reports/sales-quarters.csv").filter { $0[1] == "sales" && $0[2] != "0" }
        #expect(salesQuarters.map { $0[0] + " " + $0[2] + " " + $0[3] } == ["2025-Q4 1 23.00", "2026-Q1 2 33.25", "2026-Q2 1 5.75"])
        let salesYears = try csv("reports/sales-years.csv").filter { $0[1] == "sales" }
        #expect(salesYears.map { $0[0] + " " + $0[2] + " " + $0[3] } == ["2025 1 23.00", "2026 3 39.00"])

        // Revenue: invoiced, collected (including tax, 0 % here) and margin; 2026-Q1 = January + February + March.
        let revenueQuarters = try csv("reports/revenue-quarters.csv").filter { $0[3] != "0.00" || $0[5] != "0.00" }
        #expect(revenueQuarters.map { Array($0.prefix(7)) } == [
            ["2025-Q4", "23.00", "0.00", "23.00", "23.00", "0.00", "4.60"],   // 4 × (5.75 − 4.60)
            ["2026-Q1", "33.25", "0.00", "33.25", "33.25", "23.00", "6.65"],  // 2 × (13.75 − 11.00) + 1.15
            ["2026-Q2", "5.75", "0.00", "5.75", "5.75", "0.00", "1.15"],
        ])
        let revenueYears = try csv("reports/revenue-years.csv")
        #expect(revenueYears.map { Array($0.prefix(7)) } == [
            ["2025", "23.00", "0.00", "23.00", "23.00", "0.00", "4.60"],
            ["2026", "39.00", "0.00", "39.00", "39.00", "23.00", "7.80"],
        ])
        #expect(try page("reports/revenue-quarters.csv").hasPrefix("Quarter,"), "the first column names the period")

        // Payments by method; customer dynamics: three new customers, in their months.
        #expect(try csv("reports/payments-quarters.csv").filter { $0[2] != "0" }.map { $0.joined(separator: " ") } == ["2026-Q1 card 1 23.00"])
        #expect(try csv("reports/customers-years.csv").map { $0[0] + " " + $0[1] } == ["2025 1", "2026 2"])

        // The three views link to one another, and the totals row sits in the table's foot.
        let quarters = try page("reports/sales-quarters.html")
        for view in ["sales.html", "sales-quarters.html", "sales-years.html"] { #expect(quarters.contains("href=\"../reports/\(view)\""), "\(view)") }
        let tfoot = try #require(quarters.range(of: "<tfoot>"), "a table foot")
        #expect(quarters[tfoot.upperBound...].prefix(200).contains("Total"), "the totals row is in the foot")
        #expect(quarters.contains("Q1 2026") && quarters.contains("Q4 2025"))
    }

    @Test("A month links to exactly that month's invoices, orders and payments, and every report link resolves")
    func monthLinksAndEveryLink() throws {
        try #require(OutpostBinary.url != nil, "the outpost binary is built")
        try setUp()
        let sales = try page("reports/sales.html")
        #expect(sales.contains("href=\"../reports/months/2026-01.html#orders\""), "January's row links to its orders")
        #expect(try page("reports/revenue.html").contains("href=\"../reports/months/2026-01.html#invoices\""))
        #expect(try page("reports/payments.html").contains("href=\"../reports/months/2026-01.html#payments\""))

        let january = try page("reports/months/2026-01.html")
        func section(_ id: String, _ next: String?) throws -> Substring {
            let start = try #require(january.range(of: "id=\"\(id)\""), "a section \(id)")
            let end = next.flatMap { january.range(of: "id=\"\($0)\"", range: start.upperBound..<january.endIndex)?.lowerBound } ?? january.endIndex
            return january[start.upperBound..<end]
        }
        let invoices = try section("invoices", "orders")
        #expect(invoices.contains("INV-000002") && invoices.contains("Fabrikam Ltd") && invoices.contains("27.50"))
        #expect(!invoices.contains("INV-000001") && !invoices.contains("INV-000003") && !invoices.contains("INV-000004"), "only January's invoices")
        let orders = try section("orders", "payments")
        #expect(orders.contains("Fabrikam Ltd") && !orders.contains("Contoso") && !orders.contains("Northwind"), "only January's order")
        let payments = try section("payments", nil)
        #expect(payments.contains("Contoso GmbH") && payments.contains("INV-000001") && payments.contains("23.00"))
        #expect(!payments.contains("Fabrikam"), "only January's payment")
        let february = try page("reports/months/2026-02.html")
        #expect(february.contains("Northwind Traders") && !february.contains("Fabrikam"))

        // Every link of every report page leads to a file that is there (and to an element with its fragment's id).
        let site = URL(fileURLWithPath: dir.path("laptop/site"))
        let reports = site.appendingPathComponent("reports")
        let files = FileManager.default.enumerator(at: reports, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL }
            .filter { $0.pathExtension == "html" } ?? []
        #expect(files.count >= 6 + 4 * 2 + 12, "six reports, two more views of four, twelve months")
        var checked = 0
        for file in files {
            let html = try String(contentsOf: file, encoding: .utf8)
            for match in html.matches(of: /href="([^"]+)"/) {
                let href = String(match.1)
                guard !href.hasPrefix("http"), !href.hasPrefix("mailto:"), !href.hasPrefix("#") else { continue }
                let parts = href.split(separator: "#", maxSplits: 1).map(String.init)
                let target = file.deletingLastPathComponent().appendingPathComponent(parts[0]).standardizedFileURL
                #expect(FileManager.default.fileExists(atPath: target.path), "\(file.lastPathComponent) links to \(href)")
                if parts.count == 2, FileManager.default.fileExists(atPath: target.path) {
                    let linked = try String(contentsOf: target, encoding: .utf8)
                    #expect(linked.contains("id=\"\(parts[1])\""), "\(file.lastPathComponent) links to \(href), which has no such id")
                }
                checked += 1
            }
        }
        #expect(checked > 100, "links were checked")
    }

    @Test("Home: needs attention first, the month to date, and each figure's change against the month before")
    func homeOrderAndChanges() throws {
        try #require(OutpostBinary.url != nil, "the outpost binary is built")
        try setUp()
        let home = try page("index.html")
        let order = ["id=\"attention\"", "id=\"figures\"", "id=\"revenue\"", "id=\"aging\""].map { home.range(of: $0)?.lowerBound }
        let found = order.compactMap { $0 }
        #expect(found.count == 4 && found == found.sorted(), "attention, then the figures, then the charts")
        #expect(home.contains("Revenue, Apr 2026 to date") && home.contains("Collected, Apr 2026 to date"))
        // Outstanding: 27.50 + 5.75 + 5.75 = 39.00 now, 33.25 at the end of March: +5.75, 17.29 % of 33.25.
        #expect(home.contains("+17.29%") && home.contains("vs Mar 2026"), "outstanding against the end of March")
        // MRR: 23.00 + 27.50 + 5.75 + 5.75 = 62.00; April's new sale moved 5.75, so 56.25 before: +10.22 %.
        #expect(home.contains("+10.22%"), "MRR against March")
        // Active customers: three, none new in April; collected: nothing in March or April.
        #expect(home.contains("no new customer in Apr 2026") && home.contains("no change vs Mar 2026"))
        #expect(home.contains("href=\"reports/months/2026-04.html#invoices\""), "the revenue chart's months link to their invoices")
    }
}
