import Foundation
import Testing
import OutpostModel
import OutpostTestSupport
@testable import OutpostSite
import OutpostTestThreads

/// The dashboards in headless Chromium (Debian's `chromium`), opened from
/// `file://`: search, keyboard, console and axe-core, light and dark.
/// Skipped, saying so, when Chromium is not installed; the axe checks also
/// when `OUTPOST_AXE_JS` does not name axe-core's `axe.min.js` (`.ci/run`
/// installs one from PyPI and sets it).
@Suite("Dashboards in a browser", .ownThreads, .serialized, .timeLimit(.minutes(20)),
       .enabled(if: HeadlessChromium.executable != nil, "chromium is not installed (apt-get install chromium); the browser checks are skipped"))
struct BrowserTests {
    static let axeScript: String? = ProcessInfo.processInfo.environment["OUTPOST_AXE_JS"].flatMap { try? String(contentsOfFile: $0, encoding: .utf8) }

    /// The pages every browser check visits: one of each kind.
    static func pages(_ fixture: FixtureSite) throws -> [String] {
        let customer = fixture.customers[fixture.customers.count / 2]
        let invoices = FileManager.default.enumerator(atPath: fixture.site.appendingPathComponent("invoices").path)?.allObjects as? [String] ?? []
        let invoice = try #require(invoices.filter { ($0 as NSString).lastPathComponent.hasPrefix("inv_") && $0.hasSuffix(".html") }.sorted().first)
        return ["index.html", "customers/index.html", SitePath.customer(customer.id), "invoices/" + invoice, "subscriptions/index.html",
                "reports/revenue.html", "reports/aging.html", "plans.html", "sync.html"]
    }

    static func url(_ fixture: FixtureSite, _ path: String) -> URL { fixture.site.appendingPathComponent(path) }

    /// Types `query` into the search box as a person would and waits for its answer.
    static func search(_ browser: HeadlessChromium, _ query: String) throws -> (labels: [String], status: String) {
        try browser.evaluate("""
            (function () { var input = document.getElementById('site-search'); input.focus(); input.value = '';
              document.getElementById('site-search-results').textContent = ''; document.getElementById('site-search-status').textContent = ''; })()
            """)
        try browser.send("Input.insertText", ["text": query])
        try browser.waitUntil("document.getElementById('site-search-status').textContent.length > 0")
        let labels = try browser.evaluate("Array.from(document.querySelectorAll('#site-search-results [role=option] .label')).map(function (e) { return e.textContent; })") as? [String] ?? []
        let status = try browser.evaluate("document.getElementById('site-search-status').textContent") as? String ?? ""
        return (labels, status)
    }

