import Foundation
import OutpostFixtures
import OutpostModel
import OutpostStore
import OutpostTestSupport
import Testing
@testable import OutpostSync
import OutpostTestThreads

/// What a node process serving PostgreSQL keeps of tokens and quiet pulls (`NodeChangeWatch`): kept answers are
/// used, another process's commit or revocation reaches them through the polled heads and revoked-token count, and
/// a lost watching connection forgets them.
@Suite("Change watch on PostgreSQL", .ownThreads, .enabled(if: PostgresCluster.unavailableReason == nil, "\(PostgresCluster.unavailableReason ?? "")"),
       .timeLimit(.minutes(20)))
struct NodeChangeWatchTests {
    static let replica = "rep_01JDA4M5X2Q8R7T6Y5W4V3S2P1"

    /// A PostgreSQL node with reseller acme and a token, served by a `NodeQueue` (this process), and a second
    /// node object on the same database standing for another node process or a back-office job.
    final class Served {
        let directory: TemporaryDirectory
        let database: TestDatabase
        let clock = SteppingClock(Timestamp("2026-03-02T09:00:00Z")!)
        let queue: NodeQueue
        let other: Node
        let token: (id: String, token: String)

        init() throws {
            directory = try TemporaryDirectory("watch")
            database = try #require(try NodeStore.postgresql.makeDatabase())
            let location = directory.url.appendingPathComponent("node")
            let node = try Node.create(at: location, store: PostgresConnectionString(database.connectionString), clock: clock)
            try node.upsertPlans(try Catalog.plans())
            try node.addReseller(id: "acme", name: "Acme Cloud", currency: "EUR")
            token = try node.issueToken(resellerId: "acme", username: "anna")
            queue = NodeQueue(node: try Node.open(location, clock: clock))
            other = try Node.open(location, clock: clock)
            try waitFor("the watch polls") { queue.changeWatch?.isWatching == true }
            // The first exchange records anna's login (a change in the log); later ones within ten minutes do not.
            _ = try pull(at: 0)
        }

        /// A pull through the served queue, which must be answered 200.
        func pull(at cursor: Int64) throws -> PullResponse {
            let body = Array(PullRequest(replica: NodeChangeWatchTests.replica, cursor: cursor).json.serialized.utf8)
            let outcome = queue.exchange(operation: "pull", body: body, token: token.token, source: "test")
            try #require(outcome.status == 200, "pull answered \(outcome.status): \(String(decoding: outcome.body, as: UTF8.self))")
            return try PullResponse(json: try JSONParser.parse(outcome.body))
        }

        var head: Int64 { get throws { try ChangeLog.head(in: try other.tenant("acme").db) } }

        /// Changes a kept digest behind every process's back (no notification): only an answer read from the
        /// database shows it.
        func skewCustomerDigest(by amount: Int64) throws {
            try other.tenant("acme").db.execute("UPDATE table_digest SET digest = digest + ? WHERE entity = 'customer'", [amount])
        }

        /// Whether a pull at `head` is answered from memory: the digests of a pull made before a skew (which moves
        /// no head) come back after it. Tried a few times: the first pull after a commit is kept only once a poll
        /// has read its head; the skew is taken back each time.
        func answersFromMemory(at head: Int64) throws -> (first: PullResponse, fromMemory: Bool) {
            for _ in 0..<100 {
                let first = try pull(at: head)
                try skewCustomerDigest(by: 1)
                let second = try pull(at: head)
                try skewCustomerDigest(by: -1)
                if second.digests == first.digests { return (first, true) }
                Thread.sleep(forTimeInterval: 0.05)
            }
            return (try pull(at: head), false)
        }
    }

