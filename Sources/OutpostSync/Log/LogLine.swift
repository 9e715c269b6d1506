import OutpostModel

/// How structured log lines are written on standard error: `key=value` text, or one JSON object per line.
public enum LogFormat: String, CaseIterable, Sendable {
    case text, json
}

/// One structured log line: named fields in order, written as `key=value` text or as a JSON object.
///
/// `outpost sync` and `outpost node serve` both write their lines with it, so they quote alike. In text a
/// value is written bare only when it is made of plain characters (letters, digits, `-._~/:@%+,`); anything
/// else is quoted and escaped as a JSON string, so no value — a path or run id a client chose, an error
/// message — can forge a field or start a line of its own. In JSON every value goes through `JSONWriter`.
public struct LogLine: Sendable {
    public var fields: [(String, JSONValue)]

    public init(_ fields: [(String, JSONValue)]) {
        self.fields = fields
    }

    /// The line in `format`, without the line feed.
    public func rendered(_ format: LogFormat) -> String {
        switch format {
        case .text: text
        case .json: json
        }
    }

    /// `key=value` pairs separated by spaces; `null` is written `-`.
    public var text: String {
        var line = ""
        for (index, (key, value)) in fields.enumerated() {
            if index > 0 { line += " " }
            line += key
            line += "="
            line += Self.textValue(value)
        }
        return line
    }

    /// A JSON object (keys sorted, as `JSONWriter` writes every object); a repeated key keeps its last value.
    public var json: String {
        var members: [String: JSONValue] = [:]
        for (key, value) in fields { members[key] = value }
        return JSONValue.object(members).serialized
    }

    /// A value as `key=value` text shows it: bare when plain, else a quoted JSON string.
    static func textValue(_ value: JSONValue) -> String {
        let text: String
        switch value {
        case .null: return "-"
        case .string(let string): text = string
        default: text = value.serialized
        }
        if isPlain(text) { return text }
        var quoted = ""
        JSONWriter.writeString(text, into: &quoted)
        // JSON lets DEL, the C1 controls and the Unicode line separators through raw; a terminal or a
        // line-based reader of text logs may act on them, so here they are escaped too (still valid JSON).
        guard quoted.unicodeScalars.contains(where: needsEscape) else { return quoted }
        var escaped = ""
        for scalar in quoted.unicodeScalars {
            if needsEscape(scalar) {
                let hex = String(scalar.value, radix: 16)
                escaped += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
    }

    static func isPlain(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || "-._~/:@%+,".utf8.contains(byte)
        }
    }
}
