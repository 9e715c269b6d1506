import Foundation
import OutpostModel

/// `queue …`: the changes waiting for the node.
enum QueueCommands {
    static let all: [CommandSpec] = [list, show, discard]

    /// A queued mutation as `--json` shows it.
    struct Entry: Encodable {
        let seq: Int64
        let mutation: String
        let mutationVersion: Int
        let createdAt: Timestamp
        let args: JSONValue
        let changes: [RowChange]?
    }

    static func entry(_ queued: QueuedMutation, withChanges: Bool) throws -> Entry {
        Entry(seq: queued.seq, mutation: queued.mutation, mutationVersion: queued.mutationVersion, createdAt: queued.createdAt,
              args: try JSONValue(parsing: queued.args), changes: withChanges ? queued.changes : nil)
    }

    static let list = CommandSpec(
        ["queue", "list"], "list changes waiting to be pushed to the node",
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let pending = try replica.queue.pending()
            if invocation.json { return try JSONOutput.print(try pending.map { try entry($0, withChanges: false) }, to: session) }
            var table = TextTable("SEQ", "MUTATION", "MADE AT", "TOUCHES")
            for item in pending { table.add("#\(item.seq)", item.mutation, item.createdAt.description, item.summary) }
            session.print(table.render(empty: "The queue is empty: nothing waits for the node."))
        })

    static let show = CommandSpec(
        ["queue", "show"], "show one queued change: its arguments and the rows it wrote",
        arguments: [.init("SEQ", "queue position, from outpost queue list")],
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let seq = try sequence(invocation)
            guard let item = try replica.queue.entry(seq) else { throw LocalQueue.DiscardError.notFound(seq) }
            let value = try entry(item, withChanges: true)
            if invocation.json { return try JSONOutput.print(value, to: session) }
            session.print("#\(item.seq) \(item.mutation) v\(item.mutationVersion), made at \(item.createdAt)")
            session.print("Arguments: \(item.args)")
            for change in item.changes {
                let verb = change.before == nil ? "insert" : change.after == nil ? "delete" : "update"
                session.print("  \(verb) \(change.table) \(change.id)\(verb == "update" ? ": " + change.changedColumns.joined(separator: ", ") : "")")
            }
        })

    static let discard = CommandSpec(
        ["queue", "discard"], "undo a queued change locally and drop it (it never reached the node)",
        arguments: [.init("SEQ", "queue position, from outpost queue list")],
        discussion: "Later queued changes are re-applied on top; if one of them needs the discarded change, nothing is discarded and the message names it.",
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let seq = try sequence(invocation)
            guard let item = try replica.queue.entry(seq) else { throw LocalQueue.DiscardError.notFound(seq) }
            try replica.queue.discard(seq)
            if invocation.json {
                struct Discarded: Encodable { let discarded: Int64; let mutation: String }
                return try JSONOutput.print(Discarded(discarded: seq, mutation: item.mutation), to: session)
            }
            session.print("Discarded #\(seq) \(item.mutation); its local effect is undone.")
        })

    static func sequence(_ invocation: Invocation) throws -> Int64 {
        let text = invocation.argument(0).hasPrefix("#") ? String(invocation.argument(0).dropFirst()) : invocation.argument(0)
        guard let seq = Int64(text), seq > 0 else {
            throw CommandFailure(.dataError, "SEQ '\(invocation.argument(0))' is not a queue position (a whole number, see outpost queue list)")
        }
        return seq
    }
}
