import Foundation
import Testing
import OutpostModel
import OutpostStore
@testable import OutpostSync
import OutpostTestThreads

/// A push replayed — whole, or cut at every possible point — leaves the node as one push would.
@Suite("Exactly once", .ownThreads)
struct ExactlyOnceTests {
    /// Queues a realistic batch on a fresh replica and returns its push request.
    static func batch(in fixture: SyncFixture) throws -> PushRequest {
        let replica = try fixture.makeReplica(seed: 7)
        _ = try fixture.sync(replica).pull()
        let ids = replica.ids
        var customer = CreateCustomer(id: ids.make("cus"), name: "Contoso")
        customer.email = "it@contoso.example"
        try replica.queue(customer)
        var update = UpdateCustomer(id: customer.id, baseVersion: 0)
        update.phone = "+49 30 1234"
        try replica.queue(update)
        try replica.queue(CreateUser(id: ids.make("usr"), username: "anna", name: "Anna", email: "anna@acme.example", role: "admin"))
        try replica.queue(PlaceOrder(id: ids.make("ord"), lineId: ids.make("oln"), customerId: customer.id,
                                     planId: "pln_m365-business-basic-m", quantity: 3))
        try replica.queue(SetMarkup(planId: nil, markupBp: 3000, baseVersion: 0))
        // A refusal in the middle: quantity 0 is refused by the node as well.
        var refused = PlaceOrder(id: ids.make("ord"), lineId: ids.make("oln"), customerId: customer.id, planId: "pln_domain-com", quantity: 1)
        refused.domainName = "not a domain"
        _ = try replica.db.transaction {
            // Queue it without the local check, as an older replica might have.
            try replica.queue.append(refused, createdAt: fixture.clock.now(), changes: [])
        }
        try replica.queue(PlaceOrder(id: ids.make("ord"), lineId: ids.make("oln"), customerId: customer.id,
                                     planId: "pln_m365-business-premium-m", quantity: 2))
        let entries = try replica.queue.pending()
        return PushRequest(replica: try replica.replicaId(), mutations: try entries.enumerated().map { index, entry in
            PushedMutation(seq: Int64(index + 1), name: entry.mutation, version: entry.mutationVersion,
                           args: try JSONValue(parsing: entry.args), createdAt: entry.createdAt)
        })
    }

    /// The node's state for the reseller, without the log's own bookkeeping.
    static func state(_ fixture: SyncFixture) throws -> [String: TableDigest] {
        try fixture.nodeDigests()
    }

    @Test(arguments: NodeStore.all) func replayingTheWholePushChangesNothing(store: NodeStore) throws {
        let request = try Self.batch(in: try SyncFixture())
        let fixture = try SyncFixture(store: store)
        let tenant = try fixture.node.tenant("acme")
        let first = try tenant.push(request)
        let state = try Self.state(fixture)
        let head = try ChangeLog.head(in: tenant.db)
        let second = try tenant.push(request)
        #expect(second == first, "a replay gets the same verdicts")
        #expect(try Self.state(fixture) == state)
        #expect(try ChangeLog.head(in: tenant.db) == head, "nothing new in the change log")
        #expect(first.verdicts.map(\.status).filter { $0 == .refused }.count == 1)
        #expect(first.verdicts.count == request.mutations.count)
    }

    @Test(arguments: NodeStore.all) func aPushCutAtEveryPointThenResentEqualsOnePush(store: NodeStore) throws {
        let source = try SyncFixture()
        let request = try Self.batch(in: source)
        let reference = try SyncFixture(store: store)
        let expectedVerdicts = try reference.node.tenant("acme").push(request)
        let expectedState = try Self.state(reference)
        for cut in 0...request.mutations.count {
            let fixture = try SyncFixture(store: store)
            let tenant = try fixture.node.tenant("acme")
            // The first attempt delivered only `cut` mutations (the connection dropped), then the replica resends everything.
            _ = try tenant.push(PushRequest(replica: request.replica, mutations: Array(request.mutations.prefix(cut))))
            let resent = try tenant.push(request)
            #expect(resent == expectedVerdicts, "cut after \(cut)")
            #expect(try Self.state(fixture) == expectedState, "cut after \(cut)")
        }
    }

    @Test(arguments: NodeStore.all) func aGapInSeqIsAnErrorAndChangesNothing(store: NodeStore) throws {
        let request = try Self.batch(in: try SyncFixture())
        let fixture = try SyncFixture(store: store)
        let tenant = try fixture.node.tenant("acme")
        let state = try Self.state(fixture)
        let gap = PushRequest(replica: request.replica, mutations: Array(request.mutations.dropFirst(2)))
        #expect(throws: SyncError.self) { try tenant.push(gap) }
        do {
            _ = try tenant.push(gap)
        } catch let error as SyncError {
            #expect(error.code == .seqGap)
            #expect(error.message.contains("next must be 1"))
        }
        #expect(try Self.state(fixture) == state)
    }

