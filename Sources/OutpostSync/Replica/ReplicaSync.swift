import Foundation
import OutpostModel
import OutpostStore

/// The replica side of sync: push the queue, pull the node's changes, rebase.
public final class ReplicaSync {
    public let replica: Replica
    let transport: any SyncTransport
    /// Bytes per pull page to ask for.
    /// 4 MB: fewer page transactions on a big pull, a few MB of memory.
    public var pageBytes = 4 * 1024 * 1024
    /// Mutations per push request.
    public var pushBatch = 500
    /// Told what the pull has done so far after each page is applied (the protocol does not say how
    /// many changes are still to come, so this is a running count).
    public var pullProgress: ((PullReport) -> Void)?

    public init(replica: Replica, transport: any SyncTransport) {
        self.replica = replica
        self.transport = transport
    }

    var db: Database { replica.db }

    /// What a push did.
    public struct PushReport: Sendable, Equatable {
        public var sent = 0
        public var applied = 0
        public var refused = 0
        public var conflicts = 0
        public var bytes = 0
        /// This replica's edits that lost to a later one, as the node told them (one line per mutation).
        public var overwritten: [String] = []
        /// The `conflict_notice` keys those lines were remembered under.
        var overwrittenKeys: [String] = []
        /// Mutations the node had acknowledged and lost, sent again (PROTOCOL.md 6.6).
        public var resent = 0
        /// When the node was found behind: the last push seq it still had, and the last one it had acknowledged.
        public var nodeBehind: NodeBehind?

        /// One line saying what the recovery did, when the node was found behind.
        public var recoveryLine: String? {
            guard let nodeBehind else { return nil }
            return "The node had lost \(nodeBehind.acknowledged - nodeBehind.had) change(s) it had acknowledged from this replica "
                + "(push #\(nodeBehind.had + 1)–#\(nodeBehind.acknowledged); restored from a backup?): re-sent \(resent) and re-fetched everything."
        }

        public init() {}

        /// Adds the verdicts of an earlier attempt of the same run (its lost-edit lines are told again by the pull).
        public mutating func add(_ earlier: PushReport) {
            sent += earlier.sent
            applied += earlier.applied
            refused += earlier.refused
            conflicts += earlier.conflicts
            bytes += earlier.bytes
        }
    }

    /// A node found behind this replica: the last push seq it still had a verdict for, and the last it had given.
    public struct NodeBehind: Sendable, Equatable {
        public let had: Int64
        public let acknowledged: Int64
    }

    /// What a pull did.
    public struct PullReport: Sendable, Equatable {
        public var pages = 0
        public var changes = 0
        public var bytes = 0
        public var cursor: Int64 = 0
        /// Tables re-fetched whole because their digest differed (or the cursor predated the node's horizon).
        public var snapshots: [String] = []
        /// This replica's edits that lost to a later one, learned from conflict records pulled now (one line each).
        public var overwritten: [String] = []
        /// When the node's log ended before this replica's cursor (it lost changes): both positions.
        public var nodeBehind: NodeBehindCursor?

        /// One line saying what happened, when the node was found behind.
        public var recoveryLine: String? {
            guard let nodeBehind else { return nil }
            return "The node's change log ends at \(nodeBehind.head), before this replica's cursor \(nodeBehind.cursor) "
                + "(restored from a backup?): re-fetched everything."
        }

        public init() {}
    }

    /// A node whose change log ended before the replica's cursor.
    public struct NodeBehindCursor: Sendable, Equatable {
        public let cursor: Int64
        public let head: Int64
    }

    // MARK: Push

    /// Sends every unacknowledged mutation, in order, and records the verdicts.
    public func push() throws -> PushReport {
        var report = PushReport()
        do {
            try push(into: &report)
        } catch {
            // Lost edits this push learned are never printed now: let the records pulled next time tell them.
            for key in report.overwrittenKeys { try? db.execute("DELETE FROM conflict_notice WHERE key = ?", [key]) }
            throw error
        }
        return report
    }

