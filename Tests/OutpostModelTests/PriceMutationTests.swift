import OutpostModel
import OutpostStore
import Testing

@Suite("price.set_markup")
struct PriceMutationTests {
    func prepared(_ body: (Replica) throws -> Void) throws {
        try withTestReplica { replica in
            try seedCatalog(replica)
            try seedCustomer(replica, id: "cus_ACME")
            try body(replica)
        }
    }

    @Test func theDefaultRuleIsTheWizards25Percent() throws {
        try prepared { replica in
            let rules = try PriceRule.list(in: replica.db)
            #expect(rules.count == 1)
            #expect(rules.first?.id == PriceRule.defaultId)
            #expect(rules.first?.id == "prc_default")
            #expect(rules.first?.planId == nil)
            #expect(rules.first?.markupBp == 2_500)
            #expect(try PriceRule.defaultMarkup(in: replica.db) == 2_500)
            #expect(try PriceRule.markup(forPlan: TestPlan.seats, in: replica.db) == 2_500)
        }
    }

    @Test func setTheDefaultMarkup() throws {
        try prepared { replica in
            let entry = try submitAccepted(replica, SetMarkup(planId: nil, markupBp: 3_000, baseVersion: 0))
            let rule = try #require(try PriceRule.list(in: replica.db).first)
            #expect(rule.id == "prc_default")
            #expect(rule.planId == nil)
            #expect(rule.markupBp == 3_000)
            #expect(try count(replica, "price_rule") == 1)
            #expect(entry.args == #"{"base_version":0,"markup_bp":3000}"#)
            #expect(entry.changes.count == 1)
            #expect(entry.changes.first?.changedColumns == ["markup_bp"])
            #expect(try ResellerSettings.load(from: replica.db).defaultMarkupBp == 3_000)
            // The next order is priced with it.
            try submitAccepted(replica, place(TestPlan.seats, quantity: 2))
            #expect(try Order.require("ord_ONE", in: replica.db).lines(in: replica.db).first?.unitPrice == 1_300)
        }
    }

    @Test func aPerPlanRuleHasAStableIdAndPricesTheNextOrder() throws {
        try prepared { replica in
            let entry = try submitAccepted(replica, SetMarkup(planId: TestPlan.seats, markupBp: 5_000, baseVersion: 0))
            let id = PriceRule.id(forPlan: TestPlan.seats)
            #expect(id == "prc_" + TestPlan.seats)
            let rule = try #require(try PriceRule.list(in: replica.db).first { $0.planId == TestPlan.seats })
            #expect(rule.id == "prc_pln_seats")
            #expect(rule.markupBp == 5_000)
            #expect(rule.version == 0)
            #expect(entry.args == #"{"base_version":0,"markup_bp":5000,"plan_id":"pln_seats"}"#)
            #expect(entry.changes.first?.before == nil)

            // The plan's own rule wins over the default; other plans keep the default.
            #expect(try PriceRule.markup(forPlan: TestPlan.seats, in: replica.db) == 5_000)
            #expect(try PriceRule.markup(forPlan: TestPlan.license, in: replica.db) == 2_500)
            try submitAccepted(replica, place(TestPlan.seats, quantity: 3))
            let line = try #require(try Order.require("ord_ONE", in: replica.db).lines(in: replica.db).first)
            #expect(line.unitPrice == 1_500)
            #expect(line.amount == 4_500)
            try submitAccepted(replica, place(TestPlan.license, id: "ord_TWO", lineId: "oln_TWO"))
            #expect(try Order.require("ord_TWO", in: replica.db).total == 15_000)

            // Setting it again updates the same row.
            try submitAccepted(replica, SetMarkup(planId: TestPlan.seats, markupBp: 1_000, baseVersion: 0))
            #expect(try count(replica, "price_rule") == 2)
            #expect(try PriceRule.markup(forPlan: TestPlan.seats, in: replica.db) == 1_000)
            #expect(try replica.queue.pending().last?.changes.first?.before?["markup_bp"] == .integer(5_000))
        }
    }

