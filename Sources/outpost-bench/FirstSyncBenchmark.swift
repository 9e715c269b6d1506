import Foundation
import OutpostFixtures
import OutpostModel
import OutpostStore
import OutpostSync
#if canImport(Glibc)
import Glibc
#endif

/// A new replica's first sync of a reseller with N customers (the fixture data set: their orders, subscriptions,
/// invoices, payments…), over HTTP on loopback, on each store: the bytes on the wire (gzip-coded, as sent) and as
/// JSON, and the time next to the floor any way of fetching the reseller has — on SQLite copying its database file;
/// on PostgreSQL `pg_dump --data-only` of its schema, which reads every table with `COPY … TO STDOUT`, the server's
/// fastest way out (there is no file to copy: the reseller is one schema among many in the cluster's files).
/// Targets (issue 16): at most 20 MB on the wire and 3× the floor's time at 5,000 customers.
struct FirstSyncBenchmark {
    let customers: Int

    func run() -> String {
        onBothStores("first-sync-http", target: "<= 20 MB on the wire, time <= 3x the copy") { store in
            let figure = try run(on: store)
            return StoreFigure(line: figure.line, met: figure.megabytesOnWire <= 20 && figure.ratio <= 3)
        }
    }

    struct Figure {
        let line: String
        let megabytesOnWire: Double
        let ratio: Double
    }

    func run(on store: BenchStore) throws -> Figure {
        let asOf = FixtureGenerator.defaultAsOf
        let clock = FixedClock(Timestamp(secondsSinceEpoch: Int64(asOf.daysSinceEpoch) * 86_400 + 17 * 3_600))
        let bench = try HTTPBench(name: "first-sync", store: store, clock: clock)
        let tenant = try bench.node.tenant("bench")
        // The node's side (not timed): the data set written into a SQLite reseller's database, then every row of it
        // logged as an upsert, as if the node had made each, so that a pull from cursor 0 carries all of it.
        let source: Database
        let sourceNode: Node?
        switch store {
        case .sqlite:
            source = try tenant.sqliteDatabase()
            sourceNode = nil
        case .postgresql:
            // The same rows made on a SQLite node of the same reseller, then copied into the PostgreSQL schema.
            let node = try Node.create(at: bench.root.appendingPathComponent("source-node"), clock: clock)
            try node.upsertPlans(try Catalog.plans())
            try node.addReseller(id: "bench", name: "Bench", currency: "EUR")
            source = try node.tenant("bench").sqliteDatabase()
            sourceNode = node
        }
        try FixtureGenerator(seed: 1, customers: customers, asOf: asOf).write(into: source)
        if sourceNode == nil {
            try stampInPlace(source, tenant: tenant)
        } else {
            try copy(from: source, into: tenant)
        }

        let floor = try floorSeconds(store: store, bench: bench)

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
        let ratio = syncSeconds / floor.seconds
        let line = String(format: "%d customers, %d changes in %d pages: %.2f s, %.1f MB on the wire (gzip; %.1f MB of JSON); "
                              + "\(floor.what) (%.1f MB) %.3f s; time %.1f× that; peak memory %.0f MB",
                          customers, report.pull.changes, report.pull.pages, syncSeconds, megabytes(transport.bytesReceived),
                          megabytes(transport.bytesDecoded), megabytes(floor.bytes), floor.seconds, ratio, peakMemoryMB())
        return Figure(line: line, megabytesOnWire: megabytes(transport.bytesReceived), ratio: ratio)
    }

    /// SQLite: every row of the reseller's file stamped with a version of its own and logged.
    private func stampInPlace(_ tenantDB: Database, tenant: Tenant) throws {
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
        try tenantDB.executeScript("PRAGMA wal_checkpoint(TRUNCATE)")
    }