    private func push(into report: inout PushReport) throws {
        let replicaId = try replica.replicaId()
        try forgetAcknowledged(before: replica.clock.now().adding(seconds: -Self.keptAcknowledgedSeconds))
        // Whether the node still has what it acknowledged is checked once per push, by the first answer:
        // nothing to check while nothing acknowledged is kept.
        var checked = try acknowledgedSeq() == nil
        while true {
            let batch = try db.transaction { () -> [PushedMutation] in
                // Push seqs are given once, durably, before anything is sent: a resend carries the same seq.
                // Nothing new, nothing written: a commit that writes is a disk sync (synchronous = FULL).
                let unnumbered = try db.rows("SELECT seq FROM queue WHERE push_seq IS NULL ORDER BY seq")
                if !unnumbered.isEmpty {
                    var next = (try db.scalar("SELECT coalesce(max(push_seq), 0) FROM queue")?.int64 ?? 0)
                    next = max(next, Int64(try meta("last_push_seq") ?? "0") ?? 0)
                    for row in unnumbered {
                        next += 1
                        try db.execute("UPDATE queue SET push_seq = ? WHERE seq = ?", [next, try row.int64("seq")])
                    }
                    try setMeta("last_push_seq", String(next))
                }
                // Only what travels: the undo record stays home.
                return try db.rows("""
                    SELECT push_seq, mutation, mutation_version, args, created_at FROM queue
                    WHERE acked_version IS NULL ORDER BY push_seq LIMIT ?
                    """, [pushBatch]).map(pushed)
            }
            guard !batch.isEmpty || !checked else { break }
            var response: PushResponse
            var gap: SyncError?
            do {
                response = try send(PushRequest(replica: replicaId, mutations: batch), into: &report)
            } catch let error as SyncError where error.code == .seqGap && !checked {
                // An empty push changes nothing and answers how far the node's verdicts go.
                gap = error
                response = try send(PushRequest(replica: replicaId, mutations: []), into: &report)
            }
            if !checked {
                checked = true
                if let acknowledged = try acknowledgedSeq(), response.lastSeq < acknowledged {
                    try resend(after: response.lastSeq, replica: replicaId, into: &report)
                    continue
                }
                if let gap { throw gap }
            }
            guard !batch.isEmpty else { break }
            report.sent += batch.count
            try record(response.verdicts, into: &report)
            if batch.count < pushBatch { break }
        }
    }

    /// A queued or kept mutation as it travels.
    private func pushed(_ row: Row) throws -> PushedMutation {
        PushedMutation(seq: try row.int64("push_seq"), name: try row.string("mutation"), version: try row.int("mutation_version"),
                       args: try JSONValue(parsing: try row.string("args")),
                       createdAt: Timestamp(try row.string("created_at")) ?? replica.clock.now())
    }

    /// One push request and its answer.
    private func send(_ request: PushRequest, into report: inout PushReport) throws -> PushResponse {
        let received = transport.bytesReceived
        let response = try PushResponse(json: try transport.exchange(.push, request.json))
        report.bytes += transport.bytesReceived - received
        return response
    }

    // MARK: Kept acknowledged mutations

    /// How long a mutation is kept after the node acknowledged it, so that a node restored from an older
    /// backup, or rolled back by a power loss, gets it again (PROTOCOL.md 6.6): 30 days.
    public static let keptAcknowledgedSeconds: Int64 = 30 * 86_400

    /// The highest push seq the node has given a verdict for, among those kept.
    func acknowledgedSeq() throws -> Int64? {
        try db.scalar("SELECT max(push_seq) FROM acknowledged_mutation")?.int64
    }

    /// Forgets kept mutations acknowledged before `instant`.
    func forgetAcknowledged(before instant: Timestamp) throws {
        try db.execute("DELETE FROM acknowledged_mutation WHERE acknowledged_at < ?", [instant.description])
    }

