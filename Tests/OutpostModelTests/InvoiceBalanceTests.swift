import OutpostModel
import OutpostStore
import Testing

@Suite("InvoiceBalance and Invoicing")
struct InvoiceBalanceTests {
    /// `cus_ACME` with invoice `inv_ONE` of 120.00 (100.00 + 20 % tax), issued 2026-01-01, due 2026-01-31.
    func prepared(_ body: (Replica) throws -> Void) throws {
        try withTestReplica { replica in
            try seedCustomer(replica, id: "cus_ACME")
            try setFact(replica, "settings", id: "settings", [("tax_rate_bp", 2_000)])
            try seedInvoice(replica, id: "inv_ONE", amount: 10_000, issueDate: day("2026-01-01"))
            try body(replica)
        }
    }

    func balance(_ replica: Replica, _ id: String = "inv_ONE", on today: BusinessDate = testToday) throws -> InvoiceBalance {
        try #require(try InvoiceBalance.of(id, today: today, in: replica.db))
    }

    func insertPayment(_ replica: Replica, id: String, amount: Int64, status: Payment.Status) throws {
        try replica.applyFacts { ctx in
            try ctx.insert("payment", [
                ("id", id), ("customer_id", "cus_ACME"), ("invoice_id", "inv_ONE"), ("method", "card"), ("amount", amount),
                ("currency", "EUR"), ("received_on", "2026-01-20"), ("status", status.rawValue), ("recorded_at", "2026-01-20T12:00:00Z"),
            ])
        }
    }

    func creditNote(_ replica: Replica, id: String = "crn_ONE", subtotal: Int64) throws {
        try replica.applyFacts { ctx in
            try Invoicing.issueCreditNote(id: id, number: nil, invoiceId: "inv_ONE", reason: "cancellation", issueDate: testToday,
                                          lines: [.init(id: "cnl_\(id)", subscriptionId: nil, description: "credit", quantity: 1,
                                                        unitPrice: subtotal, amount: subtotal)],
                                          in: ctx)
        }
    }

    @Test func issueInvoiceWritesHeaderAndLines() throws {
        try withTestReplica { replica in
            try seedCustomer(replica)
            try setFact(replica, "settings", id: "settings", [("tax_rate_bp", 1_900), ("payment_terms_days", 14)])
            try replica.applyFacts { ctx in
                try Invoicing.issueInvoice(
                    id: "inv_TWO", number: "INV-000002", customerId: "cus_ACME", orderId: nil, issueDate: day("2026-01-20"),
                    lines: [
                        .init(id: "inl_A", subscriptionId: nil, description: "Seats", quantity: 3, unitPrice: 1_250, amount: 3_750,
                              periodStart: day("2026-01-20"), periodEnd: day("2026-02-20")),
                        .init(id: "inl_B", subscriptionId: nil, description: "Setup", quantity: 1, unitPrice: 1_001, amount: 1_001),
                    ],
                    in: ctx)
            }
            let invoice = try Invoice.require("inv_TWO", in: replica.db)
            #expect(invoice.number == "INV-000002")
            #expect(invoice.displayNumber == "INV-000002")
            #expect(invoice.customerId == "cus_ACME")
            #expect(invoice.status == .issued)
            #expect(invoice.issueDate == day("2026-01-20"))
            #expect(invoice.dueDate == day("2026-02-03"))
            #expect(invoice.currency == "EUR")
            #expect(invoice.subtotal == 4_751)
            #expect(invoice.tax == 903)            // 902.69 → 903
            #expect(invoice.total == 5_654)
            let lines = try invoice.lines(in: replica.db)
            #expect(lines.map(\.id) == ["inl_A", "inl_B"])
            #expect(lines[0].periodStart == day("2026-01-20"))
            #expect(lines[0].periodEnd == day("2026-02-20"))
            #expect(lines[1].periodStart == nil)
            #expect(lines[1].amount == 1_001)
        }
    }

    @Test func unpaid() throws {
        try prepared { replica in
            let b = try balance(replica)
            #expect(b.invoiceId == "inv_ONE")
            #expect(b.total == 12_000)
            #expect(b.paid == 0)
            #expect(b.credited == 0)
            #expect(b.outstanding == 12_000)
            #expect(b.state == .unpaid)
            #expect(b.overdue == false)   // due today, not yet overdue
            #expect(b.daysOverdue == 0)
        }
    }

    @Test func partiallyPaid() throws {
        try prepared { replica in
            try insertPayment(replica, id: "pay_A", amount: 5_000, status: .completed)
            let b = try balance(replica)
            #expect(b.paid == 5_000)
            #expect(b.outstanding == 7_000)
            #expect(b.state == .partiallyPaid)
        }
    }

    @Test func paid() throws {
        try prepared { replica in
            try insertPayment(replica, id: "pay_A", amount: 12_000, status: .completed)
            let b = try balance(replica, on: day("2026-06-01"))
            #expect(b.outstanding == 0)
            #expect(b.state == .paid)
            #expect(b.overdue == false)
            #expect(b.daysOverdue == 0)
        }
    }

    @Test func onlyCompletedPaymentsCount() throws {
        try prepared { replica in
            try insertPayment(replica, id: "pay_P", amount: 1_000, status: .pending)
            try insertPayment(replica, id: "pay_F", amount: 2_000, status: .failed)
            try insertPayment(replica, id: "pay_R", amount: 3_000, status: .refunded)
            let b = try balance(replica)
            #expect(b.paid == 0)
            #expect(b.state == .unpaid)
        }
    }

