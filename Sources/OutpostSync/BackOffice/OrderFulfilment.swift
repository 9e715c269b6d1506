import OutpostModel
import OutpostStore

/// What a completed order does to the reseller's books: a sale starts a
/// subscription (and its domain, certificate or license) and is invoiced; a
/// seat increase is charged by day for the rest of the period, a decrease
/// waits for the renewal; a cancellation ends the subscription now, credited
/// by day, or at the end of its period.
///
/// Every check comes before the first write, and the caller runs it inside one
/// `Tenant.record` transaction: a `FulfilmentFailure` leaves nothing behind.
struct OrderFulfilment {
    let context: MutationContext
    let ids: IdentifierFactory
    /// The provisioning date: the start of a sold period, the day a change or cancellation takes effect.
    let today: BusinessDate

    /// What completing the order produced.
    struct Result {
        var subscriptionId: String?
        var invoiceNumbers: [String] = []
        var creditNoteNumbers: [String] = []
        /// Shown on the completed order (a decrease waiting for renewal).
        var note = ""
    }

    private var db: any SQLDatabase { context.db }

    /// Applies a completed order and marks it completed.
    func complete(_ order: Order, line: OrderLine, details: ProvisioningDetails) throws -> Result {
        let result: Result
        switch order.type {
        case .sales, .transfer: result = try sell(order, line: line, details: details)
        case .change: result = try change(order, line: line)
        case .cancellation: result = try cancel(order, line: line)
        case .renewal: throw FulfilmentFailure("renewal orders come from the billing run and are never provisioned")
        }
        try context.update("orders", id: order.id, [
            ("status", Order.Status.completed.rawValue), ("status_reason", result.note), ("subscription_id", result.subscriptionId),
        ])
        return result
    }

    // MARK: Sales

    private func sell(_ order: Order, line: OrderLine, details: ProvisioningDetails) throws -> Result {
        let plan = try Plan.require(line.planId, in: db)
        let customer = try Customer.require(order.customerId, in: db)
        guard customer.status == .active else {
            throw FulfilmentFailure("customer \(customer.name) (\(customer.id)) is \(customer.status.rawValue); activate it, then resubmit the order")
        }
        if plan.kind == .domain { try ServiceRecords.requireDomainFree(line.domainName, in: db) }
        let start = today
        let end = start.adding(months: BillingTerm.months(plan: plan, quantity: line.quantity))
        let subscriptionId = ids.make("sub")
        try context.insert("subscription", [
            ("id", subscriptionId), ("customer_id", customer.id), ("plan_id", plan.id), ("order_id", order.id),
            ("quantity", line.quantity), ("status", Subscription.Status.active.rawValue),
            ("period_start", start.description), ("period_end", end.description), ("auto_renew", true), ("cancel_at_period_end", false),
            ("unit_price", line.unitPrice), ("unit_cost", line.unitCost), ("currency", order.currency),
            ("created_at", context.now.description),
        ])
        try ServiceRecords.create(subscriptionId: subscriptionId, customerId: customer.id, plan: plan, line: line,
                                    transfer: order.type == .transfer, details: details, start: start, end: end, ids: ids, in: context)
        let invoice = try BillingDocuments.invoice(
            customerId: customer.id, orderId: order.id, subscriptionId: subscriptionId, description: line.description,
            quantity: line.quantity, unitPrice: line.unitPrice, amount: line.amount, periodStart: start, periodEnd: end,
            issueDate: today, ids: ids, in: context)
        return Result(subscriptionId: subscriptionId, invoiceNumbers: [invoice.number])
    }

    // MARK: Seat changes

