import OutpostModel
import OutpostStore
import Testing

/// Places orders for `cus_ACME` (active) with the test catalog.
func place(_ planId: String, quantity: Int = 1, id: String = "ord_ONE", lineId: String = "oln_ONE", customerId: String = "cus_ACME",
           domain: String? = nil, commonName: String? = nil, transfer: Bool = false) -> PlaceOrder {
    var order = PlaceOrder(id: id, lineId: lineId, customerId: customerId, planId: planId, quantity: quantity)
    order.domainName = domain
    order.commonName = commonName
    order.transfer = transfer
    return order
}

@Suite("order.place")
struct PlaceOrderTests {
    func prepared(_ body: (Replica) throws -> Void) throws {
        try withTestReplica { replica in
            try seedCatalog(replica)
            try seedCustomer(replica, id: "cus_ACME")
            try body(replica)
        }
    }

    @Test func placeWritesAQueuedOrderWithOnePricedLine() throws {
        try prepared { replica in
            let entry = try submitAccepted(replica, place(TestPlan.seats, quantity: 5))
            let order = try Order.require("ord_ONE", in: replica.db)
            #expect(order.number == nil)
            #expect(order.displayNumber == "pending")
            #expect(order.customerId == "cus_ACME")
            #expect(order.subscriptionId == nil)
            #expect(order.type == .sales)
            #expect(order.status == .queued)
            #expect(order.cancelMode == nil)
            #expect(order.placedAt == testNow)
            #expect(order.total == 6_250)
            #expect(order.currency == "EUR")
            #expect(order.statusReason == "")
            #expect(order.version == 0)

            let lines = try order.lines(in: replica.db)
            #expect(lines.count == 1)
            let line = try #require(lines.first)
            #expect(line.id == "oln_ONE")
            #expect(line.orderId == "ord_ONE")
            #expect(line.planId == TestPlan.seats)
            #expect(line.description == "Office Seats")
            #expect(line.quantity == 5)
            #expect(line.unitPrice == 1_250)     // 10.00 + 25 %
            #expect(line.unitCost == 1_000)
            #expect(line.amount == 6_250)
            #expect(line.domainName == "")
            #expect(line.commonName == "")

            #expect(entry.changes.map(\.table) == ["orders", "order_line"])
            #expect(entry.args == #"{"customer_id":"cus_ACME","id":"ord_ONE","line_id":"oln_ONE","plan_id":"pln_seats","quantity":5,"transfer":false}"#)
            #expect(try Order.list(customerId: "cus_ACME", in: replica.db).map(\.id) == ["ord_ONE"])
            #expect(try Order.list(customerId: nil, status: .submitted, in: replica.db).isEmpty)
        }
    }

    @Test func theLargestQuantityIsAccepted() throws {
        try prepared { replica in
            try submitAccepted(replica, place(TestPlan.license, quantity: PlaceOrder.maximumQuantity))
            let order = try Order.require("ord_ONE", in: replica.db)
            #expect(order.total == 15_000 * 100_000)
            #expect(try order.lines(in: replica.db).first?.quantity == 100_000)
        }
    }

    @Test func domainRegistration() throws {
        try prepared { replica in
            try submitAccepted(replica, place(TestPlan.domain, quantity: 2, domain: "  Example.COM "))
            let order = try Order.require("ord_ONE", in: replica.db)
            #expect(order.type == .sales)
            #expect(order.total == 2_250)     // 2 × 11.25
            let line = try #require(try order.lines(in: replica.db).first)
            #expect(line.domainName == "example.com")
            #expect(line.commonName == "")
            #expect(line.description == "Registration of example.com, 2 years")
            #expect(line.unitPrice == 1_125)
        }
    }

    @Test func domainTransfer() throws {
        try prepared { replica in
            try submitAccepted(replica, place(TestPlan.domain, domain: "example.org.", transfer: true))
            let order = try Order.require("ord_ONE", in: replica.db)
            #expect(order.type == .transfer)
            let line = try #require(try order.lines(in: replica.db).first)
            #expect(line.domainName == "example.org")
            #expect(line.description == "Transfer of example.org, 1 year")
        }
    }

    @Test("valid domain names", arguments: ["example.com", "sub.example.co.uk", "xn--bcher-kva.de", "a-b.example", "123.example.com"])
    func validDomainNames(name: String) throws {
        try prepared { replica in
            try submitAccepted(replica, place(TestPlan.domain, domain: name))
            #expect(try Order.require("ord_ONE", in: replica.db).lines(in: replica.db).first?.domainName == name)
        }
    }

