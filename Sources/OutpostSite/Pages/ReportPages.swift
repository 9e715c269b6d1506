import Foundation
import OutpostModel

/// The six reports, each a page with a chart (inline SVG with its numbers
/// as a table), a table, and the CSV beside it. The figures come from
/// `OutpostModel/Reports`; this file only lays them out.
enum ReportPages {
    static let months = 12

    static let catalogue: [(path: String, title: String, about: String)] = [
        ("reports/sales.html", "Sales", "Orders and their amounts by month and order type."),
        ("reports/revenue.html", "Revenue", "Invoiced, collected and margin by month, and revenue by plan."),
        ("reports/customers.html", "Customer dynamics", "New, churned and reactivated customers per month, and MRR movements (new, expansion, contraction, churn)."),
        ("reports/aging.html", "Receivables aging", "What customers owe, by days past due (current, 1–30, 31–60, 61–90, 90+), per customer."),
        ("reports/payments.html", "Payment transactions", "Payments by method and month."),
        ("reports/subscriptions.html", "Customers' subscriptions", "Active subscriptions per plan, and those expiring or renewing in 30, 60 and 90 days."),
    ]

    /// The reports' names (`reports/NAME.html`), in catalogue order.
    static let names = catalogue.map { String($0.path.dropFirst("reports/".count).dropLast(".html".count)) }

    /// Builds the reports' index and every report, or only the reports named in `only` (an incremental build).
    static func build(in context: BuildContext, only: Set<String>? = nil) throws {
        try context.emit(PageModel(path: Section.reports.path, title: "Reports", section: .reports, blocks: [
            .paragraph("Each report has a chart, the numbers as a table, and a CSV with every row. Figures as of \(context.today), covering the last \(months) months where a report is monthly."),
            .table(columns: [Column("Report"), Column("What it shows")],
                   rows: catalogue.map { [.link($0.path, $0.title), .text($0.about)] }, empty: ""),
        ]))
        let builders: [(BuildContext) throws -> Void] = [sales, revenue, customers, { try aging($0) }, payments, subscriptions]
        for (name, builder) in zip(names, builders) where only?.contains(name) ?? true { try builder(context) }
    }

    /// A chart under a heading, with a link onwards; the chart's markup is its own fingerprint.
    static func chartSection(title: String, id: String, chart: Node, link: (String, String)? = nil) -> Block {
        var blocks: [Block] = [.node(H.el("div", [Attribute("class", "chart")], chart), fingerprint: chart.render())]
        if let link { blocks.append(.links([(link.0, link.1, false)], label: title)) }
        return .section(title: title, id: id, blocks)
    }

    private static func page(_ context: BuildContext, _ index: Int, _ blocks: [Block]) throws {
        let entry = catalogue[index]
        try context.emit(PageModel(path: entry.path, title: entry.title + " report", section: .reports,
                                   blocks: [.paragraph(entry.about + " As of \(context.today).")] + blocks))
    }

    private static func csv(_ context: BuildContext, _ path: String, _ header: [String], _ rows: [[String]]) throws {
        try context.output.file(path, text: CSVRecord.document([header] + rows))
    }

    static func sales(_ context: BuildContext) throws {
        let report = try SalesReport.compute(in: context.db, ledger: context.ledger)
        let types = Order.OrderType.allCases
        let chart = ReportCharts.sales(report)
        try csv(context, "reports/sales.csv", report.csvHeader, report.csvRows)
        var rows: [[Cell]] = report.months.map { month in
            var cells: [Cell] = [.text(month.month.description)]
            for type in types { cells.append(.money(report.row(month.month, type)?.amount ?? 0)) }
            cells += [.number(Int64(month.total.count)), .money(month.total.amount)]
            return cells
        }
        var totals: [Cell] = [.custom(H.el("strong", [], .text("Total")), "Total")]
        for type in types { totals.append(.money(report.totals.first { $0.type == type }?.total.amount ?? 0)) }
        let all = report.totals.reduce((count: 0, amount: Int64(0))) { ($0.count + $1.total.count, $0.amount + $1.total.amount) }
        totals += [.number(Int64(all.count)), .money(all.amount)]
        rows.append(totals)
        try page(context, 0, [
            chartSection(title: chart.content.title, id: "chart", chart: chart.figure()),
            .section(title: "By month", id: "table", [.table(
                columns: [Column("Month")] + types.map { Column($0.rawValue.capitalized, numeric: true) } + [Column("Orders", numeric: true), Column("Amount", numeric: true)],
                rows: rows, empty: "No orders in the period.", csv: "reports/sales.csv")]),
        ])
    }

