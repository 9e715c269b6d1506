import Foundation
import OutpostModel
import OutpostStore

/// One reseller's authoritative state on the node: the same schema as a
/// replica, plus the change log, verdicts and digests. Its own SQLite file, or
/// on PostgreSQL a schema of its own reached through a connection whose
/// `search_path` is that schema alone, so no query can reach another reseller's rows.
public final class Tenant {
    public let resellerId: String
    public let db: any SQLDatabase
    let ids: IdentifierFactory
    /// The node's clock: pushed edits count as made no later than their arrival.
    let clock: any Clock
    /// On a node process serving PostgreSQL, the quiet-pull answers it keeps (`NodeChangeWatch`).
    let changeWatch: NodeChangeWatch?

    init(resellerId: String, db: any SQLDatabase, clock: any Clock, changeWatch: NodeChangeWatch? = nil) {
        self.resellerId = resellerId
        self.db = db
        self.ids = IdentifierFactory(clock: clock)
        self.clock = clock
        self.changeWatch = changeWatch
    }

    /// The tenant's SQLite database, for what only a SQLite file can do (a backup by copy, the
    /// pull-apply benchmark's direct writes); refused on another store.
    public func sqliteDatabase() throws -> Database {
        guard let file = db as? Database else {
            throw Node.AdminError("reseller \(resellerId) is stored in \(db.dialect.rawValue), not in a SQLite file")
        }
        return file
    }

    /// Creates the reseller's change-log counter (`ResellerCounter`) on PostgreSQL where it is missing,
    /// starting at the log's head. SQLite numbers the log from its head (`ChangeLog.append`) and has none.
    static func prepareCounter(for resellerId: String, in db: any SQLDatabase) throws {
        guard db.dialect == .postgresql else { return }
        try db.transaction {
            try db.executeScript(ResellerCounter.createTable)
            let head = try ChangeLog.head(in: db)
            try ResellerCounter.register(resellerId, startingAt: head, in: db)
            try PublishedHeads.register(resellerId, head: try ResellerCounter.current(for: resellerId, in: db) ?? head, in: db)
        }
    }

    // MARK: Back-office facts

    /// Writes node facts (catalog, provisioning, billing, login events) and logs them, in one transaction.
    @discardableResult
    public func record(now: Timestamp, origin: String = "node", _ body: (MutationContext) throws -> Void) throws -> Int64 {
        // After the commit: this process's next pull reads the log again without waiting for the notification.
        defer { changeWatch?.forget(resellerId) }
        return try db.transaction {
            let writer = try ChangeLog.Writer.begin(reseller: resellerId, in: db)
            let context = MutationContext(db: db, now: now, authority: .node)
            try body(context)
            let version = try ChangeLog.append(context.changes, origin: origin, edit: ChangeLog.Edit(madeAt: now, user: "", clockAhead: false),
                                               writer: writer)
            try writer.finish()
            return version
        }
    }

    /// Records an authenticated exchange as a login event, at most once per user and source every ten minutes.
    public func recordLogin(username: String, source: String, now: Timestamp) throws {
        let since = now.adding(seconds: -600)
        // This process recorded or found one in the last ten minutes: nothing to ask the database (every exchange
        // comes here). Another process's record is found by the query below, once per ten minutes per process.
        let key = username + "\u{1}" + source
        if let seen = recentLogin(key), seen > since { return }
        if let at = try db.scalar("SELECT max(at) FROM login_event WHERE username = ? AND source = ? AND at > ? AND result = 'success'",
                                  [username, source, since.description])?.string {
            noteLogin(key, at: Timestamp(at) ?? now)
            return
        }
        try record(now: now) { context in
            try LoginEvent.record(id: ids.make("log"), username: username, source: source, result: .success, in: context)
        }
        noteLogin(key, at: now)
    }

    /// On a PostgreSQL node process the logins it has seen are shared by all its connections (`NodeChangeWatch`):
    /// each connection's tenant would otherwise ask once per user and source (a round trip on the first exchanges).
    private func recentLogin(_ key: String) -> Timestamp? {
        changeWatch.map { $0.recentLogin(resellerId + "\u{1}" + key) } ?? recentLogins[key]
    }

