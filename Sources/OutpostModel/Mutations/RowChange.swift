import OutpostStore

/// One row written by a mutation: its image before and after.
///
/// The replica keeps these with each queued mutation to undo it (discard,
/// rebase); the node appends them to its change log. `before == nil` is an
/// insert, `after == nil` a delete.
public struct RowChange: Codable, Sendable, Equatable {
    public let table: String
    public let id: String
    public let before: [String: SQLValue]?
    public let after: [String: SQLValue]?

    public init(table: String, id: String, before: [String: SQLValue]?, after: [String: SQLValue]?) {
        self.table = table
        self.id = id
        self.before = before
        self.after = after
    }

    /// The columns whose value differs between before and after.
    public var changedColumns: [String] {
        guard let before, let after else { return (after ?? before ?? [:]).keys.sorted() }
        return after.keys.filter { before[$0] != after[$0] }.sorted()
    }
}
