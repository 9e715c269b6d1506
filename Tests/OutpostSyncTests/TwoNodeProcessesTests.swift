import Foundation
import OutpostModel
import OutpostStore
import OutpostTestSupport
import Testing
#if canImport(Glibc)
import Glibc
import OutpostTestThreads
#endif

/// Issue 16's acceptance: two `outpost node serve` processes (two node directories, `node init --existing`
/// for the second) on one PostgreSQL database, three replicas syncing through both, and one process killed
/// with SIGKILL while a push is in flight through it. The replica's retry goes to the other process; at the
/// end every replica syncs to quiet, `verify` passes on each, and every mutation has one verdict and made its
/// rows once.
///
/// How a replica reaches both processes: a replica names one node location, which cannot change once it has
/// exchanged anything (`config set --node` exits 65), and `sync` takes no location of its own. So, as the
/// README's deployment does with nginx (`sync/deploy/`), the replicas sync through one address in front of
/// both processes: `TwoProcessBalancer`, a TCP forwarder on loopback that sends each connection to one of the
/// two at random (seeded), and to the other when the one it picked refuses the connection, as nginx's
/// upstream does.
@Suite("Two node processes on one PostgreSQL", .ownThreads, .enabled(if: PostgresCluster.unavailableReason == nil, "\(PostgresCluster.unavailableReason ?? "")"),
       .timeLimit(.minutes(20)))
struct TwoNodeProcessesTests {
    static let now = "2026-03-02T09:00:00Z"
    static let plan = "pln_m365-business-basic-m"

    /// `OUTPOST_TEST_SEED` repeats a run; otherwise a new seed each run. Swift Testing prints the argument
    /// with every failure, and each expectation's message names it too.
    static let seeds: [UInt64] = [ProcessInfo.processInfo.environment["OUTPOST_TEST_SEED"].flatMap { UInt64($0) }
                                  ?? UInt64.random(in: 1...UInt64(UInt32.max))]

    /// What one replica has made: its directory, and every mutation it queued, by name.
    final class Laptop: @unchecked Sendable {
        // @unchecked: used from the test's thread only.
        let name: String
        let directory: String
        var customers: [(id: String, name: String)] = []
        var made: [String: Int] = [:]
        init(name: String, directory: String) {
            self.name = name
            self.directory = directory
        }
        var madeCount: Int { made.values.reduce(0, +) }
    }