    private func noteLogin(_ key: String, at: Timestamp) {
        if let changeWatch { return changeWatch.noteLogin(resellerId + "\u{1}" + key, at: at) }
        if recentLogins.count > 10_000 { recentLogins.removeAll() }
        recentLogins[key] = at
    }

    /// When this process last saw a login event recorded for a user and source (`recordLogin`).
    private var recentLogins: [String: Timestamp] = [:]

    // MARK: Push

    /// Applies a push: each mutation once, in seq order, each in its own savepoint.
    /// `user` is the panel user the push's token belongs to (recorded with its edits).
    ///
    /// The whole request is one transaction, committed (and, with `synchronous = FULL`, on the disk)
    /// before the answer leaves: an acknowledged verdict survives a power loss. One commit per request
    /// rather than per mutation is one WAL sync per request. `outpost-bench push-http` (10,000 mutations,
    /// a shared 2-core machine at a quiet moment): FULL with a commit per mutation 1,104/s; FULL with one
    /// per request 6,949–7,651/s (6 runs); NORMAL with a commit per mutation, before, 4,964–5,293/s (3 runs).
    public func push(_ request: PushRequest, user: String = "") throws -> PushResponse {
        defer { changeWatch?.forget(resellerId) }
        return try db.transaction {
            let writer = try ChangeLog.Writer.begin(reseller: resellerId, in: db)
            let response = try pushInOneTransaction(request, user: user, writer: writer)
            try writer.finish()
            return response
        }
    }

    private func pushInOneTransaction(_ request: PushRequest, user: String, writer: ChangeLog.Writer) throws -> PushResponse {
        var verdicts: [Verdict] = []
        var lastSeq = try self.lastSeq(request.replica)
        let recorder = VerdictRecorder(replica: request.replica, db: db)
        defer { recorder.discard() }
        // Most replicas never had a mutation refused: then nothing they push can be blocked by one, and the
        // check per referenced id is skipped (a round trip each on PostgreSQL).
        var mayBeBlocked = try db.scalar("SELECT 1 FROM refused_id WHERE replica_id = ? LIMIT 1", [request.replica]) != nil
        for mutation in request.mutations {
            if mutation.seq <= lastSeq {
                try recorder.flush()
                // A replay: answer with the verdict already given, change nothing — if it is the same mutation.
                let stored = try db.scalar("SELECT request_hash FROM verdict WHERE replica_id = ? AND seq = ?", [request.replica, mutation.seq])?.string
                guard stored == nil || stored == Self.requestHash(mutation) else {
                    throw SyncError(.seqReused, "seq \(mutation.seq) from \(request.replica) was already used for another mutation; was this replica directory copied or restored? Create a new replica with outpost init")
                }
                if let verdict = try storedVerdict(replica: request.replica, seq: mutation.seq) { verdicts.append(verdict) }
                continue
            }
            guard mutation.seq == lastSeq + 1 else {
                throw SyncError(.seqGap, "push from \(request.replica) starts at seq \(mutation.seq), but the node has verdicts up to \(lastSeq); the next must be \(lastSeq + 1)")
            }
            let verdict = try accept(mutation, replica: request.replica, user: user, writer: writer, mayBeBlocked: mayBeBlocked)
            try recorder.record(verdict, of: mutation)
            if verdict.status == .refused { mayBeBlocked = true }
            verdicts.append(verdict)
            lastSeq = mutation.seq
        }
        try recorder.flush()
        return PushResponse(verdicts: verdicts, lastSeq: lastSeq)
    }

    /// Verdicts of one push, inserted a hundred rows per statement rather than one per mutation (a round trip
    /// each on PostgreSQL); flushed before anything reads the verdict table and before the push's commit.
    private final class VerdictRecorder {
        static let rowsPerStatement = 100
        static let columns = ["replica_id", "seq", "mutation", "status", "code", "field", "message", "version", "blocked_by", "at", "request_hash"]
        let replica: String
        let db: any SQLDatabase
        private var pending: [SQLValue] = []
        private var rows: Int { pending.count / Self.columns.count }

