import Foundation
import OutpostModel
import OutpostStore

/// What a PostgreSQL node process may answer without asking the database: the tokens it has checked and each
/// reseller's quiet-pull answer (head, horizon, digests), kept only while it is sure to hear of every change.
///
/// Why it exists: a sync with nothing to do is most of a node's traffic, and on PostgreSQL it cost three round
/// trips (the token, `SET search_path`, the quiet pull) and about a millisecond of the server's CPU, so 50
/// replicas at once on a two-core machine waited 100 ms at p99 (`outpost-bench noop-sync-http`, issue 16's
/// target is 50 ms). Answered from here it costs no round trip at all; the figures are in the README.
///
/// How it stays right: every transaction that moves a reseller's log sends `NOTIFY` on `ChangeLog.changedChannel`
/// (delivered at its commit, and not at all if it rolls back), and every change to a token on
/// `Node.tokensChannel`. A thread of this watch listens on a connection of its own and forgets what a notification
/// names. Anything is kept only while that connection listens: when it is lost (a restart, a failover) everything
/// is forgotten and nothing is kept until it listens again, since what happened meanwhile cannot be known.
/// An answer read from the database is kept only if nothing about its reseller was forgotten while it was read
/// (`Ticket`), so a read that raced a commit never outlives that commit's notification. And nothing is kept for
/// longer than `longestKept`, which bounds how stale a slow listener thread could leave an answer. Compaction moves
/// a log's horizon, never its head, digests or rows, so it leaves a kept answer right and notifies nothing.
///
/// An answer kept a moment too long is one a pull made a moment earlier would have had: a replica already at a
/// newer head than the kept one is never answered from here (its cursor is not the kept head), and the kept
/// digests are those of the kept head, which the replica's own kept digests at that cursor match.
public final class NodeChangeWatch: @unchecked Sendable {
    // @unchecked: every mutable property is read and written under `lock`; the listener connection is used by
    // the watch's thread alone.
    private let lock = NSLock()
    private var listening = false
    private var stopped = false
    /// Bumped whenever everything is forgotten; a ticket from before is void.
    private var epoch: UInt64 = 0
    /// Bumped per reseller whenever its answer is forgotten.
    private var generations: [String: UInt64] = [:]
    private var quiet: [String: (answer: QuietAnswer, keptAt: Date)] = [:]
    private var tokenEpoch: UInt64 = 0
    private var tokens: [String: (token: KeptToken, keptAt: Date)] = [:]
    private var readied: Set<String> = []

    /// How long anything is kept at most, notifications or not (`defaultLongestKept` unless a test says otherwise).
    let longestKept: TimeInterval
    public static let defaultLongestKept: TimeInterval = 2
    /// How long the listener waits before connecting again after its connection was lost.
    static let reconnectPause: TimeInterval = 1

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

    /// Starts listening on a connection of its own to `store`.
    public init(store: PostgresConnectionString, longestKept: TimeInterval = NodeChangeWatch.defaultLongestKept) {
        self.longestKept = longestKept
        let thread = Thread { [self] in listen(to: store) }
        thread.name = "outpost.node.watch"
        thread.start()
    }

    /// Ends the listener (within a second) and forgets everything.
    public func stop() {
        lock.withLock {
            stopped = true
            forgetEverything()
        }
    }

    /// Whether the listener is listening now, so that answers are kept.
    public var isListening: Bool { lock.withLock { listening } }

    // MARK: Quiet pulls

    /// The kept answer for `reseller`, or a ticket to keep the one about to be read (`nil` when nothing can be kept).
    func quietAnswer(for reseller: String) -> (answer: QuietAnswer?, ticket: Ticket?) {
        lock.withLock {
            guard listening else { return (nil, nil) }
            if let kept = quiet[reseller], Date().timeIntervalSince(kept.keptAt) < longestKept { return (kept.answer, nil) }
            return (nil, Ticket(epoch: epoch, generation: generations[reseller] ?? 0))
        }
    }

    /// Keeps an answer read after `ticket` was taken, unless something about the reseller was forgotten since.
    func keep(_ answer: QuietAnswer, for reseller: String, ticket: Ticket) {
        lock.withLock {
            guard listening, ticket.epoch == epoch, ticket.generation == (generations[reseller] ?? 0) else { return }
            quiet[reseller] = (answer, Date())
        }
    }

    /// Forgets the reseller's answer: its log moved (here, or in another process's commit).
    func forget(_ reseller: String) {
        lock.withLock {
            quiet[reseller] = nil
            generations[reseller, default: 0] &+= 1
        }
    }

    // MARK: Tokens

    /// The kept row of the token whose hash is `hash`, or a ticket to keep the one about to be read.
    func token(hash: String) -> (token: KeptToken?, ticket: Ticket?) {
        lock.withLock {
            guard listening else { return (nil, nil) }
            if let kept = tokens[hash], Date().timeIntervalSince(kept.keptAt) < longestKept { return (kept.token, nil) }
            return (nil, Ticket(epoch: epoch, generation: tokenEpoch))
        }
    }

    /// Keeps a token's row read after `ticket` was taken, unless any token changed since.
    func keep(_ token: KeptToken, hash: String, ticket: Ticket) {
        lock.withLock {
            guard listening, ticket.epoch == epoch, ticket.generation == tokenEpoch else { return }
            tokens[hash] = (token, Date())
        }
    }

    /// Notes the last use this process wrote for a kept token.
    func noteUse(hash: String, at lastUsedAt: String) {
        lock.withLock { tokens[hash]?.token.lastUsedAt = lastUsedAt }
    }

    /// Forgets every token: one was revoked, or changed.
    func forgetTokens() {
        lock.withLock {
            tokens.removeAll()
            tokenEpoch &+= 1
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

    // MARK: The listener

    private func forgetEverything() {
        listening = false
        quiet.removeAll()
        tokens.removeAll()
        epoch &+= 1
    }

    private var isStopped: Bool { lock.withLock { stopped } }

    private func listen(to store: PostgresConnectionString) {
        while !isStopped {
            do {
                let connection = try PostgresDatabase(store)
                try connection.listen(ChangeLog.changedChannel)
                try connection.listen(Node.tokensChannel)
                // From here on every commit's notification reaches this connection; what was kept before (nothing,
                // or what a lost connection left) is forgotten once more.
                lock.withLock {
                    guard !stopped else { return }
                    forgetEverything()
                    listening = true
                }
                while !isStopped {
                    for note in try connection.notifications(waitingUpTo: 0.5) {
                        if note.channel == ChangeLog.changedChannel { forget(note.payload) } else { forgetTokens() }
                    }
                }
            } catch {
                // Lost or not made: nothing is kept until a connection listens again.
                lock.withLock { forgetEverything() }
            }
            var paused: TimeInterval = 0
            while paused < Self.reconnectPause, !isStopped {
                Thread.sleep(forTimeInterval: 0.1)
                paused += 0.1
            }
        }
    }
}
