import Foundation
import Testing
import OutpostCLI
import OutpostModel
import OutpostSystem
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
import OutpostTestThreads
#endif

// End-to-end tests: the built `outpost` binary, run as separate processes with
// real pipes, each test in its own temporary replica directory.

// MARK: - a) A scripted session on a fresh replica

@Suite("outpost end to end: scripted session", .ownThreads, .timeLimit(.minutes(20)))
struct ScriptedSessionTests {
    /// The plan list as JSON, keyed by plan id.
    static func plans(_ sandbox: Sandbox, sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String: Any]] {
        try sandbox.array(["plan", "list"], sourceLocation: sourceLocation)
    }

    static func plan(_ entry: [String: Any]) -> [String: Any] { object(entry["plan"]) ?? [:] }

    @Test("init loads the service-plan catalog of fixtures/catalog.json and queues the wizard's answers")
    func initLoadsCatalog() throws {
        let sandbox = try Sandbox("init")
        defer { sandbox.remove() }
        let created = sandbox.run(["init", "--company-name", "Acme Cloud", "--markup", "30", "--json"])
        try #require(created.status == 0, "\(created)")
        let receipt = try #require(try created.json() as? [String: Any])
        #expect(string(receipt["replica"]) == sandbox.replica)
        #expect(string(receipt["replica_id"])?.hasPrefix("rep_") == true)
        #expect(int(receipt["default_markup_bp"]) == 3000)
        #expect(FileManager.default.fileExists(atPath: sandbox.replica + "/replica.sqlite"))

        let catalogURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("fixtures/catalog.json")
        let catalog = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: catalogURL)) as? [String: Any])
        let expected = try #require(objects(catalog["plans"]))
        let plans = try Self.plans(sandbox)
        #expect(int(receipt["plans"]) == Int64(expected.count))
        #expect(plans.count == 48, "plan list is empty or incomplete: the catalog is not loaded by init")
        #expect(plans.count == expected.count)
        var byId: [String: [String: Any]] = [:]
        for entry in plans { byId[string(Self.plan(entry)["id"]) ?? ""] = Self.plan(entry) }
        for source in expected {
            let id = string(source["id"]) ?? "?"
            let loaded = try #require(byId[id], "plan \(id) from fixtures/catalog.json is missing")
            #expect(int(loaded["cost"]) == int(source["cost"]), "cost of \(id)")
            #expect(string(loaded["name"]) == string(source["name"]))
            #expect(string(loaded["kind"]) == string(source["kind"]))
            #expect(string(loaded["currency"]) == "EUR")
            #expect((loaded["available"] as? Bool) == (source["available"] as? Bool), "availability of \(id)")
        }

        let queue = try sandbox.array(["queue", "list"])
        #expect(queue.map { string($0["mutation"]) ?? "" } == ["settings.update", "price.set_markup"])
        #expect(queue.map { int($0["seq"]) ?? 0 } == [1, 2])
        #expect(string(object(queue.first?["args"])?["company_name"]) == "Acme Cloud")
        #expect(int(object(queue.last?["args"])?["markup_bp"]) == 3000)
        #expect(isNull(object(queue.last?["args"])?["plan_id"]) || object(queue.last?["args"])?["plan_id"] == nil)
        #expect(queue.allSatisfy { string($0["created_at"]) == OutpostProcess.now })
    }

    @Test("the full scripted session: customers, users, prices, an order, the queue, discard, settings")
    func scriptedSession() throws {
        let sandbox = try Sandbox("session")
        defer { sandbox.remove() }
        try sandbox.initialize()
        let plans = try Self.plans(sandbox)
        try #require(!plans.isEmpty, "plan list is empty: the catalog is not loaded yet")

        // customer add → receipt with seq and id
        let added = try sandbox.object(["customer", "add", "--name", "Müller Bau GmbH", "--email", "info@mueller-bau.de", "--country", "de"])
        let customerId = try #require(string(added["id"]))
        #expect(customerId.hasPrefix("cus_"))
        #expect(int(added["queued"]) == 3)
        #expect(string(added["mutation"]) == "customer.create")

        // customer edit → only the phone changes
        let edited = try sandbox.object(["customer", "edit", customerId, "--phone", "+49 30 1234567"])
        #expect(int(edited["queued"]) == 4)
        #expect(string(edited["mutation"]) == "customer.update")
        #expect(string(edited["id"]) == customerId)
        let detail = try sandbox.object(["customer", "show", customerId])
        let customer = try #require(object(detail["customer"]))
        #expect(string(customer["id"]) == customerId)
        #expect(string(customer["name"]) == "Müller Bau GmbH")
        #expect(string(customer["email"]) == "info@mueller-bau.de")
        #expect(string(customer["country"]) == "DE")
        #expect(string(customer["phone"]) == "+49 30 1234567")
        #expect(string(customer["status"]) == "active")
        #expect(int(detail["balance"]) == 0)
        #expect(string(detail["currency"]) == "EUR")

        // panel users: one admin, one default (viewer), then an edit
        let alice = try sandbox.object(["user", "add", "--username", "alice", "--name", "Alice Admin", "--email", "alice@acme.example", "--role", "admin"])
        let aliceId = try #require(string(alice["id"]))
        #expect(aliceId.hasPrefix("usr_"))
        let bob = try sandbox.object(["user", "add", "--username", "bob", "--name", "Bob Viewer", "--email", "bob@acme.example"])
        let bobId = try #require(string(bob["id"]))
        try sandbox.ok(["user", "edit", "bob", "--role", "manager", "--name", "Bob Manager"])
        let users = try sandbox.array(["user", "list"]).compactMap { object($0["user"]) }
        #expect(users.count == 2)
        let aliceRow = try #require(users.first { string($0["id"]) == aliceId })
        #expect(string(aliceRow["username"]) == "alice")
        #expect(string(aliceRow["role"]) == "admin")
        #expect(string(aliceRow["email"]) == "alice@acme.example")
        let bobRow = try #require(users.first { string($0["id"]) == bobId })
        #expect(string(bobRow["role"]) == "manager")
        #expect(string(bobRow["name"]) == "Bob Manager")
        #expect(string(bobRow["email"]) == "bob@acme.example")

        // a customer's login
        let login = try sandbox.object(["customer-user", "add", "--customer", customerId, "--username", "jdoe", "--name", "Jane Doe",
                                        "--email", "jane@mueller-bau.de", "--role", "admin"])
        let loginId = try #require(string(login["id"]))
        #expect(loginId.hasPrefix("cu_"))
        let logins = try sandbox.array(["customer-user", "list", "--customer", customerId])
        #expect(logins.count == 1)
        #expect(string(logins.first?["id"]) == loginId)
        #expect(string(logins.first?["customer_id"]) == customerId)
        #expect(string(logins.first?["username"]) == "jdoe")
        #expect(string(logins.first?["role"]) == "admin")

        // a 40 % rule on one plan whose price is exact, so its margin is 2857 bp
        let ruled = try #require(plans.map(Self.plan).first {
            string($0["kind"]) == "subscription" && ($0["available"] as? Bool) == true && (int($0["cost"]) ?? 1) % 5 == 0
        })
        let planId = try #require(string(ruled["id"]))
        let cost = try #require(int(ruled["cost"]))
        let price = try sandbox.object(["price", "set", "--markup", "40", "--plan", planId])
        #expect(string(price["mutation"]) == "price.set_markup")
        #expect(string(price["id"]) == "prc_" + planId)
        let unitPrice = expectedPrice(cost: cost, markupBp: 4000)

        // order place → queued, no number, total = quantity × unit price
        let placed = try sandbox.object(["order", "place", "--customer", customerId, "--plan", planId, "--quantity", "3"])
        let orderId = try #require(string(placed["id"]))
        #expect(orderId.hasPrefix("ord_"))
        #expect(string(placed["mutation"]) == "order.place")
        let orderSeq = try #require(int(placed["queued"]))
        #expect(orderSeq == 10)
        let orders = try sandbox.array(["order", "list"])
        #expect(orders.count == 1)
        let listed = try #require(orders.first)
        #expect(string(listed["id"]) == orderId)
        #expect(string(listed["status"]) == "queued")
        #expect(isNull(listed["number"]) || listed["number"] == nil, "a replica order has no number until the node assigns one")
        #expect(int(listed["total"]) == 3 * unitPrice)
        #expect(string(listed["customer_id"]) == customerId)
        #expect(string(listed["type"]) == "sales")
        #expect(string(listed["currency"]) == "EUR")
        #expect(string(listed["placed_at"]) == OutpostProcess.now)

        let shown = try sandbox.object(["order", "show", orderId])
        #expect(string(object(shown["order"])?["id"]) == orderId)
        #expect(int(object(shown["order"])?["total"]) == 3 * unitPrice)
        let lines = try #require(objects(shown["lines"]))
        #expect(lines.count == 1)
        let line = try #require(lines.first)
        #expect(string(line["order_id"]) == orderId)
        #expect(string(line["plan_id"]) == planId)
        #expect(int(line["quantity"]) == 3)
        #expect(int(line["unit_cost"]) == cost)
        #expect(int(line["unit_price"]) == unitPrice)
        #expect(int(line["amount"]) == 3 * unitPrice)
        #expect(string(line["description"]) == string(ruled["name"]))

        // queue list: every mutation, in order, with its arguments
        let queue = try sandbox.array(["queue", "list"])
        #expect(queue.map { string($0["mutation"]) ?? "" } == [
            "settings.update", "price.set_markup", "customer.create", "customer.update", "user.create", "user.create",
            "user.update", "customer_user.create", "price.set_markup", "order.place",
        ])
        #expect(queue.map { int($0["seq"]) ?? 0 } == Array(1...10))
        #expect(queue.allSatisfy { int($0["mutation_version"]) == 1 && $0["changes"] == nil })
        let args = queue.map { object($0["args"]) ?? [:] }
        #expect(string(args[2]["id"]) == customerId)
        #expect(string(args[2]["name"]) == "Müller Bau GmbH")
        #expect(string(args[2]["email"]) == "info@mueller-bau.de")
        #expect(string(args[2]["country"]) == "DE", "the queued customer.create carries the country as given ('de'), not the normalized code the replica stored ('DE')")
        #expect(Set(args[3].keys) == ["id", "base_version", "phone"], "customer.update must carry only the changed field")
        #expect(string(args[3]["id"]) == customerId)
        #expect(int(args[3]["base_version"]) == 0)
        #expect(string(args[3]["phone"]) == "+49 30 1234567")
        #expect(string(args[4]["username"]) == "alice")
        #expect(string(args[4]["role"]) == "admin")
        #expect(string(args[4]["id"]) == aliceId)
        #expect(string(args[5]["username"]) == "bob")
        #expect(string(args[5]["role"]) == "viewer")
        #expect(string(args[6]["id"]) == bobId)
        #expect(string(args[6]["role"]) == "manager")
        #expect(string(args[6]["name"]) == "Bob Manager")
        #expect(args[6]["email"] == nil)
        #expect(string(args[7]["customer_id"]) == customerId)
        #expect(string(args[7]["username"]) == "jdoe")
        #expect(string(args[7]["id"]) == loginId)
        #expect(string(args[8]["plan_id"]) == planId)
        #expect(int(args[8]["markup_bp"]) == 4000)
        #expect(string(args[9]["id"]) == orderId)
        #expect(string(args[9]["customer_id"]) == customerId)
        #expect(string(args[9]["plan_id"]) == planId)
        #expect(int(args[9]["quantity"]) == 3)
        #expect((args[9]["transfer"] as? Bool) == false)

        // queue show: the arguments and the rows it wrote
        let entry = try sandbox.object(["queue", "show", "10"])
        #expect(int(entry["seq"]) == 10)
        #expect(string(entry["mutation"]) == "order.place")
        #expect(string(object(entry["args"])?["id"]) == orderId)
        let changes = try #require(objects(entry["changes"]))
        #expect(Set(changes.map { string($0["table"]) ?? "" }) == ["orders", "order_line"])
        let orderRow = try #require(changes.first { string($0["table"]) == "orders" })
        #expect(string(orderRow["id"]) == orderId)
        #expect(orderRow["before"] == nil || isNull(orderRow["before"]), "an insert has no before image")
        #expect(string(object(orderRow["after"])?["status"]) == "queued")
        #expect(int(object(orderRow["after"])?["total"]) == 3 * unitPrice)
        let lineRow = try #require(changes.first { string($0["table"]) == "order_line" })
        #expect(int(object(lineRow["after"])?["quantity"]) == 3)
        #expect(int(object(lineRow["after"])?["unit_price"]) == unitPrice)
        // "#10" is accepted too, as queue list prints it.
        #expect(sandbox.run(["queue", "show", "#10", "--json"]).stdout == sandbox.run(["queue", "show", "10", "--json"]).stdout)

        // queue discard of the last entry removes it and its effect
        let discarded = try sandbox.object(["queue", "discard", "10"])
        #expect(int(discarded["discarded"]) == 10)
        #expect(string(discarded["mutation"]) == "order.place")
        #expect(try sandbox.array(["order", "list"]).isEmpty)
        let after = try sandbox.array(["queue", "list"])
        #expect(after.count == 9)
        #expect(string(after.last?["mutation"]) == "price.set_markup")
        let gone = sandbox.run(["order", "show", orderId])
        #expect(gone.status == 65)
        #expect(gone.stderr.contains("no order matches"))
        #expect(sandbox.run(["queue", "show", "10"]).status == 65)

        // settings; a discarded seq is never reused
        let settingsReceipt = try sandbox.object(["settings", "set", "--tax-rate", "19", "--payment-terms", "14"])
        #expect(int(settingsReceipt["queued"]) == 11, "seq 10 was discarded; the next mutation must get a new seq")
        #expect(string(settingsReceipt["mutation"]) == "settings.update")
        let settings = try sandbox.object(["settings", "show"])
        #expect(int(settings["tax_rate_bp"]) == 1900)
        #expect(int(settings["payment_terms_days"]) == 14)
        #expect(string(settings["company_name"]) == "Acme Cloud")
        #expect(string(settings["currency"]) == "EUR")
        #expect(int(settings["default_markup_bp"]) == 3000)
        let settingsArgs = try #require(object(try sandbox.array(["queue", "list"]).last?["args"]))
        #expect(int(settingsArgs["tax_rate_bp"]) == 1900)
        #expect(int(settingsArgs["payment_terms_days"]) == 14)
        #expect(settingsArgs["company_name"] == nil)

        // suspend and activate
        try sandbox.ok(["customer", "suspend", customerId])
        #expect(string(object(try sandbox.object(["customer", "show", customerId])["customer"])?["status"]) == "suspended")
        let before = try sandbox.snapshot()
        let refused = sandbox.run(["order", "place", "--customer", customerId, "--plan", planId])
        #expect(refused.status == 65)
        #expect(refused.stderr.contains("suspended"))
        #expect(try sandbox.snapshot() == before, "a refused order must write nothing")
        try sandbox.ok(["customer", "activate", customerId])
        #expect(string(object(try sandbox.object(["customer", "show", customerId])["customer"])?["status"]) == "active")
        let again = sandbox.run(["customer", "activate", customerId])
        #expect(again.status == 65)
        #expect(again.stderr.contains("already active"))
        #expect(try sandbox.array(["queue", "list"]).suffix(2).map { string($0["mutation"]) ?? "" } == ["customer.suspend", "customer.activate"])
    }

    @Test("plan list: markup, price and margin per plan, from the default and from a plan's own rule")
    func planPrices() throws {
        let sandbox = try Sandbox("prices")
        defer { sandbox.remove() }
        try sandbox.initialize()
        let initial = try Self.plans(sandbox)
        try #require(!initial.isEmpty, "plan list is empty: the catalog is not loaded yet")
        let ruled = try #require(initial.map(Self.plan).first { (int($0["cost"]) ?? 1) % 5 == 0 && string($0["kind"]) == "subscription" })
        let ruledId = try #require(string(ruled["id"]))
        try sandbox.ok(["price", "set", "--markup", "40", "--plan", ruledId])

        let plans = try Self.plans(sandbox)
        #expect(plans.count == initial.count)
        for entry in plans {
            let plan = Self.plan(entry)
            let id = string(plan["id"]) ?? "?"
            let cost = try #require(int(plan["cost"]))
            let markup: Int64 = id == ruledId ? 4000 : 3000
            let price = expectedPrice(cost: cost, markupBp: markup)
            #expect(int(entry["markup_bp"]) == markup, "markup of \(id)")
            #expect((entry["own_rule"] as? Bool) == (id == ruledId), "own_rule of \(id)")
            #expect(int(entry["price"]) == price, "price of \(id) at cost \(cost)")
            #expect(int(entry["margin_bp"]) == expectedMargin(price: price, cost: cost), "margin of \(id)")
        }
        let ruledEntry = try #require(plans.first { string(Self.plan($0)["id"]) == ruledId })
        #expect(int(ruledEntry["margin_bp"]) == 2857, "a 40 % markup is a 28.57 % margin")
        let exact = try #require(plans.first {
            string(Self.plan($0)["id"]) != ruledId && (int(Self.plan($0)["cost"]) ?? 1) % 10 == 0
        })
        #expect(int(exact["markup_bp"]) == 3000)
        #expect(int(exact["margin_bp"]) == 2308, "a 30 % markup is a 23.08 % margin")

        // plan show agrees with plan list
        let shown = try sandbox.object(["plan", "show", ruledId])
        #expect(int(shown["price"]) == int(ruledEntry["price"]))
        #expect(int(shown["margin_bp"]) == 2857)
        // the default changes every plan without its own rule, and only those
        try sandbox.ok(["price", "set", "--markup", "25"])
        for entry in try Self.plans(sandbox) {
            let plan = Self.plan(entry)
            let expected: Int64 = string(plan["id"]) == ruledId ? 4000 : 2500
            #expect(int(entry["markup_bp"]) == expected)
            #expect(int(entry["price"]) == expectedPrice(cost: int(plan["cost"]) ?? 0, markupBp: expected))
        }
        #expect(int(try sandbox.object(["settings", "show"])["default_markup_bp"]) == 2500)
    }

    @Test("names with quotes, markup, emoji and right-to-left script are stored and returned exactly",
          arguments: [
            #"O'Brien & "Sons" Ltd."#,
            "<script>alert(1)</script>",
            "👩‍💻 Café",
            "شركة الاختبار",
            "Cafe\u{301} decomposed",
            "Zürich — 50% off; $(rm -rf /) `id` \\ back",
          ])
    func exoticNames(name: String) throws {
        let sandbox = try Sandbox("names")
        defer { sandbox.remove() }
        try sandbox.initialize()
        let added = sandbox.run(["customer", "add", "--name", name, "--city", name, "--json"])
        try #require(added.status == 0, "\(added)")
        let receipt = try #require(try added.json() as? [String: Any])
        let id = try #require(string(receipt["id"]))
        let customer = try #require(object(try sandbox.object(["customer", "show", id])["customer"]))
        let stored = try #require(string(customer["name"]))
        #expect(Array(stored.unicodeScalars) == Array(name.unicodeScalars), "stored \(stored.debugDescription), gave \(name.debugDescription)")
        #expect(Array((string(customer["city"]) ?? "").unicodeScalars) == Array(name.unicodeScalars))
        let listed = try sandbox.array(["customer", "list"])
        #expect(listed.map { Array((string($0["name"]) ?? "").unicodeScalars) } == [Array(name.unicodeScalars)])
        let queued = try #require(object(try sandbox.array(["queue", "list"]).last?["args"]))
        #expect(Array((string(queued["name"]) ?? "").unicodeScalars) == Array(name.unicodeScalars))
        // the text output shows it unchanged as well
        #expect(try sandbox.ok(["customer", "show", id]).stdout.contains(name))
    }

    @Test("OUTPOST_REPLICA names the replica when --replica is not given; without either it is a usage error")
    func replicaFromEnvironment() throws {
        let sandbox = try Sandbox("env")
        defer { sandbox.remove() }
        try sandbox.initialize()
        let viaEnv = sandbox.bare(["customer", "add", "--name", "Env GmbH", "--json"], env: ["OUTPOST_REPLICA": sandbox.replica])
        try #require(viaEnv.status == 0, "\(viaEnv)")
        #expect(try sandbox.array(["customer", "list"]).map { string($0["name"]) } == ["Env GmbH"])
        let neither = sandbox.bare(["customer", "list"])
        #expect(neither.status == 64)
        #expect(neither.stderr.contains("no replica given"))
        #expect(neither.stdout.isEmpty)
    }

    @Test("text output of a write names the queued seq and mutation")
    func textReceipt() throws {
        let sandbox = try Sandbox("text")
        defer { sandbox.remove() }
        try sandbox.initialize()
        let outcome = try sandbox.ok(["customer", "add", "--name", "Text AG"])
        #expect(outcome.stdout.hasPrefix("Added customer Text AG (cus_"))
        #expect(outcome.stdout.contains("(queued as #3 customer.create)"))
        #expect(outcome.stderr.isEmpty)
    }
}

