/// One result row: column names and values, read by name or position.
public struct Row: Sendable, Hashable {
    /// Column names, in select order.
    public let columns: [String]
    /// Values, in the same order as `columns`.
    public let values: [SQLValue]

    public init(columns: [String], values: [SQLValue]) {
        self.columns = columns
        self.values = values
    }

    /// The value of a column, or `.null` when the row has no such column.
    public subscript(_ name: String) -> SQLValue {
        guard let index = columns.firstIndex(of: name) else { return .null }
        return values[index]
    }

    /// The value at a position.
    public subscript(_ index: Int) -> SQLValue { values[index] }

    /// A text column; throws when it is missing or of another type.
    public func string(_ name: String) throws -> String {
        guard case .text(let v) = self[name] else { throw RowDecodingError(column: name, expected: "text", found: self[name]) }
        return v
    }

    /// A nullable text column.
    public func optionalString(_ name: String) throws -> String? {
        switch self[name] {
        case .null: return nil
        case .text(let v): return v
        case let other: throw RowDecodingError(column: name, expected: "text or null", found: other)
        }
    }

    /// An integer column; throws when it is missing or of another type.
    public func int64(_ name: String) throws -> Int64 {
        guard case .integer(let v) = self[name] else { throw RowDecodingError(column: name, expected: "integer", found: self[name]) }
        return v
    }

    /// An integer column read as `Int`.
    public func int(_ name: String) throws -> Int { Int(try int64(name)) }

    /// A nullable integer column.
    public func optionalInt64(_ name: String) throws -> Int64? {
        switch self[name] {
        case .null: return nil
        case .integer(let v): return v
        case let other: throw RowDecodingError(column: name, expected: "integer or null", found: other)
        }
    }

    /// A 0/1 integer column read as a boolean.
    public func bool(_ name: String) throws -> Bool { try int64(name) != 0 }

    /// The row as a dictionary from column name to value.
    public var dictionary: [String: SQLValue] {
        Dictionary(zip(columns, values), uniquingKeysWith: { _, last in last })
    }
}

/// A column held a value of another type than the reader expected.
public struct RowDecodingError: Error, Sendable, CustomStringConvertible {
    public let column: String
    public let expected: String
    public let found: SQLValue

    public init(column: String, expected: String, found: SQLValue) {
        self.column = column
        self.expected = expected
        self.found = found
    }

    public var description: String { "column \(column): expected \(expected), found \(found)" }
}
