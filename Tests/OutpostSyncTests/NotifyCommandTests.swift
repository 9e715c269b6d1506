import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif
import OutpostModel
import OutpostStore
import OutpostTestSupport
import OutpostTestThreads

/// `outpost node notify` run as cron or a timer runs it: the built binary, real files, real exit codes.
@Suite("node notify with real processes", .ownThreads)
struct NotifyCommandTests {
    let dir: TemporaryDirectory
    let customer: String

    /// A node and a replica of reseller acme (billing@acme.example) whose customer bought Microsoft 365 on
    /// 2026-02-01: invoice INV-000001, 68.43 EUR, due 2026-03-03.
    init() throws {
        dir = try TemporaryDirectory("outpost-notify")
        let setup: [[String]] = [
            ["node", "init", dir.path("node")],
            ["node", "plans", "import", "--builtin", "--node", dir.path("node")],
            ["node", "reseller", "add", "acme", "--name", "Acme Cloud", "--node", dir.path("node")],
        ]
        for arguments in setup { try Self.require(try OutpostBinary.run(arguments, environment: ["OUTPOST_NOW": "2026-02-01T09:00:00Z"], in: dir.url)) }
        let token = try OutpostBinary.run(["node", "token", "issue", "--reseller", "acme", "--user", "anna", "--node", dir.path("node")],
                                          environment: ["OUTPOST_NOW": "2026-02-01T09:00:00Z"], in: dir.url)
        try token.stdout.write(toFile: dir.path("token"), atomically: false, encoding: .utf8)
        let env = ["OUTPOST_NOW": "2026-02-01T09:00:00Z", "OUTPOST_REPLICA": dir.path("r")]
        try Self.require(try OutpostBinary.run(["init", "--node", dir.path("node"), "--reseller", "acme", "--token-file", dir.path("token")], environment: env, in: dir.url))
        try Self.require(try OutpostBinary.run(["sync", "--no-site", "--quiet"], environment: env, in: dir.url))
        try Self.require(try OutpostBinary.run(["settings", "set", "--email", "billing@acme.example", "--tax-rate", "19"], environment: env, in: dir.url))
        let added = try OutpostBinary.run(["customer", "add", "--name", "Zürich Dental AG", "--email", "it@zuerich-dental.example", "--json"], environment: env, in: dir.url)
        customer = try #require(try JSONValue(parsing: added.stdout)["id"]?.stringValue)
        try Self.require(try OutpostBinary.run(["order", "place", "--customer", customer, "--plan", "pln_m365-business-basic-m", "--quantity", "10"], environment: env, in: dir.url))
        try Self.require(try OutpostBinary.run(["sync", "--no-site", "--quiet"], environment: env, in: dir.url))
        try Self.require(try OutpostBinary.run(["node", "provision", dir.path("node"), "--builtin"], environment: env, in: dir.url))
        try FileManager.default.createDirectory(atPath: dir.path("outbox"), withIntermediateDirectories: false)
    }

    static func require(_ result: OutpostBinary.Result, sourceLocation: SourceLocation = #_sourceLocation) throws {
        try #require(result.status == 0, "\(result.stderr)", sourceLocation: sourceLocation)
    }

    func outpost(_ arguments: [String], at now: String) throws -> OutpostBinary.Result {
        try OutpostBinary.run(arguments, environment: ["OUTPOST_NOW": now, "OUTPOST_REPLICA": dir.path("r")], in: dir.url)
    }

