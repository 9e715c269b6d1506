import OutpostModel
import OutpostStore
import Testing

@Suite("invoice.credit")
struct CreditInvoiceMutationTests {
    /// `cus_ACME` with invoice `inv_ONE` (`INV-000001`) of 120.00 (100.00 + 20 % tax) in one line `inl_inv_ONE`, issued 2026-01-01.
    func prepared(_ body: (Replica) throws -> Void) throws {
        try withTestReplica { replica in
            try seedCustomer(replica, id: "cus_ACME")
            try setFact(replica, "settings", id: "settings", [("tax_rate_bp", 2_000)])
            try seedInvoice(replica, id: "inv_ONE", amount: 10_000, issueDate: day("2026-01-01"))
            try body(replica)
        }
    }

    func credit(_ amount: Int64, id: String = "crn_ONE", lineId: String = "cnl_ONE", invoiceId: String = "inv_ONE",
                reason: String = "goodwill for the outage") -> CreditInvoice {
        CreditInvoice(id: id, invoiceId: invoiceId, reason: reason, amount: amount, lineId: lineId)
    }

    func balance(_ replica: Replica) throws -> InvoiceBalance {
        try #require(try InvoiceBalance.of("inv_ONE", today: testToday, in: replica.db))
    }

    @Test func anAmountWithTaxBecomesAPendingCreditNoteSplitAtTheTaxRate() throws {
        try prepared { replica in
            let entry = try submitAccepted(replica, credit(1_200))
            let note = try CreditNote.require("crn_ONE", in: replica.db)
            #expect(note.number == nil)
            #expect(note.displayNumber == "pending")
            #expect(note.invoiceId == "inv_ONE" && note.customerId == "cus_ACME")
            #expect(note.subtotal == 1_000 && note.tax == 200 && note.total == 1_200)
            #expect(note.issueDate == testToday)
            #expect(note.reason == "goodwill for the outage")
            #expect(try note.lines(in: replica.db).map(\.description) == ["Credit on INV-000001: goodwill for the outage"])
            #expect(entry.changes.map(\.table) == ["credit_note", "credit_note_line"])
            let after = try balance(replica)
            #expect(after.credited == 1_200 && after.outstanding == 10_800 && after.state == .partiallyPaid)
        }
    }

    @Test func theNodeNumbersCreditNotesGapFreeAfterItsOwn() throws {
        try prepared { replica in
            try replica.applyFacts { ctx in
                try Invoicing.issueCreditNote(id: "crn_OLD", number: "CRN-000007", invoiceId: "inv_ONE", reason: "cancellation", issueDate: testToday,
                                              lines: [.init(id: "cnl_OLD", subscriptionId: nil, description: "c", quantity: 1, unitPrice: 100, amount: 100)],
                                              in: ctx)
            }
            // `applyFacts` runs with the node's authority, as the node applies a pushed mutation.
            try replica.applyFacts { try credit(1_200).apply(in: $0) }
            #expect(try CreditNote.require("crn_ONE", in: replica.db).number == "CRN-000008")
        }
    }

    @Test func perLineCreditsAddTaxAsInvoicesDo() throws {
        try prepared { replica in
            let mutation = CreditInvoice(id: "crn_ONE", invoiceId: "inv_ONE", reason: "two seats unused",
                                         lines: [.init(id: "cnl_A", invoiceLineId: "inl_inv_ONE", amount: 2_500)])
            try submitAccepted(replica, mutation)
            let note = try CreditNote.require("crn_ONE", in: replica.db)
            #expect(note.subtotal == 2_500 && note.tax == 500 && note.total == 3_000)
            #expect(try note.lines(in: replica.db).map(\.description) == ["Credit on INV-000001, line 1: Office Seats"])
        }
    }

    @Test func aCreditAboveWhatIsLeftIsRefusedNamingBothAmounts() throws {
        try prepared { replica in
            let refusal = try assertRefusalWritesNothing(replica, credit(12_001), code: .invalid, field: "amount")
            #expect(refusal?.message.contains("120.01 EUR") == true && refusal?.message.contains("120.00 EUR left") == true)
            try submitAccepted(replica, credit(2_000))
            try assertRefusalWritesNothing(replica, credit(10_001, id: "crn_TWO", lineId: "cnl_TWO"), code: .invalid, field: "amount")
            try submitAccepted(replica, credit(10_000, id: "crn_TWO", lineId: "cnl_TWO"))
            let refusal2 = try assertRefusalWritesNothing(replica, credit(1, id: "crn_3", lineId: "cnl_3"), code: .notAllowed, field: "invoice_id")
            #expect(refusal2?.message.contains("in full") == true)
        }
    }

