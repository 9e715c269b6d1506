import Foundation
import OutpostStore
import OutpostTestSupport
import Testing
import OutpostTestThreads

/// The operations log through real processes: a node served over HTTP and Anna's laptop. The node's back office
/// (a hook that fails writing to stderr, a resubmit, a hook that completes, notices, the billing run) logs each run
/// in the transaction of its work; the laptop pulls the log, and its Operations page and `outpost operations` show it.
@Suite("Operations page with real processes", .ownThreads, .timeLimit(.minutes(20)))
struct OperationsPageTests: ClockedScenario {
    let dir: TemporaryDirectory
    var node: String { dir.path("node") }
    var laptop: String { dir.path("anna") }
    let monday = "2026-02-02T08:00:00Z"

    init() throws {
        dir = try TemporaryDirectory("outpost-operations")
    }

    /// Every page of the list in `directory` of Anna's site, together: a list starts a new page at a row
    /// whose id hashes to a page break ("hard" rows, `ListChunker`), however short it is.
    func list(_ directory: String) throws -> String {
        let path = dir.path("anna/site/" + directory)
        return try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".html") }.sorted()
            .map { try String(contentsOfFile: path + "/" + $0, encoding: .utf8) }.joined(separator: "\n")
    }

    /// The node's own record of reseller acme, read as it is on disk.
    func tenant() throws -> Database {
        try Database(path: dir.path("node/tenants/acme.sqlite"), mode: .readOnly)
    }

    /// A node served over HTTP with reseller acme; Anna's laptop has placed an order for Contoso (10 seats, monthly).
    func setUp() throws -> ServedNodeProcess {
        try outpost(["node", "init", node], at: monday)
        try outpost(["node", "plans", "import", "--builtin", "--node", node], at: monday)
        try outpost(["node", "reseller", "add", "acme", "--name", "Acme Cloud", "--node", node], at: monday)
        let token = try outpost(["node", "token", "issue", "--reseller", "acme", "--user", "anna", "--node", node], at: monday)
        try token.stdout.write(toFile: dir.path("anna.token"), atomically: false, encoding: .utf8)
        let served = try ServedNodeProcess(node: node, environment: ["OUTPOST_NOW": monday], in: dir.url)
        try outpost(["init", "--replica", laptop, "--node", served.url, "--reseller", "acme", "--token-file", dir.path("anna.token")], at: monday)
        try outpost(["sync", "--replica", laptop], at: monday)  // the catalog
        try outpost(["settings", "set", "--email", "billing@acme.example", "--replica", laptop], at: monday)
        try outpost(["customer", "add", "--name", "Contoso GmbH", "--email", "it@contoso.example", "--country", "DE", "--replica", laptop], at: monday)
        try outpost(["order", "place", "--customer", "Contoso", "--plan", "pln_m365-business-basic-m", "--quantity", "10", "--replica", laptop], at: monday)
        try outpost(["sync", "--replica", laptop], at: monday)
        return served
    }

    @Test("A failing hook's stderr tail, the completion, the notices and the billing run reach the Operations page and outpost operations")
    func fromTheBackOfficeToThePage() throws {
        try #require(OutpostBinary.url != nil, "the outpost binary is built")
        let served = try setUp()
        defer { served.stop() }

        // A hook that explains itself on stderr, then fails; 30 lines, so only the last 20 are kept.
        let noisy = (1...10).map { "echo 'retrying vendor call \($0)' >&2" }.joined(separator: "; ")
        let failing = "cat > /dev/null; \(noisy); echo 'vendor API: 503 Service Unavailable <b>&amp;</b>' >&2; exit 3"
        let failed = try outpost(["node", "provision", node, "--hook", failing], at: "2026-02-02T10:00:00Z", expect: 1)
        #expect(failed.stderr.contains("1 order(s) failed (ORD-000001)"), "\(failed.stderr)")
        // Logged with the work: the failed order has exactly one event, in one run, with the end of stderr.
        let db = try tenant()
        #expect(try db.scalar("SELECT count(*) FROM operation_run")?.int64 == 1)
        let events = try db.rows("SELECT * FROM operation_event")
        #expect(events.count == 1)
        #expect(events.first?["outcome"].string == "failed")
        #expect(events.first?["subject_label"].string == "ORD-000001")
        let tail = events.first?["error_output"].string ?? ""
        #expect(tail.hasSuffix("vendor API: 503 Service Unavailable <b>&amp;</b>"), "\(tail)")
        #expect(tail.split(separator: "\n").count == 11, "ten retries and the last line: \(tail)")
        #expect(try db.scalar("SELECT status FROM orders WHERE number = 'ORD-000001'")?.string == "failed")

        // The laptop's customer page leads from the failed order's note to the Operations page.
        try outpost(["sync", "--replica", laptop], at: "2026-02-02T10:01:00Z")
        let customers = dir.path("anna/site/customers")
        let contoso = try #require(try (FileManager.default.subpathsOfDirectory(atPath: customers)).filter { $0.hasSuffix(".html") }.map { try String(contentsOfFile: customers + "/" + $0, encoding: .utf8) }
            .first { $0.contains("<h1>Contoso GmbH</h1>") })
        #expect(contoso.contains("<a href=\"../../operations/index.html\">hook exited with status 3: vendor API: 503 Service Unavailable"), "\(contoso)")

        // Nothing waiting: a rerun provisions nothing and logs nothing.
        try outpost(["node", "provision", node, "--hook", failing], at: "2026-02-02T10:05:00Z")
        #expect(try db.scalar("SELECT count(*) FROM operation_run")?.int64 == 1)

        // Resubmitted by its number, then completed by a hook that answers: two more runs.
        try outpost(["node", "order", "resubmit", "ord-1", "--node", node], at: "2026-02-02T11:00:00Z")
        try outpost(["node", "provision", node, "--hook", "cat > /dev/null; echo '{\"status\": \"completed\"}'"], at: "2026-02-02T11:05:00Z")
        #expect(try db.scalar("SELECT count(*) FROM operation_run WHERE kind = 'provision'")?.int64 == 3)
        #expect(try db.scalar("SELECT group_concat(outcome, ' ') FROM (SELECT outcome FROM operation_event ORDER BY at)")?.string
                == "failed retried completed")

        // The due notice of INV-000001 (due 2026-03-04, 7 days before), then the renewal at the period's end.
        try FileManager.default.createDirectory(atPath: dir.path("outbox"), withIntermediateDirectories: false)
        try outpost(["node", "notify", node, "--outbox", dir.path("outbox")], at: "2026-02-25T06:00:00Z")
        try outpost(["node", "bill", node, "--through", "2026-03-02"], at: "2026-03-02T06:00:00Z")
        let billed = try #require(try db.row("SELECT * FROM operation_run WHERE kind = 'bill'"))
        #expect(billed["invoices"].int64 == 1)
        let renewal = try #require(try db.scalar("SELECT total FROM invoice WHERE number = 'INV-000002'")?.int64)
        #expect(billed["invoiced_total"].int64 == renewal)

        try outpost(["sync", "--replica", laptop], at: "2026-03-02T07:00:00Z")
        let page = try list("operations")
        #expect(page.contains("<pre class=\"output\">retrying vendor call 1\n"), "the hook's stderr, as written")
        #expect(page.contains("vendor API: 503 Service Unavailable &lt;b&gt;&amp;amp;&lt;/b&gt;</pre>"), "escaped, not markup")
        #expect(page.contains("hook exited with status 3: vendor API: 503 Service Unavailable"))
        for text in ["Provisioning", "Billing run", "Notices", "INV-000001", "INV-000002", "invoice due: INV-000001",
                     "to it@contoso.example", "back in the provisioning queue", "Contoso GmbH", "The node is Operations"] {
            #expect(page.contains(text), "the Operations page shows \(text)")
        }
        #expect(page.contains(".html\">invoice due: INV-000001</a>"), "the notice links to its invoice's page")
        for outcome in ["completed", "failed", "retried", "sent"] { #expect(page.contains(">\(outcome)</span>"), "a \(outcome) badge") }
        let home = try String(contentsOfFile: dir.path("anna/site/index.html"), encoding: .utf8)
        #expect(home.contains("href=\"operations/index.html\""), "the navigation leads to it")
        let runsPage = try list("operations/runs")
        for counts in ["1 failed", "1 retried", "1 sent"] { #expect(runsPage.contains("<td>\(counts)</td>"), "\(runsPage)") }

        // The terminal shows the same rows.
        let runs = try #require(try json(["operations", "--replica", laptop], at: "2026-03-02T07:00:00Z") as? [[String: Any]])
        #expect(runs.map { $0["kind"] as? String ?? "" } == ["bill", "notify", "provision", "provision", "provision"])
        let logged = runs.flatMap { $0["events"] as? [[String: Any]] ?? [] }
        let csv = try PublishedSite.csvText("operations", in: URL(fileURLWithPath: dir.path("anna/site")))
        // Records start with their id; a hook's output continues a quoted field over several lines.
        let csvIds = Set(csv.split(whereSeparator: \.isNewline).map { String($0.prefix { $0 != "," }) }.filter { $0.hasPrefix("ope_") })
        #expect(Set(logged.compactMap { $0["id"] as? String }) == csvIds, "the page's rows and the command's are the same")
        let failure = try #require(logged.first { $0["outcome"] as? String == "failed" })
        #expect(failure["error_output"] as? String == tail)
        #expect(failure["customer_name"] as? String == "Contoso GmbH")
        let bill = try #require(runs.first)
        #expect((bill["invoiced_total"] as? NSNumber)?.int64Value == renewal)

        let provisioning = try outpost(["operations", "--kind", "provision", "--replica", laptop], at: "2026-03-02T07:00:00Z").stdout
        #expect(provisioning.contains("    | vendor API: 503 Service Unavailable <b>&amp;</b>"), "\(provisioning)")
        #expect(!provisioning.contains("Billing run"))
        let typo = try outpost(["operations", "--kind", "provisoin", "--replica", laptop], at: "2026-03-02T07:00:00Z", expect: 65)
        #expect(typo.stderr.contains("--kind 'provisoin' must be one of: provision, bill, notify, logins"))

        // The same day, another order completes: the incremental build follows the log's new rows.
        try outpost(["order", "place", "--customer", "Contoso", "--plan", "pln_office-ltsc-std-2024", "--replica", laptop], at: "2026-03-02T08:00:00Z")
        try outpost(["sync", "--replica", laptop], at: "2026-03-02T08:00:00Z")
        try outpost(["node", "provision", node, "--builtin"], at: "2026-03-02T08:30:00Z")
        try outpost(["sync", "--no-site", "--replica", laptop], at: "2026-03-02T09:00:00Z")
        let built = try #require(try json(["site", "build", "--replica", laptop], at: "2026-03-02T09:00:00Z") as? [String: Any])
        let report = try #require(built["report"] as? [String: Any])
        #expect(report["incremental"] as? Bool == true, "the change journal's plan follows the log's tables: \(report)")
        let after = try list("operations")
        #expect(after.contains("ORD-000003") && after.contains("2026-03-02 08:30 UTC"))
        let runsAfter = try list("operations/runs")
        #expect(runsAfter.contains("2026-03-02 08:30 UTC"), "the run is listed too")
    }
}
