import Foundation
import Testing
import OutpostModel
import OutpostStore
import OutpostTestSupport
@testable import OutpostSync
import OutpostFixtures
import OutpostTestThreads

/// `outpost node provision`: the provisioning queue, the built-in provisioner and `--hook`.
///
/// Prices are worked out by hand from the built-in catalog at the default 25 % markup
/// and a 19 % tax rate: sale price = cost × 1.25 and tax = subtotal × 0.19, each
/// rounded half away from zero to the cent.
@Suite("Provisioning", .ownThreads)
struct ProvisioningTests {
    // MARK: Sales, one per plan kind

    @Test("a subscription sale starts the subscription for one period and invoices price × seats + tax", arguments: NodeStore.all)
    func subscriptionSale(store: NodeStore) throws {
        let office = try BackOfficeFixture(now: "2026-02-01T09:00:00Z", store: store)
        defer { office.remove() }
        let customer = try office.addCustomer("Contoso Dental GmbH")
        // Microsoft 365 Business Basic (monthly): cost 4.60 → price 5.75.
        let order = try office.placeOrder(customer: customer, plan: "pln_m365-business-basic-m", quantity: 10)
        #expect(try office.order(order).status == .submitted)

        let outcomes = try office.provision()
        #expect(outcomes.map(\.orderId) == [order])
        #expect(outcomes.first?.status == .completed)
        #expect(outcomes.first?.invoiceNumbers == ["INV-000001"])

        let placed = try office.order(order)
        #expect(placed.status == .completed)
        #expect(placed.number == "ORD-000001")
        let subscription = try office.onlySubscription(of: customer)
        #expect(placed.subscriptionId == subscription.id)
        #expect(subscription.status == .active)
        #expect(subscription.orderId == order)
        #expect(subscription.quantity == 10)
        #expect(subscription.unitPrice == 575)
        #expect(subscription.unitCost == 460)
        #expect(subscription.periodStart.description == "2026-02-01")
        #expect(subscription.periodEnd.description == "2026-03-01")
        #expect(subscription.autoRenew && !subscription.cancelAtPeriodEnd)

        let invoice = try #require(try office.invoices(order: order).first)
        #expect(invoice.number == "INV-000001")
        #expect(invoice.issueDate.description == "2026-02-01")
        #expect(invoice.dueDate.description == "2026-03-03")  // 30 days' terms
        #expect(invoice.subtotal == 5750)  // 10 × 5.75
        #expect(invoice.tax == 1093)  // 1092.50 rounds up
        #expect(invoice.total == 6843)
        let line = try #require(try invoice.lines(in: office.tenant.db).first)
        #expect(line.subscriptionId == subscription.id)
        #expect(line.periodStart?.description == "2026-02-01")
        #expect(line.periodEnd?.description == "2026-03-01")
        #expect(line.quantity == 10 && line.unitPrice == 575 && line.amount == 5750)
        // No domain, certificate or license for a plain subscription.
        #expect(try office.count("domain") == 0 && office.count("ssl_certificate") == 0 && office.count("license") == 0)
    }

    @Test("a domain registration makes an active domain for the years ordered, and is invoiced per year", arguments: NodeStore.all)
    func domainRegistration(store: NodeStore) throws {
        let office = try BackOfficeFixture(now: "2026-02-01T09:00:00Z", store: store)
        defer { office.remove() }
        let customer = try office.addCustomer("Contoso Dental GmbH")
        // .com: cost 8.90 → price 11.125 → 11.13 per year; two years.
        let order = try office.placeOrder(customer: customer, plan: "pln_domain-com", quantity: 2, domain: "contoso-dental.com")
        #expect(try office.provision().first?.status == .completed)

        let subscription = try office.onlySubscription(of: customer)
        #expect(subscription.periodEnd.description == "2028-02-01")
        let domain = try #require(try Domain.list(customerId: customer, in: office.tenant.db).first)
        #expect(domain.name == "contoso-dental.com")
        #expect(domain.origin == .registration)
        #expect(domain.status == .active)
        #expect(domain.subscriptionId == subscription.id)
        #expect(domain.registeredOn?.description == "2026-02-01")
        #expect(domain.expiresOn?.description == "2028-02-01")
        #expect(domain.autoRenew)
        let invoice = try #require(try office.invoices(order: order).first)
        #expect(invoice.subtotal == 2226)  // 2 × 11.13
        #expect(invoice.tax == 423)  // 422.94
        #expect(invoice.total == 2649)
    }

    @Test("a domain transfer makes a domain whose origin is transfer", arguments: NodeStore.all)
    func domainTransfer(store: NodeStore) throws {
        let office = try BackOfficeFixture(now: "2026-02-01T09:00:00Z", store: store)
        defer { office.remove() }
        let customer = try office.addCustomer("Contoso Dental GmbH")
        let order = try office.placeOrder(customer: customer, plan: "pln_domain-de", quantity: 1, domain: "contoso-dental.de", transfer: true)
        #expect(try office.order(order).type == .transfer)
        #expect(try office.provision().first?.status == .completed)
        let domain = try #require(try Domain.list(customerId: customer, in: office.tenant.db).first)
        #expect(domain.origin == .transfer)
        #expect(domain.status == .active)
        #expect(domain.expiresOn?.description == "2027-02-01")
    }

