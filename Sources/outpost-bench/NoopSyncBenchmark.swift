import Foundation
import OutpostFixtures
import OutpostModel
import OutpostStore
import OutpostSync
#if canImport(Glibc)
import Glibc
#endif

/// Many replicas syncing at once with nothing to do, over HTTP, against one node process and then two serving the
/// same node (child processes: `NodeServeChild`): syncs per second and the latency's p50 and p99.
/// Target (issue 16): 1,000 resellers, 50 replicas at once, p99 under 50 ms.
///
/// On SQLite "two processes" are two `node serve` processes on one node directory: each reseller's file is in WAL
/// mode and every write takes `BEGIN IMMEDIATE`, so they take turns in the file as two PostgreSQL sessions do on the
/// counter row.
struct NoopSyncBenchmark {
    let resellers: Int
    let replicas: Int
    let syncsPerReplica: Int

    func run() -> String {
        onBothStores("noop-sync-http", target: "\(resellers) resellers, \(replicas) replicas at once, p99 < 50 ms") { store in
            let figures = try run(on: store)
            let line = figures.map { processes, figure in
                "\(processes) process\(processes == 1 ? "" : "es"): "
                    + String(format: "%.0f syncs/s, p50 %.1f ms, p99 %.1f ms", figure.perSecond, figure.p50 * 1000, figure.p99 * 1000)
            }.joined(separator: "; ")
            return StoreFigure(line: line + String(format: " (%d syncs timed per line; setup of %d resellers %.0f s)", replicas * syncsPerReplica,
                                                   resellers, figures.first?.1.setupSeconds ?? 0),
                               met: figures.allSatisfy { $0.1.p99 < 0.050 })
        }
    }

    struct Figure {
        var perSecond: Double
        var p50: Double
        var p99: Double
        var setupSeconds: Double
    }

    func run(on store: BenchStore) throws -> [(Int, Figure)] {
        let root = try scratch("noop")
        defer { try? FileManager.default.removeItem(at: root) }
        let clock = FixedClock(Timestamp("2026-03-02T09:00:00Z")!)
        let nodeDirectory = root.appendingPathComponent("node")
        var tokens: [String] = []
        let setupSeconds = try seconds {
            let node = try store.createNode(at: nodeDirectory, clock: clock)
            try node.upsertPlans(try Catalog.plans())
            // The replicas' resellers are spread over all of them.
            let step = max(1, resellers / replicas)
            for index in 0..<resellers {
                let id = String(format: "r%05d", index)
                try node.addReseller(id: id, name: "Reseller \(index)", currency: "EUR")
                if index % step == 0, tokens.count < replicas { tokens.append(try node.issueToken(resellerId: id, username: "bench").token) }
            }
        }
        guard tokens.count == replicas else { throw BenchmarkFailure("\(resellers) resellers are too few for \(replicas) replicas") }

        let first = try NodeServeChild(node: nodeDirectory)
        defer { first.stop() }
        let second = try NodeServeChild(node: nodeDirectory)
        defer { second.stop() }
        let urls = [first, second].map { URL(string: "http://127.0.0.1:\($0.port)/")! }
        // Each replica's first sync (not timed) pulls its reseller's catalog and settings.
        let clients = try tokens.enumerated().map { index, token in
            try NoopClient(directory: root.appendingPathComponent("replica-\(index)"), token: token, urls: urls, clock: clock)
        }
        for client in clients { try client.sync(through: 0, runId: "run_setup") }
        store.settle()

        var figures: [(Int, Figure)] = []
        for processes in [1, 2] {
            // Rounds not timed first, one through each process for every client: a process opens a reseller's
            // database (on PostgreSQL, readies its schema) when it first serves it.
            _ = try syncAtOnce(clients, processes: processes, rounds: processes)
            let (latencies, elapsed) = try syncAtOnce(clients, processes: processes, rounds: syncsPerReplica)
            let sorted = latencies.sorted()
            let percentile = { (p: Double) in sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
            figures.append((processes, Figure(perSecond: Double(sorted.count) / elapsed, p50: percentile(0.50), p99: percentile(0.99),
                                              setupSeconds: setupSeconds)))
        }
        return figures
    }

    /// Every client syncs `rounds` times on a thread of its own, all starting together; through `processes`
    /// node processes, a client's syncs taking turns between them. The latencies, and the time until all ended.
    private func syncAtOnce(_ clients: [NoopClient], processes: Int, rounds: Int) throws -> ([Double], Double) {
        let results = ResultsBox()
        let start = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        for (index, client) in clients.enumerated() {
            done.enter()
            Thread {
                defer { done.leave() }
                start.wait()
                do {
                    for round in 0..<rounds {
                        let elapsed = try seconds { try client.sync(through: (index + round) % processes, runId: "run_\(processes)_\(rounds)_\(round)") }
                        results.add(elapsed)
                    }
                } catch {
                    results.fail(error)
                }
            }.start()
        }
        let elapsed = seconds {
            for _ in clients { start.signal() }
            done.wait()
        }
        if let error = results.error { throw error }
        return (results.latencies, elapsed)
    }
}

/// One replica and its transports to each node process; used by one thread at a time.
private final class NoopClient: @unchecked Sendable {
    // @unchecked: the setup and then exactly one thread use it, one after the other (the thread starts after setup).
    let replica: Replica
    let syncs: [ReplicaSync]

    init(directory: URL, token: String, urls: [URL], clock: any Clock) throws {
        let replica = try Replica.create(directory, clock: clock)
        self.replica = replica
        syncs = urls.map { ReplicaSync(replica: replica, transport: HTTPTransport(baseURL: $0, token: token, timeout: 60)) }
    }

    /// One sync through node process `process`; fails unless it had nothing to do.
    func sync(through process: Int, runId: String) throws {
        let report = try syncs[process].sync(runId: runId)
        guard runId == "run_setup" || (report.push.sent == 0 && report.pull.changes <= 1) else {
            throw BenchmarkFailure("the sync was not a no-op (\(report.push.sent) pushed, \(report.pull.changes) pulled)")
        }
    }
}

/// The threads' latencies and first failure.
private final class ResultsBox: @unchecked Sendable {
    // @unchecked: every property is read and written under `lock`.
    private let lock = NSLock()
    private var recorded: [Double] = []
    private var failure: (any Error)?

    func add(_ latency: Double) { lock.withLock { recorded.append(latency) } }
    func fail(_ error: any Error) { lock.withLock { if failure == nil { failure = error } } }
    var latencies: [Double] { lock.withLock { recorded } }
    var error: (any Error)? { lock.withLock { failure } }
}
