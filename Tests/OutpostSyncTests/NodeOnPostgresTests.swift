import Foundation
import OutpostFixtures
import OutpostModel
import OutpostStore
import OutpostTestSupport
import Testing
@testable import OutpostSync
import OutpostTestThreads

/// The node's code on PostgreSQL (issue 16, "the same mutation code on both"): the same pushes through
/// the same `NodeExchange` on a SQLite node and on a PostgreSQL node, and the same pulls back.
@Suite("Node on PostgreSQL", .ownThreads, .enabled(if: PostgresCluster.unavailableReason == nil, "\(PostgresCluster.unavailableReason ?? "")"),
       .timeLimit(.minutes(20)))
struct NodeOnPostgresTests {
    static let replica = "rep_01JDA4M5X2Q8R7T6Y5W4V3S2P1"

    /// A node of each store with the built-in catalog, reseller `acme` and a token for its user anna.
    final class TestNodes {
        let directory: TemporaryDirectory
        let clock = SteppingClock(Timestamp("2026-03-02T09:00:00Z")!)
        let sqlite: Node
        let postgres: Node
        let database: String

        init() throws {
            directory = try TemporaryDirectory("pgnode")
            sqlite = try Node.create(at: directory.url.appendingPathComponent("sqlite"), clock: clock)
            let cluster = try #require(PostgresCluster.shared)
            // A database of its own per test: the node's schemas have fixed names. The name is ours (hex).
            database = "node_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            let admin = try PostgresDatabase(PostgresConnectionString(cluster.connectionString()))
            try admin.executeScript("CREATE DATABASE \(database)")
            postgres = try Node.create(at: directory.url.appendingPathComponent("postgres"),
                                       store: PostgresConnectionString(cluster.connectionString(database: database)), clock: clock)
            for node in [sqlite, postgres] {
                try node.upsertPlans(try Catalog.plans())
                try node.addReseller(id: "acme", name: "Acme Cloud", currency: "EUR")
            }
        }
    }

    /// The mutations a laptop queued: customers made and edited, a markup set, an order, and one the
    /// node refuses (an update of a customer that does not exist), with the ids the same on both runs.
    static func pushRequest(clock: any Clock) throws -> PushRequest {
        let ids = IdentifierFactory(clock: clock, random: RandomSource(seed: 16))
        let contoso = ids.make("cus"), fabrikam = ids.make("cus")
        var rename = UpdateCustomer(id: contoso, baseVersion: 0)
        rename.name = "Contoso GmbH"
        rename.phone = "+49 30 1234567"
        var ghost = UpdateCustomer(id: ids.make("cus"), baseVersion: 0)
        ghost.name = "Nobody"
        let plan = try #require(try Catalog.plans().first(where: { $0.kind == .subscription }))
        let mutations: [any Mutation] = [
            CreateCustomer(id: contoso, name: "Contoso"),
            CreateCustomer(id: fabrikam, name: "Fabrikam"),
            rename,
            SetMarkup(planId: nil, markupBp: 3000, baseVersion: 0),
            PlaceOrder(id: ids.make("ord"), lineId: ids.make("oln"), customerId: contoso, planId: plan.id, quantity: 5),
            ghost,
        ]
        let pushed = try mutations.enumerated().map { index, mutation in
            PushedMutation(seq: Int64(index + 1), name: type(of: mutation).name, version: type(of: mutation).version,
                           args: try JSONValue(parsing: MutationCatalogue.encode(mutation)), createdAt: clock.now())
        }
        return PushRequest(replica: replica, mutations: pushed)
    }

    /// One exchange through `NodeExchange`, as every transport makes it; requires 200.
    static func exchange(_ node: Node, _ operation: String, _ body: JSONValue, token: String) throws -> JSONValue {
        let outcome = NodeExchange(node: node).handle(operation: operation, body: Array(body.serialized.utf8), token: token, source: "test")
        try #require(outcome.status == 200, "\(operation) answered \(outcome.status): \(String(decoding: outcome.body, as: UTF8.self))")
        return try JSONParser.parse(outcome.body)
    }

