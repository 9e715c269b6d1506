import OutpostModel
import OutpostStore

/// Numbered invoices and credit notes for one subscription, as the back office issues them.
///
/// Numbers are gap-free per reseller (`INV-000001`, `CRN-000001`), taken inside
/// the same transaction that writes the document.
enum BillingDocuments {
    /// A document issued: its id and number.
    struct Issued {
        let id: String
        let number: String
    }

    /// Issues an invoice with one line for a subscription's period (or part of it).
    static func invoice(customerId: String, orderId: String, subscriptionId: String, description: String, quantity: Int,
                        unitPrice: Int64, amount: Int64, periodStart: BusinessDate, periodEnd: BusinessDate, issueDate: BusinessDate,
                        ids: IdentifierFactory, in context: MutationContext) throws -> Issued {
        let id = ids.make("inv")
        let number = try DocumentNumber.next(prefix: "INV", table: "invoice", in: context.db)
        try Invoicing.issueInvoice(
            id: id, number: number, customerId: customerId, orderId: orderId, issueDate: issueDate,
            lines: [.init(id: ids.make("inl"), subscriptionId: subscriptionId, description: "\(description), \(periodStart) to \(periodEnd)",
                          quantity: quantity, unitPrice: unitPrice, amount: amount, periodStart: periodStart, periodEnd: periodEnd)],
            in: context)
        return Issued(id: id, number: number)
    }

    /// Issues a credit note of `amount` (before tax) against an invoice.
    static func creditNote(invoiceId: String, reason: String, description: String, amount: Int64, issueDate: BusinessDate,
                           ids: IdentifierFactory, in context: MutationContext) throws -> Issued {
        let id = ids.make("crn")
        let number = try DocumentNumber.next(prefix: "CRN", table: "credit_note", in: context.db)
        try Invoicing.issueCreditNote(
            id: id, number: number, invoiceId: invoiceId, reason: reason, issueDate: issueDate,
            lines: [.init(id: ids.make("cnl"), subscriptionId: nil, description: description, quantity: 1, unitPrice: amount, amount: amount)],
            in: context)
        return Issued(id: id, number: number)
    }

    /// The invoice that charged the subscription's current period: the latest issued invoice
    /// with a line for it starting on `periodStart`, else the latest issued invoice with any line for it.
    static func periodInvoice(subscriptionId: String, periodStart: BusinessDate, in db: any SQLDatabase) throws -> String? {
        let row = try db.row("""
            SELECT i.id FROM invoice i JOIN invoice_line l ON l.invoice_id = i.id
            WHERE l.subscription_id = ? AND i.status = 'issued'
            ORDER BY (l.period_start = ?) DESC, i.issue_date DESC, i.number DESC, i.id DESC
            LIMIT 1
            """, [subscriptionId, periodStart.description])
        return try row.map { try $0.string("id") }
    }
}
