import Foundation
@testable import OutpostFixtures
import OutpostModel
import OutpostStore
import Testing

/// The deterministic fixture generator, its embedded catalog and name lists, and the consistency check.
@Suite("Fixture generator", .timeLimit(.minutes(20)))
struct FixtureGeneratorTests {
    static let asOf = FixtureGenerator.defaultAsOf

    /// The repository root, found from this file's path (Tests/OutpostFixturesTests/…).
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// A fresh directory, removed after `body`.
    static func withScratch<T>(_ body: (URL) throws -> T) throws -> T {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("FixtureGeneratorTests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try body(directory)
    }

    static func ndjson(seed: UInt64, customers: Int) throws -> Data {
        try withScratch { directory in
            let url = directory.appendingPathComponent("fixtures.ndjson")
            try FixtureGenerator(seed: seed, customers: customers, asOf: asOf).writeNDJSON(to: url)
            return try Data(contentsOf: url)
        }
    }

    /// An in-memory database holding a generated data set.
    static func generated(seed: UInt64 = 7, customers: Int) throws -> Database {
        let db = try Database.inMemory()
        try FixtureGenerator(seed: seed, customers: customers, asOf: asOf).write(into: db)
        return db
    }

    static func count(_ db: Database, _ sql: String, _ arguments: [any SQLBindable] = []) throws -> Int64 {
        try db.scalar(sql, arguments)?.int64 ?? -1
    }

    /// The rows of `table` the generator can have written: not the own-account customer row every database has (migration v9).
    static func generatedRows(_ table: String) -> String {
        table == "customer" ? "(SELECT * FROM customer WHERE id <> 'cus_own')" : table
    }

    // MARK: Embedded files and the catalog

    @Test func embeddedFixturesEqualTheFilesByteForByte() throws {
        let catalog = try Data(contentsOf: Self.repository.appendingPathComponent("fixtures/catalog.json"))
        let names = try Data(contentsOf: Self.repository.appendingPathComponent("fixtures/names.json"))
        #expect(Data(Catalog.embeddedJSON.utf8) == catalog, "run fixtures/embed.sh after editing fixtures/catalog.json")
        #expect(Data(NameLists.embeddedJSON.utf8) == names, "run fixtures/embed.sh after editing fixtures/names.json")
    }

    @Test func catalogHas48PlansInEuro() throws {
        let plans = try Catalog.plans()
        #expect(plans.count == 48)
        #expect(Catalog.currency == "EUR")
        #expect(plans.allSatisfy { $0.currency == "EUR" && $0.version == 0 && $0.cost >= 0 })
        #expect(plans.filter { !$0.available }.count == 2)
        #expect(Set(plans.map(\.id)).count == 48)
        for kind in Plan.Kind.allCases { #expect(plans.contains { $0.kind == kind }, "no \(kind) plan") }
        #expect(plans.filter { $0.kind == .ssl }.allSatisfy { $0.sslValidation != nil })
        #expect(plans.filter { $0.kind != .ssl }.allSatisfy { $0.sslValidation == nil })
        let basic = try #require(plans.first { $0.id == "pln_m365-business-basic-m" })
        #expect(basic.cost == 460 && basic.billingPeriod == .monthly && basic.kind == .subscription && basic.vendor == "Microsoft")
        // The file on disk decodes to the same plans.
        let file = try Data(contentsOf: Self.repository.appendingPathComponent("fixtures/catalog.json"))
        #expect(try Catalog.load(json: file) == plans)
    }

    static func catalog(kind: String = "\"ssl\"", cost: String = "690", validation: String = "\"DV\"") -> Data {
        Data("""
        {"currency": "EUR", "plans": [{"id": "pln_broken-one", "name": "Broken", "vendor": "V", "kind": \(kind),
          "billing_period": "annual", "cost": \(cost), "ssl_validation": \(validation), "description": "", "available": true}]}
        """.utf8)
    }

    @Test func catalogErrorsNameThePlan() throws {
        #expect(try Catalog.load(json: Self.catalog()).count == 1)
        let unknownKind = #expect(throws: CatalogError.self) { try Catalog.load(json: Self.catalog(kind: "\"hosting\"")) }
        #expect(unknownKind?.message.contains("pln_broken-one") == true)
        #expect(unknownKind?.message.contains("hosting") == true)
        let floatCost = #expect(throws: CatalogError.self) { try Catalog.load(json: Self.catalog(cost: "6.9")) }
        #expect(floatCost?.message.contains("pln_broken-one") == true)
        #expect(floatCost?.message.contains("minor units") == true)
        let missingValidation = #expect(throws: CatalogError.self) { try Catalog.load(json: Self.catalog(validation: "null")) }
        #expect(missingValidation?.message.contains("pln_broken-one") == true)
        #expect(throws: CatalogError.self) { try Catalog.load(json: Data("not json".utf8)) }
    }

    @Test func nameListsLoad() throws {
        let names = try NameLists.embedded()
        #expect(names.firstNames.count > 50 && names.lastNames.count > 50 && names.companyWords.count > 50)
        #expect(names.cities.allSatisfy { $0.country.count == 2 })
        #expect(names.emailDomainTLDs.contains("co.uk"))
        #expect(throws: CatalogError.self) { try NameLists.load(json: Data(#"{"first_names": []}"#.utf8)) }
    }

    // MARK: Determinism and output

    @Test func sameSeedGivesIdenticalNDJSONAndAnotherSeedDiffers() throws {
        let first = try Self.ndjson(seed: 11, customers: 40)
        let second = try Self.ndjson(seed: 11, customers: 40)
        let other = try Self.ndjson(seed: 12, customers: 40)
        #expect(first == second)
        #expect(first != other)
        #expect(!first.isEmpty)
    }

    @Test func ndjsonLinesAreJSONObjectsWithKeysInSchemaOrder() throws {
        let data = try Self.ndjson(seed: 3, customers: 15)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.hasSuffix("\n"))
        let lines = text.split(separator: "\n")
        var tables: [String] = []
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let table = try #require(object["table"] as? String)
            #expect(object["row"] is [String: Any])
            if tables.last != table { tables.append(table) }
        }
        #expect(lines.first?.hasPrefix(#"{"table":"settings","row":{"id":"settings","company_name":"#) == true)
        let customer = try #require(lines.first { $0.hasPrefix(#"{"table":"customer","#) })
        let keys = ["id", "name", "status", "contact_name", "email", "phone", "address", "city", "postal_code", "country", "tax_id",
                    "created_at", "version"]
        var position = customer.startIndex
        for key in keys {
            let found = try #require(customer.range(of: "\"\(key)\":", range: position..<customer.endIndex), "key \(key) out of order")
            position = found.upperBound
        }
    }

