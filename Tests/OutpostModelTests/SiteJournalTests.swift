import Foundation
import OutpostModel
import OutpostStore
import Testing
import OutpostFixtures

/// The site change journal: what the triggers record for each table, the off switch, reading and pruning.
@Suite("Site journal")
struct SiteJournalTests {
    /// The parent links the site builder relies on, stated once more here as the specification.
    static let parents: [String: [(column: String, table: String)]] = [
        "customer_user": [("customer_id", "customer")],
        "orders": [("customer_id", "customer")],
        "order_line": [("order_id", "orders")],
        "subscription": [("customer_id", "customer")],
        "invoice": [("customer_id", "customer")],
        "invoice_line": [("invoice_id", "invoice")],
        "credit_note": [("invoice_id", "invoice"), ("customer_id", "customer")],
        "credit_note_line": [("credit_note_id", "credit_note")],
        "payment": [("customer_id", "customer"), ("invoice_id", "invoice")],
        "domain": [("customer_id", "customer")],
        "ssl_certificate": [("customer_id", "customer")],
        "license": [("customer_id", "customer")],
        "notification": [("customer_id", "customer")],
        "price_rule": [("plan_id", "plan")],
        // A portal's id is its customer's.
        "customer_portal": [("id", "customer")],
    ]

    /// A journal entry without its seq.
    struct Entry: Equatable, CustomStringConvertible {
        let entity: String
        let id: String
        let via: String
        var description: String { "\(entity):\(id)\(via.isEmpty ? "" : " via \(via)")" }
    }

    /// Everything journaled after `seq`, or a recorded issue when the journal cannot tell.
    func journal(_ replica: Replica, after seq: Int64, sourceLocation: SourceLocation = #_sourceLocation) throws -> [Entry] {
        let changes = try #require(try SiteJournal.changes(replica.db, after: seq, limit: 1_000), sourceLocation: sourceLocation)
        return changes.map { Entry(entity: $0.entity, id: $0.entityId, via: $0.via) }
    }

    /// The row itself, then its non-null parents.
    func expected(_ table: String, _ row: Row, via: String = "") -> [Entry] {
        [Entry(entity: table, id: row["id"].string ?? "?", via: via)]
            + (Self.parents[table] ?? []).compactMap { link in row[link.column].string.map { Entry(entity: link.table, id: $0, via: table) } }
    }

    /// A small fixture data set (written with the journal off) plus a notification, a conflict and a portal, which it lacks.
    func withPopulatedReplica(_ body: (Replica) throws -> Void) throws {
        try withTestReplica { replica in
            try FixtureGenerator(seed: 7, customers: 40, asOf: day("2026-01-31")).write(into: replica.db)
            let customer = try #require(try replica.db.scalar("SELECT id FROM customer ORDER BY id LIMIT 1")?.string)
            try replica.db.execute("""
                INSERT INTO notification (id, customer_id, kind, entity, entity_id, threshold_days, reference_date, notice_date, recipient,
                                          subject, message_id, channel, sent_at)
                VALUES ('ntf_1', ?, 'invoice_due', 'invoice', 'inv_X', 7, '2026-03-03', '2026-02-24', 'a@example.com', 's', '<m@example.com>',
                        'outbox', '2026-02-24T06:00:00Z')
                """, [customer])
            try replica.db.execute("""
                INSERT INTO conflict (id, entity, entity_id, field, kept_value, overwritten_value, kept_replica, kept_user, kept_at, overwritten_replica, overwritten_user, overwritten_at, reason, base_version, node_version, replica_id, seq, mutation, at)
                VALUES ('cfl_1', 'customer', ?, 'phone', '1', '2', 'rep_Y', 'ben', '2026-01-31T09:00:00Z', 'rep_X', 'anna', '2026-01-31T08:00:00Z', 'later_edit', 1, 2, 'rep_X', 1, 'customer.update', '2026-01-31T10:00:00Z')
                """, [customer])
            try replica.db.execute("INSERT INTO customer_portal (id, portal_key, enabled_at) VALUES (?, 'abcdefghijklmnopqrstuvwxyz', '2026-01-31T09:00:00Z')",
                                   [customer])
            try replica.db.execute("""
                INSERT INTO operation_run (id, kind, started_at, finished_at, failed) VALUES ('opr_1', 'provision', '2026-02-24T06:00:00Z', '2026-02-24T06:00:01Z', 1)
                """)
            try replica.db.execute("""
                INSERT INTO operation_event (id, run_id, at, subject, subject_id, subject_label, customer_id, outcome, message, error_output)
                VALUES ('ope_1', 'opr_1', '2026-02-24T06:00:01Z', 'order', 'ord_X', 'ORD-000001', ?, 'failed', 'hook exited with status 3', 'vendor down')
                """, [customer])
            try body(replica)
        }
    }

