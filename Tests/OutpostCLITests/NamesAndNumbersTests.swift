import Foundation
import Testing

// What people type and read: entities named by number, name or id prefix; lists that show
// customer names and invoice numbers instead of ids. Run against the real binary on a replica
// made by the fixture generator (customers with orders, invoices and payments).

@Suite("outpost end to end: names and numbers, not ids", .timeLimit(.minutes(20)))
struct NamesAndNumbersTests {
    static func generated(_ label: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Sandbox {
        try FixtureTests.generated(label, sourceLocation: sourceLocation)
    }

    /// Customer names by id, from `customer list --json`.
    static func customerNames(_ sandbox: Sandbox) throws -> [String: String] {
        var names: [String: String] = [:]
        for customer in try sandbox.array(["customer", "list"]) { names[string(customer["id"]) ?? ""] = string(customer["name"]) }
        return names
    }

    /// Data lines of a text table (the header dropped).
    static func rows(_ text: String) -> [String] { Array(text.split(separator: "\n").map(String.init).dropFirst()) }

    @Test("order, invoice, payment and subscription lists show customer names and invoice numbers; --json keeps ids and adds them")
    func listColumns() throws {
        let sandbox = try Self.generated("columns")
        defer { sandbox.remove() }
        let names = try Self.customerNames(sandbox)

        let orders = try sandbox.array(["order", "list"])
        try #require(!orders.isEmpty)
        #expect(orders.allSatisfy { string($0["customer_name"]) == names[string($0["customer_id"]) ?? ""] && string($0["id"])?.hasPrefix("ord_") == true })
        let orderLines = Self.rows(try sandbox.ok(["order", "list"]).stdout)
        #expect(orderLines.count == orders.count)
        for (line, order) in zip(orderLines, orders) {
            #expect(line.hasPrefix((string(order["number"]) ?? "pending") + "  "), "the number comes first: \(line)")
            #expect(line.contains(string(order["customer_name"]) ?? "?"), "the customer's name: \(line)")
            #expect(!line.contains(string(order["customer_id"]) ?? "?"), "not the customer's id: \(line)")
        }

        let invoices = try sandbox.array(["invoice", "list"])
        let numbers = Dictionary(uniqueKeysWithValues: invoices.map { (string(object($0["invoice"])?["id"]) ?? "", string(object($0["invoice"])?["number"]) ?? "") })
        #expect(invoices.allSatisfy { string($0["customer_name"]) == names[string(object($0["invoice"])?["customer_id"]) ?? ""] })
        for line in Self.rows(try sandbox.ok(["invoice", "list"]).stdout) {
            #expect(line.hasPrefix("INV-"), "the number comes first: \(line)")
            #expect(!line.contains("cus_"), "no customer id: \(line)")
        }

        let payments = try sandbox.array(["payment", "list"])
        try #require(!payments.isEmpty)
        for payment in payments {
            #expect(string(payment["invoice_number"]) == numbers[string(payment["invoice_id"]) ?? ""])
            #expect(string(payment["customer_name"]) == names[string(payment["customer_id"]) ?? ""])
        }
        for (line, payment) in zip(Self.rows(try sandbox.ok(["payment", "list"]).stdout), payments) {
            #expect(line.contains("  \(string(payment["invoice_number"]) ?? "?")  "), "the invoice's number: \(line)")
            #expect(!line.contains("inv_") && !line.contains("cus_"), "no invoice or customer id: \(line)")
        }

        let subscriptions = try sandbox.array(["subscription", "list"])
        #expect(subscriptions.allSatisfy { string($0["customer_name"]) == names[string(object($0["subscription"])?["customer_id"]) ?? ""] })
        #expect(Self.rows(try sandbox.ok(["subscription", "list"]).stdout).allSatisfy { !$0.contains("cus_") })
    }

    @Test("customer, user and service lists lead with names and end with the id; invoice show lists its payments")
    func namesLeadIdsFollow() throws {
        let sandbox = try Self.generated("names-lead")
        defer { sandbox.remove() }
        let customers = try sandbox.array(["customer", "list"])
        for (line, customer) in zip(Self.rows(try sandbox.ok(["customer", "list"]).stdout), customers) {
            #expect(line.hasPrefix(string(customer["name"]) ?? "?"), "the name comes first: \(line)")
            #expect(line.hasSuffix(string(customer["id"]) ?? "?"), "the id last: \(line)")
        }
        for command in [["domain", "list"], ["ssl", "list"], ["license", "list"], ["customer-user", "list"]] {
            for line in Self.rows(try sandbox.ok(command).stdout) {
                #expect(!line.contains("cus_"), "\(command.joined(separator: " ")) names the customer: \(line)")
            }
        }
        // An invoice with a payment shows the payment itself, not only the sum.
        let payment = try #require(try sandbox.array(["payment", "list"]).first)
        let shown = try sandbox.ok(["invoice", "show", try #require(string(payment["invoice_number"]))]).stdout
        let paymentId = try #require(string(payment["id"]))
        #expect(shown.contains("Payments:") && shown.contains(paymentId), "\(shown)")
    }

    @Test("orders and invoices are listed by number, pending orders last by date")
    func sortedByNumber() throws {
        let sandbox = try Self.generated("sorted")
        defer { sandbox.remove() }
        let customer = try #require(string(try sandbox.array(["customer", "list", "--status", "active"]).first?["id"]))
        try sandbox.ok(["order", "place", "--customer", customer, "--plan", "m365-business-basic-m"])
        let numbers = try sandbox.array(["order", "list"]).map { string($0["number"]) }
        let numbered = numbers.compactMap { $0 }
        #expect(numbered == numbered.sorted(), "numbered orders ascending")
        #expect(numbers.last == .some(nil), "the pending order comes last")
        #expect(numbers.firstIndex(where: { $0 == nil }) == numbered.count, "pending orders after every numbered one")
        let invoiceNumbers = try sandbox.array(["invoice", "list"]).compactMap { string(object($0["invoice"])?["number"]) }
        #expect(invoiceNumbers == invoiceNumbers.sorted())
    }

    @Test("invoices and orders by number (any case, leading zeros optional), customers by name or prefix, plans by slug")
    func lookups() throws {
        let sandbox = try Self.generated("lookups")
        defer { sandbox.remove() }
        let invoice = try #require(object(try sandbox.array(["invoice", "list"]).last?["invoice"]))
        let id = try #require(string(invoice["id"]))
        let number = try #require(string(invoice["number"]))
        let digits = String(Int(number.dropFirst(4)) ?? 0)
        for key in [id, number, "inv-" + digits, String(id.prefix(14))] {
            let shown = try sandbox.object(["invoice", "show", key])
            #expect(string(object(shown["invoice"])?["id"]) == id, "invoice show \(key)")
        }
        let order = try #require(try sandbox.array(["order", "list"]).first)
        #expect(string(object(try sandbox.object(["order", "show", "ord-1"])["order"])?["id"]) == string(order["id"]))

        let customer = try #require(try sandbox.array(["customer", "list"]).first)
        let name = try #require(string(customer["name"]))
        for key in [name, name.uppercased(), String(name.prefix(name.count - 2))] {
            #expect(string(object(try sandbox.object(["customer", "show", key])["customer"])?["id"]) == string(customer["id"]), "customer show \(key)")
        }
        let placed = try sandbox.object(["order", "place", "--customer", name, "--plan", "m365-business-basic-m"])
        let queued = try #require(try sandbox.array(["queue", "list"]).last)
        #expect(string(object(queued["args"])?["customer_id"]) == string(customer["id"]))
        #expect(string(object(queued["args"])?["plan_id"]) == "pln_m365-business-basic-m")
        #expect(string(placed["mutation"]) == "order.place")
        let filtered = try sandbox.array(["invoice", "list", "--customer", name])
        #expect(!filtered.isEmpty && filtered.allSatisfy { string(object($0["invoice"])?["customer_id"]) == string(customer["id"]) })
    }

    @Test("ambiguous input is exit 64 listing the candidates, text that names nothing is 65; neither writes anything")
    func ambiguityAndNoMatch() throws {
        let sandbox = try Self.generated("ambiguous")
        defer { sandbox.remove() }
        let before = try sandbox.snapshot()
        let ambiguous = sandbox.run(["order", "place", "--customer", "cus_01", "--plan", "m365-business-basic-m"])
        #expect(ambiguous.status == 64, "\(ambiguous)")
        #expect(ambiguous.stderr.contains("'cus_01' (--customer) matches"))
        let candidates = ambiguous.stderr.split(separator: "\n").filter { $0.hasPrefix("  cus_01") }
        #expect(candidates.count >= 2 && candidates.count <= 10, "up to ten candidates as id and name: \(ambiguous.stderr)")
        let plan = sandbox.run(["plan", "show", "Microsoft 365 Business"])
        #expect(plan.status == 64)
        #expect(plan.stderr.contains("pln_m365-business-basic-m  Microsoft 365 Business Basic (monthly)"))
        let nothing = sandbox.run(["customer", "suspend", "No Such Customer Ltd"])
        #expect(nothing.status == 65)
        #expect(nothing.stderr.contains("no customer matches 'No Such Customer Ltd'"))
        let wildcard = sandbox.run(["customer", "show", "%"])
        #expect(wildcard.status == 65, "% is a character, not a wildcard")
        #expect(try sandbox.snapshot() == before)
    }

    @Test("a second customer with an existing name is added with a warning naming the first")
    func duplicateNameWarns() throws {
        let sandbox = try Sandbox("duplicate")
        defer { sandbox.remove() }
        try sandbox.initialize()
        let first = try #require(string(try sandbox.object(["customer", "add", "--name", "Contoso GmbH"])["id"]))
        let second = sandbox.run(["customer", "add", "--name", "contoso gmbh"])
        #expect(second.status == 0)
        #expect(second.stderr.contains("warning: Contoso GmbH already exists as \(first); added a second customer with that name"))
        #expect(try sandbox.array(["customer", "list"]).count == 2)
        let unique = try sandbox.ok(["customer", "add", "--name", "Fabrikam"])
        #expect(unique.stderr.isEmpty)
    }

    @Test("customer show lists the customer's subscriptions, open invoices and recent orders")
    func customerShowSections() throws {
        let sandbox = try Self.generated("show")
        defer { sandbox.remove() }
        let unpaid = try #require(try sandbox.array(["invoice", "list", "--unpaid"]).first)
        let customerId = try #require(string(object(unpaid["invoice"])?["customer_id"]))
        let detail = try sandbox.object(["customer", "show", customerId])
        let text = try sandbox.ok(["customer", "show", customerId]).stdout
        for section in ["Subscriptions:", "Open invoices:", "Recent orders:"] { #expect(text.contains(section)) }
        let plans = Dictionary(try sandbox.array(["plan", "list"]).map { (string(object($0["plan"])?["id"]) ?? "", string(object($0["plan"])?["name"]) ?? "") },
                               uniquingKeysWith: { first, _ in first })
        for subscription in objects(detail["subscriptions"]) ?? [] {
            #expect(text.contains(plans[string(subscription["plan_id"]) ?? ""] ?? "?"), "plan name of \(string(subscription["id"]) ?? "")")
        }
        let open = (objects(detail["invoices"]) ?? []).filter { (int(object($0["balance"])?["outstanding"]) ?? 0) > 0 }
        try #require(!open.isEmpty)
        for invoice in open { #expect(text.contains(string(object(invoice["invoice"])?["number"]) ?? "?")) }
        let paid = (objects(detail["invoices"]) ?? []).filter { (int(object($0["balance"])?["outstanding"]) ?? 0) == 0 }
        let openSection = text.components(separatedBy: "Open invoices:").last?.components(separatedBy: "Recent orders:").first ?? ""
        for invoice in paid { #expect(!openSection.contains(string(object(invoice["invoice"])?["number"]) ?? "?"), "paid invoices are not open") }
        let latest = (objects(detail["orders"]) ?? []).compactMap { string($0["number"]) }.max()
        #expect(text.components(separatedBy: "Recent orders:").last?.contains(latest ?? "?") == true)
    }
}
