import Foundation
import OutpostModel
import OutpostSite
import OutpostStore
import OutpostFixtures
#if canImport(Glibc)
import Glibc
#endif

/// The dashboards: a full build of the fixture data set, then incremental
/// builds after 10 customers were renamed, 10 payments recorded, a seat added to 10 subscriptions,
/// 10 new customers, and the first build of a new day — pages/s, files and bytes written, peak memory;
/// then the published tree (files and bytes per customer, the largest directory) and Hugo's pages/s on
/// pages generated from the same rows (`HugoComparison`).
///
/// The fixtures are generated in this process; each build runs in a child
/// process of its own (`outpost-bench --site-build`), so the peak memory
/// reported is the build's alone: the child's `VmHWM`, the high-water mark of
/// its own address space. (`ru_maxrss` would not do: a spawned child carries
/// its parent's high-water mark across `exec`.)
struct SiteBenchmark {
    let customers: Int

    func run() throws -> String {
        // OUTPOST_BENCH_SITE_DIR keeps the data set and its site for the next run, which then measures
        // only the incremental builds (for working on them); without it everything is scratch.
        let kept = ProcessInfo.processInfo.environment["OUTPOST_BENCH_SITE_DIR"].map { URL(fileURLWithPath: $0) }
        let root = try kept ?? scratch("site")
        defer { if kept == nil { try? FileManager.default.removeItem(at: root) } }
        let asOf = FixtureGenerator.defaultAsOf
        let replicaURL = root.appendingPathComponent("replica")
        let output = root.appendingPathComponent("site")
        let reused = kept != nil && FileManager.default.fileExists(atPath: output.appendingPathComponent("index.html").path)
        // The business day the builds are as of: a kept data set remembers the last one (its new-day rounds moved it on).
        let dayFile = root.appendingPathComponent("day-offset")
        var day = reused ? (try? String(contentsOf: dayFile, encoding: .utf8)).flatMap { Int($0) } ?? 0 : 0
        let clock = FixedClock(Timestamp(secondsSinceEpoch: Int64(asOf.daysSinceEpoch) * 86_400 + 17 * 3600))
        let replica: Replica
        let full: SiteBuildChild
        if reused {
            replica = try Replica.open(replicaURL, clock: clock)
            full = SiteBuildChild(pages: 0, written: 0, bytes: 0, elapsed: .nan, peakMB: .nan)
        } else {
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            replica = try Replica.create(replicaURL, clock: clock)
            try FixtureGenerator(seed: 1, customers: customers, asOf: asOf).write(into: replica.db)
            full = try SiteBuildChild.run(replica: replicaURL, output: output, day: day)
        }
        var line = String(format: "site: %d customers; full build %d pages (%d files, %.0f MB written) in %.1f s = %.0f pages/s, peak memory %.0f MB",
                          customers, full.pages, full.written, full.megabytes, full.elapsed, Double(full.pages) / full.elapsed, full.peakMB)
        if !reused { line += "; " + (try PublishedTree(root: output).summary(customers: customers)) }
        // A kept data set changes other rows on each run.
        let first = reused ? try replica.db.rows("SELECT count(*) AS n FROM customer WHERE name LIKE '%(renamed)'")[0].int("n") : 0
        let now = clock.now().description
        // Incremental builds: five rounds of each kind of sync (the disk and the page cache make single runs
        // vary), each round changing 10 other rows.
        func rounds(_ what: String, _ change: (Int) throws -> Void) throws -> String {
            var builds: [SiteBuildChild] = []
            for round in 0..<count("OUTPOST_BENCH_ROUNDS", 5) {
                try replica.db.transaction { try change(round) }
                builds.append(try SiteBuildChild.run(replica: replicaURL, output: output, day: day))
            }
            return SiteBuildChild.summary(what, builds)
        }
        line += try rounds("10 renamed customers") { round in
            for row in try replica.db.rows("SELECT id FROM customer ORDER BY id LIMIT 10 OFFSET ?", [first + round * 10]) {
                try replica.db.execute("UPDATE customer SET name = name || ' (renamed)' WHERE id = ?", [try row.string("id")])
            }
        }
        if ProcessInfo.processInfo.environment["OUTPOST_BENCH_SKIP_PAYMENTS"] != nil { return line }
        line += try rounds("10 payments") { round in
            let open = try replica.db.rows("""
                SELECT i.id, i.customer_id FROM invoice i WHERE i.status = 'issued'
                AND NOT EXISTS (SELECT 1 FROM payment p WHERE p.invoice_id = i.id) ORDER BY i.id LIMIT 10
                """)
            for (index, row) in open.enumerated() {
                try replica.db.execute("""
                    INSERT INTO payment (id, customer_id, invoice_id, method, reference, amount, currency, received_on, status, recorded_at)
                    VALUES (?, ?, ?, 'bank_transfer', 'bench', 100, 'EUR', ?, 'completed', ?)
                    """, ["pay_bench\(first)-\(round)-\(index)", try row.string("customer_id"), try row.string("id"), asOf.description, now])
            }
        }
        line += try rounds("a seat added to 10 subscriptions") { round in
            for row in try replica.db.rows("SELECT id FROM subscription WHERE status = 'active' ORDER BY id LIMIT 10 OFFSET ?", [first + round * 10]) {
                try replica.db.execute("UPDATE subscription SET quantity = quantity + 1 WHERE id = ?", [try row.string("id")])
            }
        }
        line += try rounds("10 new customers, each with a subscription") { round in
            let plan = try replica.db.rows("SELECT id, currency FROM plan WHERE kind = 'subscription' ORDER BY id LIMIT 1")[0]
            let existing = try replica.db.rows("SELECT count(*) AS n FROM customer WHERE id LIKE 'cus_bench%'")[0].int("n")
            for index in 0..<10 {
                let id = "cus_bench\(existing + index)"
                try replica.db.execute("""
                    INSERT INTO customer (id, name, status, contact_name, email, city, country, created_at)
                    VALUES (?, ?, 'active', 'Bench Contact', 'bench@example.com', 'Lyon', 'FR', ?)
                    """, [id, "Bench Customer \(existing + index)", now])
                try replica.db.execute("""
                    INSERT INTO subscription (id, customer_id, plan_id, quantity, status, period_start, period_end, unit_price, unit_cost, currency, created_at)
                    VALUES (?, ?, ?, 1, 'active', ?, ?, 1000, 700, ?, ?)
                    """, ["sub_bench\(existing + index)", id, try plan.string("id"), asOf.description, asOf.adding(days: 30).description,
                          try plan.string("currency"), now])
            }
        }
        // The first build of each new day: the date moves on by one day per round, nothing else changes.
        var days: [SiteBuildChild] = []
        for _ in 0..<count("OUTPOST_BENCH_ROUNDS", 5) {
            day += 1
            try String(day).write(to: dayFile, atomically: true, encoding: .utf8)
            days.append(try SiteBuildChild.run(replica: replicaURL, output: output, day: day))
        }
        line += SiteBuildChild.summary("a new day", days)
        let median = days.sorted { $0.elapsed < $1.elapsed }[days.count / 2]
        if !reused { line += String(format: " = %.1f %% of the full build's time", median.elapsed / full.elapsed * 100) }
        if !reused, ProcessInfo.processInfo.environment["OUTPOST_BENCH_SKIP_HUGO"] == nil {
            line += "; " + (try HugoComparison(replica: replica.db, root: root, outpostPagesPerSecond: Double(full.pages) / full.elapsed).run())
        }
        return line
    }
}

