import Foundation
import OutpostStore
import OutpostSystem
import OutpostModel
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The deterministic demo and scale data set: a reseller with its settings,
/// price rules, panel users and login history, and `customers` end customers
/// with users, subscriptions of every plan kind (domains, SSL certificates,
/// licenses), the orders that created, renewed, changed and cancelled them,
/// invoices, payments and credit notes — three years of history up to
/// `asOf`.
///
/// The same seed, customer count, `asOf` and embedded fixture files always
/// give the same rows: ids come from `IdentifierFactory` with a `FixedClock`
/// and a seeded `RandomSource`, and nothing reads the system clock or depends
/// on hash ordering. Order, invoice and credit-note numbers are gap-free in
/// date order (`ORD-000001…`, `INV-000001…`, `CRN-000001…`).
///
/// One generator feeds two outputs with the same rows in the same order: a
/// database (`write(into:)`) and an NDJSON file (`writeNDJSON(to:)`).
public struct FixtureGenerator: Sendable {
    public let seed: UInt64
    public let customers: Int
    /// The data set's "today": nothing is dated later.
    public let asOf: BusinessDate

    /// The `asOf` the CLI uses unless told otherwise.
    public static let defaultAsOf = BusinessDate(year: 2026, month: 11, day: 24)!

    public init(seed: UInt64, customers: Int, asOf: BusinessDate) {
        self.seed = seed
        self.customers = customers
        self.asOf = asOf
    }

    /// The instant the data set ends: `asOf` at 17:00 UTC. Every timestamp is at or before it.
    public var now: Timestamp { Timestamp(secondsSinceEpoch: Int64(asOf.daysSinceEpoch) * 86_400 + 17 * 3_600) }

    /// Writes the data set into `db`: migrates it when needed, refuses a
    /// database that already holds customers, orders, invoices or users, and
    /// inserts everything in one transaction (node authority, no change
    /// records, version 0). The settings row, the default price rule and
    /// existing plans are updated in place.
    @discardableResult
    public func write(into db: Database) throws -> FixtureSummary {
        try validate()
        try Schema.migrate(db)
        let used = try db.scalar("""
            SELECT (SELECT count(*) FROM customer WHERE id <> 'cus_own') + (SELECT count(*) FROM orders) + (SELECT count(*) FROM invoice)
                 + (SELECT count(*) FROM subscription) + (SELECT count(*) FROM payment) + (SELECT count(*) FROM panel_user)
            """)?.int64 ?? 0
        guard used == 0 else { throw FixtureError.databaseNotEmpty(db.path) }
        let world = try makeWorld()
        let numbering = FixtureNumbering(world: world)
        // A big page cache while writing: the indexes of a large data set stay in memory.
        let cacheSize = try db.scalar("PRAGMA cache_size")?.int64 ?? -2_000
        try db.executeScript("PRAGMA cache_size = -262144")
        defer { try? db.executeScript("PRAGMA cache_size = \(cacheSize)") }
        let counts = try db.transaction(.immediate) { () throws -> [Int] in
            // Hundreds of thousands of rows: the site journal takes one "rebuild everything" marker instead.
            try SiteJournal.withJournalOff(db) {
                // Foreign keys are checked once, at commit, instead of after every insert (which
                // would make SQLite keep a statement journal for each row). Reset by the commit.
                try db.executeScript("PRAGMA defer_foreign_keys = ON")
                var sink = DatabaseFixtureSink(context: MutationContext(db: db, now: now, authority: .node, recordsChanges: false))
                let counts = try FixturePipeline.run(world: world, numbering: numbering, into: &sink)
                // Kept per-table digests (sync) no longer match; they are recomputed on next use.
                if try db.scalar("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'table_digest'") != nil {
                    for table in FixtureTable.allCases {
                        try db.execute("DELETE FROM table_digest WHERE entity = ?", [table.rawValue])
                    }
                }
                return counts
            }
        }
        if db.path != ":memory:", !db.path.isEmpty {
            // Fold the write-ahead log back into the file so it does not stay as large as the data.
            try? db.executeScript("PRAGMA wal_checkpoint(TRUNCATE)")
        }
        return FixtureSummary(counts: counts)
    }

