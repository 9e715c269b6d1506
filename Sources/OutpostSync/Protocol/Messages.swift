import OutpostModel

/// A queued mutation as it travels to the node.
public struct PushedMutation: Sendable, Equatable {
    /// The replica's push sequence: 1, 2, 3… without gaps.
    public let seq: Int64
    public let name: String
    public let version: Int
    /// The mutation's arguments (an object).
    public let args: JSONValue
    /// When the user made the change.
    public let createdAt: Timestamp

    public init(seq: Int64, name: String, version: Int, args: JSONValue, createdAt: Timestamp) {
        self.seq = seq
        self.name = name
        self.version = version
        self.args = args
        self.createdAt = createdAt
    }

    var json: JSONValue {
        .object(["seq": .integer(seq), "name": .string(name), "version": .integer(Int64(version)), "args": args,
                 "created_at": .string(createdAt.description)])
    }

    init(json: JSONValue, index: Int) throws(SyncError) {
        let reader = try MessageReader(json, "mutations[\(index)]")
        seq = try reader.integer("seq", 1...Int64.max)
        name = try reader.string("name", maximum: 64)
        version = Int(try reader.integer("version", 1...1000))
        guard case .object = json["args"] ?? .null else { throw SyncError(.malformed, "mutations[\(index)]: field 'args' is required (an object)") }
        args = json["args"]!
        guard let created = Timestamp(try reader.string("created_at", maximum: 40)) else {
            throw SyncError(.malformed, "mutations[\(index)]: field 'created_at' is not an ISO 8601 UTC time")
        }
        createdAt = created
    }
}

/// `push` request: a replica's queued mutations, in seq order.
public struct PushRequest: Sendable, Equatable {
    public let replica: String
    public let mutations: [PushedMutation]
    /// Mutations the node acknowledged before and has lost since (restored from a backup, or rolled back):
    /// sent again with their original seqs and instants (PROTOCOL.md 6.6). The node only logs it.
    public let resend: Bool

    public init(replica: String, mutations: [PushedMutation], resend: Bool = false) {
        self.replica = replica
        self.mutations = mutations
        self.resend = resend
    }

    public var json: JSONValue {
        var members: [String: JSONValue] = ["protocol": .integer(SyncProtocol.version), "replica": .string(replica),
                                            "mutations": .array(mutations.map(\.json))]
        if resend { members["resend"] = .bool(true) }
        return .object(members)
    }

    public init(json: JSONValue) throws(SyncError) {
        let reader = try MessageReader(json, "push request")
        try reader.checkProtocol()
        replica = try reader.string("replica", maximum: 80)
        guard IdentifierFactory.isValid(replica, prefix: "rep") else { throw SyncError(.malformed, "push request: 'replica' is not a replica id") }
        let elements = try reader.array("mutations")
        guard elements.count <= SyncProtocol.maximumPushMutations else {
            throw SyncError(.tooLarge, "push request: at most \(SyncProtocol.maximumPushMutations) mutations per push, got \(elements.count)")
        }
        var mutations: [PushedMutation] = []
        for (index, element) in elements.enumerated() { mutations.append(try PushedMutation(json: element, index: index)) }
        for (previous, next) in zip(mutations, mutations.dropFirst()) where next.seq != previous.seq + 1 {
            throw SyncError(.malformed, "push request: seqs must increase by one (\(previous.seq) then \(next.seq))")
        }
        self.mutations = mutations
        resend = json["resend"]?.boolValue ?? false
    }
}

