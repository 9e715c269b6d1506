import OutpostModel

/// Home, "My reseller status": what needs attention first, then the financial
/// summary (each figure with its change against the month before), and the
/// 12-month revenue and receivables aging charts.
enum HomePage {
    /// Builds the home page; returns the customers it names (in "Needs attention"), whose renaming rewrites it.
    @discardableResult
    static func build(in context: BuildContext, status: SyncStatus) throws -> Set<String> {
        let summary = try ResellerSummary.compute(in: context.db, totals: context.figures, attentionLimit: 10)
        let currency = summary.currency
        let month = summary.month.label
        let previous = summary.previous
        let before = previous.month.label
        var blocks: [Block] = []
        blocks.append(.paragraph("Figures as of \(context.today): \(month) is to date. Revenue is invoiced amounts excluding tax, net of credit notes; collected amounts include tax. Each figure's change is against \(before)."))
        // Open conflicts in the words outpost conflicts uses, from this replica's side.
        let me = try context.db.scalar("SELECT value FROM replica_meta WHERE key = 'replica_id'")?.string ?? ""
        let shownConflicts = Array(try Conflict.list(in: context.db).prefix(10))
        let conflicts = try shownConflicts.map { conflict -> [Cell] in
            // A customer is a link with its name, like every customer cell here, so a rename patches it in place.
            let name = conflict.entity == "customer"
                ? try context.db.scalar("SELECT name FROM customer WHERE id = ?", [conflict.entityId])?.string : nil
            let subject = try name.map { Cell.link(SitePath.customer(conflict.entityId), $0) } ?? .text(try conflict.subject(in: context.db))
            return [subject, .text(conflict.field), .text(conflict.story(from: me))]
        }
        // What needs attention comes first: it is what the reseller acts on.
        blocks.append(.section(title: "Needs attention", id: "attention",
                               attention(summary.attention, status: status, conflicts: conflicts, context: context)))
        func change(_ current: Money, _ earlier: Money) -> String {
            change(current.minorUnits, earlier.minorUnits, text: context.format.moneyText)
        }
        func change(_ current: Int64, _ earlier: Int64, text: (Int64) -> String) -> String {
            let difference = current - earlier
            guard difference != 0 else { return "no change vs \(before)" }
            let sign = difference > 0 ? "+" : "−"
            let amount = sign + text(difference.magnitude > UInt64(Int64.max) ? Int64.max : Int64(difference.magnitude))
            guard earlier > 0, difference.magnitude < UInt64(Int64.max) / 20_000 else { return "\(amount) vs \(before) (\(text(earlier)) then)" }
            // Basis points of the earlier figure, rounded half away from zero.
            let basisPoints = (difference.magnitude * 10_000 * 2 + UInt64(earlier)) / (UInt64(earlier) * 2)
            return "\(sign)\(SiteFormat.percent(Int(basisPoints))) (\(amount)) vs \(before)"
        }
        func note(_ change: String, _ about: String) -> String { about.isEmpty ? change : change + "; " + about }
        blocks.append(.section(title: "Key figures", id: "figures", [.figures([
            ("MRR", .money(summary.mrr.minorUnits),
             note(change(summary.mrr, previous.mrr), "monthly recurring revenue of active subscriptions (annual plans ÷ 12)")),
            ("ARR", .money(summary.arr.minorUnits),
             note(change(summary.arr.minorUnits, previous.mrr.minorUnits * 12, text: context.format.moneyText), "MRR × 12")),
            ("Revenue, \(month) to date", .money(summary.revenueThisMonth.minorUnits),
             note(change(summary.revenueThisMonth, previous.revenue), "invoiced, excluding tax; \(before) is the whole month")),
            ("Revenue this year to date", .money(summary.revenueThisYear.minorUnits), "invoiced, excluding tax"),
            ("Collected, \(month) to date", .money(summary.collectedThisMonth.minorUnits),
             note(change(summary.collectedThisMonth, previous.collected), "completed payments; \(before) is the whole month")),
            ("Outstanding receivables", .money(summary.outstanding.minorUnits),
             note(change(summary.outstanding, previous.outstanding), summary.outstanding.minorUnits == 0 ? "nothing owed" : "owed by customers; against the end of \(before)")),
            ("Overdue receivables", .money(summary.overdue.minorUnits),
             note(change(summary.overdue, previous.overdue), summary.overdue.minorUnits == 0 ? "nothing past due" : "past the due date; against the end of \(before)")),
            ("Monthly margin", .money(summary.mrrMargin.minorUnits), "MRR − cost: " + SiteFormat.percent(summary.mrrMarginBp) + " margin on price"),
            ("Active customers", .number(Int64(summary.activeCustomers)),
             note(previous.newCustomers == 0 ? "no new customer in \(month)" : "+\(Plural.count(previous.newCustomers, "new customer")) in \(month)",
                  "\(summary.payingCustomers) with an active subscription")),
            ("Active subscriptions", .number(Int64(summary.activeSubscriptions)), ""),
        ])]))
        let revenue = ReportCharts.revenueSeries(summary.revenueSeries, currency: currency, toDate: true)
            .linked(summary.revenueSeries.map { ReportMonthPages.invoices($0.month) })
        blocks.append(ReportPages.chartSection(title: "Revenue, last 12 months", id: "revenue", chart: revenue.figure(),
                                               link: ("reports/revenue.html", "Revenue report")))
        let aging = ReportCharts.aging(summary.aging, currency: currency)
        blocks.append(ReportPages.chartSection(title: "Receivables aging", id: "aging", chart: aging.figure(),
                                               link: ("reports/aging.html", "Receivables aging report, per customer")))
        try context.emit(PageModel(path: Section.home.path, title: "Reseller status", section: .home, blocks: blocks))
        let attention = summary.attention
        return Set(attention.orders.items.map(\.customerId) + attention.overdueInvoices.items.map(\.customerId)
                   + attention.expiringSubscriptions.items.map(\.customerId) + attention.expiringDomains.items.map(\.customerId)
                   + attention.expiringCertificates.items.map(\.customerId)
                   + shownConflicts.filter { $0.entity == "customer" }.map(\.entityId))
    }

