import Foundation
import OutpostModel
import OutpostStore
import Testing

/// Migrations v5 and v7 add columns to replicated tables. A replica refuses a
/// logged row whose columns differ from its own, so rows logged before the
/// step must come out of the change log in the new shape, and the kept
/// digests (which cover every column) must be computed again.
@Suite("Replicated rows across the v5 and v7 migrations")
struct AddedColumnsMigrationTests {
    @Test func rowsLoggedBeforeTheStepsTakeTheNewColumns() throws {
        try withDatabase(before: "v5: back office safety") { db in
            // Each table's logged image, as the node logged it before: the row's own columns, by name.
            var logged: [String: String] = [:]
            try db.execute("INSERT INTO customer (id, name, status, created_at, version) VALUES ('cus_A', 'Contoso', 'closed', '2026-01-05T09:00:00Z', 1)")
            try db.execute("""
                INSERT INTO invoice (id, number, customer_id, status, issue_date, due_date, currency, subtotal, tax, total, version)
                VALUES ('inv_A', 'INV-000001', 'cus_A', 'issued', '2026-01-05', '2026-02-04', 'EUR', 100, 0, 100, 2)
                """)
            for (version, table, id) in [(1, "customer", "cus_A"), (2, "invoice", "inv_A"), (3, "settings", "settings")] {
                let row = try #require(try db.row("SELECT * FROM \(table) WHERE id = ?", [id]))
                let image = JSONValue.object(row.dictionary.mapValues(\.json)).serialized
                logged[table] = image
                try db.execute("INSERT INTO change_log (version, entity, entity_id, op, row, columns, origin) VALUES (?, ?, ?, 'upsert', ?, '', 'test')",
                               [version, table, id, image])
            }
            try db.execute("INSERT INTO change_log (version, entity, entity_id, op, row, columns, origin) VALUES (4, 'customer', 'cus_GONE', 'delete', NULL, '', 'test')")
            for table in ["customer", "invoice", "settings"] {
                try db.execute("INSERT INTO table_digest (entity, row_count, digest) VALUES (?, 1, 42)", [table])
            }

            try Schema.migrate(db)

            for (table, id) in [("customer", "cus_A"), ("invoice", "inv_A"), ("settings", "settings")] {
                let image = try JSONValue(parsing: try #require(try db.scalar("SELECT row FROM change_log WHERE entity = ? AND entity_id = ?", [table, id])?.string))
                // Its own text: the statement cached before the migration still names the old columns.
                let row = try #require(try db.row("SELECT * FROM \(table) WHERE id = ?1", [id]))
                #expect(image == JSONValue.object(row.dictionary.mapValues(\.json)), "\(table)'s logged image is its row in the new shape")
                #expect(try db.scalar("SELECT count(*) FROM table_digest WHERE entity = ?", [table])?.int64 == 0, "\(table)'s digest is computed again")
            }
            #expect(try db.scalar("SELECT row FROM change_log WHERE version = 4")?.string == nil, "a delete stays a delete")
            #expect(try db.scalar("SELECT closed_at FROM customer WHERE id = 'cus_A'") == .null, "a customer closed before v7 has no closing day")
        }
    }
}
