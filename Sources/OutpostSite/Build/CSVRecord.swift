/// How one CSV record is written (RFC 4180): fields joined by commas, a
/// field quoted when it holds a comma, quote, CR or LF, quotes doubled, CRLF
/// at the end; a field a spreadsheet would run as a formula is neutralised
/// first (`neutralised`). `CSVWriter`, `ListCSV` and `outpost report --csv`
/// all write records here, so the terminal's CSV is byte-identical to the site's.
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

    /// `field` as a spreadsheet cell that shows text instead of running it: a field beginning with `=`, `+`,
    /// `-`, `@`, tab or carriage return gets a leading apostrophe (OWASP's rule against CSV injection: a
    /// customer named `=HYPERLINK(…)` must not open as a live formula). A plain number such as `-12.50`
    /// is left as it is: it is no formula, and an amount column must stay numbers.
    public static func neutralised(_ field: String) -> String {
        guard let first = field.utf8.first, formulaStarts.contains(first), !isPlainNumber(field) else { return field }
        return "'" + field
    }

    /// The first bytes that make a spreadsheet read a cell as a formula.
    static let formulaStarts: Set<UInt8> = [UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"), 9, 13]

    /// An optional sign, digits, and optionally a point and more digits.
    private static func isPlainNumber(_ field: String) -> Bool {
        var bytes = field.utf8[...]
        if let sign = bytes.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
        let parts = bytes.split(separator: UInt8(ascii: "."), maxSplits: 1, omittingEmptySubsequences: false)
        return (1...2).contains(parts.count) && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy { (48...57).contains($0) } }
    }

    /// One field, neutralised and quoted when it must be.
    static func appendField(_ field: String, to out: inout [UInt8]) {
        let field = neutralised(field)
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
