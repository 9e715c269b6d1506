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

    /// The value of a column; stops the program, naming the column and the row's columns, when the row has no
    /// such column.
    ///
    /// Column names are written in the code, never taken from input, so an unknown one is a misspelling or a
    /// query that no longer selects it: reading it as `.null` would show an empty cell instead of a bug. It stops
    /// with `fatalError` rather than `preconditionFailure` because the latter prints no message in release builds.
    /// Where a column may really be absent, ask `value(ifPresent:)`.
    public subscript(_ name: String) -> SQLValue {
        guard let index = columns.firstIndex(of: name) else {
            fatalError("Row has no column \"\(name)\"; its columns are \(columns.map { "\"\($0)\"" }.joined(separator: ", "))")
        }
        return values[index]
    }

    /// The value of a column, or `nil` when the row has no such column.
    public func value(ifPresent name: String) -> SQLValue? {
        columns.firstIndex(of: name).map { values[$0] }
    }

    /// The value at a position.
    public subscript(_ index: Int) -> SQLValue { values[index] }

    /// A text column; throws when it is missing or of another type.
    public func string(_ name: String) throws -> String {
        let value = try present(name)
        guard case .text(let v) = value else { throw RowDecodingError(column: name, expected: "text", found: value) }
        return v
    }

    /// A nullable text column.
    public func optionalString(_ name: String) throws -> String? {
        switch try present(name) {
        case .null: return nil
        case .text(let v): return v
        case let other: throw RowDecodingError(column: name, expected: "text or null", found: other)
        }
    }

    /// An integer column; throws when it is missing or of another type.
    public func int64(_ name: String) throws -> Int64 {
        let value = try present(name)
        guard case .integer(let v) = value else { throw RowDecodingError(column: name, expected: "integer", found: value) }
        return v
    }

    /// An integer column read as `Int`.
    public func int(_ name: String) throws -> Int { Int(try int64(name)) }

    /// A nullable integer column.
    public func optionalInt64(_ name: String) throws -> Int64? {
        switch try present(name) {
        case .null: return nil
        case .integer(let v): return v
        case let other: throw RowDecodingError(column: name, expected: "integer or null", found: other)
        }
    }

    /// A 0/1 integer column read as a boolean.
    public func bool(_ name: String) throws -> Bool { try int64(name) != 0 }

    /// The value of a column the row must have; throws, naming the row's columns, when it has no such column.
    private func present(_ name: String) throws -> SQLValue {
        guard let value = value(ifPresent: name) else {
            throw RowDecodingError(column: name, expected: "one of the row's columns (\(columns.joined(separator: ", ")))", found: .null)
        }
        return value
    }

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
