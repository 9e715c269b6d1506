import Foundation
import OutpostTestSupport
import Testing
import OutpostTestThreads

/// A manual credit note from the command to the page, with real processes: a node served over HTTP, a
/// laptop, `node provision`, sync. The laptop's credit note is pending until the node numbers it.
@Suite("Credit notes people issue, with real processes", .ownThreads, .timeLimit(.minutes(20)))
struct CreditNoteProcessTests {
    let dir: TemporaryDirectory
    var node: String { dir.path("node") }
    var laptop: String { dir.path("anna") }
    let now = "2026-02-07T08:00:00Z"

    init() throws {
        dir = try TemporaryDirectory("outpost-credit")
    }

    /// `outpost args…`, expecting `status`.
    @discardableResult
    func outpost(_ arguments: [String], expect status: Int32 = 0, sourceLocation: SourceLocation = #_sourceLocation) throws -> OutpostBinary.Result {
        let result = try OutpostBinary.run(arguments, environment: ["OUTPOST_NOW": now], in: dir.url)
        #expect(result.status == status, "outpost \(arguments.joined(separator: " ")) exited \(result.status), not \(status):\n\(result.stdout)\n\(result.stderr)",
                sourceLocation: sourceLocation)
        return result
    }

    /// `outpost args… --replica LAPTOP --json`, parsed.
    func json(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> Any {
        let result = try outpost(arguments + ["--replica", laptop, "--json"], sourceLocation: sourceLocation)
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
    }

    func creditNotes() throws -> [[String: Any]] {
        try #require(try json(["credit-note", "list"]) as? [[String: Any]])
    }

    func outstanding(_ invoice: String) throws -> Int? {
        let detail = try #require(try json(["invoice", "show", invoice]) as? [String: Any])
        return (detail["balance"] as? [String: Any])?["outstanding"] as? Int
    }

    func file(_ path: String) throws -> String {
        try String(contentsOfFile: dir.path("anna/site/" + path), encoding: .utf8)
    }

    @Test("invoice credit: pending on the laptop, CRN- after sync, on invoice show, the invoice page and the CSVs; bad input writes nothing")
    func creditFromCommandToPage() throws {
        try #require(OutpostBinary.url != nil, "the outpost binary is built")
        try outpost(["node", "init", node])
        try outpost(["node", "plans", "import", "--builtin", "--node", node])
        try outpost(["node", "reseller", "add", "acme", "--name", "Acme Cloud", "--currency", "EUR", "--node", node])
        let token = try outpost(["node", "token", "issue", "--reseller", "acme", "--user", "anna", "--node", node])
        try token.stdout.write(toFile: dir.path("anna.token"), atomically: false, encoding: .utf8)
        let served = try ServedNodeProcess(node: node, environment: ["OUTPOST_NOW": now], in: dir.url)
        defer { served.stop() }

        // Two customers with an order each, provisioned by the node: INV-000001 and INV-000002.
        try outpost(["init", "--replica", laptop, "--node", served.url, "--reseller", "acme", "--token-file", dir.path("anna.token")])
        try outpost(["sync", "--replica", laptop, "--no-site"])
        for (name, email) in [("Contoso GmbH", "it@contoso.example"), ("Fabrikam Legal", "it@fabrikam.example")] {
            try outpost(["customer", "add", "--name", name, "--email", email, "--country", "DE", "--replica", laptop])
            try outpost(["order", "place", "--customer", name, "--plan", "m365-business-basic-m", "--quantity", "10", "--replica", laptop])
        }
        try outpost(["sync", "--replica", laptop, "--no-site"])
        try outpost(["node", "provision", node, "--builtin"])
        try outpost(["node", "invoice", "void", "INV-000002", "--reason", "ordered twice", "--node", node])
        try outpost(["sync", "--replica", laptop])
        let before = try #require(try outstanding("INV-000001"))
        #expect(before > 1_000)

        // Bad input is refused before anything is queued: above what is left, a void invoice, both forms at once.
        let queueBefore = try outpost(["queue", "list", "--replica", laptop, "--json"]).stdout
        let tooMuch = try outpost(["invoice", "credit", "INV-000001", "--amount", "100000", "--reason", "too much", "--replica", laptop], expect: 65)
        #expect(tooMuch.stderr.contains("100,000.00 EUR") && tooMuch.stderr.contains(Self.euros(before) + " EUR left"), "\(tooMuch.stderr)")
        let void = try outpost(["invoice", "credit", "INV-000002", "--amount", "10", "--reason", "goodwill", "--replica", laptop], expect: 65)
        #expect(void.stderr.contains("INV-000002 is void"), "\(void.stderr)")
        try outpost(["invoice", "credit", "INV-000001", "--amount", "10", "--line", "1=5", "--reason", "x", "--replica", laptop], expect: 64)
        try outpost(["invoice", "credit", "INV-000001", "--amount", "10", "--reason", " ", "--replica", laptop], expect: 65)
        #expect(try outpost(["queue", "list", "--replica", laptop, "--json"]).stdout == queueBefore, "a refused credit queued nothing")
        #expect(try creditNotes().isEmpty)

        // The credit is queued and shows as pending, on the command line and on the pages built before the sync.
        let receipt = try outpost(["invoice", "credit", "INV-000001", "--amount", "10", "--reason", "Goodwill for the outage", "--replica", laptop])
        #expect(receipt.stdout.contains("Credited 10.00 EUR on invoice INV-000001") && receipt.stdout.contains("invoice.credit"), "\(receipt.stdout)")
        var notes = try creditNotes()
        #expect(notes.count == 1 && notes.first?["number"] as? String == nil && notes.first?["invoice_number"] as? String == "INV-000001")
        let creditId = try #require(notes.first?["id"] as? String)
        #expect(try outpost(["credit-note", "list", "--replica", laptop]).stdout.contains("pending  INV-000001  Contoso GmbH"))
        let invoiceId = try #require((try json(["invoice", "show", "INV-000001"]) as? [String: Any]).flatMap { ($0["invoice"] as? [String: Any])?["id"] as? String })
        try outpost(["site", "build", "--replica", laptop])
        var page = try file(PublishedSite.invoicePage(invoiceId))
        #expect(page.contains("Goodwill for the outage") && page.contains(">pending<"), "the invoice page lists the pending credit note")

        // Sync: the node numbers it; the outstanding amount dropped by exactly 10.00.
        try outpost(["sync", "--replica", laptop])
        notes = try creditNotes()
        #expect(notes.map { $0["number"] as? String } == ["CRN-000001"])
        #expect(notes.first?["id"] as? String == creditId && notes.first?["total"] as? Int == 1_000)
        #expect(try outstanding("INV-000001") == before - 1_000)
        let show = try outpost(["invoice", "show", "INV-000001", "--replica", laptop]).stdout
        #expect(show.contains("CRN-000001") && show.contains("Goodwill for the outage") && show.contains("credited 10.00 EUR"), "\(show)")
        let note = try outpost(["credit-note", "show", "crn-1", "--replica", laptop]).stdout
        #expect(note.contains("Credit note CRN-000001") && note.contains("Invoice: INV-000001") && note.contains("Customer: Contoso GmbH")
                && note.contains("total 10.00 EUR"), "\(note)")
        #expect(try outpost(["credit-note", "list", "--customer", "Fabrikam", "--replica", laptop]).stdout.contains("No credit notes."))

        // The pages the sync published: the invoice page, the customer's page and the CSVs.
        page = try file(PublishedSite.invoicePage(invoiceId))
        #expect(page.contains("CRN-000001") && !page.contains(">pending<"), "the invoice page shows the number")
        let customerId = try #require(notes.first?["customer_id"] as? String)
        #expect(try file(PublishedSite.customerPage(customerId)).contains("CRN-000001"))
        let invoicesCSV = try PublishedSite.csvText("invoices", in: URL(fileURLWithPath: laptop + "/site"))
        #expect(invoicesCSV.contains(",INV-000001,") && invoicesCSV.contains("," + Self.euros(before - 1_000) + ",partially_paid\r\n"), "\(invoicesCSV)")
        #expect(try file("reports/revenue.csv").contains("2026-02,") && (try file("reports/revenue.csv")).contains(",10.00,"))

        // The node refuses what the laptop could not know: a second credit for everything that was left,
        // queued offline twice, is accepted once and refused once, visibly.
        let left = Self.euros(before - 1_000)
        try outpost(["invoice", "credit", "INV-000001", "--amount", left, "--reason", "all of it", "--replica", laptop])
        try outpost(["node", "invoice", "credit", "INV-000001", "--amount", "1", "--reason", "the node first", "--node", node])
        try outpost(["sync", "--replica", laptop], expect: 1)
        let rejected = try outpost(["queue", "rejected", "--replica", laptop]).stdout
        #expect(rejected.contains("invoice.credit") && rejected.contains("left on invoice INV-000001"), "\(rejected)")
        #expect(try creditNotes().compactMap { $0["number"] as? String } == ["CRN-000001", "CRN-000002"])
    }

    /// Minor units as `12.34`.
    static func euros(_ units: Int) -> String {
        String(format: "%d.%02d", units / 100, units % 100)
    }
}