    @Test func sslCertificate() throws {
        try prepared { replica in
            try submitAccepted(replica, place(TestPlan.ssl, commonName: "*.Example.com"))
            let line = try #require(try Order.require("ord_ONE", in: replica.db).lines(in: replica.db).first)
            #expect(line.commonName == "*.example.com")
            #expect(line.domainName == "")
            #expect(line.description == "DV Certificate for *.example.com")
            #expect(line.unitPrice == 6_250)
            #expect(line.amount == 6_250)
        }
    }

    // MARK: refusals

    @Test func refusedForASuspendedOrClosedCustomer() throws {
        try prepared { replica in
            try seedCustomer(replica, id: "cus_SUSP", name: "Suspended", status: .suspended)
            try seedCustomer(replica, id: "cus_GONE", name: "Closed", status: .closed)
            let refusal = try assertRefusalWritesNothing(replica, place(TestPlan.seats, customerId: "cus_SUSP"),
                                                         code: .notAllowed, field: "customer_id")
            #expect(refusal?.message.contains("suspended") == true)
            try assertRefusalWritesNothing(replica, place(TestPlan.seats, customerId: "cus_GONE"), code: .notAllowed, field: "customer_id")
            try assertRefusalWritesNothing(replica, place(TestPlan.seats, customerId: "cus_NOBODY"), code: .notFound, field: "customer_id")
        }
    }

    @Test func refusedForAnUnavailableUnknownOrForeignCurrencyPlan() throws {
        try prepared { replica in
            let refusal = try assertRefusalWritesNothing(replica, place(TestPlan.retired), code: .notAllowed, field: "plan_id")
            #expect(refusal?.message.contains("no longer available") == true)
            try assertRefusalWritesNothing(replica, place("pln_nothing"), code: .notFound, field: "plan_id")
            try assertRefusalWritesNothing(replica, place(TestPlan.dollars), code: .notAllowed, field: "plan_id")
        }
    }

    @Test("quantities out of range are refused", arguments: [0, -3, 1_000_000_000, 100_001, Int.min, Int.max])
    func refusedQuantity(quantity: Int) throws {
        try prepared { replica in
            try assertRefusalWritesNothing(replica, place(TestPlan.seats, quantity: quantity), code: .invalid, field: "quantity")
        }
    }

    @Test func domainsAreRegisteredForAtMostTenYears() throws {
        try prepared { replica in
            try assertRefusalWritesNothing(replica, place(TestPlan.domain, quantity: 11, domain: "example.com"),
                                           code: .invalid, field: "quantity")
            try submitAccepted(replica, place(TestPlan.domain, quantity: 10, domain: "example.com"))
        }
    }

    @Test func aTotalThatOverflowsIsRefused() throws {
        try prepared { replica in
            // 8 × 1.25 × 10^18 does not fit in 64 bits.
            try assertRefusalWritesNothing(replica, place(TestPlan.huge, quantity: 8), code: .invalid, field: "quantity")
            try submitAccepted(replica, place(TestPlan.huge, quantity: 7))
            #expect(try Order.require("ord_ONE", in: replica.db).total == 8_750_000_000_000_000_000)
        }
    }

    @Test func domainPlanWithoutADomainName() throws {
        try prepared { replica in
            try assertRefusalWritesNothing(replica, place(TestPlan.domain, domain: nil), code: .invalid, field: "domain")
            try assertRefusalWritesNothing(replica, place(TestPlan.domain, domain: ""), code: .invalid, field: "domain")
        }
    }

    @Test("invalid domain names are refused", arguments: [
        "not a domain", "exa_mple.com", "localhost", "bücher.de", "-example.com", "example-.com", "example.123", "example..com",
        ".example.com", String(repeating: "a", count: 64) + ".com", "example.c", "http://example.com", "*.example.com",
    ])
    func invalidDomainName(name: String) throws {
        try prepared { replica in
            let refusal = try assertRefusalWritesNothing(replica, place(TestPlan.domain, domain: name), code: .invalid, field: "domain")
            if name == "bücher.de" {
                #expect(refusal?.message.contains("punycode") == true)
            }
        }
    }

