import OutpostModel
import OutpostStore
import Testing

/// One accepted mutation of each shape (insert, update, delete, several rows) to discard again.
enum DiscardScenario: String, CaseIterable, Sendable {
    case customerCreate, customerUpdate, customerSuspend, customerClose
    case customerUserCreate, customerUserUpdate, customerUserDelete
    case userCreate, userUpdate, userDelete
    case orderPlace, orderChange, orderCancelNow, orderCancelAtPeriodEnd
    case paymentRecord, defaultMarkup, planMarkupInsert, planMarkupUpdate, settingsUpdate

    /// Facts the mutation needs, written directly (and one earlier queued mutation for `planMarkupUpdate`).
    func seed(_ replica: Replica) throws {
        try seedCatalog(replica)
        try seedCustomer(replica, id: "cus_ACME")
        try seedCustomerUser(replica, id: "cu_ANNA")
        try seedPanelUser(replica, id: "usr_ADA", username: "ada", role: .admin)
        try seedPanelUser(replica, id: "usr_BEN", username: "ben", role: .viewer)
        switch self {
        case .orderChange, .orderCancelNow, .orderCancelAtPeriodEnd:
            try seedSubscription(replica, id: "sub_SEATS")
        case .paymentRecord:
            try seedInvoice(replica, id: "inv_ONE")
        case .planMarkupUpdate:
            try replica.submit(SetMarkup(planId: TestPlan.seats, markupBp: 4_000, baseVersion: 0))
        default:
            break
        }
    }

    var mutation: any Mutation {
        switch self {
        case .customerCreate:
            var m = CreateCustomer(id: "cus_NEW", name: "New Customer")
            m.email = "new@customer.example"
            return m
        case .customerUpdate:
            var m = UpdateCustomer(id: "cus_ACME", baseVersion: 0)
            m.name = "Acme AG"
            m.city = "Wien"
            return m
        case .customerSuspend: return SuspendCustomer(id: "cus_ACME", baseVersion: 0)
        case .customerClose: return CloseCustomer(id: "cus_ACME", baseVersion: 0)
        case .customerUserCreate:
            return CreateCustomerUser(id: "cu_BOB", customerId: "cus_ACME", username: "bob", name: "Bob", email: "bob@acme.example")
        case .customerUserUpdate:
            var m = UpdateCustomerUser(id: "cu_ANNA", baseVersion: 0)
            m.role = "billing"
            return m
        case .customerUserDelete: return DeleteCustomerUser(id: "cu_ANNA", baseVersion: 0)
        case .userCreate: return CreateUser(id: "usr_CARL", username: "carl", name: "Carl", email: "carl@r.example", role: "viewer")
        case .userUpdate:
            var m = UpdateUser(id: "usr_BEN", baseVersion: 0)
            m.role = "admin"
            return m
        case .userDelete: return DeleteUser(id: "usr_BEN", baseVersion: 0)
        case .orderPlace: return place(TestPlan.domain, quantity: 2, domain: "example.com")
        case .orderChange: return ChangeOrder(id: "ord_CHG", lineId: "oln_CHG", subscriptionId: "sub_SEATS", quantity: 9, baseVersion: 0)
        case .orderCancelNow: return CancelOrder(id: "ord_CXL", lineId: "oln_CXL", subscriptionId: "sub_SEATS", when: .now, baseVersion: 0)
        case .orderCancelAtPeriodEnd:
            return CancelOrder(id: "ord_CXL", lineId: "oln_CXL", subscriptionId: "sub_SEATS", when: .periodEnd, baseVersion: 0)
        case .paymentRecord: return RecordPayment(id: "pay_ONE", invoiceId: "inv_ONE", amount: 2_500, method: .card)
        case .defaultMarkup: return SetMarkup(planId: nil, markupBp: 4_200, baseVersion: 0)
        case .planMarkupInsert: return SetMarkup(planId: TestPlan.license, markupBp: 100_000, baseVersion: 0)
        case .planMarkupUpdate: return SetMarkup(planId: TestPlan.seats, markupBp: 0, baseVersion: 0)
        case .settingsUpdate:
            var m = UpdateSettings(baseVersion: 0)
            m.companyName = "شركة الاختبار"
            m.taxRateBp = 2_100
            m.notifySslExpiring = "none"
            return m
        }
    }
}

