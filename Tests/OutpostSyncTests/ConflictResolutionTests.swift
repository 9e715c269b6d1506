import Foundation
import Testing
import OutpostTestSupport
import OutpostTestThreads

/// Two field reps, Anna and Ben, edit the same field offline; every step a real
/// `outpost` process with its own pinned clock, as the issue reported it.
@Suite("Conflicts people can settle", .ownThreads)
struct ConflictResolutionTests {
    let dir: TemporaryDirectory

    init() throws {
        dir = try TemporaryDirectory("outpost-conflicts")
    }

    @discardableResult
    func outpost(_ arguments: [String], replica: String? = nil, at now: String = "2026-03-02T08:00:00Z", expect status: Int32 = 0,
                 sourceLocation: SourceLocation = #_sourceLocation) throws -> OutpostBinary.Result {
        let args = arguments + (replica.map { ["--replica", dir.path($0)] } ?? [])
        let result = try OutpostBinary.run(args, environment: ["OUTPOST_NOW": now, "OUTPOST_NODE": dir.path("node")], in: dir.url)
        #expect(result.status == status, "outpost \(args.joined(separator: " ")): \(result.stdout) \(result.stderr)", sourceLocation: sourceLocation)
        return result
    }

    func json(_ arguments: [String], replica: String, at now: String = "2026-03-02T08:00:00Z") throws -> Any {
        try JSONSerialization.jsonObject(with: Data(try outpost(arguments + ["--json"], replica: replica, at: now).stdout.utf8))
    }

    func conflicts(_ replica: String, all: Bool = false) throws -> [[String: Any]] {
        try #require(try json(["conflicts"] + (all ? ["--all"] : []), replica: replica) as? [[String: Any]])
    }

    func phone(_ customer: String, on replica: String) throws -> String? {
        let shown = try #require(try json(["customer", "show", customer], replica: replica) as? [String: Any])
        return (shown["customer"] as? [String: Any])?["phone"] as? String
    }

    /// A node, Anna's and Ben's replicas (each with their own token), and a customer both know; returns its id.
    func setUp() throws -> String {
        try #require(OutpostBinary.url != nil, "the outpost binary is built")
        try outpost(["node", "init", dir.path("node")])
        try outpost(["node", "plans", "import", "--builtin"])
        try outpost(["node", "reseller", "add", "acme", "--name", "Acme Cloud"])
        for user in ["anna", "ben"] {
            let token = try outpost(["node", "token", "issue", "--reseller", "acme", "--user", user]).stdout
            try token.write(toFile: dir.path("\(user).token"), atomically: false, encoding: .utf8)
            try outpost(["init", "--node", dir.path("node"), "--reseller", "acme", "--token-file", dir.path("\(user).token")], replica: user)
        }
        let created = try json(["customer", "add", "--name", "Contoso Dental", "--country", "DE"], replica: "anna")
        let customer = try #require((created as? [String: Any])?["id"] as? String)
        try outpost(["sync", "--no-site"], replica: "anna")
        try outpost(["sync", "--no-site"], replica: "ben")
        return customer
    }

    @Test func theLaterEditWinsEvenWhenItArrivesFirstAndTheLoserIsToldOnce() throws {
        let customer = try setUp()
        // Anna edits at 10:00, Ben at 09:00; Anna syncs first, then Ben.
        try outpost(["customer", "edit", customer, "--phone", "+49 30 1111"], replica: "anna", at: "2026-03-02T10:00:00Z")
        try outpost(["customer", "edit", customer, "--phone", "+49 30 2222", "--city", "Berlin"], replica: "ben", at: "2026-03-02T09:00:00Z")
        try outpost(["sync", "--no-site"], replica: "anna", at: "2026-03-02T10:30:00Z")
        let ben = try outpost(["sync", "--no-site"], replica: "ben", at: "2026-03-02T10:31:00Z", expect: 1)
        let told = ben.stdout.split(separator: "\n").filter { $0.hasPrefix("Overwritten:") }
        #expect(told.count == 1, "one line for the one lost field: \(ben.stdout)")
        #expect(told.first.map { $0.contains("Contoso Dental") && $0.contains("phone") && $0.contains("+49 30 2222") && $0.contains("+49 30 1111") } == true,
                "the line names the entity, the field, Ben's value and the kept one: \(told)")
        #expect(ben.stderr.contains("overwritten"))
        // Anna's edit won: she is not told anything, and nobody hears it twice.
        try outpost(["sync", "--no-site"], replica: "anna", at: "2026-03-02T10:32:00Z")
        try outpost(["sync", "--no-site"], replica: "ben", at: "2026-03-02T10:33:00Z")

