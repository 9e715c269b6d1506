import Foundation
import OutpostModel
import OutpostStore

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
    private func look(_ salt: ContentHash) -> ContentHash {
        var hash = salt
        for file in theme.files {
            hash.add(file.name)
            hash.add(Int64(file.bytes.count))
            file.bytes.withUnsafeBytes { hash.add(bytes: $0) }
        }
        return hash
    }

    /// After a build of the replica's own site: the change feed up to what it included is not needed again
    /// (another directory built later finds it pruned and fingerprints its pages instead).
    public static func pruneChangeFeed(_ db: Database, after report: SiteBuildReport) throws {
        try SiteChangeFeed.prune(db, through: report.feed)
    }

    /// When no site is rendered for a long time the change feed is of no use: past this many rows it is pruned whole.
    public static let unrenderedFeedLimit: Int64 = 50_000

    /// Prunes the change feed when no build has read it for a long time (`--no-site` syncs).
    public static func trimChangeFeed(_ db: Database) throws {
        let rows = try db.scalar("SELECT count(*) FROM site_change")?.int64 ?? 0
        if rows > unrenderedFeedLimit { try SiteChangeFeed.prune(db, through: try SiteChangeFeed.latest(db)) }
    }

    /// The directory holding the site cache of `site` rendered from the replica in `replica`
    /// (`SiteCache.Location`): the cache database, the build lock and the CSV row indexes.
    public static func cacheDirectory(replica: URL, site: URL) -> URL {
        SiteCache.Location(replica: replica, output: site).directory
    }

    /// The lock a build of `site` holds; a publish step takes the same lock, so it never copies a
    /// tree a build is rewriting.
    public static func lockFile(replica: URL, site: URL) -> URL {
        SiteCache.Location(replica: replica, output: site).lock
    }

    /// The files a build of `site` keeps for itself beside the replica (its cache, lock and row
    /// indexes), which exist: never published, and for their owner alone (`status` checks their modes).
    public static func stateFiles(replica: URL, site: URL) -> [String] {
        let directory = cacheDirectory(replica: replica, site: site)
        guard let walker = FileManager.default.enumerator(atPath: directory.path) else { return [] }
        var files: [String] = []
        while let relative = walker.nextObject() as? String {
            if walker.fileAttributes?[.type] as? FileAttributeType == .typeRegular { files.append(directory.appendingPathComponent(relative).path) }
        }
        return files.sorted()
    }

    /// The replica directory the site cache goes in: the replica database's own directory.
    var replicaDirectory: URL {
        guard !db.path.isEmpty, db.path != ":memory:", !db.path.hasPrefix("file:") else { return output.deletingLastPathComponent() }
        return URL(fileURLWithPath: db.path).deletingLastPathComponent()
    }

    /// Builds the site; `full` trusts nothing the cache recorded and compares every file with the disk.
    ///
    /// Three ways, cheapest first: when the replica's change feed covers
    /// everything since the last build and names only rows the site can
    /// follow (`ChangePlan`), just the pages showing those rows are rendered;
    /// otherwise every page's content is fingerprinted and only changed pages
    /// are rendered; and with `full`, after an interrupted build, or into a
    /// directory the cache does not know, every file is compared with the disk.
    /// All the build remembers is committed to the site cache in one transaction at its end.
    @discardableResult
    public func build(full: Bool = false) throws -> SiteBuildReport {
        let phases = PhaseClock()
        let location = SiteCache.Location(replica: replicaDirectory, output: output)
        let lock = try SiteOutput.claim(location)
        let cache = try SiteCache(location)
        let identity = SiteCache.identity(of: location.output) ?? ""
        // The last finished build's state, when it describes this very directory and no build died since.
        let state = cache.state.flatMap { $0.directory == identity ? $0 : nil }
        SiteBuilder.removeLeftovers(in: location.output, temporaries: cache.interrupted || state == nil)
        // Builds before CSVs by day kept a row index of each big CSV in the site: gone with them.
        try? FileManager.default.removeItem(at: location.output.appendingPathComponent(".outpost-csv-rows"))
        try cache.markBuilding()
        let lists = try ListStore(db: cache.db)
        return try db.transaction(.deferred) {
            try cache.db.transaction(.immediate) {
                // Records of another directory that stood at this path describe none of these files.
                if let previous = cache.state, previous.directory != identity { try cache.forgetFiles() }
                let status = try SyncStatus.load(from: db)
                let today = asOf ?? status.lastSuccessfulRun.map { ($0.finishedAt ?? $0.startedAt).date } ?? clock.now().date
                let settings = try ResellerSettings.load(from: db)
                let look = look(BuildContext.salt(settings))
                let feed = try SiteChangeFeed.latest(db)
                var plan: ChangePlan? = nil
                if !full, let state, !lists.wasReset, state.look == look, state.today == today || NewDay.follows(from: state.today, to: today),
                   let changes = try SiteChangeFeed.changes(db, after: state.feed, limit: ChangePlan.limit) {
                    // A new day: the rows whose dated facts moved count as changed (`NewDay`).
                    let dated = state.today == today ? [] : try NewDay.changes(from: state.today, to: today, db: db)
                    plan = try ChangePlan(changes + dated, newDay: state.today != today, db: db)
                }
                phases.mark("plan")
                let site = try SiteOutput(cache: cache, full: full || state == nil || lists.wasReset, patching: plan != nil,
                                          listsWritten: listsWrittenFiles, lock: lock)
                // A build, even one that fails part-way, lets the pages in flight land and the directory go before it returns.
                defer { site.close() }
                let context = BuildContext(db: db, output: site, lists: lists, settings: settings, today: today)
                context.progress = progress
                if let plan {
                    try patch(plan, in: context, status: status, settings: settings, phases: phases)
                } else {
                    // Every list is read again from the replica, with the current names.
                    try lists.clearRenames()
                    for file in theme.files { try site.file("assets/" + file.name, bytes: file.bytes) }
                    try SyncPages.build(in: context, status: status)
                    try context.figures.rebuild(from: db)
                    phases.mark("figures")
                    try home(in: context, status: status)
                    try ListPages.build(in: context)
                    try CustomerPages.build(in: context)
                    try InvoicePages.build(in: context, settings: settings)
                    try PortalPages.build(in: context, settings: settings, theme: theme)
                    try CatalogPages.plans(in: context)
                    try CatalogPages.users(in: context)
                    try CatalogPages.settings(in: context, settings: settings)
                    try OwnPurchasesPage.build(in: context)
                    try ReportPages.build(in: context)
                    try context.search.finish()
                }
                let removed = try site.finish()
                phases.mark("finish")
                // The directory as this build leaves it: its entries do not change again until the next build.
                try cache.finish(SiteCache.State(feed: feed, today: today, look: look, directory: SiteCache.identity(of: location.output) ?? ""))
                return SiteBuildReport(asOf: today, pages: context.pages, writtenCount: site.writtenCount, writtenBytes: site.writtenBytes, written: site.written,
                                       removed: removed, unchanged: site.unchanged, incremental: plan != nil, feed: feed)
            }
        }
    }

    /// What older Outposts kept in the site directory itself (build state that must not be published).
    static let formerStateFiles = [".outpost-manifest", ".outpost-manifest-delta", ".outpost-manifest.lock", ".outpost-site-state",
                                   ".outpost-lists.sqlite", ".outpost-lists.sqlite-journal", ".outpost-lists.sqlite-wal", ".outpost-lists.sqlite-shm"]

    /// Removes from the site directory what an older Outpost kept there, and with `temporaries` (after a build
    /// that died, or into a directory the cache does not know) the temporary files and staging a build leaves
    /// behind when it is killed: the published tree holds the site and nothing else.
    static func removeLeftovers(in directory: URL, temporaries: Bool) {
        for name in formerStateFiles { unlink(directory.appendingPathComponent(name).path) }
        try? FileManager.default.removeItem(at: directory.appendingPathComponent(".outpost-csv-rows"))
        guard temporaries else { return }
        try? FileManager.default.removeItem(at: directory.appendingPathComponent(".outpost-staging"))
        guard let walker = FileManager.default.enumerator(atPath: directory.path) else { return }
        while let relative = walker.nextObject() as? String {
            if relative.hasSuffix(".tmp-outpost") { unlink(directory.appendingPathComponent(relative).path) }
        }
    }

    /// Builds the home page and remembers what it shows besides its figures.
    private func home(in context: BuildContext, status: SyncStatus) throws {
        let named = try HomePage.build(in: context, status: status)
        try context.lists.setMeta("home.customers", named.sorted().joined(separator: "\n"))
        try context.lists.setMeta("home.sync", SiteBuilder.homeSync(status))
    }

    /// The names renamed customers had at the last build, by their page, as the customers list shows
    /// them; read before the list takes the new ones.
    private func shownNames(_ customers: Set<String>, in context: BuildContext) throws -> [String: String] {
        var names: [String: String] = [:]
        for id in customers {
            if let entry = try context.lists.entry("customers", id: id), case .link(let href, let name)? = context.lists.cells(entry.cells).first {
                names[href] = name
            }
        }
        return names
    }

    /// The sync figures the home page shows (rejected changes and conflicts).
    private static func homeSync(_ status: SyncStatus) -> String { "\(status.rejected) \(status.conflicts)" }

    /// Renders only what the change feed's changes show on: the sync page always, the
    /// list pages around changed rows, the changed customers' and invoices' pages,
    /// the home page and reports when their figures or names can have moved, and
    /// the search index entries and CSV rows of changed rows, patched in place.
    private func patch(_ plan: ChangePlan, in context: BuildContext, status: SyncStatus, settings: ResellerSettings, phases: PhaseClock) throws {
        try SyncPages.build(in: context, status: status)
        phases.mark("sync page")
        // The new names of renamed customers, by their page (what list cells and the home page link to).
        var names: [String: String] = [:]
        try db.forEachRow("SELECT id, name FROM customer WHERE id IN (SELECT value FROM json_each(?))", Scope(plan.customerRows).arguments) { row in
            names[SitePath.customer(row["id"].string ?? "")] = row["name"].string ?? ""
        }
        let named = Set((try context.lists.meta("home.customers") ?? "").split(separator: "\n").map(String.init))
        let shownSync = try context.lists.meta("home.sync")
        // The home page is rendered whole when a figure moved, or a customer it names was renamed.
        let homeRebuilt = plan.newDay || plan.financial || plan.conflicts || shownSync != SiteBuilder.homeSync(status)
            || !named.isDisjoint(with: plan.customerRows)
        let oldNames = try shownNames(plan.customerRows, in: context)
        // Renamed customers: every page rendered from the list store shows their new names from here on.
        var renamed: [String: (old: String, new: String)] = [:]
        for (href, old) in oldNames.sorted(by: { $0.key < $1.key }) {
            guard let new = names[href], new != old else { continue }
            renamed[href] = (old, new)
            try context.lists.rename(href, to: new)
        }
        // The lists first: their CSVs, the biggest files, are patched on worker threads while the rest is rendered.
        var search: [SearchChange] = []
        let rows = try ListPages.rowsToRedo(plan, in: context)
        let lists = ListPages.lists(context)
        for list in lists {
            let redo = rows[list.directory]
            search += try list.update(in: context, ids: redo?.ids ?? [], shownOnly: redo?.shownOnly ?? [:], renamed: renamed)
            phases.mark("list \(list.directory), \(redo?.ids.count ?? 0) rows")
        }
        // The search buckets are patched on a thread of their own while the pages below are rendered.
        let output = context.output
        let changes = search
        let searchFiles = Concurrently { try SearchIndexPatch.apply(changes) { output.contents("search/" + $0) } }
        // What each month's page counts before the figures move: a month whose counts move is redone (`ReportMonthPages.touched`).
        let monthCounts = try ReportMonthPages.counts(context)
        // The figures: the changed customers' parts out, their new ones in (no part holds a name or an address).
        if plan.financial { try context.figures.update(customers: plan.customers, from: db) }
        phases.mark("figures")
        if homeRebuilt { try home(in: context, status: status) }
        phases.mark("home page")
        if plan.customers.contains(Customer.ownAccountId) {
            // The reseller's own purchases changed: their page and the settings page's count show them.
            try OwnPurchasesPage.build(in: context)
            try CatalogPages.settings(in: context, settings: settings)
        }
        let customers = try ChangePlan.existing("customer", plan.customers, in: db)
        try CustomerPages.build(in: context, only: customers)
        for id in plan.customers.subtracting(customers) { try context.output.remove(SitePath.customer(id)) }
        phases.mark("customer pages")
        // An invoice showing a renamed customer is rendered whole, like any other.
        let invoices = try ChangePlan.existing("invoice", plan.invoices.union(plan.renamedOnInvoices.keys), in: db)
        try InvoicePages.build(in: context, settings: settings, only: invoices)
        for id in plan.invoices.subtracting(invoices) { try context.output.remove(SitePath.invoice(id)) }
        phases.mark("invoice pages")
        // A portal shows only what its customer's page does, and a portal enabled, renewed or disabled marks its customer.
        // On a new day every portal's pages say the new date.
        let portals = plan.newDay ? plan.customers.union(try db.rows("SELECT id FROM customer_portal").map { try $0.string("id") }) : plan.customers
        try PortalPages.build(in: context, settings: settings, theme: theme, only: portals, patching: true)
        phases.mark("portals")
        // On a new day every report says the new date, and the aging report's every page does.
        let reports = (plan.newDay ? Set(ReportPages.names) : plan.reports).subtracting(["aging"])
        if !reports.isEmpty { try ReportPages.build(in: context, only: reports) }
        try ReportMonthPages.build(in: context, months: try ReportMonthPages.touched(by: plan, countsBefore: monthCounts, in: context))
        if plan.newDay {
            try ReportPages.aging(context)
        } else if plan.reports.contains("aging") {
            // Money moved for these customers: their rows and the totals.
            try ReportPages.aging(context, customers: plan.customers)
        } else {
            // The per-customer aging rows name their customers.
            let owing = try plan.customerRows.filter { try context.lists.entry(ReportPages.agingDirectory, id: $0) != nil }
            if !owing.isEmpty { try ReportPages.patchAging(context, customers: owing) }
        }
        phases.mark("reports")
        let files = try searchFiles.value()
        phases.mark("search index")
        try context.output.waitForRenders()
        for (name, bytes) in files.sorted(by: { $0.key < $1.key }) {
            if let bytes { try context.output.file("search/" + name, bytes: bytes, changed: true) } else { try context.output.remove("search/" + name) }
        }
    }
}