    @Test func sslPlanWithoutOrWithABadCommonName() throws {
        try prepared { replica in
            let refusal = try assertRefusalWritesNothing(replica, place(TestPlan.ssl, commonName: nil), code: .invalid, field: "common_name")
            #expect(refusal?.message.contains("required") == true)
            try assertRefusalWritesNothing(replica, place(TestPlan.ssl, commonName: "  "), code: .invalid, field: "common_name")
            try assertRefusalWritesNothing(replica, place(TestPlan.ssl, commonName: "not valid"), code: .invalid, field: "common_name")
            try assertRefusalWritesNothing(replica, place(TestPlan.ssl, commonName: "*.com"), code: .invalid, field: "common_name")
            try assertRefusalWritesNothing(replica, place(TestPlan.ssl, commonName: "*"), code: .invalid, field: "common_name")
        }
    }

    @Test func aDomainAlreadyInAnOpenOrderIsRefused() throws {
        try prepared { replica in
            try submitAccepted(replica, place(TestPlan.domain, domain: "example.com"))
            let refusal = try assertRefusalWritesNothing(
                replica, place(TestPlan.domain, id: "ord_TWO", lineId: "oln_TWO", domain: "EXAMPLE.com"), code: .duplicate, field: "domain")
            #expect(refusal?.message.contains("ord_ONE") == true)
            // Also once the node has accepted (submitted) it, or while it is provisioning.
            for status in ["submitted", "provisioning"] {
                try setFact(replica, "orders", id: "ord_ONE", [("status", status)])
                try assertRefusalWritesNothing(replica, place(TestPlan.domain, id: "ord_TWO", lineId: "oln_TWO", domain: "example.com"),
                                               code: .duplicate, field: "domain")
            }
            // A rejected order frees the name.
            try setFact(replica, "orders", id: "ord_ONE", [("status", "rejected")])
            try submitAccepted(replica, place(TestPlan.domain, id: "ord_TWO", lineId: "oln_TWO", domain: "example.com"))
        }
    }

    @Test func aDomainAlreadyManagedIsRefused() throws {
        try prepared { replica in
            try replica.applyFacts { ctx in
                try ctx.insert("domain", [
                    ("id", "dom_ONE"), ("customer_id", "cus_ACME"), ("name", "example.com"), ("origin", "registration"),
                    ("status", "active"), ("registered_on", "2025-01-01"), ("expires_on", "2026-01-01"),
                ])
                try ctx.insert("domain", [
                    ("id", "dom_OLD"), ("customer_id", "cus_ACME"), ("name", "old.example"), ("origin", "registration"),
                    ("status", "transferred_out"),
                ])
            }
            try assertRefusalWritesNothing(replica, place(TestPlan.domain, domain: "example.com", transfer: true),
                                           code: .duplicate, field: "domain")
            // A domain that left is free again.
            try submitAccepted(replica, place(TestPlan.domain, domain: "old.example", transfer: true))
        }
    }

    @Test func onlyDomainPlansCanBeTransferred() throws {
        try prepared { replica in
            try assertRefusalWritesNothing(replica, place(TestPlan.seats, transfer: true), code: .invalid, field: "transfer")
        }
    }

    @Test func malformedIdsAreRefused() throws {
        try prepared { replica in
            try assertRefusalWritesNothing(replica, place(TestPlan.seats, id: "cus_X"), code: .invalid, field: "id")
            try assertRefusalWritesNothing(replica, place(TestPlan.seats, id: "ord_"), code: .invalid, field: "id")
            try assertRefusalWritesNothing(replica, place(TestPlan.seats, lineId: "ord_X"), code: .invalid, field: "line_id")
        }
    }

    @Test func aTakenOrderIdIsRefused() throws {
        try prepared { replica in
            try submitAccepted(replica, place(TestPlan.seats))
            try assertRefusalWritesNothing(replica, place(TestPlan.seats, lineId: "oln_TWO"), code: .duplicate, field: "id")
        }
    }

    @Test func aTakenLineIdIsRefused() throws {
        try prepared { replica in
            try submitAccepted(replica, place(TestPlan.seats))
            // A new order reusing a line id: must be a refusal, not a database error.
            try assertRefusalWritesNothing(replica, place(TestPlan.seats, id: "ord_TWO", lineId: "oln_ONE"), code: .duplicate, field: "line_id")
        }
    }
}

@Suite("order.change")
struct ChangeOrderTests {
    func prepared(status: Subscription.Status = .active, _ body: (Replica) throws -> Void) throws {
        try withTestReplica { replica in
            try seedCatalog(replica)
            try seedCustomer(replica, id: "cus_ACME")
            try seedSubscription(replica, id: "sub_SEATS", quantity: 5, status: status)
            try body(replica)
        }
    }

