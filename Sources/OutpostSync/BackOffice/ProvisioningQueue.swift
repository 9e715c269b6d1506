import OutpostModel
import OutpostStore

/// One reseller's orders waiting for the distributor, and the loop that works through them.
///
/// Each order goes `submitted` → `provisioning` (claimed in its own
/// transaction, so two provisioners never take the same order) → the
/// provisioner runs outside any transaction → `completed` with its effects, or
/// `failed` with a reason, in a second transaction that checks the order is
/// still this run's. Every write goes through `Tenant.record`, so replicas
/// pull the outcome.
public struct ProvisioningQueue {
    /// Change-log origin of everything the queue writes.
    static let origin = "provisioning"

    public let tenant: Tenant
    public let clock: any Clock

    public init(tenant: Tenant, clock: any Clock) {
        self.tenant = tenant
        self.clock = clock
    }

    /// Orders waiting to be provisioned (`submitted`), oldest first.
    public func waiting() throws -> [Order] {
        try tenant.db.rows("SELECT * FROM orders WHERE status = 'submitted' ORDER BY placed_at, number, id").map(Order.init(row:))
    }

    /// Provisions every waiting order, one at a time, each in its own transactions.
    public func run(with provisioner: any Provisioner) throws -> [ProvisioningOutcome] {
        try waiting().compactMap { try provision($0.id, with: provisioner) }
    }

    /// Provisions one order if it is still waiting; `nil` when another run has taken it.
    public func provision(_ orderId: String, with provisioner: any Provisioner) throws -> ProvisioningOutcome? {
        var claimed = false
        try tenant.record(now: clock.now(), origin: Self.origin) { context in
            guard let row = try context.fetch("orders", id: orderId), row["status"].string == Order.Status.submitted.rawValue else { return }
            try context.update("orders", id: orderId, [("status", Order.Status.provisioning.rawValue), ("status_reason", "")])
            claimed = true
        }
        guard claimed else { return nil }

        let order = try Order.require(orderId, in: tenant.db)
        let answer: ProvisioningAnswer
        do {
            answer = provisioner.provision(try ProvisioningRequest(resellerId: tenant.resellerId, order: order, in: tenant.db))
        } catch let failure as FulfilmentFailure {
            answer = .failed(reason: failure.description)
        } catch let refusal as MutationRefusal {
            answer = .failed(reason: refusal.message)
        }

        var failure: String
        switch answer {
        case .completed(let details):
            do {
                var result: OrderFulfilment.Result?
                try tenant.record(now: clock.now(), origin: Self.origin) { context in
                    guard let current = try context.fetch("orders", id: orderId).map(Order.init(row:)), current.status == .provisioning else { return }
                    let lines = try current.lines(in: context.db)
                    guard let line = lines.first else { throw FulfilmentFailure("order \(current.displayNumber) has no lines") }
                    let fulfilment = OrderFulfilment(context: context, ids: tenant.ids, today: context.today)
                    result = try fulfilment.complete(current, line: line, details: details)
                }
                guard let result else { return nil }
                return ProvisioningOutcome(resellerId: tenant.resellerId, order: try Order.require(orderId, in: tenant.db), result: result)
            } catch let refused as FulfilmentFailure {
                failure = refused.description
            } catch let refusal as MutationRefusal {
                failure = refusal.message
            } catch let error as DatabaseError where !error.isBusy {
                // A bug or damaged data must not leave the order stuck in `provisioning`, where no one can resubmit it.
                failure = "the completion could not be recorded: \(error)"
            }
        case .failed(let reason):
            failure = reason
        }
        if failure.isEmpty { failure = "failed without a reason" }
        var marked = false
        try tenant.record(now: clock.now(), origin: Self.origin) { context in
            guard let row = try context.fetch("orders", id: orderId), row["status"].string == Order.Status.provisioning.rawValue else { return }
            try context.update("orders", id: orderId, [("status", Order.Status.failed.rawValue), ("status_reason", failure)])
            marked = true
        }
        guard marked else { return nil }
        return ProvisioningOutcome(resellerId: tenant.resellerId, order: try Order.require(orderId, in: tenant.db),
                                   result: OrderFulfilment.Result())
    }

    /// Puts a failed order back in the queue (`failed` → `submitted`), as a logged node fact.
    @discardableResult
    public func resubmit(_ orderId: String) throws -> Order {
        try tenant.record(now: clock.now(), origin: Self.origin) { context in
            guard let row = try context.fetch("orders", id: orderId) else {
                throw BackOfficeError("reseller \(tenant.resellerId) has no order \(orderId)")
            }
            let order = try Order(row: row)
            guard order.status == .failed else {
                throw BackOfficeError("order \(order.displayNumber) (\(order.id)) is \(order.status.rawValue); only failed orders can be resubmitted")
            }
            try context.update("orders", id: orderId, [("status", Order.Status.submitted.rawValue), ("status_reason", "")])
        }
        return try Order.require(orderId, in: tenant.db)
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

    init(resellerId: String, order: Order, result: OrderFulfilment.Result) {
        self.resellerId = resellerId
        orderId = order.id
        orderNumber = order.number
        type = order.type
        status = order.status
        reason = order.statusReason
        subscriptionId = result.subscriptionId ?? order.subscriptionId
        invoiceNumbers = result.invoiceNumbers
        creditNoteNumbers = result.creditNoteNumbers
    }
}

/// A back-office command that cannot be carried out (no such order, wrong status…).
public struct BackOfficeError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
    init(_ message: String) { self.message = message }
}