    /// Writes the data set as newline-delimited JSON, one row per line:
    /// `{"table":"customer","row":{"id":"cus_…",…}}`, keys in schema column
    /// order, rows in generation order (parents before children). The file
    /// is written beside `url` and renamed over it when complete.
    @discardableResult
    public func writeNDJSON(to url: URL) throws -> FixtureSummary {
        try validate()
        let world = try makeWorld()
        let partial = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial")
        guard LocalFiles.create(partial.path) else {
            throw FixtureError.cannotWrite(url.path)
        }
        var completed = false
        defer { if !completed { try? FileManager.default.removeItem(at: partial) } }
        let handle = try FileHandle(forWritingTo: partial)
        let summary: FixtureSummary
        do {
            defer { try? handle.close() }
            summary = try write(world: world, to: handle)
        }
        // rename(2) replaces an existing file atomically.
        guard rename(partial.path, url.path) == 0 else { throw FixtureError.cannotWrite(url.path) }
        completed = true
        return summary
    }

    /// Streams the same NDJSON to an open file (standard output, a pipe); the handle stays open.
    @discardableResult
    public func writeNDJSON(to handle: FileHandle) throws -> FixtureSummary {
        try validate()
        return try write(world: try makeWorld(), to: handle)
    }

    private func write(world: FixtureWorld, to handle: FileHandle) throws -> FixtureSummary {
        let numbering = FixtureNumbering(world: world)
        var sink = NDJSONFixtureSink(handle: handle)
        let counts = try FixturePipeline.run(world: world, numbering: numbering, into: &sink)
        try sink.flush()
        return FixtureSummary(counts: counts)
    }

    private func validate() throws {
        guard customers >= 0 else { throw FixtureError.invalidCustomerCount(customers) }
        guard (2000...9000).contains(asOf.parts.year) else { throw FixtureError.invalidAsOf(asOf) }
    }

    private func makeWorld() throws -> FixtureWorld {
        try FixtureWorld(seed: seed, customers: customers, asOf: asOf, plans: try Catalog.plans(), names: try NameLists.embedded())
    }
}

/// How many rows of each table a run wrote.
public struct FixtureSummary: Sendable, Equatable, Codable {
    public struct Table: Sendable, Equatable, Codable {
        public let name: String
        public let rows: Int
    }

    /// Every table the generator writes, parents first.
    public let tables: [Table]

    init(counts: [Int]) {
        tables = FixtureTable.allCases.map { Table(name: $0.rawValue, rows: counts[$0.index]) }
    }

    /// Rows in all tables.
    public var totalRows: Int { tables.reduce(0) { $0 + $1.rows } }

    /// Rows written to one table (0 for a table the generator does not write).
    public func rows(in table: String) -> Int { tables.first { $0.name == table }?.rows ?? 0 }
}

/// Why the generator could not run.
public enum FixtureError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidCustomerCount(Int)
    /// The data set covers the three years before `asOf`, which must lie in 2000…9000.
    case invalidAsOf(BusinessDate)
    case databaseNotEmpty(String)
    case cannotWrite(String)

    public var description: String {
        switch self {
        case .invalidCustomerCount(let count):
            return "the number of customers must be zero or more, got \(count)"
        case .invalidAsOf(let date):
            return "the data set's date \(date) must be between 2000-01-01 and 9000-12-31"
        case .databaseNotEmpty(let path):
            return "\(path) already holds customers, orders, invoices or users; generate fixtures into a new replica or an empty database"
        case .cannotWrite(let path):
            return "cannot create \(path)"
        }
    }
}

// MARK: - Numbering

/// Gap-free document numbers in date order, worked out before any row is
/// written: the simulation runs once to collect every order's, invoice's and
/// credit note's instant, which are sorted (ties by generation order).
struct FixtureNumbering: Sendable {
    /// Per generation index: the number.
    let orders: [Int32]
    let invoices: [Int32]
    let credits: [Int32]

    /// The instants of one range of customers' documents, in generation order.
    private struct Instants {
        var orders: [Int64] = []
        var invoices: [Int64] = []
        var credits: [Int64] = []
    }

    /// Per-chunk results written by concurrent workers.
    private final class Chunks: @unchecked Sendable {
        // @unchecked: each slot is written once, under `lock`, and read after all workers are done.
        private var slots: [Instants]
        private let lock = NSLock()

        init(count: Int) { slots = Array(repeating: Instants(), count: count) }

        func set(_ index: Int, _ value: Instants) {
            lock.lock()
            slots[index] = value
            lock.unlock()
        }

        var all: [Instants] {
            lock.lock()
            defer { lock.unlock() }
            return slots
        }
    }

