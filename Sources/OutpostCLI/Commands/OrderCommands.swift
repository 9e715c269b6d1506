import Foundation
import OutpostModel
import OutpostStore

/// `order …` and `subscription …`.
enum OrderCommands {
    static let all: [CommandSpec] = [place, change, cancel, list, show, subscriptionList, subscriptionShow]

    static let place = CommandSpec(
        ["order", "place"], "order a plan for a customer, or --for-self at cost (queued until the node numbers it)",
        options: [
            .init("customer", value: "CUSTOMER", "customer id, id prefix, name or unique name prefix"),
            .init("for-self", "order for your own use instead of a customer's, at cost (see outpost own list)"),
            .init("plan", value: "PLAN", required: true, "plan id (pln_…), slug, name or unique name prefix; see outpost plan list"),
            .init("quantity", value: "N", "seats or units (years for domains); default 1"),
            .init("domain", value: "NAME", "the domain name, for domain plans"),
            .init("common-name", value: "HOST", "the certificate's host name, for SSL plans"),
            .init("transfer", "transfer the domain in instead of registering it"),
        ],
        discussion: """
            Give --customer or --for-self. A customer's order is priced at the plan's cost plus the markup in force (outpost price set); \
            an order --for-self is bought at the distributor's cost, without markup, and is kept apart from customers' figures.
            """,
        refusedOptions: [
            "markup": "an order is priced by the price rules (outpost price set); an order --for-self is bought at cost, without markup",
            "price": "an order is priced by the price rules (outpost price set); an order --for-self is bought at cost",
        ],
        printsJSON: true,
        run: { invocation, session in
            let forSelf = invocation.flag("for-self")
            switch (invocation.value("customer"), forSelf) {
            case (nil, false): throw UsageError(message: "give the customer with --customer CUSTOMER, or --for-self to order for your own use", command: invocation.command.name)
            case (.some, true): throw UsageError(message: "give --customer or --for-self, not both", command: invocation.command.name)
            default: break
            }
            let replica = try session.openReplica(invocation)
            let quantity = try invocation.value("quantity").map { try OptionValue.integer($0, option: "quantity") } ?? 1
            let customerId = forSelf ? Customer.ownAccountId : try replica.resolve(.customer, invocation.required("customer"), field: "--customer")
            let planId = try replica.resolve(.plan, invocation.required("plan"), field: "--plan")
            var mutation = PlaceOrder(id: replica.ids.make("ord"), lineId: replica.ids.make("oln"), customerId: customerId,
                                      planId: planId, quantity: quantity)
            mutation.domainName = invocation.value("domain")
            mutation.commonName = invocation.value("common-name")
            mutation.transfer = invocation.flag("transfer")
            // Say which option is missing, in the words of the command line, before the mutation names its field.
            let plan = try Plan.require(planId, in: replica.db, field: "plan_id")
            if plan.kind == .domain, mutation.domainName == nil {
                throw UsageError(message: "\(plan.name) is a domain plan: give the domain with --domain NAME", command: invocation.command.name)
            }
            if plan.kind == .ssl, mutation.commonName == nil {
                throw UsageError(message: "\(plan.name) is an SSL plan: give the certificate's host with --common-name HOST", command: invocation.command.name)
            }
            let seq = try replica.submit(mutation)
            let order = try Order.require(mutation.id, in: replica.db)
            if invocation.json { return try WriteReceipt(queued: seq, mutation: PlaceOrder.name, id: order.id).print(to: session, json: true, summary: "") }
            let names = NameBook(replica.db)
            let buyer = forSelf ? "your own use, at cost" : try names.customer(customerId)
            session.print("Placed order \(order.id) (number pending) for \(buyer): \(quantity) × \(try names.plan(planId)), order total \(Format.money(order.total, order.currency)) (queued as #\(seq) \(PlaceOrder.name))")
        })

