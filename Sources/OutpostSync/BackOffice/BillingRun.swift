import OutpostModel
import OutpostStore

/// The renewal run for one reseller: every active subscription whose period
/// has ended by the given date is renewed (a `renewal` order and an invoice
/// per period), cancelled (it was set to end at period end) or expired (it
/// does not renew). A run that is late renews as many periods as it missed.
///
/// Idempotent: what it handled no longer qualifies (its period now ends after
/// the date, or it is no longer active), so the same run again writes nothing.
/// Each subscription is handled in its own transaction, which also logs what
/// was done to it in the operations log.
public struct BillingRun {
    /// Change-log origin of everything the run writes.
    static let origin = "billing"

    public let tenant: Tenant
    public let clock: any Clock
    /// This run's entry in the operations log.
    let log: OperationRecorder

    public init(tenant: Tenant, clock: any Clock) {
        self.tenant = tenant
        self.clock = clock
        log = OperationRecorder(tenant: tenant, kind: .bill, startedAt: clock.now())
    }

    /// Subscriptions the run would handle through `date`, by period end.
    public func due(through date: BusinessDate) throws -> [Subscription] {
        try tenant.db.rows("SELECT * FROM subscription WHERE status = 'active' AND period_end <= ? ORDER BY period_end, created_at, id",
                           [date.description]).map(Subscription.init(row:))
    }

    /// Renews, cancels or expires everything due through `date`.
    public func run(through date: BusinessDate) throws -> [BillingOutcome] {
        try due(through: date).compactMap { try bill($0.id, through: date) }
    }

    /// Handles one subscription if it is still due; `nil` when it is not (any more).
    public func bill(_ subscriptionId: String, through date: BusinessDate) throws -> BillingOutcome? {
        var outcome: BillingOutcome?
        try tenant.record(now: clock.now(), origin: Self.origin) { context in
            guard let row = try context.fetch("subscription", id: subscriptionId) else { return }
            var subscription = try Subscription(row: row)
            guard subscription.status == .active, subscription.periodEnd <= date else { return }
            var orders: [String] = []
            var invoices: [String] = []
            let action: BillingOutcome.Action
            if subscription.cancelAtPeriodEnd {
                orders.append(try endAtPeriodEnd(subscription, in: context))
                action = .cancelled
            } else if !subscription.autoRenew {
                try context.update("subscription", id: subscription.id, [("status", Subscription.Status.expired.rawValue)])
                try ServiceRecords.end(subscriptionId: subscription.id, as: .expired, in: context)
                action = .expired
            } else {
                while subscription.periodEnd <= date {
                    let renewal = try renew(subscription, in: context)
                    orders.append(renewal.order)
                    invoices.append(renewal.invoice)
                    subscription = try Subscription.require(subscription.id, in: context.db)
                }
                action = .renewed
            }
            let final = try Subscription.require(subscription.id, in: context.db)
            var invoiced: Int64 = 0
            for number in invoices { invoiced += try context.db.scalar("SELECT total FROM invoice WHERE number = ?", [number])?.int64 ?? 0 }
            outcome = BillingOutcome(resellerId: tenant.resellerId, subscriptionId: subscription.id,
                                     planName: try Plan.require(subscription.planId, in: context.db).name, customerId: subscription.customerId,
                                     customerName: try Customer.require(subscription.customerId, in: context.db).name,
                                     action: action, orderNumbers: orders, invoiceNumbers: invoices, invoicedTotal: invoiced,
                                     currency: subscription.currency, quantity: final.quantity,
                                     periodStart: final.periodStart, periodEnd: final.periodEnd)
            let message: String
            switch action {
            case .renewed: message = "renewed to \(final.periodEnd); " + orders.joined(separator: ", ")
            case .cancelled: message = "cancelled at period end, as the customer asked"
            case .expired: message = "expired: it does not renew"
            }
            try log.record(OperationRecorder.Event(
                subject: "subscription", subjectId: subscription.id, subjectLabel: try Plan.require(subscription.planId, in: context.db).name,
                customerId: subscription.customerId, outcome: .completed, message: message, invoices: invoices,
                amount: invoices.isEmpty ? nil : invoiced, currency: subscription.currency), in: context)
        }
        return outcome
    }