/// One site build in a child process, and what it cost.
struct SiteBuildChild {
    let pages: Int
    let written: Int
    let bytes: Int
    let elapsed: Double
    let peakMB: Double

    var megabytes: Double { Double(bytes) / 1_000_000 }

    /// "; incremental after WHAT: median … ms (range), files and MB written, peak memory" over several rounds.
    static func summary(_ what: String, _ builds: [SiteBuildChild]) -> String {
        let sorted = builds.sorted { $0.elapsed < $1.elapsed }
        let median = sorted[sorted.count / 2]
        return String(format: "; after %@: median %.0f ms (%.0f–%.0f ms over %d rounds), %d files and %.2f MB written (most %.2f MB), peak memory %.0f MB",
                      what, median.elapsed * 1000, sorted.first!.elapsed * 1000, sorted.last!.elapsed * 1000, builds.count,
                      median.written, median.megabytes, builds.map(\.megabytes).max() ?? 0, builds.map(\.peakMB).max() ?? 0)
    }

    static let flag = "--site-build"

    /// Runs `outpost-bench --site-build REPLICA OUT REPORT DAY` and reads its report and resource usage; the build
    /// is as of `day` days after the fixtures' date.
    static func run(replica: URL, output: URL, day: Int) throws -> SiteBuildChild {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
        let reportURL = output.deletingLastPathComponent().appendingPathComponent("build-report.txt")
        let argv = [executable, flag, replica.path, output.path, reportURL.path, String(day)]
        var cArguments = argv.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, nil, nil, &cArguments, environ)
        guard spawned == 0 else { throw BenchmarkFailure("cannot start \(executable): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw BenchmarkFailure("waitpid: \(String(cString: strerror(errno)))") }
        }
        guard status == 0 else { throw BenchmarkFailure("the site build child failed (wait status \(status))") }
        let fields = try String(contentsOf: reportURL, encoding: .utf8).split(separator: " ")
        guard fields.count == 5, let pages = Int(fields[0]), let written = Int(fields[1]), let bytes = Int(fields[2]),
              let seconds = Double(fields[3]), let peakKB = Double(fields[4]) else {
            throw BenchmarkFailure("unreadable build report")
        }
        return SiteBuildChild(pages: pages, written: written, bytes: bytes, elapsed: seconds, peakMB: peakKB / 1024)
    }

    /// The child's side: builds the site and writes "pages written bytes seconds peak-kB" to the report file.
    static func childMain(_ arguments: [String]) throws {
        guard arguments.count == 4, let day = Int(arguments[3]) else { throw BenchmarkFailure("usage: outpost-bench \(flag) REPLICA OUT REPORT DAY") }
        let asOf = FixtureGenerator.defaultAsOf.adding(days: day)
        let clock = FixedClock(Timestamp(secondsSinceEpoch: Int64(asOf.daysSinceEpoch) * 86_400 + 17 * 3600))
        let replica = try Replica.open(URL(fileURLWithPath: arguments[0]), clock: clock)
        let builder = SiteBuilder(db: replica.db, output: URL(fileURLWithPath: arguments[1]), clock: clock)
        var report: SiteBuildReport?
        let elapsed = try seconds { report = try builder.build() }
        guard let report else { throw BenchmarkFailure("no build report") }
        try "\(report.pages) \(report.writtenCount) \(report.writtenBytes) \(elapsed) \(try highWaterKB())".write(toFile: arguments[2], atomically: true, encoding: .utf8)
    }
}
