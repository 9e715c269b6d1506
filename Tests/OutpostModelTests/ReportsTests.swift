@testable import OutpostModel
import OutpostStore
import Testing

// Report figures against hand-computed values on small, hand-built data sets.
// Every expected number is worked out in the comment next to it. Rows are
// written as node facts (`applyFacts`) so each test states exactly what the
// replica holds; `asOf` is chosen per test and is never the replica's clock.

/// Writers for the rows the reports read, with every date explicit.
private enum Facts {
    static func customer(_ r: Replica, _ id: String, _ name: String, status: Customer.Status = .active,
                         created: String = "2025-01-01T09:00:00Z") throws {
        try r.applyFacts { ctx in
            try ctx.insert("customer", [("id", id), ("name", name), ("status", status.rawValue), ("created_at", created)])
        }
    }

    static func subscription(_ r: Replica, _ id: String, customer: String, plan: String = TestPlan.seats, quantity: Int = 1,
                             status: Subscription.Status = .active, start: String = "2026-01-01", end: String = "2026-12-31",
                             autoRenew: Bool = true, cancelAtPeriodEnd: Bool = false, price: Int64 = 1_250, cost: Int64 = 1_000,
                             created: String = "2025-06-01T08:00:00Z") throws {
        try r.applyFacts { ctx in
            try ctx.insert("subscription", [
                ("id", id), ("customer_id", customer), ("plan_id", plan), ("quantity", quantity), ("status", status.rawValue),
                ("period_start", start), ("period_end", end), ("auto_renew", autoRenew), ("cancel_at_period_end", cancelAtPeriodEnd),
                ("unit_price", price), ("unit_cost", cost), ("currency", "EUR"), ("created_at", created),
            ])
        }
    }

    /// An invoice whose subtotal is the sum of `lines` (subscription id or nil, amount).
    static func invoice(_ r: Replica, _ id: String, customer: String, issued: String, due: String,
                        lines: [(String?, Int64)], tax: Int64 = 0, status: Invoice.Status = .issued) throws {
        let subtotal = lines.reduce(0) { $0 + $1.1 }
        try r.applyFacts { ctx in
            try ctx.insert("invoice", [
                ("id", id), ("number", "INV-" + id), ("customer_id", customer), ("status", status.rawValue), ("issue_date", issued),
                ("due_date", due), ("currency", "EUR"), ("subtotal", subtotal), ("tax", tax), ("total", subtotal + tax),
            ])
            for (index, line) in lines.enumerated() {
                try ctx.insert("invoice_line", [
                    ("id", "\(id)_l\(index)"), ("invoice_id", id), ("subscription_id", line.0), ("description", "line"),
                    ("quantity", 1), ("unit_price", line.1), ("amount", line.1),
                ])
            }
        }
    }

    static func creditNote(_ r: Replica, _ id: String, invoice: String, customer: String, issued: String,
                           subtotal: Int64, tax: Int64 = 0) throws {
        try r.applyFacts { ctx in
            try ctx.insert("credit_note", [
                ("id", id), ("invoice_id", invoice), ("customer_id", customer), ("reason", "credit"), ("issue_date", issued),
                ("currency", "EUR"), ("subtotal", subtotal), ("tax", tax), ("total", subtotal + tax),
            ])
        }
    }

    static func payment(_ r: Replica, _ id: String, invoice: String, customer: String, amount: Int64, on day: String,
                        method: Payment.Method = .card, status: Payment.Status = .completed) throws {
        try r.applyFacts { ctx in
            try ctx.insert("payment", [
                ("id", id), ("customer_id", customer), ("invoice_id", invoice), ("method", method.rawValue), ("amount", amount),
                ("currency", "EUR"), ("received_on", day), ("status", status.rawValue), ("recorded_at", day + "T12:00:00Z"),
            ])
        }
    }

    /// An order with one line of `quantity × price` (or `amount` when given).
    static func order(_ r: Replica, _ id: String, customer: String, subscription: String? = nil, type: Order.OrderType,
                      status: Order.Status = .completed, placed: String, plan: String = TestPlan.seats, quantity: Int,
                      price: Int64 = 1_250, cost: Int64 = 1_000, amount: Int64? = nil, cancelMode: Order.CancelMode? = nil) throws {
        let total = amount ?? price * Int64(quantity)
        try r.applyFacts { ctx in
            try ctx.insert("orders", [
                ("id", id), ("customer_id", customer), ("subscription_id", subscription), ("type", type.rawValue),
                ("status", status.rawValue), ("cancel_mode", cancelMode?.rawValue), ("placed_at", placed), ("total", total),
                ("currency", "EUR"),
            ])
            try ctx.insert("order_line", [
                ("id", id + "_l"), ("order_id", id), ("plan_id", plan), ("description", "line"), ("quantity", quantity),
                ("unit_price", price), ("unit_cost", cost), ("amount", total),
            ])
        }
    }
}

/// `asOf − days`, as text.
private func daysBefore(_ asOf: BusinessDate, _ days: Int) -> String { asOf.adding(days: -days).description }

@Suite("Reports")
struct ReportsTests {
    // MARK: MRR

