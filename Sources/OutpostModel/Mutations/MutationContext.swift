import OutpostStore

/// Which side is running a mutation. The rules are the same; only facts the
/// node owns (order numbers, submission) differ.
public enum Authority: String, Sendable {
    /// A reseller's local replica: optimistic, queued for the node.
    case replica
    /// The central node: authoritative.
    case node
}

/// What a mutation sees and writes through: the database inside an open
/// transaction, the instant the user acted, and a recorder of every row it
/// writes (the undo record on a replica, the change log on the node).
public final class MutationContext {
    public let db: any SQLDatabase
    /// When the user made the change; re-applying a queued mutation uses its original instant.
    public let now: Timestamp
    public let authority: Authority
    /// Who acts: on the node, the panel user whose token pushed the mutation; empty on a replica
    /// (which does not know its user's name; the node's record replaces the optimistic one).
    public var actor = ""
    /// Every row written so far, in order.
    public private(set) var changes: [RowChange] = []
    private let recordsChanges: Bool

    public init(db: any SQLDatabase, now: Timestamp, authority: Authority, recordsChanges: Bool = true) {
        self.db = db
        self.now = now
        self.authority = authority
        self.recordsChanges = recordsChanges
    }

    /// Today's business date (UTC).
    public var today: BusinessDate { now.date }

    /// The current row with this id, if any.
    public func fetch(_ table: String, id: String) throws -> Row? {
        try db.row(SQLText.select(table), [id])
    }

    /// Refuses an id that is already taken: ids come from the replica, so a
    /// reused one is a duplicate, never a database error.
    public func requireNew(_ table: String, id: String, field: String, what: String) throws {
        guard try fetch(table, id: id) == nil else {
            throw MutationRefusal(.duplicate, field: field, "\(what) \(id) already exists")
        }
    }

    /// Inserts a row and records it.
    public func insert(_ table: String, _ values: [(String, any SQLBindable)]) throws {
        guard try insert(table, values, skippingTakenId: false) else {
            preconditionFailure("insert into \(table) inserted nothing")
        }
    }

    /// Inserts a row whose id must be new, refusing one already taken: `requireNew` and `insert` as one statement
    /// (on PostgreSQL one round trip instead of two).
    public func insertNew(_ table: String, _ values: [(String, any SQLBindable)], field: String, what: String) throws {
        guard try insert(table, values, skippingTakenId: true) else {
            let id = values.first(where: { $0.0 == "id" })?.1.sqlValue.string ?? ""
            throw MutationRefusal(.duplicate, field: field, "\(what) \(id) already exists")
        }
    }

    /// Whether the row went in (`skippingTakenId`: an id already taken inserts nothing, rather than failing).
    private func insert(_ table: String, _ values: [(String, any SQLBindable)], skippingTakenId: Bool) throws -> Bool {
        let sql = SQLText.insert(table, columns: values.map(\.0)) + (skippingTakenId ? " ON CONFLICT (id) DO NOTHING" : "")
        guard recordsChanges else {
            try db.execute(sql, values.map(\.1))
            return db.changes > 0
        }
        // The row as stored (defaults filled in) comes back with the insert: one statement, not an insert and a read.
        guard let after = try db.row(sql + " RETURNING *", values.map(\.1)) else { return false }
        guard let id = values.first(where: { $0.0 == "id" })?.1.sqlValue.string else {
            preconditionFailure("inserted \(table) row has no text id")
        }
        changes.append(RowChange(table: table, id: id, before: nil, after: after.dictionary))
        return true
    }

    /// Sets columns of one row and records it; a no-op when nothing changes.
    public func update(_ table: String, id: String, _ values: [(String, any SQLBindable)]) throws {
        guard let before = try fetch(table, id: id)?.dictionary else {
            preconditionFailure("update of missing \(table) row \(id): validate before writing")
        }
        let changed = values.filter { before[$0.0] != $0.1.sqlValue }
        guard !changed.isEmpty else { return }
        let assignments = changed.map { "\(SQLIdentifier.checked($0.0)) = ?" }.joined(separator: ", ")
        try db.execute("UPDATE \(SQLIdentifier.checked(table)) SET \(assignments) WHERE id = ?", changed.map(\.1) + [id])
        guard recordsChanges else { return }
        var after = before
        for (column, value) in changed { after[column] = value.sqlValue }
        changes.append(RowChange(table: table, id: id, before: before, after: after))
    }

    /// Deletes one row and records its last image.
    public func delete(_ table: String, id: String) throws {
        let before = try fetch(table, id: id)?.dictionary
        try db.execute("DELETE FROM \(SQLIdentifier.checked(table)) WHERE id = ?", [id])
        if recordsChanges, let before {
            changes.append(RowChange(table: table, id: id, before: before, after: nil))
        }
    }

    /// Undoes recorded changes, newest first, restoring each row's before-image.
    public static func undo(_ changes: [RowChange], in db: any SQLDatabase) throws {
        for change in changes.reversed() {
            try restore(table: change.table, id: change.id, to: change.before, in: db)
        }
    }

    /// Makes the row with `id` equal `image` (deleting it when `image` is nil).
    public static func restore(table: String, id: String, to image: [String: SQLValue]?, in db: any SQLDatabase) throws {
        let name = SQLIdentifier.checked(table)
        guard let image else {
            try db.execute("DELETE FROM \(name) WHERE id = ?", [id])
            return
        }
        let columns = image.keys.sorted().filter { $0 != "id" }
        let exists = try db.scalar("SELECT 1 FROM \(name) WHERE id = ?", [id]) != nil
        if exists {
            let assignments = columns.map { "\(SQLIdentifier.checked($0)) = ?" }.joined(separator: ", ")
            try db.execute("UPDATE \(name) SET \(assignments) WHERE id = ?", columns.map { image[$0]! } + [SQLValue.text(id)])
        } else {
            let all = ["id"] + columns
            let sql = "INSERT INTO \(name) (\(all.map(SQLIdentifier.checked).joined(separator: ", "))) VALUES (\(Array(repeating: "?", count: all.count).joined(separator: ", ")))"
            try db.execute(sql, [SQLValue.text(id)] + columns.map { image[$0]! })
        }
    }
}

/// Statement texts, built once per table and column list (writers run these for every row).
enum SQLText {
    private static let cache = SQLTextCache()

    static func insert(_ table: String, columns: [String]) -> String {
        cache.text(for: table + "\u{1}" + columns.joined(separator: ",")) {
            let names = columns.map(SQLIdentifier.checked)
            return "INSERT INTO \(SQLIdentifier.checked(table)) (\(names.joined(separator: ", "))) VALUES (\(Array(repeating: "?", count: names.count).joined(separator: ", ")))"
        }
    }

    static func select(_ table: String) -> String {
        cache.text(for: table) { "SELECT * FROM \(SQLIdentifier.checked(table)) WHERE id = ?" }
    }
}

/// A lock-guarded dictionary of statement texts.
final class SQLTextCache: @unchecked Sendable {
    // @unchecked: `texts` is only touched under `lock`.
    private var texts: [String: String] = [:]
    private let lock = Mutex()

    func text(for key: String, make: () -> String) -> String {
        lock.withLock {
            if let known = texts[key] { return known }
            let text = make()
            texts[key] = text
            return text
        }
    }
}

/// Table and column names come from code, never from data; this checks it.
enum SQLIdentifier {
    static func checked(_ name: String) -> String {
        precondition(!name.isEmpty && name.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || $0 == 95 || ($0 >= 48 && $0 <= 57) },
                     "not a plain SQL identifier: \(name)")
        return name
    }
}
