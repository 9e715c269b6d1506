import Foundation
import Testing
import OutpostModel
import OutpostStore
import OutpostTestSupport
@testable import OutpostSync
import OutpostTestThreads

/// The back office's safety rails: orders checked before the vendor is called, a vendor's answer never lost
/// nor asked for twice, billing bounded by the advance-billing window, rehearsals that write nothing, and
/// invoices voided or credited on the node.
@Suite("Back-office safety", .ownThreads)
struct BackOfficeSafetyTests {
    // MARK: The vendor hook

    @Test("an order the node would refuse fails with the reason, and the hook is never called")
    func refusedBeforeTheHook() throws {
        let office = try BackOfficeFixture(now: "2026-02-07T08:00:00Z")
        defer { office.remove() }
        let customer = try office.addCustomer("Contoso Dental GmbH")
        let order = try office.placeOrder(customer: customer, plan: "pln_m365-business-basic-m", quantity: 2)
        try office.suspend(customer)

        let vendor = CountingVendor()
        let outcome = try #require(try office.provision(with: vendor).first)
        #expect(outcome.status == .failed)
        #expect(outcome.reason.contains("(\(customer)) is suspended"), "\(outcome.reason)")
        #expect(vendor.calls == 0)
        #expect(try office.count("subscription") == 0 && office.count("invoice") == 0)
        #expect(try office.vendorAnswer(order) == nil)
    }

    @Test("a completed answer that cannot be applied is kept, re-applied by resubmit without a second call, once the cause is fixed")
    func completedAtVendorNotApplied() throws {
        let office = try BackOfficeFixture(now: "2026-02-07T08:00:00Z")
        defer { office.remove() }
        let customer = try office.addCustomer("Contoso Dental GmbH")
        let order = try office.placeOrder(customer: customer, plan: "pln_office-ltsc-std-2024", quantity: 1)
        // The customer is suspended while the vendor works: the check before the call passed, the completion is refused.
        let vendor = CountingVendor(key: "VNDR1-KEY22-KEY33-KEY44-3F9A") { try office.suspend(customer) }
        let outcome = try #require(try office.provision(with: vendor).first)
        #expect(vendor.calls == 1)
        #expect(outcome.status == .failed)
        let failed = try office.order(order)
        #expect(failed.status == .failed)
        #expect(failed.statusReason.hasPrefix("completed at vendor, not applied: customer "), "\(failed.statusReason)")
        #expect(failed.statusReason.contains("(\(customer)) is suspended"), "\(failed.statusReason)")
        let answer = try #require(try office.vendorAnswer(order))
        #expect(answer.contains("VNDR1-KEY22-KEY33-KEY44-3F9A"))
        #expect(try office.count("subscription") == 0 && office.count("invoice") == 0)
        #expect(try office.node.status().first?.ordersToSettle == 1)

        // Resubmitted while still suspended: the recorded answer is tried again, not the vendor.
        let early = try office.node.resubmit(order: "ORD-000001").resubmission
        #expect(early.applied?.status == .failed)
        #expect(early.order.statusReason.hasPrefix("completed at vendor, not applied:"))
        #expect(vendor.calls == 1)
        #expect(try office.queue().waiting().isEmpty)

        try office.activate(customer)
        let settled = try office.node.resubmit(order: order).resubmission
        #expect(settled.order.status == .completed)
        #expect(try office.node.status().first?.ordersToSettle == 0)
        #expect(settled.applied?.invoiceNumbers == ["INV-000001"])
        #expect(vendor.calls == 1)
        let license = try #require(try License.list(customerId: customer, in: office.tenant.db).first)
        #expect(license.licenseKey == "VNDR1-KEY22-KEY33-KEY44-3F9A")

        // Nothing more to settle.
        let again = #expect(throws: BackOfficeError.self) { try office.node.resubmit(order: "ORD-000001") }
        #expect(again?.message.contains("already completed") == true)
    }

    @Test("the hook reads the same idempotency key on every call for an order, in its JSON and its environment")
    func idempotencyKeyIsStable() throws {
        let office = try BackOfficeFixture(now: "2026-02-07T08:00:00Z")
        defer { office.remove() }
        let customer = try office.addCustomer("Contoso Dental GmbH")
        let order = try office.placeOrder(customer: customer, plan: "pln_m365-business-basic-m", quantity: 1)
        let log = office.directory.appendingPathComponent("keys.log").path
        let hook = try office.script("vendor.sh", """
            input=$(cat)
            key=$(printf '%s' "$input" | sed -n 's/.*"idempotency_key":"\\([^"]*\\)".*/\\1/p')
            echo "$key $OUTPOST_IDEMPOTENCY_KEY" >> '\(log)'
            echo '{"status":"failed","reason":"vendor busy"}'
            """)
        _ = try office.provision(with: HookProvisioner(command: "sh \(hook)", timeLimit: 20))
        office.clock.advance(seconds: 3600)
        _ = try office.node.resubmit(order: order)
        _ = try office.provision(with: HookProvisioner(command: "sh \(hook)", timeLimit: 20))
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map(String.init)
        let expected = ProvisioningRequest.idempotencyKey(resellerId: BackOfficeFixture.reseller, orderId: order)
        #expect(lines == ["\(expected) \(expected)", "\(expected) \(expected)"])
    }

