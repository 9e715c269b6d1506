import OutpostModel
import OutpostStore

/// Completes orders with the distributor: the built-in demo provisioner, or a
/// hook that talks to a real vendor API.
///
/// Called outside any transaction (a vendor call can take a while); the node
/// claims the order before and records the answer after.
public protocol Provisioner: Sendable {
    /// The vendor's answer for one order.
    func provision(_ request: ProvisioningRequest) -> ProvisioningAnswer
}

/// One order as a provisioner sees it: the order, its lines, the customer, the plan and the subscription it concerns.
public struct ProvisioningRequest: Sendable, Equatable {
    public let resellerId: String
    public let order: Order
    public let lines: [OrderLine]
    public let customerName: String
    public let plan: Plan
    /// The subscription a change or cancellation acts on.
    public let subscription: Subscription?
    /// The same for every call about this order (resubmits included): the vendor must do an order once per key.
    public let idempotencyKey: String
    /// The JSON a hook reads on stdin.
    public let json: JSONValue

    /// The idempotency key of an order: from who placed it and its id, never from the time of the call.
    public static func idempotencyKey(resellerId: String, orderId: String) -> String {
        "outpost-" + resellerId + "-" + orderId
    }

    /// Reads everything about `order` a provisioner needs.
    init(resellerId: String, order: Order, in db: any SQLDatabase) throws {
        self.resellerId = resellerId
        self.order = order
        lines = try order.lines(in: db)
        guard let first = lines.first else { throw FulfilmentFailure("order \(order.displayNumber) has no lines") }
        plan = try Plan.require(first.planId, in: db)
        let customer = try Customer.require(order.customerId, in: db)
        customerName = customer.name
        subscription = try order.subscriptionId.map { try Subscription.require($0, in: db) }

        func image(_ table: String, _ id: String) throws -> JSONValue {
            var row = try db.row("SELECT * FROM \(table) WHERE id = ?", [id])?.dictionary.mapValues(\.json) ?? [:]
            row["version"] = nil
            return .object(row)
        }
        idempotencyKey = Self.idempotencyKey(resellerId: resellerId, orderId: order.id)
        var object: [String: JSONValue] = [
            "reseller": .string(resellerId),
            "idempotency_key": .string(idempotencyKey),
            "order": try image("orders", order.id),
            "lines": .array(try lines.map { try image("order_line", $0.id) }),
            "customer": .object(["id": .string(customer.id), "name": .string(customer.name)]),
            "plan": .object([
                "id": .string(plan.id), "name": .string(plan.name), "vendor": .string(plan.vendor), "kind": .string(plan.kind.rawValue),
                "billing_period": .string(plan.billingPeriod.rawValue),
                "ssl_validation": plan.sslValidation.map { .string($0.rawValue) } ?? .null,
            ]),
        ]
        object["subscription"] = try subscription.map { try image("subscription", $0.id) } ?? .null
        json = .object(object)
    }

    /// The order's one line (orders are written with exactly one).
    public var line: OrderLine { lines[0] }
}

/// What a provisioner answers.
public enum ProvisioningAnswer: Sendable, Equatable {
    /// Done at the vendor, with whatever the vendor assigned.
    case completed(ProvisioningDetails)
    /// Not done; the reason is shown on the order, which can be resubmitted. `errorOutput` is the end of a hook's
    /// standard error (`OperationLog.errorTail`), kept in the operations log beside the reason.
    case failed(reason: String, errorOutput: String = "")
}

/// Facts the vendor assigns on completion; anything left `nil` is filled in by the node.
public struct ProvisioningDetails: Sendable, Equatable {
    /// A license's key.
    public var licenseKey: String?
    /// When the domain, certificate or license expires (defaults to the end of the billing period).
    public var expiresOn: BusinessDate?
    /// When the certificate was issued (defaults to the provisioning date).
    public var issuedOn: BusinessDate?
    /// When the domain was registered or transferred in (defaults to the provisioning date).
    public var registeredOn: BusinessDate?

    public init(licenseKey: String? = nil, expiresOn: BusinessDate? = nil, issuedOn: BusinessDate? = nil, registeredOn: BusinessDate? = nil) {
        self.licenseKey = licenseKey
        self.expiresOn = expiresOn
        self.issuedOn = issuedOn
        self.registeredOn = registeredOn
    }

    /// The answer as it is kept on the order (`orders.vendor_answer`): the hook's own fields.
    var answerJSON: JSONValue {
        var object: [String: JSONValue] = ["status": .string("completed")]
        object["license_key"] = licenseKey.map(JSONValue.string)
        object["expires_on"] = expiresOn.map { .string($0.description) }
        object["issued_on"] = issuedOn.map { .string($0.description) }
        object["registered_on"] = registeredOn.map { .string($0.description) }
        return .object(object)
    }

    /// Reads an answer kept by `answerJSON`.
    init(answerJSON json: JSONValue) {
        let object = json.objectValue ?? [:]
        licenseKey = object["license_key"]?.stringValue
        expiresOn = object["expires_on"]?.stringValue.flatMap(BusinessDate.init)
        issuedOn = object["issued_on"]?.stringValue.flatMap(BusinessDate.init)
        registeredOn = object["registered_on"]?.stringValue.flatMap(BusinessDate.init)
    }
}

/// Why a completed order could not take effect (the subscription ended meanwhile, the domain is taken…):
/// the order is marked failed with this reason.
struct FulfilmentFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