    static func revenue(_ context: BuildContext) throws {
        let report = try RevenueReport.compute(in: context.db, ledger: context.ledger)
        let chart = ReportCharts.revenue(report)
        try csv(context, "reports/revenue.csv", report.csvHeader, report.csvRows)
        try csv(context, "reports/revenue-by-plan.csv", report.planCSVHeader, report.planCSVRows)
        var monthRows: [[Cell]] = report.months.map { m in
            [.text(m.month.description), .money(m.invoicedGross), .money(-m.credited), .money(m.invoiced), .money(m.invoicedIncludingTax),
             .money(m.collected), .money(m.margin), .percent(m.marginBp)]
        }
        let total = report.total
        monthRows.append([.custom(H.el("strong", [], .text("Total")), "Total"), .blank, .blank, .money(total.invoiced), .blank,
                          .money(total.collected), .money(total.margin), .blank])
        try page(context, 1, [
            chartSection(title: chart.content.title, id: "chart", chart: chart.figure()),
            .section(title: "By month", id: "months", [.table(
                columns: [Column("Month"), Column("Invoiced gross", numeric: true), Column("Credit notes", numeric: true), Column("Revenue (excl. tax)", numeric: true),
                          Column("Invoiced incl. tax", numeric: true), Column("Collected", numeric: true), Column("Margin", numeric: true), Column("Margin %", numeric: true)],
                rows: monthRows, empty: "No invoices in the period.", csv: "reports/revenue.csv")]),
            .section(title: "By plan", id: "plans", [.table(
                columns: [Column("Plan"), Column("Invoiced gross", numeric: true), Column("Credit notes", numeric: true), Column("Revenue (excl. tax)", numeric: true),
                          Column("Margin", numeric: true), Column("Margin %", numeric: true)],
                rows: report.plans.map { p in
                    [.text(p.planName), .money(p.invoicedGross), .money(-p.credited), .money(p.invoiced), .money(p.margin), .percent(p.marginBp)]
                }, empty: "No plan was invoiced in the period.", csv: "reports/revenue-by-plan.csv")]),
        ])
    }

    static func customers(_ context: BuildContext) throws {
        let report = try CustomerDynamicsReport.compute(in: context.db, ledger: context.ledger)
        let customersChart = ReportCharts.customers(report)
        let mrrChart = ReportCharts.mrrMovements(report)
        try csv(context, "reports/customers.csv", report.csvHeader, report.csvRows)
        try page(context, 2, [
            chartSection(title: customersChart.content.title, id: "chart-customers", chart: customersChart.figure()),
            chartSection(title: mrrChart.content.title, id: "chart-mrr", chart: mrrChart.figure()),
            .section(title: "By month", id: "table", [.table(
                columns: [Column("Month"), Column("New customers", numeric: true), Column("Reactivated", numeric: true), Column("Churned", numeric: true),
                          Column("Net customers", numeric: true), Column("New MRR", numeric: true), Column("Expansion", numeric: true),
                          Column("Contraction", numeric: true), Column("Churn", numeric: true), Column("Net MRR", numeric: true)],
                rows: report.months.map { m in
                    [.text(m.month.description), .number(Int64(m.newCustomers)), .number(Int64(m.reactivatedCustomers)), .number(Int64(m.churnedCustomers)),
                     .number(Int64(m.netCustomers)), .money(m.newMRR), .money(m.expansionMRR), .money(m.contractionMRR), .money(m.churnMRR), .money(m.netMRR)]
                }, empty: "", csv: "reports/customers.csv")]),
        ])
    }

    /// Where the per-customer aging pages go (and their list's name in the list store).
    static let agingDirectory = "reports/aging"

