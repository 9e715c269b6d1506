import OutpostStore

/// A customer's read-only portal: the pages `outpost site build` renders into
/// `portals/<key>/` for that customer alone, opted into per customer.
///
/// One row per customer with a portal; its id is the customer's id, so a
/// disabled portal (a deleted row) still names its customer in the site's
/// change journal. The key is random and made on the laptop that enabled or
/// renewed the portal, never derived from the customer: the directory name is
/// the only thing that keeps a published portal from being found.
public struct CustomerPortal: Codable, Sendable, Equatable {
    /// The customer's id.
    public let customerId: String
    /// The portal's directory name under `portals/`.
    public let key: String
    /// When the portal was enabled (a renewal keeps it).
    public let enabledAt: Timestamp
    public let version: Int64

    public init(row: Row) throws {
        customerId = try row.string("id")
        key = try row.string("portal_key")
        enabledAt = Timestamp(try row.string("enabled_at")) ?? Timestamp(secondsSinceEpoch: 0)
        version = try row.int64("version")
    }

    /// The portal's home page, from the site root.
    public var path: String { Self.directory(key) + "index.html" }

    /// The portal's directory, from the site root (`portals/<key>/`).
    public static func directory(_ key: String) -> String { "portals/" + key + "/" }

    /// The customer's portal, if enabled.
    public static func find(customerId: String, in db: any SQLDatabase) throws -> CustomerPortal? {
        try db.row("SELECT * FROM customer_portal WHERE id = ?", [customerId]).map(CustomerPortal.init(row:))
    }

    /// Every enabled portal, by customer name.
    public static func list(in db: any SQLDatabase) throws -> [CustomerPortal] {
        try db.rows("""
            SELECT p.* FROM customer_portal p JOIN customer c ON c.id = p.id ORDER BY c.name COLLATE NOCASE, c.id
            """).map(CustomerPortal.init(row:))
    }

    /// The lowercase RFC 4648 base-32 alphabet: safe in a path and a URL, and no case to get wrong.
    static let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)
    /// Characters in a key: 26 × 5 = 130 random bits.
    public static let keyLength = 26

    /// A new key from the system's random number generator (130 bits).
    public static func makeKey() -> String {
        var generator = SystemRandomNumberGenerator()
        let characters = (0..<keyLength).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }
        return String(decoding: characters, as: UTF8.self)
    }

    /// A key a new portal address may take: 26 characters of the key alphabet, used by no other portal
    /// (two directories cannot share a name). What enable and renew both check.
    static func requireNewKey(_ key: String, in db: any SQLDatabase) throws -> String {
        guard key.utf8.count == keyLength, key.utf8.allSatisfy(alphabet.contains) else {
            throw MutationRefusal.invalid("key", "key must be \(keyLength) characters of a–z and 2–7 (made by outpost portal enable)")
        }
        if try db.scalar("SELECT 1 FROM customer_portal WHERE portal_key = ?", [key]) != nil {
            throw MutationRefusal(.duplicate, field: "key", "a portal already uses this key; run the command again for a new one")
        }
        return key
    }

    /// The customer's portal, or a refusal saying how to enable one.
    static func require(customerId: String, in db: any SQLDatabase) throws -> CustomerPortal {
        guard let portal = try find(customerId: customerId, in: db) else {
            throw MutationRefusal.notAllowed("customer_id", "customer \(customerId) has no portal; enable one with: outpost portal enable CUSTOMER")
        }
        return portal
    }
}