@Suite("outpost end to end: queue and business rules", .ownThreads, .timeLimit(.minutes(20)))
struct QueueRuleTests {
    @Test("discarding a change that later ones depend on is refused; an independent middle entry can go")
    func discardDependencies() throws {
        let sandbox = try Sandbox("discard")
        defer { sandbox.remove() }
        try sandbox.initialize()
        let customer = try #require(string(try sandbox.object(["customer", "add", "--name", "First GmbH"])["id"])) // seq 3
        try sandbox.ok(["user", "add", "--username", "carol", "--name", "Carol", "--email", "carol@acme.example"])   // seq 4
        try sandbox.ok(["customer", "edit", customer, "--city", "Berlin"])                                            // seq 5

        let before = try sandbox.snapshot()
        let refused = sandbox.run(["queue", "discard", "3"])
        #expect(refused.status == 65, "\(refused)")
        #expect(refused.stderr.contains("#5"), "the message names the dependent mutation: \(refused.stderr)")
        #expect(refused.stderr.contains("customer.update"))
        #expect(try sandbox.snapshot() == before, "a refused discard changes nothing")

        try sandbox.ok(["queue", "discard", "#4"])
        let queue = try sandbox.array(["queue", "list"])
        #expect(queue.map { int($0["seq"]) ?? 0 } == [1, 2, 3, 5])
        #expect(try sandbox.array(["user", "list"]).isEmpty)
        let shown = try #require(object(try sandbox.object(["customer", "show", customer])["customer"]))
        #expect(string(shown["city"]) == "Berlin", "later changes are re-applied after a discard")
    }