@Suite("LocalQueue")
struct LocalQueueTests {
    @Test("discard undoes a mutation exactly and removes its entry", arguments: DiscardScenario.allCases)
    func discardUndoesExactly(scenario: DiscardScenario) throws {
        try withTestReplica { replica in
            try scenario.seed(replica)
            let before = try snapshot(replica)
            let entry = try submitAccepted(replica, scenario.mutation)
            #expect(!entry.changes.isEmpty, "the mutation changed something")
            #expect(try snapshot(replica) != before)

            try replica.queue.discard(entry.seq)
            #expect(try replica.queue.entry(entry.seq) == nil)
            expectSameTables(before, try snapshot(replica), "after discarding \(scenario.rawValue)")
        }
    }

    @Test func discardInTheMiddleReappliesLaterMutations() throws {
        try withTestReplica { replica in
            try seedCatalog(replica)
            let empty = try snapshot(replica)
            let createA = try replica.submit(CreateCustomer(id: "cus_A", name: "Alpha"))
            let createB = try replica.submit(CreateCustomer(id: "cus_B", name: "Beta"))
            var rename = UpdateCustomer(id: "cus_A", baseVersion: 0)
            rename.name = "Alpha Renamed"
            let renameA = try replica.submit(rename)
            let orderA = try replica.submit(place(TestPlan.seats, quantity: 3, customerId: "cus_A"))
            #expect([createA, createB, renameA, orderA] == [1, 2, 3, 4])

            try replica.queue.discard(createB)

            #expect(try row(replica, "customer", "cus_B") == nil)
            let alpha = try Customer.require("cus_A", in: replica.db)
            #expect(alpha.name == "Alpha Renamed")            // the later update is still applied
            #expect(alpha.createdAt == testNow)
            #expect(try Order.require("ord_ONE", in: replica.db).total == 3_750)
            let pending = try replica.queue.pending()
            #expect(pending.map(\.seq) == [createA, renameA, orderA])
            #expect(pending.map(\.mutation) == ["customer.create", "customer.update", "order.place"])
            // The re-applied entries carry a fresh, correct undo record.
            #expect(pending[1].changes.first?.before?["name"] == .text("Alpha"))
            #expect(pending[2].changes.map(\.table) == ["orders", "order_line"])

            // Discarding newest first brings back the start exactly.
            try replica.queue.discard(orderA)
            try replica.queue.discard(renameA)
            #expect(try Customer.require("cus_A", in: replica.db).name == "Alpha")
            try replica.queue.discard(createA)
            #expect(try replica.queue.count() == 0)
            expectSameTables(empty, try snapshot(replica), "after discarding everything")
        }
    }

    @Test func discardingAnEarlierUpdateKeepsALaterOneOnTheSameRow() throws {
        try withTestReplica { replica in
            try seedCustomer(replica, id: "cus_ACME", name: "Acme GmbH")
            var first = UpdateCustomer(id: "cus_ACME", baseVersion: 0)
            first.name = "Acme One"
            first.city = "Berlin"
            let one = try replica.submit(first)
            var second = UpdateCustomer(id: "cus_ACME", baseVersion: 0)
            second.email = "two@acme.example"
            try replica.submit(second)

            try replica.queue.discard(one)
            let customer = try Customer.require("cus_ACME", in: replica.db)
            #expect(customer.name == "Acme GmbH")
            #expect(customer.city == "")
            #expect(customer.email == "two@acme.example")
        }
    }

    @Test func discardRefusedWhenALaterMutationDependsOnIt() throws {
        try withTestReplica { replica in
            try seedCatalog(replica)
            let create = try replica.submit(CreateCustomer(id: "cus_NEW", name: "New"))
            let order = try replica.submit(place(TestPlan.seats, customerId: "cus_NEW"))
            let before = try snapshot(replica)

            do {
                try replica.queue.discard(create)
                Issue.record("discard of a customer.create with a dependent order.place was allowed")
            } catch let error as LocalQueue.DiscardError {
                guard case let .dependedOn(seq, by, mutation, refusal) = error else {
                    Issue.record("expected dependedOn, got \(error)")
                    return
                }
                #expect(seq == create)
                #expect(by == order)
                #expect(mutation == "order.place")
                #expect(refusal.code == .notFound)
                #expect(refusal.field == "customer_id")
                #expect(error.description.contains("discard #\(order) first"))
            }
            expectSameTables(before, try snapshot(replica), "after a refused discard")
            #expect(try replica.queue.pending().map(\.seq) == [create, order])

            // Discarding the dependent first, then the create, works.
            try replica.queue.discard(order)
            try replica.queue.discard(create)
            #expect(try replica.queue.count() == 0)
            #expect(try count(replica, "customer") == 0)
        }
    }