    init(world: FixtureWorld) {
        // Customers are simulated independently, so ranges of them run in parallel;
        // the results are joined in customer order.
        let customers = max(0, world.customerCount)
        let chunkCount = max(1, min(16, customers / 2_000))
        let chunks = Chunks(count: chunkCount)
        DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in
            var instants = Instants()
            for index in (chunk * customers / chunkCount)..<((chunk + 1) * customers / chunkCount) {
                let customer = world.simulateCustomer(index)
                for subscription in customer.subscriptions {
                    for event in subscription.events {
                        instants.orders.append(event.order.placedAt)
                        if let invoice = event.invoice { instants.invoices.append(invoice.issuedAt) }
                        if let credit = event.credit { instants.credits.append(credit.issuedAt) }
                    }
                }
                for order in customer.extraOrders { instants.orders.append(order.placedAt) }
            }
            chunks.set(chunk, instants)
        }
        let all = chunks.all
        let origin = world.at(world.firstDay, 0) - 31 * FixtureWorld.day
        /// Numbers 1…n by instant; ties keep generation order.
        func ranks(_ lists: [[Int64]]) -> [Int32] {
            var keys: [UInt64] = []
            keys.reserveCapacity(lists.reduce(0) { $0 + $1.count })
            for list in lists {
                for instant in list { keys.append(UInt64(max(0, instant - origin)) << 32 | UInt64(keys.count)) }
            }
            keys.sort()
            var result = [Int32](repeating: 0, count: keys.count)
            for (rank, key) in keys.enumerated() { result[Int(key & 0xFFFF_FFFF)] = Int32(rank + 1) }
            return result
        }
        orders = ranks(all.map(\.orders))
        invoices = ranks(all.map(\.invoices))
        credits = ranks(all.map(\.credits))
    }
}

// MARK: - Rendering

/// One sign-in attempt before it is sorted into time order.
struct FixtureLogin {
    let at: Int64
    let username: String
    let source: String
    let success: Bool
}

/// Turns the simulation into rows, with ids, names and text, and hands them to a sink.
struct FixtureRenderer<Sink: FixtureSink> {
    let world: FixtureWorld
    let numbering: FixtureNumbering
    var sink: Sink

    /// The current customer's ids: a factory pinned to the customer's creation
    /// instant, so its ids sort in generation order, and customers (created in
    /// index order) follow one another — inserts append to every id index.
    private var ids = IdentifierFactory(clock: FixedClock(Timestamp(secondsSinceEpoch: 0)), random: RandomSource(seed: 0))
    private var orderIndex = 0
    private var invoiceIndex = 0
    private var creditIndex = 0
    private var companyNames: Set<String> = []
    private var domainNames: Set<String> = []
    private let planTLD: [String]
    private let planWildcard: [Bool]
    /// TLDs for companies whose country has none of its own in the name lists.
    private let genericTLDs: [String]
    private let currency: String
    private var legalForms: [String: [String]] = [:]
    private var emailTLDs: [String: String?] = [:]

    init(world: FixtureWorld, numbering: FixtureNumbering, sink: Sink) {
        self.world = world
        self.numbering = numbering
        self.sink = sink
        currency = world.currency
        planTLD = world.plans.map { plan in
            let last = plan.name.split(separator: " ").last.map(String.init) ?? ""
            if last.hasPrefix("."), last.count > 2 { return String(last.dropFirst()).lowercased() }
            if plan.id.hasPrefix("pln_domain-") {
                return String(plan.id.dropFirst("pln_domain-".count)).replacingOccurrences(of: "-", with: ".")
            }
            return "com"
        }
        planWildcard = world.plans.map { $0.name.lowercased().contains("wildcard") || $0.id.hasSuffix("-wc") }
        let generic = ["com", "com", "com", "eu", "io"].filter { world.names.emailDomainTLDs.contains($0) }
        genericTLDs = generic.isEmpty ? world.names.emailDomainTLDs : generic
    }

    private mutating func row(_ table: FixtureTable, _ values: [(String, any SQLBindable)], upsert: Bool = false) throws {
        try sink.emit(table, values, upsert: upsert)
    }

    private func stamp(_ instant: Int64) -> String { Timestamp(secondsSinceEpoch: instant).description }

    /// An id made at `instant` (the reseller's own rows: few, each with its own time).
    private func makeId(_ prefix: String, _ instant: Int64, _ random: FixtureRandom) -> String {
        IdentifierFactory(clock: FixedClock(Timestamp(secondsSinceEpoch: instant)), random: random.source).make(prefix)
    }