    @Test("the last admin stays admin and cannot be deleted")
    func lastAdmin() throws {
        let sandbox = try Sandbox("admin")
        defer { sandbox.remove() }
        try sandbox.initialize()
        try sandbox.ok(["user", "add", "--username", "alice", "--name", "Alice", "--email", "alice@acme.example", "--role", "admin"])
        let before = try sandbox.snapshot()
        let demote = sandbox.run(["user", "edit", "alice", "--role", "viewer"])
        #expect(demote.status == 65)
        #expect(demote.stderr.contains("last admin"))
        let delete = sandbox.run(["user", "delete", "alice"])
        #expect(delete.status == 65)
        #expect(delete.stderr.contains("last admin"))
        #expect(try sandbox.snapshot() == before)
        let duplicate = sandbox.run(["user", "add", "--username", "alice", "--name", "Other", "--email", "o@acme.example"])
        #expect(duplicate.status == 65)
        #expect(duplicate.stderr.contains("alice"))
        #expect(try sandbox.snapshot() == before)
    }
}

// MARK: - b) Payments, seat changes and cancellations on a generated data set

@Suite("outpost end to end: billing and subscriptions on generated fixtures", .ownThreads, .timeLimit(.minutes(20)))
struct FixtureTests {
    /// A replica made by the real fixture generator.
    static func generated(_ label: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Sandbox {
        let sandbox = try Sandbox(label)
        let outcome = sandbox.bare(["fixtures", "generate", "--seed", "7", "--customers", "30", "--into", sandbox.replica],
                                   sourceLocation: sourceLocation)
        if outcome.status != 0 { sandbox.remove() }
        try #require(outcome.status == 0, "fixtures generate failed: \(outcome)", sourceLocation: sourceLocation)
        return sandbox
    }

    /// An unpaid invoice with at least 0.02 outstanding.
    static func unpaidInvoice(_ sandbox: Sandbox) throws -> (id: String, outstanding: Int64, paid: Int64, total: Int64) {
        let invoices = try sandbox.array(["invoice", "list", "--unpaid"])
        try #require(!invoices.isEmpty, "the generated data set has no unpaid invoice")
        #expect(invoices.allSatisfy { (int(object($0["balance"])?["outstanding"]) ?? 0) > 0 }, "--unpaid lists only invoices with something outstanding")
        let pick = try #require(invoices.first {
            string(object($0["balance"])?["state"]) == "unpaid" && (int(object($0["balance"])?["outstanding"]) ?? 0) >= 2
                && string(object($0["invoice"])?["currency"]) == "EUR"
        }, "no unpaid EUR invoice with an outstanding amount")
        let invoice = try #require(object(pick["invoice"]))
        let balance = try #require(object(pick["balance"]))
        return (try #require(string(invoice["id"])), try #require(int(balance["outstanding"])), try #require(int(balance["paid"])),
                try #require(int(invoice["total"])))
    }