    /// The node has verdicts from this replica only up to `nodeSeq`, fewer than it gave: it lost the rest.
    /// Sends the kept mutations after it again, in order, with their original seqs and instants; the next pull
    /// re-fetches everything. A crash anywhere here is mended by the next sync, which finds the node behind again.
    private func resend(after nodeSeq: Int64, replica replicaId: String, into report: inout PushReport) throws {
        let acknowledged = try acknowledgedSeq() ?? nodeSeq
        guard try db.scalar("SELECT 1 FROM acknowledged_mutation WHERE push_seq = ?", [nodeSeq + 1]) != nil else {
            let days = Self.keptAcknowledgedSeconds / 86_400
            throw SyncError(.seqGap, "the node has verdicts from this replica up to push #\(nodeSeq), but acknowledged up to #\(acknowledged); "
                            + "#\(nodeSeq + 1) was acknowledged more than \(days) days ago and is no longer kept here, so it cannot be sent again")
        }
        // Durable before the first resend: the pull that follows re-fetches everything, even after a crash.
        try setMeta("node_behind", String(nodeSeq))
        report.nodeBehind = NodeBehind(had: nodeSeq, acknowledged: acknowledged)
        var after = nodeSeq
        while true {
            let batch = try db.rows("""
                SELECT push_seq, mutation, mutation_version, args, created_at FROM acknowledged_mutation
                WHERE push_seq > ? ORDER BY push_seq LIMIT ?
                """, [after, pushBatch]).map(pushed)
            guard let last = batch.last else { break }
            let response = try send(PushRequest(replica: replicaId, mutations: batch, resend: true), into: &report)
            try record(response.verdicts, resent: true, into: &report)
            report.resent += batch.count
            after = last.seq
        }
    }

    /// Applies verdicts: acknowledged mutations wait for their effect to be pulled; refused ones leave the queue for the rejected list.
    func record(_ verdicts: [Verdict], resent: Bool = false, into report: inout PushReport) throws {
        try db.transaction {
            var refused: [Verdict] = []
            let now = replica.clock.now().description
            for verdict in verdicts {
                if let queued = try db.scalar("SELECT mutation FROM queue WHERE push_seq = ?", [verdict.seq])?.string, queued != verdict.mutation {
                    throw SyncError(.seqReused, "the node's verdict for push #\(verdict.seq) is for \(verdict.mutation), but this replica queued \(queued) there; the replica id is shared with another copy")
                }
                try keep(verdict, now: now, resent: resent)
                switch verdict.status {
                case .applied, .appliedWithConflict:
                    try db.execute("UPDATE queue SET acked_version = ? WHERE push_seq = ?", [verdict.version, verdict.seq])
                    report.applied += 1
                    if verdict.status == .appliedWithConflict { report.conflicts += 1 }
                    if verdict.code == "overwritten", let fields = verdict.field {
                        // Told now: the conflict records this verdict stands for are not announced again when pulled.
                        let now = replica.clock.now().description
                        var told = false
                        for field in fields.split(separator: ",") {
                            let key = Self.noticeKey(seq: verdict.seq, field: String(field))
                            try db.execute("INSERT OR IGNORE INTO conflict_notice (key, at) VALUES (?, ?)", [key, now])
                            if db.changes > 0 {
                                told = true
                                report.overwrittenKeys.append(key)
                            }
                        }
                        if told { report.overwritten.append(verdict.message ?? "push #\(verdict.seq) (\(verdict.mutation)): your edit of \(fields) was overwritten by a later edit") }
                    }
                case .refused:
                    refused.append(verdict)
                    report.refused += 1
                }
            }
            guard !refused.isEmpty else { return }
            try replica.queue.rebase(underneath: {
                for verdict in refused {
                    let message = (verdict.message ?? "refused by the node") + (verdict.blockedBy.map { " (blocked by push #\($0))" } ?? "")
                    guard let row = try db.row("SELECT * FROM queue WHERE push_seq = ?", [verdict.seq]) else {
                        // A resent mutation the node refuses now (what it needed was lost with it): shown like any refusal.
                        try db.execute("""
                            INSERT OR REPLACE INTO rejected (seq, mutation, mutation_version, args, created_at, code, message, rejected_at)
                            SELECT seq, mutation, mutation_version, args, created_at, ?, ?, ? FROM acknowledged_mutation WHERE push_seq = ?
                            """, [verdict.code ?? "refused", message, now, verdict.seq])
                        continue
                    }
                    let entry = try QueuedMutation(row: row)
                    try db.execute("""
                        INSERT OR REPLACE INTO rejected (seq, mutation, mutation_version, args, created_at, code, message, rejected_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """, [entry.seq, entry.mutation, entry.mutationVersion, entry.args, entry.createdAt.description,
                              verdict.code ?? "refused", message, now])
                    try db.execute("DELETE FROM queue WHERE seq = ?", [entry.seq])
                }
            }, whenRefused: { _, _ in })
        }
    }

