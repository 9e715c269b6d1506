import Testing
import OutpostModel
import OutpostSync

/// The one writer of structured log lines, shared by `outpost sync` and `outpost node serve`.
@Suite("Log lines: key=value text and JSON")
struct LogLineTests {
    static let hostile = "a b=\"c\"\nlevel=error \u{1B}[31m\u{7F}\u{9B}\u{2028}ü\\"

    @Test("plain values stay bare; anything else is quoted so it cannot forge a field or a line")
    func text() throws {
        let line = LogLine([("event", .string("sync.done")), ("path", .string("/v1/pull")), ("count", .integer(12)), ("ms", .double(4.5)),
                            ("ok", .bool(true)), ("run", .null), ("empty", .string("")), ("reason", .string(Self.hostile))]).text
        #expect(line.hasPrefix(#"event=sync.done path=/v1/pull count=12 ms=4.5 ok=true run=- empty="" reason=""#))
        #expect(line.hasSuffix(#"reason="a b=\"c\"\nlevel=error \u001b[31m\u007f\u009b\u2028ü\\""#))
        #expect(!line.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0.value == 0x2028 })
        // The quoted value is a JSON string: it reads back as exactly what was logged.
        let quoted = String(line[line.range(of: "reason=")!.upperBound...])
        #expect(try JSONValue(parsing: quoted) == .string(Self.hostile))
    }

    @Test("JSON: one object per line that parses back to the same fields")
    func json() throws {
        let fields: [(String, JSONValue)] = [("event", .string("http.request")), ("status", .integer(401)), ("run", .string(Self.hostile)),
                                             ("reseller", .null), ("ms", .double(0.3))]
        let line = LogLine(fields).rendered(.json)
        #expect(!line.contains("\n"))
        let parsed = try #require(try JSONValue(parsing: line).objectValue)
        #expect(parsed.count == fields.count)
        for (key, value) in fields { #expect(parsed[key] == value, "\(key)") }
    }
}
