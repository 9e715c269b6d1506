import Foundation
import FoundationXML
import Testing
import OutpostModel
import OutpostStore
@testable import OutpostSite
import OutpostTestThreads

/// The small things a reseller notices on the dashboards: honest sync wording, chart headings,
/// CSV links, percentages, e-mail links and the page icon.
@Suite("Dashboard details", .ownThreads)
struct DashboardDetailsTests {
    @Test func aReplicaThatNeverSyncedDoesNotClaimItsChangesReachedTheNode() throws {
        try withTemporaryDirectory { directory in
            let db = try fixtureDatabase(in: directory, customers: 3)
            let site = directory.appendingPathComponent("site")
            try buildSite(db, into: site)
            let text = try #require(try ParsedPage(site: site, path: "sync.html").document.rootElement()?.stringValue)
            #expect(!text.contains("reached the node"), "a replica that never synced has sent nothing")
            #expect(text.contains("never synced with a node"))
        }
    }

    @Test func eachReportChartHasAHeadingNamingWhatItShows() throws {
        try withTemporaryDirectory { directory in
            let db = try fixtureDatabase(in: directory, customers: 12)
            let site = directory.appendingPathComponent("site")
            try buildSite(db, into: site)
            for report in ReportPages.catalogue {
                let page = try ParsedPage(site: site, path: report.path)
                let headings = page.elements(named: "h2").compactMap(\.stringValue)
                #expect(!headings.contains("Chart"), "a generic chart heading on \(report.path): \(headings)")
                // The section holding each chart is headed by the chart's own title (its text alternative starts with it).
                for section in page.elements(named: "section") where !section.elements(forName: "div").filter({ $0.attr("class") == "chart" }).isEmpty {
                    let heading = try #require(section.elements(forName: "h2").first?.stringValue)
                    let svg = try #require(page.elements.first { $0.localName == "svg" && isInside($0, section) })
                    #expect((svg.attr("aria-label") ?? "").hasPrefix(heading + ":"), "\(report.path): heading \(heading) for \(svg.attr("aria-label") ?? "")")
                }
            }
        }
    }

    /// A month's page reads its first rows through the replica's date indexes: a day's rows or so, not every
    /// invoice, order and payment of the reseller (each build that moves a figure reads twelve months).
    @Test func aMonthsPageReadsItsRowsThroughTheDateIndexesNotAScan() throws {
        try withTemporaryDirectory { directory in
            // As a replica is: without statistics (no ANALYZE).
            let db = try fixtureDatabase(in: directory, customers: 12)
            for (sql, index) in [(ReportMonthPages.invoicesSQL, "invoice_by_issue_date"), (ReportMonthPages.ordersSQL, "orders_by_placed_at"),
                                 (ReportMonthPages.paymentsSQL, "payment_by_received_on")] {
                let plan = try db.rows("EXPLAIN QUERY PLAN " + sql, ["2026-10-01", "2026-10-31", Customer.ownAccountId, ReportMonthPages.limit])
                    .map { try $0.string("detail") }
                #expect(plan.contains { $0.contains("USING INDEX \(index)") }, "\(index) unused: \(plan)")
                #expect(!plan.contains { $0.hasPrefix("SCAN") }, "a scan: \(plan)")
            }
        }
    }

    @Test func aReportPageNeverHasTwoCSVLinksThatReadAlike() throws {
        try withTemporaryDirectory { directory in
            let db = try fixtureDatabase(in: directory, customers: 12)
            let site = directory.appendingPathComponent("site")
            try buildSite(db, into: site)
            for report in ReportPages.catalogue {
                let page = try ParsedPage(site: site, path: report.path)
                let links = page.elements(named: "a").filter { ($0.attr("href") ?? "").hasSuffix(".csv") }
                let hrefs = links.compactMap { $0.attr("href") }
                let labels = links.compactMap(\.stringValue)
                #expect(!links.isEmpty, "no CSV on \(report.path)")
                #expect(Set(hrefs).count == hrefs.count, "one link per CSV on \(report.path): \(hrefs)")
                #expect(Set(labels).count == labels.count, "CSV links that read alike on \(report.path): \(labels)")
            }
        }
    }