    @Test(arguments: NodeStore.all) func aReplicaPushingTwiceAfterALostAnswerGetsOneEffect(store: NodeStore) throws {
        let fixture = try SyncFixture(store: store)
        let replica = try fixture.makeReplica()
        _ = try fixture.sync(replica).pull()
        let customer = CreateCustomer(id: replica.ids.make("cus"), name: "Fabrikam")
        try replica.queue(customer)
        // The node applies the push, but the answer is lost.
        let lossy = FlakyTransport(LocalTransport(directory: fixture.root.appendingPathComponent("node"), token: fixture.token, clock: fixture.clock),
                                   random: RandomSource(seed: 1), probability: 0)
        struct AnswerLost: SyncTransport {
            let inner: any SyncTransport
            func exchange(_ operation: NodeExchange.Operation, _ body: JSONValue) throws -> JSONValue {
                _ = try inner.exchange(operation, body)
                throw TransportError(.unavailable, "answer lost")
            }
        }
        #expect(throws: TransportError.self) { try ReplicaSync(replica: replica, transport: AnswerLost(inner: lossy)).push() }
        let report = try fixture.sync(replica).sync(runId: "run_test")
        #expect(report.push.sent == 1)
        #expect(try fixture.node.tenant("acme").db.scalar("SELECT count(*) FROM customer WHERE name = 'Fabrikam'")?.int64 == 1)
        #expect(try replica.queue.count() == 0)
        #expect(try fixture.replicaDigests(replica) == fixture.nodeDigests())
    }
    /// A new row whose id the node already holds (another laptop made it) is refused as a duplicate, in the same
    /// statement that would have inserted it; the row stays as the first laptop left it and the rest of the push applies.
    @Test(arguments: NodeStore.all) func anIdTheNodeAlreadyHoldsIsRefusedAndTheRestOfThePushApplies(store: NodeStore) throws {
        let fixture = try SyncFixture(store: store)
        let first = try fixture.makeReplica(seed: 1)
        let second = try fixture.makeReplica(seed: 2)
        _ = try fixture.sync(first).pull()
        _ = try fixture.sync(second).pull()
        let id = first.ids.make("cus")
        try first.queue(CreateCustomer(id: id, name: "Contoso"))
        _ = try fixture.sync(first).push()

        try second.queue(CreateCustomer(id: id, name: "Fabrikam"))
        try second.queue(CreateCustomer(id: second.ids.make("cus"), name: "Northwind"))
        let report = try fixture.sync(second).push()
        #expect(report.refused == 1)
        #expect(report.applied == 1)
        let node = try fixture.node.tenant("acme").db
        #expect(try node.scalar("SELECT name FROM customer WHERE id = ?", [id])?.string == "Contoso")
        #expect(try node.scalar("SELECT count(*) FROM customer WHERE name = 'Northwind'")?.int64 == 1)
        let refusal = try node.row("SELECT code, field, message FROM verdict WHERE status = 'refused'")
        #expect(refusal?["code"].string == "duplicate")
        #expect(refusal?["field"].string == "id")
        #expect(refusal?["message"].string == "customer \(id) already exists")
        for replica in [first, second] {
            _ = try fixture.sync(replica).pull()
            #expect(try fixture.replicaDigests(replica) == fixture.nodeDigests())
        }
    }
    /// A pull at the head (most syncs) is answered from one statement: no changes, the head as cursor and every
    /// table's digest, the same answer the full path gives; one behind the head still gets the change it lacks.
    @Test(arguments: NodeStore.all) func aPullAtTheHeadGetsNothingAndTheDigestsTheFullPathWouldGive(store: NodeStore) throws {
        let fixture = try SyncFixture(store: store)
        let replica = try fixture.makeReplica()
        _ = try fixture.sync(replica).pull()
        try replica.queue(CreateCustomer(id: replica.ids.make("cus"), name: "Contoso"))
        _ = try fixture.sync(replica).sync(runId: "run_quiet")
        let tenant = try fixture.node.tenant("acme")
        let head = try ChangeLog.head(in: tenant.db)

        let quiet = try tenant.pull(PullRequest(replica: try replica.replicaId(), cursor: head))
        #expect(quiet.cursor == head)
        #expect(quiet.changes.isEmpty)
        #expect(!quiet.more)
        #expect(quiet.digests == (try RowDigest.storedAll(in: tenant.db)))
        #expect(quiet.digests.map { Set($0.keys) } == Set(Schema.replicatedTables))

        let behind = try tenant.pull(PullRequest(replica: try replica.replicaId(), cursor: head - 1))
        #expect(behind.cursor == head)
        #expect(behind.changes.map(\.version) == [head])
        #expect(behind.digests == quiet.digests)
    }
}
