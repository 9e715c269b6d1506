import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking  // String(contentsOf:) of an http URL (/metrics) on Linux
#endif
import OutpostModel
import OutpostStore
import OutpostSync
import OutpostFixtures
#if canImport(Glibc)
import Glibc
#endif

/// Issue 14 §2: 20 replicas syncing at once over HTTP, unloaded, then while 500 slow clients hold connections open
/// (half trickling a head, half a body), then while 190 clients without a token each send 16 MiB bodies over and over,
/// then while another reseller floods the node with pulls.
/// Each phase serves a fresh node in a child process, so the node's peak memory (`VmHWM`) is that phase's own.
struct HostileClientsBenchmark {
    let syncs: Int
    let slowClients: Int
    let largeBodyClients: Int
    let floodClients: Int

    func run() throws -> String {
        // 500 slow sockets, their node-side twins and the large-body clients need more than the usual 1024 descriptors.
        HTTPServer.raiseDescriptorLimit()
        _ = signal(SIGPIPE, SIG_IGN)
        let unloaded = try phase("unloaded") { _, _ in { "" } }
        let slow = try phase("\(slowClients) slow clients") { port, tokens in try HostileClients<Int>.slow(count: slowClients, port: port, token: tokens.syncing) }
        let large = try phase("\(largeBodyClients) × 16 MiB unauthenticated") { port, _ in HostileClients<LargeBodyCounts>.largeBodies(count: largeBodyClients, port: port) }
        let flood = try phase("another reseller's \(floodClients) flooding clients") { port, tokens in
            HostileClients<PullFloodCounts>.pullFlood(count: floodClients, port: port, token: tokens.flooding)
        }
        return [unloaded, slow, large, flood].map { result in
            String(format: "http-hostile %@: %d/%d syncs ok, all done in %.0f ms (%.1f× unloaded), each median %.0f ms, max %.0f ms; node peak memory %.0f MB, CPU %.1f s (this process, clients and syncs: %.1f s), %d connections open%@",
                   result.name, result.succeeded, syncs, result.wall * 1000, result.wall / unloaded.wall, result.median * 1000, result.max * 1000,
                   result.nodePeakMB, result.nodeCPU, result.benchCPU, result.connectionsOpen, result.note.isEmpty ? "" : "; " + result.note)
        }.joined(separator: "\n")
    }

    struct PhaseResult {
        let name: String
        let succeeded: Int
        let median: Double
        let max: Double
        /// From the first sync's start to the last one's end.
        let wall: Double
        let nodePeakMB: Double
        /// Seconds of CPU the node used while the load ran (user and system).
        let nodeCPU: Double
        /// The same for this process: the hostile clients and the syncs, which share the machine with the node.
        let benchCPU: Double
        /// The node's own count (`outpost_http_connections_open`) while the load ran.
        let connectionsOpen: Int
        let note: String
    }

    /// Serves a fresh node, prepares the replicas, starts the load (`load` returns how to stop it), then times
    /// the syncs, all at once, while the load runs.
    /// The syncing reseller's token, and another reseller's.
    struct Tokens {
        let syncing: String
        let flooding: String
    }