    /// What a pull shows, without the node's login events (their ids are random on each node).
    static func comparable(_ response: PullResponse) -> [String] {
        response.changes.filter { $0.table != "login_event" }.map { change in
            "\(change.version) \(change.table) \(change.id) \(change.operation) " + (change.row.map { JSONValue.object($0).serialized } ?? "-")
        }
    }

    @Test("the node's schema is created on PostgreSQL in a schema per reseller, with the rows SQLite's steps seed")
    func theSchemaIsCreatedPerReseller() throws {
        let nodes = try TestNodes()
        let sqlite = try nodes.sqlite.tenant("acme").db, postgres = try nodes.postgres.tenant("acme").db
        #expect(postgres.dialect == .postgresql)
        #expect(try postgres.scalar("SELECT current_schema()")?.string == "reseller_acme")
        let tables = try sqlite.rows("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            .map { try $0.string("name") }
        let created = try postgres.rows("SELECT table_name FROM information_schema.tables WHERE table_schema = 'reseller_acme' AND table_name <> 'schema_version' ORDER BY table_name")
            .map { try $0.string("table_name") }
        #expect(created == (tables + ["reseller_counter"]).sorted(), "every table of the SQLite tenant, and the counter")
        #expect(tables.contains("change_log"))
        for table in tables {
            let columns = try sqlite.rows("SELECT name FROM pragma_table_info(?) ORDER BY name", [table]).map { try $0.string("name") }
            let onPostgres = try postgres.rows("SELECT column_name FROM information_schema.columns WHERE table_schema = 'reseller_acme' AND table_name = ? ORDER BY column_name", [table])
                .map { try $0.string("column_name") }
            #expect(onPostgres == columns, "columns of \(table)")
        }
        // The seeded rows, and the catalog and settings the reseller was added with, hash alike on both.
        #expect(try RowDigest.computeAll(in: postgres) == RowDigest.computeAll(in: sqlite))
        #expect(try postgres.scalar("SELECT version FROM schema_version")?.int64 == Int64(Schema.migrator.latestVersion))
        // Money is 64-bit on PostgreSQL too (its INTEGER is 32-bit).
        #expect(try postgres.scalar("SELECT data_type FROM information_schema.columns WHERE table_schema = 'reseller_acme' AND table_name = 'plan' AND column_name = 'cost'")?.string == "bigint")
    }

    @Test("a push applied through NodeExchange on PostgreSQL pulls back as on SQLite, its versions from the reseller's counter")
    func aPushPullsBackAsOnSQLite() throws {
        let nodes = try TestNodes()
        var pulls: [[String]] = []
        var verdicts: [[String]] = []
        for node in [nodes.sqlite, nodes.postgres] {
            let token = try node.issueToken(resellerId: "acme", username: "anna").token
            let pushed = try PushResponse(json: try Self.exchange(node, "push", try Self.pushRequest(clock: nodes.clock).json, token: token))
            verdicts.append(pushed.verdicts.map { "\($0.seq) \($0.status.rawValue) \($0.code ?? "")" })
            // A replay of the same push is answered with the same verdicts and changes nothing.
            let replayed = try PushResponse(json: try Self.exchange(node, "push", try Self.pushRequest(clock: nodes.clock).json, token: token))
            #expect(replayed.verdicts == pushed.verdicts)
            let pulled = try PullResponse(json: try Self.exchange(node, "pull", PullRequest(replica: Self.replica, cursor: 0).json, token: token))
            #expect(!pulled.more)
            pulls.append(Self.comparable(pulled))
            let tenant = try node.tenant("acme")
            // The log's versions are the counter's: gap-free, and its head is where the counter stands.
            let versions = try tenant.db.rows("SELECT version FROM change_log ORDER BY version").map { try $0.int64("version") }
            #expect(versions == Array(1...Int64(versions.count)))
            if tenant.db.dialect == .postgresql {
                #expect(try ResellerCounter.current(for: "acme", in: tenant.db) == ChangeLog.head(in: tenant.db))
            }
            #expect(pulled.cursor == (try ChangeLog.head(in: tenant.db)))
            // The digests the pull ends with are those of the rows it holds.
            #expect(try pulled.digests == RowDigest.computeAll(in: tenant.db))
        }
        #expect(verdicts[0] == ["1 applied ", "2 applied ", "3 applied ", "4 applied ", "5 applied ", "6 refused not_found"])
        #expect(verdicts[1] == verdicts[0])
        #expect(pulls[1] == pulls[0])
        #expect(pulls[0].contains { $0.contains(" customer ") && $0.contains("Contoso GmbH") })
        #expect(pulls[0].contains { $0.contains(" orders ") })
    }

    @Test("a refused id is recorded once on both stores: ON CONFLICT DO NOTHING where SQLite said INSERT OR IGNORE")
    func aRefusedIdIsRecordedOnce() throws {
        let nodes = try TestNodes()
        for node in [nodes.sqlite, nodes.postgres] {
            let tenant = try node.tenant("acme")
            let clock = nodes.clock
            let missing = "cus_01JDA4M5X2Q8R7T6Y5W4V3S2P9"
            var update = UpdateCustomer(id: missing, baseVersion: 0)
            update.name = "Nobody"
            let args = try JSONValue(parsing: MutationCatalogue.encode(update))
            let first = PushedMutation(seq: 1, name: UpdateCustomer.name, version: UpdateCustomer.version, args: args, createdAt: clock.now())
            let second = PushedMutation(seq: 2, name: UpdateCustomer.name, version: UpdateCustomer.version, args: args, createdAt: clock.now())
            let response = try tenant.push(PushRequest(replica: Self.replica, mutations: [first, second]))
            #expect(response.verdicts.map(\.status) == [.refused, .refused])
            #expect(try tenant.db.scalar("SELECT count(*) FROM refused_id WHERE entity_id = ?", [missing])?.int64 == 1)
            #expect(try tenant.db.scalar("SELECT count(*) FROM verdict")?.int64 == 2)
        }
    }

    /// What the back office made, without its random ids: orders, subscriptions and invoices by their numbers and plans.
    static func backOfficeFacts(_ db: any SQLDatabase) throws -> [String] {
        let orders = try db.rows("SELECT number, status, total FROM orders ORDER BY number").map { row in
            "order \(try row.optionalString("number") ?? "-") \(try row.string("status")) \(try row.int64("total"))"
        }
        let subscriptions = try db.rows("SELECT plan_id, status, quantity, period_start, period_end FROM subscription ORDER BY plan_id").map { row in
            "subscription \(try row.string("plan_id")) \(try row.string("status")) \(try row.int64("quantity")) \(try row.optionalString("period_start") ?? "-")–\(try row.optionalString("period_end") ?? "-")"
        }
        let invoices = try db.rows("SELECT number, status, subtotal, total FROM invoice ORDER BY number").map { row in
            "invoice \(try row.optionalString("number") ?? "-") \(try row.string("status")) \(try row.int64("subtotal")) \(try row.int64("total"))"
        }
        return orders + subscriptions + invoices
    }

    @Test("provisioning and a billing run, the node's business rules, do on PostgreSQL what they do on SQLite")
    func theBackOfficeRunsOnBoth() throws {
        let nodes = try TestNodes()
        var facts: [[String]] = []
        for node in [nodes.sqlite, nodes.postgres] {
            nodes.clock.set(Timestamp("2026-03-02T09:00:00Z")!)
            let tenant = try node.tenant("acme")
            let response = try tenant.push(try Self.pushRequest(clock: nodes.clock), user: "anna")
            #expect(response.verdicts.filter { $0.status == .applied }.count == 5)
            let provisioned = try ProvisioningQueue(tenant: tenant, clock: nodes.clock).run(with: BuiltInProvisioner())
            #expect(provisioned.count == 1)
            nodes.clock.set(Timestamp("2026-04-01T09:00:00Z")!)
            let billed = try BillingRun(tenant: tenant, clock: nodes.clock).run(through: try #require(BusinessDate("2026-04-30")))
            #expect(!billed.isEmpty, "the subscription renews in April")
            facts.append(try Self.backOfficeFacts(tenant.db))
            let versions = try tenant.db.rows("SELECT version FROM change_log ORDER BY version").map { try $0.int64("version") }
            #expect(versions == Array(1...Int64(versions.count)))
            #expect(try RowDigest.storedAll(in: tenant.db) == RowDigest.computeAll(in: tenant.db), "kept digests follow every write")
        }
        #expect(facts[0].contains { $0.hasPrefix("invoice INV-000002 issued") }, "the order's invoice and the renewal's: \(facts[0])")
        #expect(facts[1] == facts[0])
    }

    /// Pushes of one replica: for each round a new customer, then an order for it in a request of its own
    /// (so the order's number is read before anything in its transaction has written).
    static func orderPushes(replica: String, seed: UInt64, rounds: Int, clock: any Clock) throws -> [PushRequest] {
        let ids = IdentifierFactory(clock: clock, random: RandomSource(seed: seed))
        let plan = try #require(try Catalog.plans().first(where: { $0.kind == .subscription }))
        var mutations: [any Mutation] = []
        for round in 0..<rounds {
            let customer = ids.make("cus")
            mutations.append(CreateCustomer(id: customer, name: "Customer \(seed)-\(round)"))
            mutations.append(PlaceOrder(id: ids.make("ord"), lineId: ids.make("oln"), customerId: customer, planId: plan.id, quantity: 1))
        }
        return try mutations.enumerated().map { index, mutation in
            PushRequest(replica: replica, mutations: [
                PushedMutation(seq: Int64(index + 1), name: type(of: mutation).name, version: type(of: mutation).version,
                               args: try JSONValue(parsing: MutationCatalogue.encode(mutation)), createdAt: clock.now()),
            ])
        }
    }

    @Test("two node processes' connections pushing for one reseller at once: versions and order numbers gap-free, each push applied once")
    func twoWritersTakeTurns() async throws {
        let nodes = try TestNodes()
        let cluster = try #require(PostgresCluster.shared)
        let store = try PostgresConnectionString(cluster.connectionString(database: nodes.database))
        let rounds = 30
        let replicas = ["rep_01JDA4M5X2Q8R7T6Y5W4V3S2PA", "rep_01JDA4M5X2Q8R7T6Y5W4V3S2PB"]
        var work: [(Node, [PushRequest])] = []
        for (index, replica) in replicas.enumerated() {
            // A node object of its own per writer: its own connections, as a second `node serve` process has.
            let node = try Node.open(nodes.directory.url.appendingPathComponent("postgres"), store: store, clock: nodes.clock)
            _ = try node.tenant("acme")
            work.append((node, try Self.orderPushes(replica: replica, seed: UInt64(100 + index), rounds: rounds, clock: nodes.clock)))
        }
        // Each writer on a thread of its own (their waits on the counter row block), awaited without holding the pool.
        let failures: [String] = await withTaskGroup(of: [String].self) { group in
            for (node, pushes) in work {
                nonisolated(unsafe) let node = node
                group.addTask {
                    await withCheckedContinuation { continuation in
                        Thread.detachNewThread {
                            var failures: [String] = []
                            do {
                                let tenant = try node.tenant("acme")
                                for push in pushes {
                                    let response = try tenant.push(push)
                                    failures += response.verdicts.filter { $0.status != .applied }.map { "\($0.seq): \($0.message ?? "")" }
                                }
                            } catch {
                                failures.append("\(error)")
                            }
                            continuation.resume(returning: failures)
                        }
                    }
                }
            }
            var all: [String] = []
            for await result in group { all += result }
            return all
        }
        #expect(failures.isEmpty)
        let db = try nodes.postgres.tenant("acme").db
        let versions = try db.rows("SELECT version FROM change_log ORDER BY version").map { try $0.int64("version") }
        #expect(versions == Array(1...Int64(versions.count)), "gap-free versions")
        #expect(try ResellerCounter.current(for: "acme", in: db) == versions.last)
        let numbers = try db.rows("SELECT number FROM orders WHERE number IS NOT NULL ORDER BY number").map { try $0.string("number") }
        #expect(numbers == (1...(rounds * replicas.count)).map { DocumentNumber.format(prefix: "ORD", Int64($0)) })
        #expect(try db.scalar("SELECT count(*) FROM verdict WHERE status = 'applied'")?.int64 == Int64(rounds * replicas.count * 2))
    }
}