    mutating func run() throws {
        let random = FixtureRandom(FixtureRandom.derive(world.seed, 0, 2))
        try writeReseller(random)
        for index in 0..<max(0, world.customerCount) {
            try writeCustomer(index)
        }
    }

    // MARK: Reseller

    private mutating func writeReseller(_ random: FixtureRandom) throws {
        let names = world.names
        let city = names.cities.first { $0.country == world.companyCountry } ?? names.cities[0]
        let words = (random.pick(names.companyWords), random.pick(names.companyWords))
        let form = FixtureText.legalForms(country: city.country).first { names.companySuffixes.contains($0) } ?? ""
        let company = "\(words.0) \(words.1) IT Services\(form.isEmpty ? "" : " " + form)"
        let slug = FixtureText.slug("\(words.0) \(words.1) IT")
        let domain = slug + "." + (FixtureText.countryTLD(country: city.country) ?? "com")
        let vat = city.country + FixtureText.digits(random.below(1_000_000_000), width: FixtureText.vatDigits(country: city.country))
        try row(.settings, [
            ("id", "settings"), ("company_name", company),
            ("address", "\(random.pick(names.streets)) \(random.between(1, 120))\n\(city.postcode) \(city.city)\n\(city.country)"),
            ("email", "billing@" + domain), ("phone", phone(country: city.country, random)), ("tax_id", vat),
            ("currency", currency), ("tax_rate_bp", world.taxRateBp), ("payment_terms_days", world.paymentTermsDays),
            ("notify_invoice_due", "7,1"), ("notify_invoice_overdue", "30,7,1"), ("notify_subscription_expiring", "30,7"),
            ("notify_domain_expiring", "60,30,7"), ("notify_ssl_expiring", "30,14,7"),
            ("advance_billing_days", ResellerSettings.defaultAdvanceBillingDays), ("version", 0),
        ], upsert: true)
        for plan in world.plans {
            try row(.plan, [
                ("id", plan.id), ("name", plan.name), ("vendor", plan.vendor), ("kind", plan.kind.rawValue),
                ("billing_period", plan.billingPeriod.rawValue), ("cost", plan.cost), ("currency", plan.currency),
                ("ssl_validation", plan.sslValidation?.rawValue), ("description", plan.description), ("available", plan.available),
                ("version", 0),
            ], upsert: true)
        }
        try row(.price_rule, [("id", PriceRule.defaultId), ("plan_id", String?.none), ("markup_bp", Pricing.defaultMarkup), ("version", 0)],
                upsert: true)
        for rule in world.priceRules {
            let planId = world.plans[rule.plan].id
            try row(.price_rule, [("id", PriceRule.id(forPlan: planId)), ("plan_id", planId), ("markup_bp", rule.markup), ("version", 0)],
                    upsert: true)
        }

        // Panel users: an admin from the first day, then colleagues.
        let start = world.at(world.firstDay, 9 * 3_600)
        let roles: [PanelUser.Role] = [.admin, .manager, .billing, .viewer, .admin]
        var usernames: [String] = []
        var created: [Int64] = []
        for number in 0..<(3 + random.below(3)) {
            let first = random.pick(names.firstNames)
            let last = random.pick(names.lastNames)
            var username = FixtureText.localPart(first) + "." + FixtureText.localPart(last)
            if usernames.contains(username) { username += String(number + 1) }
            let at = number == 0 ? start : random.between(start + FixtureWorld.day, start + 700 * FixtureWorld.day)
            usernames.append(username)
            created.append(at)
            try row(.panel_user, [
                ("id", makeId("usr", at, random)), ("username", username), ("name", "\(first) \(last)"),
                ("email", "\(username)@\(domain)"), ("role", roles[number].rawValue), ("created_at", stamp(at)), ("version", 0),
            ])
        }
        // Sign-ins over the last 90 days, a few failures, and someone trying `root`.
        var logins: [FixtureLogin] = []
        let since = world.now - 90 * FixtureWorld.day
        for (number, username) in usernames.enumerated() {
            let home = "203.0.113.\(10 + number * 7)"
            let count = number == 0 ? 45 : random.between(10, 30)
            for _ in 0..<count {
                let day = world.day(random.between(max(since, created[number]), world.now - FixtureWorld.hour))
                let at = min(world.at(day, 7 * 3_600 + random.below(11 * 3_600)), world.now - 60)
                let source = random.chance(150) ? "sync" : random.chance(100) ? "198.51.100.\(random.between(2, 250))" : home
                logins.append(FixtureLogin(at: at, username: username, source: source, success: !random.chance(40)))
            }
        }
        for _ in 0..<(3 + random.below(4)) {
            let at = random.between(since, world.now - 60)
            logins.append(FixtureLogin(at: at, username: random.chance(500) ? "root" : "admin", source: "192.0.2.\(random.between(2, 250))",
                                success: false))
        }
        let order = logins.indices.sorted { (logins[$0].at, $0) < (logins[$1].at, $1) }
        for index in order {
            let login = logins[index]
            try row(.login_event, [
                ("id", makeId("log", login.at, random)), ("username", login.username), ("at", stamp(login.at)), ("source", login.source),
                ("result", login.success ? "success" : "failure"), ("customer_user_id", nil as String?), ("customer_id", nil as String?), ("version", 0),
            ])
        }
    }

