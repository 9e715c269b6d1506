import Foundation
import Testing
import OutpostModel
import OutpostStore
@testable import OutpostSite

extension JournalBuildTests {
    /// Portals in incremental builds: enabling, a payment of the customer, renewing, disabling and
    /// closing each give the site a full build gives, and an old portal directory is gone whole.
    @Test func portalChangesGiveTheSiteAFullBuildGives() throws {
        try withTemporaryDirectory { directory in
            let db = try fixtureDatabase(in: directory, customers: 30)
            let site = directory.appendingPathComponent("site")
            try buildSite(db, into: site)
            let invoice = try #require(try db.row("""
                SELECT i.id, i.customer_id, i.total FROM invoice i
                WHERE i.status = 'issued' AND NOT EXISTS (SELECT 1 FROM payment p WHERE p.invoice_id = i.id) ORDER BY i.id LIMIT 1
                """))
            let customer = try invoice.string("customer_id")
            func portalExists(_ key: String) -> Bool { FileManager.default.fileExists(atPath: site.appendingPathComponent("portals/" + key).path) }

            let first = CustomerPortal.makeKey()
            try db.execute("INSERT INTO customer_portal (id, portal_key, enabled_at) VALUES (?, ?, '2026-11-24T09:00:00Z')", [customer, first])
            var report = try buildAndCompare(db, site, "portal enabled")
            #expect(report.written.contains("portals/\(first)/index.html") && report.written.contains(SitePath.customer(customer)))

            try db.execute("""
                INSERT INTO payment (id, customer_id, invoice_id, method, reference, amount, currency, received_on, status, recorded_at)
                VALUES ('pay_01JPORTALPORTALPORTALPORTA', ?, ?, 'card', 'ref 1', ?, 'EUR', '2026-11-24', 'completed', '2026-11-24T10:00:00Z')
                """, [customer, try invoice.string("id"), try invoice.int64("total")])
            report = try buildAndCompare(db, site, "payment shown in the portal")
            #expect(report.written.contains("portals/\(first)/payments.html"))

            let second = CustomerPortal.makeKey()
            try db.execute("UPDATE customer_portal SET portal_key = ? WHERE id = ?", [second, customer])
            report = try buildAndCompare(db, site, "portal renewed")
            #expect(report.removed.contains("portals/\(first)/index.html"))
            #expect(!portalExists(first) && portalExists(second), "the old directory is gone whole")

            try db.execute("DELETE FROM customer_portal WHERE id = ?", [customer])
            try buildAndCompare(db, site, "portal disabled")
            #expect(!portalExists(second))

            // A closed customer's portal is not rendered even if its row is there (written by another tool).
            let third = CustomerPortal.makeKey()
            try db.execute("INSERT INTO customer_portal (id, portal_key, enabled_at) VALUES (?, ?, '2026-11-24T11:00:00Z')", [customer, third])
            try buildAndCompare(db, site, "portal enabled again")
            #expect(portalExists(third))
            try db.execute("UPDATE customer SET status = 'closed', closed_at = '2026-11-24T12:00:00Z' WHERE id = ?", [customer])
            try buildAndCompare(db, site, "customer closed")
            #expect(!portalExists(third))
        }
    }
}
