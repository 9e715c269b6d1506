import Foundation
import OutpostStore

/// The replica's queue of mutations not yet acknowledged by the node.
///
/// Appending happens in the same transaction as the mutation's local effect.
/// Discarding (and, later, rebasing on pulled changes) undoes the pending
/// mutations newest-first, removes or replaces state underneath, and
/// re-applies the remaining ones with their original instants.
public struct LocalQueue {
    let db: Database

    public init(db: Database) {
        self.db = db
    }

    /// Appends a mutation that has just been applied locally; returns its seq.
    @discardableResult
    public func append(_ mutation: any Mutation, createdAt: Timestamp, changes: [RowChange]) throws -> Int64 {
        let type = type(of: mutation)
        let encodedChanges = String(decoding: try JSONEncoder.sortedKeys.encode(changes), as: UTF8.self)
        try db.execute("INSERT INTO queue (mutation, mutation_version, args, created_at, changes) VALUES (?, ?, ?, ?, ?)",
                       [type.name, type.version, try MutationCatalogue.encode(mutation), createdAt.description, encodedChanges])
        return try db.scalar("SELECT last_insert_rowid()")?.int64 ?? 0
    }

    /// Pending mutations, oldest first.
    public func pending() throws -> [QueuedMutation] {
        try db.rows("SELECT * FROM queue ORDER BY seq").map(QueuedMutation.init(row:))
    }

    /// One pending mutation.
    public func entry(_ seq: Int64) throws -> QueuedMutation? {
        try db.row("SELECT * FROM queue WHERE seq = ?", [seq]).map(QueuedMutation.init(row:))
    }

    /// How many mutations wait.
    public func count() throws -> Int {
        Int(try db.scalar("SELECT count(*) FROM queue")?.int64 ?? 0)
    }

    /// Why a discard could not happen.
    public enum DiscardError: Error, Sendable, CustomStringConvertible {
        case notFound(Int64)
        /// A later pending mutation needs the one being discarded.
        case dependedOn(seq: Int64, by: Int64, mutation: String, refusal: MutationRefusal)

        public var description: String {
            switch self {
            case .notFound(let seq): return "no pending mutation #\(seq) in the queue (see outpost queue list)"
            case let .dependedOn(seq, later, mutation, refusal):
                return "mutation #\(later) (\(mutation)) depends on #\(seq): without it, \(refusal.message); discard #\(later) first"
            }
        }
    }

    /// Undoes mutation `seq`'s local effect and removes it; later mutations are
    /// re-applied on top. Runs in one transaction: all or nothing.
    public func discard(_ seq: Int64) throws {
        try db.transaction {
            guard try entry(seq) != nil else { throw DiscardError.notFound(seq) }
            let affected = try db.rows("SELECT * FROM queue WHERE seq >= ? ORDER BY seq", [seq]).map(QueuedMutation.init(row:))
            for entry in affected.reversed() {
                try MutationContext.undo(entry.changes, in: db)
            }
            try db.execute("DELETE FROM queue WHERE seq = ?", [seq])
            for entry in affected where entry.seq != seq {
                let mutation = try MutationCatalogue.decode(name: entry.mutation, version: entry.mutationVersion, args: entry.args)
                let context = MutationContext(db: db, now: entry.createdAt, authority: .replica)
                do {
                    try mutation.apply(in: context)
                } catch let refusal as MutationRefusal {
                    throw DiscardError.dependedOn(seq: seq, by: entry.seq, mutation: entry.mutation, refusal: refusal)
                }
                let encoded = String(decoding: try JSONEncoder.sortedKeys.encode(context.changes), as: UTF8.self)
                try db.execute("UPDATE queue SET changes = ? WHERE seq = ?", [encoded, entry.seq])
            }
        }
    }

    /// Mutations the node refused, newest first.
    public func rejected() throws -> [RejectedMutation] {
        try db.rows("SELECT * FROM rejected ORDER BY seq DESC").map { row in
            RejectedMutation(seq: try row.int64("seq"), mutation: try row.string("mutation"), args: try row.string("args"),
                             createdAt: Timestamp(try row.string("created_at")) ?? Timestamp(secondsSinceEpoch: 0),
                             code: try row.string("code"), message: try row.string("message"),
                             rejectedAt: Timestamp(try row.string("rejected_at")) ?? Timestamp(secondsSinceEpoch: 0))
        }
    }
}

extension JSONEncoder {
    /// Deterministic JSON: sorted keys, no escaped slashes.
    static var sortedKeys: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
