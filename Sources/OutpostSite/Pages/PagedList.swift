import Foundation
import OutpostModel
import OutpostStore

/// A list of rows cut into pages, with every row in a CSV beside it.
///
/// Pages follow the list's order and are cut by `ListChunker`: a page starts
/// at a row chosen by its id, so a page keeps its rows however the rest of
/// the list grows, and one changed row rewrites one page (rarely two), never
/// every page after it as numbered pages would. The first page is
/// `DIR/index.html`; the others are named after their first row,
/// `DIR/p-ROWID.html`, and link to the first, previous and next pages.
///
/// A full build streams the rows into the list store (`ListStore`) and cuts
/// the pages from it; an incremental build (`update`) re-reads only the
/// changed rows and rewrites only the pages around them. The CSV holds every
/// row (`ListCSV`): a long list's in one file per day, rewritten whole.
struct PagedList {
    /// Directory from the site root: `customers`, `users/usr_…`; also the list's name in the store.
    let directory: String
    let title: String
    let section: Section
    /// Shown above the table on every page.
    var intro: [Block] = []
    let columns: [Column]
    /// What an empty list says.
    let empty: String
    /// `SELECT … FROM … JOIN …` with an `id` column, without WHERE or ORDER BY.
    let select: String
    /// A condition rows must meet (`o.status IN (…)`), if any.
    var filter: String? = nil
    var arguments: [any SQLBindable] = []
    /// The id column in `select` (`c.id`): how one row is read again.
    let idColumn: String
    /// The ORDER BY the rows stream in; `key` gives the same order as bytes.
    let order: String
    let key: (Row) -> [KeyPart]
    /// Whether the order follows customers' names (a renamed customer's rows move).
    var keyShowsCustomer = false
    /// CSV file name inside `directory`; nil when the list has no CSV of its own.
    let csvName: String?
    /// Cuts a long list's CSV into one file per day (`CSVPeriod`); nil keeps one file, `csvName`. Only for
    /// a list whose `select` has an `id` column and takes no arguments (its `filter` may).
    var csvPeriod: CSVPeriod? = nil
    /// Where the table's CSV link points when the list has no CSV of its own (a report's CSV).
    var csvLink: String? = nil
    /// Visible columns left out of the CSV (a customer's name: the CSV has the customer id).
    var csvSkipped: Set<Int> = []
    /// Extra CSV columns after the visible ones; the first must be `Id`, which leads the CSV.
    var csvExtraHeader: [String] = ["Id"]
    let cells: (Row) throws -> [Cell]
    var csvExtra: (Row) throws -> [String] = { [$0["id"].string ?? ""] }
    /// The row's entry in the search index, for lists the search box finds.
    var search: ((Row) -> SearchEntry)? = nil
    /// Shown below the table on every page.
    var outro: [Block] = []

    /// The page of the chunk named `name` (`index` for the first page).
    func pagePath(_ name: String) -> String { directory + "/" + name + ".html" }

    static func chunkName(_ firstId: String) -> String { "p-" + SitePath.file(firstId) }

    var csvPath: String? { csvName.map { directory + "/" + $0 } }

    var fullSQL: String {
        select + (filter.map { " WHERE " + $0 } ?? "") + " ORDER BY " + order
    }

    // MARK: Full build

    /// Builds every page and the CSV from the query, and records the rows in the list store; returns the number of rows.
    @discardableResult
    func build(in context: BuildContext) throws -> Int {
        var count = 0
        try build(in: context) { sink in
            try context.forEachRow(fullSQL, arguments) { row in
                if let search { try context.search.add(search(row)) }
                try sink(try entry(row))
                count += 1
            }
        }
        try ListCSV(self).writeAll(in: context)
        return count
    }

    /// Builds every page from entries a closure streams (a report's rows), with no CSV of its own.
    func build(in context: BuildContext, rows source: (_ sink: (ListStore.Entry) throws -> Void) throws -> Void) throws {
        let store = context.lists
        // An incremental build that redoes a whole list removes the pages it no longer has itself.
        let old = context.output.patching ? try pageNames(in: store) : []
        try store.clear(directory)
        try source { try store.insert(directory, $0) }
        let new = try emitAll(in: context)
        for name in old.subtracting(new) { try context.output.remove(pagePath(name)) }
    }

    /// The names of the list's pages as the store has them.
    private func pageNames(in store: ListStore) throws -> Set<String> {
        Set(try store.pages(directory).map { $0.map(PagedList.chunkName) ?? "index" })
    }

