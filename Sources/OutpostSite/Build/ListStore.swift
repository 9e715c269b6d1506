import Foundation
import OutpostStore

/// The rows of every paginated list as the last build left them, kept beside
/// the site (`.outpost-lists.sqlite`) so an incremental build can rewrite the
/// one page a changed row is on without reading the list again.
///
/// Each row is stored under its list and its sort key (bytes whose order is
/// the list's order, see `ListKey`), with its cells as the page shows them.
/// Pages are cut from this order by `ListChunker`, so a page's rows depend
/// only on the rows near it: a row that changes, arrives or leaves touches the
/// page it is on and perhaps its neighbour, never the pages after it.
///
/// It is a cache. Anything wrong with it (missing, damaged, from another
/// version) only costs a full build, which writes it afresh. So it keeps no
/// rollback journal: a build that dies while writing it leaves no site state
/// (`SiteState`), and the full build after it starts from a new file.
final class ListStore {
    static let fileName = ".outpost-lists.sqlite"
    /// 6: license keys are stored masked (a list store from before holds full keys, and its pages are redone).
    static let version = "outpost-lists 7"

    let db: Database

    struct Entry {
        let key: [UInt8]
        let id: String
        let hard: Bool
        let cells: [UInt8]
    }

    init(directory: URL) throws {
        let path = directory.appendingPathComponent(ListStore.fileName).path
        db = try Database(path: path)
        try db.executeScript("""
            PRAGMA synchronous = OFF;
            PRAGMA journal_mode = OFF;
            PRAGMA cache_size = -32768;
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
            CREATE TABLE IF NOT EXISTS list_row (
                list TEXT NOT NULL,
                key BLOB NOT NULL,
                id TEXT NOT NULL,
                hard INTEGER NOT NULL,
                cells BLOB NOT NULL,
                PRIMARY KEY (list, key)
            ) STRICT, WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS list_row_by_id ON list_row (list, id);
            CREATE INDEX IF NOT EXISTS list_row_hard ON list_row (list, key) WHERE hard = 1;
            CREATE TABLE IF NOT EXISTS renamed (href TEXT PRIMARY KEY, name TEXT NOT NULL) STRICT, WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS list_page (
                list TEXT NOT NULL,
                first BLOB NOT NULL,
                id TEXT NOT NULL,
                PRIMARY KEY (list, first)
            ) STRICT, WITHOUT ROWID;
            """ + FigureCache.schema)
        let stored = try db.scalar("SELECT value FROM meta WHERE key = 'version'")?.string
        wasReset = stored != ListStore.version
        if !wasReset {
            try db.forEachRow("SELECT href, name FROM renamed") { row in renames[row["href"].string ?? ""] = row["name"].string ?? "" }
        }
        if wasReset {
            try db.transaction {
                try db.execute("DELETE FROM list_row")
                try db.execute("DELETE FROM list_page")
                try db.execute("DELETE FROM renamed")
                try FigureCache.clear(db)
                try db.execute("DELETE FROM meta")
                try db.execute("INSERT INTO meta (key, value) VALUES ('version', ?)", [ListStore.version])
            }
        }
    }

    /// Customers renamed since their rows' cells were stored, by their page: their current names, which
    /// every page rendered from the store shows in place of the stored ones (`cells`). A rename is
    /// then one row here, not a write to each of the customer's rows in every list.
    private(set) var renames: [String: String] = [:]

    /// The store was empty or from another version when opened: only a full build may use it.
    private(set) var wasReset = false

    /// Opens the store in `directory`; one that cannot be opened (damaged) is removed and made afresh.
    static func open(in directory: URL) throws -> ListStore {
        if let store = try? ListStore(directory: directory) { return store }
        remove(in: directory)
        return try ListStore(directory: directory)
    }

    /// A row's stored cells as a page shows them: links to renamed customers carry their current names.
    func cells(_ bytes: [UInt8]) -> [Cell] {
        let cells = CellCodec.decode(bytes)
        guard !renames.isEmpty else { return cells }
        return cells.map { cell in
            if case .link(let href, _) = cell, let name = renames[href] { return .link(href, name) }
            return cell
        }
    }

