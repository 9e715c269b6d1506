import Foundation
import Testing
import OutpostModel
import OutpostStore
import OutpostTestSupport
import OutpostTestThreads

/// The back office's safety rails as an operator meets them: the built binary, real files, real exit codes.
@Suite("back office commands with real processes", .ownThreads)
struct BackOfficeCommandTests {
    let dir: TemporaryDirectory
    let customer: String

    /// A node and a replica of reseller acme (19 % tax, billing@acme.example) whose customer, with an e-mail,
    /// ordered Microsoft 365 (10 seats, 68.43 EUR a month) and an Office license on 2026-02-01; both submitted.
    init() throws {
        dir = try TemporaryDirectory("outpost-backoffice-cli")
        let start = ["OUTPOST_NOW": "2026-02-01T09:00:00Z"]
        for arguments in [
            ["node", "init", dir.path("node")],
            ["node", "plans", "import", "--builtin", "--node", dir.path("node")],
            ["node", "reseller", "add", "acme", "--name", "Acme Cloud", "--node", dir.path("node")],
        ] { try Self.require(try OutpostBinary.run(arguments, environment: start, in: dir.url)) }
        let token = try OutpostBinary.run(["node", "token", "issue", "--reseller", "acme", "--user", "anna", "--node", dir.path("node")],
                                          environment: start, in: dir.url)
        try token.stdout.write(toFile: dir.path("token"), atomically: false, encoding: .utf8)
        let env = start.merging(["OUTPOST_REPLICA": dir.path("r")]) { $1 }
        try Self.require(try OutpostBinary.run(["init", "--node", dir.path("node"), "--reseller", "acme", "--token-file", dir.path("token")], environment: env, in: dir.url))
        try Self.require(try OutpostBinary.run(["sync", "--no-site", "--quiet"], environment: env, in: dir.url))
        try Self.require(try OutpostBinary.run(["settings", "set", "--email", "billing@acme.example", "--tax-rate", "19"], environment: env, in: dir.url))
        let added = try OutpostBinary.run(["customer", "add", "--name", "Contoso Dental GmbH", "--email", "it@contoso.example", "--json"], environment: env, in: dir.url)
        customer = try #require(try JSONValue(parsing: added.stdout)["id"]?.stringValue)
        try Self.require(try OutpostBinary.run(["order", "place", "--customer", customer, "--plan", "pln_m365-business-basic-m", "--quantity", "10"], environment: env, in: dir.url))
        try Self.require(try OutpostBinary.run(["order", "place", "--customer", customer, "--plan", "pln_office-ltsc-std-2024"], environment: env, in: dir.url))
        try Self.require(try OutpostBinary.run(["sync", "--no-site", "--quiet"], environment: env, in: dir.url))
        try FileManager.default.createDirectory(atPath: dir.path("outbox"), withIntermediateDirectories: false)
    }

    static func require(_ result: OutpostBinary.Result, sourceLocation: SourceLocation = #_sourceLocation) throws {
        try #require(result.status == 0, "\(result.stderr)", sourceLocation: sourceLocation)
    }

    func outpost(_ arguments: [String], at now: String) throws -> OutpostBinary.Result {
        try OutpostBinary.run(arguments, environment: ["OUTPOST_NOW": now, "OUTPOST_REPLICA": dir.path("r")], in: dir.url)
    }

