import OutpostModel

/// The node's back office over all its resellers (or one): the provisioning queue, resubmission and the billing run.
extension Node {
    /// Provisions every waiting order of every reseller (or of `resellerId`), oldest first per reseller.
    public func provision(resellerId: String? = nil, with provisioner: any Provisioner = BuiltInProvisioner()) throws -> [ProvisioningOutcome] {
        var outcomes: [ProvisioningOutcome] = []
        for id in try backOfficeResellers(resellerId) {
            outcomes += try ProvisioningQueue(tenant: try tenant(id), clock: clock).run(with: provisioner)
        }
        return outcomes
    }

    /// Sends a failed order back to the provisioning queue. Without `resellerId`, the reseller is found by the order.
    @discardableResult
    public func resubmit(orderId: String, resellerId: String? = nil) throws -> (resellerId: String, order: Order) {
        for id in try backOfficeResellers(resellerId) {
            let tenant = try tenant(id)
            guard try tenant.db.scalar("SELECT 1 FROM orders WHERE id = ?", [orderId]) != nil else { continue }
            return (id, try ProvisioningQueue(tenant: tenant, clock: clock).resubmit(orderId))
        }
        throw BackOfficeError(resellerId.map { "reseller \($0) has no order \(orderId)" } ?? "no reseller on this node has an order \(orderId)")
    }

    /// The renewal run through `date` for every reseller (or `resellerId`); idempotent.
    public func bill(through date: BusinessDate, resellerId: String? = nil) throws -> [BillingOutcome] {
        var outcomes: [BillingOutcome] = []
        for id in try backOfficeResellers(resellerId) {
            outcomes += try BillingRun(tenant: try tenant(id), clock: clock).run(through: date)
        }
        return outcomes
    }

    /// `resellerId` alone (checked to exist: an unknown reseller is an error, not an empty run), or every reseller.
    func backOfficeResellers(_ resellerId: String?) throws -> [String] {
        if let resellerId {
            _ = try tenant(resellerId)  // an unknown reseller is an error, not an empty run
            return [resellerId]
        }
        return try resellers().map(\.id)
    }
}
