import Foundation
import OutpostModel
import OutpostStore
import OutpostSync

/// Renders the reseller's read-only dashboard site from a replica database.
///
/// Pages stream from SQLite cursors inside one read transaction, so the
/// site is a consistent snapshot and memory does not grow with the data.
/// Incremental by default: a page whose content fingerprint matches the last
/// build's is neither rendered nor written (see `SiteOutput`).
public struct SiteBuilder {
    public let db: Database
    public let output: URL
    public let theme: Theme
    /// The business date overdue and expiring are worked out against;
    /// `nil` takes the date of the last successful sync, else the clock's.
    public let asOf: BusinessDate?
    public let clock: any Clock
    /// Told the number of pages done after each page (for a progress bar); set after `init`.
    public var progress: ((Int) -> Void)?
    /// Whether the report lists every file written (`SiteBuildReport.written`).
    /// Off by default: a full build of 100,000 customers writes close to a
    /// million files, and their paths alone would take more memory than the
    /// build itself. The count is always there.
    public var listsWrittenFiles = false

    public init(db: Database, output: URL, theme: Theme = .embedded, clock: any Clock, asOf: BusinessDate? = nil) {
        self.db = db
        self.output = output
        self.theme = theme
        self.clock = clock
        self.asOf = asOf
    }

    /// What shows on every page besides its data: the chrome, the formatting rules and the theme.
    private func look(_ context: BuildContext) -> ContentHash {
        var hash = context.salt
        for file in theme.files {
            hash.add(file.name)
            hash.add(Int64(file.bytes.count))
            file.bytes.withUnsafeBytes { hash.add(bytes: $0) }
        }
        return hash
    }

    /// The file a build locks in its output directory for as long as it writes; a publish step takes the
    /// same lock, so it never copies a tree another build is rewriting.
    public static let lockFileName = SiteOutput.manifestName + ".lock"

    /// Builds the site; `full` ignores the last build's manifest and checks every file.
    @discardableResult
    public func build(full: Bool = false) throws -> SiteBuildReport {
        let directory = output.standardizedFileURL
        let lock = try SiteOutput.claim(directory)
        // The state is read under the lock, and gone until this build has finished (see `SiteState`).
        let state = SiteState.load(from: directory)
        SiteState.remove(from: directory)
        let site = try SiteOutput(directory: directory, full: full || state == nil, listsWritten: listsWrittenFiles, lock: lock)
        // A build, even one that fails part-way, lets the pages in flight land and the directory go before it returns.
        defer { site.close() }
        return try db.transaction(.deferred) {
            let status = try SyncStatus.load(from: db)
            let today = asOf ?? status.lastSuccessfulRun.map { ($0.finishedAt ?? $0.startedAt).date } ?? clock.now().date
            let settings = try ResellerSettings.load(from: db)
            let lists = try ListStore(directory: site.directory)
            let context = BuildContext(db: db, output: site, lists: lists, settings: settings, today: today)
            context.progress = progress
            try lists.db.execute("BEGIN")
            for file in theme.files { try site.file("assets/" + file.name, bytes: file.bytes) }
            try SyncPages.build(in: context, status: status)
            try HomePage.build(in: context, status: status)
            try ListPages.build(in: context)
            try CustomerPages.build(in: context)
            try InvoicePages.build(in: context, settings: settings)
            try CatalogPages.plans(in: context)
            try CatalogPages.users(in: context)
            try CatalogPages.settings(in: context, settings: settings)
            try ReportPages.build(in: context)
            try context.search.finish()
            try lists.db.execute("COMMIT")
            let removed = try site.finish()
            try SiteState(journal: 0, today: today, look: look(context)).write(to: directory)
            return SiteBuildReport(asOf: today, pages: context.pages, writtenCount: site.writtenCount, written: site.written,
                                   removed: removed, unchanged: site.unchanged)
        }
    }
}

/// What a build did.
public struct SiteBuildReport: Sendable, Equatable, Codable {
    /// The business date the site is as of.
    public let asOf: BusinessDate
    /// HTML pages the site has (written or not).
    public let pages: Int
    /// How many files were written.
    public let writtenCount: Int
    /// Files written, by path from the site root, sorted; empty unless the
    /// builder was asked for them (`SiteBuilder.listsWrittenFiles`).
    public let written: [String]
    /// Files of the previous build that no longer belong, removed last.
    public let removed: [String]
    /// Files left as they were.
    public let unchanged: Int
}