    /// PostgreSQL: every row of the SQLite source replaces the schema's rows, stamped with a version of its own and logged.
    private func copy(from source: Database, into tenant: Tenant) throws {
        let db = tenant.db
        try db.transaction {
            var version = try db.scalar("SELECT coalesce(max(version), 0) FROM change_log")?.int64 ?? 0
            let log = BatchInsert(into: db, table: "change_log", columns: ChangeLogRow.columns)
            // Table names come from the schema's own list, never from data.
            for table in Schema.replicatedTables {
                try db.execute("DELETE FROM \(table)")
                var insert: BatchInsert?
                var columns: [String] = []
                try source.forEachRow("SELECT * FROM \(table) ORDER BY rowid") { row in
                    version += 1
                    var values = row.dictionary
                    values["version"] = .integer(version)
                    if insert == nil {
                        columns = values.keys.sorted()
                        insert = BatchInsert(into: db, table: table, columns: columns)
                    }
                    try insert!.add(columns.map { values[$0]! })
                    try log.add(ChangeLogRow.values(version: version, entity: table, id: values["id"]!,
                                                    row: .text(JSONValue.object(values.mapValues(\.json)).serialized)))
                }
                try insert?.flush()
                try log.flush()
                try RowDigest.reset(table, in: db)
            }
            try ChangeLogRow.advanceCounter(of: tenant, to: version)
        }
        try db.executeScript("ANALYZE")
    }

    /// The floor: the time to copy the reseller out by the store's own means (the caches are warm for both).
    private func floorSeconds(store: BenchStore, bench: HTTPBench) throws -> (what: String, bytes: Int, seconds: Double) {
        switch store {
        case .sqlite:
            let file = bench.root.appendingPathComponent("node/tenants/bench.sqlite")
            let copy = bench.root.appendingPathComponent("copy.sqlite")
            let bytes = try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int ?? 0
            let elapsed = try seconds { try FileManager.default.copyItem(at: file, to: copy) }
            return ("copying the node's database file", bytes, elapsed)
        case .postgresql(let location):
            let dump = bench.root.appendingPathComponent("dump.sql")
            let elapsed = try seconds { try PgDump.dataOnly(schema: "reseller_bench", of: location, to: dump) }
            let bytes = try FileManager.default.attributesOfItem(atPath: dump.path)[.size] as? Int ?? 0
            return ("pg_dump --data-only of the reseller's schema (COPY ... TO of each table)", bytes, elapsed)
        }
    }
}

/// `pg_dump`, given where to connect through libpq's environment variables (PGHOST…), never its argv.
enum PgDump {
    static func dataOnly(schema: String, of location: PostgresConnectionString, to file: URL) throws {
        guard let executable = find() else { throw BenchmarkFailure("pg_dump was not found (Debian's postgresql-client)") }
        // `display` is postgresql://user@host:port/db, without a password (libpq finds one in ~/.pgpass).
        var rest = Substring(location.display.dropFirst("postgresql://".count))
        guard let slash = rest.lastIndex(of: "/") else { throw BenchmarkFailure("cannot read \(location.display)") }
        var environment = ["PATH": "/usr/bin:/bin", "PGDATABASE": String(rest[rest.index(after: slash)...]), "PGCONNECT_TIMEOUT": "5"]
        if let home = ProcessInfo.processInfo.environment["HOME"] { environment["HOME"] = home }
        rest = rest[..<slash]
        if let at = rest.firstIndex(of: "@") {
            environment["PGUSER"] = String(rest[..<at])
            rest = rest[rest.index(after: at)...]
        }
        if let colon = rest.lastIndex(of: ":"), Int(rest[rest.index(after: colon)...]) != nil {
            environment["PGPORT"] = String(rest[rest.index(after: colon)...])
            rest = rest[..<colon]
        }
        environment["PGHOST"] = String(rest)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--data-only", "--schema=\(schema)", "--file=\(file.path)"]
        process.environment = environment
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BenchmarkFailure("pg_dump failed (\(process.terminationStatus)): \(String(decoding: message, as: UTF8.self).prefix(300))")
        }
    }

    /// PATH first, then Debian's /usr/lib/postgresql/N/bin (newest).
    private static func find() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []).compactMap(Int.init).sorted(by: >)
        let directories = path.split(separator: ":").map(String.init) + versions.map { "/usr/lib/postgresql/\($0)/bin" }
        return directories.map { "\($0)/pg_dump" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
