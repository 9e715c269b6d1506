import OutpostStore

/// Issues invoices and credit notes: back-office facts the node creates
/// (provisioning, the billing run) and the fixture generator reuses.
public enum Invoicing {
    /// A line to invoice or credit.
    public struct Line: Sendable {
        public let id: String
        public let subscriptionId: String?
        public let description: String
        public let quantity: Int
        public let unitPrice: Int64
        public let amount: Int64
        public let periodStart: BusinessDate?
        public let periodEnd: BusinessDate?

        public init(id: String, subscriptionId: String?, description: String, quantity: Int, unitPrice: Int64, amount: Int64,
                    periodStart: BusinessDate? = nil, periodEnd: BusinessDate? = nil) {
            self.id = id
            self.subscriptionId = subscriptionId
            self.description = description
            self.quantity = quantity
            self.unitPrice = unitPrice
            self.amount = amount
            self.periodStart = periodStart
            self.periodEnd = periodEnd
        }
    }

    /// Tax on a subtotal at the reseller's rate, rounded half away from zero.
    public static func tax(on subtotal: Int64, rateBp: Int) -> Int64 {
        let product = subtotal.multipliedFullWidth(by: Int64(rateBp))
        let (q, r) = Int64(10_000).dividingFullWidth((high: product.high, low: product.low))
        return r.magnitude * 2 >= 10_000 ? q + (subtotal < 0 ? -1 : 1) : q
    }

    /// The amount before tax whose total with tax, rounded as invoices round it, is `gross` (or as close below as
    /// can be): how a credit of a tax-included amount is split into subtotal and tax, on the node and on a replica.
    public static func net(ofGross gross: Int64, taxRateBp: Int) -> Int64 {
        var net = (gross * 10_000 + Int64(10_000 + taxRateBp) / 2) / Int64(10_000 + taxRateBp)
        while net > 0, net + tax(on: net, rateBp: taxRateBp) > gross { net -= 1 }
        return net
    }

    /// What can still be credited on an issued invoice: its total less completed and pending payments and earlier
    /// credit notes (a pending payment may still complete, and paid plus credited must never exceed the total).
    public static func creditable(_ invoice: Invoice, in db: any SQLDatabase) throws -> Int64 {
        guard invoice.status == .issued else { return 0 }
        let row = try db.row("""
            SELECT coalesce((SELECT sum(amount) FROM payment WHERE invoice_id = ?1 AND status IN ('pending', 'completed')), 0) AS paid,
                   coalesce((SELECT sum(total) FROM credit_note WHERE invoice_id = ?1), 0) AS credited
            """, [invoice.id])
        let paid = try row?.int64("paid") ?? 0, credited = try row?.int64("credited") ?? 0
        return max(0, invoice.total - paid - credited)
    }

    /// Issues an invoice dated `issueDate`, due after the reseller's payment terms, numbered when `number` is given.
    public static func issueInvoice(id: String, number: String?, customerId: String, orderId: String?, issueDate: BusinessDate,
                                    lines: [Line], in context: MutationContext) throws {
        let settings = try ResellerSettings.load(from: context.db)
        let subtotal = lines.reduce(Int64(0)) { $0 + $1.amount }
        let tax = tax(on: subtotal, rateBp: settings.taxRateBp)
        try context.insert("invoice", [
            ("id", id), ("number", number), ("customer_id", customerId), ("order_id", orderId), ("status", "issued"),
            ("issue_date", issueDate.description), ("due_date", issueDate.adding(days: settings.paymentTermsDays).description),
            ("currency", settings.currency), ("subtotal", subtotal), ("tax", tax), ("total", subtotal + tax),
        ])
        for line in lines {
            try context.insert("invoice_line", [
                ("id", line.id), ("invoice_id", id), ("subscription_id", line.subscriptionId), ("description", line.description),
                ("quantity", line.quantity), ("unit_price", line.unitPrice), ("amount", line.amount),
                ("period_start", line.periodStart?.description), ("period_end", line.periodEnd?.description),
            ])
        }
    }

    /// Issues a credit note against an invoice; line amounts are positive credits.
    public static func issueCreditNote(id: String, number: String?, invoiceId: String, reason: String, issueDate: BusinessDate,
                                       lines: [Line], in context: MutationContext) throws {
        let invoice = try Invoice.require(invoiceId, in: context.db)
        let settings = try ResellerSettings.load(from: context.db)
        let subtotal = lines.reduce(Int64(0)) { $0 + $1.amount }
        let tax = tax(on: subtotal, rateBp: settings.taxRateBp)
        try context.insert("credit_note", [
            ("id", id), ("number", number), ("invoice_id", invoiceId), ("customer_id", invoice.customerId), ("reason", reason),
            ("issue_date", issueDate.description), ("currency", invoice.currency), ("subtotal", subtotal), ("tax", tax),
            ("total", subtotal + tax),
        ])
        for line in lines {
            try context.insert("credit_note_line", [
                ("id", line.id), ("credit_note_id", id), ("description", line.description), ("quantity", line.quantity),
                ("unit_price", line.unitPrice), ("amount", line.amount),
            ])
        }
    }
}