    @Test("insert, update and delete of each replicated table are journaled with the row and its parents",
          arguments: Schema.replicatedTables)
    func everyTableIsJournaled(table: String) throws {
        try withPopulatedReplica { replica in
            let db = replica.db
            // The row with the most parents set (the default price rule has none; a plan-specific one has its plan).
            let parentCount = (Self.parents[table] ?? []).map { "(\($0.column) IS NOT NULL)" }.joined(separator: " + ")
            let row = try #require(try db.row("SELECT * FROM \(table) ORDER BY \(parentCount.isEmpty ? "1" : parentCount) DESC, id LIMIT 1"),
                                   "the fixture has a \(table) row")
            let id = try row.string("id")

            var mark = try SiteJournal.latest(db)
            try db.execute("UPDATE \(table) SET version = version + 1 WHERE id = ?", [id])
            // Only the version moved: a customer keeps its status, creation date and bill-to, so at most its name changed.
            #expect(try journal(replica, after: mark) == expected(table, row, via: table == "customer" ? "name" : ""), "update")

            mark = try SiteJournal.latest(db)
            try db.executeScript("PRAGMA foreign_keys = OFF")
            defer { try? db.executeScript("PRAGMA foreign_keys = ON") }
            try db.execute("DELETE FROM \(table) WHERE id = ?", [id])
            #expect(try journal(replica, after: mark) == expected(table, row), "delete")

            mark = try SiteJournal.latest(db)
            let columns = row.columns
            try db.execute("INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))",
                           columns.map { row[$0] })
            #expect(try journal(replica, after: mark) == expected(table, row), "insert")
        }
    }

    @Test func movingARowToAnotherParentMarksBothParents() throws {
        try withPopulatedReplica { replica in
            let db = replica.db
            let payment = try #require(try db.row("SELECT id, customer_id, invoice_id FROM payment ORDER BY id LIMIT 1"))
            let other = try #require(try db.scalar("SELECT id FROM customer WHERE id <> ? ORDER BY id LIMIT 1", [payment["customer_id"]])?.string)
            let mark = try SiteJournal.latest(db)
            try db.executeScript("PRAGMA foreign_keys = OFF")
            defer { try? db.executeScript("PRAGMA foreign_keys = ON") }
            try db.execute("UPDATE payment SET id = 'pay_MOVED', customer_id = ? WHERE id = ?", [other, payment["id"]])
            #expect(try journal(replica, after: mark) == [
                Entry(entity: "payment", id: "pay_MOVED", via: ""),
                Entry(entity: "payment", id: try payment.string("id"), via: ""),
                Entry(entity: "customer", id: other, via: "payment"),
                Entry(entity: "customer", id: try payment.string("customer_id"), via: "payment"),
                // The invoice did not change: marked once, as the new parent.
                Entry(entity: "invoice", id: try payment.string("invoice_id"), via: "payment"),
            ])
        }
    }

    @Test func aRenameIsANameChangeAnAddressADisplayChangeAndAStatusChangeNeither() throws {
        try withTestReplica { replica in
            try seedCustomer(replica)
            let version = try #require(try replica.db.scalar("SELECT version FROM customer WHERE id = 'cus_ACME'")?.int64)
            var rename = UpdateCustomer(id: "cus_ACME", baseVersion: version)
            rename.name = "Acme Europe GmbH"
            var mark = try SiteJournal.latest(replica.db)
            try replica.submit(rename)
            #expect(try journal(replica, after: mark) == [Entry(entity: "customer", id: "cus_ACME", via: "name")])

            // A new address shows on the invoices' bill-to: a display change, not only a name.
            mark = try SiteJournal.latest(replica.db)
            try replica.db.execute("UPDATE customer SET city = 'Lyon' WHERE id = 'cus_ACME'")
            #expect(try journal(replica, after: mark) == [Entry(entity: "customer", id: "cus_ACME", via: "display")])

            mark = try SiteJournal.latest(replica.db)
            try replica.submit(SuspendCustomer(id: "cus_ACME", baseVersion: version))
            #expect(try journal(replica, after: mark) == [Entry(entity: "customer", id: "cus_ACME", via: "")])
        }
    }

    @Test func aSubmittedMutationIsJournaledWithItsQueueEntry() throws {
        try withTestReplica { replica in
            try seedCustomer(replica)
            let mark = try SiteJournal.latest(replica.db)
            try replica.submit(CreateCustomerUser(id: "cu_BEN", customerId: "cus_ACME", username: "ben", name: "Ben", email: "ben@acme.example"))
            #expect(try journal(replica, after: mark) == [
                Entry(entity: "customer_user", id: "cu_BEN", via: ""),
                Entry(entity: "customer", id: "cus_ACME", via: "customer_user"),
            ])
            // A refused mutation leaves no journal entry either.
            let after = try SiteJournal.latest(replica.db)
            #expect(throws: MutationRefusal.self) {
                try replica.submit(CreateCustomerUser(id: "cu_BEN", customerId: "cus_ACME", username: "ben2", name: "Ben", email: "ben@acme.example"))
            }
            #expect(try journal(replica, after: after) == [])
        }
    }

    @Test func theFixtureGeneratorLeavesOneOverflowMarker() throws {
        try withTestReplica { replica in
            try FixtureGenerator(seed: 1, customers: 5, asOf: day("2026-01-31")).write(into: replica.db)
            let rows = try replica.db.rows("SELECT entity, entity_id, via FROM site_change")
            #expect(rows.map { [$0["entity"], $0["entity_id"], $0["via"]] } == [[.text("*"), .text(""), .text("overflow")]])
            #expect(try SiteJournal.changes(replica.db, after: 0, limit: 1_000) == nil)
            #expect(try SiteJournal.changes(replica.db, after: SiteJournal.latest(replica.db), limit: 1_000) == [])
        }
    }

    @Test func withJournalOffRemovesItsSwitchWhenTheBodyThrows() throws {
        struct Failure: Error {}
        try withTestReplica { replica in
            let db = replica.db
            #expect(throws: Failure.self) {
                try SiteJournal.withJournalOff(db) {
                    try db.execute("INSERT INTO customer (id, name, status, created_at) VALUES ('cus_OFF', 'Off', 'active', '2026-01-31T10:00:00Z')")
                    #expect(try db.scalar("SELECT count(*) FROM temp.site_change_off") == .integer(1))
                    #expect(try db.scalar("SELECT count(*) FROM sqlite_temp_master WHERE type = 'trigger'") == .integer(0),
                            "dropped: a table with triggers costs every write a statement journal")
                    throw Failure()
                }
            }
            #expect(try db.scalar("SELECT count(*) FROM temp.site_change_off") == .integer(0))
            #expect(try db.scalar("SELECT count(*) FROM sqlite_temp_master WHERE type = 'trigger'") == .integer(Int64(3 * Schema.replicatedTables.count)))
            // Outside a transaction the insert stayed although the body failed: the marker says so.
            #expect(try db.rows("SELECT entity, via FROM site_change").map { [$0["entity"], $0["via"]] } == [[.text("*"), .text("overflow")]])
            // The journal is on again.
            let mark = try SiteJournal.latest(db)
            try seedCustomer(replica)
            #expect(try journal(replica, after: mark) == [Entry(entity: "customer", id: "cus_ACME", via: "")])
        }
    }

    @Test func nestedSwitchesEachRemoveOnlyTheirOwn() throws {
        try withTestReplica { replica in
            let db = replica.db
            try SiteJournal.withJournalOff(db, tables: ["customer"]) {
                try SiteJournal.withJournalOff(db) {}
                try seedCustomer(replica)
                try seedCustomerUser(replica)
                #expect(try db.scalar("SELECT count(*) FROM sqlite_temp_master WHERE type = 'trigger' AND tbl_name = 'customer'") == .integer(0))
            }
            // The switch covers every table; only the named ones lost their triggers for the while.
            #expect(try db.scalar("SELECT count(*) FROM site_change WHERE entity <> '*'") == .integer(0))
            #expect(try db.scalar("SELECT count(*) FROM site_change WHERE via = 'overflow'") == .integer(2))
            #expect(try db.scalar("SELECT count(*) FROM sqlite_temp_master WHERE type = 'trigger'") == .integer(Int64(3 * Schema.replicatedTables.count)))
            let mark = try SiteJournal.latest(db)
            try setFact(replica, "customer", id: "cus_ACME", [("name", "Acme AG")])
            #expect(try journal(replica, after: mark) == [Entry(entity: "customer", id: "cus_ACME", via: "name")])
        }
    }

    @Test func readingAfterPruningAndAtTheEdges() throws {
        try withTestReplica { replica in
            let db = replica.db
            #expect(try SiteJournal.latest(db) == 0)
            #expect(try SiteJournal.changes(db, after: 0, limit: 10) == [])
            for index in 1...4 { try seedCustomer(replica, id: "cus_\(index)") }
            let latest = try SiteJournal.latest(db)
            #expect(latest == 4)
            #expect(try SiteJournal.changes(db, after: 0, limit: 10)?.map(\.entityId) == ["cus_1", "cus_2", "cus_3", "cus_4"])
            #expect(try SiteJournal.changes(db, after: 1, limit: 3)?.map(\.seq) == [2, 3, 4])
            #expect(try SiteJournal.changes(db, after: 0, limit: 3) == nil, "more than the limit")
            #expect(try SiteJournal.changes(db, after: latest + 1, limit: 10) == nil, "a seq this journal never gave out")

            try SiteJournal.prune(db, through: 2)
            #expect(try db.scalar("SELECT count(*) FROM site_change") == .integer(2))
            #expect(try SiteJournal.changes(db, after: 1, limit: 10) == nil, "pruned past the seq")
            #expect(try SiteJournal.changes(db, after: 2, limit: 10)?.map(\.entityId) == ["cus_3", "cus_4"])
            #expect(try SiteJournal.changes(db, after: latest, limit: 10) == [])

            // Pruning everything does not move the numbering back.
            try SiteJournal.prune(db, through: latest)
            try SiteJournal.prune(db, through: 1)
            #expect(try db.scalar("SELECT value FROM replica_meta WHERE key = 'site_journal_pruned'") == .text("4"))
            #expect(try SiteJournal.latest(db) == latest)
            #expect(try SiteJournal.changes(db, after: latest, limit: 10) == [])
            try seedCustomer(replica, id: "cus_5")
            #expect(try SiteJournal.changes(db, after: latest, limit: 10) == [SiteChange(seq: 5, entity: "customer", entityId: "cus_5", via: "")])
        }
    }

    @Test func aReopenedReplicaJournalsAndItsJournalIsLocal() throws {
        try withTestReplica { replica in
            let reopened = try Replica.open(replica.directory, clock: FixedClock(testNow))
            try seedCustomer(reopened)
            #expect(try journal(reopened, after: 0) == [Entry(entity: "customer", id: "cus_ACME", via: "")])
            // A plain connection to the same file (as the node opens its databases) does not journal.
            let plain = try Database(path: replica.directory.appendingPathComponent(Replica.databaseName).path)
            try plain.execute("UPDATE customer SET name = 'Plain' WHERE id = 'cus_ACME'")
            #expect(try SiteJournal.latest(plain) == 1)
            #expect(!Schema.replicatedTables.contains("site_change"))
        }
    }

    @Test("a version 3 replica is migrated on opening and journals from then on")
    func aVersionThreeReplicaMigratesAndJournals() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("OutpostModelTests-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
        do {
            let db = try Database(path: directory.appendingPathComponent(Replica.databaseName).path)
            var upToThree = Migrator()
            for step in Schema.migrator.steps.prefix(3) { upToThree.register(step.name, step.migrate) }
            try upToThree.migrate(db)
            try db.execute("INSERT INTO replica_meta (key, value) VALUES ('replica_id', 'rep_OLD')")
            try db.execute("INSERT INTO customer (id, name, status, created_at) VALUES ('cus_OLD', 'Old', 'active', '2025-01-01T09:00:00Z')")
        }
        let replica = try Replica.open(directory, clock: FixedClock(testNow))
        #expect(try replica.db.userVersion() == Schema.migrator.latestVersion)
        #expect(try SiteJournal.latest(replica.db) == 0)
        let indexes = try replica.db.rows("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE '%_by_customer'").compactMap { $0[0].string }
        for index in ["payment_by_customer", "credit_note_by_customer", "domain_by_customer", "ssl_certificate_by_customer", "license_by_customer"] {
            #expect(indexes.contains(index), "\(index) exists")
        }
        var rename = UpdateCustomer(id: "cus_OLD", baseVersion: 0)
        rename.name = "Older"
        try replica.submit(rename)
        #expect(try journal(replica, after: 0) == [Entry(entity: "customer", id: "cus_OLD", via: "name")])
    }
}
