import OutpostModel
import OutpostStore

/// A pull page read straight from its bytes: change rows come out as values in
/// a table's column order, ready to bind, without building a JSON tree per
/// row. Everything else in the page is read with the generic parser and
/// checked as `PullResponse(json:)` checks it.
struct PullPage {
    struct RowChange {
        let table: String
        let id: String
        let operation: Change.Operation
        /// In the table plan's column order (upserts only).
        let values: [SQLValue]?
        /// The row's digest contribution (`RowDigest.hash`), worked out by the reader on its own thread (upserts only).
        let hash: Int64

        init(table: String, id: String, operation: Change.Operation, values: [SQLValue]?, columns: [String]) {
            self.table = table
            self.id = id
            self.operation = operation
            self.values = values
            hash = values.map { RowDigest.hash(columns: columns, values: $0) } ?? 0
        }
    }

    var cursor: Int64 = 0
    var more = false
    var changes: [RowChange] = []
    var reset: [String] = []
    var snapshotAfter: SnapshotPosition?
    var snapshotTables: [String] = []
    var digests: [String: TableDigest]?
}

struct PullPageReader {
    /// The column order for a table's rows.
    let columns: (String) throws -> (names: [String], index: [String: Int])

    init(columns: @escaping (String) throws -> (names: [String], index: [String: Int])) {
        self.columns = columns
    }

    func read(_ bytes: [UInt8]) throws -> PullPage {
        do {
            return try parse(bytes)
        } catch let error as JSONParseError {
            throw SyncError(.malformed, "pull response: \(error.description)")
        }
    }

    private func parse(_ bytes: [UInt8]) throws -> PullPage {
        var cursor = JSONParser.Cursor(bytes: bytes)
        var page = PullPage()
        var others: [String: JSONValue] = [:]
        var sawChanges = false
        try cursor.expect(UInt8(ascii: "{"))
        if !cursor.consume(UInt8(ascii: "}")) {
            repeat {
                let key = try cursor.readString()
                try cursor.expect(UInt8(ascii: ":"))
                if key == "changes" {
                    sawChanges = true
                    try cursor.expect(UInt8(ascii: "["))
                    if !cursor.consume(UInt8(ascii: "]")) {
                        repeat {
                            page.changes.append(try change(&cursor, index: page.changes.count))
                        } while cursor.consume(UInt8(ascii: ","))
                        try cursor.expect(UInt8(ascii: "]"))
                    }
                } else {
                    others[key] = try cursor.readValue()
                }
            } while cursor.consume(UInt8(ascii: ","))
            try cursor.expect(UInt8(ascii: "}"))
        }
        guard cursor.peek() == nil else { throw SyncError(.malformed, "pull response: unexpected data after the object") }
        guard sawChanges else { throw SyncError(.malformed, "pull response: field 'changes' is required (an array)") }
        // The rest through the ordinary codec, with an empty change list.
        others["changes"] = .array([])
        let rest = try PullResponse(json: .object(others))
        page.cursor = rest.cursor
        page.more = rest.more
        page.reset = rest.reset
        page.snapshotAfter = rest.snapshotAfter
        page.snapshotTables = rest.snapshotTables
        page.digests = rest.digests
        return page
    }

    private func change(_ cursor: inout JSONParser.Cursor, index: Int) throws -> PullPage.RowChange {
        var id: String?
        var table: String?
        var operation: Change.Operation?
        var version: Int64?
        var row: [(String, SQLValue)]?
        try cursor.expect(UInt8(ascii: "{"))
        if !cursor.consume(UInt8(ascii: "}")) {
            repeat {
                let key = try cursor.readString()
                try cursor.expect(UInt8(ascii: ":"))
                switch key {
                case "id": id = try cursor.readString()
                case "t": table = try cursor.readString()
                case "op": operation = Change.Operation(rawValue: try cursor.readString())
                case "v": version = try cursor.readValue().integerValue
                case "row": row = try members(&cursor, index: index)
                default: _ = try cursor.readValue()
                }
            } while cursor.consume(UInt8(ascii: ","))
            try cursor.expect(UInt8(ascii: "}"))
        }
        guard let id, let table, let operation, version != nil else {
            throw SyncError(.malformed, "changes[\(index)]: fields 'id', 't', 'op' and 'v' are required")
        }
        guard Schema.replicatedTables.contains(table) else { throw SyncError(.malformed, "changes[\(index)]: unknown table \(table) (from a newer Outpost? upgrade outpost)") }
        guard operation == .upsert else { return PullPage.RowChange(table: table, id: id, operation: operation, values: nil, columns: []) }
        guard let row else { throw SyncError(.malformed, "changes[\(index)]: an upsert needs 'row'") }
        let plan = try columns(table)
        guard row.count == plan.names.count else {
            throw SyncError(.malformed, "a \(table) row from the node has \(row.count) columns, this replica knows \(plan.names.count); upgrade outpost")
        }
        // The node writes keys sorted, as the plan's columns are: take them in order when they match.
        if row.indices.allSatisfy({ row[$0].0 == plan.names[$0] }) {
            let values = row.map(\.1)
            guard values[plan.index["id"] ?? 0] == .text(id) else { throw SyncError(.malformed, "changes[\(index)]: row id differs from id") }
            return PullPage.RowChange(table: table, id: id, operation: operation, values: values, columns: plan.names)
        }
        var values = [SQLValue](repeating: .null, count: plan.names.count)
        var seen = 0
        for (name, value) in row {
            guard let position = plan.index[name] else {
                throw SyncError(.malformed, "a \(table) row from the node has column \(name) this replica does not know; upgrade outpost")
            }
            values[position] = value
            seen += 1
        }
        guard values[plan.index["id"] ?? 0] == .text(id) else { throw SyncError(.malformed, "changes[\(index)]: row id differs from id") }
        return PullPage.RowChange(table: table, id: id, operation: operation, values: values, columns: plan.names)
    }

    /// The member names of the last row read, by position: the next row of a page most often has the same, and
    /// reusing them spares making a string per member (a page holds thousands of rows).
    private final class Names {
        var names: [String] = []
    }
    private let lastNames = Names()

    /// A row object's members as column values: strings, integers, null (booleans as 0/1).
    private func members(_ cursor: inout JSONParser.Cursor, index: Int) throws -> [(String, SQLValue)] {
        var members: [(String, SQLValue)] = []
        members.reserveCapacity(16)
        try cursor.expect(UInt8(ascii: "{"))
        if cursor.consume(UInt8(ascii: "}")) { return members }
        repeat {
            let position = members.count
            let known = position < lastNames.names.count ? lastNames.names[position] : nil
            let key = try cursor.readString(reusing: known)
            if key != known, JSONParser.Cursor.isPlainName(key) {
                if position < lastNames.names.count { lastNames.names[position] = key } else { lastNames.names.append(key) }
            }
            try cursor.expect(UInt8(ascii: ":"))
            let value: SQLValue
            if cursor.peek() == UInt8(ascii: "\"") {
                value = .text(try cursor.readString())
            } else {
                guard let converted = SQLValue(json: try cursor.readValue()) else {
                    throw SyncError(.malformed, "changes[\(index)]: column \(key) holds a nested value")
                }
                value = converted
            }
            members.append((key, value))
        } while cursor.consume(UInt8(ascii: ","))
        try cursor.expect(UInt8(ascii: "}"))
        return members
    }
}