    @Test("a part payment makes an invoice partially_paid, the rest makes it paid; more than outstanding is refused")
    func payments() throws {
        let sandbox = try Self.generated("payments")
        defer { sandbox.remove() }
        let invoice = try Self.unpaidInvoice(sandbox)
        let part = invoice.outstanding / 2
        let rest = invoice.outstanding - part

        let receipt = try sandbox.object(["payment", "record", "--invoice", invoice.id, "--amount", decimal(part), "--reference", "BANK-1"])
        let paymentId = try #require(string(receipt["id"]))
        #expect(paymentId.hasPrefix("pay_"))
        #expect(string(receipt["mutation"]) == "payment.record")
        let queued = try #require(object(try sandbox.array(["queue", "list"]).last))
        #expect(int(queued["seq"]) == int(receipt["queued"]))
        #expect(string(queued["mutation"]) == "payment.record")
        #expect(string(object(queued["args"])?["invoice_id"]) == invoice.id)
        #expect(int(object(queued["args"])?["amount"]) == part)
        #expect(string(object(queued["args"])?["method"]) == "bank_transfer")

        let partly = try sandbox.object(["invoice", "show", invoice.id])
        let balance = try #require(object(partly["balance"]))
        #expect(string(balance["state"]) == "partially_paid")
        #expect(int(balance["paid"]) == invoice.paid + part)
        #expect(int(balance["outstanding"]) == rest)
        let payment = try #require(objects(partly["payments"])?.first { string($0["id"]) == paymentId })
        #expect(int(payment["amount"]) == part)
        #expect(string(payment["method"]) == "bank_transfer")
        #expect(string(payment["reference"]) == "BANK-1")
        #expect(string(payment["received_on"]) == "2026-01-31")
        #expect(string(payment["invoice_id"]) == invoice.id)

        // more than outstanding: refused, nothing queued
        let before = try sandbox.snapshot(["payment", "list"], ["invoice", "list"])
        let over = sandbox.run(["payment", "record", "--invoice", invoice.id, "--amount", decimal(rest + 1)])
        #expect(over.status == 65, "\(over)")
        #expect(over.stderr.contains("more than"))
        #expect(over.stderr.contains("outstanding"))
        #expect(try sandbox.snapshot(["payment", "list"], ["invoice", "list"]) == before)

        // the rest: paid
        try sandbox.ok(["payment", "record", "--invoice", invoice.id, "--amount", decimal(rest), "--method", "card"])
        let paid = try #require(object(try sandbox.object(["invoice", "show", invoice.id])["balance"]))
        #expect(string(paid["state"]) == "paid")
        #expect(int(paid["outstanding"]) == 0)
        #expect(int(paid["paid"]) == invoice.paid + invoice.outstanding)
        #expect(try !sandbox.array(["invoice", "list", "--unpaid"]).contains { string(object($0["invoice"])?["id"]) == invoice.id })
        let payments = try sandbox.array(["payment", "list", "--invoice", invoice.id])
        #expect(payments.contains { string($0["id"]) == paymentId && int($0["amount"]) == part })
        #expect(payments.contains { string($0["method"]) == "card" && int($0["amount"]) == rest })

        // and once paid, nothing more is accepted
        let snapshot = try sandbox.snapshot(["payment", "list"])
        let extra = sandbox.run(["payment", "record", "--invoice", invoice.id, "--amount", "0.01"])
        #expect(extra.status == 65)
        #expect(extra.stderr.contains("already paid"))
        #expect(try sandbox.snapshot(["payment", "list"]) == snapshot)
    }

