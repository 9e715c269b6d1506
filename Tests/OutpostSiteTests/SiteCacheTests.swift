import Foundation
import Testing
import OutpostModel
import OutpostStore
@testable import OutpostSite
import OutpostTestSupport
import OutpostTestThreads

/// The site cache: what a build remembers lives beside the replica, is committed once per build,
/// survives a build killed at any moment, and tells a publish step what to copy and delete.
@Suite("The site cache beside the replica", .ownThreads, .timeLimit(.minutes(20)))
struct SiteCacheTests {
    /// Paths in the tree (hidden ones included) with a component starting with a dot.
    func hiddenPaths(_ site: URL) throws -> [String] {
        try siteFiles(site).keys.filter { $0.split(separator: "/").contains { $0.hasPrefix(".") } }.sorted()
    }

    @Test func thePublishedTreeHoldsTheSiteAndNoBuildState() throws {
        try withTemporaryDirectory { directory in
            let db = try fixtureDatabase(in: directory, customers: 20)
            let site = directory.appendingPathComponent("site")
            // What an older Outpost left in the site directory goes.
            try FileManager.default.createDirectory(at: site, withIntermediateDirectories: true)
            try Data("outpost-site-state 1\n".utf8).write(to: site.appendingPathComponent(".outpost-site-state"))
            let full = try buildSite(db, into: site)
            #expect(full.written.count > 200)
            #expect(try hiddenPaths(site) == [], "after a full build")
            try db.execute("UPDATE customer SET name = 'Renamed For The Tree' WHERE id = (SELECT min(id) FROM customer)")
            let incremental = try buildSite(db, into: site)
            #expect(incremental.incremental && !incremental.written.isEmpty)
            #expect(try hiddenPaths(site) == [], "after an incremental build")
            let names = try siteFiles(site).keys
            #expect(!names.contains { $0.hasSuffix(".sqlite") || $0.contains("manifest") || $0.contains("-rows") || $0.hasSuffix(".lock") },
                    "no build state under any name")
            // It is all beside the replica, in this site's own cache directory.
            let cache = SiteCache.Location(replica: directory, output: site)
            #expect(FileManager.default.fileExists(atPath: cache.database.path))
            #expect(cache.directory.path.hasPrefix(directory.appendingPathComponent("site-cache").path))
            #expect(SiteCache.Location(replica: directory, output: directory.appendingPathComponent("other")).directory != cache.directory,
                    "another output directory has a cache of its own")
        }
    }

    @Test func theCacheRecordsEveryFileOfTheSiteAndTheLastBuildsState() throws {
        try withTemporaryDirectory { directory in
            let db = try fixtureDatabase(in: directory, customers: 12)
            let site = directory.appendingPathComponent("site")
            try buildSite(db, into: site)
            let cache = try SiteCache(SiteCache.Location(replica: directory, output: site))
            #expect(Set(try cache.paths()) == Set(try siteFiles(site).keys), "the record names exactly the files in the tree")
            let state = try #require(cache.state)
            #expect(!cache.interrupted)
            #expect(state.directory == SiteCache.identity(of: site))
            #expect(state.feed == (try SiteChangeFeed.latest(db)))
        }
    }

    @Test func aDirectoryDeletedAndMadeAgainIsBuiltWhole() throws {
        try withTemporaryDirectory { directory in
            let db = try fixtureDatabase(in: directory, customers: 8)
            let site = directory.appendingPathComponent("site")
            let first = try buildSite(db, into: site)
            let before = try siteFiles(site)
            try FileManager.default.removeItem(at: site)
            let again = try buildSite(db, into: site)
            #expect(!again.incremental)
            #expect(again.written.count == first.written.count, "every file is written again")
            #expect(try siteFiles(site) == before)
        }
    }

    @Test func aBuildKilledAtRandomIsFollowedByABuildEqualToAFullOne() throws {
        try #require(OutpostBinary.url != nil, "the outpost binary is built")
        let dir = try TemporaryDirectory("outpost-site-killed")
        let replicaPath = dir.path("replica")
        let now = ["OUTPOST_NOW": "2026-11-24T12:00:00Z"]
        @discardableResult func outpost(_ arguments: [String]) throws -> OutpostBinary.Result {
            let result = try OutpostBinary.run(arguments, environment: now, in: dir.url, timeLimit: 120)
            #expect(result.status == 0, "outpost \(arguments.joined(separator: " ")): \(result.stderr)")
            return result
        }
        try outpost(["fixtures", "generate", "--customers", "60", "--into", replicaPath])
        try outpost(["site", "build", "--replica", replicaPath])
        let site = URL(fileURLWithPath: replicaPath).appendingPathComponent("site")
        let fresh = dir.url.appendingPathComponent("fresh")
        var random = SystemRandomNumberGenerator()
        for round in 0..<4 {
            // Changes as a pull would make them: renames (lists, search, pages) and a payment-free status change.
            do {
                let replica = try Replica.open(URL(fileURLWithPath: replicaPath), clock: SystemClock())
                try replica.db.execute("UPDATE customer SET name = name || ?, version = version + 1 WHERE id IN (SELECT id FROM customer ORDER BY id LIMIT 5 OFFSET ?)",
                                       [" r\(round)", Int64(round * 5)])
                try replica.db.execute("UPDATE customer SET status = 'suspended' WHERE id = (SELECT id FROM customer WHERE status = 'active' ORDER BY id DESC LIMIT 1)")
            }
            // Killed at a random moment (the third time a full build): it may die anywhere, or even finish.
            let delay = UInt32.random(in: 20_000...1_500_000, using: &random)
            let running = try OutpostBinary.start(["site", "build", "--replica", replicaPath] + (round == 2 ? ["--full"] : []), environment: now, in: dir.url)
            usleep(delay)
            running.signal(SIGKILL)
            _ = running.wait()
            try outpost(["site", "build", "--replica", replicaPath])
            try? FileManager.default.removeItem(at: fresh)
            try outpost(["site", "build", "--replica", replicaPath, "--out", fresh.path])
            let mine = try siteFiles(site), theirs = try siteFiles(fresh)
            let differing = Set(mine.keys).union(theirs.keys).filter { mine[$0] != theirs[$0] }.sorted()
            #expect(differing.isEmpty, "round \(round), killed after \(delay / 1000) ms: \(differing.count) files differ from a full build: \(differing.prefix(8))")
            #expect(try hiddenPaths(site) == [], "round \(round): nothing the killed build left behind")
        }
    }

    @Test func aPublishCommandGivenTheChangedAndRemovedFilesKeepsACopyEqualToTheSite() throws {
        try withTemporaryDirectory { directory in
            let db = try fixtureDatabase(in: directory, customers: 15)
            let site = directory.appendingPathComponent("site"), copy = directory.appendingPathComponent("copy")
            try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
            var environment = ProcessInfo.processInfo.environment
            environment["DEST"] = copy.path
            // Copies the listed files and deletes the listed ones, as `rsync --files-from` and an `xargs rm` would.
            let publisher = PublishCommand(command: """
                set -e
                test -f "$OUTPOST_CHANGED_FILES" && test -f "$OUTPOST_REMOVED_FILES"
                tar -C "$OUTPOST_SITE" -cf - -T "$OUTPOST_CHANGED_FILES" | tar -C "$DEST" -xf -
                while IFS= read -r path; do rm -f "$DEST/$path"; done < "$OUTPOST_REMOVED_FILES"
                """, environment: environment)
            func publish() throws -> UnpublishedFiles {
                let unpublished = try UnpublishedFiles.load(replica: directory, site: site)
                try publisher.publish(site: site, from: directory, files: unpublished.write(replica: directory, site: site))
                try UnpublishedFiles.published(replica: directory, site: site)
                return unpublished
            }

            let first = try buildSite(db, into: site)
            var published = try publish()
            #expect(Set(published.changed) == Set(first.written) && published.removed.isEmpty, "the first build: every file")
            #expect(try siteFiles(copy) == siteFiles(site))

            // A rename and a customer removed: only what the builds changed is listed.
            try db.execute("UPDATE customer SET name = 'Published Renamed' WHERE id = (SELECT min(id) FROM customer)")
            let renamed = try buildSite(db, into: site)
            try db.execute("INSERT INTO customer (id, name, status, created_at) VALUES ('cus_01JPUBPUBPUBPUBPUBPUBPUBPU', 'Gone Soon', 'active', '2026-11-20T10:00:00Z')")
            let added = try buildSite(db, into: site)
            try db.execute("DELETE FROM customer WHERE id = 'cus_01JPUBPUBPUBPUBPUBPUBPUBPU'")
            let removed = try buildSite(db, into: site)
            #expect(!removed.removed.isEmpty)
            published = try publish()
            // Written by one build and removed by a later one: only removed.
            let expectedRemoved = Set(removed.removed)
            #expect(Set(published.removed) == expectedRemoved)
            #expect(Set(published.changed) == Set(renamed.written + added.written + removed.written).subtracting(expectedRemoved))
            #expect(published.changed.count < first.written.count / 4, "a few files, not the site")
            #expect(try siteFiles(copy) == siteFiles(site))

            // Nothing changed since: empty lists, and the copy stays equal.
            try buildSite(db, into: site)
            published = try publish()
            #expect(published.changed.isEmpty && published.removed.isEmpty)
            #expect(try siteFiles(copy) == siteFiles(site))
        }
    }
}
