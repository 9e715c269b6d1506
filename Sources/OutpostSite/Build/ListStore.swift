import Foundation
import OutpostStore

/// The rows of every paginated list as the last build left them, and where
/// each list's pages begin, so an incremental build can rewrite the page a
/// changed row is on without reading the list again.
///
/// Each row is stored under its list and its sort key (bytes whose order is
/// the list's order, see `ListKey`), with its cells as the page shows them.
/// Pages are cut from this order by `ListChunker`; `list_page` keeps each
/// page's first key (empty for the first page), its file name and its row count.
///
/// It keeps no file of its own: its tables live in the database it is handed
/// (the site cache), written in that database's transaction, and it sets no
/// pragmas on it. Anything wrong with its rows only costs a full build.
final class ListStore {
    /// Where a build that has no site cache of its own keeps the list store's database, beside the site's other state.
    static let fileName = ".outpost-lists.sqlite"
    /// 8: pages hold between half and all of `ListChunker.pageSize` rows, and `list_page` their names and counts;
    /// the dashboard figures are kept by name for every month (`FigureCache`).
    static let version = "outpost-lists 8"

    let db: Database

    struct Entry {
        let key: [UInt8]
        let id: String
        let cells: [UInt8]
    }

    /// A page of a list: its first key (empty for the first page), its file name without `.html`, its rows.
    struct PageEntry: Equatable {
        let first: [UInt8]
        let name: String
        let rows: Int
    }

    /// Creates the list store's tables in `db` where they are missing (from another version: afresh).
    init(db: Database) throws {
        self.db = db
        try db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT")
        let stored = try db.scalar("SELECT value FROM meta WHERE key = 'version'")?.string
        wasReset = stored != ListStore.version
        if wasReset {
            try db.transaction {
                for table in ["list_row", "list_page", "renamed", "ledger_part", "ledger_sum", "figure_share", "figure_sum"] {
                    try db.execute("DROP TABLE IF EXISTS " + table)
                }
                try db.execute("DELETE FROM meta")
                try db.execute("INSERT INTO meta (key, value) VALUES ('version', ?)", [ListStore.version])
            }
        }
        try db.executeScript("""
            CREATE TABLE IF NOT EXISTS list_row (
                list TEXT NOT NULL,
                key BLOB NOT NULL,
                id TEXT NOT NULL,
                cells BLOB NOT NULL,
                PRIMARY KEY (list, key)
            ) STRICT, WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS list_row_by_id ON list_row (list, id);
            CREATE TABLE IF NOT EXISTS renamed (href TEXT PRIMARY KEY, name TEXT NOT NULL) STRICT, WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS list_page (
                list TEXT NOT NULL,
                first BLOB NOT NULL,
                name TEXT NOT NULL,
                rows INTEGER NOT NULL,
                PRIMARY KEY (list, first)
            ) STRICT, WITHOUT ROWID;
            """ + FigureCache.schema)
        if !wasReset {
            try db.forEachRow("SELECT href, name FROM renamed") { row in renames[row["href"].string ?? ""] = row["name"].string ?? "" }
        }
    }

    /// A list store in a file of its own in `directory` (see `database(in:)`).
    static func open(in directory: URL) throws -> ListStore { try ListStore(db: database(in: directory)) }

    /// Opens the database of a list store kept in a file of its own in `directory` (until the site cache
    /// holds it); one that cannot be opened (damaged) is removed and made afresh.
    static func database(in directory: URL) throws -> Database {
        let path = directory.appendingPathComponent(ListStore.fileName).path
        if let db = try? Database(path: path), (try? db.scalar("SELECT count(*) FROM sqlite_schema")) != nil { return db }
        for suffix in ["", "-journal", "-wal", "-shm"] { unlink(path + suffix) }
        return try Database(path: path)
    }

    /// Customers renamed since their rows' cells were stored, by their page: their current names, which
    /// every page rendered from the store shows in place of the stored ones (`cells`). A rename is
    /// then one row here, not a write to each of the customer's rows in every list.
    private(set) var renames: [String: String] = [:]

    /// The store was empty or from another version when opened: only a full build may use it.
    private(set) var wasReset = false

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

    // MARK: Whole lists (full builds)