/// The node's answer for one mutation. Durable on both sides.
public struct Verdict: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable {
        case applied
        case refused
        /// Applied, and some field it set had changed on the node since the replica saw it.
        case appliedWithConflict = "applied_with_conflict"
    }

    public let seq: Int64
    public let mutation: String
    public let status: Status
    /// The node's change-log position once it was applied (`nil` when refused).
    public let version: Int64?
    public let code: String?
    public let field: String?
    public let message: String?
    /// For a mutation refused because it needs one that was refused: that one's seq.
    public let blockedBy: Int64?

    public init(seq: Int64, mutation: String, status: Status, version: Int64?, code: String? = nil, field: String? = nil,
                message: String? = nil, blockedBy: Int64? = nil) {
        self.seq = seq
        self.mutation = mutation
        self.status = status
        self.version = version
        self.code = code
        self.field = field
        self.message = message
        self.blockedBy = blockedBy
    }

    var json: JSONValue {
        var members: [String: JSONValue] = ["seq": .integer(seq), "mutation": .string(mutation), "status": .string(status.rawValue)]
        if let version { members["version"] = .integer(version) }
        if let code { members["code"] = .string(code) }
        if let field { members["field"] = .string(field) }
        if let message { members["message"] = .string(message) }
        if let blockedBy { members["blocked_by"] = .integer(blockedBy) }
        return .object(members)
    }

    init(json: JSONValue, index: Int) throws(SyncError) {
        let reader = try MessageReader(json, "verdicts[\(index)]")
        seq = try reader.integer("seq", 1...Int64.max)
        mutation = try reader.string("mutation", maximum: 64)
        guard let status = Status(rawValue: try reader.string("status")) else { throw SyncError(.malformed, "verdicts[\(index)]: unknown status") }
        self.status = status
        version = try reader.optionalInteger("version")
        code = try reader.optionalString("code")
        field = try reader.optionalString("field")
        message = try reader.optionalString("message", maximum: 4000)
        blockedBy = try reader.optionalInteger("blocked_by")
        if status != .refused, version == nil { throw SyncError(.malformed, "verdicts[\(index)]: an applied verdict needs 'version'") }
    }
}

/// `push` response: one verdict per mutation sent, in order.
public struct PushResponse: Sendable, Equatable {
    public let verdicts: [Verdict]
    /// The highest seq the node has a verdict for from this replica.
    public let lastSeq: Int64

    public init(verdicts: [Verdict], lastSeq: Int64) {
        self.verdicts = verdicts
        self.lastSeq = lastSeq
    }

    public var json: JSONValue {
        .object(["protocol": .integer(SyncProtocol.version), "verdicts": .array(verdicts.map(\.json)), "last_seq": .integer(lastSeq)])
    }

    public init(json: JSONValue) throws(SyncError) {
        let reader = try MessageReader(json, "push response")
        try reader.checkProtocol()
        var verdicts: [Verdict] = []
        for (index, element) in try reader.array("verdicts").enumerated() { verdicts.append(try Verdict(json: element, index: index)) }
        self.verdicts = verdicts
        lastSeq = try reader.integer("last_seq")
    }
}

/// `pull` request: the changes after a cursor, or a snapshot of some tables.
public struct PullRequest: Sendable, Equatable {
    public let replica: String
    public let cursor: Int64
    public let maxBytes: Int
    /// Tables to re-fetch whole (their rows replace the replica's).
    public let snapshotTables: [String]
    /// Where the previous snapshot page stopped: `table`, `id`.
    public let snapshotAfter: SnapshotPosition?

    public init(replica: String, cursor: Int64, maxBytes: Int = SyncProtocol.defaultPageBytes, snapshotTables: [String] = [],
                snapshotAfter: SnapshotPosition? = nil) {
        self.replica = replica
        self.cursor = cursor
        self.maxBytes = maxBytes
        self.snapshotTables = snapshotTables
        self.snapshotAfter = snapshotAfter
    }

    public var json: JSONValue {
        var members: [String: JSONValue] = ["protocol": .integer(SyncProtocol.version), "replica": .string(replica),
                                            "cursor": .integer(cursor), "max_bytes": .integer(Int64(maxBytes))]
        if !snapshotTables.isEmpty { members["snapshot_tables"] = .array(snapshotTables.map { .string($0) }) }
        if let snapshotAfter { members["snapshot_after"] = snapshotAfter.json }
        return .object(members)
    }

    public init(json: JSONValue) throws(SyncError) {
        let reader = try MessageReader(json, "pull request")
        try reader.checkProtocol()
        replica = try reader.string("replica", maximum: 80)
        guard IdentifierFactory.isValid(replica, prefix: "rep") else { throw SyncError(.malformed, "pull request: 'replica' is not a replica id") }
        cursor = try reader.integer("cursor")
        let requested = try reader.optionalInteger("max_bytes", 1...Int64(Int32.max)) ?? Int64(SyncProtocol.defaultPageBytes)
        maxBytes = Int(min(max(requested, Int64(SyncProtocol.minimumPageBytes)), Int64(SyncProtocol.maximumPageBytes)))
        var tables: [String] = []
        if let member = json["snapshot_tables"], member != .null, member.arrayValue == nil {
            throw SyncError(.malformed, "pull request: 'snapshot_tables' must be an array")
        }
        for element in json["snapshot_tables"]?.arrayValue ?? [] {
            guard let name = element.stringValue, Schema.replicatedTables.contains(name) else {
                throw SyncError(.malformed, "pull request: snapshot_tables holds an unknown table")
            }
            tables.append(name)
        }
        snapshotTables = tables
        snapshotAfter = try json["snapshot_after"].flatMap { $0 == .null ? nil : $0 }.map { value throws(SyncError) in try SnapshotPosition(json: value) }
    }
}