    /// Records a customer's new name for every stored row that shows it (see `renames`).
    func rename(_ href: String, to name: String) throws {
        try db.execute("INSERT OR REPLACE INTO renamed (href, name) VALUES (?, ?)", [href, name])
        renames[href] = name
    }

    /// Forgets the renames: every list was just read again from the replica, with the current names.
    func clearRenames() throws {
        try db.execute("DELETE FROM renamed")
        renames = [:]
    }

    /// A remembered value (what the home page named, the sync figures it showed).
    func meta(_ key: String) throws -> String? {
        try db.scalar("SELECT value FROM meta WHERE key = ?", [key])?.string
    }

    func setMeta(_ key: String, _ value: String) throws {
        try db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", [key, value])
    }

    /// Removes the store file and its journal (a damaged store is rebuilt by the next full build).
    static func remove(in directory: URL) {
        for suffix in ["", "-journal", "-wal", "-shm"] {
            unlink(directory.appendingPathComponent(fileName + suffix).path)
        }
    }

    // MARK: Whole lists (full builds)

    func clear(_ list: String) throws {
        try db.execute("DELETE FROM list_row WHERE list = ?", [list])
        try db.execute("DELETE FROM list_page WHERE list = ?", [list])
    }

    func insert(_ list: String, _ entry: Entry) throws {
        try db.cachedStatement("INSERT INTO list_row (list, key, id, hard, cells) VALUES (?, ?, ?, ?, ?)")
            .execute([.text(list), .blob(entry.key), .text(entry.id), .integer(entry.hard ? 1 : 0), .blob(entry.cells)])
    }

    /// The rows of `list` in order, from `from` (inclusive) on, while `body` returns true.
    func forEach(_ list: String, from: [UInt8]? = nil, _ body: (Entry) throws -> Bool) throws {
        let sql = from == nil
            ? "SELECT key, id, hard, cells FROM list_row WHERE list = ? ORDER BY key"
            : "SELECT key, id, hard, cells FROM list_row WHERE list = ? AND key >= ? ORDER BY key"
        let statement = try db.cachedStatement(sql)
        try statement.bind(from.map { [.text(list), .blob($0)] } ?? [.text(list)])
        defer { statement.reset() }
        while try statement.step() {
            guard try body(ListStore.entry(statement)) else { return }
        }
    }

    private static func entry(_ statement: Statement) -> Entry {
        func bytes(_ value: SQLValue) -> [UInt8] {
            if case .blob(let b) = value { return b }
            return []
        }
        return Entry(key: bytes(statement.value(at: 0)), id: statement.value(at: 1).string ?? "",
                     hard: statement.value(at: 2).int64 == 1, cells: bytes(statement.value(at: 3)))
    }

    // MARK: Single rows (incremental builds)

    func entry(_ list: String, id: String) throws -> Entry? {
        let statement = try db.cachedStatement("SELECT key, id, hard, cells FROM list_row INDEXED BY list_row_by_id WHERE list = ? AND id = ?")
        try statement.bind([.text(list), .text(id)])
        defer { statement.reset() }
        return try statement.step() ? ListStore.entry(statement) : nil
    }

    /// The sort key of row `id` of `list` (from the index alone).
    func key(_ list: String, id: String) throws -> [UInt8]? {
        let statement = try db.cachedStatement("SELECT key FROM list_row INDEXED BY list_row_by_id WHERE list = ? AND id = ?")
        try statement.bind([.text(list), .text(id)])
        defer { statement.reset() }
        guard try statement.step(), case .blob(let key) = statement.value(at: 0) else { return nil }
        return key
    }

    func delete(_ list: String, key: [UInt8]) throws {
        try db.cachedStatement("DELETE FROM list_row WHERE list = ? AND key = ?").execute([.text(list), .blob(key)])
    }

    /// The last row flagged `hard` before `key` whose id is not in `excluded`; nil when there is none.
    func hardRow(_ list: String, before key: [UInt8], excluding excluded: Set<String>) throws -> Entry? {
        try hardRow(list, key, forward: false, excluding: excluded)
    }