    @Test func percentagesAlwaysHaveTwoDecimals() throws {
        #expect(SiteFormat.percent(2000) == "20.00%")
        #expect(SiteFormat.percent(2003) == "20.03%")
        #expect(SiteFormat.percent(2030) == "20.30%")
        #expect(SiteFormat.percent(5) == "0.05%")
        #expect(SiteFormat.percent(-450) == "-4.50%")
        #expect(SiteFormat.percent(nil) == "—")
        try withTemporaryDirectory { directory in
            let db = try fixtureDatabase(in: directory, customers: 12)
            let site = directory.appendingPathComponent("site")
            try buildSite(db, into: site)
            let page = try ParsedPage(site: site, path: "reports/revenue.html")
            // Percent cells carry their basis points for sorting; every one of them reads with two decimals.
            let cells = page.elements(named: "td").filter { $0.attr("class") == "num" && ($0.stringValue ?? "").hasSuffix("%") }
            #expect(!cells.isEmpty)
            for cell in cells {
                let text = cell.stringValue ?? ""
                #expect(text.range(of: #"^-?[0-9]+\.[0-9]{2}%$"#, options: .regularExpression) != nil, "\(text) on reports/revenue.html")
            }
        }
    }

    @Test func eMailAddressesAreMailtoLinks() throws {
        try withTemporaryDirectory { directory in
            let db = try fixtureDatabase(in: directory, customers: 5)
            let site = directory.appendingPathComponent("site")
            try buildSite(db, into: site)
            let email = try #require(try db.scalar("SELECT email FROM customer WHERE id <> 'cus_own' AND email <> '' ORDER BY id LIMIT 1")?.string)
            for path in ["customers/index.html"] {
                let page = try ParsedPage(site: site, path: path)
                #expect(page.elements(named: "a").contains { $0.attr("href") == "mailto:" + email && $0.stringValue == email },
                        "\(email) is not a mailto: link on \(path)")
            }
        }
    }

    @Test func everyPageLinksTheFaviconFromItsDepth() throws {
        try withTemporaryDirectory { directory in
            let db = try fixtureDatabase(in: directory, customers: 5)
            let site = directory.appendingPathComponent("site")
            try buildSite(db, into: site)
            let files = try siteFiles(site)
            #expect(String(decoding: try #require(files["assets/favicon.svg"]), as: UTF8.self).hasPrefix("<svg"))
            let pages = files.keys.filter { $0.hasSuffix(".html") }.sorted()
            #expect(pages.contains { $0.split(separator: "/").count > 2 }, "pages at several depths")
            for path in pages {
                let page = try ParsedPage(site: site, path: path)
                let icon = try #require(page.elements(named: "link").first { $0.attr("rel") == "icon" }?.attr("href"), "no icon on \(path)")
                let resolved = URL(fileURLWithPath: "/site/" + path).deletingLastPathComponent().appendingPathComponent(icon).standardizedFileURL.path
                #expect(resolved == "/site/assets/favicon.svg", "\(icon) on \(path)")
            }
        }
    }

    @Test func noPageCountsWithPluralsInBrackets() throws {
        try withTemporaryDirectory { directory in
            let db = try fixtureDatabase(in: directory, customers: 40)
            let site = directory.appendingPathComponent("site")
            try buildSite(db, into: site)
            let files = try siteFiles(site)
            #expect(files.keys.contains("reports/aging.html") && files.keys.contains("orders/index.html"))
            // The site's own sentences are paragraphs; table cells hold data (an order's "1 year" is the node's description).
            for path in files.keys where path.hasSuffix(".html") {
                for paragraph in try ParsedPage(site: site, path: path).elements(named: "p") {
                    let text = paragraph.stringValue ?? ""
                    #expect(!text.contains("(s)"), "\(path) says \"\(text)\" where a count has its noun")
                }
            }
        }
    }

    private func isInside(_ element: XMLElement, _ ancestor: XMLElement) -> Bool {
        var node: XMLNode? = element.parent
        while let current = node {
            if current === ancestor { return true }
            node = current.parent
        }
        return false
    }
}