    private func phase(_ name: String, load: (Int, Tokens) throws -> () -> String) throws -> PhaseResult {
        let root = try scratch("hostile")
        defer { try? FileManager.default.removeItem(at: root) }
        let clock = FixedClock(Timestamp("2026-03-02T09:00:00Z")!)
        let tokens: Tokens
        do {
            let node = try Node.create(at: root.appendingPathComponent("node"), clock: clock)
            try node.upsertPlans(try Catalog.plans())
            try node.addReseller(id: "bench", name: "Bench", currency: "EUR")
            try node.addReseller(id: "flood", name: "Flood", currency: "EUR")
            tokens = Tokens(syncing: try node.issueToken(resellerId: "bench", username: "bench").token,
                            flooding: try node.issueToken(resellerId: "flood", username: "flood").token)
        }
        let token = tokens.syncing
        let child = try NodeServeChild(node: root.appendingPathComponent("node"))
        defer { child.stop() }
        let url = URL(string: "http://127.0.0.1:\(child.port)/")!
        var replicas: [(Replica, ReplicaSync)] = []
        for index in 0..<syncs {
            let replica = try Replica.create(root.appendingPathComponent("replica-\(index)"), clock: clock)
            let sync = ReplicaSync(replica: replica, transport: HTTPTransport(baseURL: url, token: token, timeout: 60))
            _ = try sync.pull()
            for customer in 0..<20 { try replica.submit(CreateCustomer(id: replica.ids.make("cus"), name: "Customer \(index)-\(customer)")) }
            replicas.append((replica, sync))
        }
        let cpuBefore = try Self.cpuSeconds(pid: child.pid)
        let benchCPUBefore = try Self.cpuSeconds(pid: getpid())
        let stopLoad = try load(child.port, tokens)
        // Let the load settle: every slow client connected and stalled, the large bodies flowing.
        usleep(1_500_000)
        let times = SyncTimes()
        let group = DispatchGroup()
        let started = DispatchTime.now().uptimeNanoseconds
        for (index, (_, sync)) in replicas.enumerated() {
            // @unchecked Sendable box: each ReplicaSync is used by exactly one of these threads.
            let owned = Owned(sync)
            group.enter()
            Thread {
                let started = DispatchTime.now().uptimeNanoseconds
                let report = try? owned.value.sync(runId: "run_bench_\(index)")
                times.add(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9, ok: report?.push.sent == 20)
                group.leave()
            }.start()
        }
        group.wait()
        let wall = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let connectionsOpen = try Self.connectionsOpen(port: child.port)
        let nodeCPU = try Self.cpuSeconds(pid: child.pid) - cpuBefore
        let benchCPU = try Self.cpuSeconds(pid: getpid()) - benchCPUBefore
        let note = stopLoad()
        let peak = try highWaterKB(process: String(child.pid))
        let sorted = times.values.sorted()
        return PhaseResult(name: name, succeeded: times.succeeded, median: sorted[sorted.count / 2], max: sorted.last!, wall: wall,
                           nodePeakMB: Double(peak) / 1024, nodeCPU: nodeCPU, benchCPU: benchCPU, connectionsOpen: connectionsOpen, note: note)
    }

    /// User and system CPU seconds of a process (`/proc/PID/stat` fields 14 and 15, in clock ticks).
    static func cpuSeconds(pid: Int32) throws -> Double {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
        guard let close = stat.lastIndex(of: ")") else { throw BenchmarkFailure("unreadable /proc/\(pid)/stat") }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else {
            throw BenchmarkFailure("unreadable /proc/\(pid)/stat")
        }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// `outpost_http_connections_open` from the node's `/metrics` (this request's own connection included).
    static func connectionsOpen(port: Int) throws -> Int {
        let text = try String(contentsOf: URL(string: "http://127.0.0.1:\(port)/metrics")!, encoding: .utf8)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("outpost_http_connections_open ") }),
              let count = Int(line.split(separator: " ")[1]) else { throw BenchmarkFailure("no outpost_http_connections_open in /metrics") }
        return count
    }
}

/// Times of the syncs, gathered from their threads.
private final class SyncTimes: @unchecked Sendable {
    // @unchecked: `values` and `succeeded` are only touched under `lock`.
    private let lock = NSLock()
    private(set) var values: [Double] = []
    private(set) var succeeded = 0

    func add(_ seconds: Double, ok: Bool) {
        lock.lock()
        values.append(seconds)
        if ok { succeeded += 1 }
        lock.unlock()
    }
}

/// Hands a non-Sendable value to the one thread that uses it.
struct Owned<Value>: @unchecked Sendable {
    // @unchecked: the value is moved to one thread and used only there.
    let value: Value
    init(_ value: Value) { self.value = value }
}
