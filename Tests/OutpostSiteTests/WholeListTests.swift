import Foundation
import Testing
import OutpostModel
import OutpostStore
@testable import OutpostSite
import OutpostTestThreads

/// Long lists page evenly, number their pages from one script beside them, and
/// come in the whole-list orders and saved views an office works with.
@Suite("Whole lists: even pages, orders and views", .ownThreads, .timeLimit(.minutes(20)))
struct WholeListTests {
    /// One list as its `pages.js` describes it.
    struct ListScript {
        let directory: String
        let rows: Int
        let pages: [(name: String, rows: Int)]
    }

    /// Every list of a built site: every directory with a `pages.js`.
    func lists(in site: URL, files: [String: Data]) throws -> [ListScript] {
        try files.keys.filter { $0.hasSuffix("/pages.js") }.sorted().map { path in
            let text = String(decoding: files[path]!, as: UTF8.self)
            let start = try #require(text.range(of: "] = ")?.upperBound)
            let end = try #require(text.range(of: ";", options: .backwards)?.lowerBound)
            let json = try #require(JSONSerialization.jsonObject(with: Data(text[start..<end].utf8)) as? [String: Any])
            let pages = try #require(json["pages"] as? [[Any]]).map { ($0[0] as! String, $0[1] as! Int) }
            return ListScript(directory: String(path.dropLast("/pages.js".count)), rows: try #require(json["rows"] as? Int), pages: pages)
        }
    }

    /// The rows of a page: each row's link to its entity (the entity's page, or its anchor on its customer's page),
    /// in the first cell — but subscriptions lead with their customer, and the plan in the second cell links the row.
    func rowLinks(_ site: URL, _ path: String) throws -> [String] {
        let page = try ParsedPage(site: site, path: path)
        let body = page.elements(named: "table").first { $0.attr("class") == "data" }?.elements(forName: "tbody").first
        let column = path.hasPrefix("subscriptions/") ? 1 : 0
        return (body?.elements(forName: "tr") ?? []).map { row in
            let cells = row.elements(forName: "td")
            return cells.count > column ? cells[column].elements(forName: "a").first?.attr("href") ?? "" : ""
        }
    }

    /// The id a row's link names: the fragment, or the file name without `.html`.
    func id(_ href: String) -> String {
        if let hash = href.lastIndex(of: "#") { return String(href[href.index(after: hash)...]) }
        return String(href.split(separator: "/").last ?? "").replacingOccurrences(of: ".html", with: "")
    }

    /// The ids of a list's rows, in page order.
    func ids(_ site: URL, _ list: ListScript) throws -> [String] {
        try list.pages.flatMap { try rowLinks(site, list.directory + "/" + $0.name + ".html").map(id) }
    }

    func strings(_ db: Database, _ sql: String, _ arguments: [any SQLBindable] = []) throws -> [String] {
        var result: [String] = []
        try db.forEachRow(sql, arguments) { result.append($0["id"].string ?? "") }
        return result
    }

    @Test func everyListPagesEvenlyAndItsPagesLinkInOrder() throws {
        try withTemporaryDirectory { directory in
            let db = try fixtureDatabase(in: directory, customers: 200)
            let site = directory.appendingPathComponent("site")
            try buildSite(db, into: site)
            let files = try siteFiles(site)
            let all = try lists(in: site, files: files)
            #expect(all.count > 30, "every list, order and view has its pages.js: \(all.map(\.directory))")
            var multiPage = 0
            for list in all {
                let size = ListChunker.pageSize
                // Every page but the last holds between half and all of the page size.
                for (offset, page) in list.pages.enumerated() {
                    let last = offset == list.pages.count - 1
                    #expect(page.rows <= size && (last || page.rows >= size / 2), "\(list.directory)/\(page.name): \(page.rows) rows")
                }
                #expect(list.pages.first?.name == "index")
                #expect(list.pages.reduce(0) { $0 + $1.rows } == list.rows)
                // The files of the list are its pages, no more and no fewer.
                let prefix = list.directory + "/"
                let htmlHere = Set(files.keys.filter { $0.hasPrefix(prefix) && $0.hasSuffix(".html") && !$0.dropFirst(prefix.count).contains("/")
                    && ($0.hasSuffix("/index.html") || $0.dropFirst(prefix.count).hasPrefix("p-")) })
                #expect(htmlHere == Set(list.pages.map { prefix + $0.name + ".html" }), "\(list.directory)")
                if list.pages.count > 1 { multiPage += 1 }
                for (offset, page) in list.pages.enumerated() {
                    let path = prefix + page.name + ".html"
                    let parsed = try ParsedPage(site: site, path: path)
                    let table = parsed.elements(named: "table").first { $0.attr("class") == "data" }
                    let rows = table?.elements(forName: "tbody").first?.elements(forName: "tr") ?? []
                    #expect(rows.count == page.rows, "\(path) holds the rows pages.js counts")
                    let links = parsed.elements(named: "a")
                    // Links go through the site root (`../../users/logins/p-….html`): the file name is the page's.
                    func target(_ label: String) -> String? {
                        links.first { $0.stringValue == label }?.attr("href").map { String($0.split(separator: "/").last ?? "") }
                    }
                    if list.pages.count == 1 {
                        #expect(target("Next page →") == nil && target("← Previous page") == nil)
                        if page.rows > 0 { #expect(parsed.elements(named: "p").contains { $0.stringValue == Plural.sentence(page.rows, "row") + "." }) }
                        continue
                    }
                    // Numbered by the list's script, which every page of a paged list loads.
                    #expect(parsed.elements(named: "script").contains { $0.attr("src")?.hasSuffix(prefix + "pages.js") == true }, "\(path)")
                    let nav = parsed.elements(named: "nav").first { $0.attr("data-list") == list.directory }
                    #expect(nav?.attr("data-page") == page.name, "\(path)")
                    #expect(target("Next page →") == (offset + 1 < list.pages.count ? list.pages[offset + 1].name + ".html" : nil), "\(path)")
                    #expect(target("← Previous page") == (offset > 0 ? list.pages[offset - 1].name + ".html" : nil), "\(path)")
                    #expect(target("First page") == (offset > 0 ? "index.html" : nil), "\(path)")
                    // No "from … to …" notes.
                    #expect(!parsed.elements(named: "p").contains { $0.stringValue?.contains("rows on this page, from") == true })
                }
            }
            #expect(multiPage >= 10, "a 200-customer site has long lists")
            // The whole customers list holds every end customer, by name.
            let customers = try #require(all.first { $0.directory == "customers" })
            #expect(try ids(site, customers) == strings(db, "SELECT id FROM customer WHERE id <> 'cus_own' ORDER BY name COLLATE NOCASE, id"))
        }
    }

    @Test func viewsHoldExactlyTheirRowsAndOrdersSortTheWholeList() throws {
        try withTemporaryDirectory { directory in
            let db = try fixtureDatabase(in: directory, customers: 150)
            let site = directory.appendingPathComponent("site")
            let report = try buildSite(db, into: site)
            let today = report.asOf.description
            let files = try siteFiles(site)
            let all = Dictionary(uniqueKeysWithValues: try lists(in: site, files: files).map { ($0.directory, $0) })
            func list(_ directory: String) throws -> ListScript { try #require(all[directory], "no list \(directory)") }
            let owed = """
                (i.total - coalesce((SELECT sum(amount) FROM payment p WHERE p.invoice_id = i.id AND p.status = 'completed'), 0)
                         - coalesce((SELECT sum(total) FROM credit_note n WHERE n.invoice_id = i.id), 0))
                """
            let invoices = "FROM invoice i WHERE i.customer_id <> 'cus_own'"
            let checks: [(String, String, [any SQLBindable])] = [
                ("invoices/overdue", "SELECT i.id \(invoices) AND i.status = 'issued' AND \(owed) > 0 AND i.due_date < ?", [today]),
                ("invoices/unpaid", "SELECT i.id \(invoices) AND i.status = 'issued' AND \(owed) > 0", []),
                ("invoices/paid", "SELECT i.id \(invoices) AND i.status = 'issued' AND \(owed) <= 0", []),
                ("invoices/void", "SELECT i.id \(invoices) AND i.status = 'void'", []),
                ("orders/failed", "SELECT id FROM orders WHERE customer_id <> 'cus_own' AND status = 'failed'", []),
                ("orders/waiting", "SELECT id FROM orders WHERE customer_id <> 'cus_own' AND status IN ('queued', 'submitted', 'provisioning')", []),
                ("orders/completed", "SELECT id FROM orders WHERE customer_id <> 'cus_own' AND status = 'completed'", []),
                ("subscriptions/active", "SELECT id FROM subscription WHERE customer_id <> 'cus_own' AND status = 'active'", []),
                ("subscriptions/cancelled", "SELECT id FROM subscription WHERE customer_id <> 'cus_own' AND status = 'cancelled'", []),
                ("subscriptions/ending-30", "SELECT id FROM subscription WHERE customer_id <> 'cus_own' AND status = 'active' AND period_end BETWEEN ? AND date(?, '+30 days')", [today, today]),
                ("subscriptions/ending-90", "SELECT id FROM subscription WHERE customer_id <> 'cus_own' AND status = 'active' AND period_end BETWEEN ? AND date(?, '+90 days')", [today, today]),
                ("customers/active", "SELECT id FROM customer WHERE id <> 'cus_own' AND status = 'active'", []),
                ("customers/suspended", "SELECT id FROM customer WHERE id <> 'cus_own' AND status = 'suspended'", []),
                ("customers/owing", "SELECT c.id FROM customer c WHERE c.id <> 'cus_own' AND EXISTS (SELECT 1 FROM invoice i WHERE i.customer_id = c.id AND i.status = 'issued' AND \(owed) > 0)", []),
                ("domains/expiring", "SELECT id FROM domain WHERE customer_id <> 'cus_own' AND status = 'active' AND expires_on BETWEEN ? AND date(?, '+30 days')", [today, today]),
                ("ssl/expiring", "SELECT id FROM ssl_certificate WHERE customer_id <> 'cus_own' AND status = 'issued' AND expires_on BETWEEN ? AND date(?, '+30 days')", [today, today]),
            ]
            var nonEmpty = 0
            for (directory, sql, arguments) in checks {
                let expected = Set(try strings(db, sql, arguments))
                let shown = try ids(site, try list(directory))
                #expect(Set(shown) == expected, "\(directory): \(Set(shown).symmetricDifference(expected).sorted().prefix(5))")
                #expect(shown.count == expected.count, "\(directory) shows each row once")
                #expect(try list(directory).rows == expected.count)
                if !expected.isEmpty { nonEmpty += 1 }
            }
            #expect(nonEmpty >= 10, "the fixture fills most views")
            // Each view's tab carries its count from lists.js.
            let counts = String(decoding: try #require(files["invoices/lists.js"]), as: UTF8.self)
            #expect(counts.contains("window.OutpostListCounts[\"invoices/overdue\"] = \(try list("invoices/overdue").rows);"))
            let tabs = try ParsedPage(site: site, path: "invoices/overdue/index.html").elements(named: "span").filter { $0.attr("class") == "count" }
            #expect(tabs.map { $0.attr("data-count") ?? "" } == ["invoices", "invoices/unpaid", "invoices/overdue", "invoices/paid", "invoices/void"])

            // Whole-list orders: the first row of each order's first page is the row SQL puts first across the whole list.
            let orderChecks: [(String, String)] = [
                ("customers/by-balance", "SELECT c.id, (SELECT coalesce(sum(max(0, \(owed))), 0) FROM invoice i WHERE i.customer_id = c.id AND i.status = 'issued') AS b FROM customer c WHERE c.id <> 'cus_own' ORDER BY b DESC, c.name COLLATE NOCASE, c.id"),
                ("customers/by-joined", "SELECT id FROM customer WHERE id <> 'cus_own' ORDER BY created_at DESC, id DESC"),
                ("invoices/by-amount", "SELECT id FROM invoice WHERE customer_id <> 'cus_own' ORDER BY total DESC, id DESC"),
                ("invoices/by-due", "SELECT id FROM invoice WHERE customer_id <> 'cus_own' ORDER BY due_date, id"),
                ("invoices", "SELECT id FROM invoice WHERE customer_id <> 'cus_own' ORDER BY issue_date DESC, id DESC"),
                ("subscriptions/by-price", "SELECT id FROM subscription WHERE customer_id <> 'cus_own' ORDER BY unit_price * quantity DESC, id"),
                ("subscriptions/by-margin", "SELECT id FROM subscription WHERE customer_id <> 'cus_own' ORDER BY (unit_price - unit_cost) * quantity DESC, id"),
                ("orders/by-number", "SELECT id FROM orders WHERE customer_id <> 'cus_own' ORDER BY number DESC, id DESC"),
            ]
            for (directory, sql) in orderChecks {
                #expect(try ids(site, try list(directory)) == strings(db, sql), "\(directory) is the whole list in its order")
            }
            // A header of a whole-list order links to that order's first page; the current order's header says how it is sorted.
            let page = try ParsedPage(site: site, path: "invoices/index.html")
            let headers = page.elements(named: "th")
            let amount = try #require(headers.first { $0.stringValue == "Invoice total" })
            #expect(amount.elements(forName: "a").first?.attr("href") == "../invoices/by-amount/index.html", "through the site root, as every link")
            #expect(headers.first { $0.stringValue == "Issued" }?.attr("aria-sort") == "descending")
            #expect(try #require(all["invoices"]).pages.count > 1)
            #expect(page.elements(named: "table").first?.attr("data-paged") == "true")
        }
    }

    /// Builds `site` incrementally and a fresh full build beside it; they must be the same, byte for byte.
    @discardableResult
    func buildAndCompare(_ db: Database, _ site: URL, _ step: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> SiteBuildReport {
        let report = try buildSite(db, into: site)
        #expect(report.incremental, "\(step): incremental", sourceLocation: sourceLocation)
        let fresh = site.deletingLastPathComponent().appendingPathComponent("fresh")
        try? FileManager.default.removeItem(at: fresh)
        try buildSite(db, into: fresh)
        let mine = try siteFiles(site).filter { !$0.key.hasPrefix(".outpost-") }, theirs = try siteFiles(fresh).filter { !$0.key.hasPrefix(".outpost-") }
        let differing = Set(mine.keys).union(theirs.keys).filter { mine[$0] != theirs[$0] }.sorted()
        #expect(differing.isEmpty, "\(step): \(differing.count) files differ from a full build: \(differing.prefix(8))", sourceLocation: sourceLocation)
        return report
    }

    @Test func incrementalBuildsEqualFullOnesAsRowsMoveBetweenPagesAndViews() throws {
        try withTemporaryDirectory { directory in
            let db = try fixtureDatabase(in: directory, customers: 120)
            let site = directory.appendingPathComponent("site")
            let first = try buildSite(db, into: site)
            let today = first.asOf
            func one(_ sql: String) throws -> String { try #require(db.scalar(sql)?.string) }

            // Thirty new customers spread over the alphabet: pages of the customers' lists split.
            for n in 0..<30 {
                let letter = Character(UnicodeScalar(UInt8(65 + n % 26)))
                try db.execute("INSERT INTO customer (id, name, status, email, created_at) VALUES (?, ?, 'active', 'n@example.com', '2026-11-20T09:00:00Z')",
                               [String(format: "cus_01JNEW%020d", n), "\(letter)\(letter) Newcomer \(n)"])
            }
            var report = try buildAndCompare(db, site, "thirty new customers")
            #expect(report.written.contains("customers/pages.js"))
            // One new customer: its page, a page or two of each customers' list, their scripts; not every page of the list.
            try db.execute("INSERT INTO customer (id, name, status, created_at) VALUES ('cus_01JONEONEONEONEONEONEONEON', 'Mm One More', 'active', '2026-11-21T09:00:00Z')")
            report = try buildAndCompare(db, site, "one new customer")
            let customerPages = report.written.filter { $0.hasPrefix("customers/") && ($0.hasSuffix("index.html") || $0.contains("/p-")) }
            #expect(customerPages.count <= 2 * 6, "one insert rewrites a page or two of each list it is in: \(customerPages)")
            #expect(!report.written.contains { $0.hasPrefix("invoices/") }, "no invoice list shows a customer without invoices")

            // Removed again, with most of the thirty: pages merge.
            try db.execute("DELETE FROM customer WHERE id = 'cus_01JONEONEONEONEONEONEONEON' OR (id LIKE 'cus_01JNEW%' AND id < 'cus_01JNEW00000000000000000025')")
            try buildAndCompare(db, site, "customers removed")

            // A rename that moves a customer from the end of the alphabet to the front.
            let customer = try one("SELECT c.id FROM customer c WHERE EXISTS (SELECT 1 FROM invoice i WHERE i.customer_id = c.id) ORDER BY name DESC LIMIT 1")
            try db.execute("UPDATE customer SET name = 'Aaaa First Renamed' WHERE id = ?", [customer])
            try buildAndCompare(db, site, "rename to the front")

            // An overdue invoice paid: it leaves the overdue and unpaid views for the paid one; its customer may leave "with money owed".
            let overdue = try #require(try db.row("""
                SELECT i.id, i.customer_id, i.total FROM invoice i WHERE i.status = 'issued' AND i.due_date < ? AND i.customer_id <> 'cus_own'
                AND NOT EXISTS (SELECT 1 FROM payment p WHERE p.invoice_id = i.id) AND NOT EXISTS (SELECT 1 FROM credit_note n WHERE n.invoice_id = i.id)
                ORDER BY i.id LIMIT 1
                """, [today.description]))
            try db.execute("""
                INSERT INTO payment (id, customer_id, invoice_id, method, reference, amount, currency, received_on, status, recorded_at)
                VALUES ('pay_01JPAYPAYPAYPAYPAYPAYPAYPA', ?, ?, 'card', 'ref 1', ?, 'EUR', ?, 'completed', '2026-11-24T10:00:00Z')
                """, [try overdue.string("customer_id"), try overdue.string("id"), try overdue.int64("total"), today.description])
            report = try buildAndCompare(db, site, "overdue invoice paid")
            #expect(report.written.contains("invoices/lists.js"), "the views' counts moved")

            // An unpaid invoice voided.
            let unpaid = try one("""
                SELECT i.id FROM invoice i WHERE i.status = 'issued' AND i.customer_id <> 'cus_own'
                AND NOT EXISTS (SELECT 1 FROM payment p WHERE p.invoice_id = i.id) AND NOT EXISTS (SELECT 1 FROM credit_note n WHERE n.invoice_id = i.id)
                ORDER BY i.id DESC LIMIT 1
                """)
            try db.execute("UPDATE invoice SET status = 'void' WHERE id = ?", [unpaid])
            try buildAndCompare(db, site, "invoice voided")

            // A subscription renewing within 30 days, another cancelled, a third repriced (moves in the by-price order).
            let subscriptions = try strings(db, "SELECT id FROM subscription WHERE status = 'active' AND customer_id <> 'cus_own' ORDER BY id LIMIT 3")
            try #require(subscriptions.count == 3)
            try db.execute("UPDATE subscription SET period_end = ? WHERE id = ?", [today.adding(days: 10).description, subscriptions[0]])
            try db.execute("UPDATE subscription SET status = 'cancelled' WHERE id = ?", [subscriptions[1]])
            try db.execute("UPDATE subscription SET unit_price = unit_price * 40 WHERE id = ?", [subscriptions[2]])
            try buildAndCompare(db, site, "subscriptions moved between views and orders")
        }
    }

    /// The pages of a list of `ids` (in order) as `ListChunker` cuts them.
    func cut(_ ids: [String]) -> [[String]] {
        var chunker = ListChunker()
        var pages: [[String]] = []
        for id in ids {
            if chunker.startsPage(id) { pages.append([id]) } else { pages[pages.count - 1].append(id) }
        }
        return pages
    }

    @Test func anInsertOrADeleteMovesTheCutsOfAPageOrTwo() {
        var random = SplitMix(seed: 7)
        func id() -> String { "row_" + String(random.next() % 1_000_000_000_000, radix: 36) }
        var ids = (0..<4_000).map { _ in id() }
        let before = cut(ids)
        #expect(before.dropLast().allSatisfy { $0.count >= ListChunker.pageSize / 2 && $0.count <= ListChunker.pageSize })
        var rewritten: [Int] = []
        for step in 0..<200 {
            let old = Set(cut(ids))
            let at = Int(random.next() % UInt64(ids.count))
            if step % 2 == 0 { ids.insert(id(), at: at) } else { ids.remove(at: at) }
            let new = cut(ids)
            #expect(new.dropLast().allSatisfy { $0.count >= ListChunker.pageSize / 2 && $0.count <= ListChunker.pageSize })
            rewritten.append(new.filter { !old.contains($0) }.count)
        }
        let average = Double(rewritten.reduce(0, +)) / Double(rewritten.count)
        // One page always (the one the row is on), its neighbour when a cut moved, rarely more.
        #expect(rewritten.allSatisfy { $0 >= 1 })
        #expect(average < 1.6, "pages rewritten per change: \(average), at most \(rewritten.max() ?? 0)")
        // A long stretch without a chosen row is cut at the page size, and the shift runs on until one comes: rare, and bounded.
        #expect((rewritten.max() ?? 0) <= 10)
    }
}

/// A small deterministic random source for the chunker test.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
