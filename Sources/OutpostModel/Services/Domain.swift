import OutpostStore

/// A domain registered or transferred for a customer.
public struct Domain: Codable, Sendable, Equatable {
    public enum Origin: String, Codable, Sendable, CaseIterable {
        case registration, transfer
    }

    public enum Status: String, Codable, Sendable, CaseIterable {
        case pending, active, expired
        case transferredOut = "transferred_out"
        case cancelled
    }

    public let id: String
    public let customerId: String
    public let subscriptionId: String?
    public let name: String
    public let origin: Origin
    public let status: Status
    public let registeredOn: BusinessDate?
    public let expiresOn: BusinessDate?
    public let autoRenew: Bool
    public let version: Int64

    public init(row: Row) throws {
        id = try row.string("id")
        customerId = try row.string("customer_id")
        subscriptionId = try row.optionalString("subscription_id")
        name = try row.string("name")
        origin = Origin(rawValue: try row.string("origin")) ?? .registration
        status = Status(rawValue: try row.string("status")) ?? .pending
        registeredOn = try row.optionalString("registered_on").flatMap(BusinessDate.init)
        expiresOn = try row.optionalString("expires_on").flatMap(BusinessDate.init)
        autoRenew = try row.bool("auto_renew")
        version = try row.int64("version")
    }

    public static func list(customerId: String?, in db: any SQLDatabase) throws -> [Domain] {
        try db.rows("SELECT * FROM domain WHERE CAST(?1 AS TEXT) IS NULL OR customer_id = ?1 ORDER BY name", [customerId]).map(Domain.init(row:))
    }
}

/// An SSL certificate bought for a customer.
public struct SSLCertificate: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable, CaseIterable {
        case pending, issued, expired, revoked, cancelled
    }

    public let id: String
    public let customerId: String
    public let subscriptionId: String?
    public let commonName: String
    public let validation: Plan.SSLValidation
    public let status: Status
    public let issuedOn: BusinessDate?
    public let expiresOn: BusinessDate?
    public let version: Int64

    public init(row: Row) throws {
        id = try row.string("id")
        customerId = try row.string("customer_id")
        subscriptionId = try row.optionalString("subscription_id")
        commonName = try row.string("common_name")
        validation = Plan.SSLValidation(rawValue: try row.string("validation")) ?? .dv
        status = Status(rawValue: try row.string("status")) ?? .pending
        issuedOn = try row.optionalString("issued_on").flatMap(BusinessDate.init)
        expiresOn = try row.optionalString("expires_on").flatMap(BusinessDate.init)
        version = try row.int64("version")
    }

    public static func list(customerId: String?, in db: any SQLDatabase) throws -> [SSLCertificate] {
        try db.rows("SELECT * FROM ssl_certificate WHERE CAST(?1 AS TEXT) IS NULL OR customer_id = ?1 ORDER BY common_name, id", [customerId])
            .map(SSLCertificate.init(row:))
    }
}

/// A software license sold to a customer.
public struct License: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable, CaseIterable {
        case active, expired, cancelled
    }

    public let id: String
    public let customerId: String
    public let subscriptionId: String?
    public let product: String
    public let licenseKey: String
    public let seats: Int
    public let status: Status
    public let expiresOn: BusinessDate?
    public let version: Int64

    public init(row: Row) throws {
        id = try row.string("id")
        customerId = try row.string("customer_id")
        subscriptionId = try row.optionalString("subscription_id")
        product = try row.string("product")
        licenseKey = try row.string("license_key")
        seats = try row.int("seats")
        status = Status(rawValue: try row.string("status")) ?? .active
        expiresOn = try row.optionalString("expires_on").flatMap(BusinessDate.init)
        version = try row.int64("version")
    }

    public static func list(customerId: String?, in db: any SQLDatabase) throws -> [License] {
        try db.rows("SELECT * FROM license WHERE CAST(?1 AS TEXT) IS NULL OR customer_id = ?1 ORDER BY product, id", [customerId]).map(License.init(row:))
    }
}
