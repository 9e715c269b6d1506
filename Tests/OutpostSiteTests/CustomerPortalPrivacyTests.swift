import Foundation
import Testing
import OutpostModel
import OutpostStore
import OutpostSite
import OutpostSync
import OutpostTestSupport
import OutpostTestThreads

/// The portal test: a fixture data set with many customers, portals enabled for a few through the
/// `outpost` binary, the site built by it; then every file of each portal is searched for what a
/// customer must never see, and every link in it must resolve inside the portal's directory.
@Suite("Customer portals show one customer and nothing secret", .ownThreads, .timeLimit(.minutes(20)))
struct CustomerPortalPrivacyTests {
    @Test("Each portal holds no cost, margin, markup, other customer or full license key; its links stay inside; its name is random")
    func portalsHoldNothingSecret() throws {
        try #require(OutpostBinary.url != nil, "the outpost binary is built")
        let dir = try TemporaryDirectory("outpost-portal-privacy")
        let replicaPath = dir.path("replica")
        let now = ["OUTPOST_NOW": "2026-11-24T12:00:00Z"]
        @discardableResult func outpost(_ arguments: [String]) throws -> OutpostBinary.Result {
            let result = try OutpostBinary.run(arguments, environment: now, in: dir.url)
            #expect(result.status == 0, "outpost \(arguments.joined(separator: " ")): \(result.stderr)")
            return result
        }
        try outpost(["fixtures", "generate", "--customers", "40", "--into", replicaPath])

        // The truth, read from the replica: customers, what each has, and what must not leak.
        let truth = try Replica.open(URL(fileURLWithPath: replicaPath), clock: SystemClock())
        let customers = try truth.db.rows("SELECT id, name FROM customer WHERE status <> 'closed' ORDER BY id")
            .map { (id: try $0.string("id"), name: try $0.string("name")) }
        // The customers with the most records (licenses, invoices, payments, credit notes), so every kind of page has rows.
        let chosen = try truth.db.rows("""
            SELECT c.id FROM customer c WHERE c.status <> 'closed'
            ORDER BY (SELECT count(*) FROM license l WHERE l.customer_id = c.id) > 0 DESC,
                     (SELECT count(*) FROM credit_note n WHERE n.customer_id = c.id) > 0 DESC,
                     (SELECT count(*) FROM invoice i WHERE i.customer_id = c.id) DESC, c.id
            LIMIT 3
            """).map { try $0.string("id") }
        try #require(chosen.count == 3 && customers.count > 10)
        let company = try ResellerSettings.load(from: truth.db).companyName

        for id in chosen { try outpost(["portal", "enable", id, "--replica", replicaPath]) }
        try outpost(["site", "build", "--replica", replicaPath])
        let site = URL(fileURLWithPath: replicaPath).appendingPathComponent("site")
        let portals = try #require(try JSONSerialization.jsonObject(with: Data(outpost(["portal", "list", "--replica", replicaPath, "--json"]).stdout.utf8))
                                   as? [[String: Any]])
        #expect(portals.count == 3)