    @Test("malformed amounts are refused with 65 and nothing is written")
    func badAmounts() throws {
        let sandbox = try Self.generated("amounts")
        defer { sandbox.remove() }
        let invoice = try Self.unpaidInvoice(sandbox)
        let before = try sandbox.snapshot(["payment", "list"], ["invoice", "list"])
        let cases = [("12.345", "more than 2 decimals"), ("-1", "negative"), ("abc", "not an amount"), ("0", "greater than zero"),
                     ("1e3", "not an amount"), ("1,50", "not an amount"), ("", "required"), ("99999999999999999999", "too large")]
        for (amount, message) in cases {
            let outcome = sandbox.run(["payment", "record", "--invoice", invoice.id, "--amount", amount])
            #expect(outcome.status == 65, "--amount '\(amount)': \(outcome)")
            #expect(outcome.stderr.contains(message), "--amount '\(amount)': \(outcome)")
            #expect(outcome.stdout.isEmpty)
        }
        #expect(try sandbox.snapshot(["payment", "list"], ["invoice", "list"]) == before, "refused payments must write nothing")
    }

    /// Active subscriptions whose seats can change (subscription and license plans) of active customers.
    static func changeable(_ sandbox: Sandbox) throws -> [[String: Any]] {
        var kinds: [String: String] = [:]
        for entry in try sandbox.array(["plan", "list"]) {
            if let plan = object(entry["plan"]), let id = string(plan["id"]) { kinds[id] = string(plan["kind"]) }
        }
        let active = Set(try sandbox.array(["customer", "list", "--status", "active"]).compactMap { string($0["id"]) })
        let openCancellations = Set(try sandbox.array(["order", "list"]).filter {
            string($0["type"]) == "cancellation" && ["queued", "submitted", "provisioning"].contains(string($0["status"]) ?? "")
        }.compactMap { string($0["subscription_id"]) })
        let subscriptions = try sandbox.array(["subscription", "list", "--status", "active"]).compactMap { object($0["subscription"]) }
        #expect(subscriptions.allSatisfy { string($0["status"]) == "active" })
        return subscriptions.filter {
            ["subscription", "license"].contains(kinds[string($0["plan_id"]) ?? ""] ?? "")
                && active.contains(string($0["customer_id"]) ?? "")
                && !openCancellations.contains(string($0["id"]) ?? "")
                && ($0["cancel_at_period_end"] as? Bool) != true
                && (int($0["quantity"]) ?? 0) + 2 <= 100_000
        }
    }

