import Foundation
import Testing
import OutpostModel
import OutpostStore
@testable import OutpostSync
import OutpostTestThreads

/// `outpost node bill --through DATE`: renewals, cancellations at period end, expiry, seat decreases, idempotence.
///
/// Same prices as `ProvisioningTests`: Microsoft 365 Business Basic (monthly) sells at
/// 5.75 a seat (cost 4.60 + 25 %), tax is 19 %.
@Suite("Billing run", .ownThreads)
struct BillingTests {
    @Test("a renewal makes a completed renewal order and an invoice for the next period, and advances the period", arguments: NodeStore.all)
    func renewal(store: NodeStore) throws {
        let office = try BackOfficeFixture(now: "2026-02-01T09:00:00Z", store: store)
        defer { office.remove() }
        let customer = try office.addCustomer("Contoso Dental GmbH")
        _ = try office.placeOrder(customer: customer, plan: "pln_m365-business-basic-m", quantity: 10)
        _ = try office.provision()
        let subscription = try office.onlySubscription(of: customer)

        try office.setNow("2026-03-01T02:00:00Z")
        let outcomes = try office.bill(through: "2026-03-01")
        #expect(outcomes.map(\.action) == [.renewed])
        #expect(outcomes.first?.orderNumbers == ["ORD-000002"])
        #expect(outcomes.first?.invoiceNumbers == ["INV-000002"])

        let renewed = try office.subscription(subscription.id)
        #expect(renewed.status == .active)
        #expect(renewed.periodStart.description == "2026-03-01")
        #expect(renewed.periodEnd.description == "2026-04-01")
        #expect(renewed.quantity == 10)

        let order = try #require(try office.renewalOrders(subscription.id).first)
        #expect(order.type == .renewal)
        #expect(order.status == .completed)
        #expect(order.number == "ORD-000002")
        #expect(order.total == 5750)
        let line = try #require(try order.lines(in: office.tenant.db).first)
        #expect(line.description == "Renewal of Microsoft 365 Business Basic (monthly)")
        #expect(line.quantity == 10)

        let invoice = try #require(try office.invoices(order: order.id).first)
        #expect(invoice.number == "INV-000002")
        #expect(invoice.issueDate.description == "2026-03-01")
        #expect(invoice.subtotal == 5750)
        #expect(invoice.tax == 1093)
        #expect(invoice.total == 6843)
        let invoiceLine = try #require(try invoice.lines(in: office.tenant.db).first)
        #expect(invoiceLine.subscriptionId == subscription.id)
        #expect(invoiceLine.periodStart?.description == "2026-03-01")
        #expect(invoiceLine.periodEnd?.description == "2026-04-01")
    }

    @Test("nothing is due before the period ends: a run through the day before changes nothing", arguments: NodeStore.all)
    func notBeforePeriodEnd(store: NodeStore) throws {
        let office = try BackOfficeFixture(now: "2026-02-01T09:00:00Z", store: store)
        defer { office.remove() }
        let customer = try office.addCustomer("Contoso Dental GmbH")
        _ = try office.placeOrder(customer: customer, plan: "pln_m365-business-basic-m", quantity: 10)
        _ = try office.provision()
        let head = try office.head()
        #expect(try office.bill(through: "2026-02-28").isEmpty)
        #expect(try office.head() == head)
        #expect(try office.onlySubscription(of: customer).periodEnd.description == "2026-03-01")
    }