    private func change(_ order: Order, line: OrderLine) throws -> Result {
        let subscription = try requireSubscription(order, allowing: [.active], doing: "change seats on")
        let delta = line.quantity
        let target = subscription.quantity + delta
        guard delta != 0, target >= 1 else {
            throw FulfilmentFailure("subscription \(subscription.id) has \(Plural.count(subscription.quantity, "seat")); a change of \(delta) would leave \(target)")
        }
        let plan = try Plan.require(subscription.planId, in: db)
        try PendingSeatDecrease.supersede(subscriptionId: subscription.id, by: order.displayNumber, except: order.id, in: context)
        var result = Result(subscriptionId: subscription.id)
        guard delta > 0 else {
            // Fewer seats from the next period on; this period is paid for.
            result.note = PendingSeatDecrease.reason(on: subscription.periodEnd, from: subscription.quantity, to: target)
            return result
        }
        try context.update("subscription", id: subscription.id, [("quantity", target)])
        try ServiceRecords.setSeats(subscriptionId: subscription.id, seats: target, in: context)
        let from = max(today, subscription.periodStart)
        let prorated = Proration.amount(subscription.unitPrice * Int64(delta), from: from,
                                        periodStart: subscription.periodStart, periodEnd: subscription.periodEnd)
        if prorated > 0 {
            let invoice = try BillingDocuments.invoice(
                customerId: subscription.customerId, orderId: order.id, subscriptionId: subscription.id,
                description: "\(plan.name): \(delta) more \(delta == 1 ? "seat" : "seats"), prorated", quantity: delta, unitPrice: subscription.unitPrice,
                amount: prorated, periodStart: from, periodEnd: subscription.periodEnd, issueDate: today, ids: ids, in: context)
            result.invoiceNumbers.append(invoice.number)
        }
        return result
    }

    // MARK: Cancellations

    private func cancel(_ order: Order, line: OrderLine) throws -> Result {
        let subscription = try requireSubscription(order, allowing: [.active, .suspended], doing: "cancel")
        var result = Result(subscriptionId: subscription.id)
        if order.cancelMode == .periodEnd {
            try context.update("subscription", id: subscription.id, [("cancel_at_period_end", true), ("auto_renew", false)])
            try ServiceRecords.stopAutoRenew(subscriptionId: subscription.id, in: context)
            return result
        }
        // Each invoice that charged the current period is credited for its unused days.
        let plan = try Plan.require(subscription.planId, in: db)
        var credited: Int64 = 0
        for charge in try chargesOfCurrentPeriod(subscription) {
            let credit = Proration.amount(charge.amount, from: today, periodStart: charge.start, periodEnd: charge.end)
            guard credit > 0 else { continue }
            let note = try BillingDocuments.creditNote(
                invoiceId: charge.invoiceId, reason: "Subscription cancelled before the end of its period",
                description: "Unused period of \(plan.name), \(max(today, charge.start)) to \(charge.end)", amount: credit,
                issueDate: today, ids: ids, in: context)
            result.creditNoteNumbers.append(note.number)
            credited += credit
        }
        try context.update("subscription", id: subscription.id, [("status", Subscription.Status.cancelled.rawValue), ("auto_renew", false)])
        try ServiceRecords.end(subscriptionId: subscription.id, as: .cancelled, in: context)
        // The order's total is what was actually credited, as of the day it took effect.
        try context.update("orders", id: order.id, [("total", -credited)])
        return result
    }

    private struct Charge {
        let invoiceId: String
        let amount: Int64
        let start: BusinessDate
        let end: BusinessDate
    }

    /// Issued invoice lines for the subscription's current period: the sale or renewal, and any prorated seat increases.
    private func chargesOfCurrentPeriod(_ subscription: Subscription) throws -> [Charge] {
        try db.rows("""
            SELECT l.invoice_id, l.amount, l.period_start, l.period_end FROM invoice_line l JOIN invoice i ON i.id = l.invoice_id
            WHERE l.subscription_id = ? AND i.status = 'issued' AND l.period_end = ? AND l.period_start >= ? AND l.amount > 0
            ORDER BY i.issue_date, i.number, l.id
            """, [subscription.id, subscription.periodEnd.description, subscription.periodStart.description]).compactMap { row in
            guard let start = BusinessDate(try row.string("period_start")), let end = BusinessDate(try row.string("period_end")) else { return nil }
            return Charge(invoiceId: try row.string("invoice_id"), amount: try row.int64("amount"), start: start, end: end)
        }
    }

    private func requireSubscription(_ order: Order, allowing: Set<Subscription.Status>, doing: String) throws -> Subscription {
        guard let id = order.subscriptionId, let row = try db.row("SELECT * FROM subscription WHERE id = ?", [id]) else {
            throw FulfilmentFailure("order \(order.displayNumber) names no existing subscription")
        }
        let subscription = try Subscription(row: row)
        guard allowing.contains(subscription.status) else {
            throw FulfilmentFailure("subscription \(subscription.id) is \(subscription.status.rawValue); cannot \(doing) it")
        }
        return subscription
    }
}
