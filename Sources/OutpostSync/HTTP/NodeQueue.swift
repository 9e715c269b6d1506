import Dispatch

/// The one owner of a node's databases while it serves: every exchange runs, one at a time, on a serial queue.
///
/// A `Database` connection is not `Sendable` and the node caches one per reseller, so all of them stay
/// behind this queue; HTTP connections wait their turn here (SQLite would serialize the writes anyway).
public final class NodeQueue: @unchecked Sendable {
    // @unchecked: `node` is only used inside `queue.sync`, and `queue` is serial, so no two threads ever use the
    // node or its connections at once. The initializer takes the node over: the caller must not use it afterwards.
    private let node: Node
    private let queue = DispatchQueue(label: "outpost.node.database")

    public init(node: Node) {
        self.node = node
    }

    /// `NodeExchange.handle` on the database queue.
    public func exchange(operation: String, body: [UInt8], token: String?, source: String) -> NodeExchange.Outcome {
        queue.sync {
            NodeExchange(node: node).handle(operation: operation, body: body, token: token, source: source)
        }
    }

    /// `NodeExchange.refusal(token:)` on the database queue: a token checked before a request's body is read.
    public func refusal(token: String?) -> NodeExchange.Outcome? {
        queue.sync {
            NodeExchange(node: node).refusal(token: token)
        }
    }
}
