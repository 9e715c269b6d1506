import Foundation
import OutpostModel
import OutpostStore
import Testing

/// Migration v6 replaces the conflict record's misleading `winner` columns; records written before stay readable.
@Suite("Conflict records across the v6 migration")
struct ConflictMigrationTests {
    @Test func anOldConflictRowAndItsLoggedImageTakeTheNewShape() throws {
        try withDatabase(before: "v6: conflicts people can settle") { db in
            try db.execute("""
                INSERT INTO conflict (id, entity, entity_id, field, local_value, node_value, winner, base_version, node_version, replica_id, seq, mutation, at, version)
                VALUES ('cfl_OLD', 'customer', 'cus_X', 'phone', '"+49 30 2222"', '"+49 30 1111"', 'local', 3, 5, 'rep_BEN', 7, 'customer.update', '2026-01-31T10:00:00Z', 6)
                """)
            try db.execute("""
                INSERT INTO change_log (version, entity, entity_id, op, row, columns, origin)
                VALUES (6, 'conflict', 'cfl_OLD', 'upsert', '{"winner":"local"}', 'id', 'rep_BEN')
                """)
            try db.execute("INSERT INTO table_digest (entity, row_count, digest) VALUES ('conflict', 1, 42)")

            try Schema.migrate(db)

            let conflict = try Conflict(row: try #require(try db.row("SELECT * FROM conflict WHERE id = 'cfl_OLD'")))
            #expect(conflict.kept.value == "\"+49 30 2222\"", "the pushed value was the one kept (arrival order)")
            #expect(conflict.kept.replica == "rep_BEN")
            #expect(conflict.overwritten.value == "\"+49 30 1111\"")
            #expect(conflict.reason == .arrivalOrder)
            #expect(conflict.isOpen)
            #expect(conflict.story(from: "rep_BEN").hasPrefix("your edit \"+49 30 2222\""))
            // Replicas read logged rows column by column: the image is the new row, at its logged version.
            let logged = try JSONValue(parsing: try #require(try db.scalar("SELECT row FROM change_log WHERE version = 6")?.string))
            #expect(logged["winner"] == nil)
            #expect(logged["kept_value"]?.stringValue == "\"+49 30 2222\"")
            #expect(logged["reason"]?.stringValue == "arrival_order")
            #expect(logged["version"]?.integerValue == 6)
            #expect(logged["resolved_at"] == .null)
            let columns = try db.rows("PRAGMA table_info(conflict)").compactMap { $0["name"].string }
            #expect(Set(logged.objectValue?.keys.map { $0 } ?? []) == Set(columns))
            #expect(try db.scalar("SELECT count(*) FROM table_digest WHERE entity = 'conflict'")?.int64 == 0, "the digest is computed again")
        }
    }
}