    @Test func pendingPaymentsCountAsPaidSoPaidPlusCreditedNeverExceedsTheTotal() throws {
        try prepared { replica in
            try replica.applyFacts { ctx in
                try ctx.insert("payment", [
                    ("id", "pay_PENDING"), ("customer_id", "cus_ACME"), ("invoice_id", "inv_ONE"), ("method", "card"), ("amount", Int64(10_000)),
                    ("currency", "EUR"), ("received_on", "2026-01-20"), ("status", "pending"), ("recorded_at", "2026-01-20T12:00:00Z"),
                ])
            }
            #expect(try balance(replica).outstanding == 12_000, "a pending payment is not paid yet")
            try assertRefusalWritesNothing(replica, credit(2_001), code: .invalid, field: "amount")
            try submitAccepted(replica, credit(2_000))
        }
    }

    @Test func aVoidInvoiceIsRefused() throws {
        try prepared { replica in
            try setFact(replica, "invoice", id: "inv_ONE", [("status", "void")])
            let refusal = try assertRefusalWritesNothing(replica, credit(1_000), code: .notAllowed, field: "invoice_id")
            #expect(refusal?.message.contains("void") == true)
        }
    }

    @Test("amounts that are not positive are refused", arguments: [Int64(0), -1, .min])
    func refusedAmount(amount: Int64) throws {
        try prepared { replica in
            try assertRefusalWritesNothing(replica, credit(amount), code: .invalid, field: "amount")
        }
    }

    @Test("a reason is required and short", arguments: ["", "   ", String(repeating: "r", count: 501), "two\nlines"])
    func refusedReason(reason: String) throws {
        try prepared { replica in
            try assertRefusalWritesNothing(replica, credit(1_000, reason: reason), code: .invalid, field: "reason")
        }
    }

    @Test func perLineRefusals() throws {
        try prepared { replica in
            func lines(_ credits: [CreditInvoice.LineCredit]) -> CreditInvoice {
                CreditInvoice(id: "crn_ONE", invoiceId: "inv_ONE", reason: "r", lines: credits)
            }
            try assertRefusalWritesNothing(replica, lines([]), code: .invalid, field: "lines")
            try assertRefusalWritesNothing(replica, lines([.init(id: "cnl_A", invoiceLineId: "inl_inv_ONE", amount: 10_001)]), code: .invalid, field: "lines")
            try assertRefusalWritesNothing(replica, lines([.init(id: "cnl_A", invoiceLineId: "inl_inv_ONE", amount: 0)]), code: .invalid, field: "lines")
            try assertRefusalWritesNothing(replica, lines([.init(id: "cnl_A", invoiceLineId: "inl_NOPE", amount: 100)]), code: .notFound, field: "lines")
            try assertRefusalWritesNothing(replica, lines([.init(id: "cnl_A", invoiceLineId: "inl_inv_ONE", amount: 100),
                                                           .init(id: "cnl_B", invoiceLineId: "inl_inv_ONE", amount: 100)]), code: .invalid, field: "lines")
            var both = credit(1_000)
            both.lines = [.init(id: "cnl_A", invoiceLineId: "inl_inv_ONE", amount: 100)]
            try assertRefusalWritesNothing(replica, both, code: .invalid, field: "amount")
        }
    }

    @Test func otherRefusals() throws {
        try prepared { replica in
            try assertRefusalWritesNothing(replica, credit(1_000, id: "inv_X"), code: .invalid, field: "id")
            try assertRefusalWritesNothing(replica, credit(1_000, lineId: "inl_X"), code: .invalid, field: "line_id")
            try assertRefusalWritesNothing(replica, credit(1_000, invoiceId: "inv_NOPE"), code: .notFound, field: "invoice_id")
            try submitAccepted(replica, credit(1_000))
            try assertRefusalWritesNothing(replica, credit(1_000, lineId: "cnl_TWO"), code: .duplicate, field: "id")
            try assertRefusalWritesNothing(replica, credit(1_000, id: "crn_TWO"), code: .duplicate, field: "line_id")
        }
    }
}
