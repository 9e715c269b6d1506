import Foundation
import OutpostModel
import OutpostSite
import OutpostStore

/// The dashboards: a full build of the fixture data set, then an incremental
/// build after 10 customers changed — pages/s, files written, peak memory.
struct SiteBenchmark {
    let customers: Int

    func run() throws -> String {
        let root = try scratch("site")
        defer { try? FileManager.default.removeItem(at: root) }
        let asOf = FixtureGenerator.defaultAsOf
        let clock = FixedClock(Timestamp(secondsSinceEpoch: Int64(asOf.daysSinceEpoch) * 86_400 + 17 * 3600))
        let replica = try Replica.create(root.appendingPathComponent("replica"), clock: clock)
        try FixtureGenerator(seed: 1, customers: customers, asOf: asOf).write(into: replica.db)
        let output = root.appendingPathComponent("site")
        let builder = SiteBuilder(db: replica.db, output: output, clock: clock)
        var full: SiteBuildReport?
        let fullSeconds = try seconds { full = try builder.build() }
        try replica.db.transaction {
            for row in try replica.db.rows("SELECT id FROM customer ORDER BY id LIMIT 10") {
                try replica.db.execute("UPDATE customer SET name = name || ' (renamed)' WHERE id = ?", [try row.string("id")])
            }
        }
        var incremental: SiteBuildReport?
        let incrementalSeconds = try seconds { incremental = try builder.build() }
        guard let full, let incremental else { throw BenchmarkFailure("no build report") }
        return String(format: "site: %d customers; full build %d pages in %.1f s = %.0f pages/s; incremental after 10 changed customers %.0f ms, %d files written; peak memory %.0f MB",
                      customers, full.pages, fullSeconds, Double(full.pages) / fullSeconds, incrementalSeconds * 1000,
                      incremental.written.count, peakMemoryMB())
    }
}