    /// One period renewed: the pending seat decrease applied, a completed renewal order, an invoice, the period advanced.
    private func renew(_ subscription: Subscription, in context: MutationContext) throws -> (order: String, invoice: String) {
        let plan = try Plan.require(subscription.planId, in: context.db)
        let start = subscription.periodEnd
        var quantity = subscription.quantity
        if let pending = try PendingSeatDecrease.find(subscriptionId: subscription.id, quantity: quantity, in: context.db) {
            try PendingSeatDecrease.markApplied(pending, on: start, from: quantity, in: context)
            quantity = pending.target
            try ServiceRecords.setSeats(subscriptionId: subscription.id, seats: quantity, in: context)
        }
        let end = BillingTerm.nextEnd(after: start, months: BillingTerm.months(plan: plan, quantity: quantity),
                                      anchor: subscription.createdAt.date)
        let names = try serviceNames(subscription, in: context.db)
        let description: String
        switch plan.kind {
        case .domain: description = "Renewal of \(names.domain), \(Plural.count(quantity, "year"))"
        case .ssl: description = "Renewal of \(plan.name) for \(names.common)"
        case .subscription, .license: description = "Renewal of \(plan.name)"
        }
        let amount = subscription.unitPrice * Int64(quantity)
        let orderId = tenant.ids.make("ord")
        try OrderWriter.insert(
            context: context, id: orderId, customerId: subscription.customerId, subscriptionId: subscription.id, type: .renewal,
            cancelMode: nil, currency: subscription.currency,
            line: .init(id: tenant.ids.make("oln"), planId: plan.id, description: description, quantity: quantity,
                        unitPrice: subscription.unitPrice, unitCost: subscription.unitCost, amount: amount,
                        domainName: names.domain, commonName: names.common))
        try context.update("orders", id: orderId, [("status", Order.Status.completed.rawValue)])
        let invoice = try BillingDocuments.invoice(
            customerId: subscription.customerId, orderId: orderId, subscriptionId: subscription.id, description: description,
            quantity: quantity, unitPrice: subscription.unitPrice, amount: amount, periodStart: start, periodEnd: end,
            issueDate: start, ids: tenant.ids, in: context)
        try context.update("subscription", id: subscription.id, [
            ("quantity", quantity), ("period_start", start.description), ("period_end", end.description),
        ])
        try ServiceRecords.renew(subscriptionId: subscription.id, start: start, end: end, in: context)
        return (try Order.require(orderId, in: context.db).displayNumber, invoice.number)
    }

    /// The subscription ends with its period. The cancellation order the customer placed says so;
    /// when there is none (the flag was set another way), the run records one, for nothing.
    private func endAtPeriodEnd(_ subscription: Subscription, in context: MutationContext) throws -> String {
        try context.update("subscription", id: subscription.id, [("status", Subscription.Status.cancelled.rawValue), ("auto_renew", false)])
        try ServiceRecords.end(subscriptionId: subscription.id, as: .cancelled, in: context)
        if let existing = try context.db.row("""
            SELECT number FROM orders WHERE subscription_id = ? AND type = 'cancellation' AND status = 'completed' ORDER BY placed_at DESC LIMIT 1
            """, [subscription.id]) {
            return existing["number"].string ?? "pending"
        }
        let plan = try Plan.require(subscription.planId, in: context.db)
        let orderId = tenant.ids.make("ord")
        try OrderWriter.insert(
            context: context, id: orderId, customerId: subscription.customerId, subscriptionId: subscription.id, type: .cancellation,
            cancelMode: .periodEnd, currency: subscription.currency,
            line: .init(id: tenant.ids.make("oln"), planId: plan.id, description: "Cancel \(plan.name) at period end \(subscription.periodEnd)",
                        quantity: -subscription.quantity, unitPrice: subscription.unitPrice, unitCost: subscription.unitCost, amount: 0,
                        domainName: "", commonName: ""))
        try context.update("orders", id: orderId, [("status", Order.Status.completed.rawValue)])
        return try Order.require(orderId, in: context.db).displayNumber
    }

    private func serviceNames(_ subscription: Subscription, in db: any SQLDatabase) throws -> (domain: String, common: String) {
        let domain = try db.scalar("SELECT name FROM domain WHERE subscription_id = ? ORDER BY id LIMIT 1", [subscription.id])?.string
        let common = try db.scalar("SELECT common_name FROM ssl_certificate WHERE subscription_id = ? ORDER BY id LIMIT 1", [subscription.id])?.string
        return (domain ?? "", common ?? "")
    }
}

/// What the billing run did to one subscription.
public struct BillingOutcome: Sendable, Equatable, Encodable {
    public enum Action: String, Sendable, Encodable {
        /// One or more periods renewed and invoiced.
        case renewed
        /// Ended at period end, as the customer asked.
        case cancelled
        /// Ended at period end because it does not renew.
        case expired
    }

    public let resellerId: String
    public let subscriptionId: String
    /// The subscription's plan, as people know it.
    public let planName: String
    public let customerId: String
    public let customerName: String
    public let action: Action
    /// Renewal orders made (or the cancellation order that ended it).
    public let orderNumbers: [String]
    public let invoiceNumbers: [String]
    /// What those invoices add up to, tax included, in minor units of `currency`.
    public let invoicedTotal: Int64
    public let currency: String
    /// Seats in the current period (after any decrease applied at renewal).
    public let quantity: Int
    public let periodStart: BusinessDate
    public let periodEnd: BusinessDate
}