        var keys: Set<String> = []
        for portal in portals {
            let customerId = try #require(portal["customer_id"] as? String)
            let name = try #require(customers.first { $0.id == customerId }?.name)
            let path = try #require(portal["path"] as? String)
            let key = String(path.dropFirst("portals/".count).prefix { $0 != "/" })
            keys.insert(key)
            // The directory name is random: not the id or name, nor a hash of either.
            #expect(key.count == 26 && key.allSatisfy { ("a"..."z").contains($0) || ("2"..."7").contains($0) }, "\(key)")
            for derived in [customerId, name, SHA256.hex(customerId), SHA256.hex(name)] {
                #expect(!key.lowercased().contains(derived.lowercased().prefix(8)), "\(key) looks derived from \(derived)")
                #expect(!derived.lowercased().contains(key), "\(key) is part of \(derived)")
            }
            let root = site.appendingPathComponent("portals/" + key)
            let files = try siteFiles(root)
            let pages = files.keys.filter { $0.hasSuffix(".html") }.sorted()
            // Every page kind, and one page per invoice of the customer.
            let invoices = try truth.db.rows("SELECT id FROM invoice WHERE customer_id = ?", [customerId]).map { try $0.string("id") }
            #expect(Set(pages).isSuperset(of: ["index.html", "subscriptions.html", "orders.html", "invoices/index.html", "payments.html",
                                               "credit-notes.html", "domains.html", "ssl.html", "licenses.html"]))
            #expect(Set(pages.filter { $0.hasPrefix("invoices/") && $0.contains("/inv_") }) == Set(invoices.map(PublishedSite.invoicePage)))
            // Taking the portal's directory as the whole site: every href and src resolves to one of its files.
            try checkEveryPage(of: root, files: files, pages: pages)

            let theme = Dictionary(uniqueKeysWithValues: Theme.embedded.files.map { ("assets/" + $0.name, Data($0.bytes)) })
            let others = customers.filter { $0.id != customerId && !name.contains($0.name) && !company.contains($0.name) }
            let licenseKeys = try truth.db.rows("SELECT license_key FROM license").map { try $0.string("license_key") }
            // What the customer pays shows; what its subscriptions cost the reseller must not (unless the two figures happen to agree).
            let shownAmounts = Set(try truth.db.rows("""
                SELECT unit_price * quantity AS amount FROM subscription WHERE customer_id = ?1
                UNION SELECT total FROM orders WHERE customer_id = ?1
                UNION SELECT amount FROM payment WHERE customer_id = ?1
                UNION SELECT total FROM credit_note WHERE customer_id = ?1
                UNION SELECT amount FROM invoice_line WHERE invoice_id IN (SELECT id FROM invoice WHERE customer_id = ?1)
                UNION SELECT unit_price FROM invoice_line WHERE invoice_id IN (SELECT id FROM invoice WHERE customer_id = ?1)
                UNION SELECT total FROM invoice WHERE customer_id = ?1 UNION SELECT subtotal FROM invoice WHERE customer_id = ?1
                UNION SELECT tax FROM invoice WHERE customer_id = ?1
                """, [customerId]).map { try $0.int64("amount") })
            let costs = Set(try truth.db.rows("SELECT unit_cost * quantity AS cost FROM subscription WHERE customer_id = ?", [customerId])
                .map { try $0.int64("cost") }).subtracting(shownAmounts)
            let currency = try ResellerSettings.load(from: truth.db).currencyValue
            for (file, data) in files.sorted(by: { $0.key < $1.key }) {
                if let copy = theme[file] {
                    // The stylesheet and script are the theme's own bytes (CSS says "margin" about boxes): no data in them.
                    #expect(data == copy, "\(file) is the theme's")
                    continue
                }
                let text = try #require(String(data: data, encoding: .utf8), "\(file) is text")
                let lower = text.lowercased()
                for word in ["cost", "margin", "markup", "mark-up"] { #expect(!lower.contains(word), "\(file) of \(name)'s portal says \(word)") }
                for other in others { #expect(!text.contains(other.name), "\(file) of \(name)'s portal names \(other.name)") }
                for other in customers where other.id != customerId { #expect(!text.contains(other.id), "\(file) names \(other.id)") }
                for licenseKey in licenseKeys where licenseKey.count > 4 { #expect(!text.contains(licenseKey), "\(file) shows a full license key") }
                #expect(!text.contains("search/"), "\(file) links the site's search index")
                #expect(!text.contains("freshness"), "\(file) frames the site's freshness page")
                if file.hasSuffix(".html") {
                    #expect(text.contains("<meta name=\"robots\" content=\"noindex\"/>"), "\(file) asks not to be indexed")
                    #expect(text.contains(name), "\(file) is \(name)'s")
                    for cost in costs {
                        // The customer's subscription cost as the site formats money (e.g. "1,234.56 EUR").
                        let shown = Money.formatted(cost, currency: currency)
                        #expect(!text.contains(">" + shown + "<"), "\(file) shows the cost \(shown)")
                    }
                }
            }
            // The customer's own page in the dashboards links its portal.
            let page = try String(contentsOf: site.appendingPathComponent(PublishedSite.customerPage(customerId)), encoding: .utf8)
            #expect(page.contains("href=\"../../portals/\(key)/index.html\""))
        }
        #expect(keys.count == 3, "three portals, three keys")
        // Two enables of one customer never give the same key.
        let again = chosen[0]
        try outpost(["portal", "disable", again, "--replica", replicaPath])
        try outpost(["portal", "enable", again, "--replica", replicaPath])
        let renewed = try #require(try CustomerPortal.find(customerId: again, in: Replica.open(URL(fileURLWithPath: replicaPath), clock: SystemClock()).db))
        #expect(!keys.contains(renewed.key))
    }
}