    @Test func mrrNormalisesAnnualPlansPerSubscriptionAndSkipsWhatIsNotBilling() throws {
        try withTestReplica { r in
            try seedCatalog(r)
            let asOf = day("2026-03-15")
            try Facts.customer(r, "cus_A", "Alpha")
            try Facts.customer(r, "cus_B", "Beta")
            // Monthly seats: 5 × 12.50 = 62.50 MRR, cost 50.00, margin 12.50.
            try Facts.subscription(r, "sub_1", customer: "cus_A", quantity: 5, price: 1_250, cost: 1_000)
            // Annual: 1200.00 × 2 / 12 = 200.00 MRR; cost 960.00 × 2 / 12 = 160.00; margin 40.00.
            try Facts.subscription(r, "sub_2", customer: "cus_A", plan: TestPlan.license, quantity: 2, price: 120_000, cost: 96_000)
            // Annual 10.00 / 12 = 0.8333 → 0.83; cost 8.00 / 12 = 0.6667 → 0.67; margin 2.00 / 12 = 0.1667 → 0.17.
            try Facts.subscription(r, "sub_3", customer: "cus_B", plan: TestPlan.license, quantity: 1, price: 1_000, cost: 800)
            // Not billing: suspended; created after asOf; cancelled.
            try Facts.subscription(r, "sub_4", customer: "cus_B", quantity: 3, status: .suspended)
            try Facts.subscription(r, "sub_5", customer: "cus_B", quantity: 7, created: "2026-03-16T00:00:00Z")
            try Facts.subscription(r, "sub_6", customer: "cus_B", quantity: 9, status: .cancelled)

            let mrr = try RecurringRevenue.compute(in: r.db, asOf: asOf)
            #expect(mrr.amount == 6_250 + 20_000 + 83)      // 263.33
            #expect(mrr.cost == 5_000 + 16_000 + 67)        // 210.67
            #expect(mrr.margin == 1_250 + 4_000 + 17)       // 52.67
            #expect(mrr.annual == 26_333 * 12)              // ARR 3,159.96
            #expect(mrr.subscriptions == 3)
            #expect(mrr.marginBp == 2_000)                  // 5267 / 26333 = 20.0015 %

            let summary = try ResellerSummary.compute(in: r.db, asOf: asOf)
            #expect(summary.mrr.minorUnits == 26_333)
            #expect(summary.mrr.currency.code == "EUR")
            #expect(summary.arr.minorUnits == 315_996)
            #expect(summary.mrrMargin.minorUnits == 5_267)
            #expect(summary.activeSubscriptions == 3)
            #expect(summary.activeCustomers == 2)
            #expect(summary.payingCustomers == 2)

            // Per plan, the same MRR adds up exactly (rounded per subscription).
            let report = try SubscriptionsReport.compute(in: r.db, asOf: asOf)
            #expect(report.plans.map(\.planId) == [TestPlan.license, TestPlan.seats])   // by name: Antivirus…, Office…
            #expect(report.plans.map(\.recurring.amount) == [20_083, 6_250])
            #expect(report.plans.map(\.active) == [2, 1])
            #expect(report.recurring == mrr)
            #expect(report.csvRows.last == ["", "Total", "", "", "3", "8", "0", "0", "0", "0", "0", "0", "263.33", "210.67", "52.67"])
        }
    }

    @Test func exactlyTwoHundredForTwelveHundredAnnualTimesTwo() throws {
        try withTestReplica { r in
            try seedCatalog(r)
            try Facts.customer(r, "cus_A", "Alpha")
            try Facts.subscription(r, "sub_1", customer: "cus_A", plan: TestPlan.license, quantity: 2, price: 120_000, cost: 100_000)
            let summary = try ResellerSummary.compute(in: r.db, asOf: day("2026-03-15"))
            #expect(summary.mrr.formatted == "200.00 EUR")
            #expect(summary.arr.formatted == "2,400.00 EUR")
            #expect(summary.mrrMargin.formatted == "33.33 EUR")    // 400.00 / 12 = 33.333…
            #expect(summary.mrrMarginBp == 1_667)                  // 3333 / 20000 = 16.665 % → 16.67 %
        }
    }

    // MARK: Receivables aging

    /// Delta: invoices due 0, 1, 30, 31, 60, 61, 90 and 91 days before asOf, and one not yet due, with
    /// payments and credits around them; Echo: one invoice 15 days past due.
    func agingData(_ r: Replica, asOf: BusinessDate) throws {
        try Facts.customer(r, "cus_D", "Delta")
        try Facts.customer(r, "cus_E", "echo")    // sorts after Delta case-insensitively
        let dues: [(String, Int, Int64)] = [
            ("inv_m5", -5, 10_000), ("inv_0", 0, 1_000), ("inv_1", 1, 2_000), ("inv_30", 30, 3_000), ("inv_31", 31, 4_000),
            ("inv_60", 60, 5_000), ("inv_61", 61, 6_000), ("inv_90", 90, 7_000), ("inv_91", 91, 8_000),
        ]
        for (id, days, amount) in dues {
            try Facts.invoice(r, id, customer: "cus_D", issued: daysBefore(asOf, max(days, 0) + 30), due: daysBefore(asOf, days),
                              lines: [(nil, amount)])
        }
        // 91 days: 80.00 − 30.00 paid = 50.00; the failed payment does not count.
        try Facts.payment(r, "pay_91", invoice: "inv_91", customer: "cus_D", amount: 3_000, on: daysBefore(asOf, 50))
        try Facts.payment(r, "pay_91f", invoice: "inv_91", customer: "cus_D", amount: 5_000, on: daysBefore(asOf, 40), status: .failed)
        // 60 days: paid the day after asOf, so still outstanding as of asOf.
        try Facts.payment(r, "pay_60", invoice: "inv_60", customer: "cus_D", amount: 5_000, on: asOf.adding(days: 1).description)
        // 31 days: a 10.00 credit note leaves 30.00.
        try Facts.creditNote(r, "crn_31", invoice: "inv_31", customer: "cus_D", issued: daysBefore(asOf, 5), subtotal: 1_000)
        // Void, fully paid and future invoices owe nothing.
        try Facts.invoice(r, "inv_void", customer: "cus_D", issued: daysBefore(asOf, 80), due: daysBefore(asOf, 45),
                          lines: [(nil, 9_999)], status: .void)
        try Facts.invoice(r, "inv_paid", customer: "cus_D", issued: daysBefore(asOf, 40), due: daysBefore(asOf, 10), lines: [(nil, 2_500)])
        try Facts.payment(r, "pay_paid", invoice: "inv_paid", customer: "cus_D", amount: 2_500, on: daysBefore(asOf, 12))
        try Facts.invoice(r, "inv_future", customer: "cus_D", issued: asOf.adding(days: 2).description,
                          due: asOf.adding(days: 32).description, lines: [(nil, 4_444)])
        try Facts.invoice(r, "inv_e15", customer: "cus_E", issued: daysBefore(asOf, 45), due: daysBefore(asOf, 15), lines: [(nil, 700)])
    }