    /// Keeps a mutation with its verdict, for the retention period (PROTOCOL.md 6.6); a verdict for one
    /// kept already (a resend) replaces the old one, and an applied resend is no longer a refusal.
    private func keep(_ verdict: Verdict, now: String, resent: Bool) throws {
        // A first verdict: one statement, the push's own cost (a resend replaces one kept already).
        if !resent {
            return try db.execute("""
                INSERT OR REPLACE INTO acknowledged_mutation (push_seq, seq, mutation, mutation_version, args, created_at, status, acked_version, acknowledged_at)
                SELECT push_seq, seq, mutation, mutation_version, args, created_at, ?, ?, ? FROM queue WHERE push_seq = ?
                """, [verdict.status.rawValue, verdict.version, now, verdict.seq])
        }
        if let before = try db.row("SELECT seq, status FROM acknowledged_mutation WHERE push_seq = ?", [verdict.seq]) {
            if try before.string("status") == Verdict.Status.refused.rawValue, verdict.status != .refused {
                try db.execute("DELETE FROM rejected WHERE seq = ?", [try before.int64("seq")])
            }
            try db.execute("UPDATE acknowledged_mutation SET status = ?, acked_version = ?, acknowledged_at = ? WHERE push_seq = ?",
                           [verdict.status.rawValue, verdict.version, now, verdict.seq])
        }
    }

    // MARK: Pull

    /// Pulls every page after the cursor, each applied in one transaction with its cursor; then checks digests.
    public func pull() throws -> PullReport {
        var report = PullReport()
        let replicaId = try replica.replicaId()
        // After a resend to a node that had lost changes, every table is re-fetched: rows the node lost
        // (other replicas' changes, its own facts) must go here too, until those come back.
        let nodeBehind = try meta("node_behind") != nil
        var request = PullRequest(replica: replicaId, cursor: try cursor(), maxBytes: pageBytes,
                                  snapshotTables: nodeBehind ? Schema.replicatedTables : [])
        var snapshotted: Set<String> = []
        // The reader reads every table's plan from this dictionary only: it runs on the fetching thread while
        // this one writes the database.
        let tablePlans = try Dictionary(uniqueKeysWithValues: Schema.replicatedTables.map { ($0, try plan(for: $0)) })
        let reader = PullPageReader { table in
            guard let plan = tablePlans[table] else { throw SyncError(.malformed, "pull response: unknown table \(table)") }
            return (plan.columns, plan.index)
        }
        let transport = self.transport
        func fetch(_ request: PullRequest) throws -> (page: PullPage, bytes: Int) {
            let page = try reader.read(try transport.exchangeBytes(.pull, request.json))
            return (page, transport.bytesReceived)
        }
        // The next page, asked for while this one is applied: the node builds it and this side reads it on another
        // core meanwhile. Waited for before anything else uses the transport, also when applying fails.
        var prefetch: PageFetch?
        defer { prefetch?.abandon() }
        while true {
            let (response, bytes) = try prefetch.map { try $0.wait() } ?? fetch(request)
            prefetch = nil
            report.pages += 1
            report.bytes = bytes
            report.changes += response.changes.count
            for table in response.reset where !report.snapshots.contains(table) { report.snapshots.append(table) }
            if request.snapshotTables.isEmpty, response.cursor < request.cursor {
                // Answered with a snapshot because this cursor is past the node's head (PROTOCOL.md 7.4).
                report.nodeBehind = NodeBehindCursor(cursor: request.cursor, head: response.cursor)
            }
            // Where a page continues (a snapshot, or more of the log), its next request is known before it is applied.
            var next: PullRequest?
            if let after = response.snapshotAfter {
                next = PullRequest(replica: replicaId, cursor: request.cursor, maxBytes: pageBytes,
                                   snapshotTables: response.snapshotTables, snapshotAfter: after)
            } else if response.more {
                next = PullRequest(replica: replicaId, cursor: response.cursor, maxBytes: pageBytes)
            }
            if let next { prefetch = PageFetch { try fetch(next) } }
            try apply(response)
            pullProgress?(report)
            if let next {
                request = next
                continue
            }
            report.cursor = response.cursor
            guard let digests = response.digests else { break }
            let differing = try tablesDiffering(from: digests)
            guard !differing.isEmpty else { break }
            let again = differing.filter { !snapshotted.contains($0) }
            guard !again.isEmpty else {
                throw SyncError(.malformed, "tables \(differing.joined(separator: ", ")) still differ from the node after a snapshot")
            }
            snapshotted.formUnion(again)
            request = PullRequest(replica: replicaId, cursor: response.cursor, maxBytes: pageBytes, snapshotTables: again)
        }
        if nodeBehind { try db.execute("DELETE FROM replica_meta WHERE key = 'node_behind'") }
        report.overwritten = try announceLosses()
        return report
    }

