import Foundation
import OutpostModel
import OutpostStore
import OutpostSystem

/// `outpost replica rescue`: a damaged replica's queue and setup, saved into a fresh replica; and the quick
/// integrity check `sync` and `status --check` make first.
enum ReplicaCommands {
    static let all: [CommandSpec] = [rescue]

    /// The `replica_meta` keys a rescue carries over: who the replica is to its node (its id and the push
    /// numbers it has used, so the node recognises what it already received), its node and its own setup.
    /// The cursor and anything else learned from the node are left behind: the fresh replica pulls them again.
    static let rescuedMeta = ["replica_id", "last_push_seq", "node", "reseller_id", "site", "publish", "publish_command"]

    /// Stops with a clear message when SQLite's quick check finds the replica's file damaged.
    ///
    /// `PRAGMA quick_check` reads every page (O(N), without checking indexes against their tables): a
    /// damaged page is found before a sync sends anything from a replica whose state cannot be trusted.
    static func requireSound(_ replica: Replica) throws {
        let problems: [String]
        do {
            problems = try replica.db.rows("PRAGMA quick_check").compactMap { $0[0].string }
        } catch let error as DatabaseError where error.isNotADatabase {
            problems = [error.message]
        }
        guard problems != ["ok"] else { return }
        let path = replica.directory.path
        throw CommandFailure(.config, """
            the replica database in \(path) is damaged (SQLite's quick check: \(problems.prefix(3).joined(separator: "; "))); \
            nothing was sent. Save its queued changes into a fresh replica that pulls everything again from the node: \
            outpost replica rescue \(path) --to NEWDIR
            """)
    }

