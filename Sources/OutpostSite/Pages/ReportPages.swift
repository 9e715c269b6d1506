import Foundation
import OutpostModel

/// The six reports, each a page with a chart (inline SVG with its numbers
/// as a table), a table, and the CSV beside it. The figures come from
/// `OutpostModel/Reports`; this file only lays them out.
///
/// The four monthly reports (sales, revenue, customer dynamics, payments) are
/// each seen three ways, linked from one to the other: the last twelve months
/// (`reports/sales.html`), every quarter and every year of the data
/// (`reports/sales-quarters.html`, `reports/sales-years.html`). A quarter's or
/// year's figures are the sums of its months'. A month in a table or chart
/// links to its invoices, orders or payments (`ReportMonthPages`).
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

    /// The reports seen by month, quarter and year.
    static let monthly: Set<String> = ["sales", "revenue", "customers", "payments"]

    /// The page of report `name` by `kind`, from the site root.
    static func path(_ name: String, _ kind: ReportSpan.Kind) -> String { "reports/" + file(name, kind) + ".html" }

    /// Its CSV (the month view's is the one `outpost report NAME --csv` prints).
    static func csvPath(_ name: String, _ kind: ReportSpan.Kind) -> String { "reports/" + file(name, kind) + ".csv" }

    private static func file(_ name: String, _ kind: ReportSpan.Kind) -> String {
        switch kind {
        case .month: name
        case .quarter: name + "-quarters"
        case .year: name + "-years"
        }
    }

    /// Builds the reports' index and every report with every month's page, or only the reports named in
    /// `only` (an incremental build, which builds the month pages it needs itself).
    static func build(in context: BuildContext, only: Set<String>? = nil) throws {
        try context.emit(PageModel(path: Section.reports.path, title: "Reports", section: .reports, blocks: [
            .paragraph("Each report has a chart, the numbers as a table, and a CSV with every row. Figures as of \(context.today). The monthly reports cover the last \(months) months, and every quarter and year of the data on pages of their own."),
            .table(columns: [Column("Report"), Column("What it shows"), Column("Also by")],
                   rows: zip(names, catalogue).map { name, entry in
                       let also: Cell = monthly.contains(name)
                           ? .custom(H.el("span", [], children: [
                               // Beside the index (`reports/index.html`): links from a custom cell are not rooted.
                               H.link(file(name, .quarter) + ".html", "quarter"), .text(", "), H.link(file(name, .year) + ".html", "year"),
                           ]), "quarter, year")
                           : .blank
                       return [.link(entry.path, entry.title), .text(entry.about), also]
                   }, empty: ""),
        ]))
        let builders: [(BuildContext) throws -> Void] = [sales, revenue, customers, { try aging($0) }, payments, subscriptions]
        for (name, builder) in zip(names, builders) where only?.contains(name) ?? true { try builder(context) }
        // Every month's page, in a build of every report; an incremental build picks the months (`ReportMonthPages.touched`).
        if only == nil { try ReportMonthPages.build(in: context, months: periods(context, .month).compactMap(\.month)) }
    }

    /// What a view shows: the last twelve months, or every quarter or year of the data.
    static func periods(_ context: BuildContext, _ kind: ReportSpan.Kind) -> [ReportSpan] {
        let all = context.figures.months
        return kind == .month ? all.suffix(months).map(ReportSpan.init(month:)) : ReportSpan.covering(all, by: kind)
    }

    /// The links between a report's three views.
    private static func views(_ name: String, _ current: ReportSpan.Kind) -> Block {
        .links([(path(name, .month), "Last \(months) months", current == .month), (path(name, .quarter), "By quarter", current == .quarter),
                (path(name, .year), "By year", current == .year)], label: "Period")
    }

    /// A report's first cell for a period: a month links to the rows it counts (`anchor`: its invoices, orders or payments).
    private static func periodCell(_ period: ReportSpan, _ link: (ReportMonth) -> String) -> Cell {
        period.month.map { .link(link($0), period.label) } ?? .text(period.label)
    }

    /// The chart's category links, relative to the page at `path`.
    private static func chartLinks(_ periods: [ReportSpan], from path: String, _ link: (ReportMonth) -> String) -> [String?] {
        let root = Page.root(of: path)
        return periods.map { $0.month.map { root + link($0) } }
    }

    /// A chart under a heading, with a link onwards; the chart's markup is its own fingerprint.
    static func chartSection(title: String, id: String, chart: Node, link: (String, String)? = nil) -> Block {
        var blocks: [Block] = [.node(H.el("div", [Attribute("class", "chart")], chart), fingerprint: chart.render())]
        if let link { blocks.append(.links([(link.0, link.1, false)], label: title)) }
        return .section(title: title, id: id, blocks)
    }

    private static func page(_ context: BuildContext, _ index: Int, _ kind: ReportSpan.Kind, _ blocks: [Block]) throws {
        let entry = catalogue[index]
        let name = names[index]
        let (title, about): (String, String)
        switch kind {
        case .month: (title, about) = (entry.title + " report", entry.about + " As of \(context.today); the current month is to date.")
        case .quarter: (title, about) = (entry.title + " report by quarter", entry.about.replacingOccurrences(of: "month", with: "quarter")
                                            + " Every quarter of the data, each the sum of its months; as of \(context.today), the current quarter to date.")
        case .year: (title, about) = (entry.title + " report by year", entry.about.replacingOccurrences(of: "month", with: "year")
                                         + " Every year of the data, each the sum of its months; as of \(context.today), the current year to date.")
        }
        let blocks = monthly.contains(name) ? [views(name, kind), .paragraph(about)] + blocks : [.paragraph(about)] + blocks
        try context.emit(PageModel(path: path(name, kind), title: title, section: .reports, blocks: blocks))
    }

    private static func csv(_ context: BuildContext, _ path: String, _ header: [String], _ rows: [[String]]) throws {
        try context.output.file(path, text: CSVRecord.document([header] + rows))
    }

    /// `By month`, `By quarter`, `By year`.
    private static func byKind(_ kind: ReportSpan.Kind) -> String { "By " + kind.rawValue }

    static func sales(_ context: BuildContext) throws {
        try tally(context, Order.OrderType.self, index: 0, months: ReportMonthPages.orders, chart: "Sales by %@ and order type")
    }

    /// A report of things counted by period and category (sales by order type, payments by method), in its three
    /// views: the chart stacked by category, the table with a column per category and the totals, the CSV.
    /// `chart` is the chart's title with `%@` for the period's kind; `months` links a month to the rows it counts.
    private static func tally<Category: TallyCategory>(_ context: BuildContext, _: Category.Type, index: Int,
                                                       months: (ReportMonth) -> String, chart title: String) throws {
        let name = names[index]
        for kind in ReportSpan.Kind.allCases {
            let report = try TallyReport<Category>.compute(in: context.db, totals: context.figures, periods: periods(context, kind))
            let path = path(name, kind)
            let chart = ReportCharts.tally(report, title: title.replacingOccurrences(of: "%@", with: kind.rawValue))
                .linked(chartLinks(report.periods, from: path, months))
            let csvPath = csvPath(name, kind)
            try csv(context, csvPath, report.csvHeader, report.csvRows)
            let rows: [[Cell]] = report.byPeriod.map { period in
                var cells: [Cell] = [periodCell(period.period, months)]
                for category in Category.allCases { cells.append(.money(report.row(period.period, category)?.amount ?? 0)) }
                cells += [.number(Int64(period.total.count)), .money(period.total.amount)]
                return cells
            }
            var totals: [Cell] = [ReportTable.totalLabel]
            for (_, total) in report.byCategory { totals.append(.money(total.amount)) }
            totals += [.number(Int64(report.total.count)), .money(report.total.amount)]
            try page(context, index, kind, [
                chartSection(title: chart.content.title, id: "chart", chart: chart.figure()),
                .section(title: byKind(kind), id: "table", [ReportTable.block(
                    context, path: path,
                    columns: [Column(kind.title)] + Category.allCases.map { Column(SiteFormat.words($0.rawValue).capitalized, numeric: true) }
                        + [Column(Category.countTitle, numeric: true), Column("Amount", numeric: true)],
                    rows: rows, foot: [totals], empty: "No \(Category.countTitle.lowercased()) in the period.", csv: csvPath)]),
            ])
        }
    }

    static func revenue(_ context: BuildContext) throws {
        for kind in ReportSpan.Kind.allCases {
            let report = try RevenueReport.compute(in: context.db, totals: context.figures, periods: periods(context, kind))
            let path = path("revenue", kind)
            let chart = ReportCharts.revenue(report, title: "Revenue by \(kind.rawValue)")
                .linked(chartLinks(report.rows.map(\.period), from: path, ReportMonthPages.invoices))
            let csvPath = csvPath("revenue", kind)
            try csv(context, csvPath, report.csvHeader, report.csvRows)
            let rows: [[Cell]] = report.rows.map { m in
                [periodCell(m.period, ReportMonthPages.invoices), .money(m.invoicedGross), .money(-m.credited), .money(m.invoiced),
                 .money(m.invoicedIncludingTax), .money(m.collected), .money(m.margin), .percent(m.marginBp)]
            }
            let total = report.total
            let foot: [Cell] = [ReportTable.totalLabel, .blank, .blank, .money(total.invoiced), .blank, .money(total.collected), .money(total.margin), .blank]
            var blocks: [Block] = [
                chartSection(title: chart.content.title, id: "chart", chart: chart.figure()),
                .section(title: byKind(kind), id: "months", [ReportTable.block(
                    context, path: path,
                    columns: [Column(kind.title), Column("Invoiced gross", numeric: true), Column("Credit notes", numeric: true), Column("Revenue (excl. tax)", numeric: true),
                              Column("Invoiced incl. tax", numeric: true), Column("Collected", numeric: true), Column("Margin", numeric: true), Column("Margin %", numeric: true)],
                    rows: rows, foot: [foot], empty: "No invoices in the period.", csv: csvPath)]),
            ]
            if kind == .month {
                try csv(context, "reports/revenue-by-plan.csv", report.planCSVHeader, report.planCSVRows)
                blocks.append(.section(title: "By plan, last \(months) months", id: "plans", [.table(
                    columns: [Column("Plan"), Column("Invoiced gross", numeric: true), Column("Credit notes", numeric: true), Column("Revenue (excl. tax)", numeric: true),
                              Column("Margin", numeric: true), Column("Margin %", numeric: true)],
                    rows: report.plans.map { p in
                        [.text(p.planName), .money(p.invoicedGross), .money(-p.credited), .money(p.invoiced), .money(p.margin), .percent(p.marginBp)]
                    }, empty: "No plan was invoiced in the period.", csv: "reports/revenue-by-plan.csv")]))
            }
            try page(context, 1, kind, blocks)
        }
    }

    static func customers(_ context: BuildContext) throws {
        for kind in ReportSpan.Kind.allCases {
            let report = try CustomerDynamicsReport.compute(in: context.db, totals: context.figures, periods: periods(context, kind))
            let path = path("customers", kind)
            let links = chartLinks(report.rows.map(\.period), from: path, ReportMonthPages.orders)
            let customersChart = ReportCharts.customers(report, title: "Customers gained and lost by \(kind.rawValue)").linked(links)
            let mrrChart = ReportCharts.mrrMovements(report, title: "MRR movements by \(kind.rawValue)").linked(links)
            let csvPath = csvPath("customers", kind)
            try csv(context, csvPath, report.csvHeader, report.csvRows)
            let rows: [[Cell]] = report.rows.map { m in
                [periodCell(m.period, ReportMonthPages.orders), .number(Int64(m.newCustomers)), .number(Int64(m.reactivatedCustomers)),
                 .number(Int64(m.churnedCustomers)), .number(Int64(m.netCustomers)), .money(m.newMRR), .money(m.expansionMRR),
                 .money(m.contractionMRR), .money(m.churnMRR), .money(m.netMRR)]
            }
            func sum(_ value: (CustomerDynamicsReport.Row) -> Int64) -> Int64 { report.rows.reduce(0) { $0 + value($1) } }
            let foot: [Cell] = [ReportTable.totalLabel, .number(sum { Int64($0.newCustomers) }), .number(sum { Int64($0.reactivatedCustomers) }),
                                .number(sum { Int64($0.churnedCustomers) }), .number(sum { Int64($0.netCustomers) }), .money(sum(\.newMRR)),
                                .money(sum(\.expansionMRR)), .money(sum(\.contractionMRR)), .money(sum(\.churnMRR)), .money(sum(\.netMRR))]
            try page(context, 2, kind, [
                chartSection(title: customersChart.content.title, id: "chart-customers", chart: customersChart.figure()),
                chartSection(title: mrrChart.content.title, id: "chart-mrr", chart: mrrChart.figure()),
                .section(title: byKind(kind), id: "table", [ReportTable.block(
                    context, path: path,
                    columns: [Column(kind.title), Column("New customers", numeric: true), Column("Reactivated", numeric: true), Column("Churned", numeric: true),
                              Column("Net customers", numeric: true), Column("New MRR", numeric: true), Column("Expansion", numeric: true),
                              Column("Contraction", numeric: true), Column("Churn", numeric: true), Column("Net MRR", numeric: true)],
                    rows: rows, foot: [foot], empty: "", csv: csvPath)]),
            ])
        }
    }

    /// Where the per-customer aging pages go (and their list's name in the list store).
    static let agingDirectory = "reports/aging"

    /// The aging report: its page, the per-customer pages and the CSV; with `customers` (an incremental
    /// build) only their rows are redone, and the totals.
    static func aging(_ context: BuildContext, customers: Set<String>? = nil) throws {
        let report = try ReceivablesAgingReport.compute(in: context.db, totals: context.figures)
        if let customers {
            try patchAging(context, customers: customers, report: report)
        } else {
            try agingList(context).build(in: context) { sink in
                try ReceivablesAgingReport.forEachCustomer(in: context.db, asOf: context.today) { try sink(agingEntry($0)) }
            }
            try writeAgingCSV(context, report)
        }
        // The report's own address has the chart and the totals, and leads to the paginated pages.
        let agingChart = ReportCharts.aging(report.total, currency: report.currency)
        try context.emit(PageModel(path: catalogue[3].path, title: "Receivables aging report", section: .reports, blocks: [
            .paragraph(catalogue[3].about + " As of \(context.today). " + agingDays),
            chartSection(title: agingChart.content.title, id: "chart", chart: agingChart.figure()),
            .section(title: "Totals", id: "totals", [ReportTable.block(
                context, path: catalogue[3].path,
                columns: [Column("Bucket"), Column("Outstanding", numeric: true)],
                rows: report.total.labelled.map { [.text($0.label), .money($0.amount)] },
                foot: [[ReportTable.totalLabel, .money(report.total.total)], [.text("of which overdue"), .money(report.total.overdue)]],
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
        try writeAgingCSV(context, try report ?? ReceivablesAgingReport.compute(in: context.db, totals: context.figures))
    }

    /// The aging CSV, written whole: the totals, then one row per customer who owes, in id order (about 4 MB at
    /// 100,000 fixture customers), so a sync that moves money or renames a customer who owes writes it again.
    /// Its rows are those of the per-customer pages, read from the list store (with the current names): working
    /// every customer's buckets out again from the invoices took 1.5 s at 100,000 customers.
    private static func writeAgingCSV(_ context: BuildContext, _ report: ReceivablesAgingReport) throws {
        let csv = try CSVWriter(path: agingCSV, output: context.output, header: report.csvHeader)
        try csv.write(report.csvTotalRecord)
        var rows: [(id: String, cells: [Cell])] = []
        try context.lists.forEach(agingDirectory) { entry in
            rows.append((entry.id, context.lists.cells(entry.cells)))
            return true
        }
        // The cells are `agingEntry`'s: the customer (its name), the buckets and total, open invoices, oldest due date.
        // In id order byte by byte, as SQLite's `ORDER BY id` gives `outpost report aging --csv`.
        for row in rows.sorted(by: { $0.id.utf8.lexicographicallyPrecedes($1.id.utf8) }) { try csv.write([row.id] + row.cells.map { $0.csv(context.format) }) }
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
        try tally(context, Payment.Method.self, index: 4, months: ReportMonthPages.payments, chart: "Payments by %@ and method")
    }

    static func subscriptions(_ context: BuildContext) throws {
        let report = try SubscriptionsReport.compute(in: context.db, totals: context.figures)
        let chart = ReportCharts.subscriptions(report)
        try csv(context, "reports/subscriptions.csv", report.csvHeader, report.csvRows)
        let rows: [[Cell]] = report.plans.map { p in
            [.text(p.planName), .text(p.kind.rawValue), .text(p.billingPeriod.rawValue), .number(Int64(p.active)),
             .number(Int64(p.expiring.in30)), .number(Int64(p.expiring.in60)), .number(Int64(p.expiring.in90)),
             .number(Int64(p.renewing.in30)), .number(Int64(p.renewing.in60)), .number(Int64(p.renewing.in90)),
             .money(p.recurring.amount), .money(p.recurring.margin)]
        }
        let r = report.recurring
        let foot: [Cell] = [ReportTable.totalLabel, .blank, .blank, .number(Int64(report.active)),
                     .number(Int64(report.expiring.in30)), .number(Int64(report.expiring.in60)), .number(Int64(report.expiring.in90)),
                     .number(Int64(report.renewing.in30)), .number(Int64(report.renewing.in60)), .number(Int64(report.renewing.in90)),
                     .money(r.amount), .money(r.margin)]
        try page(context, 5, .month, [
            .paragraph("Expiring: the period ends within the window and the subscription will not renew (auto-renew off or cancelling). Renewing: it renews within the window. Windows are cumulative (60 days includes the first 30)."),
            chartSection(title: chart.content.title, id: "chart", chart: chart.figure()),
            .section(title: "By plan", id: "table", [ReportTable.block(
                context, path: catalogue[5].path,
                columns: [Column("Plan"), Column("Kind"), Column("Period"), Column("Active", numeric: true),
                          Column("Expiring 30d", numeric: true), Column("Expiring 60d", numeric: true), Column("Expiring 90d", numeric: true),
                          Column("Renewing 30d", numeric: true), Column("Renewing 60d", numeric: true), Column("Renewing 90d", numeric: true),
                          Column("MRR", numeric: true), Column("MRR margin", numeric: true)],
                rows: rows, foot: [foot], empty: "No active subscriptions.", csv: "reports/subscriptions.csv")]),
        ])
    }
}