    @Test("a late run renews every missed period, each with its own order and invoice, counted from the start day", arguments: NodeStore.all)
    func lateRunRenewsEachPeriod(store: NodeStore) throws {
        let office = try BackOfficeFixture(now: "2026-01-31T09:00:00Z", store: store)
        defer { office.remove() }
        let customer = try office.addCustomer("Contoso Dental GmbH")
        _ = try office.placeOrder(customer: customer, plan: "pln_m365-business-basic-m", quantity: 10)
        _ = try office.provision()
        let subscription = try office.onlySubscription(of: customer)
        #expect(subscription.periodEnd.description == "2026-02-28")

        try office.setNow("2026-04-15T08:00:00Z")
        let outcome = try #require(try office.bill(through: "2026-04-15").first)
        #expect(outcome.orderNumbers == ["ORD-000002", "ORD-000003"])
        #expect(outcome.invoiceNumbers == ["INV-000002", "INV-000003"])
        // Jan 31 → Feb 28 → Mar 31 → Apr 30: the day of month comes back after February.
        let periods = try office.tenant.db.rows("""
            SELECT l.period_start, l.period_end, i.issue_date FROM invoice_line l JOIN invoice i ON i.id = l.invoice_id
            WHERE l.subscription_id = ? ORDER BY i.number
            """, [subscription.id]).map { "\(try $0.string("period_start"))..\(try $0.string("period_end")) issued \(try $0.string("issue_date"))" }
        #expect(periods == [
            "2026-01-31..2026-02-28 issued 2026-01-31",
            "2026-02-28..2026-03-31 issued 2026-02-28",
            "2026-03-31..2026-04-30 issued 2026-03-31",
        ])
        let renewed = try office.subscription(subscription.id)
        #expect(renewed.periodStart.description == "2026-03-31")
        #expect(renewed.periodEnd.description == "2026-04-30")
        #expect(try office.renewalOrders(subscription.id).count == 2)
    }

    @Test("the same run twice changes nothing the second time: no orders, invoices or change-log entries", arguments: NodeStore.all)
    func repeatedRunHasNoEffect(store: NodeStore) throws {
        let office = try BackOfficeFixture(now: "2026-02-01T09:00:00Z", store: store)
        defer { office.remove() }
        let customer = try office.addCustomer("Contoso Dental GmbH")
        _ = try office.placeOrder(customer: customer, plan: "pln_m365-business-basic-m", quantity: 10)
        _ = try office.placeOrder(customer: customer, plan: "pln_zoom-workplace-pro-m", quantity: 2)
        _ = try office.placeOrder(customer: customer, plan: "pln_domain-com", quantity: 1, domain: "contoso-dental.com")
        _ = try office.provision()
        let zoom = try #require(try Subscription.list(customerId: customer, in: office.tenant.db).first { $0.planId == "pln_zoom-workplace-pro-m" })
        _ = try office.cancel(zoom.id, when: .periodEnd)
        _ = try office.provision()

        try office.setNow("2026-06-02T02:00:00Z")
        let first = try office.bill(through: "2026-06-01")
        #expect(Set(first.map(\.action)) == [.renewed, .cancelled])
        let head = try office.head()
        let orders = try office.count("orders")
        let invoices = try office.count("invoice")
        let subscriptions = try office.tenant.db.rows("SELECT * FROM subscription ORDER BY id").map(Subscription.init(row:))

        let second = try office.bill(through: "2026-06-01")
        #expect(second.isEmpty)
        #expect(try office.head() == head)
        #expect(try office.count("orders") == orders)
        #expect(try office.count("invoice") == invoices)
        #expect(try office.tenant.db.rows("SELECT * FROM subscription ORDER BY id").map(Subscription.init(row:)) == subscriptions)

        // A run through an earlier date is no different.
        #expect(try office.bill(through: "2026-05-01").isEmpty)
        #expect(try office.head() == head)
    }

    @Test("a seat decrease applies at the renewal: the next period is invoiced for fewer seats, once", arguments: NodeStore.all)
    func decreaseAppliedAtRenewal(store: NodeStore) throws {
        let office = try BackOfficeFixture(now: "2026-02-01T09:00:00Z", store: store)
        defer { office.remove() }
        let customer = try office.addCustomer("Contoso Dental GmbH")
        _ = try office.placeOrder(customer: customer, plan: "pln_m365-business-basic-m", quantity: 10)
        _ = try office.provision()
        let subscription = try office.onlySubscription(of: customer)
        try office.setNow("2026-02-11T10:00:00Z")
        let decrease = try office.changeSeats(subscription.id, to: 6)
        _ = try office.provision()
        #expect(try office.subscription(subscription.id).quantity == 10)

        try office.setNow("2026-03-01T02:00:00Z")
        let outcome = try #require(try office.bill(through: "2026-03-01").first)
        #expect(outcome.quantity == 6)
        let renewed = try office.subscription(subscription.id)
        #expect(renewed.quantity == 6)
        // 6 × 5.75 = 34.50; tax 655.50 → 6.56.
        let renewal = try #require(try office.renewalOrders(subscription.id).first)
        let invoice = try #require(try office.invoices(order: renewal.id).first)
        #expect(invoice.subtotal == 3450)
        #expect(invoice.tax == 656)
        #expect(invoice.total == 4106)
        #expect(try office.order(decrease).statusReason == "Applied at renewal on 2026-03-01: 10 → 6 seats")

        // The next period stays at 6; the decrease is not applied again.
        try office.setNow("2026-04-01T02:00:00Z")
        _ = try office.bill(through: "2026-04-01")
        #expect(try office.subscription(subscription.id).quantity == 6)
        let totals = try office.renewalOrders(subscription.id).map(\.total)
        #expect(totals == [3450, 3450])
    }

    @Test("a later seat change supersedes a pending decrease", arguments: NodeStore.all)
    func increaseSupersedesDecrease(store: NodeStore) throws {
        let office = try BackOfficeFixture(now: "2026-02-01T09:00:00Z", store: store)
        defer { office.remove() }
        let customer = try office.addCustomer("Contoso Dental GmbH")
        _ = try office.placeOrder(customer: customer, plan: "pln_m365-business-basic-m", quantity: 10)
        _ = try office.provision()
        let subscription = try office.onlySubscription(of: customer)
        let decrease = try office.changeSeats(subscription.id, to: 6)
        _ = try office.provision()
        office.clock.advance(seconds: 60)
        let increase = try office.changeSeats(subscription.id, to: 12)
        _ = try office.provision()
        let number = try office.order(increase).displayNumber
        #expect(try office.order(decrease).statusReason == "Superseded by \(number) before renewal")
        #expect(try office.subscription(subscription.id).quantity == 12)
        _ = try office.bill(through: "2026-03-01")
        #expect(try office.subscription(subscription.id).quantity == 12)
        #expect(try office.renewalOrders(subscription.id).map(\.total) == [12 * 575])
    }

    @Test("cancellation at period end: still active the day before, cancelled by the run at period end, with its domain", arguments: NodeStore.all)
    func cancellationAtPeriodEnd(store: NodeStore) throws {
        let office = try BackOfficeFixture(now: "2026-02-01T09:00:00Z", store: store)
        defer { office.remove() }
        let customer = try office.addCustomer("Contoso Dental GmbH")
        _ = try office.placeOrder(customer: customer, plan: "pln_domain-com", quantity: 1, domain: "contoso-dental.com")
        _ = try office.provision()
        let subscription = try office.onlySubscription(of: customer)
        let cancel = try office.cancel(subscription.id, when: .periodEnd)
        _ = try office.provision()
        let orders = try office.count("orders")
        let invoices = try office.count("invoice")

        #expect(try office.bill(through: "2027-01-31").isEmpty)
        #expect(try office.subscription(subscription.id).status == .active)
        #expect(try Domain.list(customerId: customer, in: office.tenant.db).first?.status == .active)

        try office.setNow("2027-02-01T02:00:00Z")
        let outcome = try #require(try office.bill(through: "2027-02-01").first)
        #expect(outcome.action == .cancelled)
        let cancelNumber = try office.order(cancel).displayNumber
        #expect(outcome.orderNumbers == [cancelNumber])
        let ended = try office.subscription(subscription.id)
        #expect(ended.status == .cancelled)
        #expect(ended.periodEnd.description == "2027-02-01")
        #expect(try Domain.list(customerId: customer, in: office.tenant.db).first?.status == .cancelled)
        // Nothing renewed, nothing invoiced, no second cancellation order.
        #expect(try office.count("orders") == orders)
        #expect(try office.count("invoice") == invoices)
        #expect(try office.bill(through: "2028-02-01").isEmpty)
    }

    @Test("a subscription flagged to end without a cancellation order gets one from the run, completed, for nothing", arguments: NodeStore.all)
    func cancellationOrderRecorded(store: NodeStore) throws {
        let office = try BackOfficeFixture(now: "2026-02-01T09:00:00Z", store: store)
        defer { office.remove() }
        let customer = try office.addCustomer("Contoso Dental GmbH")
        _ = try office.placeOrder(customer: customer, plan: "pln_m365-business-basic-m", quantity: 4)
        _ = try office.provision()
        let subscription = try office.onlySubscription(of: customer)
        try office.tenant.record(now: office.clock.now()) { context in
            try context.update("subscription", id: subscription.id, [("cancel_at_period_end", true), ("auto_renew", false)])
        }
        let outcome = try #require(try office.bill(through: "2026-03-01").first)
        #expect(outcome.action == .cancelled)
        let order = try #require(try office.tenant.db.row("SELECT * FROM orders WHERE subscription_id = ? AND type = 'cancellation'",
                                                          [subscription.id]).map(Order.init(row:)))
        #expect(order.status == .completed)
        #expect(order.cancelMode == .periodEnd)
        #expect(order.total == 0)
        #expect(order.number == "ORD-000002")
        #expect(outcome.orderNumbers == ["ORD-000002"])
        #expect(try office.subscription(subscription.id).status == .cancelled)
    }

    @Test("a subscription that does not renew expires at period end, and so does its license", arguments: NodeStore.all)
    func expiry(store: NodeStore) throws {
        let office = try BackOfficeFixture(now: "2026-02-01T09:00:00Z", store: store)
        defer { office.remove() }
        let customer = try office.addCustomer("Contoso Dental GmbH")
        _ = try office.placeOrder(customer: customer, plan: "pln_office-ltsc-std-2024", quantity: 3)
        _ = try office.provision()
        let subscription = try office.onlySubscription(of: customer)
        try office.tenant.record(now: office.clock.now()) { context in
            try context.update("subscription", id: subscription.id, [("auto_renew", false)])
        }
        let invoices = try office.count("invoice")
        let outcome = try #require(try office.bill(through: "2027-02-01").first)
        #expect(outcome.action == .expired)
        #expect(outcome.orderNumbers.isEmpty && outcome.invoiceNumbers.isEmpty)
        #expect(try office.subscription(subscription.id).status == .expired)
        #expect(try License.list(customerId: customer, in: office.tenant.db).first?.status == .expired)
        #expect(try office.count("invoice") == invoices)
    }

    @Test("domain, certificate and license expiry follow their subscription's renewals", arguments: NodeStore.all)
    func recordsFollowRenewal(store: NodeStore) throws {
        let office = try BackOfficeFixture(now: "2026-02-01T09:00:00Z", store: store)
        defer { office.remove() }
        let customer = try office.addCustomer("Contoso Dental GmbH")
        _ = try office.placeOrder(customer: customer, plan: "pln_domain-com", quantity: 2, domain: "contoso-dental.com")
        _ = try office.placeOrder(customer: customer, plan: "pln_sectigo-positivessl-dv", quantity: 1, commonName: "www.contoso-dental.com")
        _ = try office.placeOrder(customer: customer, plan: "pln_office-ltsc-std-2024", quantity: 3)
        _ = try office.provision()

        try office.setNow("2027-02-01T02:00:00Z")
        let first = try office.bill(through: "2027-02-01")
        #expect(first.count == 2)  // the certificate and the license; the domain runs two years
        let certificate = try #require(try SSLCertificate.list(customerId: customer, in: office.tenant.db).first)
        #expect(certificate.status == .issued)
        #expect(certificate.issuedOn?.description == "2027-02-01")
        #expect(certificate.expiresOn?.description == "2028-02-01")
        let license = try #require(try License.list(customerId: customer, in: office.tenant.db).first)
        #expect(license.expiresOn?.description == "2028-02-01")
        #expect(license.status == .active)
        #expect(try Domain.list(customerId: customer, in: office.tenant.db).first?.expiresOn?.description == "2028-02-01")

        try office.setNow("2028-02-01T02:00:00Z")
        _ = try office.bill(through: "2028-02-01")
        let domain = try #require(try Domain.list(customerId: customer, in: office.tenant.db).first)
        #expect(domain.expiresOn?.description == "2030-02-01")
        #expect(domain.status == .active)
        let domainSubscription = try #require(try Subscription.list(customerId: customer, in: office.tenant.db).first { $0.planId == "pln_domain-com" })
        let renewal = try #require(try office.renewalOrders(domainSubscription.id).first)
        // Two years again at 11.13.
        #expect(renewal.total == 2226)
        #expect(try renewal.lines(in: office.tenant.db).first?.description == "Renewal of contoso-dental.com, 2 years")
        #expect(try SSLCertificate.list(customerId: customer, in: office.tenant.db).first?.expiresOn?.description == "2029-02-01")
    }

    @Test("the run covers every reseller, or only the one asked for", arguments: NodeStore.all)
    func perReseller(store: NodeStore) throws {
        let office = try BackOfficeFixture(now: "2026-02-01T09:00:00Z", store: store)
        defer { office.remove() }
        let customer = try office.addCustomer("Contoso Dental GmbH")
        _ = try office.placeOrder(customer: customer, plan: "pln_m365-business-basic-m", quantity: 1)
        _ = try office.provision()
        try office.node.addReseller(id: "globex", name: "Globex", currency: "EUR")
        office.clock.advance(seconds: 19 * 86_400)  // 2026-02-20: the period end is within the 14 days a run may bill ahead
        #expect(try office.node.bill(through: BusinessDate("2026-03-01")!, resellerId: "globex").isEmpty)
        #expect(try office.onlySubscription(of: customer).periodEnd.description == "2026-03-01")
        #expect(throws: Node.AdminError.self) { try office.node.bill(through: BusinessDate("2026-03-01")!, resellerId: "initech") }
        let all = try office.node.bill(through: BusinessDate("2026-03-01")!)
        #expect(all.map(\.resellerId) == [BackOfficeFixture.reseller])
    }
}

extension BackOfficeFixture {
    /// The subscription's renewal orders, oldest first.
    func renewalOrders(_ subscriptionId: String) throws -> [Order] {
        try tenant.db.rows("SELECT * FROM orders WHERE subscription_id = ? AND type = 'renewal' ORDER BY number", [subscriptionId])
            .map(Order.init(row:))
    }
}