    @Test("a domain let go and registered again gets its record back, active under the new subscription", arguments: NodeStore.all)
    func domainRegisteredAgain(store: NodeStore) throws {
        let office = try BackOfficeFixture(now: "2026-02-01T09:00:00Z", store: store)
        defer { office.remove() }
        let customer = try office.addCustomer("Contoso Dental GmbH")
        _ = try office.placeOrder(customer: customer, plan: "pln_domain-com", quantity: 1, domain: "contoso-dental.com")
        _ = try office.provision()
        let first = try office.onlySubscription(of: customer)
        _ = try office.cancel(first.id, when: .now)
        _ = try office.provision()
        #expect(try Domain.list(customerId: customer, in: office.tenant.db).map(\.status) == [.cancelled])

        try office.setNow("2026-03-01T09:00:00Z")
        _ = try office.placeOrder(customer: customer, plan: "pln_domain-com", quantity: 1, domain: "contoso-dental.com")
        #expect(try office.provision().first?.status == .completed)
        let domains = try Domain.list(customerId: customer, in: office.tenant.db)
        let second = try #require(try Subscription.list(customerId: customer, in: office.tenant.db).first { $0.id != first.id })
        #expect(domains.count == 1)
        #expect(domains.first?.status == .active)
        #expect(domains.first?.subscriptionId == second.id)
        #expect(domains.first?.registeredOn?.description == "2026-03-01")
        #expect(domains.first?.expiresOn?.description == "2027-03-01")
    }

    @Test("an SSL sale issues a certificate with the plan's validation, issued today and valid for the period", arguments: NodeStore.all)
    func sslSale(store: NodeStore) throws {
        let office = try BackOfficeFixture(now: "2026-02-01T09:00:00Z", store: store)
        defer { office.remove() }
        let customer = try office.addCustomer("Contoso Dental GmbH")
        // Sectigo PositiveSSL DV: cost 6.90 → price 8.625 → 8.63.
        let order = try office.placeOrder(customer: customer, plan: "pln_sectigo-positivessl-dv", quantity: 1, commonName: "www.contoso-dental.com")
        #expect(try office.provision().first?.status == .completed)
        let certificate = try #require(try SSLCertificate.list(customerId: customer, in: office.tenant.db).first)
        #expect(certificate.commonName == "www.contoso-dental.com")
        #expect(certificate.validation == .dv)
        #expect(certificate.status == .issued)
        #expect(certificate.issuedOn?.description == "2026-02-01")
        #expect(certificate.expiresOn?.description == "2027-02-01")
        #expect(certificate.subscriptionId == (try office.onlySubscription(of: customer)).id)
        let invoice = try #require(try office.invoices(order: order).first)
        #expect(invoice.subtotal == 863)
        #expect(invoice.tax == 164)  // 163.97
        #expect(invoice.total == 1027)
    }

    @Test("a license sale makes a license with a key, one seat per unit, expiring with the period", arguments: NodeStore.all)
    func licenseSale(store: NodeStore) throws {
        let office = try BackOfficeFixture(now: "2026-02-01T09:00:00Z", store: store)
        defer { office.remove() }
        let customer = try office.addCustomer("Contoso Dental GmbH")
        // Windows Server 2025 Standard 16-core: cost 899.00 → price 1,123.75.
        let order = try office.placeOrder(customer: customer, plan: "pln_win-server-2025-std-16c", quantity: 2)
        #expect(try office.provision().first?.status == .completed)
        let license = try #require(try License.list(customerId: customer, in: office.tenant.db).first)
        #expect(license.product == "Windows Server 2025 Standard 16-core")
        #expect(license.seats == 2)
        #expect(license.status == .active)
        #expect(license.expiresOn?.description == "2027-02-01")
        let groups = license.licenseKey.split(separator: "-")
        #expect(groups.count == 5 && groups.allSatisfy { $0.count == 5 }, "key \(license.licenseKey)")
        let invoice = try #require(try office.invoices(order: order).first)
        #expect(invoice.subtotal == 224_750)
        #expect(invoice.tax == 42_703)  // 42,702.50 rounds up
        #expect(invoice.total == 267_453)
    }

