import Foundation
import OutpostModel
import OutpostStore
import OutpostSystem
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything a site build remembers between builds, in one SQLite database
/// beside the replica — never in the published directory.
///
/// It holds the state of the last finished build (`State`: how far into the
/// replica's change feed it read, the business date, the look), a record of
/// every file it produced with the fingerprints of its inputs and bytes
/// (`site_file`, what used to be `.outpost-manifest` and its delta), and the
/// tables of `ListStore` and `SiteLedger`, which create their own.
///
/// A build writes all of it in one transaction and commits once, at its end.
/// A build killed midway leaves the previous build's cache as it was, but it
/// may already have replaced files in the site: so a build first marks the
/// cache "building" in a small transaction of its own, and the build after
/// one that never cleared the mark compares every file with the disk (a
/// `full` build) instead of trusting the record (`interrupted`).
final class SiteCache {
    /// Where a site directory's cache lives.
    ///
    /// One cache per output directory, under `site-cache/` in the replica
    /// directory, named by a fingerprint of the directory's absolute path.
    /// A replica may render its own site and others (`site build --out`);
    /// each directory holds its own files, so each needs its own record, and
    /// keying by the path keeps every trace of the build out of the published
    /// tree (no marker file in it). The replica's default site is one such
    /// directory like any other. A cache whose directory was deleted and made
    /// again is noticed by the directory's inode (`State.directory`).
    struct Location: Sendable {
        /// The directory holding this site's cache, lock and CSV row indexes.
        let directory: URL
        /// The output directory it describes.
        let output: URL

        init(replica: URL, output: URL) {
            self.output = output.standardizedFileURL
            var key = ContentHash()
            key.add(self.output.path)
            directory = replica.standardizedFileURL.appendingPathComponent("site-cache", isDirectory: true)
                .appendingPathComponent(String(key.description.prefix(16)), isDirectory: true)
        }

        var database: URL { directory.appendingPathComponent("cache.sqlite") }
        /// Held by a build (and a publish step) for as long as it works on the directory.
        var lock: URL { directory.appendingPathComponent("build.lock") }
    }

    /// What the last finished build was made from.
    struct State: Equatable {
        /// The change feed position the build's data included.
        var feed: Int64
        var today: BusinessDate
        /// The chrome, formatting and theme the pages were rendered with.
        var look: ContentHash
        /// The output directory as the build left it (`identity(of:)`): another directory at the same path has none of its files.
        var directory: String
    }

    /// What the cache recorded about one file.
    struct FileRecord: Sendable, Equatable {
        var inputs: ContentHash?
        /// nil when not known (a CSV patched in place): compared with the file on disk.
        var output: ContentHash?
    }

    /// Bumped when a table of this file changes shape: an older cache is dropped and the next build is full.
    static let format = "outpost-site-cache 1"

    let db: Database
    let location: Location
    /// The last finished build's state; nil for a new cache or after an interrupted build.
    private(set) var state: State?
    /// A build began and never committed: the site may hold files the record does not describe.
    private(set) var interrupted = false

    /// Opens (or makes) the cache of `location`; a damaged cache or one of another format is replaced by an empty one.
    init(_ location: Location) throws {
        self.location = location
        try LocalFiles.createPrivateDirectory(location.directory.deletingLastPathComponent().path)
        try LocalFiles.createPrivateDirectory(location.directory.path)
        var opened = try? SiteCache.open(location)
        if let candidate = opened, (try? SiteCache.formatOf(candidate)) != SiteCache.format {
            opened = nil
        }
        if let opened {
            db = opened
        } else {
            // Damaged, or of another format: made afresh (the next build is a full one).
            SiteCache.removeFiles(location)
            db = try SiteCache.open(location)
        }
        try db.execute("INSERT OR IGNORE INTO site_state (key, value) VALUES ('format', ?)", [SiteCache.format])
        let values = Dictionary(try db.rows("SELECT key, value FROM site_state").map { (try $0.string("key"), try $0.string("value")) },
                                uniquingKeysWith: { $1 })
        interrupted = values["building"] == "1"
        if !interrupted, let feed = values["feed"].flatMap({ Int64($0) }), let today = values["today"].flatMap({ BusinessDate($0) }),
           let look = values["look"].flatMap({ ContentHash(hex: $0[...]) }), let directory = values["directory"] {
            state = State(feed: feed, today: today, look: look, directory: directory)
        }
    }

    private static func open(_ location: Location) throws -> Database {
        let db = try Database(path: location.database.path)
        try db.executeScript("""
            CREATE TABLE IF NOT EXISTS site_state (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT, WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS site_file (path TEXT PRIMARY KEY, inputs TEXT, output TEXT) STRICT, WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS site_unpublished (path TEXT PRIMARY KEY, removed INTEGER NOT NULL) STRICT, WITHOUT ROWID;
            """)
        return db
    }

