import Foundation
import OutpostModel
import OutpostStore
@testable import OutpostSync
import OutpostFixtures
import Testing

/// A node with one reseller and the built-in catalog, plus replicas attached to it
/// through the local transport, in a temporary directory removed afterwards.
final class SyncFixture {
    let root: URL
    let clock: FixedClock
    let node: Node
    let token: String
    /// The PostgreSQL database the node lives in, for a `.postgresql` fixture (dropped with the fixture).
    let database: TestDatabase?
    private(set) var replicas: [Replica] = []

    init(reseller: String = "acme", now: String = "2026-03-02T09:00:00Z", store: NodeStore = .sqlite) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("outpost-sync-\(UUID().uuidString)")
        clock = FixedClock(Timestamp(now)!)
        database = try store.makeDatabase(key: "SyncFixture \(reseller) \(now)") { database in
            // The node as made below, made once and copied for each PostgreSQL fixture (`TestDatabase.copy`).
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("outpost-template-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            try Self.populate(Node.create(at: directory, store: database.store, clock: FixedClock(Timestamp(now)!)), reseller: reseller)
        }
        if let database {
            node = try Node.attach(at: root.appendingPathComponent("node"), store: try database.store, clock: clock)
        } else {
            node = try Node.create(at: root.appendingPathComponent("node"), clock: clock)
            try Self.populate(node, reseller: reseller)
        }
        token = try node.issueToken(resellerId: reseller, username: "anna").token
    }

    deinit {
        try? FileManager.default.removeItem(at: root)
    }

    /// The built-in catalog and the reseller.
    private static func populate(_ node: Node, reseller: String) throws {
        try node.upsertPlans(try Catalog.plans())
        try node.addReseller(id: reseller, name: "Acme Cloud", currency: "EUR")
    }

    /// A new replica of the reseller (empty: the catalog comes with the first pull).
    func makeReplica(seed: UInt64? = nil) throws -> Replica {
        let directory = root.appendingPathComponent("replica-\(replicas.count)")
        let replica = try Replica.create(directory, clock: clock, random: seed.map { RandomSource(seed: $0) } ?? RandomSource())
        replicas.append(replica)
        return replica
    }

    /// The sync client of a replica over the local transport, optionally through a wrapper.
    func sync(_ replica: Replica, wrap: ((any SyncTransport) -> any SyncTransport)? = nil) -> ReplicaSync {
        let transport = LocalTransport(directory: root.appendingPathComponent("node"), token: token, clock: clock)
        return ReplicaSync(replica: replica, transport: wrap?(transport) ?? transport)
    }

    /// The node's full digests for the reseller.
    func nodeDigests(_ reseller: String = "acme") throws -> [String: TableDigest] {
        try node.tenant(reseller).fullDigests()
    }

    /// A replica's node-state digests (pending changes taken off), as `outpost verify` computes them.
    func replicaDigests(_ replica: Replica) throws -> [String: TableDigest] {
        var result: [String: TableDigest] = [:]
        struct Rollback: Error {}
        do {
            try replica.db.transaction {
                try replica.queue.rebase(underneath: {
                    result = try RowDigest.computeAll(in: replica.db)
                    throw Rollback()
                }, whenRefused: { _, _ in })
            }
        } catch is Rollback {}
        return result
    }
}

/// A transport that loses requests or answers on purpose, deterministically from a seed.
final class FlakyTransport: SyncTransport {
    enum Failure { case beforeSending, afterApplying }

    let inner: any SyncTransport
    let random: RandomSource
    let probability: Int
    private(set) var failures: [Failure] = []
    private(set) var exchanges = 0

    /// `probability`: percent of exchanges that fail (half before sending, half after the node applied them).
    init(_ inner: any SyncTransport, random: RandomSource, probability: Int) {
        self.inner = inner
        self.random = random
        self.probability = probability
    }

    func exchange(_ operation: NodeExchange.Operation, _ body: JSONValue) throws -> JSONValue {
        exchanges += 1
        let roll = random.next(below: 100)
        if roll < probability / 2 {
            failures.append(.beforeSending)
            throw TransportError(.unavailable, "connection cut before sending")
        }
        let answer = try inner.exchange(operation, body)
        if roll < probability {
            failures.append(.afterApplying)
            throw TransportError(.unavailable, "connection cut before the answer arrived")
        }
        return answer
    }
}

extension Replica {
    /// Submits and returns the queue seq, for tests.
    @discardableResult
    func queue(_ mutation: any Mutation) throws -> Int64 { try submit(mutation) }

    func value(_ sql: String, _ arguments: [any SQLBindable] = []) throws -> SQLValue? { try db.scalar(sql, arguments) }
}
