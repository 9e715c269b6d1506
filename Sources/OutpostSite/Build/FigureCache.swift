import Foundation
import OutpostModel
import OutpostStore

/// The reports' figures as customers' shares and their sums (`CustomerShares`), kept in the build's
/// store so an incremental build redoes the home page and the money reports from the few customers a
/// sync touched instead of from every invoice and payment.
///
/// Full and fingerprinted builds work out every share again (`rebuild`); an incremental build takes
/// the changed customers' old shares out of the sums and puts their new ones in (`update`). Sums are
/// exact integers, so the figures are those a full build computes, byte for byte on the pages.
/// The shares are as of the build's date: a new day means a fingerprinted build, and a rebuild.
/// Monthly figures cover every month of the data (the reports show twelve months, and every
/// quarter and year).
final class FigureCache: FigureTotals {
    let asOf: BusinessDate
    private let db: Database
    /// Every sum, as this build has them (see `allSums`).
    private var loaded: [CustomerShares.Kind: [String: CustomerShares.Sum]]?

    /// The tables, in the build store's database. Keys and amounts are in their stored forms
    /// (`FigureKey.stored`, `FigureAmounts.stored` as numbers between spaces).
    static let schema = """
        CREATE TABLE IF NOT EXISTS figure_share (
            customer TEXT NOT NULL,
            figure TEXT NOT NULL,
            key TEXT NOT NULL,
            item INTEGER NOT NULL,
            amounts TEXT NOT NULL,
            PRIMARY KEY (figure, customer, key)
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS figure_item ON figure_share (figure, key) WHERE item = 1;
        CREATE TABLE IF NOT EXISTS figure_sum (
            figure TEXT NOT NULL,
            key TEXT NOT NULL,
            shares INTEGER NOT NULL,
            amounts TEXT NOT NULL,
            PRIMARY KEY (figure, key)
        ) STRICT, WITHOUT ROWID;
        """

    /// Forgets every share and sum (the store is starting afresh).
    static func clear(_ db: Database) throws {
        try db.execute("DELETE FROM figure_share")
        try db.execute("DELETE FROM figure_sum")
    }

    init(store: ListStore, asOf: BusinessDate) {
        db = store.db
        self.asOf = asOf
    }

    /// Every month of the data through `asOf`'s (at least twelve).
    var months: [ReportMonth] {
        CustomerShares.coveredMonths(asOf: asOf, since: nil, sums: (try? allSums()) ?? [:])
    }

    /// Works every share out again from `replica` (every figure of every customer).
    func rebuild(from replica: Database) throws {
        try Self.clear(db)
        var sums: [CustomerShares.Kind: [String: CustomerShares.Sum]] = [:]
        try CustomerShares.shares(in: replica, asOf: asOf, since: nil) { share in
            try store(share)
            try sums[share.kind, default: [:]][Self.sumKey(share), default: CustomerShares.Sum()].add(share.amounts)
        }
        for (kind, byKey) in sums {
            for (key, sum) in byKey { try write(kind, key, sum) }
        }
        loaded = sums
    }

    /// Takes `customers`' stored shares out of the sums and puts their shares in `replica` in.
    func update(customers: Set<String>, from replica: Database) throws {
        guard !customers.isEmpty else { return }
        var all = try allSums()
        var touched: [CustomerShares.Kind: Set<String>] = [:]
        func add(_ kind: CustomerShares.Kind, _ key: String, _ amounts: [Int64], sign: Int64) throws {
            try all[kind, default: [:]][key, default: CustomerShares.Sum()].add(amounts, sign: sign)
            touched[kind, default: []].insert(key)
        }
        // Shares are stored figure by figure (a full build writes them so, in order): each figure is one look-up per customer.
        let scope = SQLValue.jsonArray(customers)
        for kind in CustomerShares.Kind.allCases {
            try db.forEachRow("DELETE FROM figure_share WHERE figure = ? AND customer IN (SELECT value FROM json_each(?)) RETURNING key, amounts",
                              [.text(kind.rawValue), scope]) { row in
                try add(kind, kind.isItems ? "" : try row.string("key"), Self.amounts(try row.string("amounts")), sign: -1)
            }
        }
        try CustomerShares.shares(in: replica, asOf: asOf, since: nil, customers: customers) { share in
            try store(share)
            try add(share.kind, Self.sumKey(share), share.amounts, sign: 1)
        }
        for (kind, keys) in touched {
            for key in keys {
                if let sum = all[kind]?[key], sum.shares > 0 {
                    try write(kind, key, sum)
                } else {
                    all[kind]?[key] = nil
                    try db.execute("DELETE FROM figure_sum WHERE figure = ? AND key = ?", [kind.rawValue, key])
                }
            }
        }
        loaded = all
    }

    func storedSums(_ kind: CustomerShares.Kind) throws -> [String: CustomerShares.Sum] {
        try allSums()[kind] ?? [:]
    }

    /// Every sum, read once per build (a few hundred rows: months, methods, price points).
    private func allSums() throws -> [CustomerShares.Kind: [String: CustomerShares.Sum]] {
        if let loaded { return loaded }
        var all: [CustomerShares.Kind: [String: CustomerShares.Sum]] = [:]
        try db.forEachRow("SELECT figure, key, shares, amounts FROM figure_sum") { row in
            let name = try row.string("figure")
            guard let kind = CustomerShares.Kind(rawValue: name) else {
                throw ReportError(message: "the site cache holds an unknown figure \(name); rebuild the site with --full")
            }
            all[kind, default: [:]][try row.string("key")] = CustomerShares.Sum(shares: try row.int("shares"), amounts: Self.amounts(try row.string("amounts")))
        }
        loaded = all
        return all
    }

    func storedItems(_ kind: CustomerShares.Kind, first limit: Int) throws -> (count: Int, keys: [String]) {
        let keys = try db.rows("SELECT key FROM figure_share WHERE item = 1 AND figure = ? ORDER BY key LIMIT ?", [kind.rawValue, max(0, limit)])
            .map { try $0.string("key") }
        return (try storedSums(kind)[""]?.shares ?? 0, keys)
    }

    /// Items are counted under the empty key; other shares add up under their own.
    private static func sumKey(_ share: CustomerShares.Share) -> String { share.kind.isItems ? "" : share.key }

    private func store(_ share: CustomerShares.Share) throws {
        try db.cachedStatement("INSERT INTO figure_share (customer, figure, key, item, amounts) VALUES (?, ?, ?, ?, ?)")
            .execute([.text(share.customer), .text(share.kind.rawValue), .text(share.key), .integer(share.kind.isItems ? 1 : 0),
                      .text(Self.text(share.amounts))])
    }

    private func write(_ kind: CustomerShares.Kind, _ key: String, _ sum: CustomerShares.Sum) throws {
        try db.cachedStatement("INSERT OR REPLACE INTO figure_sum (figure, key, shares, amounts) VALUES (?, ?, ?, ?)")
            .execute([.text(kind.rawValue), .text(key), .integer(Int64(sum.shares)), .text(Self.text(sum.amounts))])
    }

    private static func text(_ amounts: [Int64]) -> String { amounts.map(String.init).joined(separator: " ") }

    private static func amounts(_ text: String) -> [Int64] { text.split(separator: " ").compactMap { Int64($0) } }
}