/// A position inside a snapshot: the last row sent.
public struct SnapshotPosition: Sendable, Equatable {
    public let table: String
    public let id: String
    /// The node's head when the snapshot started; the cursor once it ends.
    public let at: Int64

    public init(table: String, id: String, at: Int64) {
        self.table = table
        self.id = id
        self.at = at
    }

    var json: JSONValue { .object(["table": .string(table), "id": .string(id), "at": .integer(at)]) }

    init(json: JSONValue) throws(SyncError) {
        let reader = try MessageReader(json, "snapshot_after")
        table = try reader.string("table", maximum: 64)
        guard Schema.replicatedTables.contains(table) else { throw SyncError(.malformed, "snapshot_after: unknown table") }
        id = try reader.string("id", maximum: 200)
        at = try reader.integer("at")
    }
}

/// One row change in a pull page.
public struct Change: Sendable, Equatable {
    public enum Operation: String, Sendable { case upsert, delete }

    /// The change-log position (0 in snapshots: the row's own version is in `row`).
    public let version: Int64
    public let table: String
    public let id: String
    public let operation: Operation
    /// The whole row after the change (upserts only).
    public let row: [String: JSONValue]?
    /// The row as stored JSON text, written as is (the node serves its log without re-encoding).
    let rowText: String?

    public init(version: Int64, table: String, id: String, operation: Operation, row: [String: JSONValue]?) {
        self.version = version
        self.table = table
        self.id = id
        self.operation = operation
        self.row = row
        self.rowText = nil
    }

    /// A change whose row is already JSON text (from the change log).
    init(version: Int64, table: String, id: String, operation: Operation, rowText: String?) {
        self.version = version
        self.table = table
        self.id = id
        self.operation = operation
        self.row = nil
        self.rowText = rowText
    }

    public static func == (lhs: Change, rhs: Change) -> Bool {
        lhs.version == rhs.version && lhs.table == rhs.table && lhs.id == rhs.id && lhs.operation == rhs.operation
            && lhs.rowValue == rhs.rowValue
    }

    /// The row, parsed from its text when needed.
    var rowValue: [String: JSONValue]? {
        if let row { return row }
        return rowText.flatMap { try? JSONValue(parsing: $0).objectValue }
    }

    /// Writes `{"id":…,"op":…,"row":…,"t":…,"v":…}` (keys sorted, as JSONWriter would).
    func write(into out: inout String) {
        out += "{\"id\":"
        JSONWriter.writeString(id, into: &out)
        out += ",\"op\":\"" + operation.rawValue + "\""
        if let rowText {
            out += ",\"row\":" + rowText
        } else if let row {
            out += ",\"row\":"
            JSONWriter.write(.object(row), into: &out)
        }
        out += ",\"t\":"
        JSONWriter.writeString(table, into: &out)
        out += ",\"v\":" + String(version) + "}"
    }

    var json: JSONValue {
        var members: [String: JSONValue] = ["v": .integer(version), "t": .string(table), "id": .string(id), "op": .string(operation.rawValue)]
        if let row = rowValue { members["row"] = .object(row) }
        return .object(members)
    }

    init(json: JSONValue, index: Int) throws(SyncError) {
        let reader = try MessageReader(json, "changes[\(index)]")
        version = try reader.integer("v")
        table = try reader.string("t", maximum: 64)
        guard Schema.replicatedTables.contains(table) else { throw SyncError(.malformed, "changes[\(index)]: unknown table \(table) (from a newer Outpost? upgrade outpost)") }
        id = try reader.string("id", maximum: 200)
        guard let operation = Operation(rawValue: try reader.string("op")) else { throw SyncError(.malformed, "changes[\(index)]: unknown op") }
        self.operation = operation
        if operation == .upsert {
            let row = try reader.object("row")
            guard row["id"]?.stringValue == id else { throw SyncError(.malformed, "changes[\(index)]: row id differs from id") }
            self.row = row
        } else {
            row = nil
        }
        rowText = nil
    }
}

