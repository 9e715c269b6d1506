import Foundation
import Testing
import OutpostModel
import OutpostStore
@testable import OutpostSync
import OutpostTestThreads

/// Log compaction, the horizon, and the snapshot a replica behind it gets — after its push, with its pending work intact.
@Suite("Compaction and snapshots", .ownThreads)
struct CompactionTests {
    @Test func aReplicaBehindTheHorizonIsResyncedAndKeepsItsPendingWork() throws {
        let fixture = try SyncFixture()
        let active = try fixture.makeReplica()
        let behind = try fixture.makeReplica()
        _ = try fixture.sync(active).sync(runId: "run_1")
        _ = try fixture.sync(behind).sync(runId: "run_1")

        // Meanwhile: customers created, edited, one customer user created and deleted (a delete tombstone).
        let customer = CreateCustomer(id: active.ids.make("cus"), name: "Contoso")
        try active.queue(customer)
        var update = UpdateCustomer(id: customer.id, baseVersion: 0)
        update.city = "Berlin"
        try active.queue(update)
        let login = CreateCustomerUser(id: active.ids.make("cu"), customerId: customer.id, username: "it", name: "IT", email: "it@contoso.example")
        try active.queue(login)
        _ = try fixture.sync(active).sync(runId: "run_2")
        let version = try active.value("SELECT version FROM customer_user WHERE id = ?", [login.id])?.int64 ?? 0
        try active.queue(DeleteCustomerUser(id: login.id, baseVersion: version))
        _ = try fixture.sync(active).sync(runId: "run_3")

        let tenant = try fixture.node.tenant("acme")
        let before = try tenant.db.scalar("SELECT count(*) FROM change_log")?.int64 ?? 0
        let result = try tenant.compact()
        #expect(result.removed > 0)
        #expect(result.kept < Int(before))
        #expect(result.horizon == (try ChangeLog.head(in: tenant.db)), "a tombstone was dropped, so the horizon is the head")
        #expect(try tenant.db.scalar("SELECT count(*) FROM change_log GROUP BY entity, entity_id HAVING count(*) > 1") == nil,
                "one entry per row remains")

        // The replica behind the horizon made offline work of its own.
        var local = CreateCustomer(id: behind.ids.make("cus"), name: "Fabrikam (made offline)")
        local.country = "AT"
        try behind.queue(local)
        let report = try fixture.sync(behind).sync(runId: "run_4")
        #expect(!report.pull.snapshots.isEmpty, "the pull was answered with a snapshot")
        #expect(report.push.applied == 1, "its queue was pushed first")
        #expect(try fixture.replicaDigests(behind) == fixture.nodeDigests())
        #expect(try behind.value("SELECT count(*) FROM customer_user")?.int64 == 0, "the delete it never saw is applied")
        #expect(try behind.value("SELECT city FROM customer WHERE id = ?", [customer.id])?.string == "Berlin")
        #expect(try behind.value("SELECT name FROM customer WHERE id = ?", [local.id])?.string == "Fabrikam (made offline)")

        // The node's status tells the same story.
        let status = try #require(try fixture.node.status().first)
        #expect(status.id == "acme")
        #expect(status.horizon == result.horizon)
        #expect(status.replicas == 2)
        #expect(status.verdicts == 5, "four mutations from one replica, one from the other")
        #expect(status.activeTokens == 1)
        #expect(status.lastExchange != nil)

        // An up-to-date replica keeps pulling incrementally.
        let again = try fixture.sync(active).sync(runId: "run_5")
        #expect(again.pull.snapshots.isEmpty)
        #expect(try fixture.replicaDigests(active) == fixture.nodeDigests())
    }

    @Test func aMutationFromAnotherSchemaVersionIsRefusedVisiblyNotDropped() throws {
        let fixture = try SyncFixture()
        let tenant = try fixture.node.tenant("acme")
        let replica = "rep_01JDA4M5X2Q8R7T6Y5W4V3S2P1"
        let future = PushedMutation(seq: 1, name: "customer.create", version: 99,
                                    args: try JSONValue(parsing: #"{"id":"cus_01JDA4M5X2Q8R7T6Y5W4V3S2P1","name":"From the future"}"#),
                                    createdAt: fixture.clock.now())
        let unknown = PushedMutation(seq: 2, name: "customer.teleport", version: 1, args: .object([:]), createdAt: fixture.clock.now())
        let response = try tenant.push(PushRequest(replica: replica, mutations: [future, unknown]))
        #expect(response.verdicts.map(\.status) == [.refused, .refused])
        #expect(response.verdicts.map(\.code) == ["unknown_mutation", "unknown_mutation"])
        #expect(response.verdicts.first?.message?.contains("version 99") == true)
        #expect(try tenant.db.scalar("SELECT count(*) FROM verdict WHERE replica_id = ?", [replica])?.int64 == 2, "both verdicts are durable")
    }
}