    func change(to quantity: Int, id: String = "ord_CHG", lineId: String = "oln_CHG", subscriptionId: String = "sub_SEATS") -> ChangeOrder {
        ChangeOrder(id: id, lineId: lineId, subscriptionId: subscriptionId, quantity: quantity, baseVersion: 0)
    }

    @Test func moreSeats() throws {
        try prepared { replica in
            let subscriptionBefore = try row(replica, "subscription", "sub_SEATS")
            let entry = try submitAccepted(replica, change(to: 8))
            let order = try Order.require("ord_CHG", in: replica.db)
            #expect(order.type == .change)
            #expect(order.status == .queued)
            #expect(order.number == nil)
            #expect(order.customerId == "cus_ACME")
            #expect(order.subscriptionId == "sub_SEATS")
            #expect(order.cancelMode == nil)
            #expect(order.total == 3_750)
            #expect(order.currency == "EUR")
            #expect(order.placedAt == testNow)
            let line = try #require(try order.lines(in: replica.db).first)
            #expect(line.id == "oln_CHG")
            #expect(line.planId == TestPlan.seats)
            #expect(line.quantity == 3)
            #expect(line.unitPrice == 1_250)
            #expect(line.unitCost == 1_000)
            #expect(line.amount == 3_750)
            #expect(line.description == "Office Seats: 5 → 8 seats")
            // The subscription itself changes when the node provisions the order.
            #expect(try row(replica, "subscription", "sub_SEATS") == subscriptionBefore)
            #expect(entry.args == #"{"base_version":0,"id":"ord_CHG","line_id":"oln_CHG","quantity":8,"subscription_id":"sub_SEATS"}"#)
        }
    }

    @Test func fewerSeats() throws {
        try prepared { replica in
            try submitAccepted(replica, change(to: 2))
            let order = try Order.require("ord_CHG", in: replica.db)
            #expect(order.total == -3_750)
            let line = try #require(try order.lines(in: replica.db).first)
            #expect(line.quantity == -3)
            #expect(line.amount == -3_750)
            #expect(line.description == "Office Seats: 5 → 2 seats")
        }
    }

    @Test func licenseSeatsCanChange() throws {
        try withTestReplica { replica in
            try seedCatalog(replica)
            try seedCustomer(replica)
            try seedSubscription(replica, id: "sub_LIC", planId: TestPlan.license, quantity: 10, unitPrice: 15_000, unitCost: 12_000)
            try submitAccepted(replica, change(to: 12, subscriptionId: "sub_LIC"))
            #expect(try Order.require("ord_CHG", in: replica.db).total == 30_000)
        }
    }

    @Test("only active subscriptions change", arguments: [Subscription.Status.suspended, .cancelled, .expired, .pending])
    func refusedOnANonActiveSubscription(status: Subscription.Status) throws {
        try prepared(status: status) { replica in
            let refusal = try assertRefusalWritesNothing(replica, change(to: 8), code: .notAllowed, field: "subscription_id")
            #expect(refusal?.message.contains(status.rawValue) == true)
        }
    }

    @Test func refusedForTheSameQuantity() throws {
        try prepared { replica in
            let refusal = try assertRefusalWritesNothing(replica, change(to: 5), code: .invalid, field: "quantity")
            #expect(refusal?.message.contains("already has 5") == true)
        }
    }

    @Test("quantities out of range are refused", arguments: [0, -3, 100_001, 1_000_000_000])
    func refusedQuantity(quantity: Int) throws {
        try prepared { replica in
            try assertRefusalWritesNothing(replica, change(to: quantity), code: .invalid, field: "quantity")
        }
    }

    @Test func otherRefusals() throws {
        try prepared { replica in
            try assertRefusalWritesNothing(replica, change(to: 8, subscriptionId: "sub_NOBODY"), code: .notFound, field: "subscription_id")
            try assertRefusalWritesNothing(replica, change(to: 8, id: "sub_X"), code: .invalid, field: "id")
            try assertRefusalWritesNothing(replica, change(to: 8, lineId: "ord_X"), code: .invalid, field: "line_id")

            // A domain subscription has no seats.
            try seedSubscription(replica, id: "sub_DOM", planId: TestPlan.domain, quantity: 1, unitPrice: 1_125, unitCost: 900)
            try assertRefusalWritesNothing(replica, change(to: 2, subscriptionId: "sub_DOM"), code: .notAllowed, field: "subscription_id")

            // A suspended customer cannot change orders.
            try setFact(replica, "customer", id: "cus_ACME", [("status", "suspended")])
            try assertRefusalWritesNothing(replica, change(to: 8), code: .notAllowed, field: "subscription_id")
        }
    }

