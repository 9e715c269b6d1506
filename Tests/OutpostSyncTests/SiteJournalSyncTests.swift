import Foundation
import Testing
import OutpostModel
import OutpostStore
@testable import OutpostSync
import OutpostTestThreads

/// The site journal across sync: the replica journals what a pull and a push change, the node never journals.
@Suite("Site journal in sync", .ownThreads)
struct SiteJournalSyncTests {
    /// Writes `count` customers on the node with their change-log entries, as the node's own writes would.
    func addCustomers(_ count: Int, from start: Int, in fixture: SyncFixture) throws {
        let db = try fixture.node.tenant("acme").db
        try db.transaction {
            var version = try db.scalar("SELECT coalesce(max(version), 0) FROM change_log")?.int64 ?? 0
            for index in start..<(start + count) {
                version += 1
                let id = String(format: "cus_%06d", index)
                let row: [String: JSONValue] = [
                    "id": .string(id), "name": .string("Customer \(index)"), "status": .string("active"), "contact_name": .string(""),
                    "email": .string(""), "phone": .string(""), "address": .string(""), "city": .string(""), "postal_code": .string(""),
                    "country": .string("DE"), "tax_id": .string(""), "created_at": .string("2026-03-02T09:00:00Z"), "closed_at": .null, "version": .integer(version),
                ]
                try db.execute("INSERT INTO customer (id, name, status, country, created_at, version) VALUES (?, ?, 'active', 'DE', '2026-03-02T09:00:00Z', ?)",
                               [id, "Customer \(index)", version])
                try db.execute("INSERT INTO change_log (version, entity, entity_id, op, row, columns, origin) VALUES (?, 'customer', ?, 'upsert', ?, '', 'test')",
                               [version, id, JSONValue.object(row).serialized])
            }
            try RowDigest.reset("customer", in: db)
        }
    }

    @Test func aBigPullLeavesOneOverflowMarkerAndASmallOneLeavesRows() throws {
        let fixture = try SyncFixture()
        let replica = try fixture.makeReplica()
        try addCustomers(SiteJournal.bulkThreshold + 10, from: 0, in: fixture)
        let report = try fixture.sync(replica).pull()
        #expect(report.pages == 1)
        #expect(try replica.db.scalar("SELECT count(*) FROM customer WHERE id <> 'cus_own'")?.int64 == Int64(SiteJournal.bulkThreshold + 10))
        let rows = try replica.db.rows("SELECT entity, entity_id, via FROM site_change")
        #expect(rows.map { [$0["entity"], $0["entity_id"], $0["via"]] } == [[.text("*"), .text(""), .text("overflow")]])
        #expect(try SiteJournal.changes(replica.db, after: 0, limit: 100_000) == nil)

        let mark = try SiteJournal.latest(replica.db)
        try addCustomers(2, from: 100_000, in: fixture)
        _ = try fixture.sync(replica).pull()
        let changes = try #require(try SiteJournal.changes(replica.db, after: mark, limit: 100))
        #expect(changes.map { [$0.entity, $0.entityId, $0.via] } == [["customer", "cus_100000", ""], ["customer", "cus_100001", ""]])
    }

    @Test func aSnapshotPullOverflowsHoweverSmall() throws {
        let fixture = try SyncFixture()
        let replica = try fixture.makeReplica()
        _ = try fixture.sync(replica).pull()
        let mark = try SiteJournal.latest(replica.db)
        // A local digest that disagrees with the node makes the next pull re-fetch the table whole.
        try replica.db.execute("UPDATE table_digest SET digest = digest + 1 WHERE entity = 'plan'")
        try addCustomers(1, from: 0, in: fixture)
        let report = try fixture.sync(replica).pull()
        #expect(report.snapshots == ["plan"])
        #expect(try SiteJournal.changes(replica.db, after: mark, limit: 100_000) == nil)
        #expect(try replica.db.scalar("SELECT count(*) FROM site_change WHERE seq > ? AND via = 'overflow'", [mark]) == .integer(1))
    }

    @Test func aPushedMutationIsJournaledOnTheReplicaAndNeverOnTheNode() throws {
        let fixture = try SyncFixture()
        let replica = try fixture.makeReplica()
        _ = try fixture.sync(replica).sync(runId: "run_1")
        let mark = try SiteJournal.latest(replica.db)
        let customer = CreateCustomer(id: replica.ids.make("cus"), name: "Contoso")
        try replica.submit(customer)
        let user = CreateCustomerUser(id: replica.ids.make("cu"), customerId: customer.id, username: "it", name: "IT", email: "it@contoso.example")
        try replica.submit(user)
        #expect(try SiteJournal.changes(replica.db, after: mark, limit: 100)?.map { [$0.entity, $0.entityId, $0.via] } == [
            ["customer", customer.id, ""], ["customer_user", user.id, ""], ["customer", customer.id, "customer_user"],
        ])

        let report = try fixture.sync(replica).sync(runId: "run_2")
        #expect(report.push.applied == 2)
        let tenant = try fixture.node.tenant("acme")
        #expect(try tenant.db.scalar("SELECT count(*) FROM customer_user")?.int64 == 1, "the node applied the push")
        #expect(try tenant.db.scalar("SELECT count(*) FROM site_change") == .integer(0))
        #expect(try tenant.db.scalar("SELECT count(*) FROM sqlite_temp_master WHERE type = 'trigger'") == .integer(0))
        // The pull brought the node's versions of both rows: journaled again, still row by row.
        let pulled = try #require(try SiteJournal.changes(replica.db, after: mark, limit: 100))
        #expect(Set(pulled.map(\.entityId)).isSuperset(of: [customer.id, user.id]))
        #expect(!pulled.contains { $0.entity == "*" })
    }
}