    private func phone(country: String, _ random: FixtureRandom) -> String {
        "\(FixtureText.callingCode(country: country)) \(random.between(20, 89)) \(random.between(100, 999)) \(FixtureText.digits(random.below(10_000), width: 4))"
    }

    // MARK: Customers

    private struct Identity {
        let customerId: String
        let slug: String
        let webDomain: String
        let cardDigits: String
        let mandate: String
    }

    private mutating func writeCustomer(_ index: Int) throws {
        let simulated = world.simulateCustomer(index)
        let random = FixtureRandom(FixtureRandom.derive(world.seed, UInt64(index), 2))
        ids = IdentifierFactory(clock: FixedClock(Timestamp(secondsSinceEpoch: simulated.createdAt)), random: random.source)
        let names = world.names
        let city = random.pick(names.cities)
        let country = city.country

        // A company name not used before (a city or a number tells two apart).
        let forms = legalForms(country)
        var base = ""
        var name = ""
        for attempt in 0..<6 {
            switch random.weighted([60, 25, 15]) {
            case 0: base = "\(random.pick(names.companyWords)) \(random.pick(names.companyWords))"
            case 1: base = "\(random.pick(names.lastNames)) \(random.pick(names.companyWords))"
            default: base = "\(random.pick(names.lastNames)) & \(random.pick(names.lastNames))"
            }
            if attempt == 4 { base += " \(city.city)" }
            if attempt == 5 { base += " \(index + 1)" }
            name = base + (forms.isEmpty ? "" : " " + random.pick(forms))
            if companyNames.insert(name).inserted { break }
        }
        let slug = FixtureText.slug(base)
        let tld = emailTLD(country) ?? random.pick(genericTLDs)
        let webDomain = slug + "." + tld
        let contactFirst = random.pick(names.firstNames)
        let contactLast = random.pick(names.lastNames)
        let contactLocal = FixtureText.localPart(contactFirst) + "." + FixtureText.localPart(contactLast)
        let email = random.chance(600) ? ["info", "office", "billing", "accounts"][random.below(4)] + "@" + webDomain
                                       : contactLocal + "@" + webDomain
        let taxId = random.chance(60) ? "" : country + FixtureText.digits(random.below(1_000_000_000), width: FixtureText.vatDigits(country: country))
        let customerId = ids.make("cus")
        try row(.customer, [
            ("id", customerId), ("name", name), ("status", simulated.status.rawValue), ("contact_name", "\(contactFirst) \(contactLast)"),
            ("email", email), ("phone", phone(country: country, random)),
            ("address", "\(random.pick(names.streets)) \(random.between(1, 180))"), ("city", city.city), ("postal_code", city.postcode),
            ("country", country), ("tax_id", taxId), ("created_at", stamp(simulated.createdAt)),
            ("closed_at", simulated.status == .closed ? stamp(simulated.statusAt) : nil), ("version", 0),
        ])

        // Logins of the customer's own staff: the contact first, as admin.
        let lastActive = min(simulated.statusAt, world.now) - 60
        var userTimes: [Int64] = []
        for number in 0..<simulated.userCount {
            userTimes.append(number == 0 ? simulated.createdAt + random.between(300, 3_600)
                                         : random.between(simulated.createdAt + 3_600, lastActive))
        }
        userTimes.sort()
        var usernames: [String] = []
        for (number, at) in userTimes.enumerated() {
            let first = number == 0 ? contactFirst : random.pick(names.firstNames)
            let last = number == 0 ? contactLast : random.pick(names.lastNames)
            var username = FixtureText.localPart(first) + "." + FixtureText.localPart(last)
            if usernames.contains(username) { username += String(number + 1) }
            usernames.append(username)
            let role: CustomerUser.Role = number == 0 ? .admin : random.chance(300) ? .billing : .user
            try row(.customer_user, [
                ("id", ids.make("cu")), ("customer_id", customerId), ("username", username),
                ("name", "\(first) \(last)"), ("email", "\(username)@\(webDomain)"), ("role", role.rawValue),
                ("created_at", stamp(min(at, world.now))), ("version", 0),
            ])
        }

        let identity = Identity(customerId: customerId, slug: slug, webDomain: webDomain,
                                cardDigits: FixtureText.digits(random.below(10_000), width: 4),
                                mandate: "MNDT-\(FixtureText.digits(random.below(100_000_000), width: 8))")
        for subscription in simulated.subscriptions {
            try writeSubscription(subscription, identity: identity, random: random)
        }
        for order in simulated.extraOrders {
            let plan = world.plans[order.plan]
            var domain = ""
            var common = ""
            switch plan.kind {
            case .domain: domain = uniqueDomain(identity.slug, tld: planTLD[order.plan])
            case .ssl: common = commonName(order.plan, identity: identity, random: random)
            case .subscription, .license: break
            }
            try writeOrder(order, subscriptionId: nil, identity: identity, domain: domain, common: common, random: random)
        }
    }

