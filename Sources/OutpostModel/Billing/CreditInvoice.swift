import OutpostStore

/// `invoice.credit`: a credit note a person issues against an issued invoice, either for an amount with tax
/// included or for parts of the invoice's lines. A replica writes it unnumbered ("pending"); the node numbers it
/// (`CRN-000001`, gap-free, in the push transaction) as it numbers orders.
public struct CreditInvoice: Mutation {
    public static let name = "invoice.credit"
    public static let version = 1

    /// Part of one invoice line to credit, before tax as the invoice's lines are.
    public struct LineCredit: Codable, Sendable, Equatable {
        /// The new credit note line, `cnl_…`.
        public var id: String
        /// The invoice line credited, `inl_…`.
        public var invoiceLineId: String
        /// Minor units before tax, > 0 and at most the invoice line's amount.
        public var amount: Int64

        public init(id: String, invoiceLineId: String, amount: Int64) {
            self.id = id
            self.invoiceLineId = invoiceLineId
            self.amount = amount
        }
    }

    /// The new credit note, `crn_…`.
    public var id: String
    public var invoiceId: String
    public var reason: String
    /// Minor units with tax included; exactly one of `amount` (with `lineId`) and `lines` is given.
    public var amount: Int64?
    /// The credit note's one line when crediting `amount`, `cnl_…`.
    public var lineId: String?
    public var lines: [LineCredit]?

    /// A credit of `amount` (tax included) against the invoice as a whole.
    public init(id: String, invoiceId: String, reason: String, amount: Int64, lineId: String) {
        self.id = id
        self.invoiceId = invoiceId
        self.reason = reason
        self.amount = amount
        self.lineId = lineId
    }

    /// A credit of parts of the invoice's lines (before tax; the note adds tax as invoices do).
    public init(id: String, invoiceId: String, reason: String, lines: [LineCredit]) {
        self.id = id
        self.invoiceId = invoiceId
        self.reason = reason
        self.lines = lines
    }

    /// The credit note's lines, subtotal and tax this credit makes (the rules on amounts and lines; what is left
    /// open on the invoice is checked by `apply`).
    public struct Figures: Sendable {
        public let lines: [Invoicing.Line]
        public let subtotal: Int64
        public let tax: Int64
        public var total: Int64 { subtotal + tax }
    }

    /// The figures for `invoice` at the reseller's tax rate, or the refusal.
    public func figures(for invoice: Invoice, in db: any SQLDatabase) throws -> Figures {
        let settings = try ResellerSettings.load(from: db)
        let name = invoice.displayNumber
        var lines: [Invoicing.Line] = []
        switch (amount, self.lines) {
        case (let amount?, nil):
            guard amount > 0 else { throw MutationRefusal.invalid("amount", "amount must be greater than zero") }
            let lineId = try FieldRules.id(lineId ?? "", prefix: "cnl", field: "line_id")
            let net = Invoicing.net(ofGross: amount, taxRateBp: settings.taxRateBp)
            guard net > 0 else { throw MutationRefusal.invalid("amount", "amount is too small to credit") }
            lines.append(.init(id: lineId, subscriptionId: nil, description: "Credit on \(name): \(reason.trimmingCharacters(in: .whitespaces))",
                               quantity: 1, unitPrice: net, amount: net))
        case (nil, let credits?):
            guard !credits.isEmpty else { throw MutationRefusal.invalid("lines", "lines must name at least one invoice line") }
            let invoiceLines = try invoice.lines(in: db)
            var seen: Set<String> = []
            for credit in credits {
                let lineId = try FieldRules.id(credit.id, prefix: "cnl", field: "lines")
                guard let position = invoiceLines.firstIndex(where: { $0.id == credit.invoiceLineId }) else {
                    throw MutationRefusal.notFound("lines", "invoice \(name) has no line \(credit.invoiceLineId)")
                }
                let line = invoiceLines[position]
                guard seen.insert(line.id).inserted else {
                    throw MutationRefusal.invalid("lines", "line \(position + 1) of invoice \(name) is credited twice")
                }
                guard credit.amount > 0 else {
                    throw MutationRefusal.invalid("lines", "the credit on line \(position + 1) must be greater than zero")
                }
                guard credit.amount <= line.amount else {
                    throw MutationRefusal.invalid("lines", "the credit on line \(position + 1) (\(Self.money(credit.amount, invoice))) is more than the line's \(Self.money(line.amount, invoice)) before tax")
                }
                lines.append(.init(id: lineId, subscriptionId: line.subscriptionId, description: "Credit on \(name), line \(position + 1): \(line.description)",
                                   quantity: 1, unitPrice: credit.amount, amount: credit.amount))
            }
        default:
            throw MutationRefusal.invalid("amount", "give either amount or lines, not both and not neither")
        }
        let subtotal = lines.reduce(Int64(0)) { $0 + $1.amount }
        return Figures(lines: lines, subtotal: subtotal, tax: Invoicing.tax(on: subtotal, rateBp: settings.taxRateBp))
    }

    public func apply(in context: MutationContext) throws {
        let id = try FieldRules.id(id, prefix: "crn", field: "id")
        let reason = try FieldRules.requiredText(reason, field: "reason", maximum: 500)
        let invoice = try Invoice.require(invoiceId, in: context.db)
        guard invoice.status == .issued else {
            throw MutationRefusal.notAllowed("invoice_id", "invoice \(invoice.displayNumber) is void; a void invoice owes nothing and is not credited")
        }
        let open = try Invoicing.creditable(invoice, in: context.db)
        guard open > 0 else {
            throw MutationRefusal.notAllowed("invoice_id", "invoice \(invoice.displayNumber) is paid or credited in full; there is nothing left to credit")
        }
        let figures = try figures(for: invoice, in: context.db)
        // The amount asked for, not the note's total: a tax-included amount no subtotal reaches exactly is
        // credited as close below as can be, and must not slip under the limit that way.
        let requested = amount ?? figures.total
        guard requested <= open else {
            throw MutationRefusal.invalid(amount == nil ? "lines" : "amount",
                                          "a credit of \(Self.money(requested, invoice)) is more than the \(Self.money(open, invoice)) left on invoice \(invoice.displayNumber)")
        }
        try context.requireNew("credit_note", id: id, field: "id", what: "credit note")
        for line in figures.lines {
            try context.requireNew("credit_note_line", id: line.id, field: amount == nil ? "lines" : "line_id", what: "credit note line")
        }
        let number: String? = context.authority == .node ? try DocumentNumber.next(prefix: "CRN", table: "credit_note", in: context.db) : nil
        try Invoicing.issueCreditNote(id: id, number: number, invoiceId: invoice.id, reason: reason, issueDate: context.today,
                                      lines: figures.lines, in: context)
    }

    static func money(_ units: Int64, _ invoice: Invoice) -> String {
        Money.formatted(units, currencyCode: invoice.currency)
    }
}
