import Foundation
import OutpostModel
import OutpostStore

/// A list of rows cut into even pages, with every row in a CSV beside it.
///
/// Pages follow the list's order and are cut by `ListChunker`: every page but
/// the last holds between half and all of `ListChunker.pageSize` rows, and a
/// cut depends only on the rows of its own page, so a changed row rewrites its
/// own page, and its neighbour when a cut moves (see `replace`). The first page
/// is `DIR/index.html`; the others are named after their first row,
/// `DIR/p-ROWID.html`, and link to the first, previous and next pages.
///
/// Page numbers, the page count and the row total change with every insert,
/// and would rewrite every page of a list if the pages held them. They are in
/// one small script beside the pages instead (`DIR/pages.js`, every page's
/// name and row count), which `site/outpost.js` turns into "Page 3 of 20",
/// links to the first, last and nearby pages, and the counts on the tabs of a
/// list's views (`FAMILY/lists.js`); `<script src>` works from `file://`, and
/// without scripts a page still links to the first, previous and next pages.
/// A list that fits one page says its row count itself.
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
    /// The ORDER BY the rows stream in; `key` gives the same order as bytes (see `ListOrder`, which states both at once).
    var order: String
    var key: (Row) -> [KeyPart]
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
    /// The cell whose link opens the row's entity (its page, or its anchor on its customer's page): the first,
    /// but a subscription leads with its customer and links from its plan.
    var entityColumn = 0
    var csvExtra: (Row) throws -> [String] = { [$0["id"].string ?? ""] }
    /// The row's entry in the search index, for lists the search box finds.
    var search: ((Row) -> SearchEntry)? = nil
    /// Shown below the table on every page.
    var outro: [Block] = []
    /// The other orders and views of the same rows, when the list has any (`ListFamily`).
    var family: ListNavigation? = nil
    /// Whether the rows, or what they show, depend on the business date (overdue, expiring soon).
    var dependsOnDate = false

    /// The page named `name` (`index` for the first page).
    func pagePath(_ name: String) -> String { directory + "/" + name + ".html" }

    static func chunkName(_ firstId: String) -> String { "p-" + SitePath.file(firstId) }

    /// The script with the list's page names and row counts (see the type's comment).
    var pagesScript: String { directory + "/pages.js" }

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
        let old = context.output.patching ? Set(try store.pages(directory).map(\.name)) : []
        try store.clear(directory)
        try source { try store.insert(directory, $0) }
        let new = try rechunk(in: context, from: nil, changed: [])
        for name in old.subtracting(new) { try context.output.remove(pagePath(name)) }
        try writePagesScript(in: context)
        try family?.writeCounts(after: directory, in: context)
    }

    static func entry(id: String, key: [KeyPart], cells: [Cell]) -> ListStore.Entry {
        ListStore.Entry(key: ListKey.make(key), id: id, cells: CellCodec.encode(cells))
    }

    private func entry(_ row: Row) throws -> ListStore.Entry {
        PagedList.entry(id: row["id"].string ?? "", key: key(row), cells: try cells(row))
    }

    // MARK: Incremental build

    /// Rewrites the pages around the rows `ids` (changed, new or gone) and patches the CSV; returns what the
    /// search index must change for them.
    ///
    /// `shownOnly` are rows (with the customer each shows) whose CSV record and search entry cannot have
    /// changed: they show a customer's name, which neither holds. They are read again like the others,
    /// and their pages rendered whole. `renamed` (customers whose names changed) sends their rows' CSV files to be written again.
    @discardableResult
    func update(in context: BuildContext, ids: Set<String>, shownOnly: [String: String] = [:],
                renamed: [String: (old: String, new: String)] = [:]) throws -> [SearchChange] {
        guard !ids.isEmpty else {
            // The family's counts are written once all its lists are up to date, whichever of them changed.
            try family?.writeCounts(after: directory, in: context)
            return []
        }
        var fresh: [String: (entry: ListStore.Entry, search: SearchEntry?)] = [:]
        let sql = select + " WHERE " + (filter.map { "(" + $0 + ") AND " } ?? "") + idColumn + " = ?"
        for id in ids.sorted() {
            if let row = try context.db.row(sql, arguments + [id]) {
                fresh[id] = (try entry(row), search?(row))
            }
        }
        let changed = ids.subtracting(shownOnly.keys)
        // The CSV files of the changed rows' days, and of rows showing a customer whose name changed (the CSV names it too).
        let csv = ListCSV(self)
        let csvRows = changed.union(shownOnly.filter { renamed[SitePath.customer($0.value)] != nil }.keys)
        let (old, _) = try replace(in: context, ids: ids, with: fresh.mapValues(\.entry))
        // How many rows the list gained (or lost) is what the CSV files' row counts must move by.
        if !csvRows.isEmpty { try csv.write(periods: try csv.periods(of: csvRows, in: context), rowsAdded: fresh.count - old.count, in: context) }
        try family?.writeCounts(after: directory, in: context)
        guard search != nil else { return [] }
        return changed.sorted().compactMap { id in
            // Where the index has the entry now: the link of the row's entity cell, as the last build stored it.
            let stored = old[id].flatMap { entry -> String? in
                let cells = CellCodec.decode(entry.cells)
                if cells.indices.contains(entityColumn), case .link(let href, _) = cells[entityColumn] { return href }
                return nil
            }
            guard let path = stored ?? fresh[id]?.search?.path else { return nil }
            return SearchChange(id: id, path: path, entry: fresh[id]?.search)
        }
    }

    /// Puts `fresh` in the store in place of the rows `ids` had (an id without a fresh entry leaves
    /// the list) and rewrites the pages around them; returns the rows as they were and the pages rendered.
    ///
    /// What a change rewrites: pages before the first changed row keep their rows (a cut depends only on
    /// the rows of its page), so the pages are cut again from the page before the changed row on, until a
    /// new page begins where an old one began after the last changed row: from there on the old pages
    /// stand. Usually that is the changed row's page, or it and its neighbour; the page after the stretch
    /// is rendered again when its "previous" link moved, and `pages.js` when a count did.
    @discardableResult
    func replace(in context: BuildContext, ids: Set<String>, with fresh: [String: ListStore.Entry]) throws
        -> (old: [String: ListStore.Entry], emitted: Set<String>) {
        let store = context.lists
        var old: [String: ListStore.Entry] = [:]
        for id in ids { if let entry = try store.entry(directory, id: id) { old[id] = entry } }
        // A row stored with the same key and cells shows the same on the same page (the pages on disk are
        // the stored rows rendered with the current renames): nothing of it is rendered again. Rows handed in
        // as changed often are not: a new day hands in every invoice whose dated facts moved, and its customer.
        let moved = ids.filter { id in
            guard let before = old[id], let after = fresh[id] else { return old[id] != nil || fresh[id] != nil }
            return before.key != after.key || before.cells != after.cells
        }
        guard !moved.isEmpty else { return (old, []) }
        for id in moved { if let entry = old[id] { try store.delete(directory, key: entry.key) } }
        for id in moved { if let entry = fresh[id] { try store.insert(directory, entry) } }
        var keys = moved.compactMap { old[$0]?.key } + moved.compactMap { fresh[$0]?.key }
        keys.sort { $0.lexicographicallyPrecedes($1) }
        let emitted = try rechunk(in: context, from: nil, changed: keys)
        try writePagesScript(in: context)
        return (old, emitted)
    }

    /// Cuts the stored rows into pages where they may have moved, records the pages in the store and emits
    /// them; returns the names of the pages emitted.
    ///
    /// With no `changed` keys the whole list is cut (a full build). Otherwise each changed key starts a
    /// stretch at the page before it (`ListStore.page(before:)`), which ends at the first new cut past the
    /// stretch's changed keys that falls where an old page began.
    private func rechunk(in context: BuildContext, from: [UInt8]?, changed: [[UInt8]]) throws -> Set<String> {
        let store = context.lists
        var emitted: Set<String> = []
        var removedNames: Set<String> = []
        if changed.isEmpty {
            try store.removePages(directory, from: [], to: nil)
            let pages = try cut(from: [], isList: true, stopAt: { _ in false }, in: store)
            for page in pages.pages { try store.addPage(directory, page.entry) }
            try emit(pages.pages, previous: nil, next: nil, in: context)
            return Set(pages.pages.map(\.entry.name))
        }
        // Pages to render, by name: a page two stretches touch (the page after one is where the next begins)
        // is rendered once, as the later stretch has it; rendering a file twice in one build would race.
        var pending: [String: (first: [UInt8], rows: [ListStore.Entry], previous: String?, next: String?)] = [:]
        func queue(_ pages: [(entry: ListStore.PageEntry, rows: [ListStore.Entry])], previous: String?, next: String?) {
            for (offset, page) in pages.enumerated() {
                pending[page.entry.name] = (page.entry.first, page.rows, offset == 0 ? previous : pages[offset - 1].entry.name,
                                            offset + 1 < pages.count ? pages[offset + 1].entry.name : next)
            }
        }
        var index = 0
        while index < changed.count {
            // The stretch starts at the page before the changed key: that page's first row did not change.
            let start = try store.page(directory, before: changed[index])
            let startKey = start?.first ?? []
            let previous = try start.flatMap { try store.page(directory, before: $0.first) }
            var last = changed[index]
            var next = index
            let stretch = try cut(from: startKey, isList: start == nil || startKey.isEmpty, stopAt: { row in
                // Changed keys before this row belong to the stretch; it may end here once it has passed them all.
                while next < changed.count, changed[next].lexicographicallyPrecedes(row.key) || changed[next] == row.key {
                    last = changed[next]
                    next += 1
                }
                guard last.lexicographicallyPrecedes(row.key), next >= changed.count || !changed[next].lexicographicallyPrecedes(row.key) else { return false }
                return try store.page(directory, at: row.key) != nil
            }, in: store)
            index = max(next, index + 1)
            let stop = stretch.stop
            let oldPages = try store.pages(directory).filter { page in
                !page.first.lexicographicallyPrecedes(startKey) && (stop.map { page.first.lexicographicallyPrecedes($0.key) } ?? true)
            }
            try store.removePages(directory, from: startKey, to: stop?.key)
            for page in stretch.pages { try store.addPage(directory, page.entry) }
            let stopPage = try stop.flatMap { try store.page(directory, at: $0.key) }
            queue(stretch.pages, previous: previous?.name, next: stopPage?.name)
            removedNames.formUnion(Set(oldPages.map(\.name)).subtracting(stretch.pages.map(\.entry.name)))
            // The page after the stretch links back to the stretch's last page: rendered again when that moved.
            if let stop, let stopPage, oldPages.last?.name != stretch.pages.last?.entry.name {
                let following = try store.page(directory, after: stop.key)
                let rows = try store.range(directory, from: stop.key, to: following?.first)
                queue([(stopPage, rows)], previous: stretch.pages.last?.entry.name, next: following?.name)
            }
        }
        let live = Set(try store.pages(directory).map(\.name))
        for (name, page) in pending.sorted(by: { $0.value.first.lexicographicallyPrecedes($1.value.first) }) where live.contains(name) {
            try emit(name, rows: page.rows, previous: page.previous, next: page.next, in: context)
            emitted.insert(name)
        }
        for name in removedNames.subtracting(live).sorted() { try context.output.remove(pagePath(name)) }
        return emitted
    }

    /// The pages from `from` on, cut by `ListChunker`, until `stopAt` says a row that begins a page ends the
    /// stretch (that row is returned as `stop` and not cut); to the end of the list otherwise.
    private func cut(from: [UInt8], isList: Bool, stopAt: (ListStore.Entry) throws -> Bool, in store: ListStore) throws
        -> (pages: [(entry: ListStore.PageEntry, rows: [ListStore.Entry])], stop: ListStore.Entry?) {
        var chunker = ListChunker()
        var pages: [(entry: ListStore.PageEntry, rows: [ListStore.Entry])] = []
        var current: [ListStore.Entry] = []
        var stop: ListStore.Entry? = nil
        func close() {
            guard let first = current.first else { return }
            let opensList = pages.isEmpty && isList
            pages.append((ListStore.PageEntry(first: opensList ? [] : first.key, name: opensList ? "index" : PagedList.chunkName(first.id),
                                              rows: current.count), current))
            current = []
        }
        try store.forEach(directory, from: from.isEmpty ? nil : from) { row in
            if chunker.startsPage(row.id) {
                if !current.isEmpty || !pages.isEmpty, try stopAt(row) {
                    stop = row
                    return false
                }
                close()
            }
            current.append(row)
            return true
        }
        close()
        // An empty list still has its first page, which says so.
        if pages.isEmpty && isList { pages.append((ListStore.PageEntry(first: [], name: "index", rows: 0), [])) }
        return (pages, stop)
    }

    /// Emits `pages` in order, each knowing the pages around it (`previous` before the first, `next` after the last).
    private func emit(_ pages: [(entry: ListStore.PageEntry, rows: [ListStore.Entry])], previous: String?, next: String?,
                      in context: BuildContext) throws {
        for (offset, page) in pages.enumerated() {
            try emit(page.entry.name, rows: page.rows, previous: offset == 0 ? previous : pages[offset - 1].entry.name,
                     next: offset + 1 < pages.count ? pages[offset + 1].entry.name : next, in: context)
        }
    }

    /// Writes `pages.js`, and the family's counts when the list has a family.
    private func writePagesScript(in context: BuildContext) throws {
        let pages = try context.lists.pages(directory)
        try context.output.file(pagesScript, bytes: Array(ListNavigation.pagesScript(list: directory, pages: pages).utf8))
    }

    // MARK: Pages and CSV

    private func emit(_ name: String, rows entries: [ListStore.Entry], previous: String?, next: String?, in context: BuildContext) throws {
        let rows = entries.map { context.lists.cells($0.cells) }
        let root = Page.root(of: pagePath(name))
        var blocks = intro
        if let family { blocks.append(family.tabs(root: root)) }
        let single = previous == nil && next == nil
        if single, !rows.isEmpty {
            blocks.append(.paragraph(Plural.sentence(rows.count, "row") + ".", tone: "page-note"))
        }
        let label = "Pages of " + title.lowercased()
        if !single { blocks.append(ListNavigation.pages(list: directory, page: name, previous: previous.map(pagePath), next: next.map(pagePath),
                                                         first: name == "index" ? nil : pagePath("index"), label: label, root: root)) }
        let csv = ListCSV(self).link ?? csvLink
        if let family {
            blocks.append(family.table(columns: columns, rows: rows, list: directory, paged: !single, empty: empty, csv: csv, format: context.format, root: root))
        } else {
            blocks.append(.table(columns: columns, rows: rows, caption: nil, id: nil, empty: empty, csv: csv))
        }
        if !single { blocks.append(ListNavigation.pages(list: directory, page: name, previous: previous.map(pagePath), next: next.map(pagePath),
                                                         first: name == "index" ? nil : pagePath("index"), label: label + " (end of page)", root: root)) }
        blocks += outro
        blocks.append(ListNavigation.scripts(pages: single ? nil : pagesScript, counts: family?.countsScript, root: root))
        try context.emit(PageModel(path: pagePath(name), title: title, section: section, blocks: blocks))
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
