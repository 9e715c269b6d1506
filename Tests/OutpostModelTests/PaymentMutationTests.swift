import OutpostModel
import OutpostStore
import Testing

@Suite("payment.record")
struct PaymentMutationTests {
    /// A customer with one issued invoice `inv_ONE` of 120.00 (100.00 + 20 % tax), issued 2026-01-01, due 2026-01-31.
    func prepared(_ body: (Replica) throws -> Void) throws {
        try withTestReplica { replica in
            try seedCustomer(replica, id: "cus_ACME")
            try setFact(replica, "settings", id: "settings", [("tax_rate_bp", 2_000)])
            try seedInvoice(replica, id: "inv_ONE", amount: 10_000, issueDate: day("2026-01-01"))
            try body(replica)
        }
    }

    func pay(_ amount: Int64, id: String = "pay_ONE", invoiceId: String = "inv_ONE", method: Payment.Method = .bankTransfer,
             reference: String = "", receivedOn: String? = nil) -> RecordPayment {
        var payment = RecordPayment(id: id, invoiceId: invoiceId, amount: amount, method: method)
        payment.reference = reference
        payment.receivedOn = receivedOn
        return payment
    }

    @Test func theSeededInvoiceIsWhatTheTestsAssume() throws {
        try prepared { replica in
            let invoice = try Invoice.require("inv_ONE", in: replica.db)
            #expect(invoice.subtotal == 10_000)
            #expect(invoice.tax == 2_000)
            #expect(invoice.total == 12_000)
            #expect(invoice.dueDate == day("2026-01-31"))
            #expect(invoice.status == .issued)
        }
    }

    @Test func recordWritesACompletedPayment() throws {
        try prepared { replica in
            let entry = try submitAccepted(replica, pay(5_000, reference: "SEPA 2026/01 \"Acme\""))
            let payment = try #require(try Payment.list(customerId: "cus_ACME", in: replica.db).first)
            #expect(payment.id == "pay_ONE")
            #expect(payment.customerId == "cus_ACME")
            #expect(payment.invoiceId == "inv_ONE")
            #expect(payment.method == .bankTransfer)
            #expect(payment.reference == "SEPA 2026/01 \"Acme\"")
            #expect(payment.amount == 5_000)
            #expect(payment.currency == "EUR")
            #expect(payment.receivedOn == testToday)
            #expect(payment.status == .completed)
            #expect(payment.recordedAt == testNow)
            #expect(payment.version == 0)
            #expect(entry.changes.map(\.table) == ["payment"])
            #expect(entry.args == #"{"amount":5000,"id":"pay_ONE","invoice_id":"inv_ONE","method":"bank_transfer","reference":"SEPA 2026/01 \"Acme\""}"#)

            let balance = try #require(try InvoiceBalance.of("inv_ONE", today: testToday, in: replica.db))
            #expect(balance.state == .partiallyPaid)
            #expect(balance.outstanding == 7_000)
        }
    }

    @Test("every method is accepted", arguments: Payment.Method.allCases)
    func everyMethod(method: Payment.Method) throws {
        try prepared { replica in
            try submitAccepted(replica, pay(100, method: method))
            #expect(try Payment.list(customerId: nil, invoiceId: "inv_ONE", in: replica.db).first?.method == method)
        }
    }

    @Test func aPastReceivedDateIsKept() throws {
        try prepared { replica in
            try submitAccepted(replica, pay(12_000, receivedOn: "2026-01-20"))
            #expect(try Payment.list(customerId: nil, in: replica.db).first?.receivedOn == day("2026-01-20"))
            #expect(try InvoiceBalance.of("inv_ONE", today: testToday, in: replica.db)?.state == .paid)
        }
    }

    @Test func payingInInstalmentsUpToTheTotal() throws {
        try prepared { replica in
            try submitAccepted(replica, pay(4_000, id: "pay_A"))
            try submitAccepted(replica, pay(8_000, id: "pay_B"))
            let balance = try #require(try InvoiceBalance.of("inv_ONE", today: testToday, in: replica.db))
            #expect(balance.paid == 12_000)
            #expect(balance.outstanding == 0)
            #expect(balance.state == .paid)
            #expect(try Payment.list(customerId: "cus_ACME", invoiceId: "inv_ONE", in: replica.db).map(\.id) == ["pay_A", "pay_B"])
        }
    }

