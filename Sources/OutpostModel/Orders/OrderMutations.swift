import OutpostStore

/// `order.place`: a sales (or domain transfer) order for an active customer and an available plan.
///
/// For `Customer.ownAccountId` it is the reseller's own purchase, priced at cost.
///
/// The line is priced from the plan's cost and the markup in force, so the
/// sale price and cost are known per line; the node re-prices against its
/// own state when it accepts the order.
public struct PlaceOrder: Mutation {
    public static let name = "order.place"
    public static let version = 1
    /// The most units one line may carry.
    public static let maximumQuantity = 100_000

    public var id: String
    public var lineId: String
    public var customerId: String
    public var planId: String
    public var quantity: Int
    /// Required for domain plans.
    public var domainName: String?
    /// Required for SSL plans.
    public var commonName: String?
    /// A domain transfer instead of a registration.
    public var transfer: Bool = false

    public init(id: String, lineId: String, customerId: String, planId: String, quantity: Int) {
        self.id = id
        self.lineId = lineId
        self.customerId = customerId
        self.planId = planId
        self.quantity = quantity
    }

    public func apply(in context: MutationContext) throws {
        let id = try FieldRules.id(id, prefix: "ord", field: "id")
        let lineId = try FieldRules.id(lineId, prefix: "oln", field: "line_id")
        let customer = try Customer.require(customerId, in: context.db)
        guard customer.status == .active else {
            throw MutationRefusal.notAllowed("customer_id", "customer \(customerId) is \(customer.status.rawValue); activate it before placing orders")
        }
        let plan = try Plan.require(planId, in: context.db)
        guard plan.available else {
            throw MutationRefusal.notAllowed("plan_id", "plan \(planId) (\(plan.name)) is no longer available")
        }
        let settings = try ResellerSettings.load(from: context.db)
        guard plan.currency == settings.currency else {
            throw MutationRefusal.notAllowed("plan_id", "plan \(planId) is priced in \(plan.currency), the reseller bills in \(settings.currency)")
        }
        let maximum = plan.kind == .domain ? 10 : Self.maximumQuantity
        let quantity = try FieldRules.range(quantity, 1...maximum, field: "quantity")
        var domain = ""
        var common = ""
        var description = plan.name
        switch plan.kind {
        case .domain:
            domain = try FieldRules.domainName(domainName ?? "", field: "domain")
            try Self.requireDomainFree(domain, in: context.db)
            description = "\(transfer ? "Transfer" : "Registration") of \(domain), \(Plural.count(quantity, "year"))"
        case .ssl:
            common = try FieldRules.commonName(commonName ?? "", field: "common_name")
            description = "\(plan.name) for \(common)"
        case .subscription, .license:
            break
        }
        if transfer, plan.kind != .domain {
            throw MutationRefusal.invalid("transfer", "only domain plans can be transferred; \(planId) is a \(plan.kind.rawValue) plan")
        }
        // The reseller buys for itself at the distributor's cost: no markup, so no margin.
        let markup = customer.isOwnAccount ? 0 : try PriceRule.markup(forPlan: plan.id, in: context.db)
        let unitPrice: Int64
        do {
            unitPrice = try Pricing.salePrice(cost: plan.cost, markup: markup)
        } catch {
            throw MutationRefusal.invalid("plan_id", "the price of plan \(planId) at \(Pricing.percent(markup)) markup is too large")
        }
        let (amount, overflow) = unitPrice.multipliedReportingOverflow(by: Int64(quantity))
        guard !overflow else { throw MutationRefusal.invalid("quantity", "quantity \(quantity) makes the order total too large") }
        try OrderWriter.insert(
            context: context, id: id, customerId: customerId, subscriptionId: nil,
            type: transfer ? .transfer : .sales, cancelMode: nil, currency: settings.currency,
            line: .init(id: lineId, planId: plan.id, description: description, quantity: quantity, unitPrice: unitPrice,
                        unitCost: plan.cost, amount: amount, domainName: domain, commonName: common))
    }

    static func requireDomainFree(_ domain: String, in db: any SQLDatabase) throws {
        if let owner = try db.row("SELECT customer_id FROM domain WHERE name = ? AND status IN ('pending', 'active')", [domain]) {
            throw MutationRefusal(.duplicate, field: "domain", "domain \(domain) is already managed for customer \(owner[0].string ?? "?")")
        }
        if let order = try db.row("""
            SELECT o.id FROM order_line l JOIN orders o ON o.id = l.order_id
            WHERE l.domain_name = ? AND o.status IN ('queued', 'submitted', 'provisioning')
            """, [domain]) {
            throw MutationRefusal(.duplicate, field: "domain", "domain \(domain) is already in open order \(order[0].string ?? "?")")
        }
    }
}

