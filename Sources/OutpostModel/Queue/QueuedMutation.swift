import Foundation
import OutpostStore

/// A mutation waiting in the local queue for the node, with what it did locally.
public struct QueuedMutation: Sendable, Equatable {
    /// Position in this replica's queue; the node sees `(replica, seq)`.
    public let seq: Int64
    public let mutation: String
    public let mutationVersion: Int
    /// Canonical JSON arguments.
    public let args: String
    public let createdAt: Timestamp
    /// The rows it wrote locally, to undo it.
    public let changes: [RowChange]
    /// Its position in the push sequence, once it has been sent to the node.
    public let pushSeq: Int64?
    /// The node's version after applying it, once the node has acknowledged it.
    public let ackedVersion: Int64?

    public init(row: Row) throws {
        seq = try row.int64("seq")
        mutation = try row.string("mutation")
        mutationVersion = try row.int("mutation_version")
        args = try row.string("args")
        createdAt = Timestamp(try row.string("created_at")) ?? Timestamp(secondsSinceEpoch: 0)
        changes = try JSONValueDecoder().decode([RowChange].self, from: try JSONValue(parsing: try row.string("changes")))
        pushSeq = try row.optionalInt64("push_seq")
        ackedVersion = try row.optionalInt64("acked_version")
    }

    /// The arguments as a JSON object, for display.
    public var argumentsObject: Any {
        (try? JSONSerialization.jsonObject(with: Data(args.utf8))) ?? [:]
    }

    /// A one-line summary: the entity ids it touched.
    public var summary: String {
        var seen: [String] = []
        for change in changes where !seen.contains(change.id) { seen.append(change.id) }
        return seen.prefix(3).joined(separator: ", ") + (seen.count > 3 ? ", …" : "")
    }
}

/// A mutation the node refused, kept with its reason until someone looks.
public struct RejectedMutation: Sendable, Equatable {
    public let seq: Int64
    public let mutation: String
    public let args: String
    public let createdAt: Timestamp
    public let code: String
    public let message: String
    public let rejectedAt: Timestamp
}
