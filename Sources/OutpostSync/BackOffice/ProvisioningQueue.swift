import OutpostModel
import OutpostStore

/// One reseller's orders waiting for the distributor, and the loop that works through them.
///
/// Each order goes `submitted` → `provisioning` (claimed in its own
/// transaction, so two provisioners never take the same order) → checked by
/// its completion rehearsed and rolled back (a refusal fails it before any
/// vendor is called) → the provisioner runs outside any transaction → a
/// "completed" answer is committed on the order (`vendor_answer`) → applied:
/// `completed` with its effects, or `failed` with a reason, in a transaction
/// that checks the order is still this run's. An answer that cannot be applied
/// stays on the failed order, and `resubmit` applies it without a second
/// call. Every write goes through `Tenant.record`, so replicas pull the outcome;
/// each outcome is logged in the operations log in the transaction that writes it.
public struct ProvisioningQueue {
    /// Change-log origin of everything the queue writes.
    static let origin = "provisioning"

    public let tenant: Tenant
    public let clock: any Clock
    /// This run's entry in the operations log: one queue, one run.
    let log: OperationRecorder

    public init(tenant: Tenant, clock: any Clock) {
        self.tenant = tenant
        self.clock = clock
        log = OperationRecorder(tenant: tenant, kind: .provision, startedAt: clock.now())
    }

    /// Orders waiting to be provisioned (`submitted`), oldest first.
    public func waiting() throws -> [Order] {
        try tenant.db.rows("SELECT * FROM orders WHERE status = 'submitted' ORDER BY placed_at, number, id").map(Order.init(row:))
    }

    /// Provisions every waiting order, one at a time, each in its own transactions.
    public func run(with provisioner: any Provisioner) throws -> [ProvisioningOutcome] {
        try waiting().compactMap { try provision($0.id, with: provisioner) }
    }

    /// What a run would do to each waiting order, with nothing written and no hook called: the order is refused
    /// (with the reason a run would give), would be sent to `hook`, or — for the built-in provisioner, `hook` nil —
    /// its whole provisioning is rehearsed and rolled back, giving the documents a run would issue.
    public func rehearse(hook: String?) throws -> [ProvisioningPreview] {
        func preview(_ order: Order, _ verdict: ProvisioningPreview.Verdict, _ reason: String,
                     documents: [ProvisioningPreview.Document] = []) throws -> ProvisioningPreview {
            ProvisioningPreview(resellerId: tenant.resellerId, orderId: order.id, orderNumber: order.number, type: order.type,
                                customerName: try Customer.require(order.customerId, in: tenant.db).name, verdict: verdict, reason: reason,
                                hook: hook, currency: order.currency, documents: documents)
        }
        if let hook {
            return try waiting().map { order in
                if let refusal = try refusal(of: order.id) { return try preview(order, .refused, refusal) }
                return try preview(order, .sentToHook, "would be sent to hook \(hook)")
            }
        }
        // The whole run in one rehearsal, so each order sees what the ones before it did (document numbers, domains taken).
        return try tenant.rehearse {
            try waiting().compactMap { order in
                guard let outcome = try provision(order.id, with: BuiltInProvisioner()) else { return nil }
                guard outcome.status == .completed else { return try preview(order, .refused, outcome.reason) }
                var documents: [ProvisioningPreview.Document] = []
                for number in outcome.invoiceNumbers {
                    let total = try tenant.db.scalar("SELECT total FROM invoice WHERE number = ?", [number])?.int64 ?? 0
                    documents.append(.init(kind: "invoice", number: number, amount: total))
                }
                for number in outcome.creditNoteNumbers {
                    let total = try tenant.db.scalar("SELECT total FROM credit_note WHERE number = ?", [number])?.int64 ?? 0
                    documents.append(.init(kind: "credit_note", number: number, amount: total))
                }
                return try preview(order, .completes, outcome.reason, documents: documents)
            }
        }
    }

    /// Provisions one order if it is still waiting; `nil` when another run has taken it.
    ///
    /// The order is claimed, then checked by its own completion rehearsed and
    /// rolled back: an order the node would refuse fails with the reason and
    /// the provisioner is never called. A "completed" answer is committed on
    /// the order before it is applied, so it survives whatever happens next.
    public func provision(_ orderId: String, with provisioner: any Provisioner) throws -> ProvisioningOutcome? {
        var claimed = false
        try tenant.record(now: clock.now(), origin: Self.origin) { context in
            guard let row = try context.fetch("orders", id: orderId), row["status"].string == Order.Status.submitted.rawValue else { return }
            try context.update("orders", id: orderId, [("status", Order.Status.provisioning.rawValue), ("status_reason", "")])
            claimed = true
        }
        guard claimed else { return nil }

        if let refusal = try refusal(of: orderId) { return try fail(orderId, reason: refusal, outcome: .refused) }
        let answer: ProvisioningAnswer
        do {
            answer = provisioner.provision(try ProvisioningRequest(resellerId: tenant.resellerId, order: try Order.require(orderId, in: tenant.db),
                                                                   in: tenant.db))
        } catch let failure as FulfilmentFailure {
            return try fail(orderId, reason: failure.description)
        } catch let refusal as MutationRefusal {
            return try fail(orderId, reason: refusal.message)
        }
        switch answer {
        case .completed(let details):
            var recorded = false
            try tenant.record(now: clock.now(), origin: Self.origin) { context in
                guard let row = try context.fetch("orders", id: orderId), row["status"].string == Order.Status.provisioning.rawValue else { return }
                try context.update("orders", id: orderId, [
                    ("vendor_answer", details.answerJSON.serialized), ("vendor_answered_at", context.now.description),
                ])
                recorded = true
            }
            guard recorded else { return nil }
            return try apply(orderId, details: details)
        case .failed(let reason, let errorOutput):
            return try fail(orderId, reason: reason.isEmpty ? "failed without a reason" : reason, errorOutput: errorOutput)
        }
    }

