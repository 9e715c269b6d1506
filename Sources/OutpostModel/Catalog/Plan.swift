import OutpostStore

/// A service plan from the distributor's catalog: what it costs the reseller per unit and period.
public struct Plan: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case subscription, domain, ssl, license
    }

    public enum BillingPeriod: String, Codable, Sendable, CaseIterable {
        case monthly, annual

        /// Months in one period.
        public var months: Int { self == .monthly ? 1 : 12 }
    }

    public enum SSLValidation: String, Codable, Sendable, CaseIterable {
        case dv = "DV", ov = "OV", ev = "EV"
    }

    public let id: String
    public let name: String
    public let vendor: String
    public let kind: Kind
    public let billingPeriod: BillingPeriod
    /// Cost per unit and period, in minor units of `currency`.
    public let cost: Int64
    public let currency: String
    public let sslValidation: SSLValidation?
    public let description: String
    public let available: Bool
    public let version: Int64

    public init(id: String, name: String, vendor: String, kind: Kind, billingPeriod: BillingPeriod, cost: Int64,
                currency: String, sslValidation: SSLValidation?, description: String, available: Bool, version: Int64 = 0) {
        self.id = id
        self.name = name
        self.vendor = vendor
        self.kind = kind
        self.billingPeriod = billingPeriod
        self.cost = cost
        self.currency = currency
        self.sslValidation = sslValidation
        self.description = description
        self.available = available
        self.version = version
    }

    public init(row: Row) throws {
        id = try row.string("id")
        name = try row.string("name")
        vendor = try row.string("vendor")
        kind = Kind(rawValue: try row.string("kind")) ?? .subscription
        billingPeriod = BillingPeriod(rawValue: try row.string("billing_period")) ?? .monthly
        cost = try row.int64("cost")
        currency = try row.string("currency")
        sslValidation = try row.optionalString("ssl_validation").flatMap(SSLValidation.init(rawValue:))
        description = try row.string("description")
        available = try row.bool("available")
        version = try row.int64("version")
    }

    public static func require(_ id: String, in db: any SQLDatabase, field: String = "plan_id") throws -> Plan {
        guard let row = try db.row("SELECT * FROM plan WHERE id = ?", [id]) else {
            throw MutationRefusal.notFound(field, "plan \(id) does not exist")
        }
        return try Plan(row: row)
    }

    public static func list(in db: any SQLDatabase) throws -> [Plan] {
        try db.rows("SELECT * FROM plan ORDER BY kind, name, id").map(Plan.init(row:))
    }

    /// Writes the plan as a catalog fact (node side, fixtures); not a reseller mutation.
    public func upsert(in context: MutationContext) throws {
        let values: [(String, any SQLBindable)] = [
            ("name", name), ("vendor", vendor), ("kind", kind.rawValue), ("billing_period", billingPeriod.rawValue),
            ("cost", cost), ("currency", currency), ("ssl_validation", sslValidation?.rawValue), ("description", description),
            ("available", available),
        ]
        if try context.fetch("plan", id: id) == nil {
            try context.insert("plan", [("id", id)] + values)
        } else {
            try context.update("plan", id: id, values)
        }
    }
}
