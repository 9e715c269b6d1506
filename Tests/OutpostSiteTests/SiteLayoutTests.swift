import Foundation
import Testing
import OutpostModel
import OutpostStore
@testable import OutpostSite
import OutpostTestSupport
import OutpostTestThreads

/// The published tree's shape: no directory grows with the data (a customer's and an invoice's page sit
/// in a shard directory), and every link still resolves.
@Suite("Published tree layout", .ownThreads, .timeLimit(.minutes(20)))
struct SiteLayoutTests {
    /// Entries of every directory under `root`, by path from it.
    static func directorySizes(_ root: URL) throws -> [String: Int] {
        var sizes: [String: Int] = ["": try FileManager.default.contentsOfDirectory(atPath: root.path).count]
        for path in try FileManager.default.subpathsOfDirectory(atPath: root.path) {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: root.appendingPathComponent(path).path, isDirectory: &isDirectory), isDirectory.boolValue {
                sizes[path] = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(path).path).count
            }
        }
        return sizes
    }

    @Test func noDirectoryHoldsEveryInvoiceAndEveryLinkResolves() throws {
        try withTemporaryDirectory { directory in
            let db = try fixtureDatabase(in: directory, customers: 100)
            let site = directory.appendingPathComponent("site")
            try buildSite(db, into: site)
            let invoices = Int(try #require(db.scalar("SELECT count(*) FROM invoice WHERE customer_id <> 'cus_own'")?.int64))
            let customers = Int(try #require(db.scalar("SELECT count(*) FROM customer WHERE id <> 'cus_own'")?.int64))
            #expect(invoices > 600, "enough invoices that a flat directory would be the largest: \(invoices)")
            let flat = invoices
            // `search/` (a file per three-letter prefix) is reshaped by the search index's own work (issue 15, section 3).
            let sizes = try Self.directorySizes(site).filter { $0.key != "search" }
            let largest = try #require(sizes.max { $0.value < $1.value })
            // Flat, `invoices/` held every invoice's page and the list's pages; sharded it holds at most
            // 32 × 32 shard directories besides the list's pages, however many invoices there are
            // (at this size most shards hold one page, so the gain shows as "fewer than flat").
            #expect(largest.value < flat, "largest directory: \(largest), a flat one would hold \(flat)")
            let top = try FileManager.default.contentsOfDirectory(atPath: site.appendingPathComponent("invoices").path)
            #expect(!top.contains { $0.hasPrefix("inv_") }, "no invoice's page directly in invoices/")
            // The shards are the two-character directories; the others are the list's orders and views (`by-amount`,
            // `overdue`…) and its CSV files, each checked by the page-size and link tests.
            let shards = sizes.filter { $0.key.hasPrefix("invoices/") && $0.key.split(separator: "/").count == 2 && $0.key.split(separator: "/")[1].count == 2 }
            #expect(!shards.isEmpty)
            #expect(shards.count <= 32 * 32 && shards.values.allSatisfy { $0 < 32 }, "invoice shards: \(shards.count), the fullest \(shards.values.max() ?? 0)")
            // Every customer's and invoice's page is where SitePath (and the end-to-end tests' PublishedSite) says.
            try db.forEachRow("SELECT id FROM invoice WHERE customer_id <> 'cus_own'") { row in
                let id = try row.string("id")
                #expect(SitePath.invoice(id) == PublishedSite.invoicePage(id))
                #expect(FileManager.default.fileExists(atPath: site.appendingPathComponent(SitePath.invoice(id)).path))
            }
            var pagesOfCustomers = 0
            try db.forEachRow("SELECT id FROM customer WHERE id <> 'cus_own'") { row in
                let id = try row.string("id")
                #expect(SitePath.customer(id) == PublishedSite.customerPage(id))
                if FileManager.default.fileExists(atPath: site.appendingPathComponent(SitePath.customer(id)).path) { pagesOfCustomers += 1 }
            }
            #expect(pagesOfCustomers == customers)
            // Every page parses and every href and src resolves to a file of the site.
            let files = try siteFiles(site)
            try checkEveryPage(of: site, files: files, pages: files.keys.filter { $0.hasSuffix(".html") }.sorted())
        }
    }

    @Test func shardsAreTheLastTwoCharactersOfTheFileName() {
        #expect(SitePath.invoice("inv_01JD5Z0000000000000000007Q") == "invoices/7Q/inv_01JD5Z0000000000000000007Q.html")
        #expect(SitePath.customer("c") == "customers/c/c.html")
        #expect(SitePath.customer(Customer.ownAccountId) == Section.own.path)
        // A hostile id becomes its fingerprint's file, in that file's shard.
        let hashed = SitePath.invoice("../x")
        #expect(hashed.hasPrefix("invoices/") && !hashed.contains("..") && hashed.split(separator: "/").count == 3)
    }
}
