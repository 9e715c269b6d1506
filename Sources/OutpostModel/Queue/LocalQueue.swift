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
        /// It was sent to the node, which may have applied it: its verdict will come back.
        case alreadySent(Int64)
        /// A later pending mutation needs the one being discarded.
        case dependedOn(seq: Int64, by: Int64, mutation: String, refusal: MutationRefusal)

        public var description: String {
            switch self {
            case .notFound(let seq): return "no pending mutation #\(seq) in the queue (see outpost queue list)"
            case .alreadySent(let seq):
                return "mutation #\(seq) was already sent to the node and may have been applied; its verdict comes back with the next sync"
            case let .dependedOn(seq, later, mutation, refusal):
                return "mutation #\(later) (\(mutation)) depends on #\(seq): without it, \(refusal.message); discard #\(later) first"
            }
        }
    }

    /// Undoes mutation `seq`'s local effect and removes it; later mutations are
    /// re-applied on top. Runs in one transaction: all or nothing.
    public func discard(_ seq: Int64) throws {
        try db.transaction {
            guard let entry = try entry(seq) else { throw DiscardError.notFound(seq) }
            guard entry.pushSeq == nil else { throw DiscardError.alreadySent(seq) }
            try rebase(from: seq, underneath: {
                try db.execute("DELETE FROM queue WHERE seq = ?", [seq])
            }, whenRefused: { later, refusal in
                throw DiscardError.dependedOn(seq: seq, by: later.seq, mutation: later.mutation, refusal: refusal)
            })
        }
    }

    /// Takes the optimistic effects of pending mutations (from `seq` on) off the
    /// state, runs `body` on what is left — the node's state, for a pull — and
    /// re-applies the mutations still queued, with their original instants.
    ///
    /// A mutation that no longer applies goes to `whenRefused`: throw to abort,
    /// or return to keep it queued without local effect (the node decides).
    /// Call inside a transaction.
    public func rebase(from seq: Int64 = 0, underneath body: () throws -> Void,
                       whenRefused: (QueuedMutation, MutationRefusal) throws -> Void) throws {
        let affected = try db.rows("SELECT * FROM queue WHERE seq >= ? ORDER BY seq", [seq]).map(QueuedMutation.init(row:))
        for entry in affected.reversed() {
            try MutationContext.undo(entry.changes, in: db)
        }
        try body()
        for entry in affected {
            guard try db.scalar("SELECT 1 FROM queue WHERE seq = ?", [entry.seq]) != nil else { continue }
            let context = MutationContext(db: db, now: entry.createdAt, authority: .replica)
            do {
                let mutation = try MutationCatalogue.decode(name: entry.mutation, version: entry.mutationVersion, args: entry.args)
                try db.savepoint { try mutation.apply(in: context) }
            } catch let refusal as MutationRefusal {
                try whenRefused(entry, refusal)
                try db.execute("UPDATE queue SET changes = '[]' WHERE seq = ?", [entry.seq])
                continue
            }
            let encoded = String(decoding: try JSONEncoder.sortedKeys.encode(context.changes), as: UTF8.self)
            try db.execute("UPDATE queue SET changes = ? WHERE seq = ?", [encoded, entry.seq])
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
