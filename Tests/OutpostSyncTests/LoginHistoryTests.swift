import Foundation
import OutpostTestSupport
import Testing
import OutpostTestThreads

/// Login histories through real processes: a node served over HTTP, Anna's and
/// Ben's laptops. A sync by a token is its user's login; customer users' logins
/// are imported on the node and reach `customer-user show` and the customer's page.
@Suite("Login histories with real processes", .ownThreads, .timeLimit(.minutes(20)))
struct LoginHistoryTests: ClockedScenario {
    let dir: TemporaryDirectory
    var node: String { dir.path("node") }
    let friday = "2026-02-06T18:00:00Z"

    init() throws {
        dir = try TemporaryDirectory("outpost-logins")
    }

    func page(_ user: String, _ path: String) throws -> String {
        try String(contentsOfFile: dir.path("\(user)/site/\(path)"), encoding: .utf8)
    }

    func write(_ lines: [String], to name: String) throws -> String {
        try (lines.joined(separator: "\n") + "\n").write(toFile: dir.path(name), atomically: false, encoding: .utf8)
        return dir.path(name)
    }

    /// A node served over HTTP with reseller acme; Anna (a panel user) and Ben (a token only) have synced.
    func setUp() throws -> ServedNodeProcess {
        let monday = "2026-02-02T08:00:00Z"
        try outpost(["node", "init", node], at: monday)
        try outpost(["node", "plans", "import", "--builtin", "--node", node], at: monday)
        try outpost(["node", "reseller", "add", "acme", "--name", "Acme Cloud", "--node", node], at: monday)
        for user in ["anna", "ben"] {
            let token = try outpost(["node", "token", "issue", "--reseller", "acme", "--user", user, "--node", node], at: monday)
            try token.stdout.write(toFile: dir.path("\(user).token"), atomically: false, encoding: .utf8)
        }
        let served = try ServedNodeProcess(node: node, environment: ["OUTPOST_NOW": friday], in: dir.url)
        for user in ["anna", "ben"] {
            try outpost(["init", "--replica", dir.path(user), "--node", served.url, "--reseller", "acme", "--token-file", dir.path("\(user).token")], at: monday)
        }
        try outpost(["user", "add", "--username", "anna", "--name", "Anna Field", "--email", "anna@acme.example", "--role", "admin",
                     "--replica", dir.path("anna")], at: monday)
        try outpost(["customer", "add", "--name", "Contoso GmbH", "--email", "it@contoso.example", "--country", "DE", "--replica", dir.path("anna")], at: monday)
        try outpost(["customer-user", "add", "--customer", "Contoso", "--username", "jdoe", "--name", "Jane Doe", "--email", "jdoe@contoso.example",
                     "--replica", dir.path("anna")], at: monday)
        try outpost(["sync", "--replica", dir.path("anna")], at: monday)
        try outpost(["sync", "--replica", dir.path("ben")], at: monday)
        return served
    }

    @Test("A sync by a token is its user's login, on both laptops and the Users page; a token user with no panel user is shown, said so")
    func panelLogins() throws {
        try #require(OutpostBinary.url != nil, "the outpost binary is built")
        let served = try setUp()
        defer { served.stop() }
        try outpost(["sync", "--replica", dir.path("anna")], at: friday)

        for user in ["anna", "ben"] {
            let users = try #require(try json(["user", "list", "--replica", dir.path(user)], at: friday) as? [[String: Any]])
            let anna = try #require(users.first { $0["username"] as? String == "anna" && $0["user"] is [String: Any] }, "\(user) lists anna: \(users)")
            let annaLogins = anna["last_logins"] as? [[String: Any]] ?? []
            #expect(annaLogins.first?["at"] as? String == friday, "\(user) sees anna's sync at the node's time: \(annaLogins)")
            let ben = try #require(users.first { $0["username"] as? String == "ben" }, "\(user) lists ben, who synced with his token: \(users)")
            #expect(ben["user"] == nil || ben["user"] is NSNull, "ben is no panel user")
            #expect(!(ben["last_logins"] as? [Any] ?? []).isEmpty)
            let text = try outpost(["user", "list", "--replica", dir.path(user)], at: friday).stdout
            #expect(text.contains("\(friday) success"), "\(text)")
            #expect(text.contains("token only, no panel user"), "\(text)")
        }
        let usersPage = try page("ben", "users/index.html")
        #expect(usersPage.contains("2026-02-06 18:00 UTC"), "the Users page shows anna's last sign-in")
        #expect(usersPage.contains("token only: no panel user of this name"))
        #expect(!usersPage.contains(">never<"))
    }

