import Foundation
import Testing
import OutpostModel
import OutpostStore
import OutpostTestSupport
import OutpostTestThreads

/// `node token issue --expires`, `node token list`, and an expired token turned away with 401 on every
/// transport: the local path, HTTP and `node exchange` (the far end of ssh://).
@Suite("Tokens that expire, and when each was last used", .ownThreads)
struct TokenExpiryTests {
    static let issued = "2026-03-02T09:00:00Z"
    static let dayAfter = "2026-03-03T09:30:00Z"
    static let weekAfter = "2026-03-09T09:00:00Z"

    let dir: TemporaryDirectory

    init() throws {
        dir = try TemporaryDirectory("outpost-tokens")
    }

    func outpost(_ arguments: [String], at now: String = TokenExpiryTests.issued) throws -> OutpostBinary.Result {
        try OutpostBinary.run(arguments, environment: ["OUTPOST_NOW": now, "OUTPOST_NODE": dir.path("node")], in: dir.url)
    }

    func tokenList(at now: String) throws -> [String: JSONValue] {
        let listed = try outpost(["node", "token", "list", "--json"], at: now)
        #expect(listed.status == 0, "\(listed.stderr)")
        var byUser: [String: JSONValue] = [:]
        for entry in try JSONValue(parsing: listed.stdout).arrayValue ?? [] { byUser[entry["username"]?.stringValue ?? ""] = entry }
        return byUser
    }

    @Test(.timeLimit(.minutes(20)))
    func anExpiredTokenGets401WithAMessageOnEveryTransport() throws {
        for arguments in [["node", "init", dir.path("node")], ["node", "plans", "import", "--builtin"], ["node", "reseller", "add", "acme", "--name", "Acme"]] {
            #expect(try outpost(arguments).status == 0)
        }
        // Bad durations are refused before anything is issued.
        for bad in ["0d", "soon", "-1d", "90"] {
            let refused = try outpost(["node", "token", "issue", "--reseller", "acme", "--user", "anna", "--expires", bad])
            #expect(refused.status == 65, "\(bad): \(refused.stderr)")
            #expect(refused.stderr.contains("--expires '\(bad)' is not a duration"), "\(refused.stderr)")
            #expect(refused.stdout.isEmpty)
        }
        // An expiry past what a stored time can say would make a token that never worked.
        let tooFar = try outpost(["node", "token", "issue", "--reseller", "acme", "--user", "anna", "--expires", "999999999999d"])
        #expect(tooFar.status == 65 && tooFar.stderr.contains("too far away") && tooFar.stdout.isEmpty, "\(tooFar.stderr)")
        #expect(try tokenList(at: Self.issued).isEmpty, "nothing was issued")

        let short = try outpost(["node", "token", "issue", "--reseller", "acme", "--user", "anna", "--expires", "1d"])
        #expect(short.status == 0)
        #expect(short.stderr.contains("expires 2026-03-03T09:00:00Z"), "\(short.stderr)")
        try short.stdout.write(toFile: dir.path("anna.token"), atomically: false, encoding: .utf8)
        let lasting = try outpost(["node", "token", "issue", "--reseller", "acme", "--user", "ben"])
        try lasting.stdout.write(toFile: dir.path("ben.token"), atomically: false, encoding: .utf8)

        var tokens = try tokenList(at: Self.issued)
        #expect(tokens["anna"]?["expires_at"]?.stringValue == "2026-03-03T09:00:00Z")
        #expect(tokens["anna"]?["state"]?.stringValue == "active")
        #expect(tokens["anna"]?["last_used_at"] == nil || tokens["anna"]?["last_used_at"] == .null)
        #expect(tokens["ben"]?["expires_at"] == nil || tokens["ben"]?["expires_at"] == .null)
        #expect(tokens["anna"]?["created_at"]?.stringValue == Self.issued)
        let text = try outpost(["node", "token", "list"])
        #expect(text.stdout.contains("never"), "no expiry and no use read 'never': \(text.stdout)")
        #expect(!text.stdout.contains("opt_"), "the list never shows a token")

        // While it is valid it works through the local path, and its use is written down.
        for user in ["anna", "ben"] {
            let joined = try outpost(["init", "--replica", dir.path(user), "--node", dir.path("node"), "--reseller", "acme", "--token-file", dir.path("\(user).token")])
            #expect(joined.status == 0, "\(joined.stderr)")
        }
        #expect(try outpost(["sync", "--replica", dir.path("anna"), "--no-site"]).status == 0)
        tokens = try tokenList(at: Self.issued)
        #expect(tokens["anna"]?["last_used_at"]?.stringValue == Self.issued)

        // A day and a half later: the local path says it expired, 77, and nothing else changed.
        let local = try outpost(["sync", "--replica", dir.path("anna"), "--no-site"], at: Self.dayAfter)
        #expect(local.status == 77, "\(local.stderr)")
        #expect(local.stderr.contains("expired at 2026-03-03T09:00:00Z"), "\(local.stderr)")
        #expect(try outpost(["sync", "--replica", dir.path("ben"), "--no-site"], at: Self.dayAfter).status == 0, "a token without expiry still works")
        tokens = try tokenList(at: Self.dayAfter)
        #expect(tokens["anna"]?["state"]?.stringValue == "expired")
        #expect(tokens["anna"]?["last_used_at"]?.stringValue == Self.issued, "a refused use is no use")
        #expect(tokens["ben"]?["last_used_at"]?.stringValue == Self.dayAfter)
        let status = try outpost(["node", "status", dir.path("node"), "--json"], at: Self.dayAfter)
        #expect(try JSONValue(parsing: status.stdout).arrayValue?.first?["active_tokens"]?.integerValue == 1, "\(status.stdout)")

        // Over HTTP: 401, and the body says why.
        let served = try ServedNodeProcess(node: dir.path("node"), environment: ["OUTPOST_NOW": Self.weekAfter], in: dir.url)
        defer { served.stop() }
        let annaToken = short.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let body = #"{"protocol":1,"replica":"rep_01JDA4M5X2Q8R7T6Y5W4V3S2P1","cursor":0}"#
        let connection = try RawConnection(port: served.port)
        try connection.send(ServedNode.post("/v1/pull", body: body, token: annaToken))
        let response = try connection.readResponse()
        #expect(response.status == 401)
        #expect(response.errorCode == "unauthorized")
        #expect(response.text.contains("expired at 2026-03-03T09:00:00Z"), "\(response.text)")
        #expect(!served.log.contains(annaToken), "the token is never logged")

        // Over stdio (`node exchange`, what ssh:// runs): 401 with the same message.
        let process = Process()
        let binary: URL = try #require(OutpostBinary.url)
        process.executableURL = binary
        process.arguments = ["node", "exchange", dir.path("node")]
        process.environment = ["OUTPOST_NOW": Self.weekAfter]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try ProcessLauncher.run(process)
        input.fileHandleForWriting.write(Data("{\"op\":\"pull\",\"token\":\"\(annaToken)\",\"length\":\(body.utf8.count)}\n\(body)".utf8))
        try input.fileHandleForWriting.close()
        let answer = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(answer.contains("\"status\":401"), "\(answer)")
        #expect(answer.contains("expired at 2026-03-03T09:00:00Z"), "\(answer)")
    }
}
