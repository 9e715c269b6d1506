import Foundation
import Testing
import OutpostModel
import OutpostStore
import OutpostTestSupport
import OutpostTestThreads

/// Node back-office commands name documents as the laptop does, and never pick one reseller's document when a
/// number exists for several: the built binary, two resellers whose invoices and orders share numbers.
@Suite("node commands name the right reseller's document, with real processes", .ownThreads)
struct NodeReferenceCommandTests {
    let dir: TemporaryDirectory

    /// Resellers acme (customer Contoso GmbH) and globex (Initech AG), 19 % tax, each with three Microsoft 365
    /// orders placed and provisioned on 2026-02-01: ORD-000001…3 and INV-000001…3 in both books
    /// (acme 1, 2, 3 seats: 6.84, 13.69, 20.53 EUR; globex 4, 5, 6 seats: 27.37, 34.21, 41.06 EUR).
    /// Both laptops have pulled their invoices.
    init() throws {
        dir = try TemporaryDirectory("outpost-node-references")
        let node = dir.path("node")
        try Self.require(try run(["node", "init", node], at: "2026-02-01T09:00:00Z"))
        try Self.require(try run(["node", "plans", "import", "--builtin", "--node", node], at: "2026-02-01T09:00:00Z"))
        for (reseller, customer, seats) in [("acme", "Contoso GmbH", 1), ("globex", "Initech AG", 4)] {
            try Self.require(try run(["node", "reseller", "add", reseller, "--name", reseller.capitalized, "--node", node], at: "2026-02-01T09:00:00Z"))
            let token = try run(["node", "token", "issue", "--reseller", reseller, "--user", "anna", "--node", node], at: "2026-02-01T09:00:00Z")
            try token.stdout.write(toFile: dir.path("token-" + reseller), atomically: false, encoding: .utf8)
            let laptop = ["--replica", dir.path(reseller)]
            try Self.require(try run(["init", "--node", node, "--reseller", reseller, "--token-file", dir.path("token-" + reseller)] + laptop, at: "2026-02-01T09:00:00Z"))
            try Self.require(try run(["sync", "--no-site", "--quiet"] + laptop, at: "2026-02-01T09:00:00Z"))
            try Self.require(try run(["settings", "set", "--email", "billing@\(reseller).example", "--tax-rate", "19"] + laptop, at: "2026-02-01T09:00:00Z"))
            let email = customer.split(separator: " ")[0].lowercased()
            try Self.require(try run(["customer", "add", "--name", customer, "--email", "it@\(email).example"] + laptop, at: "2026-02-01T09:00:00Z"))
            for quantity in seats..<(seats + 3) {
                try Self.require(try run(["order", "place", "--customer", customer, "--plan", "pln_m365-business-basic-m",
                                          "--quantity", String(quantity)] + laptop, at: "2026-02-01T09:00:00Z"))
            }
            try Self.require(try run(["sync", "--no-site", "--quiet"] + laptop, at: "2026-02-01T09:00:00Z"))
        }
        try Self.require(try run(["node", "provision", node, "--builtin"], at: "2026-02-01T10:00:00Z"))
        for reseller in ["acme", "globex"] {
            try Self.require(try run(["sync", "--no-site", "--quiet", "--replica", dir.path(reseller)], at: "2026-02-01T11:00:00Z"))
        }
    }

    static func require(_ result: OutpostBinary.Result, sourceLocation: SourceLocation = #_sourceLocation) throws {
        try #require(result.status == 0, "\(result.stderr)", sourceLocation: sourceLocation)
    }

    func run(_ arguments: [String], at now: String) throws -> OutpostBinary.Result {
        try OutpostBinary.run(arguments, environment: ["OUTPOST_NOW": now], in: dir.url)
    }

    /// `outpost node …` against this node.
    func node(_ arguments: [String], at now: String = "2026-02-02T09:00:00Z") throws -> OutpostBinary.Result {
        try run(["node"] + arguments + ["--node", dir.path("node")], at: now)
    }

    func tenant(_ reseller: String) throws -> Database {
        try Database(path: dir.path("node/tenants/\(reseller).sqlite"), mode: .readOnly)
    }

    /// Every invoice's status, every order's status and every credit note of both resellers: what a correction changes.
    func books() throws -> [String] {
        var lines: [String] = []
        for reseller in ["acme", "globex"] {
            let db = try tenant(reseller)
            lines += try db.rows("SELECT number, status FROM invoice ORDER BY number").map { "\(reseller) \(try $0.string("number")) \(try $0.string("status"))" }
            lines += try db.rows("SELECT number, status FROM orders ORDER BY number").map { "\(reseller) \(try $0.string("number")) \(try $0.string("status"))" }
            lines += try db.rows("SELECT number, total FROM credit_note ORDER BY number").map { "\(reseller) \(try $0.string("number")) \(try $0.int64("total"))" }
        }
        return lines
    }