    @Test func jsonStringsAreEscaped() {
        #expect(JSONText.string("plain") == #""plain""#)
        #expect(JSONText.string("O'Brien \"Ltd\" \\ x") == #""O'Brien \"Ltd\" \\ x""#)
        #expect(JSONText.string("a\nb\tc\r\u{01}\u{1F}") == #""a\nb\tc\r\u0001\u001f""#)
        #expect(JSONText.string("2 → 3 Müller") == "\"2 → 3 Müller\"")
        var buffer: [UInt8] = []
        JSONText.append(.integer(-1234), to: &buffer)
        JSONText.append(.null, to: &buffer)
        JSONText.append(.integer(Int64.min), to: &buffer)
        #expect(String(decoding: buffer, as: UTF8.self) == "-1234null-9223372036854775808")
    }

    @Test func databaseAndNDJSONHoldTheSameRows() throws {
        let generator = FixtureGenerator(seed: 5, customers: 30, asOf: Self.asOf)
        let db = try Database.inMemory()
        let written = try generator.write(into: db)
        try Self.withScratch { directory in
            let url = directory.appendingPathComponent("rows.ndjson")
            let encoded = try generator.writeNDJSON(to: url)
            #expect(encoded == written)
            let lines = String(decoding: try Data(contentsOf: url), as: UTF8.self).split(separator: "\n")
            #expect(lines.count == written.totalRows)
            for line in lines {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                let table = try #require(object["table"] as? String)
                let values = try #require(object["row"] as? [String: Any])
                let id = try #require(values["id"] as? String)
                let stored = try #require(try db.row("SELECT * FROM \(table) WHERE id = ?", [id]), "\(table) \(id) missing")
                #expect(stored.columns.count == values.count, "\(table) columns")
                for (column, value) in zip(stored.columns, stored.values) {
                    switch value {
                    case .null: #expect(values[column] is NSNull, "\(table).\(column)")
                    case .integer(let number): #expect((values[column] as? NSNumber)?.int64Value == number, "\(table).\(column)")
                    case .text(let text): #expect(values[column] as? String == text, "\(table).\(column)")
                    case .real, .blob: Issue.record("unexpected \(table).\(column) = \(value)")
                    }
                }
            }
        }
        for table in written.tables {
            #expect(try Self.count(db, "SELECT count(*) FROM \(Self.generatedRows(table.name))") == Int64(table.rows), "\(table.name)")
        }
    }