    /// The format a cache was made in; "" for one made without (not by this code).
    private static func formatOf(_ db: Database) throws -> String {
        if let format = try db.scalar("SELECT value FROM site_state WHERE key = 'format'")?.string { return format }
        let empty = try db.scalar("SELECT NOT EXISTS (SELECT 1 FROM site_state) AND NOT EXISTS (SELECT 1 FROM site_file)")?.int64 == 1
        return empty ? format : ""
    }

    private static func removeFiles(_ location: Location) {
        for suffix in ["", "-wal", "-shm", "-journal"] { unlink(location.database.path + suffix) }
    }

    /// The output directory's identity as a build leaves it: device, inode and change time (ctime, to the
    /// nanosecond). The inode alone does not tell a directory deleted and made again (file systems hand
    /// a freed inode out again at once); the change time moves whenever an entry is added or removed,
    /// and nothing but a build does that to a site's root. nil when it does not exist.
    static func identity(of directory: URL) -> String? {
        var status = stat()
        guard stat(directory.path, &status) == 0 else { return nil }
        #if canImport(Glibc)
        let changed = status.st_ctim
        #else
        let changed = status.st_ctimespec
        #endif
        return "\(status.st_dev):\(status.st_ino):\(changed.tv_sec).\(changed.tv_nsec)"
    }

    /// Marks the cache "building", committed at once, so a build that never finishes is noticed by the next.
    func markBuilding() throws {
        try db.execute("INSERT OR REPLACE INTO site_state (key, value) VALUES ('building', '1')")
    }

    /// Records the finished build's state and clears the mark; inside the build's transaction.
    func finish(_ state: State) throws {
        for (key, value) in [("feed", String(state.feed)), ("today", state.today.description), ("look", state.look.description),
                             ("directory", state.directory), ("output", location.output.path), ("building", "0")] {
            try db.cachedStatement("INSERT OR REPLACE INTO site_state (key, value) VALUES (?, ?)").execute([.text(key), .text(value)])
        }
        self.state = state
        interrupted = false
    }

    // MARK: The record of files

    /// Every recorded file, in path order.
    func forEachFile(_ body: (String, FileRecord) throws -> Void) throws {
        try db.forEachRow("SELECT path, inputs, output FROM site_file ORDER BY path") { row in
            try body(try row.string("path"), FileRecord(inputs: row["inputs"].string.flatMap { ContentHash(hex: $0[...]) },
                                                        output: row["output"].string.flatMap { ContentHash(hex: $0[...]) }))
        }
    }

    /// Every recorded path, in order.
    func paths() throws -> [String] {
        var paths: [String] = []
        try db.forEachRow("SELECT path FROM site_file ORDER BY path") { paths.append(try $0.string("path")) }
        return paths
    }

    /// The record of one file; nil when there is none.
    func file(_ path: String) throws -> FileRecord? {
        let statement = try db.cachedStatement("SELECT inputs, output FROM site_file WHERE path = ?")
        try statement.bind([.text(path)])
        defer { statement.reset() }
        guard try statement.step() else { return nil }
        return FileRecord(inputs: statement.value(at: 0).string.flatMap { ContentHash(hex: $0[...]) },
                          output: statement.value(at: 1).string.flatMap { ContentHash(hex: $0[...]) })
    }

    func record(_ path: String, _ record: FileRecord) throws {
        try db.cachedStatement("INSERT OR REPLACE INTO site_file (path, inputs, output) VALUES (?, ?, ?)")
            .execute([.text(path), record.inputs.map { .text($0.description) } ?? .null, record.output.map { .text($0.description) } ?? .null])
    }

    func forget(_ path: String) throws {
        try db.cachedStatement("DELETE FROM site_file WHERE path = ?").execute([.text(path)])
    }

    /// Forgets every file: the directory they were in is gone.
    func forgetFiles() throws {
        try db.execute("DELETE FROM site_file")
    }

    // MARK: What the publish step has not seen yet

    /// Notes a file written (`removed` false) or removed since the last publish; a later note for a path replaces an earlier one.
    func unpublished(_ path: String, removed: Bool) throws {
        try db.cachedStatement("INSERT OR REPLACE INTO site_unpublished (path, removed) VALUES (?, ?)")
            .execute([.text(path), .integer(removed ? 1 : 0)])
    }

    /// The files written and removed since the last publish, each in path order.
    func unpublished() throws -> (changed: [String], removed: [String]) {
        var changed: [String] = [], removed: [String] = []
        try db.forEachRow("SELECT path, removed FROM site_unpublished ORDER BY path") { row in
            if try row.int64("removed") == 1 { removed.append(try row.string("path")) } else { changed.append(try row.string("path")) }
        }
        return (changed, removed)
    }

    /// Forgets what was published.
    func published() throws {
        try db.execute("DELETE FROM site_unpublished")
    }
}