    @Test("orders are provisioned oldest first and numbered invoices follow, with every write in the change log", arguments: NodeStore.all)
    func queueOrderAndLog(store: NodeStore) throws {
        let office = try BackOfficeFixture(now: "2026-02-01T09:00:00Z", store: store)
        defer { office.remove() }
        let customer = try office.addCustomer("Contoso Dental GmbH")
        let first = try office.placeOrder(customer: customer, plan: "pln_m365-business-basic-m", quantity: 1)
        office.clock.advance(seconds: 60)
        let second = try office.placeOrder(customer: customer, plan: "pln_sectigo-positivessl-dv", quantity: 1, commonName: "mail.contoso.com")
        #expect(try office.queue().waiting().map(\.id) == [first, second])
        let before = try office.head()
        let outcomes = try office.provision()
        #expect(outcomes.map(\.orderId) == [first, second])
        #expect(outcomes.map(\.invoiceNumbers) == [["INV-000001"], ["INV-000002"]])
        #expect(try office.queue().waiting().isEmpty)
        // Everything the provisioning wrote is logged, so replicas pull it.
        for table in ["orders", "subscription", "invoice", "invoice_line", "ssl_certificate"] {
            #expect(try office.tenant.db.scalar("SELECT count(*) FROM change_log WHERE entity = ? AND version > ?", [table, before])?.int64 ?? 0 > 0,
                    "no change-log entry for \(table)")
        }
        let unlogged = try office.tenant.db.scalar("""
            SELECT count(*) FROM subscription s WHERE NOT EXISTS (SELECT 1 FROM change_log c WHERE c.entity = 'subscription' AND c.entity_id = s.id)
            """)?.int64
        #expect(unlogged == 0)
    }

    @Test("an order is never provisioned twice: a second run and a direct retry find nothing to do", arguments: NodeStore.all)
    func neverTwice(store: NodeStore) throws {
        let office = try BackOfficeFixture(now: "2026-02-01T09:00:00Z", store: store)
        defer { office.remove() }
        let customer = try office.addCustomer("Contoso Dental GmbH")
        let order = try office.placeOrder(customer: customer, plan: "pln_m365-business-basic-m", quantity: 3)
        #expect(try office.provision().count == 1)
        let head = try office.head()
        #expect(try office.provision().isEmpty)
        #expect(try office.queue().provision(order, with: BuiltInProvisioner()) == nil)
        #expect(try office.head() == head)
        #expect(try office.count("subscription") == 1 && office.count("invoice") == 1)

        // A second node process on the same directory sees the order taken too.
        let other = try Node.open(office.directory, clock: office.clock)
        #expect(try other.provision().isEmpty)
        #expect(try office.count("invoice") == 1)
    }

    // MARK: Seat changes

    @Test("a seat increase applies now and is charged by day for the rest of the period", arguments: NodeStore.all)
    func increaseProrated(store: NodeStore) throws {
        let office = try BackOfficeFixture(now: "2026-02-01T09:00:00Z", store: store)
        defer { office.remove() }
        let customer = try office.addCustomer("Contoso Dental GmbH")
        _ = try office.placeOrder(customer: customer, plan: "pln_m365-business-basic-m", quantity: 10)
        _ = try office.provision()
        let subscription = try office.onlySubscription(of: customer)

        try office.setNow("2026-02-11T10:00:00Z")
        let change = try office.changeSeats(subscription.id, to: 14)
        let outcome = try #require(try office.provision().first)
        #expect(outcome.status == .completed)
        #expect(outcome.invoiceNumbers == ["INV-000002"])
        #expect(try office.subscription(subscription.id).quantity == 14)

        // 4 more seats × 5.75 = 23.00 for a 28-day period (Feb 1 → Mar 1), 18 days left on Feb 11:
        // 2300 × 18 / 28 = 1478.57 → 14.79; tax 281.01 → 2.81.
        let invoice = try #require(try office.invoices(order: change).first)
        #expect(invoice.subtotal == 1479)
        #expect(invoice.tax == 281)
        #expect(invoice.total == 1760)
        #expect(invoice.issueDate.description == "2026-02-11")
        let line = try #require(try invoice.lines(in: office.tenant.db).first)
        #expect(line.quantity == 4)
        #expect(line.unitPrice == 575)
        #expect(line.periodStart?.description == "2026-02-11")
        #expect(line.periodEnd?.description == "2026-03-01")
    }

    @Test("a license's seats follow a seat increase", arguments: NodeStore.all)
    func licenseSeatsFollow(store: NodeStore) throws {
        let office = try BackOfficeFixture(now: "2026-02-01T09:00:00Z", store: store)
        defer { office.remove() }
        let customer = try office.addCustomer("Contoso Dental GmbH")
        _ = try office.placeOrder(customer: customer, plan: "pln_office-ltsc-std-2024", quantity: 5)
        _ = try office.provision()
        let subscription = try office.onlySubscription(of: customer)
        _ = try office.changeSeats(subscription.id, to: 8)
        _ = try office.provision()
        #expect(try License.list(customerId: customer, in: office.tenant.db).first?.seats == 8)
    }

    @Test("a seat decrease is completed but waits for the renewal; nothing is invoiced or credited now", arguments: NodeStore.all)
    func decreaseWaits(store: NodeStore) throws {
        let office = try BackOfficeFixture(now: "2026-02-01T09:00:00Z", store: store)
        defer { office.remove() }
        let customer = try office.addCustomer("Contoso Dental GmbH")
        _ = try office.placeOrder(customer: customer, plan: "pln_m365-business-basic-m", quantity: 10)
        _ = try office.provision()
        let subscription = try office.onlySubscription(of: customer)
        try office.setNow("2026-02-11T10:00:00Z")
        let change = try office.changeSeats(subscription.id, to: 6)
        let outcome = try #require(try office.provision().first)
        #expect(outcome.status == .completed)
        #expect(outcome.invoiceNumbers.isEmpty && outcome.creditNoteNumbers.isEmpty)
        #expect(try office.order(change).statusReason == "Effective at renewal on 2026-03-01: 10 → 6 seats")
        #expect(try office.subscription(subscription.id).quantity == 10)
        #expect(try office.count("invoice") == 1 && office.count("credit_note") == 0)
    }

    // MARK: Cancellations

    @Test("cancelling now ends the subscription and credits the unused days against its invoice", arguments: NodeStore.all)
    func cancelNowCredits(store: NodeStore) throws {
        let office = try BackOfficeFixture(now: "2026-02-01T09:00:00Z", store: store)
        defer { office.remove() }
        let customer = try office.addCustomer("Contoso Dental GmbH")
        let sale = try office.placeOrder(customer: customer, plan: "pln_m365-business-basic-m", quantity: 10)
        _ = try office.provision()
        let subscription = try office.onlySubscription(of: customer)
        let saleInvoice = try #require(try office.invoices(order: sale).first)

        try office.setNow("2026-02-11T10:00:00Z")
        let cancel = try office.cancel(subscription.id, when: .now)
        let outcome = try #require(try office.provision().first)
        #expect(outcome.status == .completed)
        #expect(outcome.creditNoteNumbers == ["CRN-000001"])

        // 10 × 5.75 = 57.50 for 28 days, 18 unused: 5750 × 18 / 28 = 3696.43 → 36.96; tax 702.24 → 7.02.
        let note = try #require(try CreditNote.list(customerId: customer, in: office.tenant.db).first)
        #expect(note.number == "CRN-000001")
        #expect(note.invoiceId == saleInvoice.id)
        #expect(note.issueDate.description == "2026-02-11")
        #expect(note.subtotal == 3696)
        #expect(note.tax == 702)
        #expect(note.total == 4398)
        let line = try #require(try note.lines(in: office.tenant.db).first)
        #expect(line.description == "Unused period of Microsoft 365 Business Basic (monthly), 2026-02-11 to 2026-03-01")
        #expect(try office.order(cancel).total == -3696)
        #expect(try office.order(cancel).status == .completed)

        let ended = try office.subscription(subscription.id)
        #expect(ended.status == .cancelled)
        #expect(!ended.autoRenew)
        let balance = try #require(try InvoiceBalance.of(saleInvoice.id, today: BusinessDate("2026-02-11")!, in: office.tenant.db))
        #expect(balance.credited == 4398)
        #expect(balance.outstanding == 6843 - 4398)
    }

    @Test("cancelling a certificate or a license now cancels the record too", arguments: NodeStore.all)
    func cancelNowEndsRecords(store: NodeStore) throws {
        let office = try BackOfficeFixture(now: "2026-02-01T09:00:00Z", store: store)
        defer { office.remove() }
        let customer = try office.addCustomer("Contoso Dental GmbH")
        _ = try office.placeOrder(customer: customer, plan: "pln_sectigo-positivessl-dv", quantity: 1, commonName: "shop.contoso.com")
        _ = try office.placeOrder(customer: customer, plan: "pln_office-ltsc-std-2024", quantity: 3)
        _ = try office.provision()
        try office.setNow("2026-05-01T10:00:00Z")
        for subscription in try Subscription.list(customerId: customer, in: office.tenant.db) {
            _ = try office.cancel(subscription.id, when: .now)
        }
        let outcomes = try office.provision()
        #expect(outcomes.count == 2 && outcomes.allSatisfy { $0.status == .completed && $0.creditNoteNumbers.count == 1 })
        #expect(try SSLCertificate.list(customerId: customer, in: office.tenant.db).map(\.status) == [.cancelled])
        #expect(try License.list(customerId: customer, in: office.tenant.db).map(\.status) == [.cancelled])
        #expect(try Subscription.list(customerId: customer, in: office.tenant.db).allSatisfy { $0.status == .cancelled })
    }

    @Test("cancelling at period end only flags the subscription; it stays active and invoiced as it was", arguments: NodeStore.all)
    func cancelAtPeriodEndFlags(store: NodeStore) throws {
        let office = try BackOfficeFixture(now: "2026-02-01T09:00:00Z", store: store)
        defer { office.remove() }
        let customer = try office.addCustomer("Contoso Dental GmbH")
        _ = try office.placeOrder(customer: customer, plan: "pln_domain-com", quantity: 1, domain: "contoso-dental.com")
        _ = try office.provision()
        let subscription = try office.onlySubscription(of: customer)
        let cancel = try office.cancel(subscription.id, when: .periodEnd)
        let outcome = try #require(try office.provision().first)
        #expect(outcome.status == .completed)
        #expect(outcome.creditNoteNumbers.isEmpty)
        #expect(try office.order(cancel).status == .completed)
        let flagged = try office.subscription(subscription.id)
        #expect(flagged.status == .active)
        #expect(flagged.cancelAtPeriodEnd)
        #expect(!flagged.autoRenew)
        let domain = try #require(try Domain.list(customerId: customer, in: office.tenant.db).first)
        #expect(domain.status == .active)
        #expect(!domain.autoRenew)
        #expect(try office.count("credit_note") == 0)
    }

    @Test("an order that can no longer take effect fails with the reason (a change on a cancelled subscription)", arguments: NodeStore.all)
    func staleOrderFails(store: NodeStore) throws {
        let office = try BackOfficeFixture(now: "2026-02-01T09:00:00Z", store: store)
        defer { office.remove() }
        let customer = try office.addCustomer("Contoso Dental GmbH")
        _ = try office.placeOrder(customer: customer, plan: "pln_m365-business-basic-m", quantity: 10)
        _ = try office.provision()
        let subscription = try office.onlySubscription(of: customer)
        // Both accepted while the subscription was active; the cancellation happens to be provisioned first.
        let change = try office.changeSeats(subscription.id, to: 12)
        office.clock.advance(seconds: 60)
        let cancel = try office.cancel(subscription.id, when: .now)
        #expect(try office.queue().provision(cancel, with: BuiltInProvisioner())?.status == .completed)
        let outcomes = try office.provision()
        #expect(outcomes.map(\.orderId) == [change])
        #expect(outcomes.map(\.status) == [.failed])
        #expect(try office.order(change).statusReason == "subscription \(subscription.id) is cancelled; cannot change seats on it")
        #expect(try office.count("invoice") == 1)
    }

    // MARK: Hooks

    @Test("a hook that fails marks the order failed with its reason; nothing is created or invoiced", arguments: NodeStore.all)
    func failingHook(store: NodeStore) throws {
        let office = try BackOfficeFixture(now: "2026-02-01T09:00:00Z", store: store)
        defer { office.remove() }
        let customer = try office.addCustomer("Contoso Dental GmbH")
        let order = try office.placeOrder(customer: customer, plan: "pln_office-ltsc-std-2024", quantity: 2)
        let hook = try office.script("fail.sh", """
            cat > /dev/null
            echo '{"status": "failed", "reason": "vendor refused: no stock for Office LTSC"}'
            exit 3
            """)
        let outcome = try #require(try office.provision(with: HookProvisioner(command: "sh \(hook)", timeLimit: 20)).first)
        #expect(outcome.status == .failed)
        let failed = try office.order(order)
        #expect(failed.status == .failed)
        #expect(failed.statusReason == "vendor refused: no stock for Office LTSC")
        #expect(try office.count("subscription") == 0 && office.count("license") == 0 && office.count("invoice") == 0)
        // A failed order is not provisioned again until it is resubmitted.
        #expect(try office.provision().isEmpty)
    }

    @Test("a hook's non-zero exit without an answer fails the order with its last stderr line", arguments: NodeStore.all)
    func hookExitStatus(store: NodeStore) throws {
        let office = try BackOfficeFixture(now: "2026-02-01T09:00:00Z", store: store)
        defer { office.remove() }
        let customer = try office.addCustomer("Contoso Dental GmbH")
        let order = try office.placeOrder(customer: customer, plan: "pln_m365-business-basic-m", quantity: 1)
        let hook = HookProvisioner(command: "cat > /dev/null; echo 'connecting…' >&2; echo 'vendor API: 503 Service Unavailable' >&2; exit 2",
                                   timeLimit: 20)
        _ = try office.provision(with: hook)
        #expect(try office.order(order).statusReason == "hook exited with status 2: vendor API: 503 Service Unavailable")
        #expect(try office.order(order).status == .failed)
    }

    @Test("a hook answering exit 0 without a completed status, or with a bad date, fails the order", arguments: NodeStore.all)
    func hookBadAnswers(store: NodeStore) throws {
        let office = try BackOfficeFixture(now: "2026-02-01T09:00:00Z", store: store)
        defer { office.remove() }
        let customer = try office.addCustomer("Contoso Dental GmbH")
        let answers = [
            ("true", "hook exited with status 0 but printed no answer; expected {\"status\": \"completed\"}"),
            ("echo 'all good'", "hook answer is not a JSON object: all good"),
            ("echo '{\"status\": \"done\"}'", "hook answer needs \"status\": \"completed\" or \"failed\", got {\"status\": \"done\"}"),
            ("echo '{\"status\": \"completed\", \"expires_on\": \"next year\"}'", "hook answer: expires_on must be a date like 2027-01-31"),
        ]
        for (command, reason) in answers {
            let order = try office.placeOrder(customer: customer, plan: "pln_m365-business-basic-m", quantity: 1)
            _ = try office.provision(with: HookProvisioner(command: "cat > /dev/null; " + command, timeLimit: 20))
            #expect(try office.order(order).status == .failed)
            #expect(try office.order(order).statusReason == reason)
        }
        #expect(try office.count("subscription") == 0)
    }

    @Test("a failed order resubmitted goes back to the queue and is provisioned by a succeeding hook with its answer", arguments: NodeStore.all)
    func resubmitThenSucceed(store: NodeStore) throws {
        let office = try BackOfficeFixture(now: "2026-02-01T09:00:00Z", store: store)
        defer { office.remove() }
        let customer = try office.addCustomer("Contoso Dental GmbH")
        let order = try office.placeOrder(customer: customer, plan: "pln_office-ltsc-std-2024", quantity: 2)
        let failing = HookProvisioner(command: "cat > /dev/null; echo '{\"status\":\"failed\",\"reason\":\"vendor offline\"}'", timeLimit: 20)
        _ = try office.provision(with: failing)
        #expect(try office.order(order).status == .failed)

        #expect(throws: BackOfficeError.self) { try office.node.resubmit(order: "ord_NOSUCHORDER") }
        // By its number, as `node provision` printed it.
        let (reseller, resubmission) = try office.node.resubmit(order: "ORD-000001")
        #expect(reseller == BackOfficeFixture.reseller)
        #expect(resubmission.order.id == order)
        #expect(resubmission.order.status == .submitted)
        #expect(resubmission.order.statusReason.isEmpty)
        #expect(resubmission.applied == nil)
        #expect(try office.queue().waiting().map(\.id) == [order])

        let seen = office.directory.appendingPathComponent("seen.json")
        let succeeding = try office.script("succeed.sh", """
            cat > "\(seen.path)"
            echo "order $OUTPOST_ORDER_NUMBER for $OUTPOST_RESELLER" >&2
            echo '{"status": "completed", "license_key": "OFFICE-LTSC-0001", "expires_on": "2027-03-31"}'
            """)
        let outcome = try #require(try office.provision(with: HookProvisioner(command: "sh \(succeeding)", timeLimit: 20)).first)
        #expect(outcome.status == .completed)
        #expect(try office.order(order).status == .completed)
        let license = try #require(try License.list(customerId: customer, in: office.tenant.db).first)
        #expect(license.licenseKey == "OFFICE-LTSC-0001")
        #expect(license.expiresOn?.description == "2027-03-31")
        #expect(license.seats == 2)
        #expect(try office.invoices(order: order).count == 1)

        // What the hook read: the order, its lines, the customer and the plan.
        let input = try JSONValue(parsing: String(contentsOf: seen, encoding: .utf8))
        #expect(input["order"]?["id"]?.stringValue == order)
        #expect(input["order"]?["number"]?.stringValue == "ORD-000001")
        #expect(input["order"]?["type"]?.stringValue == "sales")
        #expect(input["order"]?["status"]?.stringValue == "provisioning")
        #expect(input["lines"]?.arrayValue?.first?["quantity"]?.integerValue == 2)
        #expect(input["customer"]?["name"]?.stringValue == "Contoso Dental GmbH")
        #expect(input["customer"]?["id"]?.stringValue == customer)
        #expect(input["plan"]?["kind"]?.stringValue == "license")
        #expect(input["reseller"]?.stringValue == BackOfficeFixture.reseller)
        // The same key as the failed first call had: the vendor can tell it is the same order.
        #expect(input["idempotency_key"]?.stringValue == ProvisioningRequest.idempotencyKey(resellerId: BackOfficeFixture.reseller, orderId: order))

        // A completed order is not resubmitted: it says why.
        let completed = #expect(throws: BackOfficeError.self) { try office.node.resubmit(order: order) }
        #expect(completed?.message.contains("already completed") == true, "\(String(describing: completed))")
    }

    @Test("a hook that hangs is killed after the time limit, with everything it started, and the order fails", arguments: NodeStore.all)
    func hangingHook(store: NodeStore) throws {
        let office = try BackOfficeFixture(now: "2026-02-01T09:00:00Z", store: store)
        defer { office.remove() }
        let customer = try office.addCustomer("Contoso Dental GmbH")
        let order = try office.placeOrder(customer: customer, plan: "pln_m365-business-basic-m", quantity: 1)
        let pidFile = office.directory.appendingPathComponent("sleep.pid")
        // The shell's child `sleep` holds stdout open: killing only the shell would leave it running.
        let hook = HookProvisioner(command: "cat > /dev/null; sleep 30 & echo $! > '\(pidFile.path)'; wait; echo '{\"status\":\"completed\"}'",
                                   timeLimit: 1)
        let started = Date()
        let outcome = try #require(try office.provision(with: hook).first)
        let elapsed = Date().timeIntervalSince(started)
        #expect(outcome.status == .failed)
        #expect(elapsed < 10, "the hook was not killed after 1 s (took \(elapsed) s)")
        #expect(try office.order(order).status == .failed)
        #expect(try office.order(order).statusReason == "hook did not answer within 1 s and was killed")
        #expect(try office.count("subscription") == 0)
        let pid = try #require(Int32(String(contentsOf: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(Self.isGone(pid), "the hook's child \(pid) survived the timeout")
    }

    /// Whether a process has ended (gone, or a zombie waiting for a reaper that is not us).
    static func isGone(_ pid: Int32) -> Bool {
        for _ in 0..<100 {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
            if let close = stat.lastIndex(of: ")"), stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z") { return true }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return false
    }

    @Test("a hook that does not read its input still answers (no broken pipe takes the node down)", arguments: NodeStore.all)
    func hookIgnoringInput(store: NodeStore) throws {
        let office = try BackOfficeFixture(now: "2026-02-01T09:00:00Z", store: store)
        defer { office.remove() }
        let customer = try office.addCustomer("Contoso Dental GmbH")
        let order = try office.placeOrder(customer: customer, plan: "pln_m365-business-basic-m", quantity: 1)
        _ = try office.provision(with: HookProvisioner(command: "echo '{\"status\":\"completed\"}'", timeLimit: 20))
        #expect(try office.order(order).status == .completed)
    }

    @Test("a hook that answers and exits is done, even if something it started still holds its output open", arguments: NodeStore.all)
    func hookLeavingBackgroundWork(store: NodeStore) throws {
        let office = try BackOfficeFixture(now: "2026-02-01T09:00:00Z", store: store)
        defer { office.remove() }
        let customer = try office.addCustomer("Contoso Dental GmbH")
        let order = try office.placeOrder(customer: customer, plan: "pln_m365-business-basic-m", quantity: 1)
        let started = Date()
        _ = try office.provision(with: HookProvisioner(command: "cat > /dev/null; (sleep 8 &); echo '{\"status\":\"completed\"}'", timeLimit: 20))
        #expect(Date().timeIntervalSince(started) < 6)
        #expect(try office.order(order).status == .completed)
    }

    // MARK: The command line

    @Test("end to end: outpost node provision and node bill, a failing --hook, node order resubmit", arguments: NodeStore.all)
    func commandLine(store: NodeStore) throws {
        let office = try BackOfficeFixture(now: "2026-02-01T09:00:00Z", store: store)
        defer { office.remove() }
        let customer = try office.addCustomer("Contoso Dental GmbH")
        let sale = try office.placeOrder(customer: customer, plan: "pln_m365-business-basic-m", quantity: 10)
        let license = try office.placeOrder(customer: customer, plan: "pln_office-ltsc-std-2024", quantity: 1)
        let node = office.directory.path
        let environment = ["OUTPOST_NOW": "2026-02-01T10:00:00Z"]

        // The license order fails at the vendor; the sale completes.
        let hook = try office.script("vendor.sh", """
            input=$(cat)
            case "$input" in
              *'"kind":"license"'*) echo '{"status":"failed","reason":"license server unreachable"}'; exit 1 ;;
              *) echo '{"status":"completed"}' ;;
            esac
            """)
        let provisioned = try OutpostBinary.run(["node", "provision", node, "--hook", "sh \(hook)", "--hook-timeout", "20"],
                                                environment: environment, in: office.directory)
        #expect(provisioned.status == 1, "\(provisioned)")
        #expect(provisioned.stdout.contains("ORD-000001") && provisioned.stdout.contains("INV-000001"), "\(provisioned.stdout)")
        #expect(provisioned.stdout.contains("license server unreachable"))
        #expect(provisioned.stdout.contains("Provisioned 2 order(s): 1 completed, 1 failed."))
        #expect(provisioned.stderr.contains("outpost node order resubmit"))
        #expect(try office.order(sale).status == .completed)
        #expect(try office.order(license).status == .failed)

        let resubmitted = try OutpostBinary.run(["node", "order", "resubmit", license, "--node", node], environment: environment, in: office.directory)
        #expect(resubmitted.status == 0, "\(resubmitted)")
        #expect(try office.order(license).status == .submitted)
        let retried = try OutpostBinary.run(["node", "provision", node, "--builtin", "--json"], environment: environment, in: office.directory)
        #expect(retried.status == 0, "\(retried)")
        let retriedJSON = try JSONValue(parsing: retried.stdout)
        #expect(retriedJSON.arrayValue?.first?["order_id"]?.stringValue == license)
        #expect(retriedJSON.arrayValue?.first?["status"]?.stringValue == "completed")
        #expect(try office.order(license).status == .completed)

        // Billing a period that ends 2026-03-01 is allowed from 2026-02-15 on (14 days ahead by default).
        let billingDay = ["OUTPOST_NOW": "2026-02-20T10:00:00Z"]
        let billed = try OutpostBinary.run(["node", "bill", node, "--through", "2026-03-01"], environment: billingDay, in: office.directory)
        #expect(billed.status == 0, "\(billed)")
        #expect(billed.stdout.contains("Billed through 2026-03-01: 1 renewed (1 invoice(s)), 0 cancelled, 0 expired."), "\(billed.stdout)")
        let head = try office.head()
        let again = try OutpostBinary.run(["node", "bill", node, "--through", "2026-03-01"], environment: billingDay, in: office.directory)
        #expect(again.status == 0)
        #expect(again.stdout == "Nothing to bill through 2026-03-01.\n")
        #expect(try office.head() == head)

        let badDate = try OutpostBinary.run(["node", "bill", node, "--through", "March"], environment: environment, in: office.directory)
        #expect(badDate.status == 65)
        let missing = try OutpostBinary.run(["node", "provision", office.directory.appendingPathComponent("nope").path, "--builtin"],
                                            environment: environment, in: office.directory)
        #expect(missing.status == 66, "\(missing)")
        let unknown = try OutpostBinary.run(["node", "provision", node, "--builtin", "--reseller", "globex"], environment: environment, in: office.directory)
        #expect(unknown.status == 65, "\(unknown)")
    }
}