    static func entry(id: String, key: [KeyPart], cells: [Cell]) -> ListStore.Entry {
        ListStore.Entry(key: ListKey.make(key), id: id, hard: ListChunker.isHard(id), cells: CellCodec.encode(cells))
    }

    private func entry(_ row: Row) throws -> ListStore.Entry {
        PagedList.entry(id: row["id"].string ?? "", key: key(row), cells: try cells(row))
    }

    /// Cuts the stored list into pages and emits each, one page behind so each knows the next; returns their names.
    @discardableResult
    private func emitAll(in context: BuildContext) throws -> Set<String> {
        var names: Set<String> = []
        var chunker = ListChunker()
        var current: (name: String, rows: [ListStore.Entry])? = nil
        var previous: String? = nil
        try context.lists.forEach(directory) { entry in
            if chunker.startsPage(entry.id, hard: entry.hard) {
                let name = current == nil ? "index" : PagedList.chunkName(entry.id)
                try context.lists.addPage(directory, first: entry)
                if let done = current {
                    try emit(done.name, rows: done.rows, previous: previous, next: name, in: context)
                    names.insert(done.name)
                    previous = done.name
                }
                current = (name, [entry])
            } else {
                current?.rows.append(entry)
            }
            return true
        }
        let last = current ?? ("index", [])
        try emit(last.name, rows: last.rows, previous: previous, next: nil, in: context)
        names.insert(last.name)
        return names
    }

    // MARK: Incremental build

    /// Rewrites the pages around the rows `ids` (changed, new or gone) and patches the CSV; returns what the
    /// search index must change for them.
    ///
    /// `shownOnly` are rows (with the customer each shows) whose CSV record and search entry cannot have
    /// changed: they show a customer's name, which neither holds; only their pages are redone.
    /// `renamed` has the old and new names of renamed customers, by their page.
    @discardableResult
    func update(in context: BuildContext, ids: Set<String>, shownOnly: [String: String] = [:],
                renamed: [String: (old: String, new: String)] = [:]) throws -> [SearchChange] {
        guard !ids.isEmpty else { return [] }
        // Rows that only show a renamed customer, in a list whose order does not follow customers' names:
        // the store's `renames` gives them the new name, and their pages get the customer's cell swapped in
        // their bytes (`relabel`). Every other row is read again and goes through `replace`.
        let relabelled: [String: String] = keyShowsCustomer ? [:] : shownOnly
        var fresh: [String: (entry: ListStore.Entry, search: SearchEntry?)] = [:]
        let sql = select + " WHERE " + (filter.map { "(" + $0 + ") AND " } ?? "") + idColumn + " = ?"
        for id in ids.sorted() where relabelled[id] == nil {
            if let row = try context.db.row(sql, arguments + [id]) {
                fresh[id] = (try entry(row), search?(row))
            }
        }
        let changed = ids.subtracting(shownOnly.keys)
        // The CSV files of the changed rows' days, and of rows showing a customer whose name changed (the CSV names it too).
        let csv = ListCSV(self)
        let csvRows = changed.union(shownOnly.filter { renamed[SitePath.customer($0.value)] != nil }.keys)
        if !csvRows.isEmpty { try csv.write(periods: try csv.periods(of: csvRows, in: context), in: context) }
        let (old, emitted) = try replace(in: context, ids: ids.subtracting(relabelled.keys), with: fresh.mapValues(\.entry))
        try relabel(relabelled, renamed: renamed, skipping: emitted, in: context)
        guard search != nil else { return [] }
        return changed.sorted().compactMap { id in
            // Where the index has the entry now: the link of the row's first cell, as the last build stored it.
            let stored = old[id].flatMap { entry -> String? in
                if case .link(let href, _)? = CellCodec.decode(entry.cells).first { return href }
                return nil
            }
            guard let path = stored ?? fresh[id]?.search?.path else { return nil }
            return SearchChange(id: id, path: path, entry: fresh[id]?.search)
        }
    }