    private mutating func legalForms(_ country: String) -> [String] {
        if let known = legalForms[country] { return known }
        let preferred = FixtureText.legalForms(country: country).filter { world.names.companySuffixes.contains($0) }
        let forms = preferred.isEmpty ? world.names.companySuffixes : preferred
        legalForms[country] = forms
        return forms
    }

    private mutating func emailTLD(_ country: String) -> String? {
        if let known = emailTLDs[country] { return known }
        let own = FixtureText.countryTLD(country: country).flatMap { world.names.emailDomainTLDs.contains($0) ? $0 : nil }
        emailTLDs[country] = own
        return own
    }

    private mutating func uniqueDomain(_ slug: String, tld: String) -> String {
        var name = slug + "." + tld
        var number = 2
        while !domainNames.insert(name).inserted {
            name = "\(slug)-\(number).\(tld)"
            number += 1
        }
        return name
    }

    private func commonName(_ plan: Int, identity: Identity, random: FixtureRandom) -> String {
        planWildcard[plan] ? "*." + identity.webDomain : ["www", "shop", "portal", "mail", "app"][random.weighted([50, 20, 10, 10, 10])] + "." + identity.webDomain
    }

    // MARK: Subscriptions, orders, invoices

    private mutating func writeSubscription(_ subscription: SimSubscription, identity: Identity, random: FixtureRandom) throws {
        let plan = world.plans[subscription.plan]
        let subscriptionId = ids.make("sub")
        var domain = ""
        var common = ""
        switch plan.kind {
        case .domain: domain = uniqueDomain(identity.slug, tld: planTLD[subscription.plan])
        case .ssl: common = commonName(subscription.plan, identity: identity, random: random)
        case .subscription, .license: break
        }
        var invoiceIds: [String?] = []
        for (number, event) in subscription.events.enumerated() {
            let orderId = try writeOrder(event.order, subscriptionId: subscriptionId, identity: identity, domain: domain, common: common,
                                         random: random)
            if number == 0 {
                try writeSubscriptionRow(subscription, id: subscriptionId, orderId: orderId, identity: identity, domain: domain,
                                         common: common, random: random)
            }
            var invoiceId: String?
            if let invoice = event.invoice {
                invoiceId = try writeInvoice(invoice, order: event.order, orderId: orderId, subscriptionId: subscriptionId,
                                             identity: identity, domain: domain, common: common, random: random)
            }
            invoiceIds.append(invoiceId)
            if let credit = event.credit, let creditedId = invoiceIds[credit.invoiceEvent] {
                try writeCredit(credit, invoiceId: creditedId, plan: plan, identity: identity, random: random)
            }
        }
    }