    @Test func void() throws {
        try prepared { replica in
            try setFact(replica, "invoice", id: "inv_ONE", [("status", "void")])
            let b = try balance(replica, on: day("2026-06-01"))
            #expect(b.state == .void)
            #expect(b.outstanding == 0)
            #expect(b.overdue == false)
            #expect(b.daysOverdue == 0)
        }
    }

    @Test("overdue relative to a date", arguments: [
        ("2026-01-01", false, 0), ("2026-01-30", false, 0), ("2026-01-31", false, 0),
        ("2026-02-01", true, 1), ("2026-02-10", true, 10), ("2026-03-02", true, 30),
    ])
    func overdue(today: String, overdue: Bool, days: Int) throws {
        try prepared { replica in
            let b = try balance(replica, on: day(today))
            #expect(b.overdue == overdue)
            #expect(b.daysOverdue == days)
            #expect(b.state == .unpaid)
        }
    }

    @Test func aPartlyPaidInvoiceIsStillOverdue() throws {
        try prepared { replica in
            try insertPayment(replica, id: "pay_A", amount: 11_999, status: .completed)
            let b = try balance(replica, on: day("2026-02-05"))
            #expect(b.outstanding == 1)
            #expect(b.overdue)
            #expect(b.daysOverdue == 5)
        }
    }

    @Test func creditNotesReduceWhatIsOutstanding() throws {
        try prepared { replica in
            try creditNote(replica, subtotal: 2_000)   // 20.00 + 4.00 tax = 24.00
            let credit = try #require(try CreditNote.list(customerId: "cus_ACME", in: replica.db).first)
            #expect(credit.total == 2_400)
            #expect(credit.tax == 400)
            #expect(credit.invoiceId == "inv_ONE")
            #expect(credit.currency == "EUR")
            #expect(try credit.lines(in: replica.db).map(\.amount) == [2_000])

            var b = try balance(replica)
            #expect(b.credited == 2_400)
            #expect(b.outstanding == 9_600)
            #expect(b.state == .partiallyPaid)

            try insertPayment(replica, id: "pay_A", amount: 9_600, status: .completed)
            b = try balance(replica, on: day("2026-05-01"))
            #expect(b.outstanding == 0)
            #expect(b.state == .paid)
            #expect(!b.overdue)
        }
    }

    @Test func aFullCreditSettlesTheInvoice() throws {
        try prepared { replica in
            try creditNote(replica, subtotal: 10_000)
            let b = try balance(replica)
            #expect(b.outstanding == 0)
            #expect(b.state == .paid)
        }
    }

    @Test func overpaymentNeverGivesANegativeOutstanding() throws {
        try prepared { replica in
            try insertPayment(replica, id: "pay_A", amount: 12_000, status: .completed)
            try creditNote(replica, subtotal: 1_000)
            #expect(try balance(replica).outstanding == 0)
        }
    }

    @Test func openInvoicesAndAll() throws {
        try prepared { replica in
            try seedInvoice(replica, id: "inv_PAID", number: "INV-000002", amount: 500)
            try seedInvoice(replica, id: "inv_VOID", number: "INV-000003", amount: 700)
            try setFact(replica, "invoice", id: "inv_VOID", [("status", "void")])
            try replica.applyFacts { ctx in
                try ctx.insert("payment", [
                    ("id", "pay_X"), ("customer_id", "cus_ACME"), ("invoice_id", "inv_PAID"), ("method", "cash"), ("amount", Int64(600)),
                    ("currency", "EUR"), ("received_on", "2026-01-20"), ("status", "completed"), ("recorded_at", "2026-01-20T12:00:00Z"),
                ])
            }
            let open = try InvoiceBalance.openInvoices(customerId: "cus_ACME", in: replica.db)
            #expect(open.map(\.invoiceId) == ["inv_ONE"])
            let all = try InvoiceBalance.all(customerId: "cus_ACME", today: testToday, in: replica.db)
            #expect(all.keys.sorted() == ["inv_ONE", "inv_PAID", "inv_VOID"])
            #expect(all["inv_PAID"]?.state == .paid)
            #expect(all["inv_VOID"]?.state == .void)
            #expect(try InvoiceBalance.all(customerId: "cus_OTHER", today: testToday, in: replica.db).isEmpty)
            #expect(try InvoiceBalance.of("inv_NOPE", today: testToday, in: replica.db) == nil)
        }
    }

    // MARK: tax

    @Test("tax rounds half away from zero", arguments: [
        (Int64(10_000), 2_000, Int64(2_000)),
        (0, 2_000, 0),
        (12_345, 0, 0),
        (5, 1_000, 1),          // 0.5 → 1
        (4, 1_250, 1),          // 0.5 → 1
        (4, 1_249, 0),          // 0.4996 → 0
        (14, 1_900, 3),         // 2.66 → 3
        (4_751, 1_900, 903),    // 902.69 → 903
        (-5, 1_000, -1),        // −0.5 → −1
        (-14, 1_900, -3),       // −2.66 → −3
        (99, 10_000, 99),       // 100 %
        (1_050, 2_100, 221),    // 220.5 → 221
        (Int64.max, 10_000, Int64.max),
    ])
    func tax(subtotal: Int64, rate: Int, expected: Int64) {
        #expect(Invoicing.tax(on: subtotal, rateBp: rate) == expected)
    }
}