    func clear(_ list: String) throws {
        try db.execute("DELETE FROM list_row WHERE list = ?", [list])
        try db.execute("DELETE FROM list_page WHERE list = ?", [list])
    }

    func insert(_ list: String, _ entry: Entry) throws {
        try db.cachedStatement("INSERT INTO list_row (list, key, id, cells) VALUES (?, ?, ?, ?)")
            .execute([.text(list), .blob(entry.key), .text(entry.id), .blob(entry.cells)])
    }

    /// The rows of `list` in order, from `from` (inclusive) on, while `body` returns true.
    func forEach(_ list: String, from: [UInt8]? = nil, _ body: (Entry) throws -> Bool) throws {
        let sql = from == nil
            ? "SELECT key, id, cells FROM list_row WHERE list = ? ORDER BY key"
            : "SELECT key, id, cells FROM list_row WHERE list = ? AND key >= ? ORDER BY key"
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
        return Entry(key: bytes(statement.value(at: 0)), id: statement.value(at: 1).string ?? "", cells: bytes(statement.value(at: 2)))
    }

    // MARK: Single rows (incremental builds)

    func entry(_ list: String, id: String) throws -> Entry? {
        let statement = try db.cachedStatement("SELECT key, id, cells FROM list_row INDEXED BY list_row_by_id WHERE list = ? AND id = ?")
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

    func addPage(_ list: String, _ page: PageEntry) throws {
        try db.cachedStatement("INSERT OR REPLACE INTO list_page (list, first, name, rows) VALUES (?, ?, ?, ?)")
            .execute([.text(list), .blob(page.first), .text(page.name), .integer(Int64(page.rows))])
    }

    /// Forgets the pages beginning from `from` (inclusive) up to `to` (exclusive, nil: the end).
    func removePages(_ list: String, from: [UInt8], to: [UInt8]?) throws {
        try db.cachedStatement("DELETE FROM list_page WHERE list = ? AND first >= ? AND (? IS NULL OR first < ?)")
            .execute([.text(list), .blob(from), to.map { .blob($0) } ?? .null, to.map { .blob($0) } ?? .null])
    }

    /// The last page beginning before `key` (strictly): the page a row at `key` is on or would go on,
    /// or, when a page begins at `key`, the one before it. Nil when the list has no page yet.
    func page(_ list: String, before key: [UInt8]) throws -> PageEntry? {
        try onePage("SELECT first, name, rows FROM list_page WHERE list = ? AND first < ? ORDER BY first DESC LIMIT 1", list, key)
    }

    /// The page beginning exactly at `key`, if any.
    func page(_ list: String, at key: [UInt8]) throws -> PageEntry? {
        try onePage("SELECT first, name, rows FROM list_page WHERE list = ? AND first = ?", list, key)
    }

    /// The first page beginning after `key`, if any.
    func page(_ list: String, after key: [UInt8]) throws -> PageEntry? {
        try onePage("SELECT first, name, rows FROM list_page WHERE list = ? AND first > ? ORDER BY first LIMIT 1", list, key)
    }

    private func onePage(_ sql: String, _ list: String, _ key: [UInt8]) throws -> PageEntry? {
        let statement = try db.cachedStatement(sql)
        try statement.bind([.text(list), .blob(key)])
        defer { statement.reset() }
        guard try statement.step() else { return nil }
        return ListStore.page(statement)
    }

    private static func page(_ statement: Statement) -> PageEntry {
        var first: [UInt8] = []
        if case .blob(let bytes) = statement.value(at: 0) { first = bytes }
        return PageEntry(first: first, name: statement.value(at: 1).string ?? "", rows: Int(statement.value(at: 2).int64 ?? 0))
    }

    /// The rows of `list`, as its pages count them.
    func rowCount(_ list: String) throws -> Int {
        Int(try db.scalar("SELECT coalesce(sum(rows), 0) FROM list_page WHERE list = ?", [list])?.int64 ?? 0)
    }

    /// Every page of `list`, in order.
    func pages(_ list: String) throws -> [PageEntry] {
        let statement = try db.cachedStatement("SELECT first, name, rows FROM list_page WHERE list = ? ORDER BY first")
        try statement.bind([.text(list)])
        defer { statement.reset() }
        var result: [PageEntry] = []
        while try statement.step() { result.append(ListStore.page(statement)) }
        return result
    }
}
