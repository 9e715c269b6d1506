import OutpostModel
import OutpostStore

/// The domain, SSL certificate or license row behind a subscription: made when
/// it is sold, and following its subscription's seats, expiry and end.
enum ServiceRecords {
    /// Creates the record for a sold subscription of a domain, SSL or license plan; nothing for plain subscriptions.
    static func create(subscriptionId: String, customerId: String, plan: Plan, line: OrderLine, transfer: Bool,
                       details: ProvisioningDetails, start: BusinessDate, end: BusinessDate, ids: IdentifierFactory,
                       in context: MutationContext) throws {
        switch plan.kind {
        case .subscription:
            return
        case .domain:
            let values: [(String, any SQLBindable)] = [
                ("customer_id", customerId), ("subscription_id", subscriptionId), ("name", line.domainName),
                ("origin", (transfer ? Domain.Origin.transfer : .registration).rawValue), ("status", Domain.Status.active.rawValue),
                ("registered_on", (details.registeredOn ?? start).description), ("expires_on", (details.expiresOn ?? end).description),
                ("auto_renew", true),
            ]
            // Names are unique: a domain that was let go and is registered again gets its old row back.
            if let old = try context.db.row("SELECT id FROM domain WHERE name = ?", [line.domainName]) {
                try context.update("domain", id: try old.string("id"), values)
            } else {
                try context.insert("domain", [("id", ids.make("dom"))] + values)
            }
        case .ssl:
            let id = ids.make("ssl")
            try context.insert("ssl_certificate", [
                ("id", id), ("customer_id", customerId), ("subscription_id", subscriptionId), ("common_name", line.commonName),
                ("validation", (plan.sslValidation ?? .dv).rawValue), ("status", SSLCertificate.Status.issued.rawValue),
                ("issued_on", (details.issuedOn ?? start).description), ("expires_on", (details.expiresOn ?? end).description),
            ])
        case .license:
            let id = ids.make("lic")
            try context.insert("license", [
                ("id", id), ("customer_id", customerId), ("subscription_id", subscriptionId), ("product", plan.name),
                ("license_key", details.licenseKey ?? BuiltInProvisioner.licenseKey(for: id)), ("seats", line.quantity),
                ("status", License.Status.active.rawValue), ("expires_on", (details.expiresOn ?? end).description),
            ])
        }
    }

    /// Refuses a domain sale whose name another live record already holds.
    static func requireDomainFree(_ name: String, in db: any SQLDatabase) throws {
        if let row = try db.row("SELECT customer_id FROM domain WHERE name = ? AND status IN ('pending', 'active')", [name]) {
            throw FulfilmentFailure("domain \(name) is already managed for customer \(row[0].string ?? "?")")
        }
    }

    /// A license's seats follow its subscription's quantity.
    static func setSeats(subscriptionId: String, seats: Int, in context: MutationContext) throws {
        for id in try ids(in: "license", subscriptionId: subscriptionId, context: context) {
            try context.update("license", id: id, [("seats", seats)])
        }
    }

    /// A renewed period: the records expire with it (a renewed certificate is issued anew on the renewal date).
    static func renew(subscriptionId: String, start: BusinessDate, end: BusinessDate, in context: MutationContext) throws {
        for id in try ids(in: "domain", subscriptionId: subscriptionId, context: context) {
            try context.update("domain", id: id, [("expires_on", end.description)])
        }
        for id in try ids(in: "ssl_certificate", subscriptionId: subscriptionId, context: context) {
            try context.update("ssl_certificate", id: id, [("issued_on", start.description), ("expires_on", end.description)])
        }
        for id in try ids(in: "license", subscriptionId: subscriptionId, context: context) {
            try context.update("license", id: id, [("expires_on", end.description)])
        }
    }

    /// The subscription will not renew: neither will its domain.
    static func stopAutoRenew(subscriptionId: String, in context: MutationContext) throws {
        for id in try ids(in: "domain", subscriptionId: subscriptionId, context: context) {
            try context.update("domain", id: id, [("auto_renew", false)])
        }
    }

    /// The subscription ended: cancelled (now or at period end) or expired; live records end with it.
    static func end(subscriptionId: String, as status: Subscription.Status, in context: MutationContext) throws {
        let cancelled = status == .cancelled
        for id in try ids(in: "domain", subscriptionId: subscriptionId, context: context, live: "('pending', 'active')") {
            try context.update("domain", id: id, [("status", (cancelled ? Domain.Status.cancelled : .expired).rawValue), ("auto_renew", false)])
        }
        for id in try ids(in: "ssl_certificate", subscriptionId: subscriptionId, context: context, live: "('pending', 'issued')") {
            try context.update("ssl_certificate", id: id, [("status", (cancelled ? SSLCertificate.Status.cancelled : .expired).rawValue)])
        }
        for id in try ids(in: "license", subscriptionId: subscriptionId, context: context, live: "('active')") {
            try context.update("license", id: id, [("status", (cancelled ? License.Status.cancelled : .expired).rawValue)])
        }
    }

    /// `live` is a constant SQL list from this file, never data.
    private static func ids(in table: String, subscriptionId: String, context: MutationContext, live: String? = nil) throws -> [String] {
        let filter = live.map { " AND status IN \($0)" } ?? ""
        return try context.db.rows("SELECT id FROM \(table) WHERE subscription_id = ?\(filter) ORDER BY id", [subscriptionId])
            .map { try $0.string("id") }
    }
}
