import OutpostModel

/// `own list`: what the reseller bought for its own use ("Settings → My product subscriptions").
enum OwnCommands {
    static let all: [CommandSpec] = [list]

    static let list = CommandSpec(
        ["own", "list"], "list your own subscriptions, orders and invoices (bought at cost, kept apart from customers)",
        discussion: """
            Order for yourself with: outpost order place --for-self --plan PLAN. Change or cancel an own subscription with \
            outpost order change|cancel, as any other. Own purchases count in no customer figure (summary, reports, customer lists).
            """,
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let own = try OwnPurchases.load(from: replica.db)
            if invocation.json { return try JSONOutput.print(own, to: session) }
            session.print("Own subscriptions: \(own.activeSubscriptions) active, costing \(Format.money(own.costPerMonth, own.currency)) per month")
            var subscriptions = TextTable("PLAN", "QTY", "STATUS", "PERIOD END", "UNIT COST", "COST PER MONTH", "ID")
            for item in own.subscriptions {
                let s = item.subscription
                subscriptions.add(item.planName, String(s.quantity), s.status.rawValue + (s.cancelAtPeriodEnd ? " (ends)" : ""), s.periodEnd.description,
                                  Format.money(s.unitCost, s.currency), Format.money(item.costPerMonth, s.currency), s.id)
            }
            session.print(subscriptions.render(empty: "No own subscriptions. Order one with: outpost order place --for-self --plan PLAN"))
            session.print("")
            session.print("Own orders:")
            var orders = TextTable("NUMBER", "TYPE", "STATUS", "PLACED", "ORDER TOTAL", "ID")
            for order in own.orders {
                orders.add(order.displayNumber, order.type.rawValue, order.status.rawValue, order.placedAt.description,
                           Format.money(order.total, order.currency), order.id)
            }
            session.print(orders.render(empty: "No own orders."))
            session.print("")
            session.print("Own invoices:")
            var invoices = TextTable("NUMBER", "STATUS", "ISSUED", "DUE", "TOTAL", "ID")
            for invoice in own.invoices {
                invoices.add(invoice.number ?? "pending", invoice.status.rawValue, invoice.issueDate.description, invoice.dueDate.description,
                             Format.money(invoice.total, invoice.currency), invoice.id)
            }
            session.print(invoices.render(empty: "No own invoices."))
        })
}
