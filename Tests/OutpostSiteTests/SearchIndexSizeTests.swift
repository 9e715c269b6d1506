import Foundation
import Testing
import OutpostModel
import OutpostStore
@testable import OutpostSite
import OutpostTestThreads

/// The search index of a real site: few files, each small, and incremental builds equal to full ones.
@Suite("Search index size", .ownThreads, .timeLimit(.minutes(20)))
struct SearchIndexSizeTests {
    /// What one query may load: the counts file and one file of the index.
    static let queryLimit = 200_000

    /// The files of `search/` in `site`, by name.
    static func searchFiles(_ site: URL) throws -> [String: Data] {
        let directory = site.appendingPathComponent("search")
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
            files[name] = try Data(contentsOf: directory.appendingPathComponent(name))
        }
        return files
    }

    @Test("at 2,000 customers: at most one file per ten entities, and every query loads under 200 kB")
    func indexAtTwoThousandCustomers() async throws {
        let fixture = try await FixtureSite.shared()
        let files = try Self.searchFiles(fixture.site)
        let counts = try SearchBucketFile.readCounts(Array(try #require(files[SearchKey.countsFileName])))
        #expect(counts.entries >= FixtureSite.customerCount, "every customer is an entry, and more")
        #expect(files.count <= counts.entries / 10, "\(files.count) files for \(counts.entries) entities")
        #expect(files.count - 1 <= counts.files)
        let countsSize = files[SearchKey.countsFileName]!.count
        for (name, data) in files {
            #expect(data.count + countsSize < Self.queryLimit, "\(name) is \(data.count) bytes")
        }
        // The file each way of finding a customer loads holds the customer, and is small.
        for customer in fixture.customers.prefix(60) {
            let path = Array(SitePath.customer(customer.id).utf8)
            var words = SearchKey.tokens([customer.name, customer.contact, customer.city, customer.email, customer.taxId].joined(separator: " "))
            words += SearchKey.tokens(customer.name).filter { !SearchKey.isStopWord($0) }.flatMap(SearchKey.trigrams)
            for word in words where !SearchKey.isStopWord(word) && !SearchKey.isSingleLetter(word) {
                let number = SearchKey.fileNumber(SearchKey.bucket(word), files: counts.files)
                let data = try #require(files[SearchKey.fileName(number)], "no file for \(word)")
                #expect(data.count + countsSize < Self.queryLimit)
                let bytes = Array(data)
                let paths = try SearchBucketFile.lines(of: bytes, number: number).map { try SearchLine.field(3, of: bytes[$0]) }
                #expect(paths.contains(path), "\"\(word)\" does not find \(customer.name)")
            }
        }
    }

    @Test("a renamed and a new customer rewrite only the files of their buckets, and equal a full build")
    func incrementalEqualsFull() throws {
        try withTemporaryDirectory { directory in
            let db = try fixtureDatabase(in: directory.appendingPathComponent("replica"), customers: 300)
            let site = directory.appendingPathComponent("site")
            try buildSite(db, into: site)
            let before = try Self.searchFiles(site)
            let counts = try SearchBucketFile.readCounts(Array(try #require(before[SearchKey.countsFileName])))
            let id = try #require(db.scalar("SELECT id FROM customer WHERE id <> 'cus_own' ORDER BY id LIMIT 1 OFFSET 17")?.string)
            let oldEntry = try #require(try Self.entry(db, id))
            try db.execute("UPDATE customer SET name = 'Nova Jade Holdings', version = version + 1 WHERE id = ?", [id])
            try db.execute("""
                INSERT INTO customer (id, name, status, contact_name, city, email, tax_id, created_at)
                VALUES ('cus_01JZZZZZZZZZZZZZZZZZZZZZQ1', 'Quillfeather Logistics', 'active', 'Wilhelmina Osterhout', 'Oberammergau',
                        'ops@quillfeather.example', 'DE811122233', '2026-11-20T10:00:00Z')
                """)
            let report = try buildSite(db, into: site)
            let after = try Self.searchFiles(site)
            let renamed = try #require(try Self.entry(db, id)), added = try #require(try Self.entry(db, "cus_01JZZZZZZZZZZZZZZZZZZZZZQ1"))
            let newCounts = try SearchBucketFile.readCounts(Array(try #require(after[SearchKey.countsFileName])))
            let written = Set(report.written.filter { $0.hasPrefix("search/") }.map { String($0.dropFirst("search/".count)) })
            if newCounts.files == counts.files {
                let lines = [oldEntry, renamed, added].compactMap(\.line)
                let touched = Set(lines.flatMap { $0.files(counts.files) }.map(SearchKey.fileName)).union([SearchKey.countsFileName])
                #expect(written.isSubset(of: touched), "written beyond the new and renamed customers' files: \(written.subtracting(touched).sorted())")
                #expect(written.count < counts.files / 2)
            }
            // The same bytes as a full build of the same data.
            let full = directory.appendingPathComponent("full")
            try buildSite(db, into: full, full: true)
            let expected = try Self.searchFiles(full)
            #expect(Set(after.keys) == Set(expected.keys))
            for (name, data) in expected where after[name] != data { Issue.record("search/\(name) differs from a full build") }
            // And the new words find them: mid-word, by contact, city, e-mail and tax id.
            for (word, path) in [("ade", SitePath.customer(id)), ("osterhout", SitePath.customer("cus_01JZZZZZZZZZZZZZZZZZZZZZQ1")),
                                 ("oberammergau", SitePath.customer("cus_01JZZZZZZZZZZZZZZZZZZZZZQ1")),
                                 ("quillfeather", SitePath.customer("cus_01JZZZZZZZZZZZZZZZZZZZZZQ1")),
                                 ("de811122233", SitePath.customer("cus_01JZZZZZZZZZZZZZZZZZZZZZQ1")),
                                 ("eather", SitePath.customer("cus_01JZZZZZZZZZZZZZZZZZZZZZQ1"))] {
                let number = SearchKey.fileNumber(SearchKey.bucket(word), files: newCounts.files)
                let bytes = Array(try #require(after[SearchKey.fileName(number)]))
                let paths = try SearchBucketFile.lines(of: bytes, number: number).map { String(decoding: try SearchLine.field(3, of: bytes[$0]), as: UTF8.self) }
                #expect(paths.contains(path), "\(word)")
            }
        }
    }

    /// The search entry of customer `id` as the customers list makes it.
    static func entry(_ db: Database, _ id: String) throws -> SearchEntry? {
        guard let row = try db.row("SELECT name, contact_name, city, country, email, tax_id FROM customer WHERE id = ?", [id]) else { return nil }
        let name = row["name"].string ?? ""
        return SearchEntry(kind: "customer", label: name, detail: [row["city"].string ?? "", row["country"].string ?? ""].filter { !$0.isEmpty }.joined(separator: ", "),
                           path: SitePath.customer(id),
                           keys: [name, id, row["email"].string ?? "", row["contact_name"].string ?? "", row["city"].string ?? "", row["tax_id"].string ?? ""])
    }
}
