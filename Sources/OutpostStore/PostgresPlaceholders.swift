/// Turns SQLite's parameter markers (`?`, `?NNN`) into PostgreSQL's (`$1`, `$NNN`).
///
/// The node's SQL is written once with `?`, in the subset both stores speak. A `?` inside a string
/// literal (`'…'`), a quoted identifier (`"…"`) or a comment (`-- …`, `/* … */`) is text, not a marker,
/// and is left alone. Numbering follows SQLite's rule (sqlite.org/lang_expr.html#varparam): a bare `?`
/// is one more than the largest number given so far, so `?2, ?` means `$2, $3`.
public enum PostgresPlaceholders {
    /// The statement with PostgreSQL markers, and how many parameters it takes (the largest number).
    public static func translate(_ sql: String) -> (sql: String, parameterCount: Int) {
        let bytes = Array(sql.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 8)
        var largest = 0
        var index = 0
        // Copies bytes up to and including the first `terminator` sequence at or after `start`
        // (or to the end when it never comes).
        func copy(through terminator: [UInt8], from start: Int) -> Int {
            var i = start
            while i < bytes.count {
                if bytes[i] == terminator[0], i + terminator.count <= bytes.count, Array(bytes[i..<i + terminator.count]) == terminator {
                    out += bytes[start..<i + terminator.count]
                    return i + terminator.count
                }
                i += 1
            }
            out += bytes[start...]
            return bytes.count
        }
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                // A doubled quote inside ('it''s') ends one literal and starts the next: the same result.
                out.append(byte)
                index = copy(through: [byte], from: index + 1)
            case UInt8(ascii: "-") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "-"):
                index = copy(through: [UInt8(ascii: "\n")], from: index)
            case UInt8(ascii: "/") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "*"):
                index = copy(through: Array("*/".utf8), from: index)
            case UInt8(ascii: "?"):
                var end = index + 1
                var number = 0
                while end < bytes.count, bytes[end] >= UInt8(ascii: "0"), bytes[end] <= UInt8(ascii: "9") {
                    number = number * 10 + Int(bytes[end] - UInt8(ascii: "0"))
                    end += 1
                }
                if end == index + 1 { number = largest + 1 }
                largest = max(largest, number)
                out += Array("$\(number)".utf8)
                index = end
            default:
                out.append(byte)
                index += 1
            }
        }
        return (String(decoding: out, as: UTF8.self), largest)
    }
}
