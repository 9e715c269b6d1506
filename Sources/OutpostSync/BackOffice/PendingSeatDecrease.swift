import OutpostModel
import OutpostStore

/// A seat decrease takes effect at renewal: its change order is completed with
/// a reason saying so, and the billing run applies the latest one when the
/// period ends. A later seat change on the same subscription supersedes it.
enum PendingSeatDecrease {
    /// Every pending decrease's reason starts with this (the billing run finds them by it).
    static let marker = "Effective at renewal"

    struct Pending {
        let orderId: String
        /// The seat count after the decrease.
        let target: Int
    }

    static func reason(on date: BusinessDate, from: Int, to: Int) -> String {
        "\(marker) on \(date): \(from) → \(Plural.count(to, "seat"))"
    }

    /// The latest pending decrease of a subscription that has `quantity` seats now.
    static func find(subscriptionId: String, quantity: Int, in db: any SQLDatabase) throws -> Pending? {
        guard let row = try db.row("""
            SELECT o.id, l.quantity FROM orders o JOIN order_line l ON l.order_id = o.id
            WHERE o.subscription_id = ? AND o.type = 'change' AND o.status = 'completed' AND o.status_reason LIKE ?
            ORDER BY o.placed_at DESC, o.number DESC LIMIT 1
            """, [subscriptionId, marker + "%"]) else { return nil }
        return Pending(orderId: try row.string("id"), target: max(1, quantity + (try row.int("quantity"))))
    }

    /// A newer change wins: earlier pending decreases will not be applied.
    static func supersede(subscriptionId: String, by orderNumber: String, except orderId: String, in context: MutationContext) throws {
        for row in try context.db.rows("""
            SELECT id FROM orders WHERE subscription_id = ? AND type = 'change' AND status = 'completed' AND status_reason LIKE ? AND id != ?
            """, [subscriptionId, marker + "%", orderId]) {
            try context.update("orders", id: try row.string("id"), [("status_reason", "Superseded by \(orderNumber) before renewal")])
        }
    }

    /// The renewal on `date` applied it.
    static func markApplied(_ pending: Pending, on date: BusinessDate, from: Int, in context: MutationContext) throws {
        try context.update("orders", id: pending.orderId, [("status_reason", "Applied at renewal on \(date): \(from) → \(Plural.count(pending.target, "seat"))")])
    }
}