    private mutating func writeSubscriptionRow(_ subscription: SimSubscription, id: String, orderId: String, identity: Identity,
                                               domain: String, common: String, random: FixtureRandom) throws {
        let plan = world.plans[subscription.plan]
        try row(.subscription, [
            ("id", id), ("customer_id", identity.customerId), ("plan_id", plan.id), ("order_id", orderId),
            ("quantity", subscription.quantity), ("status", subscription.status.rawValue),
            ("period_start", subscription.periodStart.description), ("period_end", subscription.periodEnd.description),
            ("auto_renew", subscription.autoRenew), ("cancel_at_period_end", subscription.cancelAtPeriodEnd),
            ("unit_price", subscription.unitPrice), ("unit_cost", subscription.unitCost), ("currency", currency),
            ("created_at", stamp(subscription.createdAt)), ("version", 0),
        ])
        let running = subscription.status == .active || subscription.status == .suspended
        switch plan.kind {
        case .domain:
            let status: Domain.Status = running ? .active : subscription.status == .expired ? .expired : .cancelled
            try row(.domain, [
                ("id", ids.make("dom")), ("customer_id", identity.customerId), ("subscription_id", id),
                ("name", domain), ("origin", subscription.transfer ? "transfer" : "registration"), ("status", status.rawValue),
                ("registered_on", world.day(subscription.createdAt).description), ("expires_on", subscription.periodEnd.description),
                ("auto_renew", subscription.autoRenew), ("version", 0),
            ])
        case .ssl:
            let status: SSLCertificate.Status = running ? .issued : subscription.cancelledNow ? .revoked : .expired
            try row(.ssl_certificate, [
                ("id", ids.make("ssl")), ("customer_id", identity.customerId), ("subscription_id", id),
                ("common_name", common), ("validation", (plan.sslValidation ?? .dv).rawValue), ("status", status.rawValue),
                ("issued_on", subscription.periodStart.description), ("expires_on", subscription.periodEnd.description), ("version", 0),
            ])
        case .license:
            let status: License.Status = running ? .active : subscription.status == .expired ? .expired : .cancelled
            try row(.license, [
                ("id", ids.make("lic")), ("customer_id", identity.customerId), ("subscription_id", id),
                ("product", plan.name), ("license_key", licenseKey(random)), ("seats", subscription.quantity), ("status", status.rawValue),
                ("expires_on", subscription.periodEnd.description), ("version", 0),
            ])
        case .subscription:
            break
        }
    }