    /// What a dry run must leave as it found: every table of node.sqlite and of each tenant (rows and their
    /// values), and every file under the node and the outbox with its size.
    func snapshot() throws -> [String: String] {
        var state: [String: String] = [:]
        let databases = [dir.path("node/node.sqlite")] + (try FileManager.default.contentsOfDirectory(atPath: dir.path("node/tenants"))
            .filter { $0.hasSuffix(".sqlite") }.map { dir.path("node/tenants/" + $0) })
        for path in databases {
            let db = try Database(path: path, mode: .readOnly)
            for table in try db.rows("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").map({ try $0.string("name") }) {
                let rows = try db.rows("SELECT * FROM \"\(table)\" ORDER BY rowid")
                let text = rows.map { row in row.dictionary.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",") }
                state[path + ":" + table] = "\(rows.count) rows, " + String(text.joined(separator: "\n").hashValue)
            }
        }
        for root in [dir.path("node"), dir.path("outbox")] {
            let files = FileManager.default.enumerator(atPath: root)
            while let name = files?.nextObject() as? String {
                let attributes = try FileManager.default.attributesOfItem(atPath: root + "/" + name)
                // The WAL comes and goes with connections; what matters is the databases' content, compared above.
                guard !name.hasSuffix("-wal"), !name.hasSuffix("-shm") else { continue }
                state["file:" + root + "/" + name] = "\(attributes[.size] ?? 0)"
            }
        }
        return state
    }

    @Test("provision --dry-run, bill --dry-run and notify --dry-run write nothing, call nothing, send nothing, and say what the real run then does")
    func dryRuns() throws {
        let node = dir.path("node")
        let marker = dir.path("hook-called")
        let before = try snapshot()

        let hooked = try outpost(["node", "provision", node, "--hook", "touch '\(marker)'", "--dry-run"], at: "2026-02-01T10:00:00Z")
        #expect(hooked.status == 0, "\(hooked.stderr)")
        #expect(hooked.stdout.contains("Reseller acme:\n  order ORD-000001 (sales, Contoso Dental GmbH) would be sent to hook touch"), "\(hooked.stdout)")
        #expect(!FileManager.default.fileExists(atPath: marker))
        let rehearsed = try outpost(["node", "provision", node, "--builtin", "--dry-run"], at: "2026-02-01T10:00:00Z")
        #expect(rehearsed.stdout.contains("  order ORD-000001 (sales, Contoso Dental GmbH) would be completed → invoice INV-000001 68.43 EUR\n"), "\(rehearsed.stdout)")
        #expect(rehearsed.stdout.contains("  order ORD-000002 (sales, Contoso Dental GmbH) would be completed → invoice INV-000002"))
        let rehearsedJSON = try outpost(["node", "provision", node, "--builtin", "--dry-run", "--json"], at: "2026-02-01T10:00:00Z")
        #expect(try snapshot() == before)

        let real = try outpost(["node", "provision", node, "--builtin", "--json"], at: "2026-02-01T10:00:00Z")
        #expect(real.status == 0, "\(real.stderr)")
        func documents(_ json: String, _ key: String) throws -> [[String]] {
            try JSONValue(parsing: json).arrayValue?.map { entry in
                (entry[key]?.arrayValue ?? []).compactMap { $0["number"]?.stringValue ?? $0.stringValue }
            } ?? []
        }
        #expect(try documents(rehearsedJSON.stdout, "documents") == [["INV-000001"], ["INV-000002"]])
        #expect(try documents(real.stdout, "invoice_numbers") == documents(rehearsedJSON.stdout, "documents"))

        // Billing: a renewal on 2026-03-01, rehearsed from 2026-02-20, then run.
        let afterProvisioning = try snapshot()
        #expect(afterProvisioning != before)  // the snapshot sees a real run's writes
        let billDry = try outpost(["node", "bill", node, "--through", "2026-03-01", "--dry-run"], at: "2026-02-20T06:00:00Z")
        #expect(billDry.status == 0, "\(billDry.stderr)")
        #expect(billDry.stdout.contains("  renewal of Microsoft 365 Business Basic (monthly) for Contoso Dental GmbH (sub_"), "\(billDry.stdout)")
        #expect(billDry.stdout.contains(") → 1 invoice(s) INV-000003, 68.43 EUR, period to 2026-04-01"), "\(billDry.stdout)")
        let billDryJSON = try outpost(["node", "bill", node, "--through", "2026-03-01", "--dry-run", "--json"], at: "2026-02-20T06:00:00Z")
        #expect(try snapshot() == afterProvisioning)
        let billed = try outpost(["node", "bill", node, "--through", "2026-03-01", "--json"], at: "2026-02-20T06:00:00Z")
        #expect(billed.status == 0)
        #expect(try JSONValue(parsing: billed.stdout) == JSONValue(parsing: billDryJSON.stdout))

        // Notices: the first invoice is due 2026-03-03, so a reminder goes out on 2026-02-24.
        let afterBilling = try snapshot()
        let notifyDry = try outpost(["node", "notify", node, "--dry-run"], at: "2026-02-24T06:00:00Z")
        #expect(notifyDry.status == 0, "\(notifyDry.stderr)")
        #expect(notifyDry.stdout.contains("  notice invoice_due for INV-000001 of Contoso Dental GmbH (inv_"), "\(notifyDry.stdout)")
        #expect(notifyDry.stdout.contains(" to it@contoso.example: "))
        let notifyDryJSON = try outpost(["node", "notify", node, "--dry-run", "--json"], at: "2026-02-24T06:00:00Z")
        #expect(try snapshot() == afterBilling)
        let sent = try outpost(["node", "notify", node, "--outbox", dir.path("outbox"), "--json"], at: "2026-02-24T06:00:00Z")
        #expect(sent.status == 0, "\(sent.stderr)")
        func notices(_ json: String) throws -> [String] {
            try JSONValue(parsing: json).arrayValue?.map { "\($0["kind"]?.stringValue ?? "") \($0["entity_id"]?.stringValue ?? "") \($0["recipient"]?.stringValue ?? "")" } ?? []
        }
        #expect(try notices(sent.stdout) == notices(notifyDryJSON.stdout))
        #expect(try !notices(sent.stdout).isEmpty)
    }

    @Test("bill --through far ahead is refused with both dates and writes nothing; a past date only catches up")
    func billAheadRefused() throws {
        let node = dir.path("node")
        try Self.require(try outpost(["node", "provision", node, "--builtin"], at: "2026-02-01T10:00:00Z"))
        let before = try snapshot()
        let typo = try outpost(["node", "bill", node, "--through", "2027-02-07"], at: "2026-02-07T08:00:00Z")
        #expect(typo.status == 65)
        #expect(typo.stderr.contains("--through 2027-02-07 is 365 day(s) after today (2026-02-07)"), "\(typo.stderr)")
        #expect(typo.stderr.contains("the latest allowed date is 2026-02-21"))
        #expect(typo.stderr.contains("outpost settings set --advance-billing-days N"))
        let dry = try outpost(["node", "bill", node, "--through", "2027-02-07", "--dry-run"], at: "2026-02-07T08:00:00Z")
        #expect(dry.status == 65)
        #expect(try snapshot() == before)

        let past = try outpost(["node", "bill", node, "--through", "2026-01-31"], at: "2026-02-07T08:00:00Z")
        #expect(past.status == 0, "\(past.stderr)")
        #expect(past.stdout == "2026-01-31 is before today (2026-02-07): only what was already due by then is caught up.\nNothing to bill through 2026-01-31.\n")

        // The window is the reseller's setting, set on a laptop and pushed like every setting.
        try Self.require(try outpost(["settings", "set", "--advance-billing-days", "30"], at: "2026-02-07T08:00:00Z"))
        let show = try outpost(["settings", "show"], at: "2026-02-07T08:00:00Z")
        #expect(show.stdout.contains("Bill ahead:     at most 30 day(s) past today"))
        let wrong = try outpost(["settings", "set", "--advance-billing-days", "400"], at: "2026-02-07T08:00:00Z")
        #expect(wrong.status == 65)
        #expect(wrong.stderr.contains("advance_billing_days must be between 0 and 366, got 400"))
        try Self.require(try outpost(["sync", "--no-site", "--quiet"], at: "2026-02-07T08:00:00Z"))
        let widened = try outpost(["node", "bill", node, "--through", "2026-03-01"], at: "2026-02-07T08:00:00Z")
        #expect(widened.status == 0, "\(widened.stderr)")
        #expect(widened.stdout.contains("Billed through 2026-03-01: 1 renewed (1 invoice(s))"), "\(widened.stdout)")
    }

    @Test("provision needs --hook or --builtin; resubmit refuses what never failed, by number")
    func provisionFlags() throws {
        let node = dir.path("node")
        let neither = try outpost(["node", "provision", node], at: "2026-02-01T10:00:00Z")
        #expect(neither.status == 64)
        #expect(neither.stderr.contains("say who provisions: --hook CMD (the vendor call) or --builtin"), "\(neither.stderr)")
        let both = try outpost(["node", "provision", node, "--builtin", "--hook", "true"], at: "2026-02-01T10:00:00Z")
        #expect(both.status == 64)
        let waiting = try outpost(["node", "order", "resubmit", "ORD-000001", "--node", node], at: "2026-02-01T10:00:00Z")
        #expect(waiting.status == 65)
        #expect(waiting.stderr.contains("never failed"), "\(waiting.stderr)")
        try Self.require(try outpost(["node", "provision", node, "--builtin"], at: "2026-02-01T10:00:00Z"))
        let completed = try outpost(["node", "order", "resubmit", "ORD-000001", "--node", node], at: "2026-02-01T10:00:00Z")
        #expect(completed.status == 65)
        #expect(completed.stderr.contains("is already completed"), "\(completed.stderr)")
    }

    @Test("resubmit exits 65 with the reason while the vendor's recorded answer still cannot be applied")
    func resubmitStillRefused() throws {
        let node = dir.path("node")
        // The vendor completes the order while the customer is suspended on the laptop and synced: the answer is kept, not applied.
        let hook = dir.path("racing-hook.sh")
        let outpost = try #require(OutpostBinary.url).path
        try """
            #!/bin/sh
            cat > /dev/null
            OUTPOST_NOW=2026-02-01T10:00:00Z OUTPOST_REPLICA='\(dir.path("r"))' '\(outpost)' customer suspend '\(customer)' >&2
            OUTPOST_NOW=2026-02-01T10:00:00Z OUTPOST_REPLICA='\(dir.path("r"))' '\(outpost)' sync --no-site --quiet >&2
            echo '{"status": "completed"}'
            """.write(toFile: hook, atomically: false, encoding: .utf8)
        #expect(chmod(hook, 0o755) == 0)
        let provisioned = try self.outpost(["node", "provision", node, "--hook", hook], at: "2026-02-01T10:00:00Z")
        #expect(provisioned.status == 1, "\(provisioned.stdout)\(provisioned.stderr)")
        #expect(provisioned.stdout.contains("completed at vendor, not applied"), "\(provisioned.stdout)")

        let resubmitted = try self.outpost(["node", "order", "resubmit", "ORD-000001", "--node", node], at: "2026-02-01T11:00:00Z")
        #expect(resubmitted.status == 65)
        #expect(resubmitted.stderr.contains("the vendor's recorded answer to ORD-000001 (ord_"), "\(resubmitted.stderr)")
        #expect(resubmitted.stderr.contains("still cannot be applied: ") && resubmitted.stderr.contains("is suspended"), "\(resubmitted.stderr)")
    }

    @Test("a markup above 1000% is refused in percent, as it was typed, and nothing is queued")
    func markupInPercent() throws {
        let queued = try outpost(["queue", "list", "--json"], at: "2026-02-01T10:00:00Z").stdout
        let refused = try outpost(["price", "set", "--markup", "2000"], at: "2026-02-01T10:00:00Z")
        #expect(refused.status == 65)
        #expect(refused.stderr.contains("--markup 2000 is above 1000%"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("200000"))
        let fraction = try outpost(["price", "set", "--markup", "1000.5"], at: "2026-02-01T10:00:00Z")
        #expect(fraction.status == 65)
        #expect(fraction.stderr.contains("--markup 1000.5 is above 1000%"), "\(fraction.stderr)")
        #expect(try outpost(["queue", "list", "--json"], at: "2026-02-01T10:00:00Z").stdout == queued)
        let highest = try outpost(["price", "set", "--markup", "1000"], at: "2026-02-01T10:00:00Z")
        #expect(highest.status == 0, "\(highest.stderr)")
    }

    @Test("no page or CSV of the published site holds a full license key; license show prints it on the laptop")
    func licenseKeysNotPublished() throws {
        try Self.require(try outpost(["node", "provision", dir.path("node"), "--builtin"], at: "2026-02-01T10:00:00Z"))
        try Self.require(try outpost(["sync", "--quiet"], at: "2026-02-01T11:00:00Z"))
        let listed = try outpost(["license", "list", "--json"], at: "2026-02-01T11:00:00Z")
        let license = try #require(try JSONValue(parsing: listed.stdout).arrayValue?.first)
        let id = try #require(license["id"]?.stringValue)
        let masked = try #require(license["license_key"]?.stringValue)
        let shown = try outpost(["license", "show", String(id.prefix(12)), "--json"], at: "2026-02-01T11:00:00Z")
        #expect(shown.status == 0, "\(shown.stderr)")
        let key = try #require(try JSONValue(parsing: shown.stdout)["license_key"]?.stringValue)
        #expect(key.count == 29 && masked == "••••-" + key.suffix(4), "\(key) \(masked)")
        let text = try outpost(["license", "list"], at: "2026-02-01T11:00:00Z")
        #expect(text.stdout.contains(masked) && !text.stdout.contains(key))

        // Every file of the site, the builder's hidden ones too.
        var files = 0
        let site = dir.path("r/site")
        let walker = FileManager.default.enumerator(atPath: site)
        while let name = walker?.nextObject() as? String {
            guard let data = FileManager.default.contents(atPath: site + "/" + name) else { continue }
            files += 1
            #expect(data.range(of: Data(key.utf8)) == nil, "\(name) holds the full key")
        }
        #expect(files > 20)
        let page = try String(contentsOfFile: site + "/licenses/index.html", encoding: .utf8)
        #expect(page.contains(masked))
        let csv = try String(contentsOfFile: site + "/licenses/licenses.csv", encoding: .utf8)
        #expect(csv.contains(masked))
    }

    @Test("an invoice voided on the node reaches the laptop as void with its reason; a paid one is not voided")
    func voidReachesTheReplica() throws {
        let node = dir.path("node")
        try Self.require(try outpost(["node", "provision", node, "--builtin"], at: "2026-02-01T10:00:00Z"))
        let voided = try outpost(["node", "invoice", "void", "INV-000002", "--reason", "ordered twice by mistake", "--node", node], at: "2026-02-02T10:00:00Z")
        #expect(voided.status == 0, "\(voided.stderr)")
        try Self.require(try outpost(["sync", "--quiet"], at: "2026-02-02T11:00:00Z"))
        let shown = try outpost(["invoice", "show", "INV-000002"], at: "2026-02-02T11:00:00Z")
        #expect(shown.stdout.contains("Void since 2026-02-02T10:00:00Z: ordered twice by mistake; nothing is owed"), "\(shown.stdout)")
        #expect(shown.stdout.contains("outstanding 0.00 EUR: void"))
        let unpaid = try outpost(["invoice", "list", "--unpaid", "--json"], at: "2026-02-02T11:00:00Z")
        #expect(try JSONValue(parsing: unpaid.stdout).arrayValue?.compactMap { $0["invoice"]?["number"]?.stringValue } == ["INV-000001"])
        let invoiceId = try #require(try Database(path: dir.path("r/replica.sqlite"), mode: .readOnly)
            .scalar("SELECT id FROM invoice WHERE number = 'INV-000002'")?.string)
        let page = try String(contentsOfFile: dir.path("r/site/" + PublishedSite.invoicePage(invoiceId)), encoding: .utf8)
        #expect(page.contains("ordered twice by mistake"))

        try Self.require(try outpost(["payment", "record", "--invoice", "INV-000001", "--amount", "10.00"], at: "2026-02-02T12:00:00Z"))
        try Self.require(try outpost(["sync", "--no-site", "--quiet"], at: "2026-02-02T12:00:00Z"))
        let paid = try outpost(["node", "invoice", "void", "INV-000001", "--reason", "mistake", "--node", node], at: "2026-02-02T13:00:00Z")
        #expect(paid.status == 65)
        #expect(paid.stderr.contains("has 1 payment(s) recorded"), "\(paid.stderr)")
        let credited = try outpost(["node", "invoice", "credit", "INV-000001", "--reason", "goodwill", "--amount", "5.00", "--node", node], at: "2026-02-02T13:00:00Z")
        #expect(credited.status == 0, "\(credited.stderr)")
        #expect(credited.stdout.contains("Credit note CRN-000001 of 5.00 EUR issued against invoice INV-000001"), "\(credited.stdout)")
    }
}
