import OutpostStore

/// A credit against an issued invoice (an immediate cancellation, a goodwill credit), with its lines.
public struct CreditNote: Codable, Sendable, Equatable {
    public let id: String
    public let number: String?
    public let invoiceId: String
    public let customerId: String
    public let reason: String
    public let issueDate: BusinessDate
    public let currency: String
    public let subtotal: Int64
    public let tax: Int64
    /// The amount credited (positive).
    public let total: Int64
    public let version: Int64

    public init(row: Row) throws {
        id = try row.string("id")
        number = try row.optionalString("number")
        invoiceId = try row.string("invoice_id")
        customerId = try row.string("customer_id")
        reason = try row.string("reason")
        issueDate = BusinessDate(try row.string("issue_date")) ?? BusinessDate(daysSinceEpoch: 0)
        currency = try row.string("currency")
        subtotal = try row.int64("subtotal")
        tax = try row.int64("tax")
        total = try row.int64("total")
        version = try row.int64("version")
    }

    /// "pending" until the node numbers it.
    public var displayNumber: String { number ?? "pending" }

    /// Credit notes by number (zero-padded, so by length first), then pending ones by issue date; of one
    /// customer or one invoice when given.
    public static func list(customerId: String?, invoiceId: String? = nil, in db: any SQLDatabase) throws -> [CreditNote] {
        try db.rows("""
            SELECT * FROM credit_note WHERE (CAST(?1 AS TEXT) IS NULL OR customer_id = ?1) AND (CAST(?2 AS TEXT) IS NULL OR invoice_id = ?2)
            ORDER BY number IS NULL, length(number), number, issue_date, id
            """,
                    [customerId, invoiceId])
            .map(CreditNote.init(row:))
    }

    public static func require(_ id: String, in db: any SQLDatabase, field: String = "credit_note_id") throws -> CreditNote {
        guard let row = try db.row("SELECT * FROM credit_note WHERE id = ?", [id]) else {
            throw MutationRefusal.notFound(field, "credit note \(id) does not exist")
        }
        return try CreditNote(row: row)
    }

    public func lines(in db: any SQLDatabase) throws -> [CreditNoteLine] {
        try db.rows("SELECT * FROM credit_note_line WHERE credit_note_id = ? ORDER BY id", [id]).map(CreditNoteLine.init(row:))
    }
}

/// One line of a credit note.
public struct CreditNoteLine: Codable, Sendable, Equatable {
    public let id: String
    public let creditNoteId: String
    public let description: String
    public let quantity: Int
    public let unitPrice: Int64
    public let amount: Int64
    public let version: Int64

    public init(row: Row) throws {
        id = try row.string("id")
        creditNoteId = try row.string("credit_note_id")
        description = try row.string("description")
        quantity = try row.int("quantity")
        unitPrice = try row.int64("unit_price")
        amount = try row.int64("amount")
        version = try row.int64("version")
    }
}