    /// Puts `fresh` in the store in place of the rows `ids` had (an id without a fresh entry leaves
    /// the list) and rewrites the pages around them; returns the rows as they were.
    @discardableResult
    func replace(in context: BuildContext, ids: Set<String>, with fresh: [String: ListStore.Entry]) throws
        -> (old: [String: ListStore.Entry], emitted: Set<String>) {
        let store = context.lists
        var old: [String: ListStore.Entry] = [:]
        var emitted: Set<String> = []
        for id in ids { if let entry = try store.entry(directory, id: id) { old[id] = entry } }
        guard !old.isEmpty || !fresh.isEmpty else { return (old, emitted) }

        // Each changed key lies between two hard rows that did not change: the pages between them are all that can move.
        var points = old.values.map(\.key) + fresh.values.map(\.key)
        points.sort { $0.lexicographicallyPrecedes($1) }
        var regions: [(start: ListStore.Entry?, end: ListStore.Entry?)] = []
        for point in points {
            if let last = regions.last, last.end.map({ point.lexicographicallyPrecedes($0.key) }) ?? true { continue }
            regions.append((try store.hardRow(directory, before: point, excluding: ids), try store.hardRow(directory, after: point, excluding: ids)))
        }
        // Whether each stretch begins the list, before and after: its first page is then `index`.
        func startsList(_ start: ListStore.Entry?) throws -> Bool {
            guard let start else { return true }
            return try !store.hasRow(directory, before: start.key)
        }
        let before = try regions.map { try store.range(directory, from: $0.start?.key, to: $0.end?.key) }
        let beganList = try regions.map { try startsList($0.start) }
        for entry in old.values { try store.delete(directory, key: entry.key) }
        for entry in fresh.values { try store.insert(directory, entry) }

        var oldNames: Set<String> = [], newNames: Set<String> = []
        for (index, region) in regions.enumerated() {
            let begins = try startsList(region.start)
            let oldChunks = chunks(before[index], startsList: beganList[index])
            let newRows = try store.range(directory, from: region.start?.key, to: region.end?.key)
            var newChunks = chunks(newRows, startsList: begins)
            if begins && region.end == nil && newChunks.isEmpty { newChunks = [("index", [])] }
            oldNames.formUnion(oldChunks.map(\.name))
            newNames.formUnion(newChunks.map(\.name))
            try store.removePages(directory, from: region.start?.key, to: region.end?.key)
            for chunk in newChunks { if let first = chunk.rows.first { try store.addPage(directory, first: first) } }
            var previous = try begins ? nil : chunkName(before: region.start!, in: store)
            for (offset, chunk) in newChunks.enumerated() {
                let next = offset + 1 < newChunks.count ? newChunks[offset + 1].name
                    : region.end.map { begins && newRows.isEmpty ? "index" : PagedList.chunkName($0.id) }
                try emit(chunk.name, rows: chunk.rows, previous: previous, next: next, in: context)
                emitted.insert(chunk.name)
                previous = chunk.name
            }
            // The page after the stretch: its name or its link back may have changed.
            if let end = region.end {
                let oldEndName = beganList[index] && before[index].isEmpty ? "index" : PagedList.chunkName(end.id)
                let newEndName = begins && newRows.isEmpty ? "index" : PagedList.chunkName(end.id)
                oldNames.insert(oldEndName)
                newNames.insert(newEndName)
                let nextRegionStartsHere = index + 1 < regions.count && regions[index + 1].start?.id == end.id
                if !nextRegionStartsHere, oldEndName != newEndName || oldChunks.last?.name != newChunks.last?.name {
                    try emitChunk(at: end, name: newEndName, previous: newChunks.last?.name, in: context)
                    emitted.insert(newEndName)
                }
            }
        }
        for name in oldNames.subtracting(newNames) { try context.output.remove(pagePath(name)) }
        return (old, emitted)
    }

    /// Swaps the renamed customers' cells in the pages the rows (with the customer each shows) are on,
    /// unless a page was just rendered whole, on worker threads. Old and new cells are both rendered by
    /// the escaping builder. A page that does not hold a cell it should (edited by hand?) is left to
    /// `renderAgain` once the workers are done.
    private func relabel(_ rows: [String: String], renamed: [String: (old: String, new: String)], skipping rendered: Set<String>,
                         in context: BuildContext) throws {
        guard !rows.isEmpty, !renamed.isEmpty else { return }
        let store = context.lists
        var pages: [String: (customers: Set<String>, ids: [String])] = [:]
        for (id, customer) in rows {
            let href = SitePath.customer(customer)
            guard renamed[href] != nil, let key = try store.key(directory, id: id) else { continue }
            let name = try store.page(directory, containing: key).map(PagedList.chunkName) ?? "index"
            if !rendered.contains(name) {
                pages[name, default: ([], [])].customers.insert(href)
                pages[name, default: ([], [])].ids.append(id)
            }
        }
        // No bytes are swapped in rendered pages (the site build renders pages whole): these pages are rendered again.
        for (_, page) in pages.sorted(by: { $0.key < $1.key }) { context.unpatched.add(directory, page.ids) }
    }

