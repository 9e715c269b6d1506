import Foundation
import OutpostStore

/// Names and numbers by id, so every row shows what people call things
/// (customer names, plan names, invoice numbers) instead of ids.
///
/// Each id is looked up by its primary key when first asked for and then
/// remembered: a listing reads only the names its rows show, and a command
/// that names one thing reads one row, however large the replica.
final class NameBook {
    private let db: Database
    private var known: [String: String] = [:]

    init(_ db: Database) {
        self.db = db
    }

    /// The customer's name, or its id when this replica does not know it.
    func customer(_ id: String) throws -> String {
        try label(id, "SELECT name FROM customer WHERE id = ?")
    }

    /// The plan's name, or its id.
    func plan(_ id: String) throws -> String {
        try label(id, "SELECT name FROM plan WHERE id = ?")
    }

    /// The invoice's number (`pending` before the node numbers it), or its id.
    func invoiceNumber(_ id: String) throws -> String {
        try label(id, "SELECT coalesce(number, 'pending') FROM invoice WHERE id = ?")
    }

    /// Ids carry their table's prefix, so one cache serves the three kinds.
    private func label(_ id: String, _ sql: String) throws -> String {
        if let label = known[id] { return label }
        let label = try db.scalar(sql, [id])?.string ?? id
        known[id] = label
        return label
    }
}
