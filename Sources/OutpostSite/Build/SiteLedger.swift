import Foundation
import OutpostModel
import OutpostStore

/// The reports' figures as customers' parts and their sums (`Ledger`), kept in the list store so an
/// incremental build redoes the home page and the money reports from the few customers a sync
/// touched instead of from every invoice and payment.
///
/// Full and fingerprinted builds work out every part again (`rebuild`); an incremental build takes
/// the changed customers' old parts out of the sums and puts their new ones in (`update`). Sums are
/// exact integers, so the figures are those a full build computes, byte for byte on the pages.
/// The parts are as of the build's date: a new day means a fingerprinted build, and a rebuild.
final class SiteLedger: LedgerTotals {
    let asOf: BusinessDate
    let months: [ReportMonth]
    private let monthCount: Int
    private let db: Database
    /// Every sum, as this build has them (see `allSums`).
    private var loaded: [Ledger.Figure: [String: Ledger.Sum]]?

    /// The tables, in the list store's database.
    static let schema = """
        CREATE TABLE IF NOT EXISTS ledger_part (
            customer TEXT NOT NULL,
            figure TEXT NOT NULL,
            key TEXT NOT NULL,
            item INTEGER NOT NULL,
            vals TEXT NOT NULL,
            PRIMARY KEY (figure, customer, key)
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS ledger_item ON ledger_part (figure, key) WHERE item = 1;
        CREATE TABLE IF NOT EXISTS ledger_sum (
            figure TEXT NOT NULL,
            key TEXT NOT NULL,
            parts INTEGER NOT NULL,
            vals TEXT NOT NULL,
            PRIMARY KEY (figure, key)
        ) STRICT, WITHOUT ROWID;
        """

    init(store: ListStore, asOf: BusinessDate, months: Int) {
        db = store.db
        self.asOf = asOf
        monthCount = months
        self.months = ReportMonth.range(endingWith: ReportMonth(asOf), count: months)
    }

    /// Works every part out again from `replica` (every figure of every customer).
    func rebuild(from replica: Database) throws {
        try db.execute("DELETE FROM ledger_part")
        try db.execute("DELETE FROM ledger_sum")
        var sums: [Ledger.Figure: [String: Ledger.Sum]] = [:]
        try Ledger.parts(in: replica, asOf: asOf, months: monthCount) { part in
            try store(part)
            try sums[part.figure, default: [:]][Self.sumKey(part), default: Ledger.Sum()].add(part.values)
        }
        for (figure, byKey) in sums {
            for (key, sum) in byKey { try write(figure, key, sum) }
        }
        loaded = sums
    }

    /// Takes `customers`' stored parts out of the sums and puts their parts in `replica` in.
    func update(customers: Set<String>, from replica: Database) throws {
        guard !customers.isEmpty else { return }
        var all = try allSums()
        var touched: [Ledger.Figure: Set<String>] = [:]
        func add(_ figure: Ledger.Figure, _ key: String, _ values: [Int64], sign: Int64) throws {
            try all[figure, default: [:]][key, default: Ledger.Sum()].add(values, sign: sign)
            touched[figure, default: []].insert(key)
        }
        // Parts are stored figure by figure (a full build writes them so, in order): each figure is one look-up per customer.
        let scope = SQLValue.jsonArray(customers)
        for figure in Ledger.Figure.allCases {
            try db.forEachRow("DELETE FROM ledger_part WHERE figure = ? AND customer IN (SELECT value FROM json_each(?)) RETURNING key, vals",
                              [.text(figure.rawValue), scope]) { row in
                try add(figure, figure.isItems ? "" : try row.string("key"), Self.values(try row.string("vals")), sign: -1)
            }
        }
        try Ledger.parts(in: replica, asOf: asOf, months: monthCount, customers: customers) { part in
            try store(part)
            try add(part.figure, Self.sumKey(part), part.values, sign: 1)
        }
        for (figure, keys) in touched {
            for key in keys {
                if let sum = all[figure]?[key], sum.parts > 0 {
                    try write(figure, key, sum)
                } else {
                    all[figure]?[key] = nil
                    try db.execute("DELETE FROM ledger_sum WHERE figure = ? AND key = ?", [figure.rawValue, key])
                }
            }
        }
        loaded = all
    }

    func sums(_ figure: Ledger.Figure) throws -> [String: Ledger.Sum] {
        try allSums()[figure] ?? [:]
    }

    /// Every sum, read once per build (a few hundred rows: months, methods, price points).
    private func allSums() throws -> [Ledger.Figure: [String: Ledger.Sum]] {
        if let loaded { return loaded }
        var all: [Ledger.Figure: [String: Ledger.Sum]] = [:]
        try db.forEachRow("SELECT figure, key, parts, vals FROM ledger_sum") { row in
            guard let figure = Ledger.Figure(rawValue: try row.string("figure")) else { return }
            all[figure, default: [:]][try row.string("key")] = Ledger.Sum(parts: try row.int("parts"), values: Self.values(try row.string("vals")))
        }
        loaded = all
        return all
    }

    func items(_ figure: Ledger.Figure, first limit: Int) throws -> (count: Int, keys: [String]) {
        let keys = try db.rows("SELECT key FROM ledger_part WHERE item = 1 AND figure = ? ORDER BY key LIMIT ?", [figure.rawValue, max(0, limit)])
            .map { try $0.string("key") }
        return (try sums(figure)[""]?.parts ?? 0, keys)
    }

    /// Items are counted under the empty key; other parts add up under their own.
    private static func sumKey(_ part: Ledger.Part) -> String { part.figure.isItems ? "" : part.key }

    private func store(_ part: Ledger.Part) throws {
        try db.cachedStatement("INSERT INTO ledger_part (customer, figure, key, item, vals) VALUES (?, ?, ?, ?, ?)")
            .execute([.text(part.customer), .text(part.figure.rawValue), .text(part.key), .integer(part.figure.isItems ? 1 : 0),
                      .text(Self.text(part.values))])
    }

    private func write(_ figure: Ledger.Figure, _ key: String, _ sum: Ledger.Sum) throws {
        try db.cachedStatement("INSERT OR REPLACE INTO ledger_sum (figure, key, parts, vals) VALUES (?, ?, ?, ?)")
            .execute([.text(figure.rawValue), .text(key), .integer(Int64(sum.parts)), .text(Self.text(sum.values))])
    }

    private static func text(_ values: [Int64]) -> String { values.map(String.init).joined(separator: " ") }

    private static func values(_ text: String) -> [Int64] { text.split(separator: " ").compactMap { Int64($0) } }
}