    @Test func agingBucketsAtTheBoundaryDays() throws {
        #expect(AgingBuckets.label(daysPastDue: -3) == "Current")
        #expect(AgingBuckets.label(daysPastDue: 0) == "Current")
        #expect(AgingBuckets.label(daysPastDue: 1) == "1–30 days")
        #expect(AgingBuckets.label(daysPastDue: 30) == "1–30 days")
        #expect(AgingBuckets.label(daysPastDue: 31) == "31–60 days")
        #expect(AgingBuckets.label(daysPastDue: 60) == "31–60 days")
        #expect(AgingBuckets.label(daysPastDue: 61) == "61–90 days")
        #expect(AgingBuckets.label(daysPastDue: 90) == "61–90 days")
        #expect(AgingBuckets.label(daysPastDue: 91) == "90+ days")

        try withTestReplica { r in
            let asOf = day("2026-04-30")
            try agingData(r, asOf: asOf)
            let report = try ReceivablesAgingReport.compute(in: r.db, asOf: asOf)
            // current: not yet due 100.00 + due today 10.00
            // 1–30: day 1 20.00 + day 30 30.00 + Echo day 15 7.00
            // 31–60: day 31 40.00 − 10.00 credit + day 60 50.00 (paid after asOf)
            // 61–90: day 61 60.00 + day 90 70.00
            // 90+: day 91 80.00 − 30.00 paid
            #expect(report.total == AgingBuckets(current: 11_000, days1to30: 5_700, days31to60: 8_000, days61to90: 13_000, over90: 5_000))
            #expect(report.total.total == 42_700)
            #expect(report.total.overdue == 31_700)
            #expect(report.customerCount == 2)
            #expect(report.openInvoiceCount == 10)    // 9 of Delta's + Echo's

            let customers = try ReceivablesAgingReport.customers(in: r.db, asOf: asOf, limit: 10)
            #expect(customers.map(\.customerName) == ["Delta", "echo"])
            #expect(customers[0].buckets == AgingBuckets(current: 11_000, days1to30: 5_000, days31to60: 8_000, days61to90: 13_000, over90: 5_000))
            #expect(customers[0].openInvoices == 9)
            #expect(customers[0].oldestDueDate == asOf.adding(days: -91))
            #expect(customers[1].buckets == AgingBuckets(current: 0, days1to30: 700, days31to60: 0, days61to90: 0, over90: 0))
            // Paging.
            #expect(try ReceivablesAgingReport.customers(in: r.db, asOf: asOf, limit: 1, offset: 1).map(\.customerId) == ["cus_E"])

            var csv: [[String]] = []
            try report.forEachCSVRow(in: r.db) { csv.append($0) }
            #expect(report.csvHeader == ["Customer ID", "Customer", "Current (EUR)", "1–30 days (EUR)", "31–60 days (EUR)",
                                         "61–90 days (EUR)", "90+ days (EUR)", "Total (EUR)", "Open invoices", "Oldest due date"])
            // The total first, then the customers in id order.
            #expect(csv.count == 3)
            #expect(csv[0] == ["", "Total", "110.00", "57.00", "80.00", "130.00", "50.00", "427.00", "10", ""])
            #expect(csv[2] == ["cus_E", "echo", "0.00", "7.00", "0.00", "0.00", "0.00", "7.00", "1", asOf.adding(days: -15).description])

