import Foundation
import OutpostStore

/// A record of two edits of the same field made without seeing each other:
/// which value was kept, which was overwritten, whose each was, why, and —
/// once a person settled it — how.
///
/// Written by the node when it merges a push (the later edit wins, judged by
/// when it was made), replicated like any row, and read on every laptop from
/// that laptop's side.
public struct Conflict: Sendable, Equatable {
    /// Why the kept value was kept.
    public enum Reason: String, Sendable {
        /// It was made later.
        case laterEdit = "later_edit"
        /// It was made later, counted as made at its arrival because its laptop's clock was ahead of the node's.
        case laterEditClockAhead = "later_edit_clock_ahead"
        /// Both were made at the same instant; the one that reached the node later wins.
        case sameInstantLaterArrival = "same_instant_later_arrival"
        /// Recorded before Outpost judged by time: the later arrival was kept.
        case arrivalOrder = "arrival_order"

        /// The reason in words.
        public var words: String {
            switch self {
            case .laterEdit: return "later edit"
            case .laterEditClockAhead: return "later edit (its clock was ahead; counted as made at arrival)"
            case .sameInstantLaterArrival: return "same instant; later arrival"
            case .arrivalOrder: return "later arrival (recorded before edits were judged by time)"
            }
        }
    }

    /// One of the two edits: its value (JSON text), where and by whom it was made, and when it counts as made.
    public struct Edit: Sendable, Equatable {
        /// The value it set, as JSON text (`"\"+49 30 1111\""`, `2500`, `null`).
        public let value: String?
        /// The replica that pushed it; `node` for a back-office fact; empty when unknown (old records).
        public let replica: String
        /// The panel user whose token pushed it; empty when unknown.
        public let user: String
        /// When it counts as made (UTC ISO-8601); empty when unknown.
        public let at: String

        /// Who made it, for people: the user, else the replica, else "someone".
        public var who: String {
            if !user.isEmpty { return user }
            if replica == "node" { return "the node" }
            return replica.isEmpty ? "another writer" : replica
        }
    }

    /// How a person settled it.
    public enum Resolution: String, Sendable {
        /// The kept value stays.
        case kept
        /// The overwritten value was put back.
        case overwritten
        /// A value given by the person.
        case value
    }

    /// `cfl_…`, made by the node.
    public let id: String
    /// The table of the row both edits changed, and its id.
    public let entity: String
    public let entityId: String
    /// The column both edits set.
    public let field: String
    /// The edit whose value the row holds, and the one that lost.
    public let kept: Edit
    public let overwritten: Edit
    public let reason: Reason
    /// When the node recorded it.
    public let at: String
    /// The mutation whose push found it, and its seq from `replicaId`.
    public let mutation: String
    public let replicaId: String
    public let seq: Int64
    public let resolvedAt: String?
    /// Who resolved it (empty until the node has confirmed the resolution).
    public let resolvedBy: String?
    public let resolution: Resolution?
    /// The value it was settled with (JSON text).
    public let resolvedValue: String?

    /// Whether a person still has to settle it.
    public var isOpen: Bool { resolvedAt == nil }

    /// Reads a `conflict` row.
    public init(row: Row) throws {
        id = try row.string("id")
        entity = try row.string("entity")
        entityId = try row.string("entity_id")
        field = try row.string("field")
        kept = Edit(value: try row.optionalString("kept_value"), replica: try row.string("kept_replica"),
                    user: try row.string("kept_user"), at: try row.string("kept_at"))
        overwritten = Edit(value: try row.optionalString("overwritten_value"), replica: try row.string("overwritten_replica"),
                           user: try row.string("overwritten_user"), at: try row.string("overwritten_at"))
        reason = Reason(rawValue: try row.string("reason")) ?? .arrivalOrder
        at = try row.string("at")
        mutation = try row.string("mutation")
        replicaId = try row.string("replica_id")
        seq = try row.int64("seq")
        resolvedAt = try row.optionalString("resolved_at")
        resolvedBy = try row.optionalString("resolved_by")
        resolution = try row.optionalString("resolution").flatMap(Resolution.init(rawValue:))
        resolvedValue = try row.optionalString("resolved_value")
    }

    // MARK: Reading

    /// Open conflicts, newest first; with `includeResolved`, every one.
    public static func list(includeResolved: Bool = false, in db: any SQLDatabase) throws -> [Conflict] {
        let sql = includeResolved ? "SELECT * FROM conflict ORDER BY at DESC, id DESC"
            : "SELECT * FROM conflict WHERE resolved_at IS NULL ORDER BY at DESC, id DESC"
        return try db.rows(sql).map(Conflict.init(row:))
    }

    /// How many conflicts are still open (what monitoring and the dashboards count).
    public static func openCount(in db: any SQLDatabase) throws -> Int {
        Int(try db.scalar("SELECT count(*) FROM conflict WHERE resolved_at IS NULL")?.int64 ?? 0)
    }

