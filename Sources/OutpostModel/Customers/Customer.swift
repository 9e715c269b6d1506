import OutpostStore

/// An end customer of the reseller.
public struct Customer: Codable, Sendable, Equatable {
    /// The reserved row that stands for the reseller itself, buying at cost for its own use
    /// (`order place --for-self`; "Settings → My product subscriptions").
    ///
    /// Why a customer row: orders, subscriptions and invoices all need a customer, and provisioning,
    /// renewals, seat changes and cancellations then work on the reseller's own purchases with no
    /// rule of their own. Migration v9 creates it with the same values on the node and on every
    /// replica, so it never travels and their digests agree. What the reseller sees as customers
    /// leaves it out: `list`, the name lookup (`EntityReference`), the report figures (`CustomerShares`,
    /// `ReportSQL.openInvoices`) and the dashboard's lists and customer pages; it is shown apart
    /// (`OwnPurchases`, `outpost own`, the "Own purchases" page). SQL names it as the literal `'cus_own'`.
    public static let ownAccountId = "cus_own"

    /// Whether this is the reseller's own account rather than an end customer.
    public var isOwnAccount: Bool { id == Self.ownAccountId }

    /// Where a customer stands: only active customers can order.
    public enum Status: String, Codable, Sendable, CaseIterable {
        case active, suspended, closed
    }

    public let id: String
    public let name: String
    public let status: Status
    public let contactName: String
    public let email: String
    public let phone: String
    public let address: String
    public let city: String
    public let postalCode: String
    public let country: String
    public let taxId: String
    public let createdAt: Timestamp
    /// When it was closed; nil unless closed (and for customers closed before Outpost kept the date).
    public let closedAt: Timestamp?
    public let version: Int64

    public init(row: Row) throws {
        id = try row.string("id")
        name = try row.string("name")
        status = try Self.Status(rawValue: row.string("status")) ?? .active
        contactName = try row.string("contact_name")
        email = try row.string("email")
        phone = try row.string("phone")
        address = try row.string("address")
        city = try row.string("city")
        postalCode = try row.string("postal_code")
        country = try row.string("country")
        taxId = try row.string("tax_id")
        createdAt = Timestamp(try row.string("created_at")) ?? Timestamp(secondsSinceEpoch: 0)
        closedAt = try row.optionalString("closed_at").flatMap(Timestamp.init)
        version = try row.int64("version")
    }

    /// The customer with this id, or a not-found refusal naming `field`.
    public static func require(_ id: String, in db: any SQLDatabase, field: String = "customer_id") throws -> Customer {
        guard let row = try db.row("SELECT * FROM customer WHERE id = ?", [id]) else {
            throw MutationRefusal.notFound(field, "customer \(id) does not exist")
        }
        return try Customer(row: row)
    }

    /// The end customer with this id: like `require`, but the reseller's own account is refused,
    /// so a customer's details, status and users are never changed on it.
    public static func requireEndCustomer(_ id: String, in db: any SQLDatabase, field: String = "customer_id") throws -> Customer {
        guard id != ownAccountId else {
            throw MutationRefusal.notAllowed(field, "\(id) is the reseller's own account, not a customer")
        }
        return try require(id, in: db, field: field)
    }

    /// Customers by name, optionally of one status (never the reseller's own account).
    public static func list(in db: any SQLDatabase, status: Status? = nil) throws -> [Customer] {
        try db.rows("SELECT * FROM customer WHERE (CAST(?1 AS TEXT) IS NULL OR status = ?1) AND id <> ?2 ORDER BY name COLLATE NOCASE, id",
                    [status?.rawValue, ownAccountId])
            .map(Customer.init(row:))
    }
}
