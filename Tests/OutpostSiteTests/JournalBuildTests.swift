import Foundation
import Testing
import OutpostFixtures
import OutpostModel
import OutpostStore
@testable import OutpostSite
import OutpostTestThreads

/// Incremental builds from the replica's change journal must give, byte for
/// byte, the site a full build of the same data gives: every step below
/// changes the data as a pull or a mutation would, builds incrementally, and
/// compares the whole tree with a fresh full build.
@Suite("Incremental builds from the change journal", .ownThreads)
struct JournalBuildTests {
    /// The site's files (the builder keeps its bookkeeping in the site cache, beside the replica).
    func published(_ site: URL) throws -> [String: Data] {
        try siteFiles(site)
    }

    /// Builds `site` incrementally and a fresh full build beside it; they must be the same.
    @discardableResult
    func buildAndCompare(_ db: Database, _ site: URL, _ step: String, incremental: Bool = true, asOf: BusinessDate? = nil,
                         sourceLocation: SourceLocation = #_sourceLocation) throws -> SiteBuildReport {
        let report = try buildSite(db, into: site, asOf: asOf)
        #expect(report.incremental == incremental, "\(step): incremental", sourceLocation: sourceLocation)
        let fresh = site.deletingLastPathComponent().appendingPathComponent("fresh")
        try? FileManager.default.removeItem(at: fresh)
        try buildSite(db, into: fresh, asOf: asOf)
        let mine = try published(site), theirs = try published(fresh)
        let differing = Set(mine.keys).union(theirs.keys).filter { mine[$0] != theirs[$0] }.sorted()
        #expect(differing.isEmpty, "\(step): \(differing.count) files differ from a full build: \(differing.prefix(8))", sourceLocation: sourceLocation)
        return report
    }

