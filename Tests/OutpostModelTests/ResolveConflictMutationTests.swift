import OutpostModel
import OutpostStore
import Testing

@Suite("conflict.resolve")
struct ResolveConflictMutationTests {
    /// A conflict on the customer's phone: Anna's "+1 111" kept over Ben's "+2 222" (the customer holds Anna's).
    func seedConflict(_ replica: Replica, id: String = "cfl_PHONE", entity: String = "customer", entityId: String = "cus_ACME",
                      field: String = "phone", kept: String = #""+1 111""#, overwritten: String = #""+2 222""#) throws {
        try replica.applyFacts { ctx in
            try ctx.insert("conflict", [
                ("id", id), ("entity", entity), ("entity_id", entityId), ("field", field), ("kept_value", kept),
                ("overwritten_value", overwritten), ("kept_replica", "rep_ANNA"), ("kept_user", "anna"), ("kept_at", "2026-01-31T10:00:00Z"),
                ("overwritten_replica", "rep_BEN"), ("overwritten_user", "ben"), ("overwritten_at", "2026-01-31T09:00:00Z"),
                ("reason", "later_edit"), ("base_version", 1), ("node_version", 2), ("replica_id", "rep_BEN"), ("seq", 4),
                ("mutation", "customer.update"), ("at", "2026-01-31T10:30:00Z"),
            ])
        }
    }

    func phone(_ replica: Replica) throws -> String? {
        try replica.db.scalar("SELECT phone FROM customer WHERE id = 'cus_ACME'")?.string
    }

    @Test func puttingTheOverwrittenValueBackSetsTheFieldAndMarksItResolved() throws {
        try withTestReplica { replica in
            try seedCustomer(replica)
            try replica.db.execute("UPDATE customer SET phone = '+1 111' WHERE id = 'cus_ACME'")
            try seedConflict(replica)
            try replica.submit(ResolveConflict(id: "cfl_PHONE", keep: .overwritten))
            #expect(try phone(replica) == "+2 222")
            let conflict = try Conflict.find("cfl_PHONE", in: replica.db)
            #expect(!conflict.isOpen)
            #expect(conflict.resolution == .overwritten)
            #expect(conflict.resolvedValue == #""+2 222""#)
            #expect(conflict.resolvedAt == testNow.description)
            #expect(try Conflict.openCount(in: replica.db) == 0)
        }
    }

    @Test func keepingTheKeptValueChangesNothingButTheConflict() throws {
        try withTestReplica { replica in
            try seedCustomer(replica)
            try replica.db.execute("UPDATE customer SET phone = '+1 111' WHERE id = 'cus_ACME'")
            try seedConflict(replica)
            try replica.submit(ResolveConflict(id: "cfl_PHONE", keep: .kept))
            #expect(try phone(replica) == "+1 111")
            #expect(try Conflict.find("cfl_PHONE", in: replica.db).resolution == .kept)
        }
    }

    @Test func refusalsLeaveNothingQueued() throws {
        try withTestReplica { replica in
            try seedCustomer(replica)
            try seedConflict(replica)
            try seedConflict(replica, id: "cfl_STATUS_ON_SUB", entity: "subscription", entityId: "sub_X", field: "quantity", kept: "3", overwritten: "5")
            let queued = try replica.queue.count()
            #expect(throws: MutationRefusal.self) { try replica.submit(ResolveConflict(id: "cfl_PHONE", keep: .value, value: "call me!")) }
            #expect(throws: MutationRefusal.self) { try replica.submit(ResolveConflict(id: "cfl_NOPE", keep: .kept)) }
            #expect(throws: MutationRefusal.self) { try replica.submit(ResolveConflict(id: "cfl_STATUS_ON_SUB", keep: .kept)) }
            #expect(try replica.queue.count() == queued)
            try replica.submit(ResolveConflict(id: "cfl_PHONE", keep: .value, value: "+3 333"))
            #expect(try phone(replica) == "+3 333")
            do {
                try replica.submit(ResolveConflict(id: "cfl_PHONE", keep: .kept))
                Issue.record("a resolved conflict was resolved again")
            } catch let refusal as MutationRefusal {
                #expect(refusal.code == .notAllowed)
                #expect(refusal.message.contains("already resolved"))
            }
        }
    }

    @Test func aPrefixFindsOneConflictAndAnAmbiguousOneIsRefused() throws {
        try withTestReplica { replica in
            try seedCustomer(replica)
            try seedConflict(replica, id: "cfl_AB1")
            try seedConflict(replica, id: "cfl_AB2")
            #expect(try Conflict.find("cfl_AB1", in: replica.db).id == "cfl_AB1")
            #expect(throws: MutationRefusal.self) { try Conflict.find("cfl_AB", in: replica.db) }
            #expect(throws: MutationRefusal.self) { try Conflict.find("cfl_ZZ", in: replica.db) }
        }
    }
}