    @Test("order change adds seats at the subscription's unit price")
    func changeSeats() throws {
        let sandbox = try Self.generated("change")
        defer { sandbox.remove() }
        let subscription = try #require(try Self.changeable(sandbox).first, "no active subscription with seats in the generated data")
        let id = try #require(string(subscription["id"]))
        let quantity = try #require(int(subscription["quantity"]))
        let unitPrice = try #require(int(subscription["unit_price"]))

        let receipt = try sandbox.object(["order", "change", id, "--quantity", String(quantity + 2)])
        let orderId = try #require(string(receipt["id"]))
        #expect(string(receipt["mutation"]) == "order.change")
        let queued = try #require(try sandbox.array(["queue", "list"]).last)
        #expect(string(queued["mutation"]) == "order.change")
        let args = try #require(object(queued["args"]))
        #expect(string(args["subscription_id"]) == id)
        #expect(int(args["quantity"]) == quantity + 2)
        #expect(int(args["base_version"]) == int(subscription["version"]))
        #expect(string(args["id"]) == orderId)

        let shown = try sandbox.object(["order", "show", orderId])
        let order = try #require(object(shown["order"]))
        #expect(string(order["type"]) == "change")
        #expect(string(order["status"]) == "queued")
        #expect(string(order["subscription_id"]) == id)
        #expect(string(order["customer_id"]) == string(subscription["customer_id"]))
        #expect(int(order["total"]) == 2 * unitPrice)
        let line = try #require(objects(shown["lines"])?.first)
        #expect(int(line["quantity"]) == 2)
        #expect(int(line["unit_price"]) == unitPrice)
        #expect(int(line["unit_cost"]) == int(subscription["unit_cost"]))
        #expect(int(line["amount"]) == 2 * unitPrice)
        #expect(string(line["plan_id"]) == string(subscription["plan_id"]))

        // the same seat count is not a change
        let before = try sandbox.snapshot(["subscription", "list"])
        let same = sandbox.run(["order", "change", id, "--quantity", String(quantity)])
        #expect(same.status == 65)
        #expect(same.stderr.contains("already has"))
        let zero = sandbox.run(["order", "change", id, "--quantity", "0"])
        #expect(zero.status == 65)
        #expect(zero.stderr.contains("quantity"))
        #expect(try sandbox.snapshot(["subscription", "list"]) == before)
    }

    @Test("order cancel at period end is queued once; a second cancellation is refused")
    func cancelAtPeriodEnd() throws {
        let sandbox = try Self.generated("cancel")
        defer { sandbox.remove() }
        let subscription = try #require(try Self.changeable(sandbox).first, "no active subscription in the generated data")
        let id = try #require(string(subscription["id"]))
        let quantity = try #require(int(subscription["quantity"]))

        let receipt = try sandbox.object(["order", "cancel", id, "--at-period-end"])
        let orderId = try #require(string(receipt["id"]))
        #expect(string(receipt["mutation"]) == "order.cancel")
        let args = try #require(object(try sandbox.array(["queue", "list"]).last?["args"]))
        #expect(string(args["subscription_id"]) == id)
        #expect(string(args["when"]) == "period_end")
        let shown = try sandbox.object(["order", "show", orderId])
        let order = try #require(object(shown["order"]))
        #expect(string(order["type"]) == "cancellation")
        #expect(string(order["cancel_mode"]) == "period_end")
        #expect(string(order["status"]) == "queued")
        #expect(int(order["total"]) == 0, "a cancellation at period end credits nothing")
        let line = try #require(objects(shown["lines"])?.first)
        #expect(int(line["quantity"]) == -quantity)
        #expect(int(line["amount"]) == 0)

        let before = try sandbox.snapshot(["subscription", "list"])
        for mode in [["--at-period-end"], []] {
            let second = sandbox.run(["order", "cancel", id] + mode)
            #expect(second.status == 65, "\(second)")
            #expect(second.stderr.contains("cancellation"), "\(second)")
        }
        #expect(try sandbox.snapshot(["subscription", "list"]) == before)
        // nor can its seats change any more
        let change = sandbox.run(["order", "change", id, "--quantity", String(quantity + 1)])
        #expect(change.status == 65)
        #expect(try sandbox.snapshot(["subscription", "list"]) == before)
    }
}

// MARK: - c) Bad input: the right exit code, a message naming the problem, nothing written

/// A command line that must be refused. `{customer}` and `{plan}` are replaced by a real customer and plan.
struct BadInput: Sendable, CustomTestStringConvertible {
    let label: String
    let args: [String]
    /// Acceptable exit codes (one, except where either usage or data error is sensible).
    let statuses: Set<Int32>
    /// Substrings the message on stderr must contain.
    let message: [String]

    init(_ label: String, _ args: [String], _ status: Int32, _ message: String...) {
        self.init(label, args, statuses: [status], message)
    }

    init(_ label: String, _ args: [String], statuses: Set<Int32>, _ message: [String]) {
        self.label = label
        self.args = args
        self.statuses = statuses
        self.message = message
    }

    var testDescription: String { label }

    static let tenKilobytes = String(repeating: "x", count: 10 * 1024)

    static let all: [BadInput] = [
        BadInput("unknown customer", ["order", "place", "--customer", "cus_01NOSUCHCUSTOMER00000000000", "--plan", "{plan}"], 65,
                 "no customer matches 'cus_01NOSUCHCUSTOMER00000000000' (--customer)"),
        BadInput("unknown plan", ["order", "place", "--customer", "{customer}", "--plan", "pln_no-such-plan"], 65,
                 "no plan matches 'pln_no-such-plan' (--plan)"),
        BadInput("quantity 0", ["order", "place", "--customer", "{customer}", "--plan", "{plan}", "--quantity", "0"], 65,
                 "quantity", "got 0"),
        BadInput("quantity -3", ["order", "place", "--customer", "{customer}", "--plan", "{plan}", "--quantity", "-3"],
                 statuses: [64, 65], ["quantity"]),
        BadInput("quantity 1e9", ["order", "place", "--customer", "{customer}", "--plan", "{plan}", "--quantity", "1e9"], 65,
                 "--quantity '1e9' is not a whole number"),
        BadInput("quantity 1000000000", ["order", "place", "--customer", "{customer}", "--plan", "{plan}", "--quantity", "1000000000"], 65,
                 "quantity must be between 1 and 100000"),
        BadInput("quantity beyond Int", ["order", "place", "--customer", "{customer}", "--plan", "{plan}", "--quantity", "99999999999999999999999"], 65,
                 "quantity"),
        BadInput("unavailable plan", ["order", "place", "--customer", "{customer}", "--plan", "pln_skype-business-online-p2-m"], 65,
                 "no longer available"),
        BadInput("domain plan without a domain", ["order", "place", "--customer", "{customer}", "--plan", "pln_domain-com"], 64,
                 "is a domain plan: give the domain with --domain NAME"),
        BadInput("SSL plan without a host", ["order", "place", "--customer", "{customer}", "--plan", "sectigo-ov"], 64,
                 "is an SSL plan: give the certificate's host with --common-name HOST"),
        BadInput("empty name", ["customer", "add", "--name", ""], 65, "name must not be empty"),
        BadInput("blank name", ["customer", "add", "--name", "   "], 65, "name must not be empty"),
        BadInput("10 kB name", ["customer", "add", "--name", tenKilobytes], 65, "name is too long"),
        BadInput("name with a line break", ["customer", "add", "--name", "two\nlines"], 65, "control characters"),
        BadInput("invalid e-mail", ["customer", "add", "--name", "Acme", "--email", "not-an-email"], 65, "email", "not a valid e-mail address"),
        BadInput("invalid e-mail on edit", ["customer", "edit", "{customer}", "--email", "a@b"], 65, "email"),
        BadInput("invalid country", ["customer", "add", "--name", "Acme", "--country", "Germany"], 65, "country"),
        BadInput("unknown flag", ["customer", "add", "--nmae", "Acme"], 64, "did you mean --name?"),
        BadInput("flag with a value", ["customer", "list", "--json=1"], 64, "takes no value"),
        BadInput("missing required option", ["customer", "add"], 64, "--name"),
        BadInput("nothing to change", ["customer", "edit", "{customer}"], 64, "nothing to change"),
        BadInput("unknown customer to edit", ["customer", "edit", "cus_nope", "--phone", "1"], 65, "cus_nope"),
        BadInput("user with a bad username", ["user", "add", "--username", "Alice!", "--name", "A", "--email", "a@example.com"], 65, "username"),
        BadInput("user with an unknown role", ["user", "add", "--username", "al", "--name", "A", "--email", "a@example.com", "--role", "god"], 65, "role"),
        BadInput("markup above 1000 %", ["price", "set", "--markup", "1001"], 65, "markup"),
        BadInput("negative markup", ["price", "set", "--markup", "-5"], statuses: [64, 65], ["markup"]),
        BadInput("markup for an unknown plan", ["price", "set", "--markup", "10", "--plan", "pln_nope"], 65, "pln_nope"),
        BadInput("tax rate not a number", ["settings", "set", "--tax-rate", "abc"], 65, "--tax-rate"),
        BadInput("discard an unknown seq", ["queue", "discard", "99"], 65, "#99"),
        BadInput("queue show of a non-number", ["queue", "show", "abc"], 65, "not a queue position"),
        BadInput("unknown status filter", ["customer", "list", "--status", "happy"], 65, "--status", "active"),
    ]
}