    @Test("resubmit takes the number as printed or the id, and refuses an order that never failed with the reason")
    func resubmitRefusals() throws {
        let office = try BackOfficeFixture(now: "2026-02-07T08:00:00Z")
        defer { office.remove() }
        let customer = try office.addCustomer("Contoso Dental GmbH")
        let order = try office.placeOrder(customer: customer, plan: "pln_m365-business-basic-m", quantity: 1)
        let waiting = #expect(throws: BackOfficeError.self) { try office.node.resubmit(order: "ord-000001") }
        #expect(waiting?.message.contains("never failed") == true, "\(String(describing: waiting))")
        let unknown = #expect(throws: BackOfficeError.self) { try office.node.resubmit(order: "ORD-000099") }
        #expect(unknown?.message == "no reseller on this node has an order ORD-000099")
        #expect(try office.node.locate(.order, "ORD-000001").id == order)
        #expect(try office.node.locate(.order, order).id == order)
        #expect(try office.node.locate(.order, "ord-1", resellerId: "acme").id == order)
        #expect(try office.node.locate(.order, String(order.prefix(12))).id == order)
    }

    // MARK: Billing ahead

    @Test("a run through a date past today plus the window is refused whole, naming the dates; past dates only catch up")
    func billingWindow() throws {
        let office = try BackOfficeFixture(now: "2026-02-07T08:00:00Z")
        defer { office.remove() }
        let customer = try office.addCustomer("Contoso Dental GmbH")
        _ = try office.placeOrder(customer: customer, plan: "pln_m365-business-basic-m", quantity: 1)
        _ = try office.provision()
        let head = try office.head()

        let typo = #expect(throws: BackOfficeError.self) { try office.node.bill(through: BusinessDate("2027-02-07")!) }
        let message = typo?.message ?? ""
        #expect(message.contains("--through 2027-02-07") && message.contains("today (2026-02-07)"), "\(message)")
        #expect(message.contains("latest allowed date is 2026-02-21") && message.contains("--advance-billing-days"), "\(message)")
        #expect(throws: BackOfficeError.self) { try office.node.rehearseBilling(through: BusinessDate("2026-02-22")!) }
        #expect(try office.head() == head)
        #expect(try office.onlySubscription(of: customer).periodEnd.description == "2026-03-07")

        // In the past: allowed, and here nothing was due yet.
        #expect(try office.node.bill(through: BusinessDate("2026-01-31")!).isEmpty)
        // The window is the reseller's setting; widened, the same date goes through.
        try office.tenant.record(now: office.clock.now()) { context in
            try UpdateSettings(baseVersion: 0).with(\.advanceBillingDays, 30).apply(in: context)
        }
        #expect(try office.node.bill(through: BusinessDate("2026-03-07")!).map(\.action) == [.renewed])
        #expect(try office.onlySubscription(of: customer).periodEnd.description == "2026-04-07")
    }