/// Work done on a thread of its own while the caller goes on; `value()` waits for its result.
final class Concurrently<Value: Sendable>: @unchecked Sendable {
    /// Set once by the worker, read after `done` is signalled.
    private var result: Result<Value, any Error>?
    private let done = DispatchSemaphore(value: 0)

    init(_ work: @escaping @Sendable () throws -> Value) {
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            result = Result { try work() }
            done.signal()
        }
    }

    func value() throws -> Value {
        done.wait()
        done.signal()
        return try result!.get()
    }
}

/// Where a build's time goes, phase by phase, on standard error when `OUTPOST_SITE_TIMING` is set
/// (for working on build speed; see the README's benchmark section). Costs nothing otherwise.
final class PhaseClock {
    private let enabled = ProcessInfo.processInfo.environment["OUTPOST_SITE_TIMING"] != nil
    private var last = DispatchTime.now().uptimeNanoseconds

    /// Reports the time since the last mark as `phase`'s.
    func mark(_ phase: @autoclosure () -> String) {
        guard enabled else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        FileHandle.standardError.write(Data(String(format: "site build: %@ %.1f ms\n", phase(), Double(now - last) / 1e6).utf8))
        last = now
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
    /// How many bytes those files hold.
    public let writtenBytes: Int
    /// Files written, by path from the site root, sorted; empty unless the
    /// builder was asked for them (`SiteBuilder.listsWrittenFiles`).
    public let written: [String]
    /// Files of the previous build that no longer belong, removed last.
    public let removed: [String]
    /// Files left as they were.
    public let unchanged: Int
    /// Whether only the pages showing the rows the change feed named were rendered.
    public var incremental = false
    /// The change feed's position the site includes: the replica's own site build prunes the feed up to it.
    public var feed: Int64 = 0
}