    // MARK: refusals

    @Test("amounts that are not positive are refused", arguments: [Int64(0), -1, -12_000, .min])
    func refusedAmount(amount: Int64) throws {
        try prepared { replica in
            try assertRefusalWritesNothing(replica, pay(amount), code: .invalid, field: "amount")
        }
    }

    @Test func moreThanIsOutstandingIsRefused() throws {
        try prepared { replica in
            let refusal = try assertRefusalWritesNothing(replica, pay(12_001), code: .invalid, field: "amount")
            #expect(refusal?.message.contains("120.00 EUR outstanding") == true)
            try submitAccepted(replica, pay(10_000, id: "pay_A"))
            try assertRefusalWritesNothing(replica, pay(2_001, id: "pay_B"), code: .invalid, field: "amount")
            try assertRefusalWritesNothing(replica, pay(.max, id: "pay_B"), code: .invalid, field: "amount")
            try submitAccepted(replica, pay(2_000, id: "pay_B"))
        }
    }

    @Test func aVoidInvoiceIsRefused() throws {
        try prepared { replica in
            try setFact(replica, "invoice", id: "inv_ONE", [("status", "void")])
            let refusal = try assertRefusalWritesNothing(replica, pay(1_000), code: .notAllowed, field: "invoice_id")
            #expect(refusal?.message.contains("void") == true)
        }
    }

    @Test func anAlreadyPaidInvoiceIsRefused() throws {
        try prepared { replica in
            try submitAccepted(replica, pay(12_000, id: "pay_ALL"))
            let refusal = try assertRefusalWritesNothing(replica, pay(1, id: "pay_MORE"), code: .notAllowed, field: "invoice_id")
            #expect(refusal?.message.contains("already paid") == true)
        }
    }

    @Test func anInvoiceSettledByACreditNoteIsRefused() throws {
        try prepared { replica in
            try replica.applyFacts { ctx in
                try Invoicing.issueCreditNote(id: "crn_ONE", number: "CRN-000001", invoiceId: "inv_ONE", reason: "goodwill",
                                              issueDate: testToday,
                                              lines: [.init(id: "cnl_ONE", subscriptionId: nil, description: "goodwill", quantity: 1,
                                                            unitPrice: 10_000, amount: 10_000)],
                                              in: ctx)
            }
            try assertRefusalWritesNothing(replica, pay(1), code: .notAllowed, field: "invoice_id")
        }
    }

    @Test func aFutureReceivedDateIsRefused() throws {
        try prepared { replica in
            let refusal = try assertRefusalWritesNothing(replica, pay(1_000, receivedOn: "2026-02-01"), code: .invalid, field: "received_on")
            #expect(refusal?.message.contains("future") == true)
            // Today itself is fine.
            try submitAccepted(replica, pay(1_000, receivedOn: "2026-01-31"))
        }
    }

    @Test("malformed received dates are refused", arguments: ["2026-02-30", "31.01.2026", "2026-1-5", "", "yesterday"])
    func malformedReceivedDate(text: String) throws {
        try prepared { replica in
            try assertRefusalWritesNothing(replica, pay(1_000, receivedOn: text), code: .invalid, field: "received_on")
        }
    }

    @Test func otherRefusals() throws {
        try prepared { replica in
            try assertRefusalWritesNothing(replica, pay(1_000, id: "inv_X"), code: .invalid, field: "id")
            try assertRefusalWritesNothing(replica, pay(1_000, invoiceId: "inv_NOPE"), code: .notFound, field: "invoice_id")
            var method = pay(1_000)
            method.method = "bitcoin"
            try assertRefusalWritesNothing(replica, method, code: .invalid, field: "method")
            try assertRefusalWritesNothing(replica, pay(1_000, reference: "line\nbreak"), code: .invalid, field: "reference")
            try assertRefusalWritesNothing(replica, pay(1_000, reference: String(repeating: "r", count: 101)), code: .invalid, field: "reference")
            try submitAccepted(replica, pay(1_000))
            try assertRefusalWritesNothing(replica, pay(1_000), code: .duplicate, field: "id")
        }
    }
}
