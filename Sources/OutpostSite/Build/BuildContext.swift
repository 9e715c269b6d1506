import Foundation
import OutpostModel
import OutpostStore

/// A page described as blocks: where it goes, what it is called, what it shows.
struct PageModel: Sendable {
    let path: String
    let title: String
    let section: Section
    var blocks: [Block]
    /// Set for a page of a customer's portal: its chrome, and `path` lies inside its directory.
    var portal: PortalChrome? = nil
}

/// What every page generator works with during one build.
final class BuildContext {
    let db: Database
    let output: SiteOutput
    let format: SiteFormat
    let chrome: Chrome
    /// The business date the site is "as of": overdue and expiring are worked out against it.
    let today: BusinessDate
    let search: SearchIndexWriter
    /// Every paginated list's rows as this build leaves them (for the next incremental build).
    let lists: ListStore
    /// The home page's and the money reports' figures, by customer and in sum (kept in the list store).
    let figures: FigureCache
    /// What every page's fingerprint starts with: the chrome and the formatting rules.
    let salt: ContentHash
    private(set) var pages = 0
    /// Told `pages` after each page is emitted.
    var progress: ((Int) -> Void)?
    /// Banner and navigation, rendered once per (depth, section).
    private var frames: [String: Node] = [:]

    init(db: Database, output: SiteOutput, lists: ListStore, settings: ResellerSettings, today: BusinessDate) {
        self.db = db
        self.output = output
        self.lists = lists
        figures = FigureCache(store: lists, asOf: today)
        format = SiteFormat(currency: settings.currencyValue)
        chrome = Chrome(companyName: settings.companyName)
        self.today = today
        search = SearchIndexWriter(output: output)
        salt = BuildContext.salt(settings)
    }

    /// What every page's fingerprint starts with for these settings.
    static func salt(_ settings: ResellerSettings) -> ContentHash {
        var salt = ContentHash()
        salt.add(Chrome.version)
        salt.add(settings.companyName)
        salt.add(settings.currency)
        // A page showing every kind of block and cell, rendered by this build:
        // when a new Outpost renders markup differently, every fingerprint
        // changes with it and the whole site is rewritten once.
        salt.add(BuildContext.probe(format: SiteFormat(currency: settings.currencyValue), chrome: Chrome(companyName: settings.companyName)))
        // Likewise for CSV cells (quoting, formula neutralising): an older site's CSVs are rewritten once.
        salt.add(CSVRecord.document([["=1+1", "-1.00", "a,\"b\"", "@x"]]))
        return salt
    }

    static func probe(format: SiteFormat, chrome: Chrome) -> String {
        let cells: [Cell] = [.text("t"), .link("a.html", "a"), .money(-1), .money(0), .number(1), .date("2026-01-01"), .date(nil),
                             .timestamp("2026-01-01T00:00:00Z"), .status("overdue"), .percent(2500), .blank]
        let blocks: [Block] = [
            .heading("h", id: "h"), .paragraph("p", tone: "warning"), .facts([("f", .text("v"))], caption: "c"),
            .table(columns: cells.map { Column("c", numeric: $0.isNumeric) }, rows: [cells], caption: "c", id: "t", empty: "e", csv: "x.csv"),
            .table(columns: [Column("c")], rows: [], empty: "e"),
            .links([("a.html", "a", true)], label: "l"), .figures([("l", .money(1), "n")]),
            .section(title: "s", id: "s", [.paragraph("p")]),
        ]
        let body = [H.h1("probe")] + blocks.map { $0.render(format, root: "../") }
        return chrome.render(Page("probe/probe.html", "probe", .home, body))
    }

    /// Writes a page if what it shows changed since the last build.
    func emit(_ page: PageModel) throws {
        var hash = salt
        hash.add(page.path)
        hash.add(page.title)
        hash.add(page.section.rawValue)
        hash.add(page.blocks.count)
        for block in page.blocks { block.fingerprint(into: &hash) }
        pages += 1
        if let portal = page.portal {
            // Links and assets are relative to the portal's directory, so it can be published alone.
            portal.fingerprint(into: &hash)
            let inside = String(page.path.dropFirst(portal.directory.count))
            let root = Page.root(of: inside)
            let format = format
            try output.page(page.path, inputs: hash) {
                portal.render(path: inside, title: page.title, body: [H.h1(page.title)] + page.blocks.map { $0.render(format, root: root) })
            }
            progress?(pages)
            return
        }
        let root = Page.root(of: page.path)
        let key = root + "|" + page.section.rawValue
        let frame = frames[key] ?? Node.prerendered(chrome.frame(root: root, section: page.section))
        frames[key] = frame
        let format = format, chrome = chrome
        try output.page(page.path, inputs: hash) {
            var body: [Node] = [H.h1(page.title)]
            body += page.blocks.map { $0.render(format, root: root) }
            return chrome.render(Page(page.path, page.title, page.section, body), frame: frame)
        }
        progress?(pages)
    }

    /// Runs `body` for every row of a query, streaming from the SQLite cursor.
    func forEachRow(_ sql: String, _ arguments: [any SQLBindable] = [], _ body: (Row) throws -> Void) throws {
        try db.forEachRow(sql, arguments, body)
    }
}

/// A query read in step with another ordered by the same key: the rows
/// belonging to each key of the outer stream, without holding the table.
///
/// Both sides must be ordered by the key with SQLite's BINARY collation;
/// ids are ASCII, so comparing UTF-8 bytes agrees with it.
final class KeyedCursor {
    private let statement: Statement
    private let key: String
    private var current: Row?

    init(_ db: Database, _ sql: String, key: String, _ arguments: [any SQLBindable] = []) throws {
        // A fresh statement: several cursors and the outer loop run at once.
        statement = try db.cachedStatement(sql)
        self.key = key
        try statement.bind(arguments.map(\.sqlValue))
        current = try statement.step() ? statement.currentRow() : nil
    }

    deinit {
        statement.reset()
    }

    /// The rows whose key equals `value`; rows with smaller keys (orphans) are skipped.
    func rows(for value: String) throws -> [Row] {
        var result: [Row] = []
        while let row = current {
            let rowKey = row[key].string ?? ""
            if rowKey == value {
                result.append(row)
            } else if !rowKey.utf8.lexicographicallyPrecedes(value.utf8) {
                break
            }
            current = try statement.step() ? statement.currentRow() : nil
        }
        return result
    }
}

/// The rows a page generator reads: all of them, or those of a few entities (an incremental build).
struct Scope {
    let ids: Set<String>?

    init(_ ids: Set<String>?) {
        self.ids = ids
    }

    /// `sql` (which ends in its ORDER BY) limited to rows whose `column` is one of the ids.
    func sql(_ sql: String, _ column: String) -> String {
        guard ids != nil else { return sql }
        // Our own statements, each ending in one top-level ORDER BY after a space or a line break.
        guard let order = sql.range(of: "ORDER BY ", options: .backwards) else { preconditionFailure("no ORDER BY in \(sql)") }
        return sql[..<order.lowerBound] + " WHERE " + column + " IN (SELECT value FROM json_each(?)) " + sql[order.lowerBound...]
    }

    /// The ids as one JSON array argument, when limited.
    var arguments: [any SQLBindable] {
        guard let ids else { return [] }
        return [SQLValue.jsonArray(ids)]
    }
}