    private func licenseKey(_ random: FixtureRandom) -> String {
        let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(29)
        var bits = random.next()
        var left = 12
        for group in 0..<5 {
            if group > 0 { bytes.append(UInt8(ascii: "-")) }
            for _ in 0..<5 {
                if left == 0 { bits = random.next(); left = 12 }
                bytes.append(alphabet[Int(bits & 31)])
                bits >>= 5
                left -= 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @discardableResult
    private mutating func writeOrder(_ order: SimOrder, subscriptionId: String?, identity: Identity, domain: String, common: String,
                                     random: FixtureRandom) throws -> String {
        let number = DocumentNumber.format(prefix: "ORD", Int64(numbering.orders[orderIndex]))
        orderIndex += 1
        let orderId = ids.make("ord")
        let plan = world.plans[order.plan]
        try row(.orders, [
            ("id", orderId), ("number", number), ("customer_id", identity.customerId), ("subscription_id", subscriptionId),
            ("type", order.type.rawValue), ("status", order.status.rawValue), ("cancel_mode", order.cancelMode?.rawValue),
            ("placed_at", stamp(order.placedAt)), ("total", order.amount), ("currency", currency), ("status_reason", order.reason),
            ("vendor_answer", nil as String?), ("vendor_answered_at", nil as String?), ("version", 0),
        ])
        let named: Bool
        switch order.text {
        case .sales, .transfer, .renewal: named = true
        default: named = false
        }
        try row(.order_line, [
            ("id", ids.make("oln")), ("order_id", orderId), ("plan_id", plan.id),
            ("description", lineDescription(order.text, plan: plan, quantity: order.quantity, domain: domain, common: common,
                                            periodEnd: order.periodEnd)),
            ("quantity", order.quantity), ("unit_price", order.unitPrice), ("unit_cost", order.unitCost), ("amount", order.amount),
            ("domain_name", named ? domain : ""), ("common_name", named ? common : ""), ("version", 0),
        ])
        return orderId
    }

    private func lineDescription(_ text: FixtureLineText, plan: Plan, quantity: Int, domain: String, common: String,
                                 periodEnd: BusinessDate) -> String {
        switch text {
        case .sales:
            switch plan.kind {
            case .domain: return "Registration of \(domain), \(Plural.count(quantity, "year"))"
            case .ssl: return "\(plan.name) for \(common)"
            case .subscription, .license: return plan.name
            }
        case .transfer: return "Transfer of \(domain), \(Plural.count(quantity, "year"))"
        case .renewal:
            switch plan.kind {
            case .domain: return "Renewal of \(domain), \(Plural.count(quantity, "year"))"
            case .ssl: return "Renewal of \(plan.name) for \(common)"
            case .subscription, .license: return "Renewal of \(plan.name)"
            }
        case let .change(from, to): return "\(plan.name): \(from) → \(Plural.count(to, "seat"))"
        case let .proratedChange(delta): return "\(plan.name): \(delta) more \(delta == 1 ? "seat" : "seats"), prorated"
        case .cancelNow: return "Cancel \(plan.name) now (credit for the rest of the period)"
        case .cancelAtPeriodEnd: return "Cancel \(plan.name) at period end \(periodEnd)"
        }
    }

    private mutating func writeInvoice(_ invoice: SimInvoice, order: SimOrder, orderId: String, subscriptionId: String, identity: Identity,
                                       domain: String, common: String, random: FixtureRandom) throws -> String {
        let number = DocumentNumber.format(prefix: "INV", Int64(numbering.invoices[invoiceIndex]))
        invoiceIndex += 1
        let invoiceId = ids.make("inv")
        let issued = world.day(invoice.issuedAt)
        try row(.invoice, [
            ("id", invoiceId), ("number", number), ("customer_id", identity.customerId), ("order_id", orderId), ("status", "issued"),
            ("issue_date", issued.description), ("due_date", issued.adding(days: world.paymentTermsDays).description),
            ("currency", currency), ("subtotal", invoice.amount), ("tax", invoice.tax), ("total", invoice.total),
            ("void_reason", ""), ("voided_at", nil as String?), ("version", 0),
        ])
        let plan = world.plans[order.plan]
        let description = lineDescription(invoice.text, plan: plan, quantity: invoice.quantity, domain: domain, common: common,
                                          periodEnd: invoice.periodEnd)
        try row(.invoice_line, [
            ("id", ids.make("inl")), ("invoice_id", invoiceId), ("subscription_id", subscriptionId),
            ("description", "\(description), \(invoice.periodStart) to \(invoice.periodEnd)"), ("quantity", invoice.quantity),
            ("unit_price", invoice.unitPrice), ("amount", invoice.amount), ("period_start", invoice.periodStart.description),
            ("period_end", invoice.periodEnd.description), ("version", 0),
        ])
        for payment in invoice.payments {
            let reference: String
            switch payment.method {
            case .bankTransfer: reference = number
            case .card: reference = "card ending \(identity.cardDigits)"
            case .directDebit: reference = "SEPA direct debit \(identity.mandate)"
            case .check: reference = "cheque \(FixtureText.digits(random.below(1_000_000), width: 6))"
            case .cash, .other: reference = ""
            }
            try row(.payment, [
                ("id", ids.make("pay")), ("customer_id", identity.customerId), ("invoice_id", invoiceId),
                ("method", payment.method.rawValue), ("reference", reference), ("amount", payment.amount), ("currency", currency),
                ("received_on", payment.day.description), ("status", payment.status.rawValue), ("recorded_at", stamp(payment.recordedAt)),
                ("version", 0),
            ])
        }
        return invoiceId
    }

    private mutating func writeCredit(_ credit: SimCredit, invoiceId: String, plan: Plan, identity: Identity,
                                      random: FixtureRandom) throws {
        let number = DocumentNumber.format(prefix: "CRN", Int64(numbering.credits[creditIndex]))
        creditIndex += 1
        let creditId = ids.make("crn")
        try row(.credit_note, [
            ("id", creditId), ("number", number), ("invoice_id", invoiceId), ("customer_id", identity.customerId),
            ("reason", credit.customerClosed ? "Customer account closed; the unused period is credited"
                                             : "Subscription cancelled before the end of its period"),
            ("issue_date", world.day(credit.issuedAt).description), ("currency", currency), ("subtotal", credit.subtotal),
            ("tax", credit.tax), ("total", credit.total), ("version", 0),
        ])
        try row(.credit_note_line, [
            ("id", ids.make("cnl")), ("credit_note_id", creditId),
            ("description", "Unused period of \(plan.name), \(credit.from) to \(credit.periodEnd)"), ("quantity", 1),
            ("unit_price", credit.subtotal), ("amount", credit.subtotal), ("version", 0),
        ])
    }
}