        init(replica: String, db: any SQLDatabase) {
            self.replica = replica
            self.db = db
        }

        func record(_ verdict: Verdict, of pushed: PushedMutation) throws {
            let values: [any SQLBindable] = [replica, pushed.seq, pushed.name, verdict.status.rawValue, verdict.code, verdict.field,
                                             verdict.message, verdict.version, verdict.blockedBy, pushed.createdAt.description,
                                             Tenant.requestHash(pushed)]
            pending += values.map(\.sqlValue)
            if rows == Self.rowsPerStatement { try flush() }
        }

        func flush() throws {
            guard rows > 0 else { return }
            let row = "(" + Array(repeating: "?", count: Self.columns.count).joined(separator: ", ") + ")"
            let sql = "INSERT INTO verdict (\(Self.columns.joined(separator: ", "))) VALUES "
                + Array(repeating: row, count: rows).joined(separator: ", ")
            let values = pending
            discard()
            try db.executeLater(sql, values)
        }

        /// Drops what was not flushed: the push failed, and its transaction rolls back.
        func discard() {
            pending.removeAll(keepingCapacity: true)
        }
    }

    /// What a verdict answered: the mutation's name, version and canonical arguments, hashed.
    static func requestHash(_ mutation: PushedMutation) -> String {
        SHA256.hex(mutation.name + "\u{1}" + String(mutation.version) + "\u{1}" + mutation.args.serialized)
    }

    func lastSeq(_ replica: String) throws -> Int64 {
        try db.scalar("SELECT coalesce(max(seq), 0) FROM verdict WHERE replica_id = ?", [replica])?.int64 ?? 0
    }

    func storedVerdict(replica: String, seq: Int64) throws -> Verdict? {
        try db.row("SELECT * FROM verdict WHERE replica_id = ? AND seq = ?", [replica, seq]).map { row in
            Verdict(seq: seq, mutation: try row.string("mutation"), status: Verdict.Status(rawValue: try row.string("status")) ?? .refused,
                    version: try row.optionalInt64("version"), code: try row.optionalString("code"), field: try row.optionalString("field"),
                    message: try row.optionalString("message"), blockedBy: try row.optionalInt64("blocked_by"))
        }
    }

    /// Validates and applies one mutation against authoritative state, inside the push's transaction; the
    /// caller records the verdict. A refused mutation's writes are rolled back with its savepoint, and the
    /// versions and digests `writer` handed out for them with it.
    func accept(_ pushed: PushedMutation, replica: String, user: String, writer: ChangeLog.Writer, mayBeBlocked: Bool) throws -> Verdict {
        let mark = writer.mark()
        do {
            return try db.savepoint { try apply(pushed, replica: replica, user: user, writer: writer, mayBeBlocked: mayBeBlocked) }
        } catch {
            let code: String, message: String
            var field: String?, blockedBy: Int64?
            switch error {
            case let refusal as MutationRefusal:
                (code, field, message) = (refusal.code.rawValue, refusal.field, refusal.message)
            case let blocked as BlockedByRefusal:
                (code, message, blockedBy) = ("blocked", "blocked by refused mutation seq \(blocked.seq): it needs \(blocked.id), which was never created", blocked.seq)
            case let unknown as MutationCatalogue.UnknownMutation:
                (code, message) = ("unknown_mutation", "\(unknown.description); this node cannot apply it (upgrade the node?)")
            case is DecodingError:
                (code, message) = ("invalid", "the arguments of \(pushed.name) are malformed")
            default:
                throw error
            }
            writer.rollBack(to: mark)
            return try refuse(pushed, replica: replica, code: code, field: field, message: message, blockedBy: blockedBy)
        }
    }

