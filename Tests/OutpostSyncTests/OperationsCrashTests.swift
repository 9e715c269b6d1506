import Foundation
import Testing
import OutpostModel
import OutpostStore
import OutpostTestSupport
import OutpostTestThreads

/// The real `outpost node provision` killed with SIGKILL at random moments, then run again: wherever the kill
/// lands, the operations log tells exactly the work that was committed, because each entry is written in the
/// transaction of its work.
@Suite("Crash: SIGKILL during node provision", .ownThreads, .timeLimit(.minutes(20)))
struct OperationsCrashTests {
    @Test(arguments: [UInt64(21), 22])
    func theLogMatchesTheWorkAfterKills(seed: UInt64) throws {
        try #require(OutpostBinary.url != nil, "the outpost binary is built")
        let dir = try TemporaryDirectory("outpost-operations-crash")
        func outpost(_ arguments: [String]) throws -> OutpostBinary.Result {
            try OutpostBinary.run(arguments, environment: CrashTests.environment(dir), in: dir.url)
        }
        try CrashTests.node(with: ["anna"], in: dir)
        #expect(try outpost(["sync", "--no-site", "--quiet", "--replica", dir.path("anna")]).status == 0)
        // Many orders, placed in-process (as many CLI calls would), then pushed: enough that a provision run outlasts
        // the kills' window (0.2 s) on a fast machine; with fewer, a faster node finished before any kill (seed 22).
        do {
            let replica = try Replica.open(URL(fileURLWithPath: dir.path("anna")), clock: FixedClock(Timestamp("2026-03-02T09:00:00Z")!),
                                           random: RandomSource(seed: seed))
            for index in 0..<20 {
                let customer = replica.ids.make("cus")
                try replica.submit(CreateCustomer(id: customer, name: "Customer \(index)"))
                for _ in 0..<10 {
                    try replica.submit(PlaceOrder(id: replica.ids.make("ord"), lineId: replica.ids.make("oln"), customerId: customer,
                                                  planId: "pln_m365-business-basic-m", quantity: 1 + index % 5))
                }
            }
        }
        #expect(try outpost(["sync", "--no-site", "--quiet", "--replica", dir.path("anna")]).status == 0)

        let interrupted = try RandomKills.run(["node", "provision", dir.path("node"), "--builtin"], environment: CrashTests.environment(dir),
                                              in: dir.url, random: RandomSource(seed: seed), within: 200_000) { try expectLogMatchesWork(dir) }
        _ = try outpost(["node", "provision", dir.path("node"), "--builtin"])
        try expectLogMatchesWork(dir)
        #expect(interrupted >= 1, "a kill hit a run in progress")
        let db = try Database(path: dir.path("node/tenants/acme.sqlite"), mode: .readOnly)
        #expect(try db.integrityCheck() == ["ok"])
        #expect(try db.scalar("SELECT count(*) FROM orders WHERE status = 'completed'")?.int64 ?? 0 > 0)
    }

    /// Every completed order has exactly one `completed` entry naming its invoices, every entry a completed order,
    /// and each run's counts and invoiced totals are the sums of its entries.
    func expectLogMatchesWork(_ dir: TemporaryDirectory, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let db = try Database(path: dir.path("node/tenants/acme.sqlite"), mode: .readOnly)
        let unlogged = try db.rows("""
            SELECT o.number FROM orders o WHERE o.status = 'completed'
            AND (SELECT count(*) FROM operation_event e WHERE e.subject_id = o.id AND e.outcome = 'completed') <> 1
            """)
        #expect(unlogged.isEmpty, "completed orders without exactly one entry: \(unlogged.count)", sourceLocation: sourceLocation)
        let phantom = try db.rows("""
            SELECT e.id FROM operation_event e LEFT JOIN orders o ON o.id = e.subject_id
            WHERE e.outcome = 'completed' AND (o.status IS NOT 'completed'
                OR e.invoices <> coalesce((SELECT group_concat(number, ' ') FROM (SELECT number FROM invoice WHERE order_id = o.id ORDER BY number)), ''))
            """)
        #expect(phantom.isEmpty, "entries for work not done: \(phantom.count)", sourceLocation: sourceLocation)
        let miscounted = try db.rows("""
            SELECT r.id FROM operation_run r WHERE r.completed <> (SELECT count(*) FROM operation_event e WHERE e.run_id = r.id AND e.outcome = 'completed')
            OR r.failed + r.refused <> (SELECT count(*) FROM operation_event e WHERE e.run_id = r.id AND e.outcome IN ('failed', 'refused'))
            OR r.invoiced_total <> (SELECT coalesce(sum(amount), 0) FROM operation_event e WHERE e.run_id = r.id)
            OR NOT EXISTS (SELECT 1 FROM operation_event e WHERE e.run_id = r.id)
            """)
        #expect(miscounted.isEmpty, "runs whose counts are not their entries': \(miscounted.count)", sourceLocation: sourceLocation)
    }
}