    /// The key under which a loss told by a push verdict is remembered.
    static func noticeKey(seq: Int64, field: String) -> String { "push:\(seq):\(field)" }

    /// Open conflicts in which this replica's edit lost and which it has not announced yet: one line
    /// each (entity, field, your value, the kept value), remembered so each is told once.
    func announceLosses() throws -> [String] {
        let me = try replica.replicaId()
        guard !me.isEmpty else { return [] }
        return try db.transaction {
            var lines: [String] = []
            let now = replica.clock.now().description
            let unseen = try db.rows("""
                SELECT * FROM conflict WHERE overwritten_replica = ? AND resolved_at IS NULL
                AND id NOT IN (SELECT key FROM conflict_notice) ORDER BY at, id
                """, [me]).map(Conflict.init(row:))
            for conflict in unseen {
                let verdictKey = Self.noticeKey(seq: conflict.seq, field: conflict.field)
                let toldByVerdict = try conflict.replicaId == me && db.scalar("SELECT 1 FROM conflict_notice WHERE key = ?", [verdictKey]) != nil
                try db.execute("INSERT OR IGNORE INTO conflict_notice (key, at) VALUES (?, ?)", [conflict.id, now])
                if !toldByVerdict { lines.append("\(try conflict.subject(in: db)) \(conflict.field): \(conflict.story(from: me))") }
            }
            return lines
        }
    }

    /// The tables whose node-state digest differs from the node's.
    func tablesDiffering(from digests: [String: TableDigest]) throws -> [String] {
        // Kept digests follow only the node's changes (pending local work never touches them), so once
        // every table has one they can be read as they are; only a missing one must be computed with
        // the pending changes taken off.
        let kept = try db.scalar("SELECT count(*) FROM table_digest")?.int64 ?? 0
        if kept == Int64(Schema.replicatedTables.count) {
            return try Schema.replicatedTables.filter { try RowDigest.stored($0, in: db) != digests[$0] }
        }
        var differing: [String] = []
        try db.transaction {
            try replica.queue.rebase(underneath: {
                for table in Schema.replicatedTables where try RowDigest.stored(table, in: db) != digests[table] {
                    differing.append(table)
                }
            }, whenRefused: { _, _ in })
        }
        return differing
    }

