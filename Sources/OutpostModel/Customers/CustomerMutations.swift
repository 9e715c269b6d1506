import OutpostStore

/// `customer.create`: a new end customer, active from the start.
public struct CreateCustomer: Mutation {
    public static let name = "customer.create"
    public static let version = 1

    public var id: String
    public var name: String
    public var contactName: String = ""
    public var email: String = ""
    public var phone: String = ""
    public var address: String = ""
    public var city: String = ""
    public var postalCode: String = ""
    public var country: String = ""
    public var taxId: String = ""

    public init(id: String, name: String) {
        self.id = id
        self.name = name
    }

    public func apply(in context: MutationContext) throws {
        let id = try FieldRules.id(id, prefix: "cus", field: "id")
        let fields = try CustomerFields.validate(
            name: name, contactName: contactName, email: email, phone: phone, address: address,
            city: city, postalCode: postalCode, country: country, taxId: taxId)
        try context.insertNew("customer", [("id", id)] + fields + [("status", "active"), ("created_at", context.now.description)],
                              field: "id", what: "customer")
    }
}

/// `customer.update`: changes profile fields; absent fields stay as they are.
public struct UpdateCustomer: Mutation {
    public static let name = "customer.update"
    public static let version = 1

    public var id: String
    /// The customer's version when the user saw it (for the node's per-field merge).
    public var baseVersion: Int64
    public var name: String?
    public var contactName: String?
    public var email: String?
    public var phone: String?
    public var address: String?
    public var city: String?
    public var postalCode: String?
    public var country: String?
    public var taxId: String?

    public init(id: String, baseVersion: Int64) {
        self.id = id
        self.baseVersion = baseVersion
    }

    public func apply(in context: MutationContext) throws {
        let customer = try Customer.requireEndCustomer(id, in: context.db, field: "id")
        guard customer.status != .closed else {
            throw MutationRefusal.notAllowed("id", "customer \(id) is closed; activate it before editing")
        }
        let fields = try CustomerFields.validate(
            name: name ?? customer.name, contactName: contactName ?? customer.contactName, email: email ?? customer.email,
            phone: phone ?? customer.phone, address: address ?? customer.address, city: city ?? customer.city,
            postalCode: postalCode ?? customer.postalCode, country: country ?? customer.country, taxId: taxId ?? customer.taxId)
        try context.update("customer", id: id, fields)
    }
}

/// `customer.suspend`: an active customer can no longer order.
public struct SuspendCustomer: Mutation {
    public static let name = "customer.suspend"
    public static let version = 1

    public var id: String
    public var baseVersion: Int64

    public init(id: String, baseVersion: Int64) {
        self.id = id
        self.baseVersion = baseVersion
    }

    public func apply(in context: MutationContext) throws {
        let customer = try Customer.requireEndCustomer(id, in: context.db, field: "id")
        guard customer.status == .active else {
            throw MutationRefusal.notAllowed("id", "customer \(id) is \(customer.status.rawValue); only active customers can be suspended")
        }
        try context.update("customer", id: id, [("status", "suspended")])
    }
}

/// `customer.activate`: brings a suspended or closed customer back.
public struct ActivateCustomer: Mutation {
    public static let name = "customer.activate"
    public static let version = 1

    public var id: String
    public var baseVersion: Int64

    public init(id: String, baseVersion: Int64) {
        self.id = id
        self.baseVersion = baseVersion
    }

    public func apply(in context: MutationContext) throws {
        let customer = try Customer.requireEndCustomer(id, in: context.db, field: "id")
        guard customer.status != .active else {
            throw MutationRefusal.notAllowed("id", "customer \(id) is already active")
        }
        try context.update("customer", id: id, [("status", "active"), ("closed_at", nil as String?)])
    }
}

/// `customer.close`: ends the relationship; refused while anything is still running or owed. Disables the customer's portal.
public struct CloseCustomer: Mutation {
    public static let name = "customer.close"
    public static let version = 1

    public var id: String
    public var baseVersion: Int64

    public init(id: String, baseVersion: Int64) {
        self.id = id
        self.baseVersion = baseVersion
    }

    public func apply(in context: MutationContext) throws {
        let customer = try Customer.requireEndCustomer(id, in: context.db, field: "id")
        guard customer.status != .closed else {
            throw MutationRefusal.notAllowed("id", "customer \(id) is already closed")
        }
        let running = try context.db.scalar(
            "SELECT count(*) FROM subscription WHERE customer_id = ? AND status IN ('pending', 'active', 'suspended')", [id])?.int64 ?? 0
        guard running == 0 else {
            throw MutationRefusal.notAllowed("id", "customer \(id) has \(running) active subscription(s); cancel them before closing")
        }
        let open = try context.db.scalar(
            "SELECT count(*) FROM orders WHERE customer_id = ? AND status IN ('queued', 'submitted', 'provisioning')", [id])?.int64 ?? 0
        guard open == 0 else {
            throw MutationRefusal.notAllowed("id", "customer \(id) has \(open) open order(s) waiting for provisioning; let them complete or fail before closing")
        }
        let unpaid = try InvoiceBalance.openInvoices(customerId: id, in: context.db)
        guard unpaid.isEmpty else {
            let owed = unpaid.reduce(Int64(0)) { $0 + $1.outstanding }
            throw MutationRefusal.notAllowed("id", "customer \(id) has \(unpaid.count) unpaid invoice(s), \(owed) minor units outstanding; record the payments before closing")
        }
        try context.update("customer", id: id, [("status", "closed"), ("closed_at", context.now.description)])
        // A closed customer has no portal: the next site build deletes its directory, so the next publish takes it offline.
        if try CustomerPortal.find(customerId: id, in: context.db) != nil { try context.delete("customer_portal", id: id) }
    }
}

/// The validated profile columns shared by create and update.
enum CustomerFields {
    static func validate(name: String, contactName: String, email: String, phone: String, address: String,
                         city: String, postalCode: String, country: String, taxId: String) throws -> [(String, any SQLBindable)] {
        [
            ("name", try FieldRules.requiredText(name, field: "name")),
            ("contact_name", try FieldRules.optionalText(contactName, field: "contact_name")),
            ("email", try FieldRules.email(email, required: false)),
            ("phone", try FieldRules.phone(phone)),
            ("address", try FieldRules.multilineText(address, field: "address")),
            ("city", try FieldRules.optionalText(city, field: "city", maximum: 100)),
            ("postal_code", try FieldRules.optionalText(postalCode, field: "postal_code", maximum: 20)),
            ("country", try FieldRules.country(country)),
            ("tax_id", try FieldRules.optionalText(taxId, field: "tax_id", maximum: 40)),
        ]
    }
}