    private func apply(_ pushed: PushedMutation, replica: String, user: String, writer: ChangeLog.Writer, mayBeBlocked: Bool) throws -> Verdict {
        if mayBeBlocked, let blocker = try blockingSeq(replica: replica, ids: Self.referencedIds(in: pushed.args)) {
            throw BlockedByRefusal(seq: blocker.seq, id: blocker.id)
        }
        let mutation = try MutationCatalogue.decode(name: pushed.name, version: pushed.version, args: pushed.args)
        let context = MutationContext(db: db, now: pushed.createdAt, authority: .node)
        context.actor = user
        try mutation.apply(in: context)
        let arrival = clock.now()
        let edit = ChangeLog.Edit.pushed(createdAt: pushed.createdAt, arrival: arrival, user: user)
        let merge = try merge(context.changes, args: pushed.args, edit: edit, arrival: arrival, replica: replica, seq: pushed.seq,
                              mutation: pushed.name)
        let version = try ChangeLog.append(merge.changes, origin: replica, edit: edit, writer: writer)
        guard !merge.conflicts.isEmpty else {
            return Verdict(seq: pushed.seq, mutation: pushed.name, status: .applied, version: version)
        }
        // The pushing laptop learns at once which of its edits lost (PROTOCOL.md 6.5); the records follow in the pull.
        let lost = merge.conflicts.filter { $0.lost(by: replica) }
        var message: String?
        if !lost.isEmpty {
            let text = try lost.map { "\(try $0.subject(in: db)) \($0.field): \($0.story(from: replica))" }.joined(separator: "; ")
            message = text.utf8.count <= 4000 ? text : String(text.prefix(900)) + "…"
        }
        return Verdict(seq: pushed.seq, mutation: pushed.name, status: .appliedWithConflict, version: version,
                       code: lost.isEmpty ? nil : "overwritten", field: lost.isEmpty ? nil : lost.map(\.field).joined(separator: ","),
                       message: message)
    }

    private struct BlockedByRefusal: Error {
        let seq: Int64
        let id: String
    }

    private func refuse(_ pushed: PushedMutation, replica: String, code: String, field: String?, message: String,
                        blockedBy: Int64? = nil) throws -> Verdict {
        // Ids this mutation would have created stay unknown; later mutations naming them are blocked by it.
        for id in Self.referencedIds(in: pushed.args) where try !exists(id) {
            try db.execute("INSERT INTO refused_id (replica_id, entity_id, seq) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", [replica, id, pushed.seq])
        }
        return Verdict(seq: pushed.seq, mutation: pushed.name, status: .refused, version: nil, code: code, field: field, message: message,
                       blockedBy: blockedBy)
    }

    private func blockingSeq(replica: String, ids: [String]) throws -> (seq: Int64, id: String)? {
        for id in ids {
            if let seq = try db.scalar("SELECT seq FROM refused_id WHERE replica_id = ? AND entity_id = ?", [replica, id])?.int64, try !exists(id) {
                return (seq, id)
            }
        }
        return nil
    }

    /// Whether any replicated row has this id.
    private func exists(_ id: String) throws -> Bool {
        guard let underscore = id.firstIndex(of: "_"), let table = Self.tableByPrefix[String(id[..<underscore])] else { return false }
        return try db.scalar("SELECT 1 FROM \(table) WHERE id = ?", [id]) != nil
    }

    static let tableByPrefix: [String: String] = [
        "cus": "customer", "cu": "customer_user", "usr": "panel_user", "ord": "orders", "oln": "order_line",
        "sub": "subscription", "inv": "invoice", "pay": "payment", "dom": "domain", "ssl": "ssl_certificate", "lic": "license",
        "cfl": "conflict",
    ]

    /// Entity ids named anywhere in a mutation's arguments.
    static func referencedIds(in args: JSONValue) -> [String] {
        guard let members = args.objectValue else { return [] }
        return members.keys.sorted().compactMap { key in
            guard let text = members[key]?.stringValue, let underscore = text.firstIndex(of: "_"),
                  tableByPrefix[String(text[..<underscore])] != nil else { return nil }
            return text
        }
    }

