import OutpostModel
import OutpostStore

/// The answer to `account`: whose token this is and the settings the node already holds for that reseller.
///
/// No request names a reseller (the tenant is the token's); this answer names it, so that
/// `outpost init --node` can check, before it creates anything, that the token belongs to the
/// reseller the person typed, and so that a joining replica takes the node's settings instead of
/// queueing its own (section 7.6 of sync/PROTOCOL.md).
public struct AccountResponse: Sendable, Equatable {
    /// The reseller the token belongs to.
    public let reseller: String
    /// The user the token was issued to.
    public let user: String
    /// The reseller's settings on the node.
    public let companyName: String
    public let currency: String
    /// The default markup on cost, basis points.
    public let defaultMarkupBp: Int64

    public init(reseller: String, user: String, companyName: String, currency: String, defaultMarkupBp: Int64) {
        self.reseller = reseller
        self.user = user
        self.companyName = companyName
        self.currency = currency
        self.defaultMarkupBp = defaultMarkupBp
    }

    /// What the node answers for `reseller`'s token held by `user`, read from the tenant's database.
    public init(reseller: String, user: String, tenant db: any SQLDatabase) throws {
        let settings = try ResellerSettings.load(from: db)
        self.init(reseller: reseller, user: user, companyName: settings.companyName, currency: settings.currency,
                  defaultMarkupBp: Int64(try PriceRule.defaultMarkup(in: db)))
    }

    public var json: JSONValue {
        .object([
            "protocol": .integer(SyncProtocol.version), "reseller": .string(reseller), "user": .string(user),
            "company_name": .string(companyName), "currency": .string(currency), "default_markup_bp": .integer(defaultMarkupBp),
        ])
    }

    public init(json: JSONValue) throws(SyncError) {
        let reader = try MessageReader(json, "account response")
        try reader.checkProtocol()
        reseller = try reader.string("reseller", maximum: 80)
        user = try reader.string("user", maximum: 80)
        companyName = try reader.string("company_name", maximum: 400)
        currency = try reader.string("currency", maximum: 3)
        defaultMarkupBp = try reader.integer("default_markup_bp")
    }

    /// The request: nothing but the protocol version.
    public static let request = JSONValue.object(["protocol": .integer(SyncProtocol.version)])

    /// Asks the node behind `transport` whose token it holds.
    public static func fetch(over transport: any SyncTransport) throws -> AccountResponse {
        try AccountResponse(json: try transport.exchange(.account, request))
    }
}