    /// Applies one page, its cursor and the drop of acknowledged mutations, in one transaction.
    func apply(_ page: PullPage) throws {
        // Nothing new at the cursor the replica already has, and no acknowledged mutation left to drop: nothing to
        // write (most syncs are this; writing the same cursor again cost each a transaction and its fsync).
        if page.changes.isEmpty, page.reset.isEmpty, page.snapshotAfter == nil, try page.cursor == cursor(),
           try db.scalar("SELECT 1 FROM queue WHERE acked_version IS NOT NULL AND acked_version <= ? LIMIT 1", [page.cursor]) == nil {
            return
        }
        // Pages arrive in log order, which compaction can make child-before-parent;
        // the node is authoritative, so foreign keys are not enforced while applying.
        try db.executeScript("PRAGMA foreign_keys = OFF")
        defer { try? db.executeScript("PRAGMA foreign_keys = ON") }
        try db.transaction {
            // A big page or a snapshot changes too much to journal row by row: one overflow marker
            // tells the dashboards to rebuild everything, and the pull keeps its speed.
            if page.changes.count > SiteJournal.bulkThreshold || !page.reset.isEmpty {
                let tables = Set(page.changes.map(\.table)).union(page.reset)
                try SiteJournal.withJournalOff(db, tables: Schema.replicatedTables.filter(tables.contains)) { try applyRebased(page) }
            } else {
                try applyRebased(page)
            }
        }
    }

    /// The body of `apply`: the page underneath the pending mutations. Call inside a transaction.
    private func applyRebased(_ page: PullPage) throws {
        try replica.queue.rebase(underneath: {
            try RowDigest.prepare(in: db)
            for table in page.reset {
                try db.execute("DELETE FROM \(RowDigest.checked(table))")
                try RowDigest.reset(table, in: db)
            }
            // Digest changes are summed in memory and written once per table.
            var deltas: [String: TableWriter.Delta] = [:]
            var writer: TableWriter?
            for change in page.changes {
                if writer?.table != change.table {
                    if let writer { deltas[writer.table] = writer.delta }
                    writer = try TableWriter(plan: plan(for: change.table), table: change.table, db: db,
                                             delta: deltas[change.table] ?? TableWriter.Delta())
                }
                try writer!.apply(change)
            }
            if let writer { deltas[writer.table] = writer.delta }
            for (table, delta) in deltas.sorted(by: { $0.key < $1.key }) {
                try RowDigest.add(table, rows: delta.rows, sum: delta.sum, in: db)
            }
            if page.snapshotAfter == nil {
                try setMeta("cursor", String(page.cursor))
                try db.execute("DELETE FROM queue WHERE acked_version IS NOT NULL AND acked_version <= ?", [page.cursor])
            }
        }, whenRefused: { _, _ in })
    }

    /// How rows of one table are read and written: columns in sorted order and the statements, made once.
    struct TablePlan {
        let columns: [String]
        let index: [String: Int]
        let select: String
        /// For rows the replica does not have yet (most of a first pull): an insert that leaves a row it has alone.
        let insertNew: String
        let upsert: String
        let delete: String
    }

    private var plans: [String: TablePlan] = [:]

    func plan(for table: String) throws -> TablePlan {
        if let plan = plans[table] { return plan }
        let name = RowDigest.checked(table)
        let columns = try db.rows("PRAGMA table_info(\(name))").compactMap { $0["name"].string }.sorted()
        let list = columns.joined(separator: ", ")
        let updates = columns.filter { $0 != "id" }.map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
        let insert = "INSERT INTO \(name) (\(list)) VALUES (\(Array(repeating: "?", count: columns.count).joined(separator: ", ")))"
        let plan = TablePlan(
            columns: columns, index: Dictionary(uniqueKeysWithValues: columns.enumerated().map { ($1, $0) }),
            select: "SELECT \(list) FROM \(name) WHERE id = ?",
            insertNew: insert + " ON CONFLICT (id) DO NOTHING",
            upsert: insert + " ON CONFLICT (id) DO UPDATE SET \(updates)",
            delete: "DELETE FROM \(name) WHERE id = ?")
        plans[table] = plan
        return plan
    }