    @Test func refusedWhileACancellationIsOpen() throws {
        try prepared { replica in
            try submitAccepted(replica, CancelOrder(id: "ord_CXL", lineId: "oln_CXL", subscriptionId: "sub_SEATS", when: .periodEnd, baseVersion: 0))
            let refusal = try assertRefusalWritesNothing(replica, change(to: 8), code: .notAllowed, field: "subscription_id")
            #expect(refusal?.message.contains("ord_CXL") == true)
        }
    }

    @Test func aTakenOrderIdIsRefused() throws {
        try prepared { replica in
            try submitAccepted(replica, change(to: 8))
            // A second change reusing the order id: must be a refusal, not a database error.
            try assertRefusalWritesNothing(replica, change(to: 9, lineId: "oln_CHG2"), code: .duplicate, field: "id")
        }
    }
}

@Suite("order.cancel")
struct CancelOrderTests {
    // The seeded subscription: 5 seats at 12.50 from 2026-01-15 to 2026-02-14 (30 days); today is 2026-01-31.
    func prepared(status: Subscription.Status = .active, periodStart: BusinessDate = day("2026-01-15"),
                  periodEnd: BusinessDate = day("2026-02-14"), cancelAtPeriodEnd: Bool = false,
                  _ body: (Replica) throws -> Void) throws {
        try withTestReplica { replica in
            try seedCatalog(replica)
            try seedCustomer(replica, id: "cus_ACME")
            try seedSubscription(replica, id: "sub_SEATS", quantity: 5, status: status, periodStart: periodStart, periodEnd: periodEnd,
                                 cancelAtPeriodEnd: cancelAtPeriodEnd)
            try body(replica)
        }
    }

    func cancel(_ when: Order.CancelMode, id: String = "ord_CXL", lineId: String = "oln_CXL",
                subscriptionId: String = "sub_SEATS") -> CancelOrder {
        CancelOrder(id: id, lineId: lineId, subscriptionId: subscriptionId, when: when, baseVersion: 0)
    }

    @Test func cancelNowCreditsTheRestOfThePeriod() throws {
        try prepared { replica in
            let subscriptionBefore = try row(replica, "subscription", "sub_SEATS")
            let entry = try submitAccepted(replica, cancel(.now))
            let order = try Order.require("ord_CXL", in: replica.db)
            #expect(order.type == .cancellation)
            #expect(order.cancelMode == .now)
            #expect(order.status == .queued)
            #expect(order.subscriptionId == "sub_SEATS")
            #expect(order.customerId == "cus_ACME")
            // 6250 × 14 / 30 days = 2916.67 → a credit of 29.17
            #expect(order.total == -2_917)
            #expect(order.total < 0)
            let line = try #require(try order.lines(in: replica.db).first)
            #expect(line.quantity == -5)
            #expect(line.unitPrice == 1_250)
            #expect(line.unitCost == 1_000)
            #expect(line.amount == -2_917)
            #expect(line.planId == TestPlan.seats)
            #expect(line.description == "Cancel Office Seats now (credit for the rest of the period)")
            #expect(try row(replica, "subscription", "sub_SEATS") == subscriptionBefore)
            #expect(entry.args == #"{"base_version":0,"id":"ord_CXL","line_id":"oln_CXL","subscription_id":"sub_SEATS","when":"now"}"#)
        }
    }

    @Test func cancelNowOnTheFirstDayCreditsEverything() throws {
        try prepared(periodStart: day("2026-01-31"), periodEnd: day("2026-03-02")) { replica in
            try submitAccepted(replica, cancel(.now))
            #expect(try Order.require("ord_CXL", in: replica.db).total == -6_250)
        }
    }

    @Test func cancelNowOnThePeriodsLastDayCreditsNothing() throws {
        try prepared(periodStart: day("2026-01-01"), periodEnd: day("2026-01-31")) { replica in
            try submitAccepted(replica, cancel(.now))
            #expect(try Order.require("ord_CXL", in: replica.db).total == 0)
        }
    }

    @Test func cancelAtPeriodEndCostsNothingNow() throws {
        try prepared { replica in
            try submitAccepted(replica, cancel(.periodEnd))
            let order = try Order.require("ord_CXL", in: replica.db)
            #expect(order.cancelMode == .periodEnd)
            #expect(order.total == 0)
            let line = try #require(try order.lines(in: replica.db).first)
            #expect(line.amount == 0)
            #expect(line.quantity == -5)
            #expect(line.description == "Cancel Office Seats at period end 2026-02-14")
            #expect(try replica.queue.pending().last?.args.contains(#""when":"period_end""#) == true)
        }
    }

