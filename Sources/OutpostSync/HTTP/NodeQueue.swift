import Foundation

/// The owner of a node's databases while it serves. A token is checked on one serial queue that holds the node's
/// registry; the exchange then runs on its reseller's own serial queue: on SQLite with connections of its own, on
/// PostgreSQL with a connection borrowed from a pool shared by all resellers (`NodePool`), so the connections a
/// process holds stay bounded however many resellers it serves.
///
/// A `Database` connection is not `Sendable`, so every connection stays behind one queue. Resellers have separate
/// SQLite files, so their exchanges proceed side by side, while one reseller's run one at a time, in order (its
/// change-log counter would serialize them anyway). A reseller has at most `maximumRequestsPerReseller` requests
/// in the node at once; more are answered 503 at once, so a flood from one reseller holds neither the others'
/// queues nor all the connections.
public final class NodeQueue: @unchecked Sendable {
    // @unchecked: `node` is only used inside `registry.sync`, and each lane's node only inside its lane's serial
    // queue, so no two threads ever use one connection at once. `lanes` and each lane's `requests` are only read
    // and written under `lock`. The initializer takes the node over: the caller must not use it afterwards.
    private let node: Node
    private let registry = DispatchQueue(label: "outpost.node.registry")
    private let lock = NSLock()
    private var lanes: [String: Lane] = [:]
    /// Requests of one reseller in the node at once: one runs, the others wait for it.
    public let maximumRequestsPerReseller: Int
    /// What `node serve` allows unless told otherwise.
    public static let defaultMaximumRequestsPerReseller = 32

    /// On PostgreSQL, the node objects (one connection each) lent to exchanges; `nil` on SQLite.
    private let pool: NodePool?
    /// How long an exchange waits for a free connection of the pool before it is answered 503.
    public let connectionWait: TimeInterval
    /// Connections lent to exchanges at once on PostgreSQL, unless told otherwise.
    public static let defaultStoreConnections = 8
    /// How long one statement may run on PostgreSQL, unless told otherwise (`statement_timeout`).
    public static let defaultStatementTimeout: TimeInterval = 30

    /// One reseller's queue, and (on SQLite) the node opened for it alone.
    fileprivate final class Lane: @unchecked Sendable {
        // @unchecked: `requests` is only touched under the `NodeQueue`'s lock; `node` is used on `queue` alone.
        let node: Node?
        let queue: DispatchQueue
        var requests = 0

        init(node: Node?, resellerId: String) {
            self.node = node
            queue = DispatchQueue(label: "outpost.node.reseller.\(resellerId)")
        }
    }

    /// `storeConnections` and `statementTimeout` apply to a PostgreSQL node only: the pool's size, and how long one
    /// statement may run before it fails (and its request is answered 503).
    public init(node: Node, maximumRequestsPerReseller: Int = NodeQueue.defaultMaximumRequestsPerReseller,
                storeConnections: Int = NodeQueue.defaultStoreConnections, statementTimeout: TimeInterval = NodeQueue.defaultStatementTimeout,
                connectionWait: TimeInterval = 5) {
        self.node = node
        self.maximumRequestsPerReseller = maximumRequestsPerReseller
        self.connectionWait = connectionWait
        if let store = node.postgresStore {
            // Kept for the session even when it fails now (the connection just dropped): the reconnect sets it.
            try? node.limitStatements(toSeconds: statementTimeout)
            let watch = NodeChangeWatch(store: store)
            changeWatch = watch
            node.changeWatch = watch
            let directory = node.directory, clock = node.clock
            pool = NodePool(size: storeConnections) {
                let pooled = try Node.open(directory, clock: clock)
                pooled.changeWatch = watch
                try pooled.limitStatements(toSeconds: statementTimeout)
                return pooled
            }
        } else {
            pool = nil
            changeWatch = nil
        }
    }

    deinit {
        changeWatch?.stop()
    }

    /// On PostgreSQL, what this process keeps of tokens and quiet pulls while it keeps up with every change.
    public let changeWatch: NodeChangeWatch?

    /// `NodeExchange.handle` on the token's reseller's queue.
    public func exchange(operation: String, body: [UInt8], token: String?, source: String) -> NodeExchange.Outcome {
        switch admit(token: token) {
        case .success(let admitted): return exchange(operation: operation, body: body, admitted: admitted, source: source)
        case .failure(let refusal): return refusal.outcome
        }
    }

    /// A token found valid by `admit`: whose it is, and its reseller's queue.
    public struct Admitted: Sendable {
        fileprivate let lane: Lane
        fileprivate let identity: (resellerId: String, username: String)
    }

    /// Why `admit` turned a token away: the exchange's answer (401).
    public struct Refusal: Error {
        public let outcome: NodeExchange.Outcome
    }

    /// `NodeExchange.handle` on the queue of a token `admit` has just checked (not again: a hash and a query).
    public func exchange(operation: String, body: [UInt8], admitted: Admitted, source: String) -> NodeExchange.Outcome {
        let (lane, identity) = (admitted.lane, admitted.identity)
        lock.lock()
        let room = lane.requests < maximumRequestsPerReseller
        if room { lane.requests += 1 }
        lock.unlock()
        guard room else {
            return NodeExchange.failure(SyncError(.unavailable, "this reseller already has \(maximumRequestsPerReseller) requests in the node; try again shortly"),
                                        resellerId: nil)
        }
        defer {
            lock.lock()
            lane.requests -= 1
            lock.unlock()
        }
        // The wait for a connection counts from the request's arrival here, not from its turn in the lane.
        let deadline = Date().addingTimeInterval(connectionWait)
        return lane.queue.sync {
            if let node = lane.node {
                return NodeExchange(node: node).handle(operation: operation, body: body, authenticated: identity, source: source)
            }
            do {
                let outcome = try pool!.withNode(before: deadline) { node in
                    NodeExchange(node: node).handle(operation: operation, body: body, authenticated: identity, source: source)
                }
                return outcome ?? NodeExchange.failure(SyncError(.unavailable, "all \(pool!.size) database connections of this node process are busy; try again shortly"),
                                                       resellerId: nil)
            } catch {
                // The database cannot be reached: 503, and the replica tries again.
                return NodeExchange.failure(error, resellerId: nil)
            }
        }
    }

    /// Checks a token on the registry's queue: whose it is and its reseller's queue (opened on first use), or the
    /// refusal (401) an exchange would get, found before a body is read.
    public func admit(token: String?) -> Result<Admitted, Refusal> {
        registry.sync {
            do {
                let identity = try node.authenticate(token)
                let resellerId = identity.resellerId
                lock.lock()
                let known = lanes[resellerId]
                lock.unlock()
                if let known { return .success(Admitted(lane: known, identity: identity)) }
                let lane = Lane(node: pool == nil ? try Node.open(node.directory, clock: node.clock) : nil, resellerId: resellerId)
                lock.lock()
                lanes[resellerId] = lane
                lock.unlock()
                return .success(Admitted(lane: lane, identity: identity))
            } catch {
                return .failure(Refusal(outcome: NodeExchange.failure(error, resellerId: nil)))
            }
        }
    }
}
