import Foundation

/// An entity's JSON with the names people read added beside its own fields (`customer_name`,
/// `invoice_number`): scripts keep the ids they rely on, and get the names the text shows.
struct Annotated<Entity: Encodable>: Encodable {
    let entity: Entity
    /// Extra fields, camelCase (the encoder makes them snake_case); `nil` encodes as `null`.
    let extra: [String: String?]

    init(_ entity: Entity, _ extra: [String: String?]) {
        self.entity = entity
        self.extra = extra
    }

    private struct Key: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        // The entity's own keyed container, then ours on the same encoder: JSONEncoder merges the two.
        try entity.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        for (key, value) in extra { try container.encode(value, forKey: Key(stringValue: key)) }
    }
}