    /// Renders again the pages around rows whose page could not be patched (see `relabel`).
    func renderAgain(in context: BuildContext, ids: Set<String>) throws {
        var entries: [String: ListStore.Entry] = [:]
        for id in ids { if let entry = try context.lists.entry(directory, id: id) { entries[id] = entry } }
        try replace(in: context, ids: ids, with: entries)
    }


    /// The pages of a stretch of rows that begins a page (at a hard row, or the list's start).
    private func chunks(_ rows: [ListStore.Entry], startsList: Bool) -> [(name: String, rows: [ListStore.Entry])] {
        var chunker = ListChunker()
        var result: [(name: String, rows: [ListStore.Entry])] = []
        for row in rows {
            if chunker.startsPage(row.id, hard: row.hard) {
                result.append((result.isEmpty && startsList ? "index" : PagedList.chunkName(row.id), [row]))
            } else {
                result[result.count - 1].rows.append(row)
            }
        }
        return result
    }

    /// The name of the page just before the row `entry` (which begins a page).
    private func chunkName(before entry: ListStore.Entry, in store: ListStore) throws -> String? {
        try store.page(directory, containing: entry.key, before: true).map(PagedList.chunkName) ?? "index"
    }

    /// Emits the page that begins at `start` under `name`.
    private func emitChunk(at start: ListStore.Entry, name: String, previous: String?, in context: BuildContext) throws {
        var chunker = ListChunker()
        var rows: [ListStore.Entry] = []
        var next: String? = nil
        try context.lists.forEach(directory, from: start.key) { entry in
            if chunker.startsPage(entry.id, hard: entry.hard), !rows.isEmpty {
                next = PagedList.chunkName(entry.id)
                return false
            }
            rows.append(entry)
            return true
        }
        try emit(name, rows: rows, previous: previous, next: next, in: context)
    }

    // MARK: Pages and CSV

    private func emit(_ name: String, rows entries: [ListStore.Entry], previous: String?, next: String?, in context: BuildContext) throws {
        let rows = entries.map { context.lists.cells($0.cells) }
        var blocks = intro
        let first = rows.first?.first.map(PagedList.label) ?? ""
        if previous != nil || next != nil {
            let last = rows.last?.first.map(PagedList.label) ?? ""
            blocks.append(.paragraph("\(Plural.sentence(rows.count, "row")) on this page, from \u{201C}\(first)\u{201D} to \u{201C}\(last)\u{201D}. The CSV holds every row.", tone: "page-note"))
        }
        var links: [(href: String, label: String, current: Bool)] = []
        if name != "index" { links.append((pagePath("index"), "First page", false)) }
        if let previous { links.append((pagePath(previous), "← Previous page", false)) }
        if let next { links.append((pagePath(next), "Next page →", false)) }
        let navigation = links.isEmpty ? nil : Block.links(links, label: "Pages of " + title.lowercased())
        if let navigation { blocks.append(navigation) }
        blocks.append(.table(columns: columns, rows: rows, caption: nil, id: nil, empty: empty, csv: ListCSV(self).link ?? csvLink))
        if let navigation { blocks.append(navigation.relabelled("Pages of " + title.lowercased() + " (end of page)")) }
        blocks += outro
        let heading = name == "index" ? title : title + " — from " + first
        try context.emit(PageModel(path: pagePath(name), title: heading, section: section, blocks: blocks))
    }

    /// What a row is called in page titles: its first cell's text.
    static func label(_ cell: Cell) -> String {
        switch cell {
        case .text(let v), .status(let v), .output(let v, _), .email(let v): return v
        case .link(_, let label): return label
        case .custom(_, let text): return text
        case .date(let v), .timestamp(let v): return v ?? ""
        case .money(let v), .number(let v): return String(v)
        case .percent(let v): return v.map(String.init) ?? ""
        }
    }
}

extension Block {
    /// The same links block under another accessible name (two navs on one page need different names).
    func relabelled(_ label: String) -> Block {
        if case .links(let links, _) = self { return .links(links, label: label) }
        return self
    }
}