    @Test("search finds customers by contact, city, mid-word, e-mail and tax id; arrows move, Enter opens; no console errors")
    func search() async throws {
        let fixture = try await FixtureSite.shared()
        // A customer with a long name word (for a piece from its middle), a contact and a city.
        let customer = try #require(fixture.customers.first { customer in
            !customer.contact.isEmpty && !customer.city.isEmpty && !customer.taxId.isEmpty
                && SearchKey.tokens(customer.name).contains { $0.count >= 6 && !SearchKey.isStopWord($0) }
        })
        let word = SearchKey.tokens(customer.name).first { $0.count >= 6 && !SearchKey.isStopWord($0) }!
        let middle = String(word.dropFirst(2))
        let browser = try HeadlessChromium()
        defer { browser.close() }
        try browser.open(Self.url(fixture, "index.html"))
        #expect(try browser.evaluate("document.querySelector('form.search').hidden") as? Bool == false, "the script shows the search box")

        var (labels, status) = try Self.search(browser, customer.contact)
        #expect(labels.contains(customer.name), "contact \"\(customer.contact)\": \(labels) \(status)")
        (labels, status) = try Self.search(browser, customer.city + " " + word)
        #expect(labels.contains(customer.name), "city \"\(customer.city)\": \(labels) \(status)")
        let others = SearchKey.tokens(customer.name).filter { $0 != word && !SearchKey.isStopWord($0) && $0.count < middle.count }
        (labels, status) = try Self.search(browser, ([middle] + others.prefix(1)).joined(separator: " "))
        #expect(labels.contains(customer.name), "mid-word \"\(middle)\": \(labels) \(status)")
        (labels, status) = try Self.search(browser, customer.taxId)
        #expect(labels.contains(customer.name), "tax id \"\(customer.taxId)\": \(labels) \(status)")

        // A capped list says how many more there are: the city most customers share.
        let cities = Dictionary(grouping: fixture.customers, by: \.city).mapValues(\.count)
        let (city, sharing) = try #require(cities.filter { !$0.key.isEmpty }.max { $0.value < $1.value })
        if sharing > 25 {
            (labels, status) = try Self.search(browser, city)
            #expect(labels.count == 25)
            #expect(status.contains("more"), "\(status)")
        }

        // Arrow keys move through the results (aria-activedescendant and aria-selected); Enter opens the one chosen.
        (labels, status) = try Self.search(browser, customer.contact)
        #expect(labels.count >= 1)
        #expect(try browser.evaluate("document.getElementById('site-search').getAttribute('role')") as? String == "combobox")
        #expect(try browser.evaluate("document.getElementById('site-search').getAttribute('aria-expanded')") as? String == "true")
        func active() throws -> String? { try browser.evaluate("document.getElementById('site-search').getAttribute('aria-activedescendant')") as? String }
        try browser.press("ArrowDown")
        #expect(try active() == "site-search-option-0")
        #expect(try browser.evaluate("document.getElementById('site-search-option-0').getAttribute('aria-selected')") as? String == "true")
        if labels.count > 1 {
            try browser.press("ArrowDown")
            #expect(try active() == "site-search-option-1")
            try browser.press("ArrowUp")
        }
        #expect(try active() == "site-search-option-0")
        let chosen = labels[0]
        let mark = browser.events.count
        try browser.press("Enter")
        try browser.waitForEvent("Page.loadEventFired", after: mark)
        #expect(try browser.evaluate("document.querySelector('h1').textContent") as? String == chosen, "Enter opened the chosen result")

        // A word that finds nothing says so, without an error.
        try browser.open(Self.url(fixture, "index.html"))
        (labels, status) = try Self.search(browser, "zzqxvw")
        #expect(labels.isEmpty)
        #expect(status.contains("Nothing found"), "\(status)")
        #expect(browser.errors().isEmpty, "console: \(browser.errors())")
    }

    @Test("no console errors on any kind of page")
    func noConsoleErrors() async throws {
        let fixture = try await FixtureSite.shared()
        let browser = try HeadlessChromium()
        defer { browser.close() }
        for page in try Self.pages(fixture) {
            let mark = browser.events.count
            try browser.open(Self.url(fixture, page))
            // Sort by every column and filter: the script's paths that run on a click.
            try browser.evaluate("""
                (function () { document.querySelectorAll('table.data thead button').forEach(function (b) { b.click(); b.click(); });
                  document.querySelectorAll('.filter input').forEach(function (i) { i.value = 'a'; i.dispatchEvent(new Event('input')); }); })()
                """)
            #expect(browser.errors(after: mark).isEmpty, "\(page): \(browser.errors(after: mark))")
        }
    }

    @Test("axe-core finds no violations, light and dark",
          .enabled(if: BrowserTests.axeScript != nil, "OUTPOST_AXE_JS does not name axe.min.js (pip install axe-playwright-python; .ci/run sets it); the axe checks are skipped"))
    func axe() async throws {
        let fixture = try await FixtureSite.shared()
        let axe = try #require(Self.axeScript)
        let browser = try HeadlessChromium()
        defer { browser.close() }
        for scheme in ["light", "dark"] {
            try browser.send("Emulation.setEmulatedMedia", ["features": [["name": "prefers-color-scheme", "value": scheme]]])
            for page in try Self.pages(fixture) {
                try browser.open(Self.url(fixture, page))
                #expect(try browser.evaluate("matchMedia('(prefers-color-scheme: \(scheme))').matches") as? Bool == true)
                try browser.evaluate(axe + "\n;true")
                let found = try browser.evaluate("""
                    axe.run(document, { resultTypes: ['violations'] }).then(function (r) {
                      return r.violations.map(function (v) { return v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(function (n) { return n.target.join(' '); }).join(', '); });
                    })
                    """, timeLimit: 120) as? [String]
                let violations = try #require(found, "axe did not answer on \(page)")
                #expect(violations.isEmpty, "\(page), \(scheme): \(violations)")
            }
        }
    }

    /// The markup of whole-list sorts, saved views, page numbers and totals rows: the one place
    /// to point at the lists' new markup. Each is a CSS selector.
    enum ListMarkup {
        /// A link in a column header that goes to a whole-list order's first page.
        static let wholeListSort = "table.data thead th a.order"
        /// The saved views' tabs, each with its count.
        static let savedViewTab = "nav.list-views a[href]"
        /// "Page 3 of 20 · rows 201–300 of 2,000", written from the list's pages.js.
        static let pageNumbers = "nav.pages .list-position"
        /// A totals row: in the table foot.
        static let totalsRow = "table.data tfoot tr"
    }

    /// The list the open page belongs to, from its pages.js: the pages' absolute URLs, their row counts, and the total.
    static func listPages(_ browser: HeadlessChromium) throws -> (urls: [String], rows: [Int], total: Int) {
        let value = try browser.evaluate("""
            (function () { var nav = document.querySelector('nav.pages[data-list]'); if (!nav) return null;
              var data = (window.OutpostListPages || {})[nav.getAttribute('data-list')]; if (!data) return null;
              var base = nav.getAttribute('data-base');
              return [data.pages.map(function (p) { return new URL(base + p[0] + '.html', location.href).href; }),
                      data.pages.map(function (p) { return p[1]; }), data.rows]; })()
            """) as? [Any]
        let parts = try #require(value, "the page has no numbered page navigation")
        return (parts[0] as? [String] ?? [], (parts[1] as? [Any] ?? []).compactMap { ($0 as? NSNumber)?.intValue }, (parts[2] as? NSNumber)?.intValue ?? -1)
    }

    /// The text of the `column`th cell of every body row of the page's list table.
    static func column(_ browser: HeadlessChromium, _ column: Int) throws -> [String] {
        try browser.evaluate("Array.from(document.querySelectorAll('table.data tbody tr')).map(function (r) { return (r.cells[\(column)] || {}).textContent.trim(); })") as? [String] ?? []
    }

    @Test("whole-list sorts, saved views, page numbers and totals rows")
    func wholeLists() async throws {
        let fixture = try await FixtureSite.shared()
        let browser = try HeadlessChromium()
        defer { browser.close() }
        // SQLite's NOCASE folds ASCII letters only, then the id breaks ties.
        func nocase(_ s: String) -> String { String(s.unicodeScalars.map { $0.isASCII ? Character(String($0).lowercased()) : Character($0) }) }
        let byName = fixture.customers.sorted { (nocase($0.name), $0.id) < (nocase($1.name), $1.id) }

        // The customers list by name: the first page begins with the first name of all, the last page ends with the last.
        try browser.open(Self.url(fixture, "customers/index.html"))
        #expect(try Self.column(browser, 0).first == byName.first?.name)
        let pages = try Self.listPages(browser)
        #expect(pages.total == fixture.customers.count)
        #expect(pages.rows.reduce(0, +) == fixture.customers.count)
        #expect(pages.rows.dropLast().allSatisfy { (50...100).contains($0) }, "every page but the last holds 50–100 rows: \(pages.rows)")
        let position = try browser.evaluate("document.querySelector('\(ListMarkup.pageNumbers)').textContent") as? String
        #expect(position == "Page 1 of \(pages.urls.count) · rows 1–\(pages.rows[0]) of \(fixture.customers.count.formatted(.number.locale(Locale(identifier: "en_US"))))")
        #expect(try Self.column(browser, 0).count == pages.rows[0])
        let lastPage = try #require(pages.urls.last)
        try browser.open(try #require(URL(string: lastPage)))
        #expect(try Self.column(browser, 0).last == byName.last?.name, "the name order's last page ends with the last name (Z→A reaches it first)")
        #expect(try Self.column(browser, 0).count == pages.rows.last)

        // A column header's whole-list order: "Customer since" leads to the newest customer of all, on its first page.
        try browser.open(Self.url(fixture, "customers/index.html"))
        let sorts = try browser.evaluate("Array.from(document.querySelectorAll('\(ListMarkup.wholeListSort)')).map(function (a) { return [a.textContent.trim(), a.href]; })") as? [[String]] ?? []
        let joined = try #require(sorts.first { $0.first == "Customer since" }, "no whole-list order on the Customer since header: \(sorts)")
        try browser.open(try #require(URL(string: joined[1])))
        let newest = fixture.customers.max { ($0.created, $0.id) < ($1.created, $1.id) }
        #expect(try Self.column(browser, 0).first == newest?.name)

        // A saved view holds only its rows, as many as its tab says.
        try browser.open(Self.url(fixture, "invoices/index.html"))
        let tabs = try browser.evaluate("Array.from(document.querySelectorAll('\(ListMarkup.savedViewTab)')).map(function (a) { return [a.textContent.trim(), a.href]; })") as? [[String]] ?? []
        let overdue = try #require(tabs.first { $0.first?.hasPrefix("Overdue") == true }, "no Overdue tab: \(tabs)")
        let counted = Int(overdue[0].filter(\.isNumber)) ?? -1
        #expect(counted > 0, "the fixture has overdue invoices, and the tab counts them: \(overdue[0])")
        try browser.open(try #require(URL(string: overdue[1])))
        let states = try Self.column(browser, 7)
        #expect(!states.isEmpty && states.allSatisfy { $0.lowercased() == "overdue" }, "the overdue view shows only overdue invoices: \(Set(states))")
        let viewTotal = (try? Self.listPages(browser))?.total ?? states.count
        #expect(viewTotal == counted)

        // A totals row stays last after sorting by each column.
        try browser.open(Self.url(fixture, try Self.pages(fixture)[3]))
        let stays = try browser.evaluate("""
            (function () { var ok = true; document.querySelectorAll('table.data').forEach(function (table) {
              var foot = table.querySelector('tfoot tr:last-child'); if (!foot) return;
              table.querySelectorAll('thead button').forEach(function (b) { b.click(); ok = ok && table.rows[table.rows.length - 1] === foot; b.click(); ok = ok && table.rows[table.rows.length - 1] === foot; }); });
              return ok && document.querySelectorAll('\(ListMarkup.totalsRow)').length > 0; })()
            """) as? Bool
        #expect(stays == true)
        #expect(browser.errors().isEmpty, "console: \(browser.errors())")
    }
}