    /// What merging a pushed update left: the row changes to log (without the fields it lost) and the conflicts it recorded.
    private struct Merge {
        var changes: [RowChange]
        var conflicts: [Conflict]
    }

    /// For an update made against an old version, settles each field it set that
    /// another writer changed since: the later edit wins, judged by when each was
    /// made (its instant capped at arrival); on equal instants the later arrival,
    /// this one. A field it loses gets the node's value back, so the change log
    /// and the replicas see only what was kept. Each gets a conflict record.
    private func merge(_ changes: [RowChange], args: JSONValue, edit: ChangeLog.Edit, arrival: Timestamp, replica: String, seq: Int64,
                       mutation: String) throws -> Merge {
        guard let base = args["base_version"]?.integerValue else { return Merge(changes: changes, conflicts: []) }
        var kept: [RowChange] = []
        var conflicts: [Conflict] = []
        var records: [[(String, any SQLBindable)]] = []
        var recordIds: [String] = []
        for change in changes {
            guard let before = change.before, var after = change.after, change.table != "conflict",
                  let nodeVersion = before["version"]?.int64, nodeVersion > base else {
                kept.append(change)
                continue
            }
            let changedHere = Set(change.changedColumns).subtracting(["version"])
            var others = try ChangeLog.latestChanges(table: change.table, id: change.id, after: base, notBy: replica, in: db)
            var lostFields: [String] = []
            for field in changedHere.sorted() {
                // An edit this replica already made over the other writer's settled that one; look only after it.
                if let mine = try ChangeLog.lastChange(of: field, table: change.table, id: change.id, by: replica, after: base, in: db) {
                    others[field] = try ChangeLog.latestChanges(table: change.table, id: change.id, after: mine, notBy: replica, in: db)[field]
                }
                guard let other = others[field] else { continue }
                let incomingWins = edit.madeAt >= other.edit.madeAt
                let reason: Conflict.Reason
                if edit.madeAt == other.edit.madeAt { reason = .sameInstantLaterArrival }
                else if incomingWins { reason = edit.clockAhead ? .laterEditClockAhead : .laterEdit }
                else { reason = other.edit.clockAhead ? .laterEditClockAhead : .laterEdit }
                let pushedSide: [(String, any SQLBindable)] = [("replica", replica), ("user", edit.user), ("at", edit.madeAt.description)]
                let nodeSide: [(String, any SQLBindable)] = [("replica", other.origin), ("user", other.edit.user), ("at", other.edit.madeAt.description)]
                let (winner, loser) = incomingWins ? (pushedSide, nodeSide) : (nodeSide, pushedSide)
                let values = (pushed: after[field]?.json.serialized, node: before[field]?.json.serialized)
                let recordId = ids.make("cfl")
                recordIds.append(recordId)
                var record: [(String, any SQLBindable)] = [
                    ("id", recordId), ("entity", change.table), ("entity_id", change.id), ("field", field),
                    ("kept_value", incomingWins ? values.pushed : values.node), ("overwritten_value", incomingWins ? values.node : values.pushed),
                ]
                for (column, value) in winner { record.append(("kept_" + column, value)) }
                for (column, value) in loser { record.append(("overwritten_" + column, value)) }
                record += [("reason", reason.rawValue), ("base_version", base), ("node_version", nodeVersion), ("replica_id", replica)]
                record += [("seq", seq), ("mutation", mutation), ("at", arrival.description)]
                records.append(record)
                if !incomingWins {
                    lostFields.append(field)
                    after[field] = before[field]
                }
            }
            if !lostFields.isEmpty {
                // The node's value stays: put it back under the pushed edit's other fields.
                let reader = MutationContext(db: db, now: arrival, authority: .node, recordsChanges: false)
                if var current = try reader.fetch(change.table, id: change.id)?.dictionary {
                    for field in lostFields { current[field] = before[field] ?? .null }
                    try MutationContext.restore(table: change.table, id: change.id, to: current, in: db)
                }
            }
            let settled = RowChange(table: change.table, id: change.id, before: before, after: after)
            // A row whose every change lost is not written at all.
            if !Set(settled.changedColumns).subtracting(["version"]).isEmpty { kept.append(settled) }
        }
        // Conflict rows are written (and logged) after the rows they describe.
        let recorder = MutationContext(db: db, now: arrival, authority: .node)
        for record in records { try recorder.insert("conflict", record) }
        for id in recordIds {
            if let row = try db.row("SELECT * FROM conflict WHERE id = ?", [id]) { conflicts.append(try Conflict(row: row)) }
        }
        return Merge(changes: kept + recorder.changes, conflicts: conflicts)
    }

