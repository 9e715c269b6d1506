import Foundation
import OutpostTestSupport
import Testing
import OutpostModel
import OutpostStore
import OutpostTestThreads

/// A pushed message with bytes that are not UTF-8 is refused `malformed` (PROTOCOL.md section 2), over
/// HTTP and over the stdio path, and nothing of it is stored: not even with replacement characters.
@Suite("Invalid UTF-8 in a pushed message is refused", .ownThreads)
struct StrictUTF8Tests {
    /// A customer name with a lone continuation byte, an overlong slash and a cut four-byte sequence.
    static let badNames: [[UInt8]] = [
        Array("Contoso ".utf8) + [0x80] + Array(" GmbH".utf8),
        Array("Over".utf8) + [0xC0, 0xAF] + Array("long".utf8),
        Array("Cut ".utf8) + [0xF0, 0x9F, 0x98],
    ]

    /// A push body of one `customer.create` whose name is `name`, as bytes.
    static func push(name: [UInt8]) -> (body: [UInt8], customer: String) {
        let customer = ServedNode.newId("cus")
        let marker = "NAME-GOES-HERE"
        let text = ServedNode.pushBody(replica: ServedNode.newId("rep"), mutations: [ServedNode.customerCreate(seq: 1, id: customer, name: marker)])
        let parts = text.components(separatedBy: marker)
        return (Array(parts[0].utf8) + name + Array(parts[1].utf8), customer)
    }

    @Test func overHTTPAPushWithInvalidUTF8Gets400Malformed() throws {
        let node = try ServedNode()
        defer { node.shutDown() }
        for name in Self.badNames {
            let (body, customer) = Self.push(name: name)
            let head = "POST /v1/push HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n"
                + "Authorization: Bearer \(node.tokens["a"]!)\r\n\r\n"
            let connection = try RawConnection(port: node.port)
            try connection.send(bytes: Array(head.utf8) + body)
            let response = try connection.readResponse()
            #expect(response.status == 400, "\(response.text)")
            #expect(response.errorCode == "malformed")
            #expect(response.text.contains("invalid UTF-8"), "the message says what is wrong: \(response.text)")
            #expect(try node.customerCount("a", id: customer) == 0)
        }
        // The same push spelt in UTF-8 is taken.
        let (good, customer) = Self.push(name: Array("Contoso GmbH".utf8))
        #expect(node.push("a", String(decoding: good, as: UTF8.self)).status == 200)
        #expect(try node.customerCount("a", id: customer) == 1)
    }

    @Test func overStdioAPushWithInvalidUTF8IsAnsweredMalformed() throws {
        let binary = try #require(OutpostBinary.url, "the outpost binary is built")
        let dir = try TemporaryDirectory("outpost-utf8")
        let env = ["OUTPOST_NOW": "2026-03-02T09:00:00Z", "OUTPOST_NODE": dir.path("node")]
        for arguments in [["node", "init", dir.path("node")], ["node", "plans", "import", "--builtin"], ["node", "reseller", "add", "acme", "--name", "Acme"]] {
            #expect(try OutpostBinary.run(arguments, environment: env, in: dir.url).status == 0)
        }
        let token = try OutpostBinary.run(["node", "token", "issue", "--reseller", "acme", "--user", "anna"], environment: env, in: dir.url)
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let process = Process()
        process.executableURL = binary
        process.arguments = ["node", "exchange", dir.path("node")]
        process.environment = env
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try ProcessLauncher.run(process)
        var customers: [String] = []
        for name in Self.badNames {
            let (body, customer) = Self.push(name: name)
            customers.append(customer)
            input.fileHandleForWriting.write(Data("{\"op\":\"push\",\"token\":\"\(token)\",\"length\":\(body.count)}\n".utf8) + Data(body))
        }
        try input.fileHandleForWriting.close()
        var answer = Array(output.fileHandleForReading.readDataToEndOfFile())
        process.waitUntilExit()
        var frames: [(header: String, body: String)] = []
        while let newline = answer.firstIndex(of: 0x0A) {
            let header = String(decoding: answer[..<newline], as: UTF8.self)
            answer.removeFirst(newline + 1)
            let length = ((try? JSONValue(parsing: header))?["length"]?.integerValue).map(Int.init) ?? 0
            frames.append((header, String(decoding: answer.prefix(length), as: UTF8.self)))
            answer.removeFirst(min(length, answer.count))
        }
        #expect(frames.count == Self.badNames.count, "one answer per push: \(frames)")
        for frame in frames {
            #expect(frame.header.contains("\"status\":400"), "\(frame.header)")
            #expect(try JSONValue(parsing: frame.body)["error"]?["code"]?.stringValue == "malformed", "\(frame.body)")
        }
        #expect(process.terminationStatus == 0)
        let db = try Database(path: dir.path("node/tenants/acme.sqlite"), mode: .readOnly)
        for customer in customers { #expect(try db.scalar("SELECT count(*) FROM customer WHERE id = ?", [customer])?.int64 == 0) }
    }
}
