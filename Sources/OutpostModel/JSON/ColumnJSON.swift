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