    @Test("the advance-billing window is a setting between 0 and 366 days, 14 by default")
    func windowSetting() throws {
        let office = try BackOfficeFixture(now: "2026-02-07T08:00:00Z")
        defer { office.remove() }
        #expect(try ResellerSettings.load(from: office.tenant.db).advanceBillingDays == 14)
        #expect(throws: MutationRefusal.self) {
            try office.tenant.record(now: office.clock.now()) { try UpdateSettings(baseVersion: 0).with(\.advanceBillingDays, 367).apply(in: $0) }
        }
        try office.tenant.record(now: office.clock.now()) { try UpdateSettings(baseVersion: 0).with(\.advanceBillingDays, 0).apply(in: $0) }
        #expect(try ResellerSettings.load(from: office.tenant.db).advanceBillingDays == 0)
    }

    // MARK: Rehearsals

    @Test("a rehearsed billing run writes nothing and says exactly what the real run then does")
    func rehearsedBilling() throws {
        let office = try BackOfficeFixture(now: "2026-02-07T08:00:00Z")
        defer { office.remove() }
        let customer = try office.addCustomer("Contoso Dental GmbH")
        _ = try office.placeOrder(customer: customer, plan: "pln_m365-business-basic-m", quantity: 10)
        let other = try office.placeOrder(customer: customer, plan: "pln_m365-business-basic-m", quantity: 1)
        _ = try office.provision()
        let ending = try #require(try Subscription.list(customerId: customer, in: office.tenant.db).first { $0.orderId == other })
        _ = try office.cancel(ending.id, when: .periodEnd)
        _ = try office.provision()
        try office.setNow("2026-03-07T08:00:00Z")
        let before = try office.rowCounts()
        let head = try office.head()

        let rehearsed = try office.node.rehearseBilling(through: BusinessDate("2026-03-07")!)
        #expect(try office.rowCounts() == before)
        #expect(try office.head() == head)
        #expect(rehearsed.map(\.action).sorted { $0.rawValue < $1.rawValue } == [.cancelled, .renewed])
        let renewal = try #require(rehearsed.first { $0.action == .renewed })
        #expect(renewal.customerName == "Contoso Dental GmbH")
        #expect(renewal.invoicedTotal == 6843)  // 10 × 5.75 + 19 % tax
        #expect(renewal.currency == "EUR")

        let real = try office.node.bill(through: BusinessDate("2026-03-07")!)
        #expect(real == rehearsed)
        #expect(try office.rowCounts() != before)
    }

    @Test("a rehearsed provisioning run writes nothing and calls no hook; its verdicts are what the real run does")
    func rehearsedProvisioning() throws {
        let office = try BackOfficeFixture(now: "2026-02-07T08:00:00Z")
        defer { office.remove() }
        let active = try office.addCustomer("Contoso Dental GmbH")
        let suspended = try office.addCustomer("Fabrikam Ltd")
        _ = try office.placeOrder(customer: active, plan: "pln_m365-business-basic-m", quantity: 10)
        _ = try office.placeOrder(customer: suspended, plan: "pln_m365-business-basic-m", quantity: 1)
        _ = try office.placeOrder(customer: active, plan: "pln_m365-business-basic-m", quantity: 1)
        try office.suspend(suspended)
        let before = try office.rowCounts()
        let head = try office.head()

        let marker = office.directory.appendingPathComponent("called").path
        let hooked = try office.node.rehearseProvisioning(hook: "touch '\(marker)'")
        #expect(hooked.map(\.verdict) == [.sentToHook, .refused, .sentToHook])
        #expect(hooked[1].reason.contains("is suspended"))
        #expect(!FileManager.default.fileExists(atPath: marker))

        let built = try office.node.rehearseProvisioning(hook: nil)
        #expect(built.map(\.verdict) == [.completes, .refused, .completes])
        #expect(built.map { $0.documents.map(\.number) } == [["INV-000001"], [], ["INV-000002"]])
        #expect(built[0].documents.first?.amount == 6843)
        #expect(try office.rowCounts() == before)
        #expect(try office.head() == head)

        let real = try office.provision()
        #expect(real.map(\.status) == [.completed, .failed, .completed])
        #expect(real.map(\.invoiceNumbers) == [["INV-000001"], [], ["INV-000002"]])
        #expect(real[1].reason == built[1].reason)
    }

    // MARK: Void and credit

    @Test("a void invoice keeps its number, owes nothing and replicates; a paid or void one is not voided; credits stop at what is open")
    func voidAndCredit() throws {
        let office = try BackOfficeFixture(now: "2026-02-07T08:00:00Z")
        defer { office.remove() }
        let customer = try office.addCustomer("Contoso Dental GmbH")
        _ = try office.placeOrder(customer: customer, plan: "pln_m365-business-basic-m", quantity: 10)
        _ = try office.placeOrder(customer: customer, plan: "pln_m365-business-basic-m", quantity: 1)
        _ = try office.provision()
        let (corrections, first) = try office.node.invoiceCorrections(for: "INV-000001")
        let head = try office.head()

        let empty = #expect(throws: BackOfficeError.self) { try corrections.void(first, reason: "  ") }
        #expect(empty?.message.contains("--reason") == true)
        let voided = try corrections.void(first, reason: "billed a year ahead by mistake")
        #expect(voided.status == .void && voided.number == "INV-000001")
        #expect(voided.voidReason == "billed a year ahead by mistake")
        #expect(voided.voidedAt?.description == "2026-02-07T08:00:00Z")
        #expect(try InvoiceBalance.of(first, today: BusinessDate("2026-06-01")!, in: office.tenant.db)?.state == .void)
        #expect(try InvoiceBalance.openInvoices(customerId: customer, in: office.tenant.db).map(\.invoiceId) != [first])
        // The change reaches replicas through the change log, as the void row.
        let logged = try office.tenant.db.scalar("SELECT row FROM change_log WHERE entity = 'invoice' AND entity_id = ? AND version > ?", [first, head])?.string
        #expect(logged?.contains("\"void_reason\":\"billed a year ahead by mistake\"") == true, "\(logged ?? "nothing logged")")
        let twice = #expect(throws: BackOfficeError.self) { try corrections.void(first, reason: "again") }
        #expect(twice?.message.contains("already void") == true)
        #expect(throws: BackOfficeError.self) { try corrections.credit(first, reason: "no", amount: nil) }

        // The second invoice (5.75 + 19 % = 6.84) is paid in part: it cannot be voided, only credited up to what is open.
        let second = try office.node.locate(.invoice, "inv-000002").id
        try office.push(RecordPayment(id: "pay_01SAFETYTEST", invoiceId: second, amount: 100, method: .bankTransfer))
        let paid = #expect(throws: BackOfficeError.self) { try corrections.void(second, reason: "mistake") }
        #expect(paid?.message.contains("payment") == true, "\(String(describing: paid))")
        let tooMuch = #expect(throws: BackOfficeError.self) { try corrections.credit(second, reason: "goodwill", amount: 585) }
        #expect(tooMuch?.message.contains("5.84") == true, "\(String(describing: tooMuch))")
        let credit = try corrections.credit(second, reason: "goodwill", amount: nil)
        #expect(credit.creditNoteNumber == "CRN-000001")
        #expect(credit.total == 584)
        #expect(try InvoiceBalance.of(second, today: BusinessDate("2026-02-07")!, in: office.tenant.db)?.outstanding == 0)
        #expect(throws: BackOfficeError.self) { try corrections.credit(second, reason: "more", amount: 1) }
    }

    @Test("the net amount of a credit is the largest whose total with tax is not above what is open")
    func creditNet() {
        #expect(Invoicing.net(ofGross: 6843, taxRateBp: 1900) == 5750)
        #expect(Invoicing.net(ofGross: 584, taxRateBp: 1900) == 491)  // 4.91 + 0.93 = 5.84
        #expect(Invoicing.net(ofGross: 1, taxRateBp: 1900) == 1)
        for gross in Int64(1)...2000 {
            let net = Invoicing.net(ofGross: gross, taxRateBp: 1900)
            #expect(net + Invoicing.tax(on: net, rateBp: 1900) <= gross)
        }
    }
}