    /// Reads pages with the replica's own column order.
    /// One page fetched and read on a thread of its own (`pull`'s read-ahead).
    private final class PageFetch: @unchecked Sendable {
        // @unchecked: `work` runs on the fetching thread alone; `result` is written there before `done` is signalled
        // and read here only after waiting for it.
        private let work: () throws -> (page: PullPage, bytes: Int)
        private var result: Result<(page: PullPage, bytes: Int), any Error>?
        private let done = DispatchSemaphore(value: 0)
        private var waited = false

        init(_ work: @escaping () throws -> (page: PullPage, bytes: Int)) {
            self.work = work
            Thread { [self] in
                result = Result { try self.work() }
                done.signal()
            }.start()
        }

        func wait() throws -> (page: PullPage, bytes: Int) {
            if !waited {
                done.wait()
                waited = true
            }
            return try result!.get()
        }

        /// Waits for the fetch to end, its page unused (the pull stopped before it).
        func abandon() {
            _ = try? wait()
        }
    }

    /// Writes a run of one table's changes with that table's statements, and sums their digest change.
    /// Made once per run of changes to one table rather than looked up per change: a page holds thousands.
    struct TableWriter {
        struct Delta {
            var rows: Int64 = 0
            var sum: Int64 = 0
        }

        let table: String
        private(set) var delta: Delta
        private let db: Database
        private let columns: [String]
        private let select: Statement
        private let insertNew: Statement
        private let upsert: Statement
        private let delete: Statement

        init(plan: TablePlan, table: String, db: Database, delta: Delta) throws {
            self.table = table
            self.delta = delta
            self.db = db
            columns = plan.columns
            select = try db.cachedStatement(plan.select)
            insertNew = try db.cachedStatement(plan.insertNew)
            upsert = try db.cachedStatement(plan.upsert)
            delete = try db.cachedStatement(plan.delete)
        }

        mutating func apply(_ change: PullPage.RowChange) throws {
            // A row the replica does not have yet (most of a first pull) goes in with one statement; only a row it
            // has is read, to take its old image out of the digest. Such an update pays for the insert it tried
            // (one index lookup); the pulls that carry many updates are small, those that carry many rows new.
            if change.operation == .upsert, let values = change.values {
                try insertNew.execute(values)
                if db.changes > 0 {
                    delta.rows += 1
                    delta.sum = delta.sum &+ change.hash
                    return
                }
            }
            try select.bind([.text(change.id)])
            if try select.step() {
                let before = (0..<Int32(columns.count)).map { select.value(at: $0) }
                delta.rows -= 1
                delta.sum = delta.sum &- RowDigest.hash(columns: columns, values: before)
            }
            select.reset()
            switch change.operation {
            case .delete:
                try delete.execute([.text(change.id)])
            case .upsert:
                guard let values = change.values else { return }
                try upsert.execute(values)
                delta.rows += 1
                delta.sum = delta.sum &+ change.hash
            }
        }
    }

    // MARK: Sync

    /// Push, then pull; recorded as a run for `outpost status` and the dashboards.
    public struct SyncReport: Sendable {
        public var push = PushReport()
        public var pull = PullReport()
        public var runId = ""

        /// This replica's edits that lost to later ones, learned in this run (from verdicts or pulled records), one line each.
        public var overwritten: [String] { push.overwritten + pull.overwritten }

        /// One line when the node was found behind this replica and the run recovered (PROTOCOL.md 6.6).
        public var recoveryLine: String? { push.recoveryLine ?? pull.recoveryLine }

        public init(runId: String = "") {
            self.runId = runId
        }
    }

    /// The verdicts an attempt received before it failed; `sync(runId:after:)` of the next attempt adds them in.
    public private(set) var verdictsBeforeFailure = PushReport()

