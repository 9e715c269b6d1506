import Foundation
import Testing
import OutpostModel
import OutpostStore
@testable import OutpostSite
import OutpostTestSupport
import OutpostTestThreads

/// A long list's CSV as the site publishes it: one file per day under `LIST/csv/YYYY/`, each with the header.
struct CSVFiles {
    let header: [String]
    /// Each file's rows (its header left out), by the day its name gives.
    let days: [String: [[String]]]
    /// Each file's size in bytes, by day.
    let sizes: [String: Int]
    /// Every row, day after day.
    var rows: [[String]] { days.keys.sorted().flatMap { days[$0]! } }

    init(site: URL, list: String) throws {
        let directory = site.appendingPathComponent(SitePath.csvDirectory(list))
        var header: [String]? = nil
        var days: [String: [[String]]] = [:], sizes: [String: Int] = [:]
        for path in try FileManager.default.subpathsOfDirectory(atPath: directory.path) where path.hasSuffix(".csv") {
            let day = String(path.split(separator: "/").last!.dropLast(".csv".count))
            #expect(SitePath.csvFile(list, period: day) == SitePath.csvDirectory(list) + path, "\(path) is where SitePath puts \(day)")
            let data = try Data(contentsOf: directory.appendingPathComponent(path))
            let records = CSVParser.parse(String(decoding: data, as: UTF8.self))
            #expect(records.count > 1, "\(path) has rows")
            #expect(header == nil || records.first == header, "\(path) starts with the same header")
            header = header ?? records.first
            days[day] = Array(records.dropFirst())
            sizes[day] = data.count
        }
        self.header = header ?? []
        self.days = days
        self.sizes = sizes
    }

    /// The column titled `title`.
    func column(_ title: String) throws -> Int { try #require(header.firstIndex(of: title), "no \(title) in \(header)") }
}

@Suite("CSV files by day", .ownThreads, .timeLimit(.minutes(20)))
struct CSVFilesTests {
    @Test func theCSVsNameCustomersAndInvoicesAndKeepEachDayInNumberOrder() throws {
        try withTemporaryDirectory { directory in
            let db = try fixtureDatabase(in: directory, customers: 40)
            let site = directory.appendingPathComponent("site")
            try buildSite(db, into: site)
            var names: [String: String] = [:], numbers: [String: String] = [:], issued: [String: String] = [:]
            try db.forEachRow("SELECT id, name FROM customer") { names[try $0.string("id")] = try $0.string("name") }
            try db.forEachRow("SELECT id, number, issue_date FROM invoice") { row in
                numbers[try row.string("id")] = try row.string("number")
                issued[try row.string("id")] = try row.string("issue_date")
            }

            // Invoices: every one once, in the file of its issue date, the customer's name right before its id.
            let invoices = try CSVFiles(site: site, list: "invoices")
            let customer = try invoices.column("Customer"), customerId = try invoices.column("Customer id")
            #expect(customerId == customer + 1)
            let ownInvoices = try #require(db.scalar("SELECT count(*) FROM invoice WHERE customer_id = 'cus_own'")?.int64)
            #expect(invoices.rows.count + Int(ownInvoices) == numbers.count)
            #expect(Set(invoices.rows.map { $0[0] }).count == invoices.rows.count)
            let number = try invoices.column("Invoice")
            var sameDay = 0
            for (day, rows) in invoices.days {
                for row in rows {
                    #expect(row[customer] == names[row[customerId]], "the customer's name beside \(row[customerId])")
                    #expect(issued[row[0]] == day, "\(row[0]) is in the file of its issue date")
                }
                // Number order within the day (numbers are zero-padded: text order is number order).
                let dayNumbers = rows.map { $0[number] }
                #expect(dayNumbers == dayNumbers.sorted(), "\(day): \(dayNumbers)")
                if rows.count > 1 { sameDay += 1 }
            }
            #expect(sameDay > 0, "the fixture has days with several invoices, so their order is tested")

            // Payments: the invoice's number right before its id, and the customer's name.
            let payments = try CSVFiles(site: site, list: "payments")
            #expect(!payments.rows.isEmpty)
            let invoice = try payments.column("Invoice"), invoiceId = try payments.column("Invoice id")
            #expect(invoiceId == invoice + 1)
            let payer = try payments.column("Customer"), payerId = try payments.column("Customer id")
            for row in payments.rows {
                #expect(row[invoice] == numbers[row[invoiceId]])
                #expect(row[payer] == names[row[payerId]])
            }

            // The page of files lists each with its rows and bytes; the list's table links to it.
            let page = try ParsedPage(site: site, path: SitePath.csvIndex("invoices"))
            let listed = (page.elements(named: "tbody").first?.elements(forName: "tr") ?? []).map { row in
                row.elements(forName: "td").map { $0.stringValue ?? "" }
            }
            #expect(listed.count == invoices.days.count)
            for cells in listed {
                let day = cells[0]
                #expect(Int(cells[1].filter(\.isNumber)) == invoices.days[day]?.count, "rows of \(day)")
                #expect(Int(cells[2].filter(\.isNumber)) == invoices.sizes[day], "bytes of \(day)")
            }
            let list = try ParsedPage(site: site, path: "invoices/index.html")
            #expect(list.elements(named: "a").contains { $0.attr("href") == "../" + SitePath.csvIndex("invoices") })
        }
    }