    @Test("Customer users' logins: a bad file is refused whole, line by line; a good one reaches customer-user show and the customer's page, once")
    func customerLogins() throws {
        try #require(OutpostBinary.url != nil, "the outpost binary is built")
        let served = try setUp()
        defer { served.stop() }

        let good = try write([
            #"{"customer_user": "jdoe", "at": "2026-02-03T09:12:00Z", "result": "success", "source": "203.0.113.7"}"#,
            #"{"customer_user": "jdoe", "customer": "Contoso", "at": "2026-02-04T10:00:00Z", "result": "failure", "source": "198.51.100.4"}"#,
            "",
            #"{"customer_user": "jdoe", "at": "2026-02-05T11:30:00Z", "result": "success"}"#,
        ], to: "good.jsonl")
        let bad = try write([
            #"{"customer_user": "jdoe", "at": "2026-02-03T09:12:00Z", "result": "success", "source": "203.0.113.7"}"#,
            #"{"customer_user": "jdoe", "at": "yesterday", "result": "success"}"#,
            "not json",
            #"{"customer_user": "jdoe", "at": "2026-02-03T09:12:00Z", "result": "ok"}"#,
            #"{"customer_user": "jdoe", "at": "2027-01-01T00:00:00Z", "result": "success"}"#,
        ], to: "bad.jsonl")
        let unknown = try write([#"{"customer_user": "nobody", "at": "2026-02-03T09:12:00Z", "result": "success"}"#], to: "unknown.jsonl")

        let before = try NodeSnapshot.take(node: node)
        let refused = try outpost(["node", "logins", "import", bad, "--node", node], at: friday, expect: 65)
        for line in 2...5 { #expect(refused.stderr.contains("line \(line):"), "line \(line) is named: \(refused.stderr)") }
        #expect(!refused.stderr.contains("line 1:"), "the good line is not called bad")
        #expect(refused.stderr.contains("nothing imported"))
        #expect(refused.stderr.contains("later than now"), "an event in the future is refused: \(refused.stderr)")
        let stranger = try outpost(["node", "logins", "import", unknown, "--node", node], at: friday, expect: 65)
        #expect(stranger.stderr.contains("line 1:") && stranger.stderr.contains("nobody"), "\(stranger.stderr)")
        #expect(try NodeSnapshot.take(node: node) == before, "refused imports write nothing")

        #expect(try outpost(["node", "logins", "import", good, "--node", node], at: friday).stdout.contains("Imported 3 login(s) for acme"))
        let again = try outpost(["node", "logins", "import", good, "--reseller", "acme", "--node", node], at: friday)
        #expect(again.stdout.contains("Imported 0 login(s)") && again.stdout.contains("3 the node already had"), "\(again.stdout)")

        try outpost(["sync", "--replica", dir.path("ben")], at: friday)
        let shown = try #require(try json(["customer-user", "show", "jdoe", "--replica", dir.path("ben")], at: friday) as? [String: Any])
        let logins = shown["logins"] as? [[String: Any]] ?? []
        #expect(logins.map { $0["at"] as? String } == ["2026-02-05T11:30:00Z", "2026-02-04T10:00:00Z", "2026-02-03T09:12:00Z"], "newest first, each once: \(logins)")
        #expect(logins.map { $0["result"] as? String } == ["success", "failure", "success"])
        let text = try outpost(["customer-user", "show", "jdoe", "--customer", "Contoso", "--replica", dir.path("ben")], at: friday).stdout
        #expect(text.contains("198.51.100.4") && text.contains("Login history"), "\(text)")

        let customers = try #require(try json(["customer", "list", "--replica", dir.path("ben")], at: friday) as? [[String: Any]])
        let contoso = try #require(customers.first.flatMap { ($0["customer"] as? [String: Any])?["id"] as? String ?? $0["id"] as? String })
        let customerPage = try page("ben", PublishedSite.customerPage(contoso))
        #expect(customerPage.contains("Login history"))
        #expect(customerPage.contains("203.0.113.7") && customerPage.contains("198.51.100.4"))
        #expect(customerPage.contains("2026-02-05 11:30 UTC"), "jdoe's last sign-in is on the customer's page")
        // A customer's logins are not panel logins.
        #expect(!(try page("ben", "users/index.html")).contains("jdoe"))
    }
}