    /// Why completing the order would be refused now, or `nil` when it would go through.
    ///
    /// The completion itself decides, run and rolled back, so the check can never drift from what applying does.
    func refusal(of orderId: String) throws -> String? {
        do {
            try tenant.rehearse {
                let context = MutationContext(db: tenant.db, now: clock.now(), authority: .node)
                _ = try complete(try Order.require(orderId, in: tenant.db), details: ProvisioningDetails(), in: context)
            }
            return nil
        } catch let failure as FulfilmentFailure {
            return failure.description
        } catch let refusal as MutationRefusal {
            return refusal.message
        }
    }

    /// Applies a vendor's "completed" answer to an order in `provisioning`. When the node cannot apply it, the
    /// order fails as completed at the vendor, keeping the answer for `resubmit` to apply later without a second call.
    func apply(_ orderId: String, details: ProvisioningDetails) throws -> ProvisioningOutcome? {
        let failure: String
        do {
            var result: OrderFulfilment.Result?
            try tenant.record(now: clock.now(), origin: Self.origin) { context in
                guard let current = try context.fetch("orders", id: orderId).map(Order.init(row:)), current.status == .provisioning else { return }
                let done = try complete(current, details: details, in: context)
                var total: Int64 = 0
                for number in done.invoiceNumbers {
                    total += try context.db.scalar("SELECT total FROM invoice WHERE number = ?", [number])?.int64 ?? 0
                }
                var event = logEvent(current, .completed, done.note)
                event.invoices = done.invoiceNumbers
                event.amount = done.invoiceNumbers.isEmpty ? nil : total
                event.currency = current.currency
                try log.record(event, in: context)
                result = done
            }
            guard let result else { return nil }
            return try ProvisioningOutcome(resellerId: tenant.resellerId, order: try Order.require(orderId, in: tenant.db), result: result, in: tenant.db)
        } catch let refused as FulfilmentFailure {
            failure = refused.description
        } catch let refusal as MutationRefusal {
            failure = refusal.message
        } catch let error as any StoreFailure where error.kind != .mustRetry && error.kind != .connectionFailed {
            // A bug or damaged data must not leave the order stuck in `provisioning`, where no one can resubmit it.
            failure = "the completion could not be recorded: \(error)"
        }
        return try fail(orderId, reason: Self.notApplied + failure)
    }

    /// Completes `order` in `context`: what both the check before the hook and applying its answer run.
    private func complete(_ order: Order, details: ProvisioningDetails, in context: MutationContext) throws -> OrderFulfilment.Result {
        guard let line = try order.lines(in: context.db).first else { throw FulfilmentFailure("order \(order.displayNumber) has no lines") }
        return try OrderFulfilment(context: context, ids: tenant.ids, today: context.today).complete(order, line: line, details: details)
    }

    /// How the reason of an order done at the vendor but not on the node begins.
    public static let notApplied = "completed at vendor, not applied: "

    /// Marks a claimed order failed with `reason` and logs it as `outcome` (`refused`: the provisioner was never
    /// called), with the end of a hook's standard error; `nil` when the order is no longer this run's.
    private func fail(_ orderId: String, reason: String, outcome: OperationLog.Outcome = .failed,
                      errorOutput: String = "") throws -> ProvisioningOutcome? {
        var marked = false
        try tenant.record(now: clock.now(), origin: Self.origin) { context in
            guard let row = try context.fetch("orders", id: orderId), row["status"].string == Order.Status.provisioning.rawValue else { return }
            try context.update("orders", id: orderId, [("status", Order.Status.failed.rawValue), ("status_reason", reason)])
            var event = logEvent(try Order(row: row), outcome, reason)
            event.errorOutput = errorOutput
            try log.record(event, in: context)
            marked = true
        }
        guard marked else { return nil }
        return try ProvisioningOutcome(resellerId: tenant.resellerId, order: try Order.require(orderId, in: tenant.db),
                                       result: OrderFulfilment.Result(), in: tenant.db)
    }

    /// The operations log's entry for `order`.
    private func logEvent(_ order: Order, _ outcome: OperationLog.Outcome, _ message: String) -> OperationRecorder.Event {
        OperationRecorder.Event(subject: "order", subjectId: order.id, subjectLabel: order.displayNumber, customerId: order.customerId,
                                outcome: outcome, message: message)
    }

