import Foundation
import OutpostStore

/// An error thrown on purpose by test bodies; each instance is distinct, so a
/// test can check that the very error it threw is the one rethrown.
struct Boom: Error, Equatable {
    let id = UUID()
}

/// A query the tests expected to yield an integer yielded something else.
struct NotAnInteger: Error, CustomStringConvertible {
    let value: SQLValue?
    var description: String { "expected an integer, got \(String(describing: value))" }
}

extension Database {
    /// `SELECT count(*) FROM table`, for assertions.
    func count(_ table: String) throws -> Int64 {
        let value = try scalar("SELECT count(*) FROM \(table)")
        guard let count = value?.int64 else { throw NotAnInteger(value: value) }
        return count
    }

    /// The integers of the first column of a query, for assertions.
    func integers(_ sql: String, _ arguments: [any SQLBindable] = []) throws -> [Int64] {
        try rows(sql, arguments).map { row in
            guard let value = row[0].int64 else { throw NotAnInteger(value: row[0]) }
            return value
        }
    }

    /// Whether a table of that name exists.
    func tableExists(_ name: String) throws -> Bool {
        try scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", [name])?.int64 == 1
    }
}