    /// The aging report: its page, the per-customer pages and the CSV; with `customers` (an incremental
    /// build) only their rows are redone, and the totals.
    static func aging(_ context: BuildContext, customers: Set<String>? = nil) throws {
        let report = try ReceivablesAgingReport.compute(in: context.db, ledger: context.ledger)
        if let customers {
            try patchAging(context, customers: customers, report: report)
        } else {
            try writeAgingCSV(context, report)
            try agingList(context).build(in: context) { sink in
                try ReceivablesAgingReport.forEachCustomer(in: context.db, asOf: context.today) { try sink(agingEntry($0)) }
            }
        }
        // The report's own address has the chart and the totals, and leads to the paginated pages.
        let agingChart = ReportCharts.aging(report.total, currency: report.currency)
        try context.emit(PageModel(path: catalogue[3].path, title: "Receivables aging report", section: .reports, blocks: [
            .paragraph(catalogue[3].about + " As of \(context.today). " + agingDays),
            chartSection(title: agingChart.content.title, id: "chart", chart: agingChart.figure()),
            .section(title: "Totals", id: "totals", [.table(
                columns: [Column("Bucket"), Column("Outstanding", numeric: true)],
                rows: report.total.labelled.map { [.text($0.label), .money($0.amount)] }
                    + [[.custom(H.el("strong", [], .text("Total")), "Total"), .money(report.total.total)],
                       [.text("of which overdue"), .money(report.total.overdue)]],
                empty: "", csv: agingCSV)]),
            .paragraph(report.customerCount == 0 ? "No customer owes money."
                       : "\(Plural.sentence(report.customerCount, "customer")) \(report.customerCount == 1 ? "owes" : "owe") money on \(Plural.count(report.openInvoiceCount, "open invoice"))."),
            .links([("reports/aging/index.html", "Per-customer receivables (\(report.customerCount) customers)", false)], label: "Per customer"),
        ]))
    }

    private static let agingDays = "Days past due count from the due date: on the due date an invoice is current, the day after it is 1 day past due."

    /// Redoes the per-customer rows of `customers` (renamed, or their money moved) in the pages, and the CSV.
    static func patchAging(_ context: BuildContext, customers: Set<String>, report: ReceivablesAgingReport? = nil) throws {
        var fresh: [String: ListStore.Entry] = [:]
        try ReceivablesAgingReport.forEachCustomer(in: context.db, asOf: context.today, only: customers) { customer in
            fresh[customer.customerId] = agingEntry(customer)
        }
        // A customer who owes nothing now leaves the list.
        _ = try agingList(context).replace(in: context, ids: customers, with: fresh)
        try writeAgingCSV(context, try report ?? ReceivablesAgingReport.compute(in: context.db, ledger: context.ledger))
    }

    /// The aging CSV, written whole: one row per customer who owes (about 4 MB at 100,000 fixture customers),
    /// so a sync that moves money or renames a customer who owes writes it again.
    private static func writeAgingCSV(_ context: BuildContext, _ report: ReceivablesAgingReport) throws {
        let csv = try CSVWriter(path: agingCSV, output: context.output, header: report.csvHeader)
        try report.forEachCSVRow(in: context.db) { try csv.write($0) }
        try csv.finish(into: context.output)
    }

    static let agingCSV = "reports/aging.csv"

    /// Per customer, paginated like every long list (its CSV is the report's own). Its pages carry no
    /// totals (they are on the report's own page), so money moving for a few customers rewrites only
    /// the pages their rows are on.
    private static func agingList(_ context: BuildContext) -> PagedList {
        let intro: [Block] = [
            .paragraph("What each customer owes as of \(context.today), by days past due. " + agingDays),
            .links([(catalogue[3].path, "Totals and chart", false)], label: "Receivables aging report"),
        ]
        let columns = [Column("Customer")] + AgingBuckets.labels.map { Column($0, numeric: true) }
            + [Column("Total", numeric: true), Column("Open invoices", numeric: true), Column("Oldest due date")]
        return PagedList(directory: agingDirectory, title: "Receivables aging report", section: .reports, intro: intro, columns: columns,
                         empty: "No customer owes anything.", select: "", idColumn: "", order: "", key: { _ in [] }, csvName: nil,
                         csvLink: agingCSV, cells: { _ in [] })
    }