/// `order.change`: a seat change on an active subscription.
///
/// The line carries the difference in seats at the subscription's unit price;
/// the node charges increases prorated by day and applies decreases at renewal.
public struct ChangeOrder: Mutation {
    public static let name = "order.change"
    public static let version = 1

    public var id: String
    public var lineId: String
    public var subscriptionId: String
    /// The new seat count.
    public var quantity: Int
    /// The subscription's version when the user saw it.
    public var baseVersion: Int64

    public init(id: String, lineId: String, subscriptionId: String, quantity: Int, baseVersion: Int64) {
        self.id = id
        self.lineId = lineId
        self.subscriptionId = subscriptionId
        self.quantity = quantity
        self.baseVersion = baseVersion
    }

    public func apply(in context: MutationContext) throws {
        let id = try FieldRules.id(id, prefix: "ord", field: "id")
        let lineId = try FieldRules.id(lineId, prefix: "oln", field: "line_id")
        let subscription = try Subscription.require(subscriptionId, in: context.db)
        guard subscription.status == .active else {
            throw MutationRefusal.notAllowed("subscription_id", "subscription \(subscriptionId) is \(subscription.status.rawValue); only active subscriptions can change seats")
        }
        let customer = try Customer.require(subscription.customerId, in: context.db)
        guard customer.status == .active else {
            throw MutationRefusal.notAllowed("subscription_id", "customer \(customer.id) is \(customer.status.rawValue); activate it before changing orders")
        }
        let plan = try Plan.require(subscription.planId, in: context.db)
        guard plan.kind == .subscription || plan.kind == .license else {
            throw MutationRefusal.notAllowed("subscription_id", "a \(plan.kind.rawValue) subscription has no seats to change")
        }
        let quantity = try FieldRules.range(quantity, 1...PlaceOrder.maximumQuantity, field: "quantity")
        guard quantity != subscription.quantity else {
            throw MutationRefusal.invalid("quantity", "subscription \(subscriptionId) already has \(Plural.count(quantity, "seat"))")
        }
        try OrderWriter.requireNoOpenCancellation(subscriptionId, in: context.db)
        let delta = quantity - subscription.quantity
        try OrderWriter.insert(
            context: context, id: id, customerId: subscription.customerId, subscriptionId: subscriptionId,
            type: .change, cancelMode: nil, currency: subscription.currency,
            line: .init(id: lineId, planId: plan.id, description: "\(plan.name): \(subscription.quantity) → \(Plural.count(quantity, "seat"))",
                        quantity: delta, unitPrice: subscription.unitPrice, unitCost: subscription.unitCost,
                        amount: subscription.unitPrice * Int64(delta), domainName: "", commonName: ""))
    }
}

/// `order.cancel`: ends a subscription now (credited by day) or at the end of its period.
public struct CancelOrder: Mutation {
    public static let name = "order.cancel"
    public static let version = 1

    public var id: String
    public var lineId: String
    public var subscriptionId: String
    /// `now` or `period_end`.
    public var when: String
    public var baseVersion: Int64

    public init(id: String, lineId: String, subscriptionId: String, when: Order.CancelMode, baseVersion: Int64) {
        self.id = id
        self.lineId = lineId
        self.subscriptionId = subscriptionId
        self.when = when.rawValue
        self.baseVersion = baseVersion
    }