    @Test(arguments: seeds)
    func threeReplicasThroughTwoProcessesOneKilledMidPush(seed: UInt64) throws {
        let place = try NodeStoreCommandTests.Place()
        let random = RandomSource(seed: seed)
        let nodes = [place.dir.path("node-a"), place.dir.path("node-b")]
        let environment = ["OUTPOST_NOW": Self.now]
        try place.require(["node", "init", nodes[0], "--store", place.store])
        try place.require(["node", "init", nodes[1], "--store", place.store, "--existing"])
        try place.require(["node", "plans", "import", "--builtin", "--node", nodes[0]])
        try place.require(["node", "reseller", "add", "acme", "--name", "Acme Cloud", "--node", nodes[1]])
        var served = try nodes.map { try ServedNodeProcess(node: $0, environment: environment, in: place.dir.url) }
        defer { served.forEach { $0.stop() } }
        let balancer = try TwoProcessBalancer(ports: served.map(\.port), random: RandomSource(seed: seed &+ 1))
        defer { balancer.stop() }

        let tenant = try PostgresDatabase(PostgresConnectionString(place.store)).schema("reseller_acme")
        let laptops = (0..<3).map { Laptop(name: "r\($0)", directory: place.dir.path("r\($0)")) }
        for laptop in laptops {
            let token = try place.require(["node", "token", "issue", "--reseller", "acme", "--user", laptop.name, "--node", nodes[laptop.name == "r1" ? 1 : 0]])
            try token.stdout.write(toFile: place.dir.path("\(laptop.name).token"), atomically: false, encoding: .utf8)
            try place.require(["init", "--replica", laptop.directory, "--node", balancer.url, "--reseller", "acme",
                               "--token-file", place.dir.path("\(laptop.name).token")])
            try place.require(["sync", "--replica", laptop.directory, "--no-site", "--quiet"])
        }

        let rounds = 5
        let killRound = 1 + random.next(below: 2)
        var killedMidPush = false
        for round in 0..<rounds {
            // Each laptop works offline: a customer, an order for one of its customers, more seats on one of
            // its active subscriptions — as a reseller types them.
            for laptop in laptops { try work(on: laptop, round: round, random: random, place: place, seed: seed) }
            if round == killRound {
                // One laptop's queue is large enough that its push is still in flight when the kill comes (three
                // batches of 500): customers queued in-process, as many `customer add` would.
                let big = laptops[random.next(below: laptops.count)]
                try queueCustomers(1_200, on: big, round: round, random: random)
                let victim = random.next(below: 2), other = 1 - victim
                balancer.pin(victim)
                let syncs = try laptops.map { try sync($0, place: place) }
                let started = ServedNode.waitUntil(seconds: 120) { balancer.pushesInFlight(victim) > 0 }
                #expect(started, "seed \(seed): no push reached process \(victim)")
                usleep(UInt32(random.next(below: 50_000)))
                // The large push keeps one in flight for a while: killed the moment one is.
                _ = ServedNode.waitUntil(seconds: 60) { balancer.pushesInFlight(victim) > 0 }
                let inFlight = balancer.pushesInFlight(victim)
                let toOtherBefore = balancer.connections(other)
                served[victim].kill()
                balancer.unpin()
                killedMidPush = inFlight > 0
                #expect(killedMidPush, "seed \(seed): the push through process \(victim) had its answer before the kill")
                // The large queue was not all on the node when its process died: the retry sends the rest (and,
                // where its batch was cut, what was applied but not acknowledged, which must not apply twice).
                let bigReplica = try Database(path: "\(big.directory)/replica.sqlite", mode: .readOnly)
                let bigId = try #require(try bigReplica.scalar("SELECT value FROM replica_meta WHERE key = 'replica_id'")?.string)
                let atKill = try tenant.scalar("SELECT count(*) FROM verdict WHERE replica_id = ?", [bigId])?.int64 ?? -1
                #expect(atKill >= 0 && atKill < Int64(big.madeCount), "seed \(seed): \(big.name) had \(atKill) of \(big.madeCount) verdicts when the process died")
                for (laptop, running) in zip(laptops, syncs) {
                    let result = running.wait(timeLimit: 300)
                    #expect(result.status == 0, "seed \(seed): \(laptop.name)'s sync after the kill: \(result.stderr)")
                }
                #expect(balancer.connections(other) > toOtherBefore, "seed \(seed): the retries went to the other process")
                // The killed process is served again where it was, for the rounds after.
                served[victim] = try ServedNodeProcess(node: nodes[victim], environment: environment, in: place.dir.url, port: served[victim].port)
            } else {
                let syncs = try laptops.map { try sync($0, place: place) }
                for (laptop, running) in zip(laptops, syncs) {
                    let result = running.wait(timeLimit: 300)
                    #expect(result.status == 0, "seed \(seed): \(laptop.name)'s sync in round \(round): \(result.stderr)")
                }
            }
            // The back office runs from either machine: orders become subscriptions.
            try place.require(["node", "provision", nodes[random.next(below: 2)], "--builtin"])
        }
        #expect(killedMidPush)
        #expect(balancer.connections(0) > 0 && balancer.connections(1) > 0, "seed \(seed): both processes served syncs")

        // Every laptop syncs to quiet (twice: the last one's pushes reach the first), and agrees with the node.
        for _ in 0..<2 {
            for laptop in laptops { try place.require(["sync", "--replica", laptop.directory, "--no-site", "--quiet", "--timeout", "120"]) }
        }
        for laptop in laptops {
            let verify = try place.outpost(["verify", "--replica", laptop.directory])
            #expect(verify.status == 0, "seed \(seed): \(laptop.name): \(verify.stdout)\(verify.stderr)")
            let replica = try Database(path: "\(laptop.directory)/replica.sqlite", mode: .readOnly)
            #expect(try replica.scalar("SELECT count(*) FROM queue")?.int64 == 0, "seed \(seed): \(laptop.name) has mutations still queued")
        }

        // On the node: each (replica, seq) one verdict, seq 1…n with none missing, each applied; the rows once.
        let doubled = try tenant.scalar("SELECT count(*) FROM (SELECT replica_id, seq FROM verdict GROUP BY replica_id, seq HAVING count(*) > 1) AS d", [])
        #expect(doubled?.int64 == 0, "seed \(seed): a (replica, seq) with more than one verdict")
        for laptop in laptops {
            let replica = try Database(path: "\(laptop.directory)/replica.sqlite", mode: .readOnly)
            let replicaId = try #require(try replica.scalar("SELECT value FROM replica_meta WHERE key = 'replica_id'")?.string)
            let counts = try #require(try tenant.row("SELECT count(*) AS n, count(DISTINCT seq) AS d, min(seq) AS lo, max(seq) AS hi FROM verdict WHERE replica_id = ?",
                                                     [replicaId]))
            let made = Int64(laptop.madeCount)
            let (verdicts, distinct) = (try counts.int64("n"), try counts.int64("d"))
            #expect(verdicts == made && distinct == made, "seed \(seed): \(laptop.name) made \(made) mutations, the node has \(verdicts) verdicts for \(distinct) seqs")
            #expect(try counts.int64("lo") == 1 && counts.int64("hi") == made, "seed \(seed): \(laptop.name)'s seqs are not 1…\(made)")
            for (mutation, count) in laptop.made {
                let applied = try tenant.scalar("SELECT count(*) FROM verdict WHERE replica_id = ? AND mutation = ? AND status <> 'refused'", [replicaId, mutation])
                #expect(applied?.int64 == Int64(count), "seed \(seed): \(laptop.name) made \(count) \(mutation), the node applied \(applied?.int64 ?? -1)")
            }
        }
        let names = laptops.flatMap { $0.customers.map(\.name) }.sorted()
        let onNode = try tenant.rows("SELECT name FROM customer WHERE id <> 'cus_own' ORDER BY name", []).map { try $0.string("name") }
        #expect(onNode == names, "seed \(seed): every customer exactly once (\(onNode.count) on the node, \(names.count) made)")
        let sales = laptops.reduce(0) { $0 + ($1.made[PlaceOrder.name] ?? 0) }
        let changes = laptops.reduce(0) { $0 + ($1.made[ChangeOrder.name] ?? 0) }
        #expect(sales > 0 && changes > 0, "seed \(seed): the laptops placed orders and changed seats")
        #expect(try tenant.scalar("SELECT count(*) FROM orders WHERE type = 'sales'", [])?.int64 == Int64(sales), "seed \(seed): every order once")
        #expect(try tenant.scalar("SELECT count(*) FROM orders WHERE type = 'change'", [])?.int64 == Int64(changes), "seed \(seed): every seat change once")
    }

    /// A pool of one connection, held by reseller acme's push, which waits for acme's counter row locked by a
    /// statement of another connection: reseller beta's request waits the pool's 5 s for a connection and gets
    /// 503 with `Retry-After`, beta's sync exits 75 at its deadline, and once the lock is let go acme's push
    /// finishes, beta's next sync succeeds, and each mutation was applied once.
    @Test func anExhaustedPoolAnswers503AndTheSyncSucceedsOnceTheLockIsReleased() throws {
        let place = try NodeStoreCommandTests.Place()
        try place.makeNode()
        try place.require(["node", "reseller", "add", "beta", "--name", "Beta Reseller", "--node", place.node])
        let issued = try place.require(["node", "token", "issue", "--reseller", "beta", "--user", "bob", "--node", place.node])
        try issued.stdout.write(toFile: place.dir.path("beta.token"), atomically: false, encoding: .utf8)
        let serve = try NodeStoreCommandTests.Serve([place.node, "--listen", "127.0.0.1:0", "--store-connections", "1", "--statement-timeout", "120"], place: place)
        defer { serve.stop() }
        let acme = place.dir.path("r"), beta = place.dir.path("r2")
        for (replica, reseller, token) in [(acme, "acme", "token"), (beta, "beta", "beta.token")] {
            try place.require(["init", "--replica", replica, "--node", serve.url, "--reseller", reseller, "--token-file", place.dir.path(token)])
            try place.require(["sync", "--replica", replica, "--no-site", "--quiet"])
        }
        try place.require(["customer", "add", "--name", "Held by the lock", "--replica", acme])
        try place.require(["customer", "add", "--name", "Waiting for a connection", "--replica", beta])

        let database = try PostgresDatabase(PostgresConnectionString(place.store))
        let acmeTenant = database.schema("reseller_acme"), betaTenant = database.schema("reseller_beta")
        let held = try acmeTenant.transaction { () -> OutpostBinary.Running in
            // The counter row every push of acme updates, locked by this connection until the transaction ends.
            _ = try acmeTenant.scalar("SELECT version FROM reseller_counter WHERE reseller = ? FOR UPDATE", ["acme"])
            let held = try OutpostBinary.start(["sync", "--replica", acme, "--no-site", "--timeout", "120"],
                                               environment: ["OUTPOST_NOW": NodeStoreCommandTests.now], in: place.dir.url)
            // The push waits for the row, holding the node's one connection.
            let waiting = ServedNode.waitUntil(seconds: 60) {
                (try? acmeTenant.scalar("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()", []))?.int64 ?? 0 > 0
            }
            try #require(waiting, "acme's push never waited for the counter row")

            let token = try String(contentsOfFile: place.dir.path("beta.token"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            let port = try #require(Int(serve.url.split(separator: ":").last?.trimmingCharacters(in: CharacterSet(charactersIn: "/")) ?? ""))
            let connection = try RawConnection(port: port)
            try connection.send(ServedNode.post("/v1/pull", body: ServedNode.pullBody(), token: token))
            let answer = try connection.readResponse(timeout: 30)
            #expect(answer.status == 503, "\(answer.text)")
            #expect(answer.headers["retry-after"] != nil, "\(answer.text)")

            let refused = try place.outpost(["sync", "--replica", beta, "--no-site", "--timeout", "8"])
            #expect(refused.status == 75, "\(refused.stdout)\(refused.stderr)")
            #expect(held.process.isRunning, "acme's sync waits for the lock")
            return held
        }
        // The lock is let go: acme's push goes on, and beta's retry succeeds.
        let finished = held.wait(timeLimit: 120)
        #expect(finished.status == 0, "\(finished.stderr)")
        try place.require(["sync", "--replica", beta, "--no-site", "--quiet", "--timeout", "60"])
        for replica in [acme, beta] {
            let verify = try place.outpost(["verify", "--replica", replica])
            #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        }
        for (tenant, name) in [(acmeTenant, "Held by the lock"), (betaTenant, "Waiting for a connection")] {
            let names = try tenant.rows("SELECT name FROM customer WHERE id <> 'cus_own' ORDER BY name", []).map { try $0.string("name") }
            #expect(names == [name])
            #expect(try tenant.scalar("SELECT count(*) FROM verdict", [])?.int64 == 1)
        }
    }

    // MARK: A laptop's work

    /// One round of a reseller's typing on `laptop`: a customer; an order for one of its customers already
    /// on the node; one more seat or two on one of its active subscriptions with no change waiting.
    func work(on laptop: Laptop, round: Int, random: RandomSource, place: NodeStoreCommandTests.Place, seed: UInt64) throws {
        let name = "\(laptop.name) customer \(round)"
        let added = try place.require(["customer", "add", "--name", name, "--replica", laptop.directory, "--json"])
        let id = try #require(try JSONValue(parsing: added.stdout)["id"]?.stringValue)
        laptop.customers.append((id, name))
        laptop.made[CreateCustomer.name, default: 0] += 1
        if laptop.customers.count > 1 {
            let customer = laptop.customers[random.next(below: laptop.customers.count - 1)]
            try place.require(["order", "place", "--customer", customer.id, "--plan", Self.plan, "--quantity", "\(1 + random.next(below: 5))",
                               "--replica", laptop.directory])
            laptop.made[PlaceOrder.name, default: 0] += 1
        }
        let replica = try Database(path: "\(laptop.directory)/replica.sqlite", mode: .readOnly)
        let ids = laptop.customers.map(\.id)
        let open = try replica.rows("""
            SELECT s.id, s.quantity FROM subscription s
            WHERE s.status = 'active' AND s.customer_id IN (SELECT value FROM json_each(?))
              AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.subscription_id = s.id AND o.status NOT IN ('completed', 'failed', 'rejected'))
            ORDER BY s.id
            """, [String(decoding: try JSONEncoder().encode(ids), as: UTF8.self)])
        if !open.isEmpty {
            let subscription = open[random.next(below: open.count)]
            let seats = try subscription.int64("quantity") + Int64(1 + random.next(below: 2))
            try place.require(["order", "change", try subscription.string("id"), "--quantity", "\(seats)", "--replica", laptop.directory])
            laptop.made[ChangeOrder.name, default: 0] += 1
        }
    }

    /// `count` customers queued on `laptop` in-process, as that many `customer add` would.
    func queueCustomers(_ count: Int, on laptop: Laptop, round: Int, random: RandomSource) throws {
        let replica = try Replica.open(URL(fileURLWithPath: laptop.directory), clock: FixedClock(Timestamp(Self.now)!), random: random)
        for index in 0..<count {
            let customer = (id: replica.ids.make("cus"), name: "\(laptop.name) bulk \(round).\(index)")
            try replica.submit(CreateCustomer(id: customer.id, name: customer.name))
            laptop.customers.append(customer)
        }
        laptop.made[CreateCustomer.name, default: 0] += count
    }

    func sync(_ laptop: Laptop, place: NodeStoreCommandTests.Place) throws -> OutpostBinary.Running {
        try OutpostBinary.start(["sync", "--replica", laptop.directory, "--no-site", "--timeout", "240"],
                                environment: ["OUTPOST_NOW": Self.now], in: place.dir.url)
    }
}

/// One loopback address in front of two `node serve` processes, as nginx's upstream in `sync/deploy/`: each
/// connection goes to one of the two at random, or to the other when the one picked refuses it (a process
/// that was killed). `pin` sends every new connection to one process. It counts the connections each got, and
/// the pushes each has been sent and not yet answered (a request line `POST /v1/push` not yet followed by a
/// status line on its connection).
final class TwoProcessBalancer: @unchecked Sendable {
    // @unchecked: the mutable state is behind `lock`; descriptors are constants.
    let port: Int
    private let listener: Int32
    private let ports: [Int]
    private let random: RandomSource
    private let lock = NSLock()
    private var pinned: Int?
    private var served = [0, 0]
    private var unanswered = [0, 0]
    private var open: Set<Int32> = []

    struct Failure: Error, CustomStringConvertible { let description: String }

    init(ports: [Int], random: RandomSource) throws {
        self.ports = ports
        self.random = random
        let descriptor = socket(AF_INET, Self.stream, 0)
        guard descriptor >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        var address = Self.loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) } }
        guard bound == 0, listen(descriptor, 64) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw Failure(description: "bind/listen: \(reason)")
        }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) } }
        listener = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    var url: String { "http://127.0.0.1:\(port)/" }

    func pin(_ index: Int) { lock.withLock { pinned = index } }
    func unpin() { lock.withLock { pinned = nil } }
    func connections(_ index: Int) -> Int { lock.withLock { served[index] } }
    func pushesInFlight(_ index: Int) -> Int { lock.withLock { unanswered[index] } }

    /// Stops accepting and cuts every open connection.
    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        lock.withLock { open.forEach { shutdown($0, Int32(SHUT_RDWR)) } }
    }

    deinit { close(listener) }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            let first: Int = lock.withLock { pinned ?? random.next(below: 2) }
            var chosen: (index: Int, descriptor: Int32)?
            for index in [first, 1 - first] {
                if let backend = dial(ports[index]) {
                    chosen = (index, backend)
                    break
                }
            }
            guard let chosen else {
                close(client)
                continue
            }
            lock.withLock {
                served[chosen.index] += 1
                open.formUnion([client, chosen.descriptor])
            }
            let link = Link(index: chosen.index)
            let done = DispatchGroup()
            for (from, to, request) in [(client, chosen.descriptor, true), (chosen.descriptor, client, false)] {
                done.enter()
                Thread { [self] in
                    pump(from: from, to: to, request: request, link: link)
                    done.leave()
                }.start()
            }
            Thread { [self] in
                done.wait()
                lock.withLock {
                    if link.pushPending { unanswered[link.index] -= 1 }
                    open.subtract([client, chosen.descriptor])
                }
                close(client)
                close(chosen.descriptor)
            }.start()
        }
    }

    /// One connection's state: which process it reached, and whether a push on it awaits its answer.
    private final class Link: @unchecked Sendable {
        // @unchecked: `pushPending` is changed under the balancer's lock only.
        let index: Int
        var pushPending = false
        init(index: Int) { self.index = index }
    }

    /// Copies bytes one way until either side ends, then ends both.
    private func pump(from: Int32, to: Int32, request: Bool, link: Link) {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(from, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            let chunk = String(decoding: buffer[0..<min(count, 4096)], as: UTF8.self)
            lock.withLock {
                if request, !link.pushPending, chunk.contains("POST /v1/push") {
                    link.pushPending = true
                    unanswered[link.index] += 1
                } else if !request, link.pushPending, chunk.hasPrefix("HTTP/1."), !chunk.hasPrefix("HTTP/1.1 100") {
                    link.pushPending = false
                    unanswered[link.index] -= 1
                }
            }
            var offset = 0
            while offset < count {
                let written = buffer.withUnsafeBytes { send(to, $0.baseAddress! + offset, count - offset, Int32(MSG_NOSIGNAL)) }
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { break }
                offset += written
            }
            guard offset == count else { break }
        }
        shutdown(from, Int32(SHUT_RDWR))
        shutdown(to, Int32(SHUT_RDWR))
    }

    private func dial(_ port: Int) -> Int32? {
        let descriptor = socket(AF_INET, Self.stream, 0)
        guard descriptor >= 0 else { return nil }
        var address = Self.loopback(port: port)
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard status == 0 else {
            close(descriptor)
            return nil
        }
        return descriptor
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    #if canImport(Glibc)
    private static let stream = Int32(SOCK_STREAM.rawValue)
    #else
    private static let stream = SOCK_STREAM
    #endif
}