@Suite("outpost end to end: bad input", .ownThreads, .timeLimit(.minutes(20)))
struct BadInputTests {
    @Test("refused with its exit code and message, writing nothing", arguments: BadInput.all)
    func refused(_ input: BadInput) throws {
        let sandbox = try Sandbox("bad")
        defer { sandbox.remove() }
        try sandbox.initialize()
        let customer = try #require(string(try sandbox.object(["customer", "add", "--name", "Existing GmbH"])["id"]))
        let plan = try #require(try sandbox.array(["plan", "list", "--available", "--kind", "subscription"]).first
            .flatMap { string(object($0["plan"])?["id"]) }, "plan list is empty: the catalog is not loaded yet")
        let args = input.args.map { $0.replacingOccurrences(of: "{customer}", with: customer).replacingOccurrences(of: "{plan}", with: plan) }
        let before = try sandbox.snapshot()

        let outcome = sandbox.run(args)
        #expect(input.statuses.contains(outcome.status), "expected exit \(input.statuses.sorted()): \(outcome)")
        for part in input.message {
            #expect(outcome.stderr.contains(part), "stderr does not mention '\(part)': \(outcome.stderr)")
        }
        #expect(outcome.stderr.hasPrefix("Error: "))
        #expect(outcome.stdout.isEmpty, "a refusal prints nothing on stdout")
        #expect(try sandbox.snapshot() == before, "a refused command must not write anything")
    }

    @Test("a replica directory that does not exist: 66, and nothing is created")
    func missingReplica() throws {
        let sandbox = try Sandbox("missing")
        defer { sandbox.remove() }
        let missing = sandbox.root.appendingPathComponent("nowhere").path
        for args in [["customer", "list"], ["customer", "add", "--name", "Acme"]] {
            let outcome = sandbox.bare(args + ["--replica", missing])
            #expect(outcome.status == 66, "\(outcome)")
            #expect(outcome.stderr.contains("no replica at \(missing)"))
            #expect(outcome.stderr.contains("outpost init"))
            #expect(!FileManager.default.fileExists(atPath: missing))
        }
        // a directory without the database is no replica either
        try FileManager.default.createDirectory(atPath: missing, withIntermediateDirectories: false)
        let empty = sandbox.bare(["customer", "list", "--replica", missing])
        #expect(empty.status == 66)
        #expect(try FileManager.default.contentsOfDirectory(atPath: missing).isEmpty)
        // init needs the parent to exist
        let deep = sandbox.root.appendingPathComponent("a/b/c").path
        let initDeep = sandbox.bare(["init", "--replica", deep])
        #expect(initDeep.status == 66, "\(initDeep)")
        #expect(!FileManager.default.fileExists(atPath: sandbox.root.appendingPathComponent("a").path))
    }

    @Test("a replica directory that is not writable: 73, nothing written",
          .enabled(if: getuid() != 0, "needs a non-root user: root bypasses file permissions"))
    func readOnlyReplica() throws {
        let sandbox = try Sandbox("readonly")
        defer { sandbox.remove() }
        try sandbox.initialize()
        let before = try sandbox.snapshot()
        let file = sandbox.replica + "/replica.sqlite"
        let contents = try Data(contentsOf: URL(fileURLWithPath: file))
        #expect(chmod(file, 0o444) == 0)
        #expect(chmod(sandbox.replica, 0o555) == 0)
        let outcome = sandbox.run(["customer", "add", "--name", "Acme"])
        #expect(outcome.status == 73, "\(outcome)")
        #expect(outcome.stderr.contains("not writable"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == contents)
        _ = chmod(sandbox.replica, 0o755)
        _ = chmod(file, 0o644)
        #expect(try sandbox.snapshot() == before)
    }

    @Test("a replica.sqlite that is not SQLite: 78, file untouched")
    func garbageDatabase() throws {
        let sandbox = try Sandbox("garbage")
        defer { sandbox.remove() }
        try FileManager.default.createDirectory(atPath: sandbox.replica, withIntermediateDirectories: false)
        let file = URL(fileURLWithPath: sandbox.replica + "/replica.sqlite")
        let garbage = Data(String(repeating: "this is not an sqlite database. ", count: 200).utf8)
        try garbage.write(to: file)
        for args in [["customer", "list"], ["customer", "add", "--name", "Acme"]] {
            let outcome = sandbox.run(args)
            #expect(outcome.status == 78, "\(outcome)")
            #expect(outcome.stderr.contains("not an SQLite database") || outcome.stderr.contains("not an Outpost replica"), "\(outcome)")
            #expect(try Data(contentsOf: file) == garbage, "the file must not be changed")
        }
        // init refuses to overwrite it
        let initAgain = sandbox.run(["init"])
        #expect(initAgain.status == 78)
        #expect(initAgain.stderr.contains("already exists"))
        #expect(try Data(contentsOf: file) == garbage)
    }

    @Test("an empty replica.sqlite is not a replica: 78, and the file stays empty")
    func emptyDatabase() throws {
        let sandbox = try Sandbox("emptydb")
        defer { sandbox.remove() }
        try FileManager.default.createDirectory(atPath: sandbox.replica, withIntermediateDirectories: false)
        let file = sandbox.replica + "/replica.sqlite"
        #expect(LocalFiles.create(file))
        let outcome = sandbox.run(["customer", "list"])
        #expect(outcome.status == 78, "\(outcome)")
        #expect(outcome.stderr.contains("not an Outpost replica"))
        let size = try FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber
        #expect(size?.intValue == 0, "a refused read must not migrate (write a schema into) a file that is not a replica")
    }

    @Test("init on an existing replica: 78, nothing changed")
    func initTwice() throws {
        let sandbox = try Sandbox("init-twice")
        defer { sandbox.remove() }
        try sandbox.initialize()
        let before = try sandbox.snapshot()
        let again = sandbox.run(["init", "--company-name", "Other", "--markup", "50"])
        #expect(again.status == 78)
        #expect(again.stderr.contains("already exists"))
        #expect(try sandbox.snapshot() == before)
        let badMarkup = sandbox.bare(["init", "--replica", sandbox.root.appendingPathComponent("other").path, "--markup", "abc"])
        #expect(badMarkup.status == 65)
        #expect(badMarkup.stderr.contains("--markup"))
        #expect(!FileManager.default.fileExists(atPath: sandbox.root.appendingPathComponent("other").path), "a refused init creates nothing")
        let badCurrency = sandbox.bare(["init", "--replica", sandbox.root.appendingPathComponent("other").path, "--currency", "XYZ"])
        #expect(badCurrency.status == 65)
        #expect(badCurrency.stderr.contains("XYZ"))
        #expect(!FileManager.default.fileExists(atPath: sandbox.root.appendingPathComponent("other").path))
    }

    @Test("OUTPOST_NOW that is not a time: 78, nothing written")
    func badClock() throws {
        let sandbox = try Sandbox("clock")
        defer { sandbox.remove() }
        try sandbox.initialize()
        let before = try sandbox.snapshot()
        for args in [["customer", "list"], ["customer", "add", "--name", "Acme"]] {
            let outcome = sandbox.run(args, env: ["OUTPOST_NOW": "garbage"])
            #expect(outcome.status == 78, "\(outcome)")
            #expect(outcome.stderr.contains("OUTPOST_NOW"))
            #expect(outcome.stderr.contains("garbage"))
            #expect(outcome.stdout.isEmpty)
        }
        #expect(try sandbox.snapshot() == before)
    }
}