        for rep in ["anna", "ben"] {
            #expect(try phone(customer, on: rep) == "+49 30 1111", "\(rep) ends with the later edit")
            let shown = try #require(try json(["customer", "show", customer], replica: rep) as? [String: Any])
            #expect((shown["customer"] as? [String: Any])?["city"] as? String == "Berlin", "Ben's other field still applied")
            let records = try conflicts(rep)
            #expect(records.count == 1)
            let record = try #require(records.first)
            #expect(record["field"] as? String == "phone")
            #expect(record["kept_value"] as? String == "\"+49 30 1111\"")
            #expect(record["kept_user"] as? String == "anna")
            #expect(record["kept_at"] as? String == "2026-03-02T10:00:00Z")
            #expect(record["overwritten_value"] as? String == "\"+49 30 2222\"")
            #expect(record["overwritten_user"] as? String == "ben")
            #expect(record["overwritten_at"] as? String == "2026-03-02T09:00:00Z")
            #expect(record["reason"] as? String == "later_edit")
        }
        let annaText = try outpost(["conflicts"], replica: "anna").stdout
        #expect(annaText.contains("your edit \"+49 30 1111\"") && annaText.contains("was kept over ben's edit \"+49 30 2222\""), "\(annaText)")
        let benText = try outpost(["conflicts"], replica: "ben").stdout
        #expect(benText.contains("your edit \"+49 30 2222\"") && benText.contains("was overwritten by anna's later edit \"+49 30 1111\""), "\(benText)")
    }

    @Test func anEarlierEditOverwrittenByALaterArrivalIsToldOnItsNextSync() throws {
        let customer = try setUp()
        // Anna edits at 09:00 and syncs; Ben's 10:00 edit arrives later and wins; Anna learns it when she pulls.
        try outpost(["customer", "edit", customer, "--phone", "+49 30 1111"], replica: "anna", at: "2026-03-02T09:00:00Z")
        try outpost(["customer", "edit", customer, "--phone", "+49 30 2222"], replica: "ben", at: "2026-03-02T10:00:00Z")
        try outpost(["sync", "--no-site"], replica: "anna", at: "2026-03-02T10:30:00Z")
        try outpost(["sync", "--no-site"], replica: "ben", at: "2026-03-02T10:31:00Z")
        let anna = try outpost(["sync", "--no-site"], replica: "anna", at: "2026-03-02T10:32:00Z", expect: 1)
        #expect(anna.stdout.contains("phone") && anna.stdout.contains("your edit \"+49 30 1111\"")
                && anna.stdout.contains("was overwritten by ben's later edit \"+49 30 2222\""), "\(anna.stdout)")
        try outpost(["sync", "--no-site"], replica: "anna", at: "2026-03-02T10:33:00Z")
        #expect(try phone(customer, on: "anna") == "+49 30 2222")
    }

    @Test func aFastClockCountsAsMadeAtArrival() throws {
        let customer = try setUp()
        // Ben's laptop clock runs two hours ahead: his edit says 12:00 but reaches the node at 10:30.
        try outpost(["customer", "edit", customer, "--phone", "+49 30 2222"], replica: "ben", at: "2026-03-02T12:00:00Z")
        try outpost(["sync", "--no-site"], replica: "ben", at: "2026-03-02T10:30:00Z")
        // Anna, offline since before, edits at 10:40: later than Ben's edit counted at its arrival.
        try outpost(["customer", "edit", customer, "--phone", "+49 30 1111"], replica: "anna", at: "2026-03-02T10:40:00Z")
        try outpost(["sync", "--no-site"], replica: "anna", at: "2026-03-02T10:45:00Z")
        try outpost(["sync", "--no-site"], replica: "ben", at: "2026-03-02T10:50:00Z", expect: 1)
        for rep in ["anna", "ben"] { #expect(try phone(customer, on: rep) == "+49 30 1111") }
        let record = try #require(try conflicts("ben").first)
        #expect(record["overwritten_at"] as? String == "2026-03-02T10:30:00Z", "Ben's edit counted as made at its arrival")
        #expect(record["kept_user"] as? String == "anna")
        #expect(record["your_side"] as? String == "lost")
    }

    @Test func aResolvedConflictTurnsStatusCheckGreenAndStaysInTheHistory() throws {
        let customer = try setUp()
        try outpost(["customer", "edit", customer, "--phone", "+49 30 1111"], replica: "anna", at: "2026-03-02T10:00:00Z")
        try outpost(["customer", "edit", customer, "--phone", "+49 30 2222"], replica: "ben", at: "2026-03-02T09:00:00Z")
        try outpost(["sync", "--no-site"], replica: "anna", at: "2026-03-02T10:30:00Z")
        try outpost(["sync", "--no-site"], replica: "ben", at: "2026-03-02T10:31:00Z", expect: 1)
        try outpost(["sync", "--no-site"], replica: "anna", at: "2026-03-02T10:32:00Z")
        let check = "2026-03-02T10:40:00Z"
        for rep in ["anna", "ben"] {
            let red = try outpost(["status", "--check"], replica: rep, at: check, expect: 1)
            #expect(red.stderr.contains("1 open conflict"), "\(red.stderr)")
        }
        let id = try #require(try conflicts("ben").first?["id"] as? String)
        try outpost(["site", "build"], replica: "ben", at: check)
        let openHome = try String(contentsOfFile: dir.path("ben/site/index.html"), encoding: .utf8)
        #expect(openHome.contains("No changes rejected by the node and 1 open conflict to settle") && openHome.contains("was overwritten by anna"), "the home page lists it from Ben's side")

        // Bad input is refused before anything is queued.
        let queued = try outpost(["queue", "list", "--json"], replica: "ben", at: check).stdout
        let unknown = try outpost(["conflicts", "resolve", "cfl_NOSUCHCONFLICT", "--keep", "mine"], replica: "ben", at: check, expect: 65)
        #expect(unknown.stderr.contains("no open conflict matches 'cfl_NOSUCHCONFLICT'"), "\(unknown.stderr)")
        try outpost(["conflicts", "resolve", "--all"], replica: "ben", at: check, expect: 64)
        try outpost(["conflicts", "resolve", id, "--keep", "both"], replica: "ben", at: check, expect: 64)
        let badPhone = try outpost(["conflicts", "resolve", id, "--value", "call me!"], replica: "ben", at: check, expect: 65)
        #expect(badPhone.stderr.contains("phone"))
        #expect(try outpost(["queue", "list", "--json"], replica: "ben", at: check).stdout == queued, "nothing was queued")

        // Ben keeps his own value, by a prefix of the id; a second try is refused.
        try outpost(["conflicts", "resolve", String(id.prefix(12)), "--keep", "mine"], replica: "ben", at: check)
        let twice = try outpost(["conflicts", "resolve", id, "--keep", "theirs"], replica: "ben", at: check, expect: 65)
        #expect(twice.stderr.contains("already resolved"))
        try outpost(["sync", "--no-site"], replica: "ben", at: "2026-03-02T10:41:00Z")
        try outpost(["sync", "--no-site"], replica: "anna", at: "2026-03-02T10:42:00Z")
        for rep in ["anna", "ben"] {
            try outpost(["status", "--check"], replica: rep, at: "2026-03-02T10:45:00Z")
            #expect(try phone(customer, on: rep) == "+49 30 2222", "\(rep) has the value Ben kept")
            #expect(try conflicts(rep).isEmpty, "no open conflict on \(rep)")
            let history = try conflicts(rep, all: true)
            #expect(history.count == 1)
            #expect(history.first?["resolved_by"] as? String == "ben")
            #expect(history.first?["resolved_at"] as? String == check)
            #expect(history.first?["resolution"] as? String == "overwritten")
        }
        // Resolved on the node too: Anna cannot resolve it again.
        let again = try outpost(["conflicts", "resolve", id, "--keep", "mine"], replica: "anna", at: "2026-03-02T10:50:00Z", expect: 65)
        #expect(again.stderr.contains("already resolved") && again.stderr.contains("resolved by ben"), "\(again.stderr)")
        // The dashboards count only open conflicts.
        try outpost(["site", "build"], replica: "anna", at: "2026-03-02T10:50:00Z")
        let home = try String(contentsOfFile: dir.path("anna/site/index.html"), encoding: .utf8)
        #expect(home.contains("No rejected changes and no open conflicts."))
        let syncPage = try String(contentsOfFile: dir.path("anna/site/sync.html"), encoding: .utf8)
        #expect(syncPage.contains("No open conflicts.") && syncPage.contains("resolved by ben"))
    }

    @Test func pushAloneTellsTheLoserFromItsVerdictAndThePullDoesNotRepeatIt() throws {
        let customer = try setUp()
        try outpost(["customer", "edit", customer, "--phone", "+49 30 1111"], replica: "anna", at: "2026-03-02T10:00:00Z")
        try outpost(["customer", "edit", customer, "--phone", "+49 30 2222"], replica: "ben", at: "2026-03-02T09:00:00Z")
        try outpost(["sync", "--no-site"], replica: "anna", at: "2026-03-02T10:30:00Z")
        let pushed = try outpost(["push"], replica: "ben", at: "2026-03-02T10:31:00Z", expect: 1)
        #expect(pushed.stdout.contains("Overwritten:") && pushed.stdout.contains("phone") && pushed.stdout.contains("+49 30 2222")
                && pushed.stdout.contains("+49 30 1111"), "\(pushed.stdout)")
        let pulled = try outpost(["pull"], replica: "ben", at: "2026-03-02T10:32:00Z")
        #expect(!pulled.stdout.contains("Overwritten:"), "told once: \(pulled.stdout)")
        #expect(try phone(customer, on: "ben") == "+49 30 1111")
    }

    @Test func allResolvesEveryOpenConflictInOneReviewedBatch() throws {
        let customer = try setUp()
        try outpost(["customer", "edit", customer, "--phone", "+49 30 1111", "--city", "Berlin"], replica: "anna", at: "2026-03-02T10:00:00Z")
        try outpost(["customer", "edit", customer, "--phone", "+49 30 2222", "--city", "Bonn"], replica: "ben", at: "2026-03-02T09:00:00Z")
        try outpost(["sync", "--no-site"], replica: "anna", at: "2026-03-02T10:30:00Z")
        try outpost(["sync", "--no-site"], replica: "ben", at: "2026-03-02T10:31:00Z", expect: 1)
        #expect(try conflicts("ben").count == 2)
        try outpost(["conflicts", "resolve", "--all", "--keep", "theirs"], replica: "ben", at: "2026-03-02T10:40:00Z")
        try outpost(["sync", "--no-site"], replica: "ben", at: "2026-03-02T10:41:00Z")
        try outpost(["status", "--check"], replica: "ben", at: "2026-03-02T10:45:00Z")
        #expect(try phone(customer, on: "ben") == "+49 30 1111")
        #expect(try conflicts("ben", all: true).allSatisfy { $0["resolution"] as? String == "kept" })
        try outpost(["conflicts", "resolve", "--all", "--keep", "mine"], replica: "ben", at: "2026-03-02T10:46:00Z", expect: 65)
    }

    @Test func anAmbiguousPrefixListsTheOpenConflictsAndOnlyOpenOnesAreMatched() throws {
        let customer = try setUp()
        try outpost(["customer", "edit", customer, "--phone", "+49 30 1111", "--city", "Berlin"], replica: "anna", at: "2026-03-02T10:00:00Z")
        try outpost(["customer", "edit", customer, "--phone", "+49 30 2222", "--city", "Bonn"], replica: "ben", at: "2026-03-02T09:00:00Z")
        try outpost(["sync", "--no-site"], replica: "anna", at: "2026-03-02T10:30:00Z")
        try outpost(["sync", "--no-site"], replica: "ben", at: "2026-03-02T10:31:00Z", expect: 1)
        let open = try conflicts("ben")
        #expect(open.count == 2)
        let phoneId = try #require(open.first { $0["field"] as? String == "phone" }?["id"] as? String)
        let cityId = try #require(open.first { $0["field"] as? String == "city" }?["id"] as? String)
        let queued = try outpost(["queue", "list", "--json"], replica: "ben").stdout

        // Two open conflicts fit "cfl": a usage error (64) that lists both, as for every other entity; nothing queued.
        let ambiguous = try outpost(["conflicts", "resolve", "cfl", "--value", ""], replica: "ben", expect: 64)
        #expect(ambiguous.stderr.contains("'cfl' (ID) matches 2 open conflicts"), "\(ambiguous.stderr)")
        #expect(ambiguous.stderr.contains("  \(phoneId)  customer Contoso Dental  phone"), "\(ambiguous.stderr)")
        #expect(ambiguous.stderr.contains("  \(cityId)  customer Contoso Dental  city"), "\(ambiguous.stderr)")
        #expect(try outpost(["queue", "list", "--json"], replica: "ben").stdout == queued, "nothing was queued")

        // Once the phone conflict is settled, "cfl" names the one still open; the settled one is not a candidate.
        try outpost(["conflicts", "resolve", phoneId, "--keep", "theirs"], replica: "ben")
        let settled = try outpost(["conflicts", "resolve", "cfl", "--keep", "theirs"], replica: "ben")
        #expect(settled.stdout.contains("Resolved conflict \(cityId) (customer Contoso Dental (\(customer)) city)"), "\(settled.stdout)")

        // A settled one named in full says who settled it and when; a prefix of only settled ones names no open conflict.
        let twice = try outpost(["conflicts", "resolve", phoneId, "--keep", "mine"], replica: "ben", expect: 65)
        #expect(twice.stderr.contains("conflict \(phoneId) is already resolved by you (not yet synced) on 2026-03-02T08:00:00Z (kept \"+49 30 1111\")"),
                "\(twice.stderr)")
        let none = try outpost(["conflicts", "resolve", "cfl", "--keep", "mine"], replica: "ben", expect: 65)
        #expect(none.stderr.contains("no open conflict matches 'cfl' (ID)") && none.stderr.contains("outpost conflicts --all"), "\(none.stderr)")
    }
}
