import OutpostStore

/// A column value and its JSON form: rows travel between node and replica as
/// JSON objects, and conflict records keep both values as JSON text.
extension SQLValue {
    /// The value as JSON (rows travel as JSON objects).
    public var json: JSONValue {
        switch self {
        case .null: return .null
        case .integer(let v): return .integer(v)
        case .real(let v): return .double(v)
        case .text(let v): return .string(v)
        case .blob: preconditionFailure("replicated tables are STRICT with TEXT and INTEGER columns only; no blobs")
        }
    }

    /// A column value from JSON; `nil` for shapes a row cannot hold.
    public init?(json: JSONValue) {
        switch json {
        case .null: self = .null
        case .integer(let v): self = .integer(v)
        case .double(let v): self = .real(v)
        case .string(let v): self = .text(v)
        case .bool(let v): self = .integer(v ? 1 : 0)
        case .array, .object: return nil
        }
    }
}

extension JSONWriter {
    /// A row as a JSON object, the text `JSONValue.object` of its values would serialize to (keys sorted), written
    /// straight from the row's columns: `order` lists the column positions in sorted-name order, worked out once
    /// per table by the caller. A snapshot page writes every row of a table this way.
    public static func writeRow(columns: [String], values: [SQLValue], order: [Int], into out: inout String) {
        out += "{"
        for (index, position) in order.enumerated() {
            if index > 0 { out += "," }
            writeString(columns[position], into: &out)
            out += ":"
            write(values[position].json, into: &out)
        }
        out += "}"
    }

    /// The column positions of `columns` in sorted-name order, for `writeRow`.
    public static func sortedOrder(of columns: [String]) -> [Int] {
        columns.indices.sorted { columns[$0] < columns[$1] }
    }
}
