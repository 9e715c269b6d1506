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
    private func look(_ salt: ContentHash) -> ContentHash {
        var hash = salt
        for file in theme.files {
            hash.add(file.name)
            hash.add(Int64(file.bytes.count))
            file.bytes.withUnsafeBytes { hash.add(bytes: $0) }
        }
        return hash
    }

    /// After a build of the replica's own site: the journal up to what it included is not needed again
    /// (another directory built later finds it pruned and fingerprints its pages instead).
    public static func pruneJournal(_ db: Database, after report: SiteBuildReport) throws {
        try SiteJournal.prune(db, through: report.journal)
    }

    /// When no site is rendered for a long time the journal is of no use: past this many rows it is pruned whole.
    public static let unrenderedJournalLimit: Int64 = 50_000

    /// Prunes the journal when no build has read it for a long time (`--no-site` syncs).
    public static func trimJournal(_ db: Database) throws {
        let rows = try db.scalar("SELECT count(*) FROM site_change")?.int64 ?? 0
        if rows > unrenderedJournalLimit { try SiteJournal.prune(db, through: try SiteJournal.latest(db)) }
    }

    /// The file a build locks in its output directory for as long as it writes; a publish step takes the
    /// same lock, so it never copies a tree another build is rewriting.
    public static let lockFileName = SiteOutput.manifestName + ".lock"

    /// The files a build keeps for itself in `directory` (its state, manifest, lock, list store and row
    /// indexes), which exist: never published, and for their owner alone (`status` checks their modes).
    public static func stateFiles(in directory: URL) -> [String] {
        let names = [SiteState.fileName, SiteOutput.manifestName, SiteOutput.deltaName, lockFileName]
            + ["", "-wal", "-shm"].map { ListStore.fileName + $0 }
        let indexes = directory.appendingPathComponent(CSVRowIndex.directory)
        let rows = (try? FileManager.default.contentsOfDirectory(atPath: indexes.path)) ?? []
        return (names.map { directory.appendingPathComponent($0).path } + rows.map { indexes.appendingPathComponent($0).path })
            .filter { FileManager.default.fileExists(atPath: $0) }
    }

    /// Builds the site; `full` ignores the last build's manifest and checks every file.
    ///
    /// Three ways, cheapest first: when the replica's change journal covers
    /// everything since the last build and names only rows the site can
    /// follow (`ChangePlan`), just the pages showing those rows are rendered;
    /// otherwise every page's content is fingerprinted and only changed pages
    /// are rendered; and with `full`, or after an interrupted build, every
    /// file is compared with the disk.
    @discardableResult
    public func build(full: Bool = false) throws -> SiteBuildReport {
        let phases = PhaseClock()
        let directory = output.standardizedFileURL
        let lock = try SiteOutput.claim(directory)
        // The state is read under the lock, and gone until this build has finished (see `SiteState`).
        let state = SiteState.load(from: directory)
        SiteState.remove(from: directory)
        // After an interrupted build the list store may be half written: a full build starts it afresh.
        if full || state == nil { ListStore.remove(in: directory) }
        return try db.transaction(.deferred) {
            let status = try SyncStatus.load(from: db)
            let today = asOf ?? status.lastSuccessfulRun.map { ($0.finishedAt ?? $0.startedAt).date } ?? clock.now().date
            let settings = try ResellerSettings.load(from: db)
            let look = look(BuildContext.salt(settings))
            let journal = try SiteJournal.latest(db)
            let lists = try ListStore.open(in: directory)
            var plan: ChangePlan? = nil
            if !full, let state, !lists.wasReset, state.today == today, state.look == look,
               let changes = try SiteJournal.changes(db, after: state.journal, limit: ChangePlan.limit) {
                plan = try ChangePlan(changes, db: db)
            }
            phases.mark("plan")
            let site = try SiteOutput(directory: directory, full: full || state == nil || lists.wasReset, patching: plan != nil,
                                      listsWritten: listsWrittenFiles, lock: lock)
            // A build, even one that fails part-way, lets the pages in flight land and the directory go before it returns.
            defer { site.close() }
            let context = BuildContext(db: db, output: site, lists: lists, settings: settings, today: today)
            context.progress = progress
            try lists.db.execute("BEGIN")
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
            try lists.db.execute("COMMIT")
            let removed = try site.finish()
            phases.mark("finish")
            try SiteState(journal: journal, today: today, look: look).write(to: directory)
            return SiteBuildReport(asOf: today, pages: context.pages, writtenCount: site.writtenCount, written: site.written,
                                   removed: removed, unchanged: site.unchanged, incremental: plan != nil, journal: journal)
        }
    }

    /// Builds the home page and remembers what it shows besides its figures.
    private func home(in context: BuildContext, status: SyncStatus) throws {
        let named = try HomePage.build(in: context, status: status)
        try context.lists.setMeta("home.customers", named.sorted().joined(separator: "\n"))
        try context.lists.setMeta("home.sync", SiteBuilder.homeSync(status))
    }

    /// Swaps the customer cells of renamed customers in the home page's bytes (both rendered by the
    /// escaping builder), on a worker thread; `failed` hears of it when the page does not hold them.
    /// `old` and `new` are the names by the customer's page.
    private func renameOnHome(_ customers: Set<String>, old: [String: String], new: [String: String], in context: BuildContext,
                              failed: UnpatchedRows) throws {
        var swaps: [(old: [UInt8], new: [UInt8])] = []
        let root = Page.root(of: Section.home.path)
        for id in customers.sorted() {
            let href = SitePath.customer(id)
            guard let before = old[href], let after = new[href] else {
                failed.add("home", [id])
                return
            }
            swaps.append((Array(Cell.link(href, before).td(context.format, root: root).render().utf8),
                          Array(Cell.link(href, after).td(context.format, root: root).render().utf8)))
        }
        try context.output.swapBytes(in: Section.home.path, swaps, failed: { failed.add("home", Array(customers)) })
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

    /// Renders only what the journal's changes show on: the sync page always, the
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
        let homeRebuilt = plan.financial || plan.conflicts || shownSync != SiteBuilder.homeSync(status)
        let homeFailed = UnpatchedRows()
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
        let rows = try plan.listRows()
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
        // The figures: the changed customers' parts out, their new ones in (no part holds a name or an address).
        if plan.financial { try context.figures.update(customers: plan.customers, from: db) }
        phases.mark("figures")
        if homeRebuilt {
            try home(in: context, status: status)
        } else if !named.isDisjoint(with: plan.customerRows) {
            // No figure moved: only the names of renamed customers in "Needs attention" change.
            try renameOnHome(named.intersection(plan.customerRows), old: oldNames, new: names, in: context, failed: homeFailed)
        }
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
        let invoices = try ChangePlan.existing("invoice", plan.invoices, in: db)
        try InvoicePages.build(in: context, settings: settings, only: invoices)
        for id in plan.invoices.subtracting(invoices) { try context.output.remove(SitePath.invoice(id)) }
        let invoicesFailed = UnpatchedRows()
        try InvoicePages.rename(plan.renamedOnInvoices, old: oldNames, new: names, in: context, failed: invoicesFailed)
        phases.mark("invoice pages")
        // A portal shows only what its customer's page does, and a portal enabled, renewed or disabled marks its customer.
        try PortalPages.build(in: context, settings: settings, theme: theme, only: plan.customers, patching: true)
        phases.mark("portals")
        let reports = plan.reports.subtracting(["aging"])
        if !reports.isEmpty { try ReportPages.build(in: context, only: reports) }
        // A month's page names its customers: a rename redoes the months it shows on (moved figures redid them all).
        if reports.isDisjoint(with: ReportPages.monthly) { try ReportMonthPages.renamed(in: context, customers: plan.customerRows) }
        if plan.reports.contains("aging") {
            // Money moved for these customers: their rows and the totals.
            try ReportPages.aging(context, customers: plan.customers)
        } else {
            // The per-customer aging rows name their customers.
            let owing = try plan.customerRows.filter { try context.lists.entry(ReportPages.agingDirectory, id: $0) != nil }
            if !owing.isEmpty { try ReportPages.patchAging(context, customers: owing, currency: settings.currencyValue) }
        }
        phases.mark("reports")
        let files = try searchFiles.value()
        phases.mark("search index")
        // Pages a worker could not patch are rendered whole.
        try context.output.waitForRenders()
        if !homeFailed.byList.isEmpty { try home(in: context, status: status) }
        if let ids = invoicesFailed.byList["invoices"] { try InvoicePages.build(in: context, settings: settings, only: ids) }
        let unpatched = context.unpatched.byList
        for list in lists { if let ids = unpatched[list.directory] { try list.renderAgain(in: context, ids: ids) } }
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
    /// Files written, by path from the site root, sorted; empty unless the
    /// builder was asked for them (`SiteBuilder.listsWrittenFiles`).
    public let written: [String]
    /// Files of the previous build that no longer belong, removed last.
    public let removed: [String]
    /// Files left as they were.
    public let unchanged: Int
    /// Whether only the pages showing the rows the change journal named were rendered.
    public var incremental = false
    /// The change journal's position the site includes: the replica's own site build prunes the journal up to it.
    public var journal: Int64 = 0
}
