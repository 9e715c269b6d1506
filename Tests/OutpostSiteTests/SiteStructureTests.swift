import Foundation
import FoundationXML
import Testing
import OutpostModel
import OutpostStore
@testable import OutpostSite
import OutpostTestThreads

@Suite("Site structure: every page parses, links resolve, tables have headers", .ownThreads)
struct SiteStructureTests {
    @Test func everyPageIsWellFormedAndEveryLinkResolves() throws {
        try withTemporaryDirectory { directory in
            let db = try fixtureDatabase(in: directory, customers: 40)
            let site = directory.appendingPathComponent("site")
            let report = try buildSite(db, into: site)
            let files = try siteFiles(site)
            let pages = files.keys.filter { $0.hasSuffix(".html") }.sorted()
            #expect(report.pages == pages.count, "every HTML file is a counted page (the freshness line is freshness.js)")
            #expect(pages.count > 300)

            try checkEveryPage(of: site, files: files, pages: pages)
            // A page per end customer and per customer invoice: the reseller's own account has the Own purchases page instead.
            let customerCount = try #require(db.scalar("SELECT count(*) FROM customer WHERE id <> 'cus_own'")?.int64)
            let invoiceCount = try #require(db.scalar("SELECT count(*) FROM invoice WHERE customer_id <> 'cus_own'")?.int64)
            #expect(pages.filter { $0.hasPrefix("customers/") && $0.contains("/cus_") }.count == Int(customerCount))
            #expect(pages.filter { $0.hasPrefix("invoices/") && $0.contains("/inv_") }.count == Int(invoiceCount))

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
            // The CSV, one file per day: each starts with the header; every order once; the customer by name and id.
            let files = try CSVFiles(site: site, list: "orders")
            #expect(files.rows.count == orders)
            #expect(Set(files.rows.map { $0[0] }).count == orders)
            #expect(files.rows.allSatisfy { $0.count == files.header.count })
            #expect(files.header.first == "Id" && files.header.contains("Customer id") && files.header.contains("Customer"))
            let customers = try CSVFiles(site: site, list: "customers")
            #expect(customers.rows.count == 40)
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
                    // An image, or (when its labels link) no role at all: HTML allows an svg no other.
                    #expect([nil, "img"].contains(svg.attr("role")) && !(svg.attr("aria-label") ?? "").isEmpty, "a chart without a text alternative on \(report.path)")
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
