import Foundation
import OutpostModel
import OutpostStore

/// What a PostgreSQL node process may answer without asking the database: the tokens it has checked and each
/// reseller's quiet-pull answer (head, horizon, digests), kept only while it keeps up with every change.
///
/// Why it exists: a sync with nothing to do is most of a node's traffic, and on PostgreSQL it cost three round
/// trips (the token, `SET search_path`, the quiet pull) and about a millisecond of the server's CPU, so 50
/// replicas at once on a two-core machine waited 100 ms at p99 (`outpost-bench noop-sync-http`, issue 16's
/// target is 50 ms). Answered from here it costs no round trip at all; the figures are in the README.
///
/// How it stays right: a thread of this watch, on a connection of its own, reads every reseller's published head
/// (`PublishedHeads`, written by every transaction that moves a log) and the count of revoked tokens every
/// `pollInterval`, and forgets a kept answer whose head moved, and every token when a token was revoked. A
/// revocation is also notified (`NOTIFY`, rare, so the lock PostgreSQL takes for a notifying commit costs nothing),
/// and the watch, waiting for it between polls, forgets every token at once. Log moves are not notified: that lock
/// would make every push's commit in the cluster wait for the one before it. An answer
/// is kept only when its head is the one the last poll read, and only if nothing about its reseller was forgotten
/// while it was read (`Ticket`). Nothing is kept, or answered, while the polls fail or fall behind (`staleAfter`):
/// after a restart or a failover everything is read from the database until a poll succeeds again. A commit in
/// another process is therefore seen within one interval; this process's own writes are forgotten at once
/// (`Tenant.push`, `Tenant.record`). Compaction moves a log's horizon, never its head, digests or rows, so it
/// leaves a kept answer right.
///
/// An answer kept a moment too long is one a pull made a moment earlier would have had: a replica already at a
/// newer head than the kept one is never answered from here (its cursor is not the kept head), and the kept
/// digests are those of the kept head, which the replica's own kept digests at that cursor match.
public final class NodeChangeWatch: @unchecked Sendable {
    // @unchecked: every mutable property is read and written under `lock`; the listener connection is used by
    // the watch's thread alone.
    private let lock = NSLock()
    private var stopped = false
    /// When the last poll succeeded; nothing is kept or answered once it is `staleAfter` old.
    private var polledAt: TimeInterval?
    /// Each reseller's head as the last poll read it.
    private var heads: [String: Int64] = [:]
    /// Revoked tokens as the last poll counted them.
    private var revoked: Int64?
    /// Bumped whenever everything is forgotten; a ticket from before is void.
    private var epoch: UInt64 = 0
    /// Bumped per reseller whenever its answer is forgotten.
    private var generations: [String: UInt64] = [:]
    private var quiet: [String: QuietAnswer] = [:]
    private var tokenEpoch: UInt64 = 0
    private var tokens: [String: KeptToken] = [:]
    private var readied: Set<String> = []
    private var logins: [String: Timestamp] = [:]

    /// How often the published heads and the revoked tokens are read.
    let pollInterval: TimeInterval
    public static let defaultPollInterval: TimeInterval = 0.2
    /// Polls older than this (a thread starved, a connection hanging) and nothing is kept or answered.
    var staleAfter: TimeInterval { max(1, pollInterval * 5) }
    /// How long the watch waits before connecting again after its connection failed.
    static let reconnectPause: TimeInterval = 1
    /// The name the watch's connection shows in `pg_stat_activity`.
    public static let applicationName = "outpost-node-watch"

    /// A reseller's log where it stands: what a pull at the head is answered with.
    struct QuietAnswer {
        let head: Int64
        let horizon: Int64
        let digests: [String: TableDigest]
    }

    /// A token's row as `Node.authenticate` reads it.
    struct KeptToken {
        let id: String
        let resellerId: String
        let username: String
        let expiresAt: String?
        var lastUsedAt: String?
    }

    /// Taken before a read of the database; the answer read is kept only if the ticket still holds.
    struct Ticket {
        fileprivate let epoch: UInt64
        fileprivate let generation: UInt64
    }

    /// Starts polling `store` on a connection of its own.
    public init(store: PostgresConnectionString, pollInterval: TimeInterval = NodeChangeWatch.defaultPollInterval) {
        self.pollInterval = pollInterval
        let thread = Thread { [self] in watch(store) }
        thread.name = "outpost.node.watch"
        thread.start()
    }

    /// Ends the polling (within an interval, or a second when connecting) and forgets everything.
    public func stop() {
        lock.withLock {
            stopped = true
            forgetEverything()
        }
    }

    /// Whether the last poll is recent, so that answers are kept and given.
    public var isWatching: Bool { lock.withLock { isCurrent } }

    /// Under `lock`.
    private var isCurrent: Bool {
        guard let polledAt else { return false }
        return ProcessInfo.processInfo.systemUptime - polledAt < staleAfter
    }

    // MARK: Quiet pulls

    /// The kept answer for `reseller`, or a ticket to keep the one about to be read (`nil` when nothing can be kept).
    func quietAnswer(for reseller: String) -> (answer: QuietAnswer?, ticket: Ticket?) {
        lock.withLock {
            guard isCurrent else { return (nil, nil) }
            if let kept = quiet[reseller] { return (kept, nil) }
            return (nil, Ticket(epoch: epoch, generation: generations[reseller] ?? 0))
        }
    }

