import OutpostModel

/// "Own purchases" ("Settings → My product subscriptions"): what the reseller bought for its own use
/// at cost, with what it costs per month. Kept off the customer pages, lists and figures, so shown here.
enum OwnPurchasesPage {
    static let subscriptionsCSV = "own-subscriptions.csv"
    static let ordersCSV = "own-orders.csv"
    static let invoicesCSV = "own-invoices.csv"

    static func build(in context: BuildContext) throws {
        let own = try OwnPurchases.load(from: context.db)
        let subscriptionColumns = [Column("Plan"), Column("Qty", numeric: true), Column("Status"), Column("Current period ends"),
                                   Column("Unit cost", numeric: true), Column("Cost per month", numeric: true)]
        let subscriptions: [[Cell]] = own.subscriptions.map { item in
            let s = item.subscription
            return [.text(item.planName), .number(Int64(s.quantity)), .status(s.status.rawValue), .date(s.periodEnd.description),
                    .money(s.unitCost), .money(item.costPerMonth)]
        }
        let orderColumns = [Column("Number"), Column("Placed"), Column("Type"), Column("Status"), Column("Order total", numeric: true)]
        let orders: [[Cell]] = own.orders.map {
            [.text($0.displayNumber), .timestamp($0.placedAt.description), .text($0.type.rawValue), .status($0.status.rawValue), .money($0.total)]
        }
        let invoiceColumns = [Column("Number"), Column("Status"), Column("Issued"), Column("Due"), Column("Total", numeric: true)]
        let invoices: [[Cell]] = own.invoices.map {
            [.text($0.number ?? "pending"), .status($0.status.rawValue), .date($0.issueDate.description), .date($0.dueDate.description), .money($0.total)]
        }
        try SmallTablePage.writeCSV(subscriptionsCSV, columns: subscriptionColumns, rows: subscriptions, extraHeader: ["Id"],
                                    extra: own.subscriptions.map { [$0.subscription.id] }, in: context)
        try SmallTablePage.writeCSV(ordersCSV, columns: orderColumns, rows: orders, extraHeader: ["Id"], extra: own.orders.map { [$0.id] }, in: context)
        try SmallTablePage.writeCSV(invoicesCSV, columns: invoiceColumns, rows: invoices, extraHeader: ["Id"], extra: own.invoices.map { [$0.id] }, in: context)
        let blocks: [Block] = [
            .paragraph("What you bought for your own use, at the distributor's cost (no markup, so no margin). These orders, subscriptions and invoices count in no customer figure: not in MRR, revenue, margin, sales, receivables or the reports. Order with: outpost order place --for-self --plan PLAN"),
            .figures([("Active own subscriptions", .number(Int64(own.activeSubscriptions)), ""),
                      ("Cost per month", .money(own.costPerMonth), "annual plans count a twelfth")]),
            .section(title: "Subscriptions", id: "subscriptions", [.table(columns: subscriptionColumns, rows: subscriptions,
                     empty: "No own subscriptions yet.", csv: subscriptionsCSV)]),
            .section(title: "Orders", id: "orders", [.table(columns: orderColumns, rows: orders, empty: "No own orders yet.", csv: ordersCSV)]),
            .section(title: "Invoices", id: "invoices", [.table(columns: invoiceColumns, rows: invoices, empty: "No own invoices yet.", csv: invoicesCSV)]),
        ]
        try context.emit(PageModel(path: Section.own.path, title: "Own purchases", section: .own, blocks: blocks))
    }
}