    @Test("a second cancellation is refused", arguments: [Order.CancelMode.now, .periodEnd])
    func secondCancellationIsRefused(first: Order.CancelMode) throws {
        try prepared { replica in
            try submitAccepted(replica, cancel(first))
            for second in Order.CancelMode.allCases {
                let refusal = try assertRefusalWritesNothing(replica, cancel(second, id: "ord_CXL2", lineId: "oln_CXL2"),
                                                             code: .notAllowed, field: "subscription_id")
                #expect(refusal?.message.contains("open cancellation") == true)
            }
        }
    }

    @Test func periodEndRefusedWhenAlreadySetToEnd() throws {
        try prepared(cancelAtPeriodEnd: true) { replica in
            let refusal = try assertRefusalWritesNothing(replica, cancel(.periodEnd), code: .notAllowed, field: "subscription_id")
            #expect(refusal?.message.contains("2026-02-14") == true)
            // Ending it right away is still possible.
            try submitAccepted(replica, cancel(.now))
        }
    }

    @Test func aSuspendedSubscriptionCanBeCancelled() throws {
        try prepared(status: .suspended) { replica in
            try submitAccepted(replica, cancel(.now))
            #expect(try Order.require("ord_CXL", in: replica.db).total == -2_917)
        }
    }

    @Test("only active or suspended subscriptions can be cancelled", arguments: [Subscription.Status.cancelled, .expired, .pending])
    func refusedForFinishedSubscriptions(status: Subscription.Status) throws {
        try prepared(status: status) { replica in
            try assertRefusalWritesNothing(replica, cancel(.now), code: .notAllowed, field: "subscription_id")
        }
    }

    @Test func otherRefusals() throws {
        try prepared { replica in
            var bad = cancel(.now)
            bad.when = "tomorrow"
            try assertRefusalWritesNothing(replica, bad, code: .invalid, field: "when")
            try assertRefusalWritesNothing(replica, cancel(.now, subscriptionId: "sub_NOBODY"), code: .notFound, field: "subscription_id")
            try assertRefusalWritesNothing(replica, cancel(.now, id: "cxl_1"), code: .invalid, field: "id")
            try assertRefusalWritesNothing(replica, cancel(.now, lineId: "line_1"), code: .invalid, field: "line_id")
        }
    }

    @Test func aTakenOrderIdIsRefused() throws {
        try prepared { replica in
            try seedSubscription(replica, id: "sub_OTHER", quantity: 1)
            try submitAccepted(replica, cancel(.now))
            // Cancelling another subscription with the same order id: a refusal, not a database error.
            try assertRefusalWritesNothing(replica, cancel(.now, lineId: "oln_CXL2", subscriptionId: "sub_OTHER"), code: .duplicate, field: "id")
        }
    }
}

@Suite("Document numbers")
struct DocumentNumberTests {
    @Test func formatAndNext() throws {
        #expect(DocumentNumber.format(prefix: "ORD", 123) == "ORD-000123")
        #expect(DocumentNumber.format(prefix: "INV", 1_234_567) == "INV-1234567")
        try withTestReplica { replica in
            #expect(try DocumentNumber.next(prefix: "INV", table: "invoice", in: replica.db) == "INV-000001")
            try seedCustomer(replica)
            try seedInvoice(replica, id: "inv_A", number: "INV-000041")
            try seedInvoice(replica, id: "inv_B", number: nil)
            #expect(try DocumentNumber.next(prefix: "INV", table: "invoice", in: replica.db) == "INV-000042")
        }
    }

    @Test func theNodeNumbersAndSubmitsOrders() throws {
        try withTestReplica { replica in
            try seedCatalog(replica)
            try seedCustomer(replica)
            try replica.applyFacts { ctx in
                try place(TestPlan.seats, id: "ord_A", lineId: "oln_A").apply(in: ctx)
                try place(TestPlan.seats, id: "ord_B", lineId: "oln_B").apply(in: ctx)
            }
            let a = try Order.require("ord_A", in: replica.db)
            let b = try Order.require("ord_B", in: replica.db)
            #expect(a.number == "ORD-000001")
            #expect(a.status == .submitted)
            #expect(b.number == "ORD-000002")
            #expect(b.displayNumber == "ORD-000002")
            #expect(try replica.queue.count() == 0)
        }
    }
}
