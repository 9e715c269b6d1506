import Foundation
import Testing
import OutpostModel
import OutpostStore
@testable import OutpostSite
import OutpostTestThreads

@Suite("Incremental, atomic, reproducible builds", .ownThreads)
struct IncrementalBuildTests {
    /// Paths whose bytes differ between two snapshots (added, changed or removed).
    func changed(_ before: [String: Data], _ after: [String: Data]) -> Set<String> {
        var result = Set<String>()
        for (path, data) in after where before[path] != data { result.insert(path) }
        for path in before.keys where after[path] == nil { result.insert(path) }
        return result
    }

    @Test func renamingOneCustomerRewritesExactlyThePagesThatShowIt() throws {
        try withTemporaryDirectory { directory in
            let db = try fixtureDatabase(in: directory, customers: 110)
            let site = directory.appendingPathComponent("site")
            let first = try buildSite(db, into: site)
            #expect(first.removed.isEmpty)
            let before = try siteFiles(site)
            let unwritten = Set(before.keys).subtracting(first.written)
            #expect(unwritten.isEmpty, "the first build writes every file")
            #expect(first.written.count == Set(first.written).count)

            // Nothing changed: nothing is written.
            let again = try buildSite(db, into: site)
            #expect(again.written.isEmpty)
            #expect(again.removed.isEmpty)
            #expect(try siteFiles(site) == before)

            // One customer renamed (as a pull from the node would do it).
            let id = try #require(db.scalar("SELECT id FROM customer ORDER BY name LIMIT 1 OFFSET 105")?.string)
            try db.execute("UPDATE customer SET name = 'Zephyr Renamed Holdings', version = version + 1 WHERE id = ?", [id])
            let third = try buildSite(db, into: site)
            let after = try siteFiles(site)
            let expected = changed(before, after)
            #expect(Set(third.written).symmetricDifference(expected).isEmpty, "written files are exactly the files whose bytes changed: \(Set(third.written).symmetricDifference(expected).sorted().prefix(10))")
            #expect(third.written.count == Set(third.written).count)
            #expect(third.removed.isEmpty)
            let written = Set(third.written)
            #expect(written.contains(SitePath.customer(id)))
            // The CSV file of the day the customer joined (the name is in it), no other.
            let joined = try #require(db.scalar("SELECT substr(created_at, 1, 10) FROM customer WHERE id = ?", [id])?.string)
            #expect(written.contains(SitePath.csvFile("customers", period: joined)))
            #expect(written.contains { $0.hasPrefix("customers/") && ($0.hasSuffix("index.html") || $0.contains("/p-")) }, "the customers list page showing it")
            #expect(written.contains { $0.hasPrefix("search/") }, "the search index")
            #expect(!written.contains { $0.hasPrefix("assets/") })
            // Every page that now shows the new name was rewritten; nothing else was touched.
            for (path, data) in after where path.hasSuffix(".html") && String(decoding: data, as: UTF8.self).contains("Zephyr Renamed Holdings") {
                #expect(written.contains(path), "\(path) shows the customer but was not rewritten")
            }
            #expect(written.count < after.count / 10, "an incremental build rewrites a small part of the site")
            // The bucket of the new name finds it.
            let counts = try SearchBucketFile.readCounts(Array(after["search/" + SearchKey.countsFileName] ?? Data()))
            let bucket = "search/" + SearchKey.fileName(SearchKey.fileNumber(SearchKey.bucket("zephyr"), files: counts.files))
            #expect(written.contains(bucket))
            #expect(String(decoding: after[bucket] ?? Data(), as: UTF8.self).contains("Zephyr Renamed Holdings"))
        }
    }

    @Test func aRemovedEntitysPageDisappears() throws {
        try withTemporaryDirectory { directory in
            let db = try fixtureDatabase(in: directory, customers: 10)
            try db.execute("""
                INSERT INTO customer (id, name, status, created_at) VALUES ('cus_01JZZZZZZZZZZZZZZZZZZZZZZZ', 'Short-lived Customer', 'active', '2026-11-20T10:00:00Z')
                """)
            let site = directory.appendingPathComponent("site")
            try buildSite(db, into: site)
            let page = SitePath.customer("cus_01JZZZZZZZZZZZZZZZZZZZZZZZ")
            #expect(FileManager.default.fileExists(atPath: site.appendingPathComponent(page).path))
            try db.execute("DELETE FROM customer WHERE id = 'cus_01JZZZZZZZZZZZZZZZZZZZZZZZ'")
            let report = try buildSite(db, into: site)
            #expect(report.removed.first == page)
            #expect(report.removed.dropFirst().allSatisfy { $0.hasPrefix("search/") || $0.hasSuffix("/p-cus_01JZZZZZZZZZZZZZZZZZZZZZZZ.html")
                        || $0 == SitePath.csvFile("customers", period: "2026-11-20") },
                    "besides the page, only search buckets only it was in, a list page that began with it, and the CSV file of its day, which only it was in: \(report.removed)")
            #expect(!FileManager.default.fileExists(atPath: site.appendingPathComponent(page).path))
            #expect(report.written.contains("customers/index.html"))
            // No temporary files are left behind.
            #expect(try siteFiles(site).keys.allSatisfy { !$0.contains(".tmp-outpost") && !$0.contains(".outpost-staging") })
        }
    }

    @Test func twoBuildsOfTheSameDataAreByteIdentical() throws {
        try withTemporaryDirectory { directory in
            let db = try fixtureDatabase(in: directory, customers: 40)
            let first = directory.appendingPathComponent("one"), second = directory.appendingPathComponent("two")
            try buildSite(db, into: first)
            try buildSite(db, into: second)
            let a = try siteFiles(first), b = try siteFiles(second)
            #expect(a.count > 300)
            #expect(a == b)
            // A full rebuild over an existing site finds every file already right.
            let full = try buildSite(db, into: first, full: true)
            #expect(full.written.isEmpty, "a full build compares with the files on disk and rewrites none")
            #expect(try siteFiles(first) == a)
        }
    }

    @Test func aFullBuildRepairsAFileChangedBehindItsBack() throws {
        try withTemporaryDirectory { directory in
            let db = try fixtureDatabase(in: directory, customers: 5)
            let site = directory.appendingPathComponent("site")
            try buildSite(db, into: site)
            let before = try siteFiles(site)
            try Data("broken".utf8).write(to: site.appendingPathComponent("plans.html"))
            let report = try buildSite(db, into: site, full: true)
            #expect(report.written.contains("plans.html"))
            #expect(try siteFiles(site) == before)
        }
    }

    @Test func twoBuildsCannotWriteIntoOneDirectoryAtOnce() throws {
        try withTemporaryDirectory { directory in
            let location = SiteCache.Location(replica: directory, output: directory.appendingPathComponent("site"))
            let first = try SiteOutput(cache: SiteCache(location), full: false)
            #expect(throws: SiteBuildError.self) { try SiteOutput(cache: SiteCache(location), full: false) }
            _ = try first.finish()
        }
    }
}