    @Test func discardOfAnUnknownSeqThrowsNotFound() throws {
        try withTestReplica { replica in
            try seedCustomer(replica)
            try replica.submit(SuspendCustomer(id: "cus_ACME", baseVersion: 0))
            let before = try snapshot(replica)
            for seq: Int64 in [0, 2, 999, -1] {
                do {
                    try replica.queue.discard(seq)
                    Issue.record("discard of #\(seq) succeeded")
                } catch let error as LocalQueue.DiscardError {
                    guard case .notFound(let missing) = error else {
                        Issue.record("expected notFound, got \(error)")
                        continue
                    }
                    #expect(missing == seq)
                    #expect(error.description.contains("#\(seq)"))
                }
            }
            expectSameTables(before, try snapshot(replica))
        }
    }

    @Test func aDiscardedSeqIsGoneForGood() throws {
        try withTestReplica { replica in
            try seedCustomer(replica)
            let seq = try replica.submit(SuspendCustomer(id: "cus_ACME", baseVersion: 0))
            try replica.queue.discard(seq)
            #expect(throws: LocalQueue.DiscardError.self) { try replica.queue.discard(seq) }
            // Sequence numbers are never reused.
            let next = try replica.submit(SuspendCustomer(id: "cus_ACME", baseVersion: 0))
            #expect(next > seq)
        }
    }

    @Test func pendingEntryAndCount() throws {
        try withTestReplica { replica in
            #expect(try replica.queue.pending().isEmpty)
            #expect(try replica.queue.count() == 0)
            let a = try replica.submit(CreateCustomer(id: "cus_A", name: "Alpha"))
            let b = try replica.submit(CreateCustomer(id: "cus_B", name: "Beta"))
            #expect(try replica.queue.count() == 2)
            #expect(try replica.queue.pending().map(\.seq) == [a, b])
            let entry = try #require(try replica.queue.entry(b))
            #expect(entry.mutation == "customer.create")
            #expect(entry.summary == "cus_B")
            #expect((entry.argumentsObject as? [String: Any])?["name"] as? String == "Beta")
            #expect(try replica.queue.entry(99) == nil)
            #expect(try replica.queue.rejected().isEmpty)
        }
    }

    @Test func aRefusalLeavesTheQueueAsItWas() throws {
        try withTestReplica { replica in
            try replica.submit(CreateCustomer(id: "cus_A", name: "Alpha"))
            try assertRefusalWritesNothing(replica, CreateCustomer(id: "cus_A", name: "Again"), code: .duplicate, field: "id")
            #expect(try replica.queue.count() == 1)
        }
    }

    @Test func rejectedMutationsAreListedNewestFirst() throws {
        try withTestReplica { replica in
            try replica.db.execute("""
                INSERT INTO rejected (seq, mutation, mutation_version, args, created_at, code, message, rejected_at)
                VALUES (3, 'customer.update', 1, '{}', '2026-01-30T10:00:00Z', 'not_found', 'gone', '2026-01-31T09:00:00Z'),
                       (7, 'order.place', 1, '{}', '2026-01-30T11:00:00Z', 'not_allowed', 'suspended', '2026-01-31T09:00:00Z')
                """)
            let rejected = try replica.queue.rejected()
            #expect(rejected.map(\.seq) == [7, 3])
            #expect(rejected.first?.code == "not_allowed")
            #expect(rejected.first?.createdAt == Timestamp("2026-01-30T11:00:00Z"))
        }
    }
}

@Suite("Replica")
struct ReplicaTests {
    @Test func createRefusesAnExistingReplicaAndOpenFindsIt() throws {
        try withTestReplica { replica in
            #expect(throws: Replica.OpenError.self) {
                try Replica.create(replica.directory, clock: FixedClock(testNow), random: RandomSource(seed: 1))
            }
            try replica.submit(CreateCustomer(id: "cus_A", name: "Alpha"))
            let reopened = try Replica.open(replica.directory, clock: FixedClock(testNow))
            #expect(try reopened.replicaId() == replica.replicaId())
            #expect(try reopened.queue.count() == 1)
            #expect(try Customer.require("cus_A", in: reopened.db).name == "Alpha")
        }
    }

    @Test func openRefusesAMissingReplica() throws {
        try withTestReplica { replica in
            let missing = replica.directory.appendingPathComponent("nothing-here")
            #expect(throws: Replica.OpenError.self) { try Replica.open(missing, clock: FixedClock(testNow)) }
        }
    }

    @Test func factsAreNotQueued() throws {
        try withTestReplica { replica in
            try replica.applyFacts { ctx in
                #expect(ctx.authority == .node)
                #expect(ctx.now == testNow)
                try CreateCustomer(id: "cus_FACT", name: "Fact").apply(in: ctx)
            }
            #expect(try replica.queue.count() == 0)
            #expect(try Customer.require("cus_FACT", in: replica.db).name == "Fact")
        }
    }
}