    @Test func aPaymentRewritesOnlyTheFilesOfItsDayAndItsInvoicesDay() throws {
        try withTemporaryDirectory { directory in
            let db = try fixtureDatabase(in: directory, customers: 40)
            let site = directory.appendingPathComponent("site")
            try buildSite(db, into: site)
            let invoice = try #require(try db.row("""
                SELECT i.id, i.customer_id, i.total, i.issue_date FROM invoice i
                WHERE i.status = 'issued' AND i.customer_id <> 'cus_own' AND NOT EXISTS (SELECT 1 FROM payment p WHERE p.invoice_id = i.id)
                ORDER BY i.id LIMIT 1
                """))
            try db.execute("""
                INSERT INTO payment (id, customer_id, invoice_id, method, reference, amount, currency, received_on, status, recorded_at)
                VALUES ('pay_01JPAYPAYPAYPAYPAYPAYPAYPA', ?, ?, 'card', 'ref 1', ?, 'EUR', '2026-11-24', 'completed', '2026-11-24T10:00:00Z')
                """, [try invoice.string("customer_id"), try invoice.string("id"), try invoice.int64("total")])
            let report = try buildSite(db, into: site)
            #expect(report.incremental)
            let csvs = Set(report.written.filter { $0.hasSuffix(".csv") && !$0.hasPrefix("reports/") })
            // The customer's row too: the customers list shows its outstanding balance, which the payment lowered.
            let joined = try #require(try db.scalar("SELECT substr(created_at, 1, 10) FROM customer WHERE id = ?", [try invoice.string("customer_id")])?.string)
            #expect(csvs == [SitePath.csvFile("payments", period: "2026-11-24"), SitePath.csvFile("invoices", period: try invoice.string("issue_date")),
                             SitePath.csvFile("customers", period: joined)],
                    "\(csvs.sorted())")
            let files = try CSVFiles(site: site, list: "payments")
            #expect(files.days["2026-11-24"]?.contains { $0[0] == "pay_01JPAYPAYPAYPAYPAYPAYPAYPA" } == true)

            // The same tree as a full build.
            let fresh = directory.appendingPathComponent("fresh")
            try buildSite(db, into: fresh)
            let mine = try siteFiles(site).filter { !$0.key.hasPrefix(".outpost-") }, theirs = try siteFiles(fresh).filter { !$0.key.hasPrefix(".outpost-") }
            #expect(Set(mine.keys).union(theirs.keys).filter { mine[$0] != theirs[$0] }.isEmpty)
        }
    }

    @Test func aRowGoneFromTheReplicaLeavesItsDaysFile() throws {
        try withTemporaryDirectory { directory in
            let db = try fixtureDatabase(in: directory, customers: 12)
            let site = directory.appendingPathComponent("site")
            try db.execute("""
                INSERT INTO customer (id, name, status, email, created_at)
                VALUES ('cus_01JNEWNEWNEWNEWNEWNEWNEWNE', 'Lone Newcomer', 'active', 'new@example.com', '2026-11-21T09:00:00Z')
                """)
            #expect(try db.scalar("SELECT count(*) FROM customer WHERE created_at LIKE '2026-11-21%'") == .integer(1), "the only customer of its day")
            try buildSite(db, into: site)
            let day = SitePath.csvFile("customers", period: "2026-11-21")
            #expect(FileManager.default.fileExists(atPath: site.appendingPathComponent(day).path))
            try db.execute("DELETE FROM customer WHERE id = 'cus_01JNEWNEWNEWNEWNEWNEWNEWNE'")
            let report = try buildSite(db, into: site)
            #expect(report.incremental)
            let customers = try CSVFiles(site: site, list: "customers")
            #expect(!customers.rows.contains { $0[0] == "cus_01JNEWNEWNEWNEWNEWNEWNEWNE" })
            // Its day had no other customer: the file is gone, not left empty.
            #expect(report.removed.contains(day) && customers.days["2026-11-21"] == nil)
        }
    }

    @Test func periodsAreDaysOrUndatedAndNameSafeFiles() {
        #expect(CSVPeriod.isPeriod("2026-11-24") && CSVPeriod.isPeriod(CSVPeriod.undated))
        for bad in ["2026-11", "../../x.csv", "2026-11-2a", "", "2026/11/24"] { #expect(!CSVPeriod.isPeriod(bad), "\(bad)") }
        #expect(SitePath.csvFile("invoices", period: "2026-11-24") == "invoices/csv/2026/2026-11-24.csv")
        #expect(SitePath.csvFile("invoices", period: CSVPeriod.undated) == "invoices/csv/undated.csv")
    }

    @Test func aColumnsIdSitsBesideIt() {
        let layout = ListCSV.layout(columns: ["Received", "Customer", "Invoice", "Amount"], skipped: [], extras: ["Id", "Customer id", "Invoice id", "Note"])
        #expect(layout.map(\.title) == ["Id", "Received", "Customer", "Customer id", "Invoice", "Invoice id", "Amount", "Note"])
        #expect(layout.map(\.source) == [.extra(0), .cell(0), .cell(1), .extra(1), .cell(2), .extra(2), .cell(3), .extra(3)])
    }
}
