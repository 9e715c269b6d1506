import Foundation
import OutpostModel
import OutpostStore
import Testing

@Suite("Schema")
struct SchemaTests {
    /// Table names in the database, without SQLite's own.
    func tables(_ db: Database) throws -> [String] {
        try db.rows("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").compactMap { $0[0].string }
    }

    /// The whole schema text, to compare before and after.
    func schemaText(_ db: Database) throws -> [Row] {
        try db.rows("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")
    }

    @Test func migratingTwiceIsANoOp() throws {
        let db = try Database.inMemory()
        let first = try Schema.migrator.migrate(db)
        #expect(first.count == Schema.migrator.latestVersion)
        #expect(try db.userVersion() == Schema.migrator.latestVersion)
        let schemaAfterFirst = try schemaText(db)
        let settingsAfterFirst = try db.rows("SELECT * FROM settings")
        let rulesAfterFirst = try db.rows("SELECT * FROM price_rule")

        let second = try Schema.migrator.migrate(db)
        #expect(second.isEmpty)
        try Schema.migrate(db)
        #expect(try db.userVersion() == Schema.migrator.latestVersion)
        #expect(try schemaText(db) == schemaAfterFirst)
        // The seeded rows are not inserted twice.
        #expect(try db.rows("SELECT * FROM settings") == settingsAfterFirst)
        #expect(try db.rows("SELECT * FROM price_rule") == rulesAfterFirst)
        #expect(settingsAfterFirst.count == 1)
        #expect(rulesAfterFirst.count == 1)
    }

    @Test func migratingAReplicaWithDataAgainKeepsEverything() throws {
        try withTestReplica { replica in
            try seedCatalog(replica)
            try replica.submit(CreateCustomer(id: "cus_A", name: "Alpha"))
            let before = try snapshot(replica)
            try Schema.migrate(replica.db)
            expectSameTables(before, try snapshot(replica), "after migrating again")
        }
    }

