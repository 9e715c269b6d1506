import Foundation
import OutpostStore

/// `conflict.resolve`: a person settles a conflict — keeps the kept value,
/// puts the overwritten one back, or sets a value of their own.
///
/// The field is set through the entity's own update mutation, with the row's
/// current version as its base (so settling never conflicts again) and that
/// mutation's rules (a bad phone is refused). The conflict is marked resolved
/// with who and when. Resolving one that is already resolved is refused.
public struct ResolveConflict: Mutation {
    public static let name = "conflict.resolve"
    public static let version = 1

    public var id: String
    /// `kept`, `overwritten` or `value`.
    public var keep: String
    /// With `keep: value`: the value, as text (a number for a number field).
    public var value: String?

    public init(id: String, keep: Conflict.Resolution, value: String? = nil) {
        self.id = id
        self.keep = keep.rawValue
        self.value = value
    }

    public func apply(in context: MutationContext) throws {
        let id = try FieldRules.id(id, prefix: "cfl", field: "id")
        guard let row = try context.fetch("conflict", id: id) else {
            throw MutationRefusal.notFound("id", "no conflict \(id)")
        }
        let conflict = try Conflict(row: row)
        if let settled = conflict.settlement {
            throw MutationRefusal.notAllowed("id", "conflict \(id) is already resolved (\(settled))")
        }
        guard let how = Conflict.Resolution(rawValue: keep) else {
            throw MutationRefusal.invalid("keep", "keep must be kept, overwritten or value, not \(keep)")
        }
        let target = try chosenValue(how, conflict: conflict, context: context)
        try set(target, conflict: conflict, context: context)
        try context.update("conflict", id: id, [
            ("resolved_at", context.now.description), ("resolved_by", context.actor), ("resolution", how.rawValue),
            ("resolved_value", target.json),
        ])
    }

    /// The value the field will hold, typed like the column holds it.
    private func chosenValue(_ how: Conflict.Resolution, conflict: Conflict, context: MutationContext) throws -> (sql: SQLValue, json: String) {
        func parsed(_ text: String?) throws -> (SQLValue, String) {
            guard let text, let json = try? JSONValue(parsing: text), let sql = SQLValue(json: json) else {
                throw MutationRefusal.invalid("id", "conflict \(conflict.id) holds no usable value to keep; use a value of your own")
            }
            return (sql, text)
        }
        switch how {
        case .kept: return try parsed(conflict.kept.value)
        case .overwritten: return try parsed(conflict.overwritten.value)
        case .value:
            guard let value else { throw MutationRefusal.invalid("value", "give the value to set") }
            let current = try context.fetch(conflict.entity, id: conflict.entityId)?.dictionary[conflict.field]
            if case .integer? = current {
                guard let number = Int64(value.trimmingCharacters(in: .whitespaces)) else {
                    throw MutationRefusal.invalid("value", "\(conflict.field) is a whole number, not \(value)")
                }
                return (.integer(number), String(number))
            }
            return (.text(value), JSONValue.string(value).serialized)
        }
    }

    /// Sets the field through the entity's own mutation; nothing to do when it already holds the value.
    private func set(_ target: (sql: SQLValue, json: String), conflict: Conflict, context: MutationContext) throws {
        guard let row = try context.fetch(conflict.entity, id: conflict.entityId)?.dictionary else {
            throw MutationRefusal.notFound("id", "\(conflict.entity) \(conflict.entityId) of conflict \(conflict.id) no longer exists")
        }
        guard row[conflict.field] != target.sql else { return }
        let base = JSONValue.integer(row["version"]?.int64 ?? 0)
        let value = target.sql.json
        var args: [String: JSONValue]
        let name: String
        switch (conflict.entity, conflict.field) {
        case ("customer", "status"):
            guard let status = target.sql.string, let mutation = ["active": "customer.activate", "suspended": "customer.suspend", "closed": "customer.close"][status] else {
                throw MutationRefusal.invalid("value", "a customer's status is active, suspended or closed")
            }
            name = mutation
            args = ["id": .string(conflict.entityId), "base_version": base]
        case ("customer", _): (name, args) = ("customer.update", ["id": .string(conflict.entityId), "base_version": base, conflict.field: value])
        case ("customer_user", _): (name, args) = ("customer_user.update", ["id": .string(conflict.entityId), "base_version": base, conflict.field: value])
        case ("panel_user", _): (name, args) = ("user.update", ["id": .string(conflict.entityId), "base_version": base, conflict.field: value])
        case ("settings", _): (name, args) = ("settings.update", ["base_version": base, conflict.field: value])
        case ("price_rule", "markup_bp"):
            (name, args) = ("price.set_markup", ["markup_bp": value, "base_version": base])
            if let plan = row["plan_id"]?.string { args["plan_id"] = .string(plan) }
        default:
            throw MutationRefusal.notAllowed("id", "\(conflict.entity) \(conflict.field) cannot be set here; change it with its own command, then resolve with the value it holds")
        }
        guard let type = MutationCatalogue.byName[name] else { throw MutationCatalogue.UnknownMutation(name: name, version: 0) }
        let mutation = try MutationCatalogue.decode(name: name, version: type.version, args: .object(args))
        // An update ignores arguments it does not have: make sure this field is one it sets.
        let accepted = try JSONValue(parsing: try MutationCatalogue.encode(mutation))
        guard conflict.entity == "customer" && conflict.field == "status" || accepted[conflict.field] != nil else {
            throw MutationRefusal.notAllowed("id", "\(conflict.entity) \(conflict.field) cannot be set here; change it with its own command, then resolve with the value it holds")
        }
        try mutation.apply(in: context)
    }
}