    /// The conflict with this id or unique id prefix; a refusal naming the problem otherwise.
    public static func find(_ idOrPrefix: String, in db: any SQLDatabase) throws -> Conflict {
        let text = idOrPrefix.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { throw MutationRefusal.invalid("id", "give a conflict id (see outpost conflicts)") }
        if let row = try db.row("SELECT * FROM conflict WHERE id = ?", [text]) { return try Conflict(row: row) }
        // A prefix: LIKE would treat _ (in every id) as a wildcard, so compare the leading characters.
        let rows = try db.rows("SELECT * FROM conflict WHERE substr(id, 1, ?) = ? ORDER BY id LIMIT 2", [Int64(text.count), text])
        guard let first = rows.first else {
            throw MutationRefusal.notFound("id", "no conflict \(text) (see outpost conflicts --all)")
        }
        guard rows.count == 1 else {
            throw MutationRefusal.invalid("id", "conflict id prefix \(text) is ambiguous; give more of the id")
        }
        return try Conflict(row: first)
    }

    // MARK: Words

    /// The entity as people know it: `customer Contoso GmbH (cus_01…)`.
    public func subject(in db: any SQLDatabase) throws -> String {
        let label: String?
        switch entity {
        case "customer": label = try db.scalar("SELECT name FROM customer WHERE id = ?", [entityId])?.string
        case "customer_user", "panel_user":
            label = try db.scalar("SELECT username FROM \(entity == "panel_user" ? "panel_user" : "customer_user") WHERE id = ?", [entityId])?.string
        case "settings": return "settings"
        case "price_rule": return entityId == "prc_default" ? "default markup" : "markup rule \(entityId)"
        default: label = nil
        }
        let kind = entity.replacingOccurrences(of: "_", with: " ")
        return label.map { "\(kind) \($0) (\(entityId))" } ?? "\(kind) \(entityId)"
    }

    /// A JSON value text as people read it: strings without quotes, `(none)` for null.
    public static func shown(_ json: String?) -> String {
        guard let json else { return "(none)" }
        guard let value = try? JSONValue(parsing: json) else { return json }
        switch value {
        case .null: return "(none)"
        case .string(let text): return "\"\(text)\""
        default: return json
        }
    }

    /// Whether the edit that lost was made on `replica`.
    public func lost(by replica: String) -> Bool { !replica.isEmpty && overwritten.replica == replica }

    /// What happened, told from `replica`'s side:
    /// "your edit \"+1\" was overwritten by ben's later edit \"+2\"", or "your edit … was kept over …".
    public func story(from replica: String) -> String {
        let lostValue = Self.shown(overwritten.value), keptValue = Self.shown(kept.value)
        let winner = name(kept, other: overwritten), loser = name(overwritten, other: kept)
        if lost(by: replica) {
            let how: String
            switch reason {
            case .laterEdit: how = "\(winner)'s later edit \(keptValue)\(Self.when(kept.at))"
            case .laterEditClockAhead, .sameInstantLaterArrival, .arrivalOrder:
                how = "\(winner)'s edit \(keptValue)\(Self.when(kept.at)) (\(reason.words))"
            }
            return "your edit \(lostValue)\(Self.when(overwritten.at)) was overwritten by \(how)"
        }
        let keptSide = !replica.isEmpty && kept.replica == replica ? "your edit" : "\(winner)'s edit"
        return "\(keptSide) \(keptValue)\(Self.when(kept.at)) was kept over \(loser)'s edit \(lostValue)\(Self.when(overwritten.at)) (\(reason.words))"
    }

    /// Who made `edit`; with the replica too when both sides are the same user (one person, two laptops).
    private func name(_ edit: Edit, other: Edit) -> String {
        edit.user.isEmpty || edit.user != other.user || edit.replica.isEmpty ? edit.who : "\(edit.user) on \(edit.replica)"
    }

    /// How it was settled, or nil while open: "resolved by anna at …: kept \"+2\"".
    public var settlement: String? {
        guard let resolvedAt else { return nil }
        return "resolved by \(resolver) at \(resolvedAt): \(resolutionText)"
    }

    /// Who resolved it: the user the node recorded, or "you" while the resolution is still queued here.
    public var resolver: String { (resolvedBy ?? "").isEmpty ? "you (not yet synced)" : resolvedBy! }

    /// What the resolution did to the field: `kept "+2"`, `put back "+1"`, `set "+3"`.
    public var resolutionText: String {
        switch resolution {
        case .kept?: "kept \(Self.shown(kept.value))"
        case .overwritten?: "put back \(Self.shown(overwritten.value))"
        case .value?, nil: "set \(Self.shown(resolvedValue))"
        }
    }

    private static func when(_ at: String) -> String { at.isEmpty ? "" : " (made \(at))" }
}
