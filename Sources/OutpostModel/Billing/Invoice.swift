import OutpostStore

/// An invoice issued by the node. Issued invoices are never edited: they are
/// voided and replaced, or credited with a credit note.
public struct Invoice: Codable, Sendable, Equatable {
    /// The stored lifecycle.
    public enum Status: String, Codable, Sendable, CaseIterable {
        case issued, void
    }

    public let id: String
    /// `INV-000045`, assigned by the node.
    public let number: String?
    public let customerId: String
    public let orderId: String?
    public let status: Status
    public let issueDate: BusinessDate
    public let dueDate: BusinessDate
    public let currency: String
    public let subtotal: Int64
    public let tax: Int64
    public let total: Int64
    /// Why a void invoice was voided (empty otherwise).
    public let voidReason: String
    /// When it was voided on the node.
    public let voidedAt: Timestamp?
    public let version: Int64

    public init(row: Row) throws {
        id = try row.string("id")
        number = try row.optionalString("number")
        customerId = try row.string("customer_id")
        orderId = try row.optionalString("order_id")
        status = Status(rawValue: try row.string("status")) ?? .issued
        issueDate = BusinessDate(try row.string("issue_date")) ?? BusinessDate(daysSinceEpoch: 0)
        dueDate = BusinessDate(try row.string("due_date")) ?? BusinessDate(daysSinceEpoch: 0)
        currency = try row.string("currency")
        subtotal = try row.int64("subtotal")
        tax = try row.int64("tax")
        total = try row.int64("total")
        voidReason = try row.string("void_reason")
        voidedAt = try row.optionalString("voided_at").flatMap(Timestamp.init)
        version = try row.int64("version")
    }

    public var displayNumber: String { number ?? "pending" }

    public static func require(_ id: String, in db: any SQLDatabase, field: String = "invoice_id") throws -> Invoice {
        guard let row = try db.row("SELECT * FROM invoice WHERE id = ?", [id]) else {
            throw MutationRefusal.notFound(field, "invoice \(id) does not exist")
        }
        return try Invoice(row: row)
    }

    /// Invoices by number (zero-padded, so by length first), then any without one by issue date.
    /// Without a customer, every customer's: the reseller's own (`Customer.ownAccountId`) are listed apart.
    public static func list(customerId: String?, in db: any SQLDatabase) throws -> [Invoice] {
        try db.rows("""
            SELECT * FROM invoice WHERE CAST(?1 AS TEXT) IS NULL AND customer_id <> 'cus_own' OR customer_id = ?1
            ORDER BY number IS NULL, length(number), number, issue_date, id
            """,
                    [customerId])
            .map(Invoice.init(row:))
    }

    public func lines(in db: any SQLDatabase) throws -> [InvoiceLine] {
        try db.rows("SELECT * FROM invoice_line WHERE invoice_id = ? ORDER BY id", [id]).map(InvoiceLine.init(row:))
    }
}

/// One line of an invoice.
public struct InvoiceLine: Codable, Sendable, Equatable {
    public let id: String
    public let invoiceId: String
    public let subscriptionId: String?
    public let description: String
    public let quantity: Int
    public let unitPrice: Int64
    public let amount: Int64
    public let periodStart: BusinessDate?
    public let periodEnd: BusinessDate?
    public let version: Int64

    public init(row: Row) throws {
        id = try row.string("id")
        invoiceId = try row.string("invoice_id")
        subscriptionId = try row.optionalString("subscription_id")
        description = try row.string("description")
        quantity = try row.int("quantity")
        unitPrice = try row.int64("unit_price")
        amount = try row.int64("amount")
        periodStart = try row.optionalString("period_start").flatMap(BusinessDate.init)
        periodEnd = try row.optionalString("period_end").flatMap(BusinessDate.init)
        version = try row.int64("version")
    }
}

/// An invoice's payment state, derived from its payments, credit notes and due date — never stored.
public struct InvoiceBalance: Codable, Sendable, Equatable {
    public enum PaymentState: String, Codable, Sendable, CaseIterable {
        case unpaid
        case partiallyPaid = "partially_paid"
        case paid
        /// A void invoice owes nothing.
        case void
    }

    public let invoiceId: String
    public let total: Int64
    /// Completed payments.
    public let paid: Int64
    /// Credit notes against the invoice.
    public let credited: Int64
    public let outstanding: Int64
    public let state: PaymentState
    /// Outstanding and past its due date.
    public let overdue: Bool
    public let daysOverdue: Int

    static let query = """
        SELECT i.id, i.status, i.total, i.due_date,
               coalesce((SELECT sum(amount) FROM payment p WHERE p.invoice_id = i.id AND p.status = 'completed'), 0) AS paid,
               coalesce((SELECT sum(total) FROM credit_note c WHERE c.invoice_id = i.id), 0) AS credited
        FROM invoice i
        """

    init(row: Row, today: BusinessDate) throws {
        invoiceId = try row.string("id")
        total = try row.int64("total")
        paid = try row.int64("paid")
        credited = try row.int64("credited")
        let isVoid = try row.string("status") == Invoice.Status.void.rawValue
        outstanding = isVoid ? 0 : max(0, total - paid - credited)
        if isVoid { state = .void }
        else if outstanding == 0 { state = .paid }
        else if paid + credited > 0 { state = .partiallyPaid }
        else { state = .unpaid }
        let due = BusinessDate(try row.string("due_date")) ?? today
        daysOverdue = outstanding > 0 ? max(0, due.days(until: today)) : 0
        overdue = daysOverdue > 0
    }

    /// One invoice's balance as of `today`.
    public static func of(_ invoiceId: String, today: BusinessDate, in db: any SQLDatabase) throws -> InvoiceBalance? {
        try db.row(query + " WHERE i.id = ?", [invoiceId]).map { try InvoiceBalance(row: $0, today: today) }
    }

    /// Invoices of a customer that still have something outstanding.
    public static func openInvoices(customerId: String, in db: any SQLDatabase, today: BusinessDate = BusinessDate(daysSinceEpoch: 0)) throws -> [InvoiceBalance] {
        try db.rows(query + " WHERE i.customer_id = ? AND i.status = 'issued'", [customerId])
            .map { try InvoiceBalance(row: $0, today: today) }
            .filter { $0.outstanding > 0 }
    }

    /// Every invoice's balance (or one customer's), keyed by invoice id.
    public static func all(customerId: String?, today: BusinessDate, in db: any SQLDatabase) throws -> [String: InvoiceBalance] {
        var result: [String: InvoiceBalance] = [:]
        try db.forEachRow(query + " WHERE CAST(?1 AS TEXT) IS NULL OR i.customer_id = ?1", [customerId]) { row in
            let balance = try InvoiceBalance(row: row, today: today)
            result[balance.invoiceId] = balance
        }
        return result
    }
}