// MARK: - d) Help

@Suite("outpost end to end: help", .ownThreads, .timeLimit(.minutes(20)))
struct HelpProcessTests {
    @Test("help exits 0 and lists every command")
    func help() throws {
        let outcome = OutpostProcess.run(["help"])
        #expect(outcome.status == 0)
        #expect(outcome.stderr.isEmpty)
        let lines = outcome.stdout.split(separator: "\n").map(String.init)
        for command in Outpost.commands {
            #expect(lines.contains { $0.hasPrefix("  \(command.name) ") && $0.hasSuffix(command.abstract) }, "help does not list '\(command.name)'")
        }
        #expect(outcome.stdout.contains("Exit codes"))
    }

    @Test("no arguments prints the same help")
    func noArguments() throws {
        let none = OutpostProcess.run([])
        #expect(none.status == 0)
        #expect(none.stdout == OutpostProcess.run(["help"]).stdout)
        #expect(none.stderr.isEmpty)
    }

    @Test("`outpost --help` prints the same help")
    func topLevelHelpFlag() throws {
        let flag = OutpostProcess.run(["--help"])
        #expect(flag.status == 0, "outpost --help must show help, not a usage error: \(flag.stderr)")
        #expect(flag.stdout == OutpostProcess.run(["help"]).stdout)
    }

    @Test("`help customer add` and `customer add --help` show the command's options")
    func commandHelp() throws {
        let viaHelp = OutpostProcess.run(["help", "customer", "add"])
        #expect(viaHelp.status == 0)
        #expect(viaHelp.stdout.hasPrefix("Usage: outpost customer add --name NAME"))
        #expect(viaHelp.stdout.contains("--name NAME"))
        #expect(viaHelp.stdout.contains("--email EMAIL"))
        #expect(viaHelp.stdout.contains("(required)"))
        let viaFlag = OutpostProcess.run(["customer", "add", "--help"])
        #expect(viaFlag.status == 0)
        #expect(viaFlag.stdout == viaHelp.stdout)
        #expect(viaFlag.stderr.isEmpty)
        // --help needs no replica and no required options
        #expect(OutpostProcess.run(["order", "place", "--help"]).stdout.contains("--quantity N"))
    }

    @Test("help for an unknown command is a usage error with a suggestion")
    func unknownCommand() throws {
        let outcome = OutpostProcess.run(["custmer", "list"])
        #expect(outcome.status == 64)
        #expect(outcome.stderr.contains("did you mean 'customer'?"))
        #expect(outcome.stderr.contains("See 'outpost help'."))
        #expect(outcome.stdout.isEmpty)
        let viaHelp = OutpostProcess.run(["help", "custmer"])
        #expect(viaHelp.status == 64)
        let flag = OutpostProcess.run(["customer", "add", "--nmae", "x"])
        #expect(flag.status == 64)
        #expect(flag.stderr.contains("did you mean --name?"))
        #expect(flag.stderr.contains("Usage: outpost customer add"))
        #expect(flag.stderr.contains("See 'outpost help customer add'."))
    }

    @Test("help --reference prints the Markdown reference; version prints the version")
    func referenceAndVersion() throws {
        let reference = OutpostProcess.run(["help", "--reference"])
        #expect(reference.status == 0)
        #expect(reference.stdout.hasPrefix("| command | what it does |"))
        #expect(reference.stdout.split(separator: "\n").count == Outpost.commands.count + 2)
        let version = OutpostProcess.run(["version"])
        #expect(version.status == 0)
        #expect(version.stdout == "outpost \(Outpost.version)\n")
    }
}
