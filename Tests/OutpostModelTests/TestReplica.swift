import Foundation
import OutpostModel
import OutpostStore
import Testing

// Shared fixtures for the OutpostModel tests: a throw-away replica with a
// pinned clock and seeded ids, catalog/back-office facts written the way the
// node writes them (`applyFacts`, never queued), and the two assertions every
// mutation test leans on: "accepted and queued exactly once" and "refused and
// nothing written".

/// The instant every test replica's clock is pinned to.
let testNow = Timestamp("2026-01-31T10:00:00Z")!
/// The business date of `testNow`.
let testToday = BusinessDate("2026-01-31")!

/// A business date from a literal the test knows is valid.
func day(_ text: String) -> BusinessDate {
    guard let date = BusinessDate(text) else { preconditionFailure("bad test date \(text)") }
    return date
}

/// Runs `body` with a fresh replica in a new temporary directory, removed afterwards (also when `body` throws).
@discardableResult
func withTestReplica<T>(now: Timestamp = testNow, seed: UInt64 = 42, _ body: (Replica) throws -> T) throws -> T {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("OutpostModelTests-\(UUID().uuidString)", isDirectory: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let replica = try Replica.create(directory, clock: FixedClock(now), random: RandomSource(seed: seed))
    return try body(replica)
}

/// Runs `body` with a file-backed database in a new temporary directory, migrated up to the step named
/// `step` (not including it), removed afterwards: for tests of what one migration step does to old rows.
@discardableResult
func withDatabase<T>(before step: String, _ body: (Database) throws -> T) throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("OutpostModelTests-\(UUID().uuidString)", isDirectory: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
    let db = try Database(path: directory.appendingPathComponent("migrated.sqlite").path)
    var before = Migrator()
    let index = try #require(Schema.migrator.steps.firstIndex { $0.name == step }, "no migration step \(step)")
    for earlier in Schema.migrator.steps.prefix(index) { before.register(earlier.name, earlier.migrate) }
    try before.migrate(db)
    return try body(db)
}

// MARK: - Catalog

/// The plans `seedCatalog` writes (all EUR unless stated).
enum TestPlan {
    /// A per-seat monthly subscription, cost 10.00.
    static let seats = "pln_seats"
    static let seatsCost: Int64 = 1_000
    /// A software license, annual, cost 120.00.
    static let license = "pln_license"
    /// Domain registration, annual, cost 9.00.
    static let domain = "pln_domain"
    /// A DV certificate, annual, cost 50.00.
    static let ssl = "pln_ssl"
    /// No longer sold.
    static let retired = "pln_retired"
    /// Priced in USD while the reseller bills in EUR.
    static let dollars = "pln_usd"
    /// A cost so large that a few units overflow 64-bit minor units.
    static let huge = "pln_huge"
    static let hugeCost: Int64 = 1_000_000_000_000_000_000 // 10^18; price at 25 % = 1.25 × 10^18
}

/// Writes the test catalog as node facts (plans are not mutations).
func seedCatalog(_ replica: Replica) throws {
    let plans = [
        Plan(id: TestPlan.seats, name: "Office Seats", vendor: "Contoso", kind: .subscription, billingPeriod: .monthly,
             cost: TestPlan.seatsCost, currency: "EUR", sslValidation: nil, description: "per seat", available: true),
        Plan(id: TestPlan.license, name: "Antivirus License", vendor: "Fabrikam", kind: .license, billingPeriod: .annual,
             cost: 12_000, currency: "EUR", sslValidation: nil, description: "", available: true),
        Plan(id: TestPlan.domain, name: ".com domain", vendor: "Registry", kind: .domain, billingPeriod: .annual,
             cost: 900, currency: "EUR", sslValidation: nil, description: "", available: true),
        Plan(id: TestPlan.ssl, name: "DV Certificate", vendor: "CA", kind: .ssl, billingPeriod: .annual,
             cost: 5_000, currency: "EUR", sslValidation: .dv, description: "", available: true),
        Plan(id: TestPlan.retired, name: "Legacy Mail", vendor: "Contoso", kind: .subscription, billingPeriod: .monthly,
             cost: 500, currency: "EUR", sslValidation: nil, description: "", available: false),
        Plan(id: TestPlan.dollars, name: "US Seats", vendor: "Contoso", kind: .subscription, billingPeriod: .monthly,
             cost: 700, currency: "USD", sslValidation: nil, description: "", available: true),
        Plan(id: TestPlan.huge, name: "Mainframe", vendor: "Big Iron", kind: .subscription, billingPeriod: .annual,
             cost: TestPlan.hugeCost, currency: "EUR", sslValidation: nil, description: "", available: true),
    ]
    try replica.applyFacts { ctx in
        for plan in plans { try plan.upsert(in: ctx) }
    }
}

// MARK: - Back-office facts

/// An end customer written directly (not queued); returns its id.
@discardableResult
func seedCustomer(_ replica: Replica, id: String = "cus_ACME", name: String = "Acme GmbH",
                  status: Customer.Status = .active, email: String = "billing@acme.example") throws -> String {
    try replica.applyFacts { ctx in
        try ctx.insert("customer", [
            ("id", id), ("name", name), ("status", status.rawValue), ("email", email), ("country", "DE"),
            ("created_at", "2026-01-01T09:00:00Z"),
        ])
    }
    return id
}

/// A subscription as provisioning would leave it; returns its id.
@discardableResult
func seedSubscription(_ replica: Replica, id: String = "sub_SEATS", customerId: String = "cus_ACME",
                      planId: String = TestPlan.seats, quantity: Int = 5, status: Subscription.Status = .active,
                      periodStart: BusinessDate = day("2026-01-15"), periodEnd: BusinessDate = day("2026-02-14"),
                      unitPrice: Int64 = 1_250, unitCost: Int64 = 1_000, cancelAtPeriodEnd: Bool = false) throws -> String {
    try replica.applyFacts { ctx in
        try ctx.insert("subscription", [
            ("id", id), ("customer_id", customerId), ("plan_id", planId), ("order_id", nil as String?),
            ("quantity", quantity), ("status", status.rawValue), ("period_start", periodStart.description),
            ("period_end", periodEnd.description), ("auto_renew", true), ("cancel_at_period_end", cancelAtPeriodEnd),
            ("unit_price", unitPrice), ("unit_cost", unitCost), ("currency", "EUR"), ("created_at", "2026-01-15T08:00:00Z"),
        ])
    }
    return id
}

/// An issued invoice with one line of `amount` (tax at the settings' rate); returns its id.
@discardableResult
func seedInvoice(_ replica: Replica, id: String = "inv_ONE", number: String? = "INV-000001", customerId: String = "cus_ACME",
                 amount: Int64 = 10_000, issueDate: BusinessDate = day("2026-01-01")) throws -> String {
    try replica.applyFacts { ctx in
        try Invoicing.issueInvoice(
            id: id, number: number, customerId: customerId, orderId: nil, issueDate: issueDate,
            lines: [.init(id: "inl_\(id)", subscriptionId: nil, description: "Office Seats", quantity: 1,
                          unitPrice: amount, amount: amount)],
            in: ctx)
    }
    return id
}

/// A panel user written directly; returns its id.
@discardableResult
func seedPanelUser(_ replica: Replica, id: String, username: String, role: PanelUser.Role) throws -> String {
    try replica.applyFacts { ctx in
        try ctx.insert("panel_user", [
            ("id", id), ("username", username), ("name", username.capitalized), ("email", "\(username)@reseller.example"),
            ("role", role.rawValue), ("created_at", "2026-01-01T09:00:00Z"),
        ])
    }
    return id
}

/// A customer's login written directly; returns its id.
@discardableResult
func seedCustomerUser(_ replica: Replica, id: String = "cu_ANNA", customerId: String = "cus_ACME",
                      username: String = "anna", role: CustomerUser.Role = .admin) throws -> String {
    try replica.applyFacts { ctx in
        try ctx.insert("customer_user", [
            ("id", id), ("customer_id", customerId), ("username", username), ("name", "Anna Example"),
            ("email", "anna@acme.example"), ("role", role.rawValue), ("created_at", "2026-01-02T09:00:00Z"),
        ])
    }
    return id
}

/// Writes arbitrary back-office facts (void an invoice, mark an order rejected, …).
func setFact(_ replica: Replica, _ table: String, id: String, _ values: [(String, any SQLBindable)]) throws {
    try replica.applyFacts { ctx in try ctx.update(table, id: id, values) }
}

// MARK: - Reading back

/// One row by id, or nil.
func row(_ replica: Replica, _ table: String, _ id: String) throws -> Row? {
    try replica.db.row("SELECT * FROM \(table) WHERE id = ?", [id])
}

/// How many rows a table has; for `customer`, the end customers (every replica also holds the reseller's own account, migration v9).
func count(_ replica: Replica, _ table: String) throws -> Int {
    Int(try replica.db.scalar("SELECT count(*) FROM \(table)" + (table == "customer" ? " WHERE id <> 'cus_own'" : ""))?.int64 ?? -1)
}

/// The tables a snapshot covers: every replicated table, the queue, and the replica's own bookkeeping.
let snapshotTables = Schema.replicatedTables + ["queue", "rejected", "replica_meta"]

/// Every row of every table, ordered by the first column: compare two to prove nothing changed.
func snapshot(_ replica: Replica) throws -> [String: [Row]] {
    var tables: [String: [Row]] = [:]
    for table in snapshotTables {
        tables[table] = try replica.db.rows("SELECT * FROM \(table) ORDER BY 1")
    }
    return tables
}

/// Records one issue per table that differs (names the table instead of dumping everything).
func expectSameTables(_ before: [String: [Row]], _ after: [String: [Row]], _ context: String = "",
                      sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(before.keys.sorted() == after.keys.sorted(), sourceLocation: sourceLocation)
    for table in before.keys.sorted() where before[table] != after[table] {
        Issue.record("table \(table) changed \(context): before \(before[table] ?? []) after \(after[table] ?? [])",
                     sourceLocation: sourceLocation)
    }
}

// MARK: - Assertions

/// Submits `mutation`, expects a `MutationRefusal` with `code` and `field`, and
/// checks that every table (the replicated ones and the queue) is exactly as before.
@discardableResult
func assertRefusalWritesNothing(_ replica: Replica, _ mutation: any Mutation, code: MutationRefusal.Code, field: String?,
                                sourceLocation: SourceLocation = #_sourceLocation) throws -> MutationRefusal? {
    let before = try snapshot(replica)
    var refusal: MutationRefusal?
    do {
        let seq = try replica.submit(mutation)
        Issue.record("\(type(of: mutation).name) was accepted (seq \(seq)); expected a \(code.rawValue) refusal on \(field ?? "nil")",
                     sourceLocation: sourceLocation)
    } catch let error as MutationRefusal {
        refusal = error
        #expect(error.code == code, "refusal: \(error.message)", sourceLocation: sourceLocation)
        #expect(error.field == field, "refusal: \(error.message)", sourceLocation: sourceLocation)
        #expect(!error.message.isEmpty, sourceLocation: sourceLocation)
    } catch {
        Issue.record("\(type(of: mutation).name) threw \(type(of: error)) \(error), not a MutationRefusal", sourceLocation: sourceLocation)
    }
    expectSameTables(before, try snapshot(replica), "after a refused \(type(of: mutation).name)", sourceLocation: sourceLocation)
    return refusal
}

/// Submits `mutation`, expects it accepted, and checks that exactly one queue entry
/// was appended with the mutation's name, version, canonical arguments and instant.
@discardableResult
func submitAccepted(_ replica: Replica, _ mutation: any Mutation,
                    sourceLocation: SourceLocation = #_sourceLocation) throws -> QueuedMutation {
    let before = try replica.queue.pending()
    let seq = try replica.submit(mutation)
    let after = try replica.queue.pending()
    #expect(after.count == before.count + 1, "exactly one queue entry appended", sourceLocation: sourceLocation)
    #expect(Array(after.dropLast()) == before, "earlier entries untouched", sourceLocation: sourceLocation)
    let entry = try #require(after.last, sourceLocation: sourceLocation)
    let mutationType = type(of: mutation)
    #expect(entry.seq == seq, sourceLocation: sourceLocation)
    #expect(entry.mutation == mutationType.name, sourceLocation: sourceLocation)
    #expect(entry.mutationVersion == mutationType.version, sourceLocation: sourceLocation)
    #expect(entry.args == (try MutationCatalogue.encode(mutation)), sourceLocation: sourceLocation)
    #expect(entry.createdAt == replica.clock.now(), sourceLocation: sourceLocation)
    // The queued arguments read back as the same mutation.
    let decoded = try MutationCatalogue.decode(name: entry.mutation, version: entry.mutationVersion, args: entry.args)
    #expect(try MutationCatalogue.encode(decoded) == entry.args, sourceLocation: sourceLocation)
    return entry
}

/// The queued arguments as a JSON object.
func argsObject(_ entry: QueuedMutation) throws -> [String: Any] {
    try #require(JSONSerialization.jsonObject(with: Data(entry.args.utf8)) as? [String: Any])
}

/// Texts that must survive storage byte for byte.
let awkwardTexts: [String] = [
    #"O'Brien & "Partners" Ltd"#,
    "<script>alert(1)</script>",
    "👩‍💻 Café",
    "شركة الاختبار",
]

@Suite("Test replica helper")
struct TestReplicaHelperTests {
    @Test func replicaLivesInATemporaryDirectoryThatIsRemovedAfterwards() throws {
        let directory = try withTestReplica { replica throws -> URL in
            #expect(FileManager.default.fileExists(atPath: replica.directory.appendingPathComponent(Replica.databaseName).path))
            #expect(replica.clock.now() == testNow)
            #expect(try replica.queue.count() == 0)
            return replica.directory
        }
        #expect(!FileManager.default.fileExists(atPath: directory.path))
    }

    @Test func seededReplicasAreReproducible() throws {
        let first = try withTestReplica { try $0.replicaId() }
        let second = try withTestReplica { try $0.replicaId() }
        #expect(first == second)
        #expect(IdentifierFactory.isValid(first, prefix: "rep"))
    }

    @Test func factsAreWrittenWithoutQueueing() throws {
        try withTestReplica { replica in
            try seedCatalog(replica)
            try seedCustomer(replica)
            try seedSubscription(replica)
            try seedInvoice(replica)
            #expect(try count(replica, "plan") == 7)
            #expect(try count(replica, "subscription") == 1)
            #expect(try count(replica, "invoice") == 1)
            #expect(try count(replica, "invoice_line") == 1)
            #expect(try replica.queue.count() == 0)
        }
    }
}