    @Test("a version 2 database with data gains the notification table at version 3, its rows untouched")
    func versionThreeAddsNotifications() throws {
        let db = try Database.inMemory()
        var upToTwo = Migrator()
        for step in Schema.migrator.steps.prefix(2) { upToTwo.register(step.name, step.migrate) }
        try upToTwo.migrate(db)
        try db.execute("INSERT INTO customer (id, name, status, created_at) VALUES ('cus_A', 'Alpha', 'active', '2026-01-31T10:00:00Z')")
        let customers = try db.rows("SELECT * FROM customer")
        #expect(try tables(db).contains("notification") == false)

        var upToThree = upToTwo
        upToThree.register(Schema.migrator.steps[2].name, Schema.migrator.steps[2].migrate)
        #expect(try upToThree.migrate(db) == ["v3: notifications sent by the node"])
        #expect(try db.userVersion() == 3)
        #expect(try db.rows("SELECT * FROM customer") == customers)
        let insert = """
            INSERT INTO notification (id, customer_id, kind, entity, entity_id, threshold_days, reference_date, notice_date, recipient,
                                      subject, message_id, channel, sent_at)
            VALUES (?, 'cus_A', 'invoice_due', 'invoice', 'inv_X', 7, '2026-03-03', '2026-02-24', 'a@example.com', 's', '<m@example.com>', 'outbox', '2026-02-24T06:00:00Z')
            """
        try db.execute(insert, ["ntf_1"])
        // One row per notice: the same kind, entity, date and threshold again is refused by the table itself.
        #expect(throws: DatabaseError.self) { try db.execute(insert, ["ntf_2"]) }
        #expect(throws: DatabaseError.self) {
            try db.execute("UPDATE notification SET kind = 'invoice_late' WHERE id = 'ntf_1'")
        }
    }

    @Test func everyReplicatedTableExistsWithAVersionColumn() throws {
        try withTestReplica { replica in
            let existing = Set(try tables(replica.db))
            #expect(Set(Schema.replicatedTables).count == Schema.replicatedTables.count, "no table listed twice")
            for table in Schema.replicatedTables {
                #expect(existing.contains(table), "replicated table \(table) exists")
                let columns = try replica.db.rows("PRAGMA table_info(\(table))")
                let version = columns.first { $0["name"] == .text("version") }
                #expect(version != nil, "\(table) has a version column")
                #expect(version?["type"] == .text("INTEGER"), "\(table).version is an integer")
                #expect(version?["notnull"] == .integer(1), "\(table).version is not null")
                #expect(version?["dflt_value"] == .text("0"), "\(table).version defaults to 0")
                let id = columns.first { $0["name"] == .text("id") }
                #expect(id?["pk"] == .integer(1), "\(table) is keyed by id")
                #expect(id?["type"] == .text("TEXT"), "\(table).id is text")
            }
        }
    }

    @Test func everyTableIsReplicatedOrTheReplicasOwn() throws {
        try withTestReplica { replica in
            // Local to one side: the replica's queue and runs, the node's change log and verdicts.
            let local: Set<String> = ["replica_meta", "queue", "rejected", "sync_run", "change_log", "verdict", "refused_id", "table_digest", "conflict_notice",
                                      "site_change", "acknowledged_mutation"]
            #expect(Set(try tables(replica.db)) == Set(Schema.replicatedTables).union(local))
            // The change log and verdicts record node versions; the rest carry none.
            for table in local.subtracting(["change_log", "verdict", "table_digest"]) {
                let columns = try replica.db.rows("PRAGMA table_info(\(table))").compactMap { $0["name"].string }
                #expect(!columns.contains("version"), "\(table) is local and not versioned")
            }
        }
    }

    @Test func replicatedTablesAreListedParentsFirst() throws {
        try withTestReplica { replica in
            let order = Schema.replicatedTables
            for (index, table) in order.enumerated() {
                for parent in try replica.db.rows("PRAGMA foreign_key_list(\(table))").compactMap({ $0["table"].string }) {
                    let parentIndex = try #require(order.firstIndex(of: parent), "\(table) references \(parent), which is not replicated")
                    #expect(parentIndex < index, "\(parent) comes before its child \(table)")
                }
            }
        }
    }

    @Test func foreignKeysAreEnforced() throws {
        try withTestReplica { replica throws in
            #expect(try replica.db.scalar("PRAGMA foreign_keys") == .integer(1))
            #expect(throws: DatabaseError.self) {
                try replica.db.execute("""
                    INSERT INTO customer_user (id, customer_id, username, name, email, role, created_at)
                    VALUES ('cu_X', 'cus_MISSING', 'x', 'X', 'x@example.com', 'user', '2026-01-31T10:00:00Z')
                    """)
            }
            #expect(try count(replica, "customer_user") == 0)
            #expect(try replica.db.foreignKeyViolations().isEmpty)
        }
    }

    @Test func foreignKeysAreOnAfterReopening() throws {
        try withTestReplica { replica in
            let reopened = try Replica.open(replica.directory, clock: FixedClock(testNow))
            #expect(try reopened.db.scalar("PRAGMA foreign_keys") == .integer(1))
        }
    }

    @Test func checkConstraintsGuardTheStoredValues() throws {
        try withTestReplica { replica in
            try seedCustomer(replica)
            #expect(throws: DatabaseError.self) {
                try replica.db.execute("UPDATE customer SET status = 'deleted' WHERE id = 'cus_ACME'")
            }
            #expect(throws: DatabaseError.self) {
                try replica.db.execute("UPDATE price_rule SET markup_bp = 100001 WHERE id = 'prc_default'")
            }
            #expect(throws: DatabaseError.self) {
                try replica.db.execute("UPDATE settings SET tax_rate_bp = 10001")
            }
            #expect(throws: DatabaseError.self) {
                try replica.db.execute("INSERT INTO settings (id) VALUES ('other')")
            }
            // STRICT tables refuse text in integer columns.
            #expect(throws: DatabaseError.self) {
                try replica.db.execute("UPDATE customer SET version = 'x' WHERE id = 'cus_ACME'")
            }
        }
    }

    @Test func aNewReplicaHasItsIdAndSeedRows() throws {
        try withTestReplica { replica throws in
            #expect(IdentifierFactory.isValid(try replica.replicaId(), prefix: "rep"))
            #expect(try replica.db.scalar("SELECT value FROM replica_meta WHERE key = 'created_at'") == .text("2026-01-31T10:00:00Z"))
            #expect(try count(replica, "settings") == 1)
            #expect(try count(replica, "price_rule") == 1)
            // The reseller's own account (its own purchases are billed to it), and no customer.
            #expect(try replica.db.rows("SELECT id, name FROM customer").map { try $0.string("id") } == [Customer.ownAccountId])
            for table in Schema.replicatedTables where !["settings", "price_rule", "customer"].contains(table) {
                #expect(try count(replica, table) == 0, "\(table) starts empty")
            }
            #expect(try replica.db.integrityCheck() == ["ok"])
        }
    }
}
