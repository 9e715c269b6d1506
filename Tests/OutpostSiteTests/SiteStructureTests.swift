import Foundation
import FoundationXML
import Testing
import OutpostModel
import OutpostStore
@testable import OutpostSite

@Suite("Site structure: every page parses, links resolve, tables have headers")
struct SiteStructureTests {
    @Test func everyPageIsWellFormedAndEveryLinkResolves() throws {
        try withTemporaryDirectory { directory in
            let db = try fixtureDatabase(in: directory, customers: 40)
            let site = directory.appendingPathComponent("site")
            let report = try buildSite(db, into: site)
            let files = try siteFiles(site)
            let pages = files.keys.filter { $0.hasSuffix(".html") }.sorted()
            #expect(report.pages + 1 == pages.count, "every HTML file but freshness.html is a counted page")
            #expect(pages.count > 300)

            try checkEveryPage(of: site, files: files, pages: pages)
            // A page per end customer and per customer invoice: the reseller's own account has the Own purchases page instead.
            let customerCount = try #require(db.scalar("SELECT count(*) FROM customer WHERE id <> 'cus_own'")?.int64)
            let invoiceCount = try #require(db.scalar("SELECT count(*) FROM invoice WHERE customer_id <> 'cus_own'")?.int64)
            #expect(pages.filter { $0.hasPrefix("customers/cus_") }.count == Int(customerCount))
            #expect(pages.filter { $0.hasPrefix("invoices/inv_") }.count == Int(invoiceCount))

        }
    }

    @Test func listsArePaginatedAndTheCSVHoldsEveryRow() throws {
        try withTemporaryDirectory { directory in
            let db = try fixtureDatabase(in: directory, customers: 40)
            let site = directory.appendingPathComponent("site")
            try buildSite(db, into: site)
            let orders = Int(try #require(db.scalar("SELECT count(*) FROM orders")?.int64))
            #expect(orders > 2 * ListChunker.pageSize / 2)
            // Walk the pages from the first by their "Next page" links: every order once, newest first, no page over the limit.
            var path: String? = "orders/index.html"
            var seen: [String] = []
            var pages = 0
            while let current = path {
                let parsed = try ParsedPage(site: site, path: current)
                let rows = parsed.elements(named: "table").first?.elements(forName: "tbody").first?.elements(forName: "tr") ?? []
                #expect(!rows.isEmpty && rows.count <= ListChunker.pageSize, "\(current) has \(rows.count) rows")
                seen += rows.compactMap { $0.elements(forName: "td").first?.stringValue }
                pages += 1
                let next = parsed.elements(named: "a").first { $0.stringValue == "Next page →" }?.attr("href")
                path = next.map { "orders/" + $0 }
                #expect(pages < 1000)
                if pages >= 1000 { break }
            }
            #expect(pages > 1)
            #expect(seen.count == orders)
            let csv = try String(contentsOf: site.appendingPathComponent("orders/orders.csv"), encoding: .utf8)
            let records = CSVParser.parse(csv)
            #expect(records.count == orders + 1)
            #expect(records.allSatisfy { $0.count == records[0].count })
            // Id first, rows in id order (what lets an incremental build patch the file); the customer by id, not by name.
            #expect(records[0].first == "Id" && records[0].contains("Customer id") && !records[0].contains("Customer"))
            let ids = records.dropFirst().map { $0[0] }
            #expect(ids == ids.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
            let customers = CSVParser.parse(try String(contentsOf: site.appendingPathComponent("customers/customers.csv"), encoding: .utf8))
            #expect(customers.count == 41)
        }
    }

    @Test func everyReportHasAChartATableAndItsCSV() throws {
        try withTemporaryDirectory { directory in
            let db = try fixtureDatabase(in: directory, customers: 12)
            let site = directory.appendingPathComponent("site")
            try buildSite(db, into: site)
            #expect(ReportPages.catalogue.count == 6)
            for report in ReportPages.catalogue + [(path: "index.html", title: "Home", about: "")] {
                let page = try ParsedPage(site: site, path: report.path)
                #expect(!page.elements(named: "svg").isEmpty, "no chart on \(report.path)")
                for svg in page.elements(named: "svg") {
                    #expect(svg.attr("role") == "img" && !(svg.attr("aria-label") ?? "").isEmpty, "a chart without a text alternative on \(report.path)")
                }
                #expect(page.elements(named: "table").count >= 2, "a chart's numbers and the report's table on \(report.path)")
                if report.path != "index.html" {
                    let csv = page.elements(named: "a").compactMap { $0.attr("href") }.filter { $0.hasSuffix(".csv") }
                    #expect(!csv.isEmpty, "no CSV beside \(report.path)")
                }
            }
        }
    }

    @Test func theProvisioningQueueHasAnEmptyState() throws {
        try withTemporaryDirectory { directory in
            let db = try fixtureDatabase(in: directory, customers: 5)
            try db.execute("UPDATE orders SET status = 'completed' WHERE status IN ('queued', 'submitted', 'provisioning')")
            let site = directory.appendingPathComponent("site")
            try buildSite(db, into: site)
            let page = try ParsedPage(site: site, path: "provisioning/index.html")
            #expect(page.elements(named: "table").isEmpty)
            #expect(page.elements(named: "p").contains { $0.attr("class") == "empty" && ($0.stringValue ?? "").contains("Nothing is waiting") })
        }
    }
}

/// A strict RFC 4180 reader for the tests.
enum CSVParser {
    static func parse(_ text: String) -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var quoted = false
        var scalars = Array(text.unicodeScalars)[...]
        while let scalar = scalars.popFirst() {
            if quoted {
                if scalar == "\"" {
                    if scalars.first == "\"" { field.unicodeScalars.append("\""); scalars.removeFirst() } else { quoted = false }
                } else {
                    field.unicodeScalars.append(scalar)
                }
            } else if scalar == "\"" {
                quoted = true
            } else if scalar == "," {
                record.append(field); field = ""
            } else if scalar == "\r", scalars.first == "\n" {
                scalars.removeFirst()
                record.append(field); field = ""
                records.append(record); record = []
            } else {
                field.unicodeScalars.append(scalar)
            }
        }
        if !field.isEmpty || !record.isEmpty { record.append(field); records.append(record) }
        return records
    }
}
