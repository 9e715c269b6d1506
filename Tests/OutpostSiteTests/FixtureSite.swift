import Foundation
import OutpostModel
import OutpostStore
@testable import OutpostSite

/// The 2,000-customer fixture site, built once per test run and shared by the
/// suites that need a site of that size (search index sizes, the validator,
/// the browser test), so `swift test` pays for one build, not one per suite.
/// It lives in a temporary directory removed when the test process exits.
/// Its suites have ten-minute time limits: the first to ask waits for the
/// build (about a minute on two idle cores in a debug build, several on a busy machine).
struct FixtureSite: Sendable {
    /// A customer of the fixture, as the search box should find it.
    struct Customer: Sendable {
        let id: String
        let name: String
        let contact: String
        let city: String
        let email: String
        let taxId: String
        /// When the customer joined (`created_at`): the "date joined" order's key.
        let created: String
    }

    static let customerCount = 2_000

    /// The published tree.
    let site: URL
    /// Every end customer.
    let customers: [Customer]

    /// The shared site, built on first use; later callers wait for it and get the same one.
    ///
    /// The build takes minutes on two cores. It runs on a thread of its own, and callers wait by suspending:
    /// were they to block a thread of Swift's cooperative pool (two threads on two cores) for that long, every
    /// other test of the run would stand still and reach its time limit.
    static func shared() async throws -> FixtureSite {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<FixtureSite, any Error>) in
            lock.lock()
            if let built {
                lock.unlock()
                continuation.resume(with: built)
                return
            }
            waiting.append(continuation)
            let first = waiting.count == 1
            lock.unlock()
            guard first else { return }
            Thread.detachNewThread {
                let result = Result { try build() }
                lock.lock()
                built = result
                let waiters = waiting
                waiting = []
                lock.unlock()
                for waiter in waiters { waiter.resume(with: result) }
            }
        }
    }

    private static let lock = NSLock()
    /// Written once under `lock`, read under it.
    nonisolated(unsafe) private static var built: Result<FixtureSite, any Error>?
    /// Callers suspended until the first build ends; under `lock`.
    nonisolated(unsafe) private static var waiting: [CheckedContinuation<FixtureSite, any Error>] = []
    /// Where the site was built, for the clean-up at exit.
    nonisolated(unsafe) private static var directory: String?

    private static func build() throws -> FixtureSite {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("OutpostSiteTests-fixture-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        directory = root.path
        atexit { if let directory = FixtureSite.directory { try? FileManager.default.removeItem(atPath: directory) } }
        let db = try fixtureDatabase(in: root.appendingPathComponent("replica"), customers: customerCount)
        let site = root.appendingPathComponent("site")
        try buildSite(db, into: site)
        var customers: [Customer] = []
        try db.forEachRow("SELECT id, name, contact_name, city, email, tax_id, created_at FROM customer WHERE id <> ? ORDER BY id", [OutpostModel.Customer.ownAccountId]) { row in
            customers.append(Customer(id: row["id"].string ?? "", name: row["name"].string ?? "", contact: row["contact_name"].string ?? "",
                                      city: row["city"].string ?? "", email: row["email"].string ?? "", taxId: row["tax_id"].string ?? "",
                                      created: row["created_at"].string ?? ""))
        }
        return FixtureSite(site: site, customers: customers)
    }
}
