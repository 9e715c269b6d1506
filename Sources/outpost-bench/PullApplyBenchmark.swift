import Foundation
import OutpostModel
import OutpostStore
import OutpostSync

/// Pull-apply of N row changes into a fresh file-backed replica, against raw
/// SQLite inserting the same rows in one transaction (the limit).
///
/// The limit binds values built before its clock starts through one prepared statement, as the `sqlite3`
/// shell's import does: building each row in Swift inside the timed loop made it about half as fast (issue 16),
/// so the ratio printed flattered the pull.
struct PullApplyBenchmark {
    let changes: Int

    func run() -> String {
        onBothStores("pull-apply", target: "PostgreSQL node >= 100,000 changes/s at the replica") { store in
            let (line, rate) = try run(on: store)
            return StoreFigure(line: line, met: store.isPostgreSQL ? rate >= 100_000 : nil)
        }
    }

    /// The figure's line and the pull's changes per second.
    func run(on store: BenchStore) throws -> (String, Double) {
        let root = try scratch("pull")
        defer { try? FileManager.default.removeItem(at: root) }
        let clock = FixedClock(Timestamp("2026-03-02T09:00:00Z")!)
        let node = try store.createNode(at: root.appendingPathComponent("node"), clock: clock)
        try node.addReseller(id: "bench", name: "Bench", currency: "EUR")
        let tenant = try node.tenant("bench")
        let tenantDB = tenant.db
        let token = try node.issueToken(resellerId: "bench", username: "bench").token

        // The node's side: N customers and their change-log entries, written directly (not timed).
        let rows = (0..<changes).lazy.map { index in Self.row(index) }
        try tenantDB.transaction {
            var version = try tenantDB.scalar("SELECT coalesce(max(version), 0) FROM change_log")?.int64 ?? 0
            let insertRow = BatchInsert(into: tenantDB, table: "customer", columns: Self.columns)
            let insertLog = BatchInsert(into: tenantDB, table: "change_log", columns: ChangeLogRow.columns)
            for var row in rows {
                version += 1
                row["version"] = .integer(version)
                try insertRow.add(Self.columns.map { row[$0]! })
                try insertLog.add(ChangeLogRow.values(version: version, entity: "customer", id: row["id"]!,
                                                      row: .text(JSONValue.object(row.mapValues(\.json)).serialized)))
            }
            try insertRow.flush()
            try insertLog.flush()
            try ChangeLogRow.advanceCounter(of: tenant, to: version)
            try RowDigest.reset("customer", in: tenantDB)
        }

        // Pull-apply through the protocol into a fresh replica.
        let replica = try Replica.create(root.appendingPathComponent("replica"), clock: clock)
        let sync = ReplicaSync(replica: replica, transport: LocalTransport(directory: root.appendingPathComponent("node"), token: token, clock: clock))
        var report = ReplicaSync.PullReport()
        resetPeakMemory()  // The pull's own peak, without the setup's.
        let pullSeconds = try seconds { report = try sync.pull() }
        guard try replica.db.scalar("SELECT count(*) FROM customer WHERE id <> 'cus_own'")?.int64 == Int64(changes) else {
            throw BenchmarkFailure("the replica does not hold every customer")
        }
        // Read before the limit's values are built below: those (about 500 bytes a row) are not the pull's memory.
        let pullPeakMB = peakMemoryMB()

        // The limit: raw SQLite inserting the same rows into a fresh file in one transaction, each row's values
        // built beforehand and bound through one prepared statement.
        let values: [[SQLValue]] = (0..<changes).map { index in
            let row = Self.row(index)
            return Self.columns.map { row[$0]! }
        }
        let raw = try Database(path: root.appendingPathComponent("raw.sqlite").path)
        try Schema.migrate(raw)
        let insert = try raw.cachedStatement(Self.insertSQL)
        let rawSeconds = try seconds {
            try raw.transaction {
                for row in values { try insert.execute(row) }
            }
        }
        guard try raw.scalar("SELECT count(*) FROM customer WHERE id <> 'cus_own'")?.int64 == Int64(changes) else {
            throw BenchmarkFailure("the raw insert does not hold every customer")
        }

        let rate = Double(report.changes) / pullSeconds
        let rawRate = Double(changes) / rawSeconds
        return (String(format: "%d changes in %.2f s = %.0f changes/s; raw insert into the replica's SQLite %.0f rows/s (pre-built values, "
                           + "one prepared statement); ratio %.2f; %d pages; peak memory %.0f MB",
                       report.changes, pullSeconds, rate, rawRate, rate / rawRate, report.pages, pullPeakMB), rate)
    }

    static let columns = ["address", "city", "closed_at", "contact_name", "country", "created_at", "email", "id", "name", "phone", "postal_code", "status",
                          "tax_id", "version"]
    static let insertSQL = "INSERT INTO customer (\(columns.joined(separator: ", "))) VALUES (\(Array(repeating: "?", count: columns.count).joined(separator: ", ")))"

    static func row(_ index: Int) -> [String: SQLValue] {
        let suffix = String(index, radix: 32).uppercased()
        let id = "cus_" + String(repeating: "0", count: 26 - suffix.count) + suffix
        return [
            "id": .text(id), "name": .text("Customer \(index) GmbH"), "status": .text("active"), "contact_name": .text("Contact \(index)"),
            "email": .text("it\(index)@example.com"), "phone": .text("+49 30 \(index)"), "address": .text("Hauptstrasse \(index % 200)"),
            "city": .text("Berlin"), "postal_code": .text("10115"), "country": .text("DE"), "tax_id": .text("DE\(100_000_000 + index)"),
            "created_at": .text("2026-03-02T09:00:00Z"), "closed_at": .null, "version": .integer(0),
        ]
    }
}

/// A change-log entry written directly by a scenario's setup, as if the node had made the change.
enum ChangeLogRow {
    static let columns = ["version", "entity", "entity_id", "op", "row", "columns", "origin"]

    static func values(version: Int64, entity: String, id: SQLValue, row: SQLValue) -> [SQLValue] {
        [.integer(version), .text(entity), id, .text("upsert"), row, .text(""), .text("bench")]
    }

    /// On PostgreSQL the reseller's counter row hands out the next version (`ResellerCounter`): moved to the log's
    /// new head, as the node's own writes would have left it. SQLite numbers from the log's head and has none.
    static func advanceCounter(of tenant: Tenant, to version: Int64) throws {
        guard tenant.db.dialect == .postgresql else { return }
        try tenant.db.execute("UPDATE reseller_counter SET version = ? WHERE reseller = ?", [SQLValue.integer(version), SQLValue.text(tenant.resellerId)])
    }
}

struct BenchmarkFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
