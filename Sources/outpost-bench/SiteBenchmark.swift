import Foundation
import OutpostModel
import OutpostSite
import OutpostStore
import OutpostFixtures
#if canImport(Glibc)
import Glibc
#endif

/// The dashboards: a full build of the fixture data set, then incremental
/// builds after 10 customers were renamed, 10 payments recorded, or a seat added to 10 subscriptions —
/// pages/s, files written, peak memory.
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
        let clock = FixedClock(Timestamp(secondsSinceEpoch: Int64(asOf.daysSinceEpoch) * 86_400 + 17 * 3600))
        let replicaURL = root.appendingPathComponent("replica")
        let output = root.appendingPathComponent("site")
        let reused = kept != nil && FileManager.default.fileExists(atPath: output.appendingPathComponent("index.html").path)
        let replica: Replica
        let full: SiteBuildChild
        if reused {
            replica = try Replica.open(replicaURL, clock: clock)
            full = SiteBuildChild(pages: 0, written: 0, elapsed: .nan, peakMB: .nan)
        } else {
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            replica = try Replica.create(replicaURL, clock: clock)
            try FixtureGenerator(seed: 1, customers: customers, asOf: asOf).write(into: replica.db)
            full = try SiteBuildChild.run(replica: replicaURL, output: output)
        }
        // A kept data set renames other customers on each run.
        let first = reused ? try replica.db.rows("SELECT count(*) AS n FROM customer WHERE name LIKE '%(renamed)'")[0].int("n") : 0
        // Incremental builds: five rounds of each kind of sync (the disk and the page cache make single runs
        // vary), each round changing 10 other rows: renamed customers, payments recorded, seats added.
        func rounds(_ what: String, _ change: (Int) throws -> Void) throws -> String {
            var builds: [SiteBuildChild] = []
            for round in 0..<count("OUTPOST_BENCH_ROUNDS", 5) {
                try replica.db.transaction { try change(round) }
                builds.append(try SiteBuildChild.run(replica: replicaURL, output: output))
            }
            let sorted = builds.sorted { $0.elapsed < $1.elapsed }
            let median = sorted[sorted.count / 2]
            return String(format: "; incremental after %@: median %.0f ms (%.0f–%.0f ms over %d rounds), %d files written, peak memory %.0f MB",
                          what, median.elapsed * 1000, sorted.first!.elapsed * 1000, sorted.last!.elapsed * 1000, builds.count,
                          median.written, builds.map(\.peakMB).max() ?? 0)
        }
        var line = String(format: "site: %d customers; full build %d pages (%d files written) in %.1f s = %.0f pages/s, peak memory %.0f MB",
                          customers, full.pages, full.written, full.elapsed, Double(full.pages) / full.elapsed, full.peakMB)
        line += try rounds("10 renamed customers") { round in
            for row in try replica.db.rows("SELECT id FROM customer ORDER BY id LIMIT 10 OFFSET ?", [first + round * 10]) {
                try replica.db.execute("UPDATE customer SET name = name || ' (renamed)' WHERE id = ?", [try row.string("id")])
            }
        }
        if ProcessInfo.processInfo.environment["OUTPOST_BENCH_SKIP_PAYMENTS"] != nil { return line }
        line += try rounds("10 payments (home page, money reports and their CSVs redone)") { round in
            let open = try replica.db.rows("""
                SELECT i.id, i.customer_id FROM invoice i WHERE i.status = 'issued'
                AND NOT EXISTS (SELECT 1 FROM payment p WHERE p.invoice_id = i.id) ORDER BY i.id LIMIT 10
                """)
            for (index, row) in open.enumerated() {
                try replica.db.execute("""
                    INSERT INTO payment (id, customer_id, invoice_id, method, reference, amount, currency, received_on, status, recorded_at)
                    VALUES (?, ?, ?, 'bank_transfer', 'bench', 100, 'EUR', ?, 'completed', ?)
                    """, ["pay_bench\(first)-\(round)-\(index)", try row.string("customer_id"), try row.string("id"), asOf.description,
                          clock.now().description])
            }
        }
        line += try rounds("a seat added to 10 subscriptions (home page and subscription reports redone)") { round in
            for row in try replica.db.rows("SELECT id FROM subscription WHERE status = 'active' ORDER BY id LIMIT 10 OFFSET ?", [first + round * 10]) {
                try replica.db.execute("UPDATE subscription SET quantity = quantity + 1 WHERE id = ?", [try row.string("id")])
            }
        }
        return line
    }
}

/// One site build in a child process, and what it cost.
struct SiteBuildChild {
    let pages: Int
    let written: Int
    let elapsed: Double
    let peakMB: Double

    static let flag = "--site-build"

    /// Runs `outpost-bench --site-build REPLICA OUT` and reads its report and resource usage.
    static func run(replica: URL, output: URL) throws -> SiteBuildChild {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
        let reportURL = output.deletingLastPathComponent().appendingPathComponent("build-report.txt")
        let argv = [executable, flag, replica.path, output.path, reportURL.path]
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
        guard fields.count == 4, let pages = Int(fields[0]), let written = Int(fields[1]), let seconds = Double(fields[2]),
              let peakKB = Double(fields[3]) else {
            throw BenchmarkFailure("unreadable build report")
        }
        return SiteBuildChild(pages: pages, written: written, elapsed: seconds, peakMB: peakKB / 1024)
    }

    /// The child's side: builds the site and writes "pages written seconds peak-kB" to the report file.
    static func childMain(_ arguments: [String]) throws {
        guard arguments.count == 3 else { throw BenchmarkFailure("usage: outpost-bench \(flag) REPLICA OUT REPORT") }
        let asOf = FixtureGenerator.defaultAsOf
        let clock = FixedClock(Timestamp(secondsSinceEpoch: Int64(asOf.daysSinceEpoch) * 86_400 + 17 * 3600))
        let replica = try Replica.open(URL(fileURLWithPath: arguments[0]), clock: clock)
        let builder = SiteBuilder(db: replica.db, output: URL(fileURLWithPath: arguments[1]), clock: clock)
        var report: SiteBuildReport?
        let elapsed = try seconds { report = try builder.build() }
        guard let report else { throw BenchmarkFailure("no build report") }
        try "\(report.pages) \(report.writtenCount) \(elapsed) \(try highWaterKB())".write(toFile: arguments[2], atomically: true, encoding: .utf8)
    }

    /// A process's peak resident memory in kB (`VmHWM` in /proc/PROCESS/status): this one's by default.
    static func highWaterKB(process: String = "self") throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(process)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kB = Int(line.dropFirst("VmHWM:".count).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "") else {
            throw BenchmarkFailure("no VmHWM in /proc/\(process)/status")
        }
        return kB
    }
}