    /// The vendor's recorded "completed" answer for an order, if it has one.
    func vendorAnswer(_ orderId: String) throws -> ProvisioningDetails? {
        guard let text = try tenant.db.scalar("SELECT vendor_answer FROM orders WHERE id = ?", [orderId])?.string else { return nil }
        return try ProvisioningDetails(answerJSON: JSONValue(parsing: text))
    }

    /// Settles a failed order: one the vendor never completed goes back to the queue (`failed` → `submitted`);
    /// one completed at the vendor has its recorded answer applied again now, without calling the vendor.
    /// Either way a logged node fact; any other status is refused with the reason.
    public func resubmit(_ orderId: String) throws -> Resubmission {
        guard let row = try tenant.db.row("SELECT * FROM orders WHERE id = ?", [orderId]) else {
            throw BackOfficeError("reseller \(tenant.resellerId) has no order \(orderId)")
        }
        let order = try Order(row: row)
        let name = "order \(order.displayNumber) (\(order.id))"
        switch order.status {
        case .failed: break
        case .completed: throw BackOfficeError("\(name) is already completed; there is nothing to resubmit")
        case .submitted: throw BackOfficeError("\(name) never failed: it is already waiting in the provisioning queue")
        case .provisioning: throw BackOfficeError("\(name) never failed: a provisioning run is working on it now")
        case .queued, .rejected:
            throw BackOfficeError("\(name) is \(order.status.rawValue); only failed orders can be resubmitted")
        }
        let answer = try vendorAnswer(orderId)
        try tenant.record(now: clock.now(), origin: Self.origin) { context in
            guard let current = try context.fetch("orders", id: orderId), current["status"].string == Order.Status.failed.rawValue else {
                throw BackOfficeError("\(name) changed meanwhile; look at it again")
            }
            let status: Order.Status = answer == nil ? .submitted : .provisioning
            try context.update("orders", id: orderId, [("status", status.rawValue), ("status_reason", "")])
            if answer == nil {
                try log.record(logEvent(order, .retried, "back in the provisioning queue (was: \(order.statusReason))"), in: context)
            }
        }
        guard let answer else { return Resubmission(order: try Order.require(orderId, in: tenant.db), applied: nil) }
        let outcome = try apply(orderId, details: answer)
        return Resubmission(order: try Order.require(orderId, in: tenant.db), applied: outcome)
    }

    /// What `resubmit` did: the order as it now stands and, for an answer applied again, the outcome.
    public struct Resubmission {
        public let order: Order
        /// Set when the vendor's recorded answer was applied (the order is completed, or failed again with the reason).
        public let applied: ProvisioningOutcome?
    }
}

/// What provisioning did to one order.
public struct ProvisioningOutcome: Sendable, Equatable, Encodable {
    public let resellerId: String
    public let orderId: String
    public let orderNumber: String?
    public let type: Order.OrderType
    /// `completed` or `failed`.
    public let status: Order.Status
    /// Why it failed, or a note on a completed order (a seat decrease waiting for renewal).
    public let reason: String
    public let subscriptionId: String?
    public let invoiceNumbers: [String]
    public let creditNoteNumbers: [String]
    /// Who ordered and what, for people reading the run (ids stay in the fields above).
    public let customerName: String
    public let items: String

    init(resellerId: String, order: Order, result: OrderFulfilment.Result, in db: any SQLDatabase) throws {
        self.resellerId = resellerId
        orderId = order.id
        orderNumber = order.number
        customerName = try db.scalar("SELECT name FROM customer WHERE id = ?", [order.customerId])?.string ?? order.customerId
        items = try db.rows("SELECT quantity, description FROM order_line WHERE order_id = ? ORDER BY id", [order.id])
            .map { "\(try $0.int64("quantity")) × \(try $0.string("description"))" }.joined(separator: "; ")
        type = order.type
        status = order.status
        reason = order.statusReason
        subscriptionId = result.subscriptionId ?? order.subscriptionId
        invoiceNumbers = result.invoiceNumbers
        creditNoteNumbers = result.creditNoteNumbers
    }
}

/// What provisioning would do to one waiting order (`node provision --dry-run`).
public struct ProvisioningPreview: Sendable, Equatable, Encodable {
    public enum Verdict: String, Sendable, Encodable {
        /// The built-in provisioner would complete it, issuing `documents`.
        case completes
        /// It passes every check and would be sent to the hook.
        case sentToHook = "sent_to_hook"
        /// The node would refuse it (the reason) without calling anyone.
        case refused
    }

    /// An invoice or credit note the completion would issue, with its total in minor units.
    public struct Document: Sendable, Equatable, Encodable {
        public let kind: String
        public let number: String
        public let amount: Int64
    }

    public let resellerId: String
    public let orderId: String
    public let orderNumber: String?
    public let type: Order.OrderType
    public let customerName: String
    public let verdict: Verdict
    public let reason: String
    public let hook: String?
    public let currency: String
    public let documents: [Document]
}

/// A back-office command that cannot be carried out (no such order, wrong status…).
public struct BackOfficeError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
    init(_ message: String) { self.message = message }
}