    func id(_ reseller: String, _ table: String, _ number: String) throws -> String {
        try #require(try tenant(reseller).scalar("SELECT id FROM \(table) WHERE number = ?", [number])?.string)
    }

    @Test("a number two resellers have is refused with exit 64 listing both, nothing written; --reseller chooses")
    func ambiguousNumbers() throws {
        let before = try books()
        #expect(before.contains("acme INV-000002 issued") && before.contains("globex INV-000002 issued"))

        let void = try node(["invoice", "void", "INV-000002", "--reason", "globex: wrong seats"])
        #expect(void.status == 64)
        #expect(void.stderr.contains("INV-000002 matches invoices of 2 resellers; say which with --reseller ID:\n"), "\(void.stderr)")
        #expect(void.stderr.contains("\n  acme  INV-000002  Contoso GmbH  13.69 EUR  (inv_"), "\(void.stderr)")
        #expect(void.stderr.contains("\n  globex  INV-000002  Initech AG  34.21 EUR  (inv_"), "\(void.stderr)")
        let credit = try node(["invoice", "credit", "inv-2", "--reason", "goodwill"])
        #expect(credit.status == 64)
        #expect(credit.stderr.contains("--reseller ID"), "\(credit.stderr)")
        let resubmit = try node(["order", "resubmit", "ORD-000001"])
        #expect(resubmit.status == 64)
        #expect(resubmit.stderr.contains("\n  acme  ORD-000001  Contoso GmbH  sales, completed  (ord_"), "\(resubmit.stderr)")
        #expect(resubmit.stderr.contains("\n  globex  ORD-000001  Initech AG  sales, completed  (ord_"), "\(resubmit.stderr)")
        #expect(try books() == before, "a refused command wrote nothing")

        let chosen = try node(["invoice", "void", "inv-2", "--reseller", "globex", "--reason", "globex: wrong seats"])
        #expect(chosen.status == 0, "\(chosen.stderr)")
        #expect(chosen.stdout.contains("Invoice INV-000002 (\(try id("globex", "invoice", "INV-000002"))) is void"), "\(chosen.stdout)")
        let after = try books()
        #expect(after.contains("globex INV-000002 void") && after.contains("acme INV-000002 issued"), "\(after)")
        #expect(after.filter { $0.hasSuffix(" void") } == ["globex INV-000002 void"])

        let missing = try node(["order", "resubmit", "ORD-000099", "--reseller", "acme"])
        #expect(missing.status == 65)
        #expect(missing.stderr.contains("reseller acme has no order ORD-000099"), "\(missing.stderr)")
    }

    @Test("node commands take the laptop's spellings: lower case, short numbers, ids and unique id prefixes")
    func spellings() throws {
        // A unique prefix of acme's INV-000003 id finds it without --reseller: ids are the node's, unique everywhere.
        let acmeInvoice = try id("acme", "invoice", "INV-000003")
        let byPrefix = try node(["invoice", "credit", String(acmeInvoice.dropLast(4)), "--reason", "goodwill", "--amount", "1.00"])
        #expect(byPrefix.status == 0, "\(byPrefix.stderr)")
        #expect(byPrefix.stdout.contains("Credit note CRN-000001 of 1.00 EUR issued against invoice INV-000003."), "\(byPrefix.stdout)")
        #expect(try tenant("acme").scalar("SELECT invoice_id FROM credit_note")?.string == acmeInvoice)

        let short = try node(["invoice", "credit", "INV-1", "--reseller", "globex", "--reason", "goodwill", "--amount", "2.00"])
        #expect(short.status == 0, "\(short.stderr)")
        #expect(try tenant("globex").scalar("SELECT invoice_id FROM credit_note")?.string == (try id("globex", "invoice", "INV-000001")))

        // Found (it says why it is not resubmitted), not "no such order".
        let lower = try node(["order", "resubmit", "ord-000003", "--reseller", "acme"])
        #expect(lower.status == 65)
        #expect(lower.stderr.contains("order ORD-000003 (\(try id("acme", "orders", "ORD-000003"))) is already completed"), "\(lower.stderr)")
        let globexOrder = try id("globex", "orders", "ORD-000002")
        let prefix = try node(["order", "resubmit", String(globexOrder.dropLast(4))])
        #expect(prefix.status == 65)
        #expect(prefix.stderr.contains("order ORD-000002 (\(globexOrder)) is already completed"), "\(prefix.stderr)")
        let exact = try node(["order", "resubmit", globexOrder])
        #expect(exact.stderr.contains("(\(globexOrder)) is already completed"), "\(exact.stderr)")

        // A prefix too short to name one order is a usage error listing them.
        let vague = try node(["order", "resubmit", "ord_01", "--reseller", "acme"])
        #expect(vague.status == 64)
        #expect(vague.stderr.contains("ord_01 matches 3 orders of reseller acme"), "\(vague.stderr)")
    }

