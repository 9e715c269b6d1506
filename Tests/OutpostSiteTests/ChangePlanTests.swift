import Foundation
import Testing
import OutpostModel
@testable import OutpostSite

/// The plan alone, without a database: changes and the links of the rows involved in, pages and list rows out.
@Suite("The build plan: from changed rows to pages", .timeLimit(.minutes(20)))
struct ChangePlanTests {
    /// Rows of a few tables, as the replica would hold them (the plan's links, given as plain values).
    struct Rows: ChangePlan.Links {
        var tables: [String: [[String: String]]]

        func rows(of table: String, where filter: String, in values: Set<String>, giving column: String) throws -> [String: String] {
            var result: [String: String] = [:]
            for row in tables[table] ?? [] {
                if let value = row[filter], values.contains(value), let id = row["id"], let given = row[column] { result[id] = given }
            }
            return result
        }
    }

    let rows = Rows(tables: [
        "customer": [["id": "cus_a"], ["id": "cus_b"]],
        "invoice": [["id": "inv_1", "customer_id": "cus_a", "order_id": "ord_1"], ["id": "inv_2", "customer_id": "cus_b"]],
        "payment": [["id": "pay_1", "customer_id": "cus_a", "invoice_id": "inv_1"]],
        "orders": [["id": "ord_1", "customer_id": "cus_a"]],
        "order_line": [["id": "orl_1", "order_id": "ord_1"]],
        "subscription": [["id": "sub_1", "customer_id": "cus_b"]],
        "domain": [["id": "dom_1", "customer_id": "cus_b"]],
    ])

    func change(_ entity: String, _ id: String, via: String = "") -> SiteChange {
        SiteChange(seq: 1, entity: entity, entityId: id, via: via)
    }

    @Test func aPaymentRedoesItsInvoiceItsCustomerTheMoneyReportsAndTheHomePage() throws {
        let plan = try #require(try ChangePlan([change("payment", "pay_1"), change("invoice", "inv_1", via: "payment"),
                                                change("customer", "cus_a", via: "payment")], links: rows))
        #expect(plan.customers == ["cus_a"])
        #expect(plan.invoices == ["inv_1"])
        #expect(plan.financial)
        #expect(plan.reports == ["revenue", "aging", "payments"])
        #expect(plan.pages == [SitePath.customer("cus_a"), SitePath.invoice("inv_1"), Section.home.path,
                               "reports/revenue.html", "reports/aging.html", "reports/payments.html"])
        let lists = try plan.listRows()
        #expect(lists["payments"]?.ids == ["pay_1"])
        #expect(lists["invoices"]?.ids == ["inv_1"], "an invoice row shows what was paid")
        #expect(lists["customers"]?.ids == [], "the customer's own row did not change")
        #expect(lists["subscriptions"]?.ids == [])
    }

    @Test func aRenameRedoesTheRowsNamingTheCustomerButNoFigure() throws {
        let plan = try #require(try ChangePlan([change("customer", "cus_b", via: "name")], links: rows))
        #expect(plan.customerRows == ["cus_b"])
        #expect(!plan.financial && plan.reports.isEmpty)
        #expect(plan.renamedOnInvoices == ["inv_2": "cus_b"], "its invoice shows the name in the bill-to")
        #expect(plan.pages == [SitePath.customer("cus_b"), SitePath.invoice("inv_2")], "no home page, no report")
        let lists = try plan.listRows()
        #expect(lists["customers"]?.ids == ["cus_b"])
        #expect(lists["subscriptions"]?.ids == ["sub_1"] && lists["subscriptions"]?.shownOnly == ["sub_1": "cus_b"])
        #expect(lists["domains"]?.ids == ["dom_1"])
        #expect(lists["invoices"]?.ids == ["inv_2"])
    }

    @Test func anOrderLineRedoesItsOrdersCustomerAndTheOrdersInvoice() throws {
        let plan = try #require(try ChangePlan([change("order_line", "orl_1"), change("orders", "ord_1")], links: rows))
        #expect(plan.customers == ["cus_a"])
        #expect(plan.invoices == ["inv_1"], "the invoice shows its order's number")
        #expect(plan.reports == ["sales", "customers"])
        #expect(try plan.listRows()["orders"]?.ids == ["ord_1"])
        #expect(try plan.listRows()["provisioning"]?.ids == ["ord_1"])
    }

    @Test func aTableThePlanDoesNotFollowMakesNoPlan() throws {
        #expect(try ChangePlan([change("settings", "settings")], links: rows) == nil)
        #expect(try ChangePlan([change("plan", "pln_1")], links: rows) == nil)
    }

    @Test func aNewDayRendersThePagesThatSayTheDateEvenWithNothingElseChanged() throws {
        let quiet = try #require(try ChangePlan([], links: rows))
        #expect(quiet.pages.isEmpty, "nothing changed, same day: nothing to render")
        let plan = try #require(try ChangePlan([change("invoice", "inv_2")], newDay: true, links: rows))
        #expect(plan.newDay)
        #expect(plan.customers == ["cus_b"] && plan.invoices == ["inv_2"], "the invoice that became overdue, and its customer")
        #expect(plan.pages.isSuperset(of: ReportPages.catalogue.map(\.path) + [Section.home.path]), "every report and the home page say the date")
        #expect(try plan.listRows()["invoices"]?.ids == ["inv_2"])
        #expect(try plan.listRows()["subscriptions"]?.ids == [], "no other row is redone")
    }

    @Test func theDateMovingWithinAMonthIsANewDayAndAcrossOneIsNot() {
        let day = BusinessDate(year: 2026, month: 11, day: 3)!
        #expect(NewDay.follows(from: day, to: day.adding(days: 1)))
        #expect(NewDay.follows(from: day, to: BusinessDate(year: 2026, month: 11, day: 30)!))
        #expect(!NewDay.follows(from: day, to: BusinessDate(year: 2026, month: 12, day: 1)!), "a new month moves every monthly figure")
        #expect(!NewDay.follows(from: day, to: day), "the same day is not a new one")
        #expect(!NewDay.follows(from: day, to: day.adding(days: -1)), "nor is a day back")
    }
}