    static func waitFor(_ what: String, within seconds: Double = 20, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while try !condition() {
            guard Date() < deadline else {
                Issue.record("\(what): not within \(seconds) s")
                throw CancellationError()
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    @Test("a pull at the head is answered from what the process keeps, and another process's commit reaches it through the polled heads")
    func keptAnswerFollowsOtherProcessesCommits() throws {
        let served = try Served()
        let head = try served.head
        let (first, fromMemory) = try served.answersFromMemory(at: head)
        #expect(first.cursor == head && first.changes.isEmpty)
        // Behind the node's back: an answer read from the database would carry the changed digest.
        #expect(fromMemory, "a pull at the head came from what the process kept")

        // Another process moves the log: a plan renamed in the catalog is a change in acme's log.
        var plan = try #require(try Catalog.plans().first)
        plan = try JSONDecoder().decode(Plan.self, from: try JSONEncoder().encode(plan).replacingName(with: plan.name + " (2027)"))
        try served.other.upsertPlans([plan])
        try #require(try served.head > head)
        try Self.waitFor("the other process's commit reached the kept answer") { try served.pull(at: head).cursor > head }
        let after = try served.pull(at: head)
        #expect(after.changes.contains { $0.table == "plan" && $0.id == plan.id })
        // And the new head is answered quietly again, with the digests the database holds.
        let quiet = try served.pull(at: after.cursor)
        #expect(quiet.changes.isEmpty && quiet.cursor == after.cursor)
        #expect(quiet.digests == (try served.other.tenant("acme").pull(PullRequest(replica: Self.replica, cursor: after.cursor)).digests))
    }

    @Test("a push through this process is seen by its next pull at once")
    func ownPushIsSeenAtOnce() throws {
        let served = try Served()
        let head = try served.head
        // Kept first, so that only this process forgetting its own write (not the next poll) can show the push.
        try #require(try served.answersFromMemory(at: head).fromMemory)
        let create = CreateCustomer(id: IdentifierFactory(clock: served.clock, random: RandomSource(seed: 3)).make("cus"), name: "Contoso")
        let mutation = PushedMutation(seq: 1, name: CreateCustomer.name, version: CreateCustomer.version,
                                      args: try JSONValue(parsing: MutationCatalogue.encode(create)), createdAt: served.clock.now())
        let outcome = served.queue.exchange(operation: "push", body: Array(PushRequest(replica: Self.replica, mutations: [mutation]).json.serialized.utf8),
                                            token: served.token.token, source: "test")
        try #require(outcome.status == 200)
        let pulled = try served.pull(at: head)
        #expect(pulled.changes.contains { $0.table == "customer" && $0.id == create.id })
    }

    @Test("a token revoked by another process is refused by this one, which had it kept")
    func revokedTokenIsRefused() throws {
        let served = try Served()
        guard case .success = served.queue.admit(token: served.token.token) else {
            Issue.record("the token was refused before its revocation")
            return
        }
        try served.other.revokeToken(id: served.token.id)
        try Self.waitFor("the revocation reached the process") {
            if case .failure = served.queue.admit(token: served.token.token) { return true }
            return false
        }
        guard case .failure(let refusal) = served.queue.admit(token: served.token.token) else { return }
        #expect(refusal.outcome.status == 401)
    }

    @Test("a lost watching connection forgets every kept answer, and the watch polls again")
    func lostWatchForgetsEverything() throws {
        let served = try Served()
        let head = try served.head
        let (first, fromMemory) = try served.answersFromMemory(at: head)
        try #require(fromMemory)
        // Behind every process's back (no head moves): only an answer read from the database shows it.
        try served.skewCustomerDigest(by: 1)
        // The watch's session ends, as in a failover.
        let admin = try PostgresDatabase(PostgresConnectionString(served.database.connectionString))
        try admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = ?",
                          [NodeChangeWatch.applicationName])
        try Self.waitFor("the pull reads the database again") { try served.pull(at: head).digests != first.digests }
        try Self.waitFor("the watch polls again") { served.queue.changeWatch?.isWatching == true }
        try served.skewCustomerDigest(by: -1)
    }
}

private extension Data {
    /// The encoded plan with its `name` replaced (the model's `Plan` has no setter for it).
    func replacingName(with name: String) throws -> Data {
        var object = try #require(try JSONSerialization.jsonObject(with: self) as? [String: Any])
        object["name"] = name
        return try JSONSerialization.data(withJSONObject: object)
    }
}