// MARK: - Fixture

/// A clock tests move forward by hand.
final class SteppingClock: Clock, @unchecked Sendable {
    // @unchecked: `instant` is only touched under `lock`.
    private let lock = NSLock()
    private var instant: Timestamp

    init(_ instant: Timestamp) {
        self.instant = instant
    }

    func now() -> Timestamp {
        lock.lock()
        defer { lock.unlock() }
        return instant
    }

    func set(_ instant: Timestamp) {
        lock.lock()
        self.instant = instant
        lock.unlock()
    }

    func advance(seconds: Int64) { set(now().adding(seconds: seconds)) }
}

/// A node in a temporary directory with one reseller (`acme`, EUR, 19 % tax), the built-in
/// catalog, and helpers that push the reseller's orders as a replica would.
final class BackOfficeFixture {
    static let reseller = "acme"
    static let replica = "rep_01BACKOFFICETEST"

    let directory: URL
    let clock: SteppingClock
    let node: Node
    let tenant: Tenant
    /// The PostgreSQL database the node lives in, for a `.postgresql` fixture (dropped with the fixture).
    let database: TestDatabase?
    private let ids: IdentifierFactory
    private var seq: Int64 = 0

    init(now: String, taxRateBp: Int = 1900, store: NodeStore = .sqlite) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("outpost-backoffice-\(UUID().uuidString)")
        clock = SteppingClock(try #require(Timestamp(now)))
        ids = IdentifierFactory(clock: clock)
        database = try store.makeDatabase()
        do {
            if let database {
                node = try Node.create(at: directory, store: try database.store, clock: clock)
            } else {
                node = try Node.create(at: directory, clock: clock)
            }
            try node.upsertPlans(try Catalog.plans())
            try node.addReseller(id: Self.reseller, name: "Acme Cloud", currency: "EUR")
            tenant = try node.tenant(Self.reseller)
            try tenant.record(now: clock.now()) { context in
                try context.update("settings", id: "settings", [("tax_rate_bp", taxRateBp), ("payment_terms_days", 30)])
            }
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }

    func setNow(_ text: String) throws {
        clock.set(try #require(Timestamp(text)))
    }

    // MARK: What a replica pushes

    /// Pushes one mutation, made now, and requires the node to apply it.
    func push(_ mutation: any Mutation, sourceLocation: SourceLocation = #_sourceLocation) throws {
        seq += 1
        let pushed = PushedMutation(seq: seq, name: type(of: mutation).name, version: type(of: mutation).version,
                                    args: try JSONValue(parsing: MutationCatalogue.encode(mutation)), createdAt: clock.now())
        let response = try tenant.push(PushRequest(replica: Self.replica, mutations: [pushed]))
        let verdict = try #require(response.verdicts.first, sourceLocation: sourceLocation)
        try #require(verdict.status == .applied, "\(type(of: mutation).name) refused: \(verdict.message ?? "?")", sourceLocation: sourceLocation)
    }

    func addCustomer(_ name: String) throws -> String {
        let id = ids.make("cus")
        try push(CreateCustomer(id: id, name: name))
        return id
    }

    func placeOrder(customer: String, plan: String, quantity: Int, domain: String? = nil, commonName: String? = nil,
                    transfer: Bool = false) throws -> String {
        var order = PlaceOrder(id: ids.make("ord"), lineId: ids.make("oln"), customerId: customer, planId: plan, quantity: quantity)
        order.domainName = domain
        order.commonName = commonName
        order.transfer = transfer
        try push(order)
        return order.id
    }

    func changeSeats(_ subscriptionId: String, to quantity: Int) throws -> String {
        let id = ids.make("ord")
        try push(ChangeOrder(id: id, lineId: ids.make("oln"), subscriptionId: subscriptionId, quantity: quantity,
                             baseVersion: try subscription(subscriptionId).version))
        return id
    }

    func cancel(_ subscriptionId: String, when: Order.CancelMode) throws -> String {
        let id = ids.make("ord")
        try push(CancelOrder(id: id, lineId: ids.make("oln"), subscriptionId: subscriptionId, when: when,
                             baseVersion: try subscription(subscriptionId).version))
        return id
    }

    // MARK: The back office

    func queue() -> ProvisioningQueue { ProvisioningQueue(tenant: tenant, clock: clock) }

    func provision(with provisioner: any Provisioner = BuiltInProvisioner()) throws -> [ProvisioningOutcome] {
        try node.provision(resellerId: Self.reseller, with: provisioner)
    }

    /// The billing run itself, on any date: the node's advance-billing window (`Node.bill`) is tested on its own.
    func bill(through date: String) throws -> [BillingOutcome] {
        try BillingRun(tenant: tenant, clock: clock).run(through: try #require(BusinessDate(date)))
    }

    /// An executable shell script in the fixture's directory; returns its path.
    func script(_ name: String, _ body: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try ("#!/bin/sh\n" + body + "\n").write(to: url, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
        return url.path
    }

    // MARK: Reading the node

    func order(_ id: String) throws -> Order { try Order.require(id, in: tenant.db) }

    func subscription(_ id: String) throws -> Subscription { try Subscription.require(id, in: tenant.db) }

    func onlySubscription(of customer: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Subscription {
        let all = try Subscription.list(customerId: customer, in: tenant.db)
        try #require(all.count == 1, "expected one subscription, found \(all.count)", sourceLocation: sourceLocation)
        return all[0]
    }

    func invoices(order: String) throws -> [Invoice] {
        try tenant.db.rows("SELECT * FROM invoice WHERE order_id = ? ORDER BY number", [order]).map(Invoice.init(row:))
    }

    func count(_ table: String) throws -> Int64 {
        let known = ["orders", "subscription", "invoice", "invoice_line", "credit_note", "domain", "ssl_certificate", "license"]
        precondition(known.contains(table))
        return try tenant.db.scalar("SELECT count(*) FROM \(table)")?.int64 ?? 0
    }

    /// The change log's head: unchanged means nothing was written (or replicated).
    func head() throws -> Int64 {
        try tenant.db.scalar("SELECT coalesce(max(version), 0) FROM change_log")?.int64 ?? 0
    }
}
