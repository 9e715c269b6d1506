import Foundation
import OutpostModel
import OutpostStore
import OutpostSync
import OutpostFixtures

/// A node served over HTTP on loopback, in this process, with one reseller and a replica attached.
final class HTTPBench {
    let root: URL
    let clock: FixedClock
    let node: Node
    let server: HTTPServer
    let url: URL
    let token: String

    init(name: String, store: BenchStore, clock: FixedClock = FixedClock(Timestamp("2026-03-02T09:00:00Z")!)) throws {
        root = try scratch(name)
        self.clock = clock
        node = try store.createNode(at: root.appendingPathComponent("node"), clock: clock)
        try node.upsertPlans(try Catalog.plans())
        try node.addReseller(id: "bench", name: "Bench", currency: "EUR")
        token = try node.issueToken(resellerId: "bench", username: "bench").token
        let service = NodeHTTPService(node: NodeQueue(node: node), log: RequestLog(write: { _ in }))
        server = HTTPServer(configuration: .init(address: try ListenAddress.parse("127.0.0.1:0")), responder: service)
        let bound = try server.start()
        url = URL(string: "http://127.0.0.1:\(bound.port)/")!
    }

    deinit {
        server.stop()
        _ = server.waitUntilStopped(drainTimeout: 5)
        try? FileManager.default.removeItem(at: root)
    }

    func replica(_ name: String) throws -> (Replica, ReplicaSync) {
        let replica = try Replica.create(root.appendingPathComponent(name), clock: clock)
        return (replica, ReplicaSync(replica: replica, transport: HTTPTransport(baseURL: url, token: token, timeout: 60)))
    }
}

/// Push of N queued mutations over HTTP on loopback, on each store.
/// Target (issue 16): at least 3,000 mutations/s on PostgreSQL.
struct PushBenchmark {
    let mutations: Int

    func run() -> String {
        onBothStores("push-http", target: "PostgreSQL >= 3,000 mutations/s") { store in
            let rate = try run(on: store)
            return StoreFigure(line: String(format: "%d mutations in %.2f s = %.0f mutations/s", mutations, Double(mutations) / rate, rate),
                               met: store.isPostgreSQL ? rate >= 3_000 : nil)
        } + String(format: "\n  peak memory %.0f MB", peakMemoryMB())
    }

    /// Mutations per second.
    func run(on store: BenchStore) throws -> Double {
        let bench = try HTTPBench(name: "push", store: store)
        let (replica, sync) = try bench.replica("replica")
        _ = try sync.pull()
        for index in 0..<mutations {
            var customer = CreateCustomer(id: replica.ids.make("cus"), name: "Customer \(index)")
            customer.country = "DE"
            try replica.submit(customer)
        }
        var report = ReplicaSync.PushReport()
        let elapsed = try seconds { report = try sync.push() }
        guard report.applied == mutations else { throw BenchmarkFailure("only \(report.applied) of \(mutations) applied") }
        return Double(mutations) / elapsed
    }
}

/// The same push through the local transport: the node's own cost, without HTTP.
struct LocalPushBenchmark {
    let mutations: Int

    func run() throws -> String {
        let root = try scratch("push-local")
        defer { try? FileManager.default.removeItem(at: root) }
        let clock = FixedClock(Timestamp("2026-03-02T09:00:00Z")!)
        let node = try Node.create(at: root.appendingPathComponent("node"), clock: clock)
        try node.upsertPlans(try Catalog.plans())
        try node.addReseller(id: "bench", name: "Bench", currency: "EUR")
        let token = try node.issueToken(resellerId: "bench", username: "bench").token
        let replica = try Replica.create(root.appendingPathComponent("replica"), clock: clock)
        let sync = ReplicaSync(replica: replica, transport: LocalTransport(directory: root.appendingPathComponent("node"), token: token, clock: clock))
        _ = try sync.pull()
        for index in 0..<mutations {
            try replica.submit(CreateCustomer(id: replica.ids.make("cus"), name: "Customer \(index)"))
        }
        var report = ReplicaSync.PushReport()
        let elapsed = try seconds { report = try sync.push() }
        guard report.applied == mutations else { throw BenchmarkFailure("only \(report.applied) applied") }
        return String(format: "push-local: %d mutations in %.2f s = %.0f mutations/s (no HTTP); peak memory %.0f MB",
                      mutations, elapsed, Double(mutations) / elapsed, peakMemoryMB())
    }
}

