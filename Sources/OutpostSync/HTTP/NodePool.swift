import Foundation

/// The node objects `node serve` lends to exchanges on a PostgreSQL node: at most `size` of them, each holding one
/// connection (its registry and every reseller's schema share it), so a process holds at most `size` connections
/// for exchanges however many resellers it serves; two processes with the default size hold 2 × 9 of PostgreSQL's
/// 100 `max_connections` (one more each for tokens).
///
/// Connections are opened when first needed and kept. A request that finds none free waits until its deadline and is
/// then answered 503 with `Retry-After`, never held longer; one that cannot connect (the database is down) gets 503
/// at once. A connection the server dropped (a restart, a failover) reconnects at its next use (`PostgresDatabase`).
final class NodePool: @unchecked Sendable {
    // @unchecked: `idle` and `opened` are only touched under `condition`; a lent node is used by the one thread
    // that borrowed it until it is given back.
    let size: Int
    private let open: () throws -> Node
    private let condition = NSCondition()
    private var idle: [Node] = []
    private var opened = 0

    init(size: Int, open: @escaping () throws -> Node) {
        precondition(size > 0)
        self.size = size
        self.open = open
    }

    /// Runs `body` with a node of the pool; `nil` when none came free before `deadline`.
    func withNode<T>(before deadline: Date, _ body: (Node) throws -> T) throws -> T? {
        guard let node = try borrow(before: deadline) else { return nil }
        defer { giveBack(node) }
        return try body(node)
    }

    private func borrow(before deadline: Date) throws -> Node? {
        condition.lock()
        while idle.isEmpty && opened >= size {
            guard condition.wait(until: deadline) else {
                condition.unlock()
                return nil
            }
        }
        if let node = idle.popLast() {
            condition.unlock()
            return node
        }
        opened += 1
        condition.unlock()
        do {
            return try open()
        } catch {
            condition.lock()
            opened -= 1
            condition.signal()
            condition.unlock()
            throw error
        }
    }

    private func giveBack(_ node: Node) {
        condition.lock()
        idle.append(node)
        condition.signal()
        condition.unlock()
    }
}
