import Foundation
import Testing
import OutpostModel
import OutpostStore
@testable import OutpostSync
import OutpostTestThreads

/// Random offline edits on several replicas, random sync order, connections cut at
/// random points; after every step: nothing lost, nothing applied twice; at the end
/// every replica equals the node.
@Suite("Randomized sync simulation", .ownThreads)
struct SimulationTests {
    static let seeds: [UInt64] = Array(1...48)

    @Test(arguments: NodeStore.all, seeds)
    func replicasConvergeWithNothingLostOrDoubled(store: NodeStore, seed: UInt64) throws {
        let fixture = try SyncFixture(store: store)
        let random = RandomSource(seed: seed)
        let replicas = try (0..<3).map { index in try fixture.makeReplica(seed: seed * 10 + UInt64(index)) }
        var transports: [FlakyTransport] = []
        for replica in replicas {
            let flaky = FlakyTransport(LocalTransport(directory: fixture.root.appendingPathComponent("node"), token: fixture.token, clock: fixture.clock),
                                       random: RandomSource(seed: seed &* 31 &+ UInt64(transports.count)), probability: 30)
            transports.append(flaky)
            _ = try fixture.sync(replica).pull()
        }
        /// Every mutation made, by replica and queue seq: it must end up applied once or rejected, never lost.
        var made: [[Int64]] = Array(repeating: [], count: replicas.count)
        var pushSeqs: [[Int64: Int64]] = Array(repeating: [:], count: replicas.count)
        let plans = ["pln_m365-business-basic-m", "pln_acronis-cp-workstation-m", "pln_office-ltsc-std-2024"]
        for step in 0..<60 {
            let index = random.next(below: replicas.count)
            let replica = replicas[index]
            switch random.next(below: 6) {
            case 0, 1:
                let id = replica.ids.make("cus")
                var create = CreateCustomer(id: id, name: "Customer \(seed)-\(step)")
                create.country = ["DE", "FR", "NL"][random.next(below: 3)]
                made[index].append(try replica.queue(create))
            case 2:
                // Edit a random known customer's field (concurrent edits make conflicts).
                if let row = try replica.db.row("SELECT id, version FROM customer WHERE status = 'active' AND id <> 'cus_own' ORDER BY id LIMIT 1 OFFSET ?",
                                                [random.next(below: 5)]) {
                    var update = UpdateCustomer(id: try row.string("id"), baseVersion: try row.int64("version"))
                    if random.next(below: 2) == 0 { update.phone = "+49 \(step)" } else { update.city = "City \(step)" }
                    made[index].append(try replica.queue(update))
                }
            case 3:
                if let customer = try replica.db.scalar("SELECT id FROM customer WHERE status = 'active' AND id <> 'cus_own' ORDER BY id LIMIT 1 OFFSET ?",
                                                        [random.next(below: 5)])?.string {
                    let order = PlaceOrder(id: replica.ids.make("ord"), lineId: replica.ids.make("oln"), customerId: customer,
                                           planId: plans[random.next(below: plans.count)], quantity: 1 + random.next(below: 20))
                    made[index].append(try replica.queue(order))
                }
            case 4:
                // Suspend a customer: on the node this can refuse another replica's later order for it.
                if let row = try replica.db.row("SELECT id, version FROM customer WHERE status = 'active' AND id <> 'cus_own' ORDER BY id DESC LIMIT 1") {
                    made[index].append(try replica.queue(SuspendCustomer(id: try row.string("id"), baseVersion: try row.int64("version"))))
                }
            default:
                let sync = ReplicaSync(replica: replica, transport: transports[index])
                _ = try? sync.sync(runId: "run_\(step)")
            }
            try checkNothingLostOrDoubled(fixture: fixture, replicas: replicas, made: made, pushSeqs: &pushSeqs)
        }
        // Heal the network and sync everyone twice: all converge on the node.
        for _ in 0..<2 {
            for replica in replicas { _ = try fixture.sync(replica).sync(runId: "run_final") }
        }
        try checkNothingLostOrDoubled(fixture: fixture, replicas: replicas, made: made, pushSeqs: &pushSeqs)
        let node = try fixture.nodeDigests()
        for replica in replicas {
            #expect(try replica.queue.count() == 0, "seed \(seed): the queue drains")
            #expect(try fixture.replicaDigests(replica) == node, "seed \(seed): replica equals the node")
        }
        let exchanges = transports.reduce(0) { $0 + $1.exchanges }
        let failures = transports.reduce(0) { $0 + $1.failures.count }
        #expect(exchanges < 10 || failures > 0, "seed \(seed): the network really failed sometimes (\(failures) of \(exchanges))")
    }

    /// Every mutation a replica made is pending, rejected, or has exactly one verdict on the node; no verdict twice.
    func checkNothingLostOrDoubled(fixture: SyncFixture, replicas: [Replica], made: [[Int64]], pushSeqs: inout [[Int64: Int64]]) throws {
        let tenant = try fixture.node.tenant("acme")
        for (index, replica) in replicas.enumerated() {
            let replicaId = try replica.replicaId()
            let duplicates = try tenant.db.scalar("SELECT count(*) - count(DISTINCT seq) FROM verdict WHERE replica_id = ?", [replicaId])?.int64
            #expect(duplicates == 0)
            // Every mutation made is exactly one of: still queued, rejected, or applied by the node and gone from the queue.
            var queuedWithAppliedVerdict = 0
            for row in try replica.db.rows("SELECT seq, push_seq FROM queue") {
                let seq = try row.int64("seq")
                if let pushSeq = try row.optionalInt64("push_seq") {
                    #expect(pushSeqs[index][seq] == nil || pushSeqs[index][seq] == pushSeq, "a push seq never changes")
                    pushSeqs[index][seq] = pushSeq
                    let status = try tenant.db.scalar("SELECT status FROM verdict WHERE replica_id = ? AND seq = ?", [replicaId, pushSeq])?.string
                    if status == "applied" || status == "applied_with_conflict" { queuedWithAppliedVerdict += 1 }
                }
            }
            let queued = try replica.queue.count()
            let rejected = try replica.queue.rejected().count
            let applied = Int(try tenant.db.scalar("SELECT count(*) FROM verdict WHERE replica_id = ? AND status != 'refused'", [replicaId])?.int64 ?? 0)
            let refusedOnNode = Int(try tenant.db.scalar("SELECT count(*) FROM verdict WHERE replica_id = ? AND status = 'refused'", [replicaId])?.int64 ?? 0)
            #expect(made[index].count == queued + rejected + applied - queuedWithAppliedVerdict,
                    "replica \(index): \(made[index].count) made, \(queued) queued, \(rejected) rejected, \(applied) applied (\(queuedWithAppliedVerdict) of them still queued)")
            #expect(rejected <= refusedOnNode, "every rejection comes from a refusal on the node")
        }
    }
}
