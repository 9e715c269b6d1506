/// How one CSV record is written (RFC 4180): fields joined by commas, a
/// field quoted when it holds a comma, quote, CR or LF, quotes doubled, CRLF
/// at the end. `CSVWriter` and `CSVPatch` both write records here, so a
/// patched CSV is byte-identical to one written afresh.
public enum CSVRecord {
    /// A whole CSV document as text (small files built in memory, and `outpost report --csv`).
    public static func document(_ records: [[String]]) -> String {
        var out: [UInt8] = []
        for record in records { append(record, to: &out) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `fields` as one record, CRLF included.
    static func append(_ fields: [String], to out: inout [UInt8]) {
        for (index, field) in fields.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            appendField(field, to: &out)
        }
        out.append(13)
        out.append(10)
    }

    /// Whether RFC 4180 makes `field` quoted.
    static func needsQuotes(_ field: String) -> Bool {
        field.utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 10 || $0 == 13 }
    }

    /// One field, quoted when it must be.
    static func appendField(_ field: String, to out: inout [UInt8]) {
        guard needsQuotes(field) else {
            out.append(contentsOf: field.utf8)
            return
        }
        out.append(UInt8(ascii: "\""))
        for byte in field.utf8 {
            if byte == UInt8(ascii: "\"") { out.append(byte) }
            out.append(byte)
        }
        out.append(UInt8(ascii: "\""))
    }
}