    // MARK: Pull

    /// The oldest cursor the log can serve incrementally (after compaction).
    public func horizon() throws -> Int64 {
        Int64(try db.scalar("SELECT value FROM replica_meta WHERE key = 'horizon'")?.string ?? "0") ?? 0
    }

    /// A page of changes after the cursor, cut at about `maxBytes`; or a snapshot page.
    public func pull(_ request: PullRequest) throws -> PullResponse {
        if request.snapshotTables.isEmpty, let quiet = try quietPull(at: request.cursor) { return quiet }
        return try db.readTransaction {
            let (head, horizon) = try ChangeLog.bounds(in: db)
            if !request.snapshotTables.isEmpty {
                // A partial snapshot ends at the replica's own cursor, so changes after it (to any table) still follow.
                return try snapshotPage(tables: request.snapshotTables, after: request.snapshotAfter, head: min(request.cursor, head),
                                        maxBytes: request.maxBytes, caughtUpAt: head)
            }
            // A cursor ahead of the head: the node lost changes it had sent (restored from a backup, or rolled back
            // by a power loss), so the replica holds rows the node no longer has. Below the horizon: the log no
            // longer holds everything after the cursor. Either way the whole state is sent again (PROTOCOL.md 7.4).
            if request.cursor > head || request.cursor < horizon {
                return try snapshotPage(tables: Schema.replicatedTables, after: nil, head: head, maxBytes: request.maxBytes, caughtUpAt: head)
            }
            var changes: [Change] = []
            var bytes = 0
            var last = request.cursor
            var more = false
            try db.forEachRowInKeyOrder("SELECT version, entity, entity_id, op, row FROM change_log WHERE version > ? ORDER BY version",
                                        after: .integer(request.cursor), key: "version") { row in
                if bytes >= request.maxBytes, !changes.isEmpty {
                    more = true
                    return false
                }
                let text = row[4].string
                bytes += (text?.utf8.count ?? 0) + 64
                changes.append(Change(version: try row.int64("version"), table: try row.string("entity"), id: try row.string("entity_id"),
                                      operation: try row.string("op") == "delete" ? .delete : .upsert, rowText: text))
                last = try row.int64("version")
                return true
            }
            return PullResponse(cursor: last, more: more, changes: changes, digests: more ? nil : try RowDigest.storedAll(in: db))
        }
    }

    /// The answer to a replica already at the head, which is most pulls: nothing new, and the digests to compare.
    /// `nil` when the replica is not at the head (or a digest is not kept yet): the pull then reads the log.
    /// One statement, which sees one snapshot: no transaction and no read of the log (on PostgreSQL one round trip
    /// instead of five).
    /// On a PostgreSQL node process the answer may come from what `NodeChangeWatch` keeps, with no round trip.
    private func quietPull(at cursor: Int64) throws -> PullResponse? {
        let (answer, ticket) = changeWatch?.quietAnswer(for: resellerId) ?? (nil, nil)
        var kept = answer
        if kept == nil {
            guard let read = try ChangeLog.boundsAndDigests(in: db) else { return nil }
            kept = NodeChangeWatch.QuietAnswer(head: read.head, horizon: read.horizon, digests: read.digests)
            if let ticket, let kept { changeWatch?.keep(kept, for: resellerId, ticket: ticket) }
        }
        guard let kept, cursor == kept.head, cursor >= kept.horizon,
              Schema.replicatedTables.allSatisfy({ kept.digests[$0] != nil }) else { return nil }
        return PullResponse(cursor: kept.head, more: false, changes: [], digests: kept.digests.filter { Schema.replicatedTables.contains($0.key) })
    }

