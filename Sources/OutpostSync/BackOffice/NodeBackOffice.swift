import OutpostModel
import OutpostStore

/// The node's back office over all its resellers (or one): the provisioning queue, resubmission and the billing run.
extension Node {
    /// Provisions every waiting order of every reseller (or of `resellerId`), oldest first per reseller; one run at a
    /// time per node (`NodeJobLock`: a second throws `NodeJobLock.Busy`).
    public func provision(resellerId: String? = nil, with provisioner: any Provisioner = BuiltInProvisioner()) throws -> [ProvisioningOutcome] {
        let ids = try backOfficeResellers(resellerId)
        // One run at a time per node, from any machine: two would hand one order to the vendor twice.
        let lock = try lock(.provision)
        defer { withExtendedLifetime(lock) {} }
        var outcomes: [ProvisioningOutcome] = []
        for id in ids {
            outcomes += try ProvisioningQueue(tenant: try tenant(id), clock: clock).run(with: provisioner)
        }
        return outcomes
    }

    /// What `provision` would do, with nothing written and no provisioner called for real: each waiting order,
    /// checked as a run checks it, is refused with the reason or would go to `hook`; with the built-in
    /// provisioner (no hook) its completion is rehearsed, documents and all.
    public func rehearseProvisioning(resellerId: String? = nil, hook: String?) throws -> [ProvisioningPreview] {
        var previews: [ProvisioningPreview] = []
        for id in try backOfficeResellers(resellerId) {
            previews += try ProvisioningQueue(tenant: try tenant(id), clock: clock).rehearse(hook: hook)
        }
        return previews
    }

    /// Settles a failed order, named as `locate` finds it (`ORD-000004`, `ord-4`, its id or a unique id prefix): back to
    /// the provisioning queue, or, when the vendor had completed it, its recorded answer applied again without calling
    /// the vendor. Without `resellerId`, the reseller is found by the order; one that several resellers have is refused.
    @discardableResult
    public func resubmit(order reference: String, resellerId: String? = nil) throws -> (resellerId: String, resubmission: ProvisioningQueue.Resubmission) {
        let (tenant, orderId) = try locate(.order, reference, resellerId: resellerId)
        return (tenant.resellerId, try ProvisioningQueue(tenant: tenant, clock: clock).resubmit(orderId))
    }

    /// The renewal run through `date` for every reseller (or `resellerId`); idempotent; one at a time per node (`NodeJobLock`).
    ///
    /// Refused as a whole, before anything is written, when `date` lies beyond today plus any billed reseller's
    /// advance-billing window (`advance_billing_days`): a year billed ahead by a typo cannot be taken back.
    /// A date in the past is allowed: it only catches up what was already due.
    public func bill(through date: BusinessDate, resellerId: String? = nil) throws -> [BillingOutcome] {
        let runs = try billingRuns(through: date, resellerId: resellerId)
        let lock = try lock(.bill)
        defer { withExtendedLifetime(lock) {} }
        var outcomes: [BillingOutcome] = []
        for run in runs { outcomes += try run.run(through: date) }
        return outcomes
    }

    /// What `bill` would do through `date`, rehearsed by the real run and rolled back; refused as `bill` refuses.
    public func rehearseBilling(through date: BusinessDate, resellerId: String? = nil) throws -> [BillingOutcome] {
        let runs = try billingRuns(through: date, resellerId: resellerId)
        var outcomes: [BillingOutcome] = []
        for run in runs { outcomes += try run.tenant.rehearse { try run.run(through: date) } }
        return outcomes
    }

    /// The billing run of each reseller concerned, once `date` is checked against every one's window.
    private func billingRuns(through date: BusinessDate, resellerId: String?) throws -> [BillingRun] {
        let today = clock.now().date
        let runs = try backOfficeResellers(resellerId).map { BillingRun(tenant: try tenant($0), clock: clock) }
        for run in runs {
            let window = try ResellerSettings.load(from: run.tenant.db).advanceBillingDays
            let latest = today.adding(days: window)
            guard date <= latest else {
                throw BackOfficeError("""
                    --through \(date) is \(today.days(until: date)) day(s) after today (\(today)); reseller \(run.tenant.resellerId) \
                    bills at most \(window) day(s) ahead, so the latest allowed date is \(latest). Nothing was billed. \
                    Check the date, or widen the window: outpost settings set --advance-billing-days N
                    """)
            }
        }
        return runs
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