    /// The first row flagged `hard` after `key` whose id is not in `excluded`; nil when there is none.
    func hardRow(_ list: String, after key: [UInt8], excluding excluded: Set<String>) throws -> Entry? {
        try hardRow(list, key, forward: true, excluding: excluded)
    }

    private func hardRow(_ list: String, _ key: [UInt8], forward: Bool, excluding excluded: Set<String>) throws -> Entry? {
        let statement = try db.cachedStatement(forward
            ? "SELECT key, id, hard, cells FROM list_row INDEXED BY list_row_hard WHERE list = ? AND hard = 1 AND key > ? ORDER BY key"
            : "SELECT key, id, hard, cells FROM list_row INDEXED BY list_row_hard WHERE list = ? AND hard = 1 AND key < ? ORDER BY key DESC")
        try statement.bind([.text(list), .blob(key)])
        defer { statement.reset() }
        while try statement.step() {
            let entry = ListStore.entry(statement)
            if !excluded.contains(entry.id) { return entry }
        }
        return nil
    }

    /// Whether `list` has a row before `key` (else a page starting at `key` is the list's first, `index`).
    func hasRow(_ list: String, before key: [UInt8]) throws -> Bool {
        try db.scalar("SELECT 1 FROM list_row WHERE list = ? AND key < ? LIMIT 1", [list, SQLValue.blob(key)]) != nil
    }

    /// The rows of `list` from `from` (nil: the start) up to, not including, `to` (nil: the end).
    func range(_ list: String, from: [UInt8]?, to: [UInt8]?) throws -> [Entry] {
        var result: [Entry] = []
        try forEach(list, from: from) { entry in
            if let to, !entry.key.lexicographicallyPrecedes(to) { return false }
            result.append(entry)
            return true
        }
        return result
    }

    // MARK: Pages

    /// Where each page of a list begins: its first row's key and id, so the page a row is on is one
    /// lookup, not a walk over the rows from the hard row before it.
    func addPage(_ list: String, first: Entry) throws {
        try db.cachedStatement("INSERT OR REPLACE INTO list_page (list, first, id) VALUES (?, ?, ?)")
            .execute([.text(list), .blob(first.key), .text(first.id)])
    }

    /// Forgets the pages beginning from `from` (inclusive, nil: the start) up to `to` (exclusive, nil: the end).
    func removePages(_ list: String, from: [UInt8]?, to: [UInt8]?) throws {
        try db.cachedStatement("DELETE FROM list_page WHERE list = ? AND first >= ? AND (? IS NULL OR first < ?)")
            .execute([.text(list), .blob(from ?? []), to.map { .blob($0) } ?? .null, to.map { .blob($0) } ?? .null])
    }

    /// The page holding the row at `key` (or, `before`, the row just before it): the id its name
    /// comes from, nil for the list's first page (`index`).
    func page(_ list: String, containing key: [UInt8], before: Bool = false) throws -> String? {
        let statement = try db.cachedStatement(before
            ? "SELECT first, id FROM list_page WHERE list = ? AND first < ? ORDER BY first DESC LIMIT 1"
            : "SELECT first, id FROM list_page WHERE list = ? AND first <= ? ORDER BY first DESC LIMIT 1")
        try statement.bind([.text(list), .blob(key)])
        let found: (first: SQLValue, id: String)? = try statement.step() ? (statement.value(at: 0), statement.value(at: 1).string ?? "") : nil
        statement.reset()
        guard let found else { return nil }
        return try db.scalar("SELECT 1 FROM list_page WHERE list = ? AND first < ? LIMIT 1", [list, found.first]) == nil ? nil : found.id
    }

    /// The ids the names of a list's pages come from, nil for the first page (`index`).
    func pages(_ list: String) throws -> [String?] {
        var result: [String?] = []
        try db.forEachRow("SELECT id FROM list_page WHERE list = ? ORDER BY first", [list]) { row in
            result.append(result.isEmpty ? nil : row["id"].string ?? "")
        }
        return result
    }
}
