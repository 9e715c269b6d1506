import Foundation
import FoundationXML
import Testing
import OutpostModel
import OutpostStore
@testable import OutpostSite
import OutpostTestSupport
import OutpostTestThreads

/// What the pages look like: the invoice laid out as an invoice and printable, the grouped navigation,
/// the freshness line written by a script instead of a framed page.
@Suite("Page look", .ownThreads, .timeLimit(.minutes(20)))
struct PageLookTests {
    @Test func anInvoiceHasItsPartiesSideBySideAndItsTotalsInTheFoot() throws {
        try withTemporaryDirectory { directory in
            let db = try fixtureDatabase(in: directory, customers: 8)
            // A customer address of two lines: the bill-to keeps the break.
            let invoice = try #require(try db.scalar("""
                SELECT i.id FROM invoice i WHERE i.customer_id <> 'cus_own' AND i.subtotal > 0
                AND EXISTS (SELECT 1 FROM payment p WHERE p.invoice_id = i.id AND p.status = 'completed') ORDER BY i.id LIMIT 1
                """)?.string)
            let customer = try #require(try db.scalar("SELECT customer_id FROM invoice WHERE id = ?", [invoice])?.string)
            try db.execute("UPDATE customer SET address = 'Hauptstraße 1' || char(10) || 'Hinterhaus, 3. Stock' WHERE id = ?", [customer])
            let site = directory.appendingPathComponent("site")
            try buildSite(db, into: site)
            let page = try ParsedPage(site: site, path: SitePath.invoice(invoice))

            // From, Bill to and the invoice's facts: sections in one side-by-side block.
            let columns = try #require(page.elements(named: "div").first { $0.attr("class") == "columns" })
            let headings = columns.elements(forName: "div").flatMap { $0.elements(forName: "section") }.compactMap { $0.elements(forName: "h2").first?.stringValue }
            #expect(headings == ["From", "Bill to", "Invoice"])
            let billTo = try #require(columns.elements(forName: "div").dropFirst().first?.elements(forName: "section").first)
            let address = try #require(billTo.elements(forName: "p").first { $0.attr("class") == "address" })
            #expect((address.stringValue ?? "").contains("Hauptstraße 1"))
            #expect(address.elements(forName: "br").count >= 2, "contact, two address lines, city and country each on a line")

            // The figures as the replica holds them, in the lines table's foot, in invoice order.
            let row = try #require(try db.row("""
                SELECT subtotal, tax, total, (SELECT sum(amount) FROM payment p WHERE p.invoice_id = invoice.id AND p.status = 'completed') AS paid
                FROM invoice WHERE id = ?
                """, [invoice]))
            let code = try #require(try db.scalar("SELECT currency FROM invoice WHERE id = ?", [invoice])?.string)
            let currency = try #require(Currency(code: code))
            let foot = try #require(page.elements(named: "tfoot").first)
            let footRows = foot.elements(forName: "tr").map { tr in
                (tr.elements(forName: "th").first?.stringValue ?? "", tr.elements(forName: "td").last?.stringValue ?? "")
            }
            let labels = footRows.map(\.0)
            #expect(labels.first == "Subtotal" && labels.contains("Total") && labels.contains("Amount paid"))
            #expect(labels.last?.hasPrefix("Amount due") == true)
            let subtotal = try row.int64("subtotal"), tax = try row.int64("tax")
            let rate = try #require(InvoicePages.taxRate(subtotal: subtotal, tax: tax))
            let taxLabel = "Tax (" + SiteFormat.percent(rate) + ")"
            #expect(labels.contains(taxLabel), "the tax line names its rate: \(labels)")
            func shown(_ units: Int64) -> String { Money.formatted(units, currency: currency) }
            let values = Dictionary(footRows, uniquingKeysWith: { a, _ in a })
            #expect(values["Subtotal"] == shown(subtotal))
            #expect(values[taxLabel] == shown(tax))
            #expect(values["Total"] == shown(try row.int64("total")))
            #expect(values["Amount paid"] == shown(try row.int64("paid")))
            // The rate is among the invoice's facts too.
            let facts = page.elements(named: "table").filter { $0.attr("class") == "facts" }.flatMap { $0.elements(forName: "tbody").flatMap { $0.elements(forName: "tr") } }
            #expect(facts.contains { $0.elements(forName: "th").first?.stringValue == "Tax rate" && $0.elements(forName: "td").first?.stringValue == SiteFormat.percent(rate) })
            // The lines sit in the body, the totals apart from them.
            let lines = try #require(try db.scalar("SELECT count(*) FROM invoice_line WHERE invoice_id = ?", [invoice])?.int64)
            let table = try #require(foot.parent as? XMLElement)
            let body = table.elements(forName: "tbody").first?.elements(forName: "tr") ?? []
            #expect(body.count == Int(lines))
        }
    }

    @Test func theTaxRateComesFromTheInvoicesOwnFigures() {
        #expect(InvoicePages.taxRate(subtotal: 10_000, tax: 1_900) == 1_900)
        // 19 % of 12.34 is 2.3446, rounded to 2.34: still 19 %, not 18.96 %.
        #expect(InvoicePages.taxRate(subtotal: 1_234, tax: 234) == 1_900)
        #expect(InvoicePages.taxRate(subtotal: 10_000, tax: 0) == 0)
        // A rate that is no whole percent: the nearest basis point.
        #expect(InvoicePages.taxRate(subtotal: 100_000, tax: 7_750) == 775)
        #expect(InvoicePages.taxRate(subtotal: -10_000, tax: -2_000) == 2_000)
        #expect(InvoicePages.taxRate(subtotal: 0, tax: 0) == nil)
    }

    @Test func printingIsA4LightAndWithoutTheChrome() throws {
        let css = String(decoding: try #require(Theme.embedded.files.first { $0.name == "outpost.css" }).bytes, as: UTF8.self)
        #expect(css.contains("@page { size: A4;"))
        let print = try #require(css.range(of: "@media print {")).upperBound
        let rules = String(css[print...])
        for hidden in [".banner", ".sections", ".search", ".freshness", ".colophon"] {
            #expect(rules.contains(hidden), "print hides \(hidden)")
        }
        // Every colour the dark scheme sets, print sets again (later in the file, so it wins): paper is light.
        let darkStart = try #require(css.range(of: "@media (prefers-color-scheme: dark)")).upperBound
        let dark = String(css[darkStart...].prefix { $0 != "}" })
        let variables = dark.split(separator: ";").compactMap { $0.split(separator: ":").first?.trimmingCharacters(in: .whitespacesAndNewlines) }
            .map { $0.split(separator: "{").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? $0 }.filter { $0.hasPrefix("--") }
        #expect(variables.count > 10)
        for variable in variables { #expect(rules.contains(variable + ":"), "print sets \(variable)") }
        #expect(rules.contains("color-scheme: light"))
    }

    @Test func everyPageHasTheGroupedNavigationAndEveryAreaIsInOneGroup() throws {
        #expect(NavigationGroup.allCases.flatMap(\.sections).sorted { $0.rawValue < $1.rawValue } == Section.allCases.sorted { $0.rawValue < $1.rawValue })
        #expect(NavigationGroup.allCases.count <= 8, "one row at 1280 px")
        try withTemporaryDirectory { directory in
            let db = try fixtureDatabase(in: directory, customers: 4)
            let site = directory.appendingPathComponent("site")
            try buildSite(db, into: site)
            let files = try siteFiles(site)
            let pages = files.keys.filter { $0.hasSuffix(".html") && !$0.hasPrefix("portals/") }.sorted()
            #expect(pages.count > 50)
            let menus = NavigationGroup.allCases.filter { $0.sections.count > 1 }
            for path in pages {
                let page = try ParsedPage(site: site, path: path)
                let nav = try #require(page.elements(named: "nav").first { $0.attr("aria-label") == "Sections" }, "no navigation on \(path)")
                let navElements = page.elements.filter { Self.isInside($0, nav) }
                let summaries = navElements.filter { $0.localName == "summary" }
                #expect(summaries.compactMap(\.stringValue) == ["Menu"] + menus.map(\.title), "the groups on \(path)")
                // Each area once, its link resolving to its page from this page's depth.
                let links = navElements.filter { $0.localName == "a" }
                #expect(links.compactMap(\.stringValue) == NavigationGroup.allCases.flatMap(\.sections).map(\.title))
                let base = URL(fileURLWithPath: "/site/" + path).deletingLastPathComponent()
                let targets = links.compactMap { $0.attr("href") }.map { String(base.appendingPathComponent($0).standardizedFileURL.path.dropFirst("/site/".count)) }
                #expect(targets == NavigationGroup.allCases.flatMap(\.sections).map(\.path), "links on \(path)")
                for target in targets { #expect(files[target] != nil, "\(target) from \(path)") }
                // At most one link is the current page, and its menu is marked.
                let current = links.filter { $0.attr("aria-current") == "page" }
                #expect(current.count <= 1)
                if let link = current.first, let group = NavigationGroup.allCases.first(where: { $0.sections.map(\.title).contains(link.stringValue ?? "") }),
                   group.sections.count > 1 {
                    #expect(summaries.filter { $0.attr("class") == "current" }.compactMap(\.stringValue) == [group.title], "the current group on \(path)")
                }
            }
        }
    }

    @Test func theFreshnessLineIsAScriptNotAFrame() throws {
        try withTemporaryDirectory { directory in
            let db = try fixtureDatabase(in: directory, customers: 3)
            let site = directory.appendingPathComponent("site")
            try buildSite(db, into: site)
            var files = try siteFiles(site)
            #expect(files["freshness.html"] == nil)
            for path in ["index.html", "customers/index.html", SitePath.invoice(try #require(try db.scalar("SELECT id FROM invoice WHERE customer_id <> 'cus_own' LIMIT 1")?.string))] {
                let page = try ParsedPage(site: site, path: path)
                #expect(page.elements(named: "iframe").isEmpty, "an iframe on \(path)")
                let line = try #require(page.elements.first { $0.attr("id") == "freshness" }, "no freshness placeholder on \(path)")
                // Without scripts the placeholder links the sync page.
                let link = try #require(line.elements(forName: "a").first?.attr("href"))
                #expect(link == Page.root(of: path) + "sync.html")
                #expect(page.elements(named: "script").contains { $0.attr("src") == Page.root(of: path) + "freshness.js" })
            }
            let script = try #require(files["freshness.js"])
            var facts = try Self.facts(script)
            #expect(facts["text"]?.contains("Never synced with a node") == true)
            #expect(facts["warning"] == nil)
            // A conflict to review: the script says so, and only it and the sync page change.
            let customer = try #require(try db.scalar("SELECT id FROM customer WHERE id <> 'cus_own' LIMIT 1")?.string)
            try db.execute("""
                INSERT INTO conflict (id, entity, entity_id, field, kept_value, overwritten_value, kept_replica, kept_user, kept_at, overwritten_replica, overwritten_user, overwritten_at, reason, base_version, node_version, replica_id, seq, mutation, at)
                VALUES ('cfl_01JCFLCFLCFLCFLCFLCFLCFLCF', 'customer', ?, 'phone', 'a', 'b', 'rep_y', 'ben', '2026-11-24T09:00:00Z', 'rep_x', 'anna', '2026-11-24T08:00:00Z', 'later_edit', 1, 2, 'rep_x', 1, 'customer.update', '2026-11-24T10:00:00Z')
                """, [customer])
            let report = try buildSite(db, into: site)
            files = try siteFiles(site)
            let again = try #require(files["freshness.js"])
            facts = try Self.facts(again)
            #expect(facts["warning"] == "Attention: 1 conflict to review.")
            #expect(report.written.contains("freshness.js"))
            #expect(!report.written.contains("customers/index.html"), "the freshness line alone rewrites no list page")
        }
    }

    static func isInside(_ element: XMLElement, _ ancestor: XMLElement) -> Bool {
        var node: XMLNode? = element.parent
        while let current = node {
            if current === ancestor { return true }
            node = current.parent
        }
        return false
    }

    /// The JSON facts `freshness.js` passes to its function.
    static func facts(_ script: Data) throws -> [String: String] {
        let text = String(decoding: script, as: UTF8.self)
        let start = try #require(text.range(of: "})(", options: .backwards)).upperBound
        let end = try #require(text.range(of: ");", options: .backwards)).lowerBound
        return try JSONDecoder().decode([String: String].self, from: Data(text[start..<end].utf8))
    }

    /// A browser runs the script: the placeholder holds the sentence and the sync link (skipped without Chromium).
    @Test func aBrowserShowsTheFreshnessLine() throws {
        guard let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            print("SKIPPED aBrowserShowsTheFreshnessLine: no Chromium (apt-get install chromium)")
            return
        }
        try withTemporaryDirectory { directory in
            let db = try fixtureDatabase(in: directory, customers: 2)
            let site = directory.appendingPathComponent("site")
            try buildSite(db, into: site)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: chromium)
            process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + directory.appendingPathComponent("profile").path,
                                 "--virtual-time-budget=3000", "--dump-dom", site.appendingPathComponent("customers/index.html").absoluteString]
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try ProcessLauncher.run(process)
            let dom = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(dom.contains("Never synced with a node: this is the replica"), "the script filled the line in")
            #expect(dom.contains("class=\"freshness ok\""))
            #expect(dom.contains("href=\"../sync.html\">Sync details</a>"))
        }
    }
}