/// Row count and digest of one table, for the end-of-pull check.
public struct TableDigest: Sendable, Equatable {
    public let rows: Int64
    public let digest: Int64

    public init(rows: Int64, digest: Int64) {
        self.rows = rows
        self.digest = digest
    }
}

/// `pull` response: a page of changes.
public struct PullResponse: Sendable, Equatable {
    /// The cursor to send next time (and to store with this page).
    public let cursor: Int64
    /// Whether more pages follow.
    public let more: Bool
    public let changes: [Change]
    /// Tables whose rows the replica must delete before applying this page (first snapshot page).
    public let reset: [String]
    /// Where a snapshot continues; `nil` when this is not a snapshot page or it is the last one.
    public let snapshotAfter: SnapshotPosition?
    /// The whole snapshot's tables, repeated on every snapshot page.
    public let snapshotTables: [String]
    /// On the last page: per-table row counts and digests of the node's state at `cursor`.
    public let digests: [String: TableDigest]?

    public init(cursor: Int64, more: Bool, changes: [Change], reset: [String] = [], snapshotAfter: SnapshotPosition? = nil,
                snapshotTables: [String] = [], digests: [String: TableDigest]? = nil) {
        self.cursor = cursor
        self.more = more
        self.changes = changes
        self.reset = reset
        self.snapshotAfter = snapshotAfter
        self.snapshotTables = snapshotTables
        self.digests = digests
    }

    /// The response as JSON text, streaming change rows without re-encoding them.
    public var serialized: String {
        var head = json(changes: false).serialized
        // `json(changes: false)` holds `"changes":[]`; splice the changes in.
        guard let range = head.range(of: "\"changes\":[]") else { return json.serialized }
        var list = "\"changes\":["
        for (index, change) in changes.enumerated() {
            if index > 0 { list += "," }
            change.write(into: &list)
        }
        list += "]"
        head.replaceSubrange(range, with: list)
        return head
    }

    public var json: JSONValue { json(changes: true) }

    func json(changes includeChanges: Bool) -> JSONValue {
        var members: [String: JSONValue] = ["protocol": .integer(SyncProtocol.version), "cursor": .integer(cursor), "more": .bool(more),
                                            "changes": .array(includeChanges ? changes.map(\.json) : [])]
        if !reset.isEmpty { members["reset"] = .array(reset.map { .string($0) }) }
        if !snapshotTables.isEmpty { members["snapshot_tables"] = .array(snapshotTables.map { .string($0) }) }
        if let snapshotAfter { members["snapshot_after"] = snapshotAfter.json }
        if let digests {
            members["digests"] = .object(digests.mapValues { .object(["rows": .integer($0.rows), "digest": .integer($0.digest)]) })
        }
        return .object(members)
    }

    public init(json: JSONValue) throws(SyncError) {
        let reader = try MessageReader(json, "pull response")
        try reader.checkProtocol()
        cursor = try reader.integer("cursor")
        more = try reader.bool("more")
        var changes: [Change] = []
        for (index, element) in try reader.array("changes").enumerated() { changes.append(try Change(json: element, index: index)) }
        self.changes = changes
        reset = try Self.tables(json["reset"], "reset")
        snapshotTables = try Self.tables(json["snapshot_tables"], "snapshot_tables")
        snapshotAfter = try json["snapshot_after"].flatMap { $0 == .null ? nil : $0 }.map { value throws(SyncError) in try SnapshotPosition(json: value) }
        if let members = json["digests"]?.objectValue {
            var digests: [String: TableDigest] = [:]
            for (table, value) in members {
                guard let rows = value["rows"]?.integerValue, let digest = value["digest"]?.integerValue else {
                    throw SyncError(.malformed, "pull response: digest of \(table) needs rows and digest")
                }
                digests[table] = TableDigest(rows: rows, digest: digest)
            }
            self.digests = digests
        } else {
            digests = nil
        }
    }

    static func tables(_ value: JSONValue?, _ field: String) throws(SyncError) -> [String] {
        guard let value, value != .null else { return [] }
        guard let elements = value.arrayValue else { throw SyncError(.malformed, "pull response: '\(field)' must be an array") }
        var names: [String] = []
        for element in elements {
            guard let name = element.stringValue, Schema.replicatedTables.contains(name) else {
                throw SyncError(.malformed, "pull response: \(field) holds an unknown table")
            }
            names.append(name)
        }
        return names
    }
}