    /// `head`: where the snapshot starts (its cursor once done); `caughtUpAt`: the node's head now.
    private func snapshotPage(tables: [String], after: SnapshotPosition?, head: Int64, maxBytes: Int, caughtUpAt: Int64) throws -> PullResponse {
        let at = after?.at ?? head
        var changes: [Change] = []
        var bytes = 0
        var position: SnapshotPosition?
        let startIndex = after.flatMap { tables.firstIndex(of: $0.table) } ?? 0
        outer: for table in tables[startIndex...] {
            let fromId = after?.table == table ? after!.id : ""
            var full = false
            var order: [Int]?
            try db.forEachRowInKeyOrder("SELECT * FROM \(RowDigest.checked(table)) WHERE id > ? ORDER BY id", after: .text(fromId), key: "id") { row in
                // Serialized once, here, and straight from the row: the page's size counts its text, and the answer
                // carries the same text.
                let columnOrder = order ?? JSONWriter.sortedOrder(of: row.columns)
                order = columnOrder
                var text = ""
                text.reserveCapacity(512)
                JSONWriter.writeRow(columns: row.columns, values: row.values, order: columnOrder, into: &text)
                let id = try row.string("id")
                changes.append(Change(version: 0, table: table, id: id, operation: .upsert, rowText: text))
                bytes += text.utf8.count + 64
                if bytes >= maxBytes {
                    full = true
                    position = SnapshotPosition(table: table, id: id, at: at)
                    return false
                }
                return true
            }
            if full { break outer }
        }
        let reset = after == nil ? tables : []
        if let position {
            return PullResponse(cursor: at, more: true, changes: changes, reset: reset, snapshotAfter: position, snapshotTables: tables)
        }
        // Snapshot done: continue incrementally from where it started.
        let caughtUp = at == caughtUpAt
        return PullResponse(cursor: at, more: !caughtUp, changes: changes, reset: reset, snapshotTables: tables,
                            digests: caughtUp ? try RowDigest.storedAll(in: db) : nil)
    }

    // MARK: Compaction

    /// What compaction removed.
    public struct Compaction: Sendable, Equatable {
        public let removed: Int
        public let kept: Int
        public let horizon: Int64
    }

    /// Keeps only the latest change per row and drops delete tombstones.
    ///
    /// A replica whose cursor is older than the new horizon may have missed a
    /// delete, so its next pull is answered with a snapshot — after its push,
    /// inside the replica's rebase, so pending local work survives.
    public func compact() throws -> Compaction {
        try db.transaction {
            try ResellerCounter.serialiseWriters(for: resellerId, in: db)
            let before = try db.scalar("SELECT count(*) FROM change_log")?.int64 ?? 0
            let head = try ChangeLog.head(in: db)
            try db.execute("""
                DELETE FROM change_log WHERE version < (
                    SELECT max(version) FROM change_log latest
                    WHERE latest.entity = change_log.entity AND latest.entity_id = change_log.entity_id)
                """)
            try db.execute("DELETE FROM change_log WHERE op = 'delete'")
            let tombstones = db.changes
            var horizon = try self.horizon()
            if tombstones > 0 {
                horizon = head
                try db.execute("INSERT INTO replica_meta (key, value) VALUES ('horizon', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                               [String(head)])
            }
            let after = try db.scalar("SELECT count(*) FROM change_log")?.int64 ?? 0
            return Compaction(removed: Int(before - after), kept: Int(after), horizon: horizon)
        }
    }

    /// Every table's digest computed from scratch (for `outpost verify`).
    public func fullDigests() throws -> [String: TableDigest] {
        try db.readTransaction { try RowDigest.computeAll(in: db) }
    }
}