    @Test("void says truthfully what can be done: the open part of a partly paid invoice is credited; a fully paid one owes nothing")
    func voidWording() throws {
        let acme = ["--replica", dir.path("acme")]
        try Self.require(try run(["payment", "record", "--invoice", "INV-000001", "--amount", "2.00"] + acme, at: "2026-02-02T08:00:00Z"))
        try Self.require(try run(["payment", "record", "--invoice", "INV-000003", "--amount", "20.53"] + acme, at: "2026-02-02T08:00:00Z"))
        try Self.require(try run(["sync", "--no-site", "--quiet"] + acme, at: "2026-02-02T08:00:00Z"))

        let partly = try node(["invoice", "void", "INV-000001", "--reseller", "acme", "--reason", "mistake"])
        #expect(partly.status == 65)
        let suggested = "outpost node invoice credit INV-000001 --reseller acme --reason TEXT"
        #expect(partly.stderr.contains("has 1 payment(s) recorded (2.00 EUR paid), so it is not voided; 4.84 EUR of 6.84 EUR is still open "
                                       + "and can be credited instead: \(suggested)"), "\(partly.stderr)")
        #expect(!partly.stderr.contains("a paid invoice"))
        // The command it shows works.
        let credited = try node(["invoice", "credit", "INV-000001", "--reseller", "acme", "--reason", "mistake"])
        #expect(credited.status == 0, "\(credited.stderr)")
        #expect(credited.stdout.contains("Credit note CRN-000001 of 4.84 EUR issued against invoice INV-000001."), "\(credited.stdout)")

        let fully = try node(["invoice", "void", "INV-000003", "--reseller", "acme", "--reason", "mistake"])
        #expect(fully.status == 65)
        #expect(fully.stderr.contains("has 1 payment(s) recorded (20.53 EUR paid): it is paid in full, so nothing is owed and there is nothing to void or credit"),
                "\(fully.stderr)")
        #expect(fully.stderr.contains("refund it outside Outpost"))
        #expect(!fully.stderr.contains("outpost node invoice credit"), "a fully paid invoice is not sent to a command that refuses it")
        let credit = try node(["invoice", "credit", "INV-000003", "--reseller", "acme", "--reason", "mistake"])
        #expect(credit.status == 65)
        #expect(credit.stderr.contains("has nothing open to credit"), "\(credit.stderr)")
    }

    @Test("bill and notify, dry or real, name invoices by number, subscriptions by plan and customers by name")
    func runsNameThings() throws {
        let dry = try run(["node", "bill", dir.path("node"), "--through", "2026-03-01", "--dry-run"], at: "2026-02-20T06:00:00Z")
        #expect(dry.status == 0, "\(dry.stderr)")
        let acmeSubscription = try #require(try tenant("acme").scalar("SELECT id FROM subscription WHERE quantity = 1")?.string)
        #expect(dry.stdout.contains("Reseller acme:\n  renewal of Microsoft 365 Business Basic (monthly) for Contoso GmbH (\(acmeSubscription)) → 1 invoice(s) INV-000004, 6.84 EUR"),
                "\(dry.stdout)")
        let billed = try run(["node", "bill", dir.path("node"), "--through", "2026-03-01", "--reseller", "globex"], at: "2026-02-20T06:00:00Z")
        #expect(billed.status == 0, "\(billed.stderr)")
        let rows = billed.stdout.split(separator: "\n").filter { $0.contains("  renewed  ") }
        #expect(rows.count == 3 && rows.allSatisfy { $0.hasPrefix("Microsoft 365 Business Basic (monthly)  Initech AG  globex") }, "\(billed.stdout)")
        #expect(!billed.stdout.contains("sub_"))

        let notices = try run(["node", "notify", dir.path("node"), "--dry-run", "--reseller", "acme"], at: "2026-02-24T06:00:00Z")
        #expect(notices.status == 0, "\(notices.stderr)")
        let invoice = try id("acme", "invoice", "INV-000001")
        #expect(notices.stdout.contains("  notice invoice_due for INV-000001 of Contoso GmbH (\(invoice)) to it@contoso.example: Invoice INV-000001 is due in 7 days"),
                "\(notices.stdout)")
        try FileManager.default.createDirectory(atPath: dir.path("outbox"), withIntermediateDirectories: false)
        let sent = try run(["node", "notify", dir.path("node"), "--outbox", dir.path("outbox"), "--reseller", "acme"], at: "2026-02-24T06:00:00Z")
        #expect(sent.status == 0, "\(sent.stderr)")
        #expect(sent.stdout.contains("acme      invoice_due  INV-000001  it@contoso.example  sent"), "\(sent.stdout)")
        #expect(!sent.stdout.contains("inv_"))
    }
}
