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
    }

    static let customerCount = 2_000

    /// The published tree.
    let site: URL
    /// Every end customer.
    let customers: [Customer]

    /// The shared site, built on first use; later callers wait for it and get the same one.
    static func shared() throws -> FixtureSite {
        lock.lock()
        defer { lock.unlock() }
        if let built { return try built.get() }
        let result = Result { try build() }
        built = result
        return try result.get()
    }

    private static let lock = NSLock()
    /// Written once under `lock`, read under it.
    nonisolated(unsafe) private static var built: Result<FixtureSite, any Error>?
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
        try db.forEachRow("SELECT id, name, contact_name, city, email, tax_id FROM customer WHERE id <> ? ORDER BY id", [OutpostModel.Customer.ownAccountId]) { row in
            customers.append(Customer(id: row["id"].string ?? "", name: row["name"].string ?? "", contact: row["contact_name"].string ?? "",
                                      city: row["city"].string ?? "", email: row["email"].string ?? "", taxId: row["tax_id"].string ?? ""))
        }
        return FixtureSite(site: site, customers: customers)
    }
}