    @Test("the bounds 0 % and 1000 % are accepted", arguments: [(0, Int64(1_000)), (100_000, Int64(11_000))])
    func boundsAccepted(markup: Int, unitPrice: Int64) throws {
        try prepared { replica in
            try submitAccepted(replica, SetMarkup(planId: nil, markupBp: markup, baseVersion: 0))
            #expect(try PriceRule.defaultMarkup(in: replica.db) == markup)
            try submitAccepted(replica, SetMarkup(planId: TestPlan.license, markupBp: markup, baseVersion: 0))
            #expect(try PriceRule.markup(forPlan: TestPlan.license, in: replica.db) == markup)
            try submitAccepted(replica, place(TestPlan.seats))
            #expect(try Order.require("ord_ONE", in: replica.db).total == unitPrice)
        }
    }

    @Test("markups out of range are refused", arguments: [100_001, -1, Int.max, Int.min])
    func outOfRange(markup: Int) throws {
        try prepared { replica in
            try assertRefusalWritesNothing(replica, SetMarkup(planId: nil, markupBp: markup, baseVersion: 0), code: .invalid, field: "markup")
            try assertRefusalWritesNothing(replica, SetMarkup(planId: TestPlan.seats, markupBp: markup, baseVersion: 0),
                                           code: .invalid, field: "markup")
        }
    }

    @Test func anUnknownPlanIsRefused() throws {
        try prepared { replica in
            try assertRefusalWritesNothing(replica, SetMarkup(planId: "pln_nothing", markupBp: 1_000, baseVersion: 0),
                                           code: .notFound, field: "plan_id")
        }
    }

    @Test func planPricesShowCostMarkupPriceAndMargin() throws {
        try prepared { replica in
            try submitAccepted(replica, SetMarkup(planId: TestPlan.license, markupBp: 10_000, baseVersion: 0))
            let prices = try PlanPrice.list(in: replica.db)
            let seats = try #require(prices.first { $0.plan.id == TestPlan.seats })
            #expect(seats.markupBp == 2_500)
            #expect(!seats.ownRule)
            #expect(seats.price == 1_250)
            #expect(seats.marginBp == 2_000)
            let license = try #require(prices.first { $0.plan.id == TestPlan.license })
            #expect(license.markupBp == 10_000)
            #expect(license.ownRule)
            #expect(license.price == 24_000)
            #expect(license.marginBp == 5_000)
        }
    }
}

@Suite("Plan catalog facts")
struct PlanTests {
    @Test func upsertInsertsThenUpdates() throws {
        try withTestReplica { replica in
            try seedCatalog(replica)
            let seats = try Plan.require(TestPlan.seats, in: replica.db)
            #expect(seats.name == "Office Seats")
            #expect(seats.kind == .subscription)
            #expect(seats.billingPeriod == .monthly)
            #expect(seats.billingPeriod.months == 1)
            #expect(seats.cost == 1_000)
            #expect(seats.available)
            #expect(try Plan.require(TestPlan.ssl, in: replica.db).sslValidation == .dv)
            #expect(Plan.BillingPeriod.annual.months == 12)

            try replica.applyFacts { ctx in
                try Plan(id: TestPlan.seats, name: "Office Seats Plus", vendor: "Contoso", kind: .subscription, billingPeriod: .monthly,
                         cost: 1_100, currency: "EUR", sslValidation: nil, description: "", available: false).upsert(in: ctx)
            }
            let updated = try Plan.require(TestPlan.seats, in: replica.db)
            #expect(updated.name == "Office Seats Plus")
            #expect(updated.cost == 1_100)
            #expect(!updated.available)
            #expect(try count(replica, "plan") == 7)
            #expect(throws: MutationRefusal.self) { try Plan.require("pln_none", in: replica.db) }
        }
    }
}
