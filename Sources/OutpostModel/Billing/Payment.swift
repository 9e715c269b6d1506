import OutpostStore

/// Money received against an invoice. An append-only fact: never merged or edited.
public struct Payment: Codable, Sendable, Equatable {
    public enum Method: String, Codable, Sendable, CaseIterable {
        case bankTransfer = "bank_transfer", card, directDebit = "direct_debit", cash, check, other
    }

    public enum Status: String, Codable, Sendable, CaseIterable {
        case pending, completed, failed, refunded
    }

    public let id: String
    public let customerId: String
    public let invoiceId: String
    public let method: Method
    public let reference: String
    public let amount: Int64
    public let currency: String
    public let receivedOn: BusinessDate
    public let status: Status
    public let recordedAt: Timestamp
    public let version: Int64

    public init(row: Row) throws {
        id = try row.string("id")
        customerId = try row.string("customer_id")
        invoiceId = try row.string("invoice_id")
        method = Method(rawValue: try row.string("method")) ?? .other
        reference = try row.string("reference")
        amount = try row.int64("amount")
        currency = try row.string("currency")
        receivedOn = BusinessDate(try row.string("received_on")) ?? BusinessDate(daysSinceEpoch: 0)
        status = Status(rawValue: try row.string("status")) ?? .pending
        recordedAt = Timestamp(try row.string("recorded_at")) ?? Timestamp(secondsSinceEpoch: 0)
        version = try row.int64("version")
    }

    public static func list(customerId: String?, invoiceId: String? = nil, in db: any SQLDatabase) throws -> [Payment] {
        try db.rows("""
            SELECT * FROM payment WHERE (CAST(?1 AS TEXT) IS NULL OR customer_id = ?1) AND (CAST(?2 AS TEXT) IS NULL OR invoice_id = ?2)
            ORDER BY received_on, id
            """, [customerId, invoiceId]).map(Payment.init(row:))
    }
}

/// `payment.record`: money received against an open invoice, never more than is outstanding.
public struct RecordPayment: Mutation {
    public static let name = "payment.record"
    public static let version = 1

    public var id: String
    public var invoiceId: String
    /// Minor units of the invoice's currency.
    public var amount: Int64
    public var method: String
    public var reference: String = ""
    /// `YYYY-MM-DD`; today when absent.
    public var receivedOn: String?

    public init(id: String, invoiceId: String, amount: Int64, method: Payment.Method) {
        self.id = id
        self.invoiceId = invoiceId
        self.amount = amount
        self.method = method.rawValue
    }

    public func apply(in context: MutationContext) throws {
        let id = try FieldRules.id(id, prefix: "pay", field: "id")
        let method = try FieldRules.oneOf(method, Payment.Method.self, field: "method")
        let reference = try FieldRules.optionalText(reference, field: "reference", maximum: 100)
        let received: BusinessDate
        if let receivedOn {
            guard let date = BusinessDate(receivedOn) else {
                throw MutationRefusal.invalid("received_on", "received_on '\(receivedOn)' is not a date (expected YYYY-MM-DD)")
            }
            guard date <= context.today else {
                throw MutationRefusal.invalid("received_on", "received_on \(date) is in the future")
            }
            received = date
        } else {
            received = context.today
        }
        let invoice = try Invoice.require(invoiceId, in: context.db)
        guard received >= invoice.issueDate else {
            throw MutationRefusal.invalid("received_on", "received_on \(received) is before invoice \(invoice.displayNumber) was issued (\(invoice.issueDate))")
        }
        guard invoice.status == .issued else {
            throw MutationRefusal.notAllowed("invoice_id", "invoice \(invoice.displayNumber) is void; payments go to an open invoice")
        }
        guard amount > 0 else { throw MutationRefusal.invalid("amount", "amount must be greater than zero") }
        let balance = try InvoiceBalance.of(invoiceId, today: context.today, in: context.db)
        let outstanding = balance?.outstanding ?? 0
        guard outstanding > 0 else {
            throw MutationRefusal.notAllowed("invoice_id", "invoice \(invoice.displayNumber) is already paid")
        }
        guard amount <= outstanding else {
            let currency = Currency(code: invoice.currency) ?? Currency(code: "EUR")!
            throw MutationRefusal.invalid("amount", "amount \(Money.formatted(amount, currency: currency)) is more than the \(Money.formatted(outstanding, currency: currency)) outstanding on invoice \(invoice.displayNumber)")
        }
        try context.insertNew("payment", [
            ("id", id), ("customer_id", invoice.customerId), ("invoice_id", invoiceId), ("method", method.rawValue),
            ("reference", reference), ("amount", amount), ("currency", invoice.currency), ("received_on", received.description),
            ("status", Payment.Status.completed.rawValue), ("recorded_at", context.now.description),
        ], field: "id", what: "payment")
    }
}