    /// Keeps an answer read after `ticket` was taken, unless something about the reseller was forgotten since or
    /// its head is not the one the last poll read.
    func keep(_ answer: QuietAnswer, for reseller: String, ticket: Ticket) {
        lock.withLock {
            guard isCurrent, ticket.epoch == epoch, ticket.generation == (generations[reseller] ?? 0), heads[reseller] == answer.head else { return }
            quiet[reseller] = answer
        }
    }

    /// Forgets the reseller's answer: its log moved (here, or in another process's commit).
    func forget(_ reseller: String) {
        lock.withLock { forgetLocked(reseller) }
    }

    private func forgetLocked(_ reseller: String) {
        quiet[reseller] = nil
        generations[reseller, default: 0] &+= 1
    }

    // MARK: Tokens

    /// The kept row of the token whose hash is `hash`, or a ticket to keep the one about to be read.
    func token(hash: String) -> (token: KeptToken?, ticket: Ticket?) {
        lock.withLock {
            guard isCurrent else { return (nil, nil) }
            if let kept = tokens[hash] { return (kept, nil) }
            return (nil, Ticket(epoch: epoch, generation: tokenEpoch))
        }
    }

    /// Keeps a token's row read after `ticket` was taken, unless a token was revoked since.
    func keep(_ token: KeptToken, hash: String, ticket: Ticket) {
        lock.withLock {
            guard isCurrent, ticket.epoch == epoch, ticket.generation == tokenEpoch else { return }
            tokens[hash] = token
        }
    }

    /// Forgets every token: one was revoked.
    private func forgetTokens() {
        lock.withLock {
            tokens.removeAll()
            tokenEpoch &+= 1
        }
    }

    /// Notes the last use this process wrote for a kept token.
    func noteUse(hash: String, at lastUsedAt: String) {
        lock.withLock { tokens[hash]?.lastUsedAt = lastUsedAt }
    }

    // MARK: Logins seen

    /// When this process last recorded or found a login event of a reseller, user and source (`Tenant.recordLogin`).
    /// Kept through a lost connection: a login event is never taken back.
    func recentLogin(_ key: String) -> Timestamp? {
        lock.withLock { logins[key] }
    }

    func noteLogin(_ key: String, at: Timestamp) {
        lock.withLock {
            if logins.count > 100_000 { logins.removeAll() }
            logins[key] = at
        }
    }

    // MARK: Resellers readied

    /// Whether a connection of this process has found the reseller and readied its schema (`Node.tenant`).
    /// Kept through a lost listener: a reseller is never removed, nor its schema dropped.
    func isReadied(_ reseller: String) -> Bool {
        lock.withLock { readied.contains(reseller) }
    }

    func noteReadied(_ reseller: String) {
        _ = lock.withLock { readied.insert(reseller) }
    }

    // MARK: The polls

    private func forgetEverything() {
        polledAt = nil
        heads.removeAll()
        revoked = nil
        quiet.removeAll()
        tokens.removeAll()
        epoch &+= 1
    }

    private var isStopped: Bool { lock.withLock { stopped } }

    private func watch(_ store: PostgresConnectionString) {
        while !isStopped {
            do {
                let connection = try PostgresDatabase(store)
                try connection.keepSetting("SET application_name = '\(Self.applicationName)'")
                // A poll stuck on a link that died silently fails and the watch connects again (meanwhile, polls older
                // than `staleAfter` already stop answers from memory).
                try connection.limitStatements(toSeconds: 5)
                // A revocation is told at once (`Node.revokeToken` notifies); between polls the watch waits for it.
                try connection.listen(Node.tokensChannel)
                let registry = connection.schema(Node.registrySchema)
                while !isStopped {
                    var read: [String: Int64] = [:]
                    try registry.forEachRow("SELECT reseller, version FROM reseller_head") { row in
                        read[try row.string("reseller")] = try row.int64("version")
                    }
                    let count = try registry.scalar("SELECT count(*) FROM token WHERE revoked_at IS NOT NULL")?.int64 ?? 0
                    // The connection makes itself again after it was lost (`PostgresDatabase`), without its LISTEN
                    // and after a gap nothing was watched in: treated as lost, so everything is forgotten first.
                    guard connection.reconnects == 0 else { throw WatchLost() }
                    lock.withLock { apply(heads: read, revoked: count) }
                    if !(try connection.notifications(waitingUpTo: pollInterval)).isEmpty { forgetTokens() }
                }
            } catch {
                // Failed or lost: nothing is kept until a poll succeeds again.
                lock.withLock { forgetEverything() }
            }
            var paused: TimeInterval = 0
            while paused < Self.reconnectPause, !isStopped {
                Thread.sleep(forTimeInterval: 0.1)
                paused += 0.1
            }
        }
    }

    /// The watching connection was made again behind the watch's back.
    private struct WatchLost: Error {}

    /// A poll's reading, under `lock`: forgets the answers whose head moved, and every token when one was revoked.
    private func apply(heads read: [String: Int64], revoked count: Int64) {
        guard !stopped else { return }
        if polledAt == nil || !isCurrent { forgetEverything() }
        for (reseller, answer) in quiet where read[reseller] != answer.head { forgetLocked(reseller) }
        if revoked != nil, revoked != count {
            tokens.removeAll()
            tokenEpoch &+= 1
        }
        heads = read
        revoked = count
        polledAt = ProcessInfo.processInfo.systemUptime
    }
}