            // One day later every invoice moves one day: 0 → 1 (current → 1–30), 30 → 31, 60 → 61, 90 → 91;
            // the payment dated 1 May now counts and clears day 60 (now 61).
            let later = try ReceivablesAgingReport.compute(in: r.db, asOf: asOf.adding(days: 1))
            #expect(later.total == AgingBuckets(current: 10_000, days1to30: 1_000 + 2_000 + 700, days31to60: 3_000 + 3_000,
                                                days61to90: 6_000, over90: 7_000 + 5_000))

            // The home page reads the same figures.
            let summary = try ResellerSummary.compute(in: r.db, asOf: asOf, attentionLimit: 3)
            #expect(summary.outstanding.minorUnits == 42_700)
            #expect(summary.overdue.minorUnits == 31_700)
            #expect(summary.aging == report.total)
            #expect(summary.attention.overdueInvoices.count == 8)   // Delta's days 1…91 (7) and Echo's
            #expect(summary.attention.overdueInvoices.items.map(\.id) == ["inv_91", "inv_90", "inv_61"])
            #expect(summary.attention.overdueInvoices.items.map(\.daysOverdue) == [91, 90, 61])
            #expect(summary.attention.overdueInvoices.items[0].outstanding.minorUnits == 5_000)
            #expect(summary.attention.overdueInvoices.items[0].customerName == "Delta")
        }
    }

    // MARK: Revenue

    /// Invoices, credit notes and payments around asOf = 2026-03-15 (amounts excluding tax unless stated; tax 20 %).
    func revenueData(_ r: Replica) throws {
        try seedCatalog(r)
        try Facts.customer(r, "cus_A", "Alpha")
        try Facts.subscription(r, "sub_S", customer: "cus_A", quantity: 10, price: 1_250, cost: 1_000)
        try Facts.subscription(r, "sub_L", customer: "cus_A", plan: TestPlan.license, quantity: 1, price: 120_000, cost: 96_000)
        try Facts.invoice(r, "inv_dec", customer: "cus_A", issued: "2025-12-20", due: "2026-01-19", lines: [("sub_S", 2_500)], tax: 500)
        try Facts.invoice(r, "inv_jan", customer: "cus_A", issued: "2026-01-10", due: "2026-02-09", lines: [("sub_S", 12_500)], tax: 2_500)
        try Facts.invoice(r, "inv_mar", customer: "cus_A", issued: "2026-03-02", due: "2026-04-01", lines: [("sub_L", 120_000)], tax: 24_000)
        try Facts.invoice(r, "inv_fee", customer: "cus_A", issued: "2026-03-05", due: "2026-04-04", lines: [(nil, 5_000)], tax: 1_000)
        try Facts.invoice(r, "inv_void", customer: "cus_A", issued: "2026-03-03", due: "2026-04-02", lines: [("sub_S", 99_900)], status: .void)
        try Facts.invoice(r, "inv_late", customer: "cus_A", issued: "2026-03-20", due: "2026-04-19", lines: [("sub_S", 7_000)])
        try Facts.creditNote(r, "crn_jan", invoice: "inv_jan", customer: "cus_A", issued: "2026-03-10", subtotal: 2_500, tax: 500)
        try Facts.creditNote(r, "crn_late", invoice: "inv_mar", customer: "cus_A", issued: "2026-03-16", subtotal: 10_000, tax: 2_000)
        try Facts.payment(r, "pay_1", invoice: "inv_jan", customer: "cus_A", amount: 6_000, on: "2026-02-01")
        try Facts.payment(r, "pay_2", invoice: "inv_mar", customer: "cus_A", amount: 100_000, on: "2026-03-10", method: .bankTransfer)
        try Facts.payment(r, "pay_3", invoice: "inv_mar", customer: "cus_A", amount: 44_000, on: "2026-03-11", status: .failed)
    }

    @Test func revenueIsNetOfCreditNotesAndExcludesTax() throws {
        try withTestReplica { r in
            try revenueData(r)
            let asOf = day("2026-03-15")
            let report = try RevenueReport.compute(in: r.db, asOf: asOf, months: 4)
            #expect(report.rows.map(\.period.description) == ["2025-12", "2026-01", "2026-02", "2026-03"])
            // March: 1200.00 + 50.00 issued, 25.00 credited (the 100.00 credit of 16 March is after asOf).
            #expect(report.rows.map(\.invoicedGross) == [2_500, 12_500, 0, 125_000])
            #expect(report.rows.map(\.credited) == [0, 0, 0, 2_500])
            #expect(report.rows.map(\.invoiced) == [2_500, 12_500, 0, 122_500])
            // Including tax: 1440.00 + 60.00 − 30.00.
            #expect(report.rows.map(\.invoicedIncludingTax) == [3_000, 15_000, 0, 147_000])
            #expect(report.rows.map(\.collected) == [0, 0, 6_000, 100_000])
            // Margin: seats 20 % of the line (price 12.50, cost 10.00), license 20 % of 1200.00, the fee all margin,
            // minus the credit's margin (20 % of 25.00). March: 240.00 + 50.00 − 5.00.
            #expect(report.rows.map(\.margin) == [500, 2_500, 0, 28_500])
            #expect(report.rows[3].marginBp == 2_327)   // 28500 / 122500 = 23.265 % → 23.27 %
            #expect(report.rows[2].marginBp == nil)

            #expect(report.plans.map(\.planName) == ["Antivirus License", "Office Seats", RevenueReport.otherChargesName])
            #expect(report.plans.map(\.planId) == [TestPlan.license, TestPlan.seats, nil])
            #expect(report.plans.map(\.invoicedGross) == [120_000, 15_000, 5_000])
            #expect(report.plans.map(\.credited) == [0, 2_500, 0])
            #expect(report.plans.map(\.invoiced) == [120_000, 12_500, 5_000])
            #expect(report.plans.map(\.margin) == [24_000, 2_500, 5_000])
            let total = report.total
            #expect(total.invoiced == 137_500)
            #expect(total.margin == 31_500)
            #expect(report.plans.reduce(0) { $0 + $1.invoiced } == total.invoiced)
            #expect(report.plans.reduce(0) { $0 + $1.margin } == total.margin)

            #expect(report.csvHeader.count == report.csvRows[0].count)
            #expect(report.csvRows[3] == ["2026-03", "1250.00", "25.00", "1225.00", "1470.00", "1000.00", "285.00", "23.27%"])
            #expect(report.planCSVRows[2] == ["", "Other charges", "50.00", "0.00", "50.00", "50.00", "100%"])

            let summary = try ResellerSummary.compute(in: r.db, asOf: asOf)
            #expect(summary.revenueThisMonth.minorUnits == 122_500)
            #expect(summary.revenueThisYear.minorUnits == 12_500 + 122_500)   // December is last year
            #expect(summary.collectedThisMonth.minorUnits == 100_000)
            #expect(summary.revenueSeries.count == 12)
            #expect(summary.revenueSeries.first?.month.description == "2025-04")
            #expect(summary.revenueSeries.suffix(4).map(\.invoiced) == [2_500, 12_500, 0, 122_500])
            #expect(summary.revenueCSVHeader == ["Month", "Invoiced (EUR)", "Invoiced incl. tax (EUR)", "Collected (EUR)"])
            #expect(summary.revenueCSVRows.last == ["2026-03", "1225.00", "1470.00", "1000.00"])
            // Receivables: Dec 30.00 (55 days past due), Jan 150.00 − 60.00 − 30.00 = 60.00 (34 days),
            // Mar 1440.00 − 1000.00 = 440.00 and the fee 60.00 not yet due; the late invoice is after asOf.
            #expect(summary.outstanding.minorUnits == 3_000 + 6_000 + 44_000 + 6_000)
            #expect(summary.overdue.minorUnits == 9_000)
            #expect(summary.aging.days31to60 == 9_000)
        }
    }

    // MARK: Customer dynamics

    @Test func customerDynamicsTellsChurnFromContraction() throws {
        try withTestReplica { r in
            try seedCatalog(r)
            let asOf = day("2026-03-31")
            // N: new in January with 4 seats; +2 seats in February; −1 seat in March (contraction, not churn).
            try Facts.customer(r, "cus_N", "November", created: "2026-01-05T09:00:00Z")
            try Facts.subscription(r, "sub_N", customer: "cus_N", quantity: 5, created: "2026-01-05T10:00:00Z")
            try Facts.order(r, "ord_N1", customer: "cus_N", subscription: "sub_N", type: .sales, placed: "2026-01-05T10:00:00Z", quantity: 4)
            try Facts.order(r, "ord_N2", customer: "cus_N", subscription: "sub_N", type: .change, placed: "2026-02-10T10:00:00Z", quantity: 2)
            try Facts.order(r, "ord_N3", customer: "cus_N", subscription: "sub_N", type: .change, placed: "2026-03-03T10:00:00Z", quantity: -1)
            // Not completed, not counted.
            try Facts.order(r, "ord_N4", customer: "cus_N", subscription: "sub_N", type: .change, status: .provisioning,
                            placed: "2026-03-20T10:00:00Z", quantity: 5)
            try Facts.order(r, "ord_N5", customer: "cus_N", type: .sales, status: .failed, placed: "2026-03-21T10:00:00Z", quantity: 9)
            // Renewals move no MRR.
            try Facts.order(r, "ord_N6", customer: "cus_N", subscription: "sub_N", type: .renewal, placed: "2026-02-05T10:00:00Z", quantity: 6)

            // K: an annual licence of 2 × 1200.00 cancelled now on 20 February: churn of 200.00 MRR; K churns in February.
            try Facts.customer(r, "cus_K", "Kilo", created: "2025-05-01T09:00:00Z")
            try Facts.subscription(r, "sub_K", customer: "cus_K", plan: TestPlan.license, quantity: 2, status: .cancelled,
                                   start: "2025-05-01", end: "2026-04-30", price: 120_000, cost: 96_000, created: "2025-05-01T10:00:00Z")
            try Facts.order(r, "ord_K", customer: "cus_K", subscription: "sub_K", type: .cancellation, placed: "2026-02-20T10:00:00Z",
                            plan: TestPlan.license, quantity: -2, price: 120_000, cost: 96_000, amount: -1_000, cancelMode: .now)

            // L: its only subscription ended at period end on 31 January (churn in January), back on 10 March (reactivated).
            try Facts.customer(r, "cus_L", "Lima", created: "2025-03-01T09:00:00Z")
            try Facts.subscription(r, "sub_L1", customer: "cus_L", status: .cancelled, start: "2026-01-01", end: "2026-01-31",
                                   created: "2025-03-01T10:00:00Z")
            try Facts.order(r, "ord_L1", customer: "cus_L", subscription: "sub_L1", type: .cancellation, placed: "2025-12-15T10:00:00Z",
                            quantity: -1, amount: 0, cancelMode: .periodEnd)
            try Facts.subscription(r, "sub_L2", customer: "cus_L", created: "2026-03-10T10:00:00Z")
            try Facts.order(r, "ord_L2", customer: "cus_L", subscription: "sub_L2", type: .sales, placed: "2026-03-10T10:00:00Z", quantity: 1)

            // M: one subscription expired on 28 February and another started that day: neither churn nor reactivation.
            try Facts.customer(r, "cus_M", "Mike")
            try Facts.subscription(r, "sub_M1", customer: "cus_M", status: .expired, start: "2026-02-01", end: "2026-02-28")
            try Facts.subscription(r, "sub_M2", customer: "cus_M", created: "2026-02-28T10:00:00Z")

            // P: a domain transfer (annual, 11.25 → 0.9375 → 0.94 MRR) in March.
            try Facts.customer(r, "cus_P", "Papa")
            try Facts.order(r, "ord_P", customer: "cus_P", type: .transfer, placed: "2026-03-05T10:00:00Z", plan: TestPlan.domain,
                            quantity: 1, price: 1_125, cost: 900)

            // Q: new in February, no subscription. Z: closed long ago without subscriptions: never churns.
            try Facts.customer(r, "cus_Q", "Quebec", created: "2026-02-14T09:00:00Z")
            try Facts.customer(r, "cus_Z", "Zulu", status: .closed, created: "2024-01-01T09:00:00Z")

            let report = try CustomerDynamicsReport.compute(in: r.db, asOf: asOf, months: 3)
            #expect(report.rows.map(\.period.description) == ["2026-01", "2026-02", "2026-03"])
            #expect(report.rows.map(\.newCustomers) == [1, 1, 0])
            #expect(report.rows.map(\.churnedCustomers) == [1, 1, 0])
            #expect(report.rows.map(\.reactivatedCustomers) == [0, 0, 1])
            #expect(report.rows.map(\.netCustomers) == [0, 0, 1])
            #expect(report.rows.map(\.newMRR) == [5_000, 0, 1_250 + 94])
            #expect(report.rows.map(\.expansionMRR) == [0, 2_500, 0])
            #expect(report.rows.map(\.contractionMRR) == [0, 0, -1_250])
            #expect(report.rows.map(\.churnMRR) == [0, -20_000, 0])
            #expect(report.rows.map(\.netMRR) == [5_000, -17_500, 94])
            #expect(report.csvRows[1] == ["2026-02", "1", "1", "0", "0", "0.00", "25.00", "0.00", "-200.00", "-175.00"])

            // As of the end of January, Lima's end is in the past but Kilo's cancellation has not happened.
            let january = try CustomerDynamicsReport.compute(in: r.db, asOf: day("2026-01-31"), months: 1)
            #expect(january.rows.map(\.churnedCustomers) == [1])
        }
    }

    @Test func churnAndReactivationDays() {
        func life(_ start: String, _ end: String?) -> SubscriptionLife { SubscriptionLife(start: day(start), end: end.map(day)) }
        let asOf = day("2026-12-31")
        // Two overlapping subscriptions: churn only when the last one ends.
        var events = SubscriptionLife.events([life("2026-01-01", "2026-03-01"), life("2026-02-01", "2026-05-01")], asOf: asOf)
        #expect(events.churns == [day("2026-05-01")])
        #expect(events.returns.isEmpty)
        // A gap: churn, then reactivation.
        events = SubscriptionLife.events([life("2026-01-01", "2026-03-01"), life("2026-04-01", nil)], asOf: asOf)
        #expect(events.churns == [day("2026-03-01")])
        #expect(events.returns == [day("2026-04-01")])
        // An end after asOf has not happened.
        events = SubscriptionLife.events([life("2026-01-01", "2027-03-01")], asOf: asOf)
        #expect(events.churns.isEmpty)
        // Closing counts as churn: a customer without subscriptions is lost the day it is closed…
        events = SubscriptionLife.events([], closedOn: day("2026-06-10"), asOf: asOf)
        #expect(events.churns == [day("2026-06-10")])
        // …but one whose last subscription already ended is lost once, then.
        events = SubscriptionLife.events([life("2026-01-01", "2026-03-01")], closedOn: day("2026-06-10"), asOf: asOf)
        #expect(events.churns == [day("2026-03-01")])
        // One that came back after churning and is closed later is lost again on closing.
        events = SubscriptionLife.events([life("2026-01-01", "2026-03-01"), life("2026-04-01", "2026-05-01")],
                                         closedOn: day("2026-05-01"), asOf: asOf)
        #expect(events.churns == [day("2026-03-01"), day("2026-05-01")])
        // A closing after asOf has not happened.
        events = SubscriptionLife.events([], closedOn: day("2027-01-05"), asOf: asOf)
        #expect(events.churns.isEmpty)
    }

    @Test func closingACustomerIsChurnInItsMonth() throws {
        try withTestReplica { r in
            try seedCatalog(r)
            // R: new in January, never subscribed, closed in March: churns in March.
            try Facts.customer(r, "cus_R", "Romeo", created: "2026-01-05T09:00:00Z")
            // S: its subscription ended in January; closed in March: churned in January only.
            try Facts.customer(r, "cus_S", "Sierra", created: "2025-03-01T09:00:00Z")
            try Facts.subscription(r, "sub_S", customer: "cus_S", status: .cancelled, start: "2025-02-01", end: "2026-01-31",
                                   created: "2025-03-01T10:00:00Z")
            for id in ["cus_R", "cus_S"] {
                try r.db.execute("UPDATE customer SET status = 'closed', closed_at = '2026-03-12T15:00:00Z' WHERE id = ?", [id])
            }
            let report = try CustomerDynamicsReport.compute(in: r.db, asOf: day("2026-03-31"), months: 3)
            #expect(report.rows.map(\.churnedCustomers) == [1, 0, 1])
            #expect(report.rows.map(\.netCustomers) == [0, 0, -1])
        }
    }

    // MARK: Sales and payments

    @Test func salesByMonthAndOrderType() throws {
        try withTestReplica { r in
            try seedCatalog(r)
            try Facts.customer(r, "cus_A", "Alpha")
            let orders: [(String, Order.OrderType, Order.Status, String, Int64)] = [
                ("ord_1", .sales, .completed, "2026-01-03T10:00:00Z", 5_000),
                ("ord_2", .sales, .completed, "2026-01-31T23:59:59Z", 2_500),
                ("ord_3", .renewal, .completed, "2026-01-15T10:00:00Z", 15_000),
                ("ord_4", .sales, .failed, "2026-01-16T10:00:00Z", 9_999),
                ("ord_5", .change, .completed, "2026-02-01T00:00:00Z", 1_250),
                ("ord_6", .cancellation, .completed, "2026-02-10T10:00:00Z", -3_000),
                ("ord_7", .sales, .queued, "2026-02-11T10:00:00Z", 4_000),
                ("ord_8", .transfer, .submitted, "2026-03-05T10:00:00Z", 1_125),
                ("ord_9", .sales, .rejected, "2026-03-06T10:00:00Z", 7_777),
                ("ord_10", .sales, .completed, "2026-04-01T00:00:00Z", 8_888),   // after asOf
                ("ord_11", .sales, .completed, "2025-12-31T23:59:59Z", 6_666),   // before the period
            ]
            for (id, type, status, placed, amount) in orders {
                try Facts.order(r, id, customer: "cus_A", type: type, status: status, placed: placed, quantity: 1, amount: amount)
            }
            let report = try SalesReport.compute(in: r.db, asOf: day("2026-03-31"), months: 3)
            #expect(report.rows.count == 3 * 5)
            let january = ReportSpan(month: try #require(ReportMonth("2026-01")))
            let february = ReportSpan(month: try #require(ReportMonth("2026-02")))
            #expect(report.row(january, .sales) == SalesReport.Row(period: january, category: .sales, count: 2, amount: 7_500))
            #expect(report.row(january, .renewal)?.amount == 15_000)
            #expect(report.row(february, .cancellation)?.amount == -3_000)
            #expect(report.row(february, .sales)?.count == 1)
            #expect(report.byCategory.map(\.total.count) == [3, 1, 1, 1, 1])        // sales, renewal, change, cancellation, transfer
            #expect(report.byCategory.map(\.total.amount) == [11_500, 15_000, 1_250, -3_000, 1_125])
            #expect(report.byPeriod.map(\.total.amount) == [22_500, 2_250, 1_125])
            #expect(report.csvHeader == ["Month", "Order type", "Orders", "Amount (EUR)"])
            #expect(report.csvRows[8] == ["2026-02", "cancellation", "1", "-30.00"])
        }
    }

    @Test func paymentTransactionsByMethodAndMonth() throws {
        try withTestReplica { r in
            try Facts.customer(r, "cus_A", "Alpha")
            try Facts.invoice(r, "inv_1", customer: "cus_A", issued: "2026-01-01", due: "2026-01-31", lines: [(nil, 100_000)])
            try Facts.payment(r, "pay_1", invoice: "inv_1", customer: "cus_A", amount: 1_000, on: "2026-01-05")
            try Facts.payment(r, "pay_2", invoice: "inv_1", customer: "cus_A", amount: 2_000, on: "2026-01-31")
            try Facts.payment(r, "pay_3", invoice: "inv_1", customer: "cus_A", amount: 5_000, on: "2026-01-20", method: .bankTransfer)
            try Facts.payment(r, "pay_4", invoice: "inv_1", customer: "cus_A", amount: 700, on: "2026-02-02", status: .failed)
            try Facts.payment(r, "pay_5", invoice: "inv_1", customer: "cus_A", amount: 800, on: "2026-03-02", method: .directDebit, status: .pending)
            try Facts.payment(r, "pay_6", invoice: "inv_1", customer: "cus_A", amount: 300, on: "2026-03-31", method: .cash)
            try Facts.payment(r, "pay_7", invoice: "inv_1", customer: "cus_A", amount: 900, on: "2026-04-01", method: .cash)
            let report = try PaymentTransactionsReport.compute(in: r.db, asOf: day("2026-03-31"), months: 3)
            #expect(report.rows.count == 3 * 6)
            let nonZero = report.rows.filter { $0.count > 0 }.map { "\($0.period) \($0.category.rawValue) \($0.count) \($0.amount)" }
            #expect(nonZero == ["2026-01 bank_transfer 1 5000", "2026-01 card 2 3000", "2026-03 cash 1 300"])
            #expect(report.total == .init(count: 4, amount: 8_300))
            #expect(report.byCategory.first { $0.category == .card }?.total.amount == 3_000)
            #expect(report.byPeriod.map(\.total.count) == [3, 0, 1])
            #expect(report.csvRows.first == ["2026-01", "bank_transfer", "1", "50.00"])
        }
    }

    // MARK: Subscriptions and attention

    @Test func subscriptionsExpiringAndRenewingWindows() throws {
        try withTestReplica { r in
            try seedCatalog(r)
            let asOf = day("2026-03-01")
            func end(_ days: Int) -> String { asOf.adding(days: days).description }
            try Facts.customer(r, "cus_A", "Alpha")
            try Facts.subscription(r, "sub_e10", customer: "cus_A", end: end(10), autoRenew: false)
            try Facts.subscription(r, "sub_e30", customer: "cus_A", end: end(30), cancelAtPeriodEnd: true)
            try Facts.subscription(r, "sub_e31", customer: "cus_A", end: end(31), autoRenew: false)
            try Facts.subscription(r, "sub_r0", customer: "cus_A", end: end(0))
            try Facts.subscription(r, "sub_r75", customer: "cus_A", end: end(75))
            try Facts.subscription(r, "sub_r91", customer: "cus_A", end: end(91))
            try Facts.subscription(r, "sub_past", customer: "cus_A", end: end(-1))
            try Facts.subscription(r, "sub_susp", customer: "cus_A", status: .suspended, end: end(5), autoRenew: false)
            let report = try SubscriptionsReport.compute(in: r.db, asOf: asOf)
            #expect(report.active == 7)
            #expect(report.expiring == .init(in30: 2, in60: 3, in90: 3))
            #expect(report.renewing == .init(in30: 1, in60: 1, in90: 2))

            // Domains and certificates for the home page.
            try r.applyFacts { ctx in
                try ctx.insert("domain", [("id", "dom_1"), ("customer_id", "cus_A"), ("name", "lapsing.example"), ("origin", "registration"),
                                          ("status", "active"), ("expires_on", end(20)), ("auto_renew", false)])
                try ctx.insert("domain", [("id", "dom_2"), ("customer_id", "cus_A"), ("name", "renews.example"), ("origin", "registration"),
                                          ("status", "active"), ("expires_on", end(5)), ("auto_renew", true)])
                try ctx.insert("ssl_certificate", [("id", "ssl_1"), ("customer_id", "cus_A"), ("common_name", "www.lapsing.example"),
                                                   ("validation", "DV"), ("status", "issued"), ("expires_on", end(7))])
                try ctx.insert("ssl_certificate", [("id", "ssl_2"), ("customer_id", "cus_A"), ("subscription_id", "sub_r0"),
                                                   ("common_name", "renews.example"), ("validation", "DV"), ("status", "issued"),
                                                   ("expires_on", end(0))])
                try ctx.insert("rejected", [("seq", 4), ("mutation", "customer.update"), ("mutation_version", 1), ("args", "{}"),
                                            ("created_at", "2026-02-01T00:00:00Z"), ("code", "conflict"), ("message", "no"),
                                            ("rejected_at", "2026-02-02T00:00:00Z")])
            }
            try Facts.order(r, "ord_wait", customer: "cus_A", type: .sales, status: .submitted, placed: "2025-11-01T10:00:00Z", quantity: 1)
            try Facts.order(r, "ord_fail", customer: "cus_A", type: .sales, status: .failed, placed: "2026-02-20T10:00:00Z", quantity: 1)
            try Facts.order(r, "ord_old", customer: "cus_A", type: .sales, status: .failed, placed: "2026-01-20T10:00:00Z", quantity: 1)
            try Facts.order(r, "ord_done", customer: "cus_A", type: .sales, placed: "2026-02-21T10:00:00Z", quantity: 1)

            let attention = try ResellerSummary.compute(in: r.db, asOf: asOf).attention
            #expect(attention.expiringSubscriptions.count == 2)
            #expect(attention.expiringSubscriptions.items.map(\.id) == ["sub_e10", "sub_e30"])
            #expect(attention.expiringSubscriptions.items.map(\.daysLeft) == [10, 30])
            #expect(attention.expiringDomains.items.map(\.name) == ["lapsing.example"])
            #expect(attention.expiringCertificates.items.map(\.name) == ["www.lapsing.example"])
            #expect(attention.orders.count == 2)
            #expect(attention.failedOrders == 1)
            #expect(attention.orders.items.map(\.id) == ["ord_wait", "ord_fail"])
            #expect(attention.rejectedMutations == 1)
            #expect(attention.conflicts == 0)
            #expect(!attention.isEmpty)
        }
    }

    @Test func emptyReplicaGivesZeroesNotErrors() throws {
        try withTestReplica { r in
            let asOf = day("2026-03-15")
            let summary = try ResellerSummary.compute(in: r.db, asOf: asOf)
            #expect(summary.mrr.minorUnits == 0)
            #expect(summary.mrrMarginBp == nil)
            #expect(summary.revenueSeries.count == 12)
            #expect(summary.revenueSeries.allSatisfy { $0.invoiced == 0 && $0.collected == 0 })
            #expect(summary.attention.isEmpty)
            #expect(try ReceivablesAgingReport.compute(in: r.db, asOf: asOf).total == AgingBuckets())
            #expect(try SubscriptionsReport.compute(in: r.db, asOf: asOf).csvRows.count == 1)   // the total line
            #expect(try RevenueReport.compute(in: r.db, asOf: asOf).plans.isEmpty)
            #expect(try CustomerDynamicsReport.compute(in: r.db, asOf: asOf).rows.count == 12)
        }
    }

    @Test func reportMonths() throws {
        let march = try #require(ReportMonth("2026-03"))
        #expect(march.label == "Mar 2026")
        #expect(march.firstDay == day("2026-03-01"))
        #expect(march.lastDay == day("2026-03-31"))
        #expect(try #require(ReportMonth("2024-02")).lastDay == day("2024-02-29"))
        #expect(ReportMonth.range(endingWith: march, count: 4).map(\.description) == ["2025-12", "2026-01", "2026-02", "2026-03"])
        #expect(ReportMonth("2026-13") == nil)
        #expect(ReportMonth(day("2026-03-31")) == march)
    }
}
