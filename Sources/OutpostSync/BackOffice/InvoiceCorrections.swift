import OutpostModel
import OutpostStore

/// Corrections to an issued invoice, on the node: voiding one that should never have been issued (while nothing
/// was paid or credited on it), or crediting it with a credit note. Either way the invoice keeps its number, so
/// numbering stays gap-free, and the change replicates like every back-office fact.
public struct InvoiceCorrections {
    /// Change-log origin of everything written here.
    static let origin = "back_office"

    public let tenant: Tenant
    public let clock: any Clock

    public init(tenant: Tenant, clock: any Clock) {
        self.tenant = tenant
        self.clock = clock
    }

    /// Voids an unpaid invoice: status `void` with the reason and the time. It is no longer owed (balances,
    /// receivables, overdue lists, notices) and its revenue no longer counts; the record and its number stay.
    @discardableResult
    public func void(_ invoiceId: String, reason: String) throws -> Invoice {
        let reason = try Self.reason(reason)
        try tenant.record(now: clock.now(), origin: Self.origin) { context in
            let invoice = try require(invoiceId, in: context.db)
            let name = "invoice \(invoice.displayNumber) (\(invoice.id))"
            if invoice.status == .void {
                throw BackOfficeError("\(name) is already void (\(Self.voidNote(invoice))); there is nothing to void")
            }
            let payments = try context.db.scalar("SELECT count(*) FROM payment WHERE invoice_id = ? AND status IN ('pending', 'completed')",
                                                 [invoice.id])?.int64 ?? 0
            let credits = try context.db.scalar("SELECT count(*) FROM credit_note WHERE invoice_id = ?", [invoice.id])?.int64 ?? 0
            guard payments == 0, credits == 0 else {
                throw BackOfficeError(try notVoided(invoice, payments: payments, credits: credits, in: context))
            }
            try context.update("invoice", id: invoice.id, [
                ("status", Invoice.Status.void.rawValue), ("void_reason", reason), ("voided_at", context.now.description),
            ])
        }
        return try Invoice.require(invoiceId, in: tenant.db)
    }

    /// Why an invoice with payments or credit notes is not voided, and what can be done instead — truthfully: the open
    /// amount can be credited; a fully settled one owes nothing, and a refund is not something Outpost records.
    private func notVoided(_ invoice: Invoice, payments: Int64, credits: Int64, in context: MutationContext) throws -> String {
        let name = "invoice \(invoice.displayNumber) (\(invoice.id))"
        let balance = try InvoiceBalance.of(invoice.id, today: context.today, in: context.db)
        let money = { (units: Int64) in Money.formatted(units, currencyCode: invoice.currency) }
        var recorded: [String] = []
        if payments > 0 { recorded.append("\(payments) payment(s) recorded (\(money(balance?.paid ?? 0)) paid)") }
        if credits > 0 { recorded.append("\(credits) credit note(s) (\(money(balance?.credited ?? 0)) credited)") }
        let facts = "\(name) has " + recorded.joined(separator: " and ")
        guard let balance, balance.outstanding > 0 else {
            let settled = credits == 0 ? "it is paid in full" : payments == 0 ? "it is credited in full" : "it is settled in full"
            let refund = payments == 0 ? "" : ". If the customer is owed money back, refund it outside Outpost: Outpost does not record refunds"
            return "\(facts): \(settled), so nothing is owed and there is nothing to void or credit" + refund
        }
        let command = "outpost node invoice credit \(invoice.displayNumber) --reseller \(tenant.resellerId) --reason TEXT"
        return "\(facts), so it is not voided; \(money(balance.outstanding)) of \(money(invoice.total)) is still open and can be credited instead: \(command)"
    }

    /// Issues a credit note against an issued invoice for `amount` (tax included; by default all that is still
    /// open), through the same numbering and lines as every other credit note.
    public func credit(_ invoiceId: String, reason: String, amount: Int64? = nil) throws -> (invoice: Invoice, creditNoteNumber: String, total: Int64) {
        let reason = try Self.reason(reason)
        var issued: (number: String, total: Int64)?
        try tenant.record(now: clock.now(), origin: Self.origin) { context in
            let invoice = try require(invoiceId, in: context.db)
            let name = "invoice \(invoice.displayNumber) (\(invoice.id))"
            guard invoice.status == .issued else { throw BackOfficeError("\(name) is void; a void invoice owes nothing and is not credited") }
            let today = context.today
            // What is open by the rule `invoice.credit` follows on the laptops (pending payments count as paid).
            let open = try Invoicing.creditable(invoice, in: context.db)
            guard open > 0 else {
                throw BackOfficeError("\(name) has nothing open to credit (paid or credited in full)")
            }
            let gross = amount ?? open
            guard gross > 0, gross <= open else {
                throw BackOfficeError("\(name) has \(Money.formatted(open, currencyCode: invoice.currency)) open; a credit must be more than 0 and at most that, not \(Money.formatted(gross, currencyCode: invoice.currency))")
            }
            let settings = try ResellerSettings.load(from: context.db)
            let net = Invoicing.net(ofGross: gross, taxRateBp: settings.taxRateBp)
            let note = try BillingDocuments.creditNote(invoiceId: invoice.id, reason: reason, description: "Credit on \(invoice.displayNumber): \(reason)",
                                                       amount: net, issueDate: today, ids: tenant.ids, in: context)
            let total = try context.db.scalar("SELECT total FROM credit_note WHERE id = ?", [note.id])?.int64 ?? 0
            issued = (note.number, total)
        }
        guard let issued else { preconditionFailure("a credit recorded without its note") }
        return (try Invoice.require(invoiceId, in: tenant.db), issued.number, issued.total)
    }

    private func require(_ invoiceId: String, in db: any SQLDatabase) throws -> Invoice {
        guard let row = try db.row("SELECT * FROM invoice WHERE id = ?", [invoiceId]) else {
            throw BackOfficeError("reseller \(tenant.resellerId) has no invoice \(invoiceId)")
        }
        return try Invoice(row: row)
    }

    /// When and why an invoice was voided, from its own row: "since 2026-02-05T09:00:00Z: issued twice".
    private static func voidNote(_ invoice: Invoice) -> String {
        [invoice.voidedAt.map { "since \($0)" }, invoice.voidReason.isEmpty ? nil : invoice.voidReason].compactMap { $0 }.joined(separator: ": ")
    }

    /// A reason is required: one line of at most 200 characters, shown on the invoice.
    static func reason(_ text: String) throws -> String {
        let line = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !line.isEmpty else { throw BackOfficeError("--reason must say why, like --reason \"billed a year ahead by mistake\"") }
        guard line.count <= 200, !line.contains(where: \.isNewline) else { throw BackOfficeError("--reason must be one line of at most 200 characters") }
        return line
    }
}

extension Node {
    /// The corrections of the reseller whose books hold invoice `reference` (as `locate` finds it), with its id.
    public func invoiceCorrections(for reference: String, resellerId: String? = nil) throws -> (corrections: InvoiceCorrections, invoiceId: String) {
        let (tenant, invoiceId) = try locate(.invoice, reference, resellerId: resellerId)
        return (InvoiceCorrections(tenant: tenant, clock: clock), invoiceId)
    }
}
