import Foundation
import OutpostModel
import OutpostStore

/// `order …` and `subscription …`.
enum OrderCommands {
    static let all: [CommandSpec] = [place, change, cancel, list, show, subscriptionList, subscriptionShow]

    static let place = CommandSpec(
        ["order", "place"], "order a plan for a customer (queued until the node numbers it)",
        options: [
            .init("customer", value: "ID", required: true, "customer id (cus_…)"),
            .init("plan", value: "ID", required: true, "plan id (pln_…); see outpost plan list"),
            .init("quantity", value: "N", "seats or units (years for domains); default 1"),
            .init("domain", value: "NAME", "the domain name, for domain plans"),
            .init("common-name", value: "HOST", "the certificate's host name, for SSL plans"),
            .init("transfer", "transfer the domain in instead of registering it"),
        ],
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let quantity = try invocation.value("quantity").map { try OptionValue.integer($0, option: "quantity") } ?? 1
            var mutation = PlaceOrder(id: replica.ids.make("ord"), lineId: replica.ids.make("oln"), customerId: invocation.required("customer"),
                                      planId: invocation.required("plan"), quantity: quantity)
            mutation.domainName = invocation.value("domain")
            mutation.commonName = invocation.value("common-name")
            mutation.transfer = invocation.flag("transfer")
            let seq = try replica.submit(mutation)
            let order = try Order.require(mutation.id, in: replica.db)
            if invocation.json { return try WriteReceipt(queued: seq, mutation: PlaceOrder.name, id: order.id).print(to: session, json: true, summary: "") }
            session.print("Placed order \(order.id) (number pending), total \(Format.money(order.total, order.currency)) (queued as #\(seq) \(PlaceOrder.name))")
        })

    static let change = CommandSpec(
        ["order", "change"], "change the seats of an active subscription",
        arguments: [.init("SUBSCRIPTION", "subscription id (sub_…)")],
        options: [.init("quantity", value: "N", required: true, "the new number of seats")],
        discussion: "Increases are charged prorated by day for the rest of the period; decreases take effect at renewal.",
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let quantity = try OptionValue.integer(invocation.required("quantity"), option: "quantity")
            let subscription = try Subscription.require(invocation.argument(0), in: replica.db, field: "SUBSCRIPTION")
            let mutation = ChangeOrder(id: replica.ids.make("ord"), lineId: replica.ids.make("oln"), subscriptionId: subscription.id,
                                       quantity: quantity, baseVersion: subscription.version)
            try replica.submitAndReport(mutation, id: mutation.id, session: session, json: invocation.json,
                                        summary: "Placed change order \(mutation.id): \(subscription.quantity) → \(quantity) seat(s)")
        })

    static let cancel = CommandSpec(
        ["order", "cancel"], "cancel a subscription now (credited by day) or at the end of its period",
        arguments: [.init("SUBSCRIPTION", "subscription id (sub_…)")],
        options: [.init("at-period-end", "keep it running until the current period ends")],
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let subscription = try Subscription.require(invocation.argument(0), in: replica.db, field: "SUBSCRIPTION")
            let mode: Order.CancelMode = invocation.flag("at-period-end") ? .periodEnd : .now
            let mutation = CancelOrder(id: replica.ids.make("ord"), lineId: replica.ids.make("oln"), subscriptionId: subscription.id,
                                       when: mode, baseVersion: subscription.version)
            try replica.submitAndReport(mutation, id: mutation.id, session: session, json: invocation.json,
                                        summary: "Placed cancellation order \(mutation.id) (\(mode == .now ? "now" : "at period end \(subscription.periodEnd)"))")
        })

    static let list = CommandSpec(
        ["order", "list"], "list orders of every type",
        options: [
            .init("customer", value: "ID", "only this customer's orders"),
            .init("status", value: "STATUS", "queued, submitted, provisioning, completed, failed or rejected"),
        ],
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let status = try invocation.value("status").map { try OptionValue.choice($0, Order.Status.self, option: "status") }
            let orders = try Order.list(customerId: invocation.value("customer"), status: status, in: replica.db)
            if invocation.json { return try JSONOutput.print(orders, to: session) }
            var table = TextTable("ID", "NUMBER", "CUSTOMER", "TYPE", "STATUS", "PLACED", "TOTAL")
            for order in orders {
                table.add(order.id, order.displayNumber, order.customerId, order.type.rawValue, order.status.rawValue,
                          order.placedAt.description, Format.money(order.total, order.currency))
            }
            session.print(table.render(empty: "No orders."))
        })

    struct OrderDetail: Encodable {
        let order: Order
        let lines: [OrderLine]
    }

    static let show = CommandSpec(
        ["order", "show"], "show an order and its lines",
        arguments: [.init("ID", "order id (ord_…) or number (ORD-…)")],
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let key = invocation.argument(0)
            let id = try replica.db.scalar("SELECT id FROM orders WHERE id = ?1 OR number = ?1", [key])?.string ?? key
            let order = try Order.require(id, in: replica.db)
            let lines = try order.lines(in: replica.db)
            if invocation.json { return try JSONOutput.print(OrderDetail(order: order, lines: lines), to: session) }
            session.print("Order \(order.displayNumber)  (\(order.id))")
            session.print("Customer: \(order.customerId)")
            session.print("Type:     \(order.type.rawValue)\(order.cancelMode.map { " (\($0.rawValue))" } ?? "")")
            session.print("Status:   \(order.status.rawValue)\(order.statusReason.isEmpty ? "" : " — \(order.statusReason)")")
            session.print("Placed:   \(order.placedAt)")
            var table = TextTable("PLAN", "DESCRIPTION", "QTY", "UNIT PRICE", "UNIT COST", "AMOUNT")
            for line in lines {
                table.add(line.planId, line.description, String(line.quantity), Format.money(line.unitPrice, order.currency),
                          Format.money(line.unitCost, order.currency), Format.money(line.amount, order.currency))
            }
            session.print("")
            session.print(table.render(empty: "(no lines)"))
            session.print("Total:    \(Format.money(order.total, order.currency))")
        })

    /// A subscription with its sale price, cost and margin.
    struct SubscriptionView: Encodable {
        let subscription: Subscription
        let planName: String
        /// Margin per period, minor units.
        let marginPerPeriod: Int64
        /// Margin on price, basis points.
        let marginBp: Int
    }

    static func views(_ subscriptions: [Subscription], in db: Database) throws -> [SubscriptionView] {
        var names: [String: String] = [:]
        for plan in try Plan.list(in: db) { names[plan.id] = plan.name }
        return subscriptions.map {
            SubscriptionView(subscription: $0, planName: names[$0.planId] ?? $0.planId, marginPerPeriod: $0.marginPerPeriod,
                             marginBp: Pricing.margin(price: $0.unitPrice, cost: $0.unitCost) ?? 0)
        }
    }

    static let subscriptionList = CommandSpec(
        ["subscription", "list"], "list subscriptions with sale price, cost and margin",
        options: [
            .init("customer", value: "ID", "only this customer's subscriptions"),
            .init("status", value: "STATUS", "pending, active, suspended, cancelled or expired"),
        ],
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let status = try invocation.value("status").map { try OptionValue.choice($0, Subscription.Status.self, option: "status") }
            let subscriptions = try Subscription.list(customerId: invocation.value("customer"), in: replica.db).filter { status == nil || $0.status == status }
            let views = try views(subscriptions, in: replica.db)
            if invocation.json { return try JSONOutput.print(views, to: session) }
            var table = TextTable("ID", "CUSTOMER", "PLAN", "QTY", "STATUS", "PERIOD END", "PRICE", "COST", "MARGIN")
            for view in views {
                let s = view.subscription
                table.add(s.id, s.customerId, view.planName, String(s.quantity), s.status.rawValue + (s.cancelAtPeriodEnd ? " (ends)" : ""),
                          s.periodEnd.description, Format.money(s.unitPrice, s.currency), Format.money(s.unitCost, s.currency),
                          Format.percent(view.marginBp))
            }
            session.print(table.render(empty: "No subscriptions. They appear once the node provisions an order."))
        })

    static let subscriptionShow = CommandSpec(
        ["subscription", "show"], "show one subscription",
        arguments: [.init("ID", "subscription id (sub_…)")],
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let subscription = try Subscription.require(invocation.argument(0), in: replica.db, field: "ID")
            guard let view = try views([subscription], in: replica.db).first else { return }
            if invocation.json { return try JSONOutput.print(view, to: session) }
            let s = subscription
            session.print("\(view.planName)  (\(s.id), \(s.status.rawValue))")
            session.print("Customer:   \(s.customerId)")
            session.print("Quantity:   \(s.quantity)")
            session.print("Period:     \(s.periodStart) to \(s.periodEnd)\(s.cancelAtPeriodEnd ? ", ends then" : s.autoRenew ? ", renews automatically" : ", does not renew")")
            session.print("Unit price: \(Format.money(s.unitPrice, s.currency)); unit cost: \(Format.money(s.unitCost, s.currency))")
            session.print("Margin:     \(Format.money(view.marginPerPeriod, s.currency)) per period (\(Format.percent(view.marginBp)) of price)")
        })
}