    func emlFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path("outbox")).filter { $0.hasSuffix(".eml") }.sorted()
    }

    func recorded() throws -> Int64 {
        try Database(path: dir.path("node/tenants/acme.sqlite"), mode: .readOnly).scalar("SELECT count(*) FROM notification")?.int64 ?? -1
    }

    @Test(.timeLimit(.minutes(20)))
    func twiceProducesEachNoticeOnceAndTheCustomerPageShowsIt() throws {
        let first = try outpost(["node", "notify", dir.path("node"), "--outbox", dir.path("outbox")], at: "2026-02-24T06:00:00Z")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("Invoice INV-000001 is due in 7 days"))
        #expect(first.stdout.contains("Notices for 2026-02-24: 1 written to \(dir.path("outbox")), 0 skipped, 0 failed."))
        let second = try outpost(["node", "notify", dir.path("node"), "--outbox", dir.path("outbox")], at: "2026-02-24T06:05:00Z")
        #expect(second.status == 0)
        #expect(second.stdout == "No notices due on 2026-02-24.\n")
        #expect(try emlFiles().count == 1)
        #expect(try recorded() == 1)
        let message = try String(contentsOfFile: dir.path("outbox/" + (try emlFiles()[0])), encoding: .utf8)
        #expect(message.contains("\r\nTo: =?utf-8?B?WsO8cmljaCBEZW50YWwgQUc=?= <it@zuerich-dental.example>\r\n"))
        #expect(message.contains("  Total        68.43 EUR\r\n"))

        // The replica pulls the record with its next sync, and the customer's page shows it.
        let sync = try outpost(["sync", "--quiet"], at: "2026-02-24T09:00:00Z")
        #expect(sync.status == 0, "\(sync.stderr)")
        #expect(try Database(path: dir.path("r/replica.sqlite"), mode: .readOnly).scalar("SELECT count(*) FROM notification") == .integer(1))
        let page = try String(contentsOfFile: dir.path("r/site/" + PublishedSite.customerPage(customer)), encoding: .utf8)
        #expect(page.contains("<a href=\"#notifications\">Notifications</a>") || page.contains("#notifications\">Notifications</a>"))
        let section = try #require(page.range(of: "id=\"notifications\"").map { String(page[$0.lowerBound...]) })
        #expect(section.contains("2026-02-24 06:00 UTC"))
        #expect(section.contains("Invoice due"))
        #expect(section.contains(">INV-000001</a>"))
        #expect(section.contains("7 days before 2026-03-03"))
        #expect(section.contains("Invoice INV-000001 is due in 7 days"))

        // Quiet and JSON, for timers and scripts.
        let quiet = try outpost(["node", "notify", dir.path("node"), "--outbox", dir.path("outbox"), "--quiet"], at: "2026-03-02T06:00:00Z")
        #expect(quiet.status == 0 && quiet.stdout.isEmpty && quiet.stderr.isEmpty, "\(quiet.stdout)\(quiet.stderr)")
        #expect(try emlFiles().count == 2)
        let json = try outpost(["node", "notify", dir.path("node"), "--outbox", dir.path("outbox"), "--json"], at: "2026-03-04T06:00:00Z")
        #expect(json.status == 0)
        let outcomes = try #require(try JSONValue(parsing: json.stdout).arrayValue)
        #expect(outcomes.map { $0["kind"]?.stringValue } == ["invoice_overdue"])
        #expect(outcomes.first?["status"]?.stringValue == "sent")
        #expect(outcomes.first?["subject"]?.stringValue == "Invoice INV-000001 is 1 day overdue")
        #expect(outcomes.first?["notice_date"]?.stringValue == "2026-03-04")
    }

    @Test(.timeLimit(.minutes(20)))
    func aBrokenResellerDoesNotKeepTheOthersNoticesBack() throws {
        // Reseller "ab" runs before "acme", and its database has lost a table.
        try Self.require(try outpost(["node", "reseller", "add", "ab", "--name", "Broken", "--node", dir.path("node")], at: "2026-02-24T05:00:00Z"))
        try Database(path: dir.path("node/tenants/ab.sqlite")).execute("DROP TABLE settings")
        let run = try outpost(["node", "notify", dir.path("node"), "--outbox", dir.path("outbox")], at: "2026-02-24T06:00:00Z")
        #expect(run.status == 75, "\(run.stderr)")
        #expect(run.stdout.contains("Invoice INV-000001 is due in 7 days"), "acme's notice is sent and shown")
        #expect(run.stderr.contains("Reseller ab was not finished:"), "\(run.stderr)")
        #expect(run.stderr.contains("1 reseller(s) not finished; their notices are tried again on the next run"))
        #expect(try emlFiles().count == 1)
        #expect(try recorded() == 1)
    }

    @Test(.timeLimit(.minutes(20)))
    func sendmailFailsCleanlyAndIsRetried() throws {
        let notify = ["node", "notify", dir.path("node"), "--sendmail"]
        let down = try outpost(notify + ["--sendmail-command", "echo 'queue file write error' >&2; exit 75"], at: "2026-02-24T06:00:00Z")
        #expect(down.status == 75, "\(down.stderr)")
        #expect(down.stderr.contains("Error: 1 notice(s) not sent ('echo 'queue file write error' >&2; exit 75' exited with status 75: queue file write error); they are tried again on the next run"))
        #expect(try recorded() == 0)
        let missing = try outpost(notify + ["--sendmail-command", dir.path("no-such-sendmail") + " -t"], at: "2026-02-24T06:10:00Z")
        #expect(missing.status == 78, "\(missing.stderr)")
        #expect(missing.stderr.contains("cannot be run (status 127)"))
        #expect(try recorded() == 0)
        let working = try outpost(notify + ["--sendmail-command", "cat > '\(dir.path("mail.txt"))'"], at: "2026-02-24T06:20:00Z")
        #expect(working.status == 0, "\(working.stderr)")
        #expect(working.stdout.contains("1 handed to sendmail"))
        #expect(try recorded() == 1)
        let mail = try String(contentsOfFile: dir.path("mail.txt"), encoding: .utf8)
        #expect(mail.contains("\nSubject: Invoice INV-000001 is due in 7 days\n") && !mail.contains("\r"))
        #expect(try outpost(notify + ["--sendmail-command", "exit 1"], at: "2026-02-24T07:00:00Z").status == 0, "nothing left to send")
    }

    @Test(.timeLimit(.minutes(20)))
    func badInputIsRefusedAndWritesNothing() throws {
        let now = "2026-02-24T06:00:00Z"
        let node = dir.path("node")
        try "not a directory".write(toFile: dir.path("a-file"), atomically: false, encoding: .utf8)
        let cases: [(arguments: [String], status: Int32, message: String)] = [
            (["node", "notify", dir.path("nowhere"), "--outbox", dir.path("outbox")], 66, "no node at"),
            (["node", "notify", node, "--outbox", dir.path("missing")], 73, "the outbox \(dir.path("missing")) does not exist"),
            (["node", "notify", node, "--outbox", dir.path("a-file")], 73, "is not a directory"),
            (["node", "notify", node], 64, "say where the notices go: --outbox DIR or --sendmail"),
            (["node", "notify", node, "--outbox", dir.path("outbox"), "--sendmail"], 64, "not both"),
            (["node", "notify", node, "--outbox", dir.path("outbox"), "--sendmail-command", "cat"], 64, "--sendmail-command only applies with --sendmail"),
            (["node", "notify", node, "--outbox", dir.path("outbox"), "--form", "x@example.com"], 64, "--from"),
            (["node", "notify", node, "--outbox", dir.path("outbox"), "--from", "not an address"], 65, "--from 'not an address' is not an e-mail address"),
            (["node", "notify", node, "--outbox", dir.path("outbox"), "--reseller", "nobody"], 65, "no reseller nobody"),
        ]
        for (arguments, status, message) in cases {
            let result = try outpost(arguments, at: now)
            #expect(result.status == status, "\(arguments.dropFirst(3)): \(result.stderr)")
            #expect(result.stderr.contains(message), "\(arguments.dropFirst(3)): \(result.stderr)")
        }
        #expect(try emlFiles().isEmpty)
        #expect(try recorded() == 0)
        #expect(!FileManager.default.fileExists(atPath: dir.path("missing")))

        // Another run holding the node's lock: 75, try later.
        let lock = open(dir.path("node/notify.lock"), O_RDWR | O_CREAT, 0o644)
        defer { close(lock) }
        #expect(flock(lock, LOCK_EX | LOCK_NB) == 0)
        let busy = try outpost(["node", "notify", node, "--outbox", dir.path("outbox")], at: now)
        #expect(busy.status == 75)
        #expect(busy.stderr.contains("another outpost node notify is running"))
        #expect(try emlFiles().isEmpty)
    }
}