    static func attention(_ attention: ResellerSummary.Attention, status: SyncStatus, conflicts: [[Cell]], context: BuildContext) -> [Block] {
        func more<T>(_ list: ResellerSummary.AttentionList<T>, _ what: String) -> String {
            list.count > list.items.count ? "Showing \(list.items.count) of \(list.count) \(what)." : ""
        }
        var blocks: [Block] = []
        var sync: [Block] = []
        if status.rejected > 0 || status.conflicts > 0 {
            sync.append(.paragraph(Plural.sentence(status.rejected, "change") + " rejected by the node and " + Plural.count(status.conflicts, "open conflict")
                                   + " to settle (outpost conflicts resolve).", tone: "warning"))
        } else {
            sync.append(.paragraph("No rejected changes and no open conflicts."))
        }
        if !conflicts.isEmpty {
            sync.append(.table(columns: [Column("Entity"), Column("Field"), Column("Open conflict")], rows: conflicts, empty: "No open conflicts."))
        }
        sync.append(.links([("sync.html#rejected", "Rejected changes", false), ("sync.html#conflicts", "Conflicts", false)], label: "Sync problems"))
        blocks.append(.section(title: "Rejected changes and conflicts", id: "attention-sync", sync))

        let orders = attention.orders
        blocks.append(.section(title: "Orders failed or waiting for provisioning", id: "attention-orders", [
            .paragraph("\(attention.failedOrders) failed in the last \(ResellerSummary.Attention.failedOrderWindowDays) days; \(orders.count) in all. " + more(orders, "orders")),
            .table(columns: [Column("Order"), Column("Placed"), Column("Customer"), Column("Type"), Column("Status"), Column("Order total", numeric: true), Column("Reason")],
                   rows: orders.items.map { item in
                       [.link(SitePath.onCustomer(item.customerId, item.id), item.number ?? "pending"), .timestamp(item.placedAt.description),
                        .link(SitePath.customer(item.customerId), item.customerName), .text(item.type.rawValue), .status(item.status.rawValue),
                        .money(item.total.minorUnits), .text(item.statusReason)]
                   }, empty: "No order has failed and none is waiting to be provisioned."),
            .links([("provisioning/index.html", "Provisioning queue", false), ("orders/index.html", "All orders", false)], label: "Orders"),
        ]))
        let invoices = attention.overdueInvoices
        blocks.append(.section(title: "Overdue invoices", id: "attention-invoices", [
            .paragraph(invoices.isEmpty ? "" : Plural.sentence(invoices.count, "overdue invoice") + ", most overdue first. " + more(invoices, "invoices")),
            .table(columns: [Column("Invoice"), Column("Customer"), Column("Due"), Column("Days overdue", numeric: true), Column("Outstanding", numeric: true)],
                   rows: invoices.items.map { item in
                       [.link(SitePath.invoice(item.id), item.number ?? "pending"), .link(SitePath.customer(item.customerId), item.customerName),
                        .date(item.dueDate.description), .number(Int64(item.daysOverdue)), .money(item.outstanding.minorUnits)]
                   }, empty: "No invoice is overdue."),
            .links([("reports/aging.html", "Receivables aging report", false)], label: "Receivables"),
        ]))
        for (list, title, id, what) in [
            (attention.expiringSubscriptions, "Subscriptions expiring in \(ResellerSummary.Attention.expiryWindowDays) days", "attention-subscriptions", "subscriptions"),
            (attention.expiringDomains, "Domains expiring in \(ResellerSummary.Attention.expiryWindowDays) days", "attention-domains", "domains"),
            (attention.expiringCertificates, "SSL certificates expiring in \(ResellerSummary.Attention.expiryWindowDays) days", "attention-certificates", "certificates"),
        ] {
            blocks.append(.section(title: title, id: id, [
                .paragraph(list.isEmpty ? "" : "\(list.count) that will not renew on their own, soonest first. " + more(list, what)),
                .table(columns: [Column("Name"), Column("Customer"), Column("Ends"), Column("Days left", numeric: true)],
                       rows: list.items.map { item in
                           [.link(SitePath.onCustomer(item.customerId, item.id), item.name), .link(SitePath.customer(item.customerId), item.customerName),
                            .date(item.endsOn.description), .number(Int64(item.daysLeft))]
                       }, empty: "Nothing expires in the next \(ResellerSummary.Attention.expiryWindowDays) days without renewing."),
            ]))
        }
        return blocks
    }
}