    static let rescue = CommandSpec(
        ["replica", "rescue"], "move a damaged replica's queued changes and setup into a fresh replica that pulls again from the node",
        arguments: [.init("DIR", "the damaged replica's directory")],
        options: [.init("to", value: "NEWDIR", required: true, "the fresh replica's directory (must not hold a replica yet)")],
        discussion: """
        For a replica whose database file is damaged (outpost sync and outpost status --check say so). Reads what
        is still readable — the queue of changes not yet on the node, refused changes, the replica's id and push
        numbers, its node, reseller, token and site settings — into a fresh replica in NEWDIR. The next outpost sync
        --replica NEWDIR sends the queue (changes the node already has are recognised by their numbers, not applied
        twice) and pulls everything from the node; the queued changes are then applied again on top.
        The damaged file is kept beside as replica.sqlite.damaged, so DIR is no longer used by mistake.
        """,
        usesReplica: false,
        run: { invocation, session in
            let source = URL(fileURLWithPath: invocation.argument(0))
            let target = URL(fileURLWithPath: invocation.required("to"))
            let file = source.appendingPathComponent(Replica.databaseName)
            guard FileManager.default.fileExists(atPath: file.path) else { throw Replica.OpenError.missing(source.path) }
            guard source.standardizedFileURL.path != target.standardizedFileURL.path else {
                throw CommandFailure(.usage, "--to must be another directory than \(source.path)")
            }
            // Read everything first, touching nothing: a rescue that cannot read the queue changes nothing.
            let damaged = try Database(path: file.path, mode: .readOnly)
            let meta: [(String, String)]
            let queue: [[SQLValue]]
            let rejected: [[SQLValue]]
            do {
                meta = try damaged.rows("SELECT key, value FROM replica_meta").compactMap { row in
                    guard let key = row["key"].string, rescuedMeta.contains(key), let value = row["value"].string else { return nil }
                    return (key, value)
                }
                queue = try damaged.rows("SELECT seq, mutation, mutation_version, args, created_at, push_seq, acked_version FROM queue ORDER BY seq")
                    .map { row in (0..<7).map { row[$0] } }
                rejected = try damaged.rows("SELECT seq, mutation, mutation_version, args, created_at, code, message, rejected_at FROM rejected")
                    .map { row in (0..<8).map { row[$0] } }
            } catch let error as DatabaseError {
                throw CommandFailure(.dataError, "cannot read the queue of \(source.path) (\(error.message)); nothing was changed")
            }
            // The mutations the node acknowledged are kept 30 days to mend a node restored from an older backup
            // (sync/PROTOCOL.md 6.6); they come along. Unreadable, they stay behind with a warning: the queue is
            // what must not be lost.
            var kept: [[SQLValue]] = []
            var keptUnreadable: String?
            do {
                kept = try damaged.rows("""
                    SELECT push_seq, seq, mutation, mutation_version, args, created_at, status, acked_version, acknowledged_at
                    FROM acknowledged_mutation ORDER BY push_seq
                    """).map { row in (0..<9).map { row[$0] } }
            } catch let error as DatabaseError {
                keptUnreadable = error.message
            }
            guard meta.contains(where: { $0.0 == "replica_id" }) else {
                throw CommandFailure(.config, "\(source.path) has no readable replica id; nothing was changed")
            }
            let fresh = try Replica.create(target, clock: session.clock)
            do {
                try fresh.db.transaction {
                    for (key, value) in meta {
                        try fresh.db.execute("INSERT INTO replica_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                                             [key, value])
                    }
                    // Queued with no local effect yet ('[]'): the first pull applies them again on top of the node's state.
                    for row in queue {
                        try fresh.db.execute("""
                            INSERT INTO queue (seq, mutation, mutation_version, args, created_at, push_seq, acked_version, changes)
                            VALUES (?, ?, ?, ?, ?, ?, ?, '[]')
                            """, row)
                    }
                    for row in kept {
                        try fresh.db.execute("""
                            INSERT INTO acknowledged_mutation (push_seq, seq, mutation, mutation_version, args, created_at, status, acked_version, acknowledged_at)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                            """, row)
                    }
                    for row in rejected {
                        try fresh.db.execute("""
                            INSERT INTO rejected (seq, mutation, mutation_version, args, created_at, code, message, rejected_at)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                            """, row)
                    }
                }
                let token = source.appendingPathComponent(SyncCommands.tokenFileName)
                if let bytes = FileManager.default.contents(atPath: token.path) {
                    guard LocalFiles.create(target.appendingPathComponent(SyncCommands.tokenFileName).path, contents: Array(bytes), mode: 0o600) else {
                        throw CommandFailure(.cannotCreate, "cannot write the token into \(target.path)")
                    }
                }
            } catch {
                // A half-made rescue is worse than none: the damaged replica is untouched, try again.
                for name in [Replica.databaseName, Replica.databaseName + "-wal", Replica.databaseName + "-shm", SyncCommands.tokenFileName] {
                    try? FileManager.default.removeItem(at: target.appendingPathComponent(name))
                }
                throw error
            }
            // The damaged file steps aside (its WAL and index with it, so they still belong together): two
            // replicas with one id would hand the node one push number for two different changes.
            for suffix in ["", "-wal", "-shm"] {
                let from = source.appendingPathComponent(Replica.databaseName + suffix).path
                guard FileManager.default.fileExists(atPath: from) else { continue }
                try FileManager.default.moveItem(atPath: from, toPath: source.appendingPathComponent(Replica.databaseName + ".damaged" + suffix).path)
            }
            if let keptUnreadable {
                session.printError("Warning: the changes the node already acknowledged could not be read (\(keptUnreadable)); "
                                   + "a node restored from an older backup cannot get them again from this replica.")
            }
            session.print("""
                Rescued \(queue.count) queued change(s), \(rejected.count) refused one(s) and \(kept.count) acknowledged one(s) kept for the node from \(source.path) into \(target.path) \
                (the damaged file is kept as \(file.path).damaged).
                Next: outpost sync --replica \(target.path)  (sends the queue, pulls everything from the node)
                """)
        })
}