    // MARK: A consistent data set

    @Test func threeHundredCustomersInAFileDatabaseAreConsistent() throws {
        try Self.withScratch { directory in
            let db = try Database(path: directory.appendingPathComponent("fixtures.sqlite").path)
            let summary = try FixtureGenerator(seed: 2026, customers: 300, asOf: Self.asOf).write(into: db)
            #expect(try FixtureConsistency.check(db, asOf: Self.asOf) == [])
            #expect(try db.integrityCheck() == ["ok"])
            #expect(try db.foreignKeyViolations() == [])
            #expect(summary.rows(in: "customer") == 300)
            #expect(summary.rows(in: "settings") == 1 && summary.rows(in: "plan") == 48)
            #expect(try Self.count(db, "SELECT count(*) FROM \(Self.generatedRows("customer"))") == 300)
            #expect(try Self.count(db, "SELECT count(*) FROM settings") == 1)
            #expect(try Self.count(db, "SELECT count(*) FROM price_rule") >= 3)
            #expect(try Self.count(db, "SELECT markup_bp FROM price_rule WHERE id = 'prc_default'") == 2_500)

            // The reseller.
            let settings = try ResellerSettings.load(from: db)
            #expect(settings.currency == "EUR" && settings.paymentTermsDays == 30 && settings.taxRateBp > 0)
            #expect(!settings.companyName.isEmpty)
            let users = try PanelUser.list(in: db)
            #expect((3...5).contains(users.count))
            #expect(users.contains { $0.role == .admin })
            #expect(try Self.count(db, "SELECT count(*) FROM login_event WHERE username IN (SELECT username FROM panel_user)") > 20)

            // Customers of every status, with 0-3 users each.
            for status in Customer.Status.allCases {
                #expect(try Self.count(db, "SELECT count(*) FROM customer WHERE status = ?", [status.rawValue]) > 0, "\(status)")
            }
            #expect(try Self.count(db, "SELECT count(*) FROM customer WHERE status = 'active'") > 200)
            #expect(try Self.count(db, "SELECT max(n) FROM (SELECT count(*) AS n FROM customer_user GROUP BY customer_id)") <= 3)

            // Subscriptions of every kind and fate, each born of a completed sales or transfer order.
            for status in ["active", "cancelled", "expired", "suspended"] {
                #expect(try Self.count(db, "SELECT count(*) FROM subscription WHERE status = ?", [status]) > 0, "\(status)")
            }
            #expect(try Self.count(db, """
                SELECT count(*) FROM subscription s JOIN orders o ON o.id = s.order_id
                WHERE o.type NOT IN ('sales', 'transfer') OR o.status != 'completed' OR o.subscription_id != s.id
                """) == 0)
            #expect(try Self.count(db, "SELECT count(*) FROM subscription WHERE order_id IS NULL") == 0)
            #expect(try Self.count(db, "SELECT count(*) FROM domain") > 0)
            #expect(try Self.count(db, "SELECT count(*) FROM ssl_certificate") > 0)
            #expect(try Self.count(db, "SELECT count(*) FROM license WHERE license_key GLOB '?????-?????-?????-?????-?????'") > 0)
            #expect(try Self.count(db, "SELECT count(*) FROM domain d JOIN subscription s ON s.id = d.subscription_id") ==
                    Self.count(db, "SELECT count(*) FROM domain"))
            // Sales lines are priced from the plan's cost and the markup in force.
            #expect(try Self.count(db, """
                SELECT count(*) FROM orders o JOIN order_line l ON l.order_id = o.id JOIN plan p ON p.id = l.plan_id
                WHERE o.type = 'sales' AND (l.unit_cost != p.cost OR l.amount != l.unit_price * l.quantity OR l.unit_price < l.unit_cost)
                """) == 0)
            #expect(try Self.count(db, "SELECT count(*) FROM subscription WHERE unit_price < unit_cost") == 0)

            // Orders of every type, some still in the provisioning queue, a few failed.
            for type in ["sales", "renewal", "change", "cancellation"] {
                #expect(try Self.count(db, "SELECT count(*) FROM orders WHERE type = ?", [type]) > 0, "\(type)")
            }
            #expect(try Self.count(db, "SELECT count(*) FROM orders WHERE status IN ('submitted', 'provisioning')") > 0)
            #expect(try Self.count(db, "SELECT count(*) FROM orders WHERE status = 'failed' AND status_reason != ''") > 0)
            #expect(try Self.count(db, "SELECT count(*) FROM orders WHERE status = 'queued' OR number IS NULL") == 0)

            // Money: paid, partly paid, unpaid and overdue invoices, credit notes.
            let balances = try InvoiceBalance.all(customerId: nil, today: Self.asOf, in: db)
            #expect(balances.values.contains { $0.state == .paid })
            #expect(balances.values.contains { $0.state == .partiallyPaid })
            #expect(balances.values.contains { $0.state == .unpaid && $0.overdue })
            #expect(balances.values.contains { $0.state == .unpaid && !$0.overdue })
            #expect(balances.values.filter { $0.state == .paid }.count > balances.count / 2)
            #expect(try Self.count(db, "SELECT count(*) FROM credit_note") > 0)
            #expect(try Self.count(db, "SELECT count(*) FROM payment WHERE status = 'failed'") > 0)

            // Things about to expire.
            let soon = Self.asOf.adding(days: 30).description
            let today = Self.asOf.description
            #expect(try Self.count(db, "SELECT count(*) FROM subscription WHERE status = 'active' AND period_end > ? AND period_end <= ?",
                                   [today, soon]) > 0)
            #expect(try Self.count(db, "SELECT count(*) FROM domain WHERE status = 'active' AND expires_on > ? AND expires_on <= ?",
                                   [today, soon]) > 0)
        }
    }

    @Test func numbersAreGapFreeInDateOrder() throws {
        let db = try Self.generated(customers: 120)
        for (table, column) in [("orders", "placed_at"), ("invoice", "issue_date"), ("credit_note", "issue_date")] {
            var previous = ""
            var expected = 1
            try db.forEachRow("SELECT number, \(column) AS at FROM \(table) ORDER BY number") { row in
                let number = row["number"].string ?? ""
                let at = row["at"].string ?? ""
                #expect(number == DocumentNumber.format(prefix: String(number.prefix(3)), Int64(expected)), "\(table) \(number)")
                #expect(at >= previous, "\(table) \(number) dated \(at) before \(previous)")
                previous = at
                expected += 1
            }
            #expect(expected > 1, "no \(table)")
        }
    }

    @Test func everythingIsDatedWithinThreeYearsUpToAsOfAtVersionZero() throws {
        let db = try Self.generated(customers: 80)
        let first = Self.asOf.adding(months: -36).description
        let last = FixtureGenerator(seed: 0, customers: 0, asOf: Self.asOf).now.description
        for (table, column) in [("customer", "created_at"), ("orders", "placed_at"), ("invoice", "issue_date"), ("payment", "received_on"),
                                ("payment", "recorded_at"), ("subscription", "created_at"), ("customer_user", "created_at"),
                                ("credit_note", "issue_date"), ("login_event", "at"), ("panel_user", "created_at")] {
            let range = try #require(try db.row("SELECT min(\(column)) AS low, max(\(column)) AS high FROM \(Self.generatedRows(table))"))
            let low = try #require(range["low"].string, "\(table) empty")
            let high = try #require(range["high"].string)
            #expect(low >= first, "\(table).\(column) starts \(low)")
            #expect(high <= last, "\(table).\(column) ends \(high)")
        }
        for table in Schema.replicatedTables where try db.scalar("SELECT count(*) FROM \(table)")?.int64 ?? 0 > 0 {
            #expect(try Self.count(db, "SELECT count(*) FROM \(table) WHERE version != 0") == 0, "\(table)")
        }
        #expect(try Self.count(db, "SELECT count(*) FROM invoice WHERE currency != 'EUR'") == 0)
        // Money arrives after its invoice (and after a credit note against it); orders follow the customer's creation.
        #expect(try Self.count(db, """
            SELECT count(*) FROM payment p JOIN invoice i ON i.id = p.invoice_id
            WHERE p.received_on < i.issue_date
               OR p.received_on < coalesce((SELECT max(issue_date) FROM credit_note c WHERE c.invoice_id = i.id), '')
            """) == 0)
        #expect(try Self.count(db, "SELECT count(*) FROM orders o JOIN customer c ON c.id = o.customer_id WHERE o.placed_at < c.created_at") == 0)
        #expect(try Self.count(db, "SELECT count(*) FROM invoice WHERE due_date != date(issue_date, '+30 days')") == 0)
    }

    @Test func refusesANegativeCountAndADatabaseWithData() throws {
        let db = try Self.generated(customers: 3)
        #expect(throws: FixtureError.self) { try FixtureGenerator(seed: 1, customers: 3, asOf: Self.asOf).write(into: db) }
        #expect(throws: FixtureError.invalidCustomerCount(-1)) {
            try FixtureGenerator(seed: 1, customers: -1, asOf: Self.asOf).write(into: try Database.inMemory())
        }
        let empty = try Self.generated(customers: 0)
        #expect(try Self.count(empty, "SELECT count(*) FROM plan") == 48)
        #expect(try Self.count(empty, "SELECT count(*) FROM \(Self.generatedRows("customer"))") == 0)
    }

    @Test func writesIntoAReplica() throws {
        try Self.withScratch { directory in
            let replica = try Replica.create(directory.appendingPathComponent("replica"), clock: FixedClock(Timestamp("2026-11-24T17:00:00Z")!),
                                             random: RandomSource(seed: 1))
            try FixtureGenerator(seed: 9, customers: 20, asOf: Self.asOf).write(into: replica.db)
            #expect(try FixtureConsistency.check(replica.db, asOf: Self.asOf) == [])
            #expect(try replica.queue.pending().isEmpty)
        }
    }

    // MARK: The check finds planted problems

    @Test func checkFindsAnOverpaidInvoice() throws {
        let db = try Self.generated(customers: 60)
        let payment = try #require(try db.row("""
            SELECT p.id, i.total FROM payment p JOIN invoice i ON i.id = p.invoice_id WHERE p.status = 'completed' ORDER BY p.id LIMIT 1
            """))
        try db.execute("UPDATE payment SET amount = ? WHERE id = ?", [try payment.int64("total") + 1, try payment.string("id")])
        let problems = try FixtureConsistency.check(db, asOf: Self.asOf)
        #expect(problems.contains { $0.hasPrefix("payment larger than its invoice") })
        #expect(problems.contains { $0.hasPrefix("invoice paid and credited beyond its total") })
    }

    @Test func checkFindsAMissingInvoiceLineAndAWrongOrderTotal() throws {
        let db = try Self.generated(customers: 60)
        let line = try #require(try db.scalar("SELECT id FROM invoice_line ORDER BY id LIMIT 1")?.string)
        try db.execute("DELETE FROM invoice_line WHERE id = ?", [line])
        let order = try #require(try db.scalar("SELECT id FROM orders WHERE total > 0 ORDER BY id LIMIT 1")?.string)
        try db.execute("UPDATE orders SET total = total + 1 WHERE id = ?", [order])
        let problems = try FixtureConsistency.check(db, asOf: Self.asOf)
        #expect(problems.contains { $0.hasPrefix("invoice amounts do not add up") })
        #expect(problems.contains { $0.hasPrefix("order total differs from its lines") })
    }

    @Test func checkFindsGapsLateDatesOrphansAndMissingInvoices() throws {
        let db = try Self.generated(customers: 60)
        try db.execute("UPDATE orders SET number = 'ORD-999999' WHERE number = 'ORD-000002'")
        try db.execute("UPDATE invoice SET issue_date = '2027-01-01' WHERE number = 'INV-000003'")
        let subscription = try #require(try db.scalar("SELECT id FROM subscription ORDER BY id LIMIT 1")?.string)
        try db.execute("UPDATE subscription SET order_id = NULL WHERE id = ?", [subscription])
        try db.execute("UPDATE orders SET subscription_id = NULL WHERE subscription_id = ?", [subscription])
        try db.execute("UPDATE subscription SET unit_price = unit_cost - 1 WHERE id = ?", [subscription])
        let renewal = try #require(try db.scalar("SELECT id FROM orders WHERE type = 'renewal' ORDER BY id LIMIT 1")?.string)
        try db.execute("UPDATE invoice SET order_id = NULL WHERE order_id = ?", [renewal])
        try db.executeScript("PRAGMA foreign_keys = OFF")
        try db.execute("UPDATE payment SET invoice_id = 'inv_GONE' WHERE id = (SELECT min(id) FROM payment)")
        let problems = try FixtureConsistency.check(db, asOf: Self.asOf)
        #expect(problems.contains { $0.hasPrefix("order numbers are not gap-free") })
        #expect(problems.contains { $0.hasPrefix("invoice.issue_date after") })
        #expect(problems.contains { $0.hasPrefix("invoice numbered out of date order") })
        #expect(problems.contains { $0 == "subscription without an order: \(subscription)" })
        #expect(problems.contains { $0.hasPrefix("price is no markup of its cost: subscription \(subscription)") })
        #expect(problems.contains { $0.hasPrefix("completed order without an invoice") })
        #expect(problems.contains { $0.hasPrefix("foreign key violated: payment") })
    }

    @Test func checkWantsOverdueExpiringAndCancelledExamples() throws {
        let db = try Database.inMemory()
        try Schema.migrate(db)
        let problems = try FixtureConsistency.check(db, asOf: Self.asOf)
        #expect(problems.contains { $0.hasPrefix("no overdue invoices") })
        #expect(problems.contains { $0.hasPrefix("no subscriptions expiring within 30 days") })
        #expect(problems.contains { $0 == "no cancelled subscriptions" })
        #expect(problems.count == 3)
    }

    @Test func salePriceInverse() {
        #expect(FixtureConsistency.isSalePrice(575, ofCost: 460))      // 25 %
        #expect(FixtureConsistency.isSalePrice(460, ofCost: 460))      // 0 %
        #expect(FixtureConsistency.isSalePrice(0, ofCost: 0))
        #expect(!FixtureConsistency.isSalePrice(459, ofCost: 460))     // below cost
        #expect(!FixtureConsistency.isSalePrice(1, ofCost: 0))         // no markup of nothing is something
        #expect(FixtureConsistency.isSalePrice(5_060, ofCost: 460))    // 1000 %
        #expect(!FixtureConsistency.isSalePrice(5_061, ofCost: 460))   // beyond the maximum markup
    }
}
