import Foundation
import OutpostStore

/// Names and numbers by id, read once per listing so every row shows what people call things
/// (customer names, plan names, invoice numbers) instead of ids.
struct NameBook {
    let customers: [String: String]
    let plans: [String: String]
    let invoiceNumbers: [String: String]

    init(_ db: Database) throws {
        customers = try Self.map("SELECT id, name AS label FROM customer", db)
        plans = try Self.map("SELECT id, name AS label FROM plan", db)
        invoiceNumbers = try Self.map("SELECT id, coalesce(number, 'pending') AS label FROM invoice", db)
    }

    private static func map(_ sql: String, _ db: Database) throws -> [String: String] {
        var result: [String: String] = [:]
        try db.forEachRow(sql) { result[try $0.string("id")] = try $0.string("label") }
        return result
    }

    /// The customer's name, or its id when this replica does not know it.
    func customer(_ id: String) -> String { customers[id] ?? id }

    /// The plan's name, or its id.
    func plan(_ id: String) -> String { plans[id] ?? id }

    /// The invoice's number (`pending` before the node numbers it), or its id.
    func invoiceNumber(_ id: String) -> String { invoiceNumbers[id] ?? id }
}
