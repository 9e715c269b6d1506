import Foundation
import OutpostTestSupport
import Testing
import OutpostTestThreads

/// A reseller's ordinary week, played as its people would with real processes:
/// a node served over HTTP, Anna's and Ben's laptops, a vendor hook that logs
/// every call, the back office run by hand. Each step checks a behaviour that
/// once hurt someone (issue 12): dry-runs that write nothing, a billing date
/// typed a year ahead, a hook called for an order that could not complete,
/// a completed answer lost, an older edit overwriting a newer one, conflicts
/// that could never be cleared.
@Suite("A reseller's week with real processes", .ownThreads, .timeLimit(.minutes(20)))
struct ResellerWeekTests: ClockedScenario {
    let dir: TemporaryDirectory
    var node: String { dir.path("node") }

    init() throws {
        dir = try TemporaryDirectory("outpost-week")
    }

    /// The lines the hook logged: one JSON request per call.
    func hookCalls() -> [[String: Any]] {
        let text = (try? String(contentsOfFile: dir.path("hook.log"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    @Test("Monday to Friday: nothing hurts by accident, conflicts are truthful and can be settled")
    func week() throws {
        try #require(OutpostBinary.url != nil, "the outpost binary is built")
        let monday = "2026-02-02T08:00:00Z"

        // The node, with a reseller, its two people, served over HTTP.
        try outpost(["node", "init", node], at: monday)
        try outpost(["node", "plans", "import", "--builtin", "--node", node], at: monday)
        try outpost(["node", "reseller", "add", "acme", "--name", "Acme Cloud", "--currency", "EUR", "--node", node], at: monday)
        for user in ["anna", "ben"] {
            let token = try outpost(["node", "token", "issue", "--reseller", "acme", "--user", user, "--node", node], at: monday)
            try token.stdout.write(toFile: dir.path("\(user).token"), atomically: false, encoding: .utf8)
        }
        // The node's clock is the end of the week: every edit below arrives before it.
        let served = try ServedNodeProcess(node: node, environment: ["OUTPOST_NOW": "2026-02-06T18:00:00Z"], in: dir.url)
        defer { served.stop() }

        // A mistyped reseller is refused before any replica exists.
        try outpost(["init", "--replica", dir.path("typo"), "--node", served.url, "--reseller", "acmee", "--token-file", dir.path("anna.token")],
                    at: monday, expect: 77)
        #expect(!FileManager.default.fileExists(atPath: dir.path("typo/replica.sqlite")))

        // Anna and Ben join: the node's settings are taken, so the first sync has nothing to settle.
        for user in ["anna", "ben"] {
            try outpost(["init", "--replica", dir.path(user), "--node", served.url, "--reseller", "acme", "--token-file", dir.path("\(user).token")],
                        at: monday)
            try outpost(["sync", "--replica", dir.path(user), "--no-site"], at: monday)
            let conflicts = try json(["conflicts", "--replica", dir.path(user)], at: monday) as? [Any]
            #expect(conflicts?.isEmpty == true, "\(user) joined without a conflict: \(String(describing: conflicts))")
        }

        // Monday: Anna adds two customers and orders for them, by name and by plan slug.
        try outpost(["customer", "add", "--name", "Contoso GmbH", "--email", "it@contoso.example", "--country", "DE", "--replica", dir.path("anna")], at: monday)
        try outpost(["customer", "add", "--name", "Fabrikam Legal", "--email", "it@fabrikam.example", "--country", "GB", "--replica", dir.path("anna")], at: monday)
        try outpost(["order", "place", "--customer", "Contoso", "--plan", "m365-business-basic-m", "--quantity", "5", "--replica", dir.path("anna")], at: monday)
        try outpost(["order", "place", "--customer", "Fabrikam", "--plan", "office-ltsc-std-2024", "--quantity", "2", "--replica", dir.path("anna")], at: monday)
        try outpost(["sync", "--replica", dir.path("anna"), "--no-site"], at: monday)

        // The vendor hook logs every request and answers "completed".
        let hook = dir.path("hook.sh")
        try """
            #!/bin/sh
            request=$(cat)
            printf '%s\\n' "$request" >> '\(dir.path("hook.log"))'
            echo '{"status": "completed", "license_key": "LIC-7Q2W-9XKP-TR4M-ZB61"}'
            """.write(toFile: hook, atomically: false, encoding: .utf8)
        chmod(hook, 0o755)

        // A dry-run of provisioning says what it would send to the hook, and writes nothing.
        let tuesday = "2026-02-03T09:00:00Z"
        var before = try NodeSnapshot.take(node: node)
        let rehearsal = try outpost(["node", "provision", node, "--hook", hook, "--dry-run"], at: tuesday)
        #expect(rehearsal.stdout.contains("ORD-000001") && rehearsal.stdout.contains("ORD-000002"), "\(rehearsal.stdout)")
        #expect(try NodeSnapshot.take(node: node) == before, "provision --dry-run wrote nothing")
        #expect(hookCalls().isEmpty, "provision --dry-run called no hook")

        // Without a hook or --builtin, provisioning says what to give it.
        let bare = try outpost(["node", "provision", node], at: tuesday, expect: 64)
        #expect(bare.stderr.contains("--hook") && bare.stderr.contains("--builtin"), "\(bare.stderr)")

        // Tuesday: Ben suspends Fabrikam before the node provisions. Its order is refused without calling the vendor.
        try outpost(["sync", "--replica", dir.path("ben"), "--no-site"], at: tuesday)
        try outpost(["customer", "suspend", "Fabrikam", "--replica", dir.path("ben")], at: tuesday)
        try outpost(["sync", "--replica", dir.path("ben"), "--no-site"], at: tuesday)
        // Exit 1: an order failed and needs a person.
        try outpost(["node", "provision", node, "--hook", hook], at: tuesday, expect: 1)
        var calls = hookCalls()
        #expect(calls.count == 1, "only Contoso's order reached the vendor: \(calls)")
        let contosoKey = try #require(calls.first?["idempotency_key"] as? String, "the hook's request has an idempotency key")
        try outpost(["sync", "--replica", dir.path("anna"), "--no-site"], at: tuesday)
        let fabrikamOrder = try outpost(["order", "show", "ORD-000002", "--replica", dir.path("anna")], at: tuesday)
        #expect(fabrikamOrder.stdout.contains("failed") && fabrikamOrder.stdout.contains("suspended"), "\(fabrikamOrder.stdout)")

        // Resubmitting a completed order, or one that never failed, is refused by number.
        try outpost(["node", "order", "resubmit", "ORD-000001", "--node", node], at: tuesday, expect: 65)

        // Wednesday: Fabrikam is active again; its order is resubmitted by number. While the vendor
        // works on it, Ben suspends Fabrikam again: the vendor's "completed" cannot be applied, and is kept.
        let wednesday = "2026-02-04T09:00:00Z"
        try outpost(["customer", "activate", "Fabrikam", "--replica", dir.path("anna")], at: wednesday)
        try outpost(["sync", "--replica", dir.path("anna"), "--no-site"], at: wednesday)
        try outpost(["node", "order", "resubmit", "ORD-000002", "--node", node], at: wednesday)
        try outpost(["sync", "--replica", dir.path("ben"), "--no-site"], at: wednesday)
        let racingHook = dir.path("racing-hook.sh")
        try """
            #!/bin/sh
            request=$(cat)
            printf '%s\\n' "$request" >> '\(dir.path("hook.log"))'
            OUTPOST_NOW=\(wednesday) '\(OutpostBinary.url!.path)' customer suspend Fabrikam --replica '\(dir.path("ben"))' >&2
            OUTPOST_NOW=\(wednesday) '\(OutpostBinary.url!.path)' sync --no-site --replica '\(dir.path("ben"))' >&2
            echo '{"status": "completed", "license_key": "LIC-3F9A-K2M8-PQ7R-88AC"}'
            """.write(toFile: racingHook, atomically: false, encoding: .utf8)
        chmod(racingHook, 0o755)
        try outpost(["node", "provision", node, "--hook", racingHook], at: wednesday, expect: 1)
        calls = hookCalls()
        #expect(calls.count == 2)
        let fabrikamKey = try #require(calls.last?["idempotency_key"] as? String)
        #expect(fabrikamKey != contosoKey)
        try outpost(["sync", "--replica", dir.path("anna"), "--no-site"], at: wednesday)
        let notApplied = try outpost(["order", "show", "ORD-000002", "--replica", dir.path("anna")], at: wednesday)
        #expect(notApplied.stdout.contains("completed at vendor, not applied"), "\(notApplied.stdout)")

        // Resubmitting it never calls the vendor again: once Fabrikam is active, the recorded answer is applied.
        try outpost(["customer", "activate", "Fabrikam", "--replica", dir.path("anna")], at: wednesday)
        try outpost(["sync", "--replica", dir.path("anna"), "--no-site"], at: wednesday)
        try outpost(["node", "order", "resubmit", "ORD-000002", "--node", node], at: wednesday)
        try outpost(["node", "provision", node, "--hook", hook], at: wednesday)
        #expect(hookCalls().count == 2, "the vendor was not asked again")
        try outpost(["sync", "--replica", dir.path("anna"), "--no-site"], at: wednesday)
        let licenses = try #require(try json(["license", "list", "--replica", dir.path("anna")], at: wednesday) as? [[String: Any]])
        #expect(licenses.count == 1, "the recorded answer made Fabrikam's license")
        let license = try outpost(["license", "show", try #require(licenses.first?["id"] as? String), "--replica", dir.path("anna")], at: wednesday)
        #expect(license.stdout.contains("LIC-3F9A-K2M8-PQ7R-88AC"), "the laptop shows the full key: \(license.stdout)")

        // Thursday: billing. A year ahead by a typo is refused, naming both dates; a dry-run writes nothing.
        let thursday = "2026-02-05T09:00:00Z"
        before = try NodeSnapshot.take(node: node)
        let typo = try outpost(["node", "bill", node, "--through", "2027-02-05"], at: thursday, expect: 65)
        #expect(typo.stderr.contains("2027-02-05") && typo.stderr.contains("2026-02-19"), "\(typo.stderr)")
        #expect(try NodeSnapshot.take(node: node) == before, "a refused billing run wrote nothing")
        let billRehearsal = try outpost(["node", "bill", node, "--through", "2026-02-10", "--dry-run"], at: thursday)
        #expect(!billRehearsal.stdout.isEmpty)
        try outpost(["node", "notify", node, "--outbox", dir.path("outbox"), "--dry-run"], at: thursday)
        #expect(try NodeSnapshot.take(node: node) == before, "bill and notify dry-runs wrote nothing")
        let outbox = (try? FileManager.default.contentsOfDirectory(atPath: dir.path("outbox"))) ?? []
        #expect(outbox.isEmpty, "notify --dry-run sent nothing: \(outbox)")

        // A wrongly issued invoice is voided on the node; its number stays, the laptops see it.
        let invoices = try #require(try json(["invoice", "list", "--replica", dir.path("anna")], at: thursday) as? [[String: Any]])
        #expect(!invoices.isEmpty)
        try outpost(["node", "invoice", "void", "INV-000001", "--reason", "issued twice by mistake", "--node", node], at: thursday)
        try outpost(["node", "invoice", "void", "INV-000001", "--reason", "again", "--node", node], at: thursday, expect: 65)
        try outpost(["sync", "--replica", dir.path("anna"), "--no-site"], at: thursday)
        let void = try outpost(["invoice", "show", "INV-000001", "--replica", dir.path("anna")], at: thursday)
        #expect(void.stdout.contains("void") && void.stdout.contains("issued twice by mistake"), "\(void.stdout)")

        // Thursday: Anna edits Contoso's phone at 10:00, Ben at 09:00, both offline. Anna syncs, then Ben.
        try outpost(["sync", "--replica", dir.path("ben"), "--no-site"], at: thursday)
        try outpost(["customer", "edit", "Contoso", "--phone", "+49 30 1000", "--replica", dir.path("anna")], at: "2026-02-05T10:00:00Z")
        try outpost(["customer", "edit", "Contoso", "--phone", "+49 30 0900", "--replica", dir.path("ben")], at: "2026-02-05T09:00:00Z")
        try outpost(["sync", "--replica", dir.path("anna"), "--no-site"], at: "2026-02-05T11:00:00Z")
        // Ben's edit is the older one: it loses, and Ben is told which field and both values, with exit 1.
        let lost = try outpost(["sync", "--replica", dir.path("ben"), "--no-site"], at: "2026-02-05T11:05:00Z", expect: 1)
        let told = lost.stdout + lost.stderr
        #expect(told.contains("phone") && told.contains("+49 30 0900") && told.contains("+49 30 1000"), "\(told)")
        // Anna's edit was kept: her next sync is green.
        try outpost(["sync", "--replica", dir.path("anna"), "--no-site"], at: "2026-02-05T11:10:00Z")
        for user in ["anna", "ben"] {
            let customer = try #require(try json(["customer", "show", "Contoso", "--replica", dir.path(user)], at: thursday) as? [String: Any])
            let phone = (customer["customer"] as? [String: Any])?["phone"] ?? customer["phone"]
            #expect(phone as? String == "+49 30 1000", "\(user)'s laptop has the later edit")
            let records = try #require(try json(["conflicts", "--replica", dir.path(user)], at: thursday) as? [[String: Any]])
            #expect(records.count == 1, "\(user): \(records)")
        }
        let bensView = try outpost(["conflicts", "--replica", dir.path("ben")], at: thursday)
        #expect(bensView.stdout.contains("your edit \"+49 30 0900\"") && bensView.stdout.contains("was overwritten by anna's later edit \"+49 30 1000\""),
                "\(bensView.stdout)")
        let annasView = try outpost(["conflicts", "--replica", dir.path("anna")], at: thursday)
        #expect(annasView.stdout.contains("your edit \"+49 30 1000\"") && annasView.stdout.contains("was kept over ben's edit \"+49 30 0900\""),
                "\(annasView.stdout)")

        // Until someone settles it, monitoring is red on both laptops.
        try outpost(["status", "--check", "--replica", dir.path("anna")], at: thursday, expect: 1)
        try outpost(["status", "--check", "--replica", dir.path("ben")], at: thursday, expect: 1)

        // Friday: Ben reviews it and keeps Anna's value. Settled once; a second time, or an unknown id, is refused.
        let friday = "2026-02-06T09:00:00Z"
        let open = try #require(try json(["conflicts", "--replica", dir.path("ben")], at: friday) as? [[String: Any]])
        let conflictId = try #require(open.first?["id"] as? String)
        try outpost(["conflicts", "resolve", conflictId, "--keep", "theirs", "--replica", dir.path("ben")], at: friday)
        try outpost(["conflicts", "resolve", conflictId, "--keep", "theirs", "--replica", dir.path("ben")], at: friday, expect: 65)
        try outpost(["conflicts", "resolve", "cfl_nonexistent", "--keep", "mine", "--replica", dir.path("ben")], at: friday, expect: 65)
        try outpost(["sync", "--replica", dir.path("ben"), "--no-site"], at: friday)
        try outpost(["sync", "--replica", dir.path("anna"), "--no-site"], at: friday)
        for user in ["anna", "ben"] {
            try outpost(["status", "--check", "--replica", dir.path(user)], at: friday)
            try outpost(["verify", "--replica", dir.path(user)], at: friday)
        }

        // The dashboards a file server publishes never hold a full license key.
        try outpost(["sync", "--replica", dir.path("anna")], at: friday)
        let site = dir.url.appendingPathComponent("anna/site")
        let files = try #require(FileManager.default.enumerator(at: site, includingPropertiesForKeys: nil)?.allObjects as? [URL])
        #expect(files.contains { $0.lastPathComponent == "index.html" })
        for file in files where !file.hasDirectoryPath {
            let bytes = (try? Data(contentsOf: file)) ?? Data()
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(!text.contains("LIC-3F9A-K2M8-PQ7R-88AC"), "\(file.path) publishes a full license key")
        }
    }
}