    public func apply(in context: MutationContext) throws {
        let id = try FieldRules.id(id, prefix: "ord", field: "id")
        let lineId = try FieldRules.id(lineId, prefix: "oln", field: "line_id")
        let mode = try FieldRules.oneOf(when, Order.CancelMode.self, field: "when")
        let subscription = try Subscription.require(subscriptionId, in: context.db)
        guard subscription.status == .active || subscription.status == .suspended else {
            throw MutationRefusal.notAllowed("subscription_id", "subscription \(subscriptionId) is \(subscription.status.rawValue); only active or suspended subscriptions can be cancelled")
        }
        if mode == .periodEnd, subscription.cancelAtPeriodEnd {
            throw MutationRefusal.notAllowed("subscription_id", "subscription \(subscriptionId) is already set to end on \(subscription.periodEnd)")
        }
        try OrderWriter.requireNoOpenCancellation(subscriptionId, in: context.db)
        let plan = try Plan.require(subscription.planId, in: context.db)
        let full = subscription.unitPrice * Int64(subscription.quantity)
        let credit = mode == .now
            ? -Proration.amount(full, from: context.today, periodStart: subscription.periodStart, periodEnd: subscription.periodEnd)
            : 0
        let description = mode == .now
            ? "Cancel \(plan.name) now (credit for the rest of the period)"
            : "Cancel \(plan.name) at period end \(subscription.periodEnd)"
        try OrderWriter.insert(
            context: context, id: id, customerId: subscription.customerId, subscriptionId: subscriptionId,
            type: .cancellation, cancelMode: mode, currency: subscription.currency,
            line: .init(id: lineId, planId: plan.id, description: description, quantity: -subscription.quantity,
                        unitPrice: subscription.unitPrice, unitCost: subscription.unitCost, amount: credit,
                        domainName: "", commonName: ""))
    }
}

/// Writes an order with one line; shared by the order mutations and the node's renewals.
public enum OrderWriter {
    public struct Line: Sendable {
        public let id: String
        public let planId: String
        public let description: String
        public let quantity: Int
        public let unitPrice: Int64
        public let unitCost: Int64
        public let amount: Int64
        public let domainName: String
        public let commonName: String

        public init(id: String, planId: String, description: String, quantity: Int, unitPrice: Int64, unitCost: Int64,
                    amount: Int64, domainName: String, commonName: String) {
            self.id = id
            self.planId = planId
            self.description = description
            self.quantity = quantity
            self.unitPrice = unitPrice
            self.unitCost = unitCost
            self.amount = amount
            self.domainName = domainName
            self.commonName = commonName
        }
    }

    /// Inserts the order and its line. On a replica the order is `queued` and
    /// unnumbered; on the node it is `submitted` with the next gap-free number.
    public static func insert(context: MutationContext, id: String, customerId: String, subscriptionId: String?,
                              type: Order.OrderType, cancelMode: Order.CancelMode?, currency: String, line: Line) throws {
        try context.requireNew("orders", id: id, field: "id", what: "order")
        try context.requireNew("order_line", id: line.id, field: "line_id", what: "order line")
        let number: String? = context.authority == .node ? try DocumentNumber.next(prefix: "ORD", table: "orders", in: context.db) : nil
        let status: Order.Status = context.authority == .node ? .submitted : .queued
        try context.insert("orders", [
            ("id", id), ("number", number), ("customer_id", customerId), ("subscription_id", subscriptionId),
            ("type", type.rawValue), ("status", status.rawValue), ("cancel_mode", cancelMode?.rawValue),
            ("placed_at", context.now.description), ("total", line.amount), ("currency", currency),
        ])
        try context.insert("order_line", [
            ("id", line.id), ("order_id", id), ("plan_id", line.planId), ("description", line.description),
            ("quantity", line.quantity), ("unit_price", line.unitPrice), ("unit_cost", line.unitCost), ("amount", line.amount),
            ("domain_name", line.domainName), ("common_name", line.commonName),
        ])
    }

    static func requireNoOpenCancellation(_ subscriptionId: String, in db: any SQLDatabase) throws {
        if let open = try db.row("""
            SELECT id FROM orders WHERE subscription_id = ? AND type = 'cancellation' AND status IN ('queued', 'submitted', 'provisioning')
            """, [subscriptionId]) {
            throw MutationRefusal.notAllowed("subscription_id", "subscription \(subscriptionId) already has an open cancellation order \(open[0].string ?? "?")")
        }
    }
}

/// Gap-free human numbers (`ORD-000123`, `INV-000045`), assigned by the node only.
public enum DocumentNumber {
    /// The next number after the highest one in `table.number` with this prefix.
    public static func next(prefix: String, table: String, in db: any SQLDatabase) throws -> String {
        let pattern = prefix + "-%"
        // CAST(? AS INTEGER): PostgreSQL's substr takes a 32-bit start, and a bound Int64 is 64-bit.
        let last = try db.scalar("SELECT max(CAST(substr(number, CAST(? AS INTEGER)) AS INTEGER)) FROM \(SQLIdentifier.checked(table)) WHERE number LIKE ?",
                                 [prefix.count + 2, pattern])?.int64 ?? 0
        return format(prefix: prefix, last + 1)
    }

    public static func format(prefix: String, _ value: Int64) -> String {
        let digits = String(value)
        return prefix + "-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }
}
