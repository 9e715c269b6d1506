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

    init(name: String, clock: FixedClock = FixedClock(Timestamp("2026-03-02T09:00:00Z")!)) throws {
        root = try scratch(name)
        self.clock = clock
        node = try Node.create(at: root.appendingPathComponent("node"), clock: clock)
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

/// Push of N queued mutations over HTTP on loopback.
struct PushBenchmark {
    let mutations: Int

    func run() throws -> String {
        let bench = try HTTPBench(name: "push")
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
        return String(format: "push-http: %d mutations in %.2f s = %.0f mutations/s; peak memory %.0f MB",
                      mutations, elapsed, Double(mutations) / elapsed, peakMemoryMB())
    }
}

/// A sync with nothing to push or pull, over HTTP on loopback: the median of several.
struct NoopSyncBenchmark {
    func run() throws -> String {
        let bench = try HTTPBench(name: "noop")
        let (replica, sync) = try bench.replica("replica")
        for index in 0..<200 { try replica.submit(CreateCustomer(id: replica.ids.make("cus"), name: "Customer \(index)")) }
        _ = try sync.sync(runId: "run_setup")
        var times: [Double] = []
        for run in 0..<21 {
            var report = ReplicaSync.SyncReport()
            times.append(try seconds { report = try sync.sync(runId: "run_\(run)") })
            guard report.push.sent == 0, report.pull.changes <= 1 else { throw BenchmarkFailure("the sync was not a no-op") }
        }
        times.sort()
        return String(format: "noop-sync-http: median %.1f ms, max %.1f ms over %d syncs; peak memory %.0f MB",
                      times[times.count / 2] * 1000, times.last! * 1000, times.count, peakMemoryMB())
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

/// A new replica's first sync of a reseller with N customers (the fixture data set: their orders, subscriptions,
/// invoices, payments…), over HTTP on loopback: the bytes on the wire (gzip-coded, as sent) and as JSON, and the
/// time, next to copying the reseller's database file on the node — the floor any way of fetching it has.
/// Targets (issue 16): at most 20 MB on the wire and 3× the copy's time at 5,000 customers.
struct FirstSyncBenchmark {
    let customers: Int

    func run() throws -> String {
        let asOf = FixtureGenerator.defaultAsOf
        let clock = FixedClock(Timestamp(secondsSinceEpoch: Int64(asOf.daysSinceEpoch) * 86_400 + 17 * 3_600))
        let bench = try HTTPBench(name: "first-sync", clock: clock)
        let tenant = try bench.node.tenant("bench")
        // A SQLite node: the fixtures are written straight into its file, through SQLite's cached statements.
        let tenantDB = try tenant.sqliteDatabase()
        // The node's side (not timed): the data set written into the reseller's database, then every row of it
        // logged as an upsert, as if the node had made each, so that a pull from cursor 0 carries all of it.
        try FixtureGenerator(seed: 1, customers: customers, asOf: asOf).write(into: tenantDB)
        try tenantDB.transaction {
            var version = try tenantDB.scalar("SELECT coalesce(max(version), 0) FROM change_log")?.int64 ?? 0
            let log = try tenantDB.cachedStatement(
                "INSERT INTO change_log (version, entity, entity_id, op, row, columns, origin) VALUES (?, ?, ?, 'upsert', ?, '', 'bench')")
            // Table names come from the schema's own list, never from data.
            for table in Schema.replicatedTables {
                let stamp = try tenantDB.cachedStatement("UPDATE \(table) SET version = ? WHERE id = ?")
                for row in try tenantDB.rows("SELECT * FROM \(table) ORDER BY rowid") {
                    version += 1
                    var values = row.dictionary
                    values["version"] = .integer(version)
                    try stamp.execute([.integer(version), values["id"]!])
                    try log.execute([.integer(version), .text(table), values["id"]!, .text(JSONValue.object(values.mapValues(\.json)).serialized)])
                }
                try RowDigest.reset(table, in: tenant.db)
            }
        }
        try tenant.db.executeScript("PRAGMA wal_checkpoint(TRUNCATE)")

        // The floor: copying the reseller's database file (the page cache is warm for both).
        let file = bench.root.appendingPathComponent("node/tenants/bench.sqlite")
        let copy = bench.root.appendingPathComponent("copy.sqlite")
        let fileBytes = try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int ?? 0
        let copySeconds = try seconds { try FileManager.default.copyItem(at: file, to: copy) }

        // A new replica's first sync over HTTP.
        let replica = try Replica.create(bench.root.appendingPathComponent("replica"), clock: clock)
        let transport = HTTPTransport(baseURL: bench.url, token: bench.token, timeout: 120)
        let sync = ReplicaSync(replica: replica, transport: transport)
        var report = ReplicaSync.SyncReport()
        let syncSeconds = try seconds { report = try sync.sync(runId: "run_first") }
        guard try replica.db.scalar("SELECT count(*) FROM customer WHERE id <> 'cus_own'")?.int64 == Int64(customers) else {
            throw BenchmarkFailure("the replica does not hold every customer")
        }
        let differing = try sync.verify().filter { $0.mine != $0.node }.map(\.table)
        guard differing.isEmpty else { throw BenchmarkFailure("the replica's digests differ from the node's: \(differing.joined(separator: ", "))") }
        let megabytes = { (bytes: Int) in Double(bytes) / 1_000_000 }
        return String(format: "first-sync-http: %d customers, %d changes in %d pages: %.2f s, %.1f MB on the wire (gzip; %.1f MB of JSON); "
                          + "copying the node's database file (%.1f MB) %.3f s; time %.1f× the copy; peak memory %.0f MB",
                      customers, report.pull.changes, report.pull.pages, syncSeconds, megabytes(transport.bytesReceived),
                      megabytes(transport.bytesDecoded), megabytes(fileBytes), copySeconds, syncSeconds / copySeconds, peakMemoryMB())
    }
}