/// A provisioner that counts its calls and answers "completed", running `during` as the vendor works.
private final class CountingVendor: Provisioner, @unchecked Sendable {
    // @unchecked: tests call it from one thread at a time.
    private(set) var calls = 0
    let key: String?
    let during: () throws -> Void

    init(key: String? = nil, during: @escaping () throws -> Void = {}) {
        self.key = key
        self.during = during
    }

    func provision(_ request: ProvisioningRequest) -> ProvisioningAnswer {
        calls += 1
        try? during()
        return .completed(ProvisioningDetails(licenseKey: key))
    }
}

extension UpdateSettings {
    /// A copy with one setting changed, for tests.
    func with<T>(_ path: WritableKeyPath<UpdateSettings, T>, _ value: T) -> UpdateSettings {
        var copy = self
        copy[keyPath: path] = value
        return copy
    }
}

extension BackOfficeFixture {
    func suspend(_ customer: String) throws {
        try push(SuspendCustomer(id: customer, baseVersion: try Customer.require(customer, in: tenant.db).version))
    }

    func activate(_ customer: String) throws {
        try push(ActivateCustomer(id: customer, baseVersion: try Customer.require(customer, in: tenant.db).version))
    }

    func vendorAnswer(_ order: String) throws -> String? {
        try tenant.db.scalar("SELECT vendor_answer FROM orders WHERE id = ?", [order])?.string
    }

    /// Every table of node.sqlite and of the reseller's database: its row count and a digest of every row's
    /// values, so an update is seen as well as an insert.
    func rowCounts() throws -> [String: String] {
        var tables: [String: String] = [:]
        let node = try Database(path: directory.appendingPathComponent("node.sqlite").path, mode: .readOnly)
        for (prefix, db) in [("node.", node), ("tenant.", tenant.db)] {
            for table in try db.rows("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").map({ try $0.string("name") }) {
                let rows = try db.rows("SELECT * FROM \"\(table)\" ORDER BY rowid")
                let text = rows.map { row in row.dictionary.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",") }
                tables[prefix + table] = "\(rows.count) " + SHA256.hex(text.joined(separator: "\n"))
            }
        }
        return tables
    }
}