    /// `earlier`: the verdicts of this run's failed attempts, so the report and exit code count every verdict of the run.
    public func sync(runId: String, after earlier: PushReport = PushReport()) throws -> SyncReport {
        var report = SyncReport(runId: runId)
        // The node logs the run id with each request.
        (transport as? HTTPTransport)?.runId = runId
        let started = replica.clock.now()
        // The run log is a record of what happened, not state a sync rests on: its lines are written without waiting
        // for the disk (a no-op sync then syncs nothing to it). A power cut may take back the newest line, never a
        // change, a cursor or an acknowledgement, which commit as ever.
        let run = try db.withoutDiskSync {
            try db.execute("INSERT INTO sync_run (run_id, started_at, result, cursor) VALUES (?, ?, 'running', ?)", [runId, started.description, try cursor()])
            return try db.scalar("SELECT last_insert_rowid()")?.int64 ?? 0
        }
        do {
            // Into the report directly: verdicts received before a failure are counted too.
            try push(into: &report.push)
            report.pull = try pull()
        } catch {
            // The lines the push learned are not printed after a failure: let the records pulled next time tell them.
            for key in report.push.overwrittenKeys { try? db.execute("DELETE FROM conflict_notice WHERE key = ?", [key]) }
            verdictsBeforeFailure = report.push
            try? db.withoutDiskSync {
                try db.execute("UPDATE sync_run SET finished_at = ?, result = 'failed', message = ?, pushed = ?, refused = ?, conflicts = ?, pulled = ?, bytes = ? WHERE id = ?",
                               [replica.clock.now().description, "\(error)", report.push.sent, report.push.refused, report.push.conflicts,
                                report.pull.changes, report.push.bytes + report.pull.bytes, run])
            }
            throw error
        }
        report.push.add(earlier)
        // Conflicts need this laptop's attention only where its own edit lost.
        let attention = report.push.refused > 0 || !report.overwritten.isEmpty
        try db.withoutDiskSync { try db.execute("""
            UPDATE sync_run SET finished_at = ?, result = ?, pushed = ?, refused = ?, conflicts = ?, pulled = ?, bytes = ?, cursor = ?,
            message = ? WHERE id = ?
            """, [replica.clock.now().description, attention ? "attention" : "ok", report.push.sent, report.push.refused,
                  report.overwritten.count, report.pull.changes, report.push.bytes + report.pull.bytes, report.pull.cursor,
                  report.recoveryLine ?? (report.pull.snapshots.isEmpty ? "" : "re-fetched: " + report.pull.snapshots.joined(separator: ", ")), run]) }
        return report
    }

    // MARK: Verify

    /// Compares this replica's node-state digests (pending changes taken off) with the node's, table by table.
    public func verify() throws -> [(table: String, mine: TableDigest, node: TableDigest)] {
        let answer = try transport.exchange(.digest, .object(["protocol": .integer(SyncProtocol.version)]))
        guard let members = answer["digests"]?.objectValue, let nodeCursor = answer["cursor"]?.integerValue else {
            throw TransportError(.protocolViolation, "the digest answer has no digests")
        }
        guard nodeCursor == (try cursor()) else {
            throw SyncError(.malformed, "the node is at \(nodeCursor), this replica at \(try cursor()); run outpost pull first")
        }
        var mine: [String: TableDigest] = [:]
        // Undo pending effects, compute, and roll everything back: a read-only look at node state.
        struct Rollback: Error {}
        do {
            try db.transaction {
                try replica.queue.rebase(underneath: {
                    mine = try RowDigest.computeAll(in: db)
                    throw Rollback()
                }, whenRefused: { _, _ in })
            }
        } catch is Rollback {}
        return Schema.replicatedTables.map { table in
            let node = members[table].map { TableDigest(rows: $0["rows"]?.integerValue ?? -1, digest: $0["digest"]?.integerValue ?? 0) }
                ?? TableDigest(rows: -1, digest: 0)
            return (table, mine[table] ?? TableDigest(rows: 0, digest: 0), node)
        }
    }

    // MARK: State

    public func cursor() throws -> Int64 { Int64(try meta("cursor") ?? "0") ?? 0 }

    func meta(_ key: String) throws -> String? {
        try db.scalar("SELECT value FROM replica_meta WHERE key = ?", [key])?.string
    }

    func setMeta(_ key: String, _ value: String) throws {
        try db.execute("INSERT INTO replica_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [key, value])
    }
}