    @Test func everyKindOfChangeGivesTheSiteAFullBuildGives() throws {
        try withTemporaryDirectory { directory in
            let db = try fixtureDatabase(in: directory, customers: 45)
            let site = directory.appendingPathComponent("site")
            try buildSite(db, into: site)
            func one(_ sql: String) throws -> String { try #require(db.scalar(sql)?.string) }
            let customer = try one("SELECT id FROM customer ORDER BY name LIMIT 1 OFFSET 30")

            // A rename that moves the customer from late in the alphabet to the front.
            try db.execute("UPDATE customer SET name = 'Aaaa First Renamed' WHERE id = ?", [customer])
            var report = try buildAndCompare(db, site, "rename to the front")
            #expect(report.written.contains(SitePath.customer(customer)))
            // Its rows in each list's orders and views (about 30 pages), the CSV day files holding them, its invoices
            // and the pages that name it: a hundred or so of the site's files, not a list's every page.
            #expect(report.written.count < 120, "a rename rewrites a few pages: \(report.written.count)")

            // Hostile text in a name.
            try db.execute("UPDATE customer SET name = ? WHERE id = ?", ["<script>alert(1)</script> \"&' \u{202E}RTL 🙂", customer])
            try buildAndCompare(db, site, "hostile name")

            // A new customer, and one removed again.
            try db.execute("INSERT INTO customer (id, name, status, email, created_at) VALUES ('cus_01JNEWNEWNEWNEWNEWNEWNEWNE', 'Middle Newcomer', 'active', 'new@example.com', '2026-11-20T09:00:00Z')")
            try buildAndCompare(db, site, "new customer")
            try db.execute("DELETE FROM customer WHERE id = 'cus_01JNEWNEWNEWNEWNEWNEWNEWNE'")
            report = try buildAndCompare(db, site, "customer removed")
            #expect(report.removed.contains(SitePath.customer("cus_01JNEWNEWNEWNEWNEWNEWNEWNE")))

            // A payment against an open invoice: invoice, payments, customer, home and reports.
            let invoice = try #require(try db.row("""
                SELECT i.id, i.customer_id, i.total FROM invoice i
                WHERE i.status = 'issued' AND NOT EXISTS (SELECT 1 FROM payment p WHERE p.invoice_id = i.id) ORDER BY i.id LIMIT 1
                """))
            try db.execute("""
                INSERT INTO payment (id, customer_id, invoice_id, method, reference, amount, currency, received_on, status, recorded_at)
                VALUES ('pay_01JPAYPAYPAYPAYPAYPAYPAYPA', ?, ?, 'card', 'ref 1', ?, 'EUR', '2026-11-24', 'completed', '2026-11-24T10:00:00Z')
                """, [try invoice.string("customer_id"), try invoice.string("id"), try invoice.int64("total")])
            report = try buildAndCompare(db, site, "payment")
            // Money received moves revenue, aging and the payments report; orders and subscriptions did not change.
            #expect(report.written.contains("reports/payments.html") && !report.written.contains("reports/sales.html")
                    && !report.written.contains("reports/subscriptions.html"), "\(report.written.filter { $0.hasPrefix("reports/") })")

            // The payment moved to another month, then removed (a refused offline payment goes): a month's page it
            // left is redone from its counts, the one trace it leaves there.
            try db.execute("UPDATE payment SET received_on = '2026-10-15' WHERE id = 'pay_01JPAYPAYPAYPAYPAYPAYPAYPA'")
            report = try buildAndCompare(db, site, "payment moved to another month")
            #expect(report.written.contains(ReportMonthPages.path(ReportMonth(year: 2026, month: 11)!)))
            try db.execute("DELETE FROM payment WHERE id = 'pay_01JPAYPAYPAYPAYPAYPAYPAYPA'")
            report = try buildAndCompare(db, site, "payment removed")
            #expect(report.written.contains(ReportMonthPages.path(ReportMonth(year: 2026, month: 10)!)))

            // An order fails (it leaves the provisioning queue), and a new one is placed.
            let order = try one("SELECT id FROM orders ORDER BY placed_at DESC LIMIT 1")
            try db.execute("UPDATE orders SET status = 'queued' WHERE id = ?", [order])
            try buildAndCompare(db, site, "order queued")
            try db.execute("UPDATE orders SET status = 'failed', status_reason = 'vendor said no' WHERE id = ?", [order])
            try buildAndCompare(db, site, "order failed")
            let plan = try one("SELECT id FROM plan ORDER BY id LIMIT 1")
            try db.execute("""
                INSERT INTO orders (id, number, customer_id, type, status, placed_at, total, currency)
                VALUES ('ord_01JORDORDORDORDORDORDORDOR', NULL, ?, 'sales', 'queued', '2026-11-25T08:00:00Z', 1200, 'EUR')
                """, [customer])
            try db.execute("""
                INSERT INTO order_line (id, order_id, plan_id, description, quantity, unit_price, unit_cost, amount)
                VALUES ('orl_01JORDORDORDORDORDORDORDOR', 'ord_01JORDORDORDORDORDORDORDOR', ?, 'New seats', 2, 600, 400, 1200)
                """, [plan])
            try buildAndCompare(db, site, "new order")

            // Seats, a domain that moves in the name order, a credit note, a conflict to review.
            let subscription = try one("SELECT id FROM subscription ORDER BY id LIMIT 1")
            try db.execute("UPDATE subscription SET quantity = quantity + 3 WHERE id = ?", [subscription])
            try buildAndCompare(db, site, "seats")
            if let domain = try db.scalar("SELECT id FROM domain ORDER BY id LIMIT 1")?.string {
                try db.execute("UPDATE domain SET name = 'aaaa-moved-to-the-front.example', expires_on = '2026-12-01' WHERE id = ?", [domain])
                try buildAndCompare(db, site, "domain")
            }
            try db.execute("""
                INSERT INTO credit_note (id, number, invoice_id, customer_id, reason, issue_date, currency, subtotal, tax, total)
                VALUES ('crn_01JCRNCRNCRNCRNCRNCRNCRNCR', 'CRN-000900', ?, ?, 'goodwill', '2026-11-24', 'EUR', 100, 0, 100)
                """, [try invoice.string("id"), try invoice.string("customer_id")])
            try buildAndCompare(db, site, "credit note")
            // A credit note made on a laptop: pending until the node's number arrives with a pull.
            try db.execute("""
                INSERT INTO credit_note (id, number, invoice_id, customer_id, reason, issue_date, currency, subtotal, tax, total)
                VALUES ('crn_01JMANUALMANUALMANUALMANUA', NULL, ?, ?, 'goodwill for the outage', '2026-11-24', 'EUR', 250, 0, 250)
                """, [try invoice.string("id"), try invoice.string("customer_id")])
            try db.execute("""
                INSERT INTO credit_note_line (id, credit_note_id, description, quantity, unit_price, amount)
                VALUES ('cnl_01JMANUALMANUALMANUALMANUA', 'crn_01JMANUALMANUALMANUALMANUA', 'Credit: goodwill', 1, 250, 250)
                """)
            report = try buildAndCompare(db, site, "manual credit note, pending")
            #expect(report.written.contains(SitePath.invoice(try invoice.string("id"))))
            try db.execute("UPDATE credit_note SET number = 'CRN-000901' WHERE id = 'crn_01JMANUALMANUALMANUALMANUA'")
            report = try buildAndCompare(db, site, "manual credit note, numbered")
            #expect(report.written.contains(SitePath.invoice(try invoice.string("id"))))
            try db.execute("""
                INSERT INTO conflict (id, entity, entity_id, field, kept_value, overwritten_value, kept_replica, kept_user, kept_at, overwritten_replica, overwritten_user, overwritten_at, reason, base_version, node_version, replica_id, seq, mutation, at)
                VALUES ('cfl_01JCFLCFLCFLCFLCFLCFLCFLCF', 'customer', ?, 'name', 'a', 'b', 'rep_y', 'ben', '2026-11-24T09:00:00Z', 'rep_x', 'anna', '2026-11-24T08:00:00Z', 'later_edit', 1, 2, 'rep_x', 1, 'customer.update', '2026-11-24T10:00:00Z')
                """, [customer])
            try buildAndCompare(db, site, "conflict")

            // A rename and, on the same list page, another customer's order changing: the page is rendered
            // whole (the renamed customer's cells come from the list store, already updated), not patched.
            let placed = try one("SELECT placed_at FROM orders WHERE customer_id = '\(customer)' ORDER BY placed_at LIMIT 1")
            let neighbour = try #require(try db.scalar("""
                SELECT id FROM orders WHERE customer_id != ? ORDER BY abs(julianday(placed_at) - julianday(?)) LIMIT 1
                """, [customer, placed])?.string)
            try db.execute("UPDATE customer SET name = 'Neighbourly Renamed' WHERE id = ?", [customer])
            try db.execute("UPDATE orders SET status_reason = 'looked at' WHERE id = ?", [neighbour])
            try buildAndCompare(db, site, "rename and a neighbouring order")

            // A rename, then in the next build a change to another row of the same list page: the page is
            // rendered from the list store, whose cells for the renamed customer's orders still hold the old
            // name (the store's renames give the new one).
            try db.execute("UPDATE customer SET name = 'Renamed The Build Before' WHERE id = ?", [customer])
            try buildAndCompare(db, site, "a rename alone")
            try db.execute("UPDATE orders SET status_reason = 'looked at again' WHERE id = ?", [neighbour])
            try buildAndCompare(db, site, "a neighbouring order after the rename")

            // A list page or an invoice page edited behind the builder's back cannot be patched: it is rendered whole.
            let link = Data(SitePath.customer(customer).utf8)
            for (path, data) in try siteFiles(site) where path.hasPrefix("orders/") && data.range(of: link) != nil {
                try Data("edited by hand".utf8).write(to: site.appendingPathComponent(path))
            }
            let billed = try one("SELECT id FROM invoice WHERE customer_id = '\(customer)' ORDER BY id LIMIT 1")
            try Data("edited by hand".utf8).write(to: site.appendingPathComponent(SitePath.invoice(billed)))
            try db.execute("UPDATE customer SET name = 'Patched Or Rendered' WHERE id = ?", [customer])
            try buildAndCompare(db, site, "a page edited by hand")

            // A customer the home page names under "Needs attention" (the most overdue invoice's).
            let overdue = try one("""
                SELECT i.customer_id FROM invoice i WHERE i.status = 'issued' AND i.due_date < '2026-11-01'
                AND i.total > coalesce((SELECT sum(amount) FROM payment p WHERE p.invoice_id = i.id AND p.status = 'completed'), 0)
                ORDER BY i.due_date LIMIT 1
                """)
            try db.execute("UPDATE customer SET name = 'Named On The Home Page' WHERE id = ?", [overdue])
            report = try buildAndCompare(db, site, "a customer on the home page")
            #expect(report.written.contains("index.html"))

            // Twenty customers renamed at once.
            try db.execute("UPDATE customer SET name = name || ' (renamed)' WHERE id IN (SELECT id FROM customer ORDER BY id LIMIT 20)")
            report = try buildAndCompare(db, site, "twenty renames")
            #expect(report.written.contains { $0.hasPrefix("reports/aging/") }, "some of them owe money: their aging rows were redone")
            #expect(!report.written.contains("reports/revenue.html"), "no figure moved")

            // The settings show on every page: that is a fingerprinted build, and the next one is incremental again.
            try db.execute("UPDATE settings SET company_name = 'Renamed Reseller GmbH'")
            try buildAndCompare(db, site, "settings", incremental: false)
            try db.execute("UPDATE customer SET city = 'Graz' WHERE id = ?", [customer])
            try buildAndCompare(db, site, "after a fingerprinted build")

            // Nothing changed: nothing is written.
            report = try buildSite(db, into: site)
            #expect(report.incremental && report.written.isEmpty && report.removed.isEmpty)
        }
    }

    @Test func aPrunedJournalMakesAnotherDirectoryFingerprintItsPages() throws {
        try withTemporaryDirectory { directory in
            let db = try fixtureDatabase(in: directory, customers: 8)
            let own = directory.appendingPathComponent("own"), other = directory.appendingPathComponent("site")
            try buildSite(db, into: own)
            try buildSite(db, into: other)
            try db.execute("UPDATE customer SET name = 'First Change' WHERE id = (SELECT min(id) FROM customer)")
            let report = try buildSite(db, into: own)
            #expect(report.incremental)
            try SiteBuilder.pruneChangeFeed(db, after: report)
            #expect(try db.scalar("SELECT count(*) FROM site_change")?.int64 == 0)
            // The other directory's last build is older than what was pruned: it cannot trust the journal.
            try db.execute("UPDATE customer SET name = 'Second Change' WHERE id = (SELECT max(id) FROM customer)")
            try buildAndCompare(db, other, "after pruning", incremental: false)
            try db.execute("UPDATE customer SET name = 'Third Change' WHERE id = (SELECT max(id) FROM customer)")
            try buildAndCompare(db, other, "and then", incremental: true)
        }
    }

    @Test func aNewDayRewritesOnlyThePagesOfItsDatedFactsAndEqualsAFullBuild() throws {
        try withTemporaryDirectory { directory in
            let db = try fixtureDatabase(in: directory, customers: 60)
            let site = directory.appendingPathComponent("site")
            // The fixture's data is dated up to its as-of day, as a replica's is up to its last sync.
            let day = FixtureGenerator.defaultAsOf
            let first = try buildSite(db, into: site, asOf: day)
            let files = try siteFiles(site).count
            // Each step a day or more on, in the same month; the third also with a rename in the same build.
            var from = day
            for (step, days) in [1, 2, 3].enumerated() {
                let to = from.adding(days: days)
                let renamed = step == 2 ? try db.scalar("SELECT min(id) FROM customer WHERE id <> 'cus_own'")?.string : nil
                if let renamed { try db.execute("UPDATE customer SET name = 'Renamed On A New Day' WHERE id = ?", [renamed]) }
                let dated = try NewDay.changes(from: from, to: to, db: db)
                let report = try buildAndCompare(db, site, "new day \(to)", asOf: to)
                #expect(report.asOf == to)
                // Only the pages of the rows whose dated facts moved, the lists they are in, and the pages that say the date.
                let rows = Set(dated.map(\.entityId))
                let invoices = Set(dated.filter { $0.entity == "invoice" }.map(\.entityId))
                let customers = Set(try db.rows("""
                    SELECT customer_id AS id FROM invoice WHERE id IN (SELECT value FROM json_each(?1))
                    UNION SELECT customer_id FROM subscription WHERE id IN (SELECT value FROM json_each(?1))
                    UNION SELECT customer_id FROM domain WHERE id IN (SELECT value FROM json_each(?1))
                    UNION SELECT customer_id FROM ssl_certificate WHERE id IN (SELECT value FROM json_each(?1))
                    UNION SELECT customer_id FROM license WHERE id IN (SELECT value FROM json_each(?1))
                    UNION SELECT id FROM customer WHERE id IN (SELECT value FROM json_each(?1))
                    UNION SELECT min(id) FROM customer WHERE id <> 'cus_own'
                    """, [SQLValue.jsonArray(rows)]).compactMap { $0["id"].string })
                let lists = ["invoices/", "subscriptions/", "domains/", "ssl/", "licenses/", "customers/", "payments/", "orders/", "provisioning/"]
                // A page of a list's order or view, or a CSV day file, holding one of the rows whose dated facts moved;
                // a list's page numbers and its views' counts (`pages.js`, `lists.js`); the page listing its CSV files.
                // On the step with a rename, every file that shows the renamed customer too.
                func listFileShowsAMovedRow(_ path: String) -> Bool {
                    guard lists.contains(where: { path.hasPrefix($0) }) else { return false }
                    if path.hasSuffix("/pages.js") || path.hasSuffix("/lists.js") || path.hasSuffix("/csv/index.html") { return true }
                    // A view chosen by the date (expiring, ending within 30 days, overdue): a row that left it is no longer on its page.
                    let directory = path.split(separator: "/").dropLast().last.map(String.init) ?? ""
                    if ["expiring", "ending-30", "ending-60", "ending-90", "overdue", "unpaid"].contains(directory) { return true }
                    guard let text = try? String(contentsOf: site.appendingPathComponent(path), encoding: .utf8) else { return false }
                    return rows.contains { text.contains($0) } || renamed.map { text.contains($0) } == true
                }
                for path in report.written {
                    let expected = path == "index.html" || path.hasPrefix("reports") || path.hasPrefix("portals/") || path.hasPrefix("sync")
                        || path == "freshness.js" || path.hasPrefix("search/")
                        || invoices.contains { path == SitePath.invoice($0) } || customers.contains { path == SitePath.customer($0) }
                        || lists.contains { path.hasPrefix($0) && !path.dropFirst($0.count).contains("/") }
                        || listFileShowsAMovedRow(path)
                    #expect(expected, "new day \(to): \(path) was rewritten but shows no dated fact that moved")
                }
                if step < 2 {
                    #expect(!report.written.contains { $0.hasPrefix("search/") }, "no name changed: the search index stays")
                }
                #expect(report.written.count < files / 4, "new day \(to): \(report.written.count) of \(files) files, first build \(first.written.count)")
                from = to
            }
            // A new month moves every monthly figure: every page is fingerprinted, and the site still equals a full build.
            let month = from.startOfMonth.adding(months: 1)
            try buildAndCompare(db, site, "new month", incremental: false, asOf: month)
            // And the day after it is a new day again.
            try buildAndCompare(db, site, "the day after the new month", asOf: month.adding(days: 1))
        }
    }

    @Test func anInterruptedBuildIsFollowedByAFullOne() throws {
        try withTemporaryDirectory { directory in
            let db = try fixtureDatabase(in: directory, customers: 8)
            let site = directory.appendingPathComponent("site")
            try buildSite(db, into: site)
            // What a build that died part-way leaves: the cache still marked "building".
            try SiteCache(SiteCache.Location(replica: directory, output: site)).markBuilding()
            try db.execute("UPDATE customer SET name = 'After The Crash' WHERE id = (SELECT min(id) FROM customer)")
            try buildAndCompare(db, site, "after a crash", incremental: false)
        }
    }
}
