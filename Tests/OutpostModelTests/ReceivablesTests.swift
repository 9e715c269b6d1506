import OutpostModel
import OutpostStore
import Testing

/// One definition of "outstanding": what `customer show` and a customer's page show is what the
/// home page's receivables add up to.
@Suite("Receivables")
struct ReceivablesTests {
    @Test("an invoice issued ahead of today is not owed yet; the customer's figure equals the home page's")
    func oneDefinition() throws {
        try withTestReplica { (replica: Replica) throws in
            try seedCatalog(replica)
            try seedCustomer(replica, id: "cus_ACME")
            try seedCustomer(replica, id: "cus_OTHER", name: "Other AG")
            // Due 30 days after issue: INV-1 is overdue on 2026-01-31, INV-2 is not, INV-3 is issued ahead.
            try seedInvoice(replica, id: "inv_ONE", number: "INV-000001", customerId: "cus_ACME", amount: 10_000, issueDate: day("2025-12-01"))
            try seedInvoice(replica, id: "inv_TWO", number: "INV-000002", customerId: "cus_ACME", amount: 5_000, issueDate: day("2026-01-20"))
            try seedInvoice(replica, id: "inv_AHEAD", number: "INV-000003", customerId: "cus_ACME", amount: 7_000, issueDate: day("2026-02-14"))
            try seedInvoice(replica, id: "inv_OTHER", number: "INV-000004", customerId: "cus_OTHER", amount: 3_000, issueDate: day("2026-01-10"))
            try submitAccepted(replica, RecordPayment(id: "pay_PART", invoiceId: "inv_ONE", amount: 4_000, method: .bankTransfer))

            let acme = try Receivables.of(customerId: "cus_ACME", asOf: testToday, in: replica.db)
            let invoiceTotal = try #require(try InvoiceBalance.of("inv_ONE", today: testToday, in: replica.db)).total
            let secondTotal = try #require(try InvoiceBalance.of("inv_TWO", today: testToday, in: replica.db)).total
            #expect(acme.outstanding == invoiceTotal - 4_000 + secondTotal, "the invoice issued on 2026-02-14 is not owed on 2026-01-31")
            #expect(acme.overdue == invoiceTotal - 4_000)

            let everyone = try Receivables.of(customerId: nil, asOf: testToday, in: replica.db)
            let other = try Receivables.of(customerId: "cus_OTHER", asOf: testToday, in: replica.db)
            #expect(everyone.outstanding == acme.outstanding + other.outstanding)
            let home = try ResellerSummary.compute(in: replica.db, asOf: testToday)
            #expect(home.outstanding.minorUnits == everyone.outstanding)
            #expect(home.overdue.minorUnits == everyone.overdue)

            // Per customer, as the customer pages read it.
            var rows: [String: Receivables] = [:]
            try replica.db.forEachRow(Receivables.byCustomerSQL(narrowed: false), [testToday.description]) { rows[try $0.string("customer_id")] = try Receivables(row: $0) }
            #expect(rows["cus_ACME"] == acme)
            #expect(rows["cus_OTHER"] == other)
            // Narrowed to some customers (a build that redoes their pages): theirs alone, the same figures.
            var narrowed: [String: Receivables] = [:]
            try replica.db.forEachRow(Receivables.byCustomerSQL(narrowed: true), [testToday.description, SQLValue.jsonArray(["cus_OTHER"])]) {
                narrowed[try $0.string("customer_id")] = try Receivables(row: $0)
            }
            #expect(narrowed == ["cus_OTHER": other])
            // Once the date passes, the invoice issued ahead is owed.
            let later = try Receivables.of(customerId: "cus_ACME", asOf: day("2026-02-20"), in: replica.db)
            #expect(later.outstanding > acme.outstanding)
        }
    }
}
