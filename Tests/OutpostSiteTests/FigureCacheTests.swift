import Foundation
import Testing
import OutpostModel
import OutpostStore
@testable import OutpostSite
import OutpostFixtures

/// The figures an incremental build shows come from sums kept up to date customer by customer; they
/// must be the sums worked out afresh, and the sums every report computed on its own adds up.
@Suite("The cache of customers' shares of the figures", .timeLimit(.minutes(20)))
struct FigureCacheTests {
    func cache(_ directory: URL) throws -> FigureCache {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return FigureCache(store: try ListStore.open(in: directory), asOf: FixtureGenerator.defaultAsOf)
    }

    @Test func aCacheKeptUpToDateEqualsOneWorkedOutAfresh() throws {
        try withTemporaryDirectory { directory in
            let db = try fixtureDatabase(in: directory.appendingPathComponent("replica"), customers: 30)
            let kept = try cache(directory.appendingPathComponent("kept"))
            try kept.rebuild(from: db)
            let before = try kept.total(Figures.receivables)
            let customers = try db.rows("""
                SELECT c.id FROM customer c WHERE EXISTS (SELECT 1 FROM subscription s WHERE s.customer_id = c.id AND s.status = 'active')
                AND EXISTS (SELECT 1 FROM invoice i WHERE i.customer_id = c.id AND i.status = 'issued') ORDER BY c.id LIMIT 6
                """).map { try $0.string("id") }
            try #require(customers.count == 6)
            let asOf = FixtureGenerator.defaultAsOf.description
            // Money moves, seats change, a subscription ends, an invoice is voided, a customer closes, payments go.
            try db.execute("""
                INSERT INTO payment (id, customer_id, invoice_id, method, reference, amount, currency, received_on, status, recorded_at)
                SELECT 'pay_figure_test', customer_id, id, 'bank_transfer', 'test', total, 'EUR', ?, 'completed', ? FROM invoice
                WHERE customer_id = ? AND status = 'issued' ORDER BY due_date DESC LIMIT 1
                """, [asOf, asOf + "T12:00:00Z", customers[0]])
            try db.execute("UPDATE subscription SET quantity = quantity + 3 WHERE customer_id = ? AND status = 'active'", [customers[1]])
            try db.execute("UPDATE subscription SET status = 'cancelled' WHERE customer_id = ? AND status = 'active'", [customers[2]])
            try db.execute("UPDATE invoice SET status = 'void' WHERE customer_id = ?", [customers[3]])
            try db.execute("UPDATE customer SET status = 'closed' WHERE id = ?", [customers[4]])
            try db.execute("DELETE FROM payment WHERE customer_id = ?", [customers[5]])
            try kept.update(customers: Set(customers), from: db)
            #expect(try kept.total(Figures.receivables) != before, "the receivables moved")

            let fresh = try cache(directory.appendingPathComponent("fresh"))
            try fresh.rebuild(from: db)
            let memory = try CustomerShares.InMemory(in: db, asOf: FixtureGenerator.defaultAsOf, months: nil)
            #expect(kept.months == memory.months && kept.months.count >= 12, "every month of the data")
            for kind in CustomerShares.Kind.allCases {
                let sums = try kept.storedSums(kind)
                #expect(sums == (try fresh.storedSums(kind)), "\(kind) kept up to date")
                if kind.isItems {
                    let items = try kept.storedItems(kind, first: 1000)
                    let freshItems = try fresh.storedItems(kind, first: 1000)
                    let memoryItems = memory.storedItems(kind, first: 1000)
                    #expect(items == freshItems && items == memoryItems, "\(kind) items")
                } else {
                    #expect(sums == memory.storedSums(kind), "\(kind) as the reports add it up")
                }
            }
            // Every stored figure reads back as its named type.
            #expect(try kept.sums(Figures.plans).values.contains { $0.subscriptions > 0 }, "there are active subscriptions to count")
            #expect(try kept.sums(Figures.invoiced).values.contains { $0.count > 0 && $0.subtotal > 0 }, "invoices to count")
            #expect(try kept.items(Figures.overdue, first: 5).keys == (try memory.items(Figures.overdue, first: 5).keys))
        }
    }
}