    static let change = CommandSpec(
        ["order", "change"], "change the seats of an active subscription",
        arguments: [.init("SUBSCRIPTION", "subscription id (sub_…) or unique id prefix")],
        options: [.init("quantity", value: "N", required: true, "the new number of seats")],
        discussion: "Increases are charged prorated by day for the rest of the period; decreases take effect at renewal.",
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let quantity = try OptionValue.integer(invocation.required("quantity"), option: "quantity")
            let subscription = try Subscription.require(replica.resolve(.subscription, invocation.argument(0), field: "SUBSCRIPTION"), in: replica.db)
            let mutation = ChangeOrder(id: replica.ids.make("ord"), lineId: replica.ids.make("oln"), subscriptionId: subscription.id,
                                       quantity: quantity, baseVersion: subscription.version)
            try replica.submitAndReport(mutation, id: mutation.id, session: session, json: invocation.json,
                                        summary: "Placed change order \(mutation.id): \(subscription.quantity) → \(Plural.count(quantity, "seat"))")
        })

    static let cancel = CommandSpec(
        ["order", "cancel"], "cancel a subscription now (credited by day) or at the end of its period",
        arguments: [.init("SUBSCRIPTION", "subscription id (sub_…) or unique id prefix")],
        options: [.init("at-period-end", "keep it running until the current period ends")],
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let subscription = try Subscription.require(replica.resolve(.subscription, invocation.argument(0), field: "SUBSCRIPTION"), in: replica.db)
            let mode: Order.CancelMode = invocation.flag("at-period-end") ? .periodEnd : .now
            let mutation = CancelOrder(id: replica.ids.make("ord"), lineId: replica.ids.make("oln"), subscriptionId: subscription.id,
                                       when: mode, baseVersion: subscription.version)
            try replica.submitAndReport(mutation, id: mutation.id, session: session, json: invocation.json,
                                        summary: "Placed cancellation order \(mutation.id) (\(mode == .now ? "now" : "at period end \(subscription.periodEnd)"))")
        })

    static let list = CommandSpec(
        ["order", "list"], "list orders of every type",
        options: [
            .init("customer", value: "CUSTOMER", "only this customer's orders (id, id prefix or name)"),
            .init("status", value: "STATUS", "queued, submitted, provisioning, completed, failed or rejected"),
        ],
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let status = try invocation.value("status").map { try OptionValue.choice($0, Order.Status.self, option: "status") }
            let customerId = try replica.resolve(.customer, invocation.value("customer"), field: "--customer")
            let orders = try Order.list(customerId: customerId, status: status, in: replica.db)
            let names = NameBook(replica.db)
            if invocation.json { return try JSONOutput.print(orders.map { Annotated($0, ["customerName": try names.customer($0.customerId)]) }, to: session) }
            var table = TextTable("NUMBER", "CUSTOMER", "TYPE", "STATUS", "PLACED", "ORDER TOTAL", "ID")
            for order in orders {
                table.add(order.displayNumber, try names.customer(order.customerId), order.type.rawValue, order.status.rawValue,
                          order.placedAt.description, Format.money(order.total, order.currency), order.id)
            }
            session.print(table.render(empty: "No orders."))
        })

    struct OrderDetail: Encodable {
        let order: Order
        let lines: [OrderLine]
    }

    static let show = CommandSpec(
        ["order", "show"], "show an order and its lines",
        arguments: [.init("ORDER", "order number (ORD-…), id (ord_…) or unique id prefix")],
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let order = try Order.require(replica.resolve(.order, invocation.argument(0), field: "ORDER"), in: replica.db)
            let lines = try order.lines(in: replica.db)
            if invocation.json { return try JSONOutput.print(OrderDetail(order: order, lines: lines), to: session) }
            session.print("Order \(order.displayNumber)  (\(order.id))")
            let names = NameBook(replica.db)
            session.print("Customer: \(try names.customer(order.customerId))  (\(order.customerId))")
            session.print("Type:     \(order.type.rawValue)\(order.cancelMode.map { " (\($0.rawValue))" } ?? "")")
            session.print("Status:   \(order.status.rawValue)\(order.statusReason.isEmpty ? "" : " — \(order.statusReason)")")
            session.print("Placed:   \(order.placedAt)")
            var table = TextTable("PLAN", "DESCRIPTION", "QTY", "UNIT PRICE", "UNIT COST", "LINE TOTAL")
            for line in lines {
                table.add(try names.plan(line.planId), line.description, String(line.quantity), Format.money(line.unitPrice, order.currency),
                          Format.money(line.unitCost, order.currency), Format.money(line.amount, order.currency))
            }
            session.print("")
            session.print(table.render(empty: "(no lines)"))
            session.print("Order total: \(Format.money(order.total, order.currency))")
            // A change order is priced for whole periods; its invoice charges only the days left, so the two differ.
            let invoiced = try replica.db.rows("SELECT number, total, currency FROM invoice WHERE order_id = ? ORDER BY issue_date, id", [order.id])
            for invoice in invoiced {
                let number = try invoice.optionalString("number") ?? "pending"
                let total = try invoice.int64("total")
                var line = "Invoiced:    \(Format.money(total, try invoice.string("currency"))) on \(number)"
                if total != order.total { line += order.type == .change ? " (prorated: only the days left in the current period)" : " (with tax)" }
                session.print(line)
            }
        })

    /// A subscription with its sale price, cost and margin.
    struct SubscriptionView: Encodable {
        let subscription: Subscription
        let planName: String
        let customerName: String
        /// Margin per period, minor units.
        let marginPerPeriod: Int64
        /// Margin on price, basis points.
        let marginBp: Int
    }

    static func views(_ subscriptions: [Subscription], in db: Database) throws -> [SubscriptionView] {
        let names = NameBook(db)
        return try subscriptions.map {
            SubscriptionView(subscription: $0, planName: try names.plan($0.planId), customerName: try names.customer($0.customerId), marginPerPeriod: $0.marginPerPeriod,
                             marginBp: Pricing.margin(price: $0.unitPrice, cost: $0.unitCost) ?? 0)
        }
    }

    static let subscriptionList = CommandSpec(
        ["subscription", "list"], "list subscriptions with sale price, cost and margin",
        options: [
            .init("customer", value: "CUSTOMER", "only this customer's subscriptions (id, id prefix or name)"),
            .init("status", value: "STATUS", "pending, active, suspended, cancelled or expired"),
        ],
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let status = try invocation.value("status").map { try OptionValue.choice($0, Subscription.Status.self, option: "status") }
            let subscriptions = try Subscription.list(customerId: replica.resolve(.customer, invocation.value("customer"), field: "--customer"), in: replica.db).filter { status == nil || $0.status == status }
            let views = try views(subscriptions, in: replica.db)
            if invocation.json { return try JSONOutput.print(views, to: session) }
            var table = TextTable("CUSTOMER", "PLAN", "QTY", "STATUS", "PERIOD END", "UNIT PRICE", "UNIT COST", "MARGIN", "ID")
            for view in views {
                let s = view.subscription
                table.add(view.customerName, view.planName, String(s.quantity), s.status.rawValue + (s.cancelAtPeriodEnd ? " (ends)" : ""),
                          s.periodEnd.description, Format.money(s.unitPrice, s.currency), Format.money(s.unitCost, s.currency),
                          Format.percent(view.marginBp), s.id)
            }
            session.print(table.render(empty: "No subscriptions. They appear once the node provisions an order."))
        })

    static let subscriptionShow = CommandSpec(
        ["subscription", "show"], "show one subscription",
        arguments: [.init("SUBSCRIPTION", "subscription id (sub_…) or unique id prefix")],
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let subscription = try Subscription.require(replica.resolve(.subscription, invocation.argument(0), field: "SUBSCRIPTION"), in: replica.db)
            guard let view = try views([subscription], in: replica.db).first else { return }
            if invocation.json { return try JSONOutput.print(view, to: session) }
            let s = subscription
            session.print("\(view.planName)  (\(s.id), \(s.status.rawValue))")
            session.print("Customer:   \(view.customerName)  (\(s.customerId))")
            session.print("Quantity:   \(s.quantity)")
            session.print("Period:     \(s.periodStart) to \(s.periodEnd)\(s.cancelAtPeriodEnd ? ", ends then" : s.autoRenew ? ", renews automatically" : ", does not renew")")
            session.print("Unit price: \(Format.money(s.unitPrice, s.currency)); unit cost: \(Format.money(s.unitCost, s.currency))")
            session.print("Margin:     \(Format.money(view.marginPerPeriod, s.currency)) per period (\(Format.percent(view.marginBp)) of price)")
        })
}