    private static func agingEntry(_ customer: ReceivablesAgingReport.CustomerAging) -> ListStore.Entry {
        let b = customer.buckets
        let cells: [Cell] = [.link(SitePath.customer(customer.customerId), customer.customerName), .money(b.current), .money(b.days1to30),
                             .money(b.days31to60), .money(b.days61to90), .money(b.over90), .money(b.total),
                             .number(Int64(customer.openInvoices)), .date(customer.oldestDueDate?.description)]
        return PagedList.entry(id: customer.customerId, key: [.ignoringCase(customer.customerName), .ascending(customer.customerId)], cells: cells)
    }

    static func payments(_ context: BuildContext) throws {
        let report = try PaymentTransactionsReport.compute(in: context.db, ledger: context.ledger)
        let methods = Payment.Method.allCases
        let chart = ReportCharts.payments(report)
        try csv(context, "reports/payments.csv", report.csvHeader, report.csvRows)
        var rows: [[Cell]] = report.months.map { month in
            var cells: [Cell] = [.text(month.month.description)]
            for method in methods { cells.append(.money(report.rows.first { $0.month == month.month && $0.method == method }?.amount ?? 0)) }
            cells += [.number(Int64(month.total.count)), .money(month.total.amount)]
            return cells
        }
        var totals: [Cell] = [.custom(H.el("strong", [], .text("Total")), "Total")]
        for method in methods { totals.append(.money(report.methods.first { $0.method == method }?.total.amount ?? 0)) }
        totals += [.number(Int64(report.total.count)), .money(report.total.amount)]
        rows.append(totals)
        try page(context, 4, [
            chartSection(title: chart.content.title, id: "chart", chart: chart.figure()),
            .section(title: "By month", id: "table", [.table(
                columns: [Column("Month")] + methods.map { Column(SiteFormat.words($0.rawValue).capitalized, numeric: true) }
                    + [Column("Payments", numeric: true), Column("Amount", numeric: true)],
                rows: rows, empty: "", csv: "reports/payments.csv")]),
        ])
    }

    static func subscriptions(_ context: BuildContext) throws {
        let report = try SubscriptionsReport.compute(in: context.db, ledger: context.ledger)
        let chart = ReportCharts.subscriptions(report)
        try csv(context, "reports/subscriptions.csv", report.csvHeader, report.csvRows)
        var rows: [[Cell]] = report.plans.map { p in
            [.text(p.planName), .text(p.kind.rawValue), .text(p.billingPeriod.rawValue), .number(Int64(p.active)),
             .number(Int64(p.expiring.in30)), .number(Int64(p.expiring.in60)), .number(Int64(p.expiring.in90)),
             .number(Int64(p.renewing.in30)), .number(Int64(p.renewing.in60)), .number(Int64(p.renewing.in90)),
             .money(p.recurring.amount), .money(p.recurring.margin)]
        }
        let r = report.recurring
        rows.append([.custom(H.el("strong", [], .text("Total")), "Total"), .blank, .blank, .number(Int64(report.active)),
                     .number(Int64(report.expiring.in30)), .number(Int64(report.expiring.in60)), .number(Int64(report.expiring.in90)),
                     .number(Int64(report.renewing.in30)), .number(Int64(report.renewing.in60)), .number(Int64(report.renewing.in90)),
                     .money(r.amount), .money(r.margin)])
        try page(context, 5, [
            .paragraph("Expiring: the period ends within the window and the subscription will not renew (auto-renew off or cancelling). Renewing: it renews within the window. Windows are cumulative (60 days includes the first 30)."),
            chartSection(title: chart.content.title, id: "chart", chart: chart.figure()),
            .section(title: "By plan", id: "table", [.table(
                columns: [Column("Plan"), Column("Kind"), Column("Period"), Column("Active", numeric: true),
                          Column("Expiring 30d", numeric: true), Column("Expiring 60d", numeric: true), Column("Expiring 90d", numeric: true),
                          Column("Renewing 30d", numeric: true), Column("Renewing 60d", numeric: true), Column("Renewing 90d", numeric: true),
                          Column("MRR", numeric: true), Column("MRR margin", numeric: true)],
                rows: rows, empty: "No active subscriptions.", csv: "reports/subscriptions.csv")]),
        ])
    }
}
