import Foundation
import OutpostModel
import OutpostSite
import OutpostStore
import OutpostSync

/// `outpost report sales|revenue|customers|aging|payments|subscriptions` and
/// `outpost summary`: the dashboards' reports and the home page's figures in
/// the terminal, computed by the same code from the same replica, as of the
/// same day (the last successful sync's, as the site), so the two never differ.
enum ReportCommands {
    static let all: [CommandSpec] = Report.allCases.map(command) + [summary]

    /// The six reports, by the name people type.
    enum Report: String, CaseIterable {
        case sales, revenue, customers, aging, payments, subscriptions

        var abstract: String {
            switch self {
            case .sales: "orders and their amounts per month and order type"
            case .revenue: "invoiced (excluding tax, net of credit notes) and collected per month; --by-plan per plan"
            case .customers: "new, churned and reactivated customers and MRR movements per month"
            case .aging: "what each customer owes, by days past due (current, 1-30, 31-60, 61-90, 90+)"
            case .payments: "payments received per month and method"
            case .subscriptions: "active subscriptions per plan, expiring and renewing in 30/60/90 days, MRR"
            }
        }

        /// Monthly reports take a period; aging and subscriptions are as of one day.
        var monthly: Bool { self != .aging && self != .subscriptions }
    }

    static func command(_ report: Report) -> CommandSpec {
        var options: [CommandSpec.Option] = []
        if report.monthly {
            options += [
                .init("from", value: "YYYY-MM", "first month (default: eleven months before --to)"),
                .init("to", value: "YYYY-MM", "last month (default: the month of the data, the last sync's)"),
            ]
        }
        if report == .revenue { options.append(.init("by-plan", "per plan instead of per month")) }
        options.append(.init("csv", "print CSV (RFC 4180), the same file the dashboards publish beside the report"))
        return CommandSpec(
            ["report", report.rawValue], report.abstract, options: options,
            discussion: "Figures are as of the day of the replica's data (its last successful sync; today if it never synced), as on the dashboards.",
            printsJSON: true,
            run: { invocation, session in
                let replica = try session.openReplica(invocation)
                guard !(invocation.flag("csv") && invocation.json) else {
                    throw UsageError(message: "give --csv or --json, not both", command: invocation.command.name)
                }
                let dataDate = try SyncStatus.load(from: replica.db).lastSuccessfulRun.map { ($0.finishedAt ?? $0.startedAt).date }
                    ?? session.clock.now().date
                let period = try Period(from: invocation.value("from"), to: invocation.value("to"), dataDate: dataDate)
                let table = try ReportCommands.table(report, byPlan: invocation.flag("by-plan"), period: period, in: replica.db)
                if invocation.flag("csv") {
                    session.writeOutput(CSVRecord.document([table.header] + table.rows))
                } else if invocation.json {
                    try JSONOutput.print(table, to: session)
                } else {
                    session.print("\(table.title), as of \(period.asOf)")
                    var text = TextTable(headers: table.header)
                    for row in table.rows { text.add(cells: row) }
                    session.print(text.render(empty: "(nothing in the period)"))
                }
            })
    }

    /// The months a monthly report covers: `count` months ending with the month of `asOf`.
    struct Period {
        let asOf: BusinessDate
        let count: Int

        static let longest = 120

        init(from: String?, to: String?, dataDate: BusinessDate) throws {
            func month(_ text: String, _ option: String) throws -> ReportMonth {
                guard text.utf8.count == 7, let month = ReportMonth(text) else {
                    throw CommandFailure(.dataError, "--\(option) '\(text)' is not a month (expected YYYY-MM, like 2026-03)")
                }
                return month
            }
            let dataMonth = ReportMonth(dataDate)
            let last = try to.map { try month($0, "to") } ?? dataMonth
            guard last <= dataMonth else {
                throw CommandFailure(.dataError, "--to \(last) is after the data's month \(dataMonth) (the replica's data is as of \(dataDate), its last sync)")
            }
            let first = try from.map { try month($0, "from") } ?? last.adding(months: -11)
            guard first <= last else {
                throw CommandFailure(.dataError, "--from \(first) is after --to \(last)")
            }
            let count = (last.year - first.year) * 12 + last.month - first.month + 1
            guard count <= Self.longest else {
                throw CommandFailure(.dataError, "--from \(first) to \(last) is \(count) months; a report covers at most \(Self.longest)")
            }
            asOf = last == dataMonth ? dataDate : last.lastDay
            self.count = count
        }
    }

    /// A report as rows: the CSV the dashboards publish, and what the terminal and `--json` show.
    struct Table: Encodable {
        let report: String
        let title: String
        let asOf: BusinessDate
        let currency: String
        let header: [String]
        let rows: [[String]]
    }

    /// One report's rows, from the report types the dashboards use (their `csvHeader`/`csvRows`).
    static func table(_ report: Report, byPlan: Bool, period: Period, in db: Database) throws -> Table {
        func make(_ title: String, _ currency: Currency, _ header: [String], _ rows: [[String]]) -> Table {
            Table(report: report.rawValue, title: title, asOf: period.asOf, currency: currency.code, header: header, rows: rows)
        }
        switch report {
        case .sales:
            let r = try SalesReport.compute(in: db, asOf: period.asOf, months: period.count)
            return make("Sales", r.currency, r.csvHeader, r.csvRows)
        case .revenue:
            let r = try RevenueReport.compute(in: db, asOf: period.asOf, months: period.count)
            return byPlan ? make("Revenue by plan", r.currency, r.planCSVHeader, r.planCSVRows) : make("Revenue", r.currency, r.csvHeader, r.csvRows)
        case .customers:
            let r = try CustomerDynamicsReport.compute(in: db, asOf: period.asOf, months: period.count)
            return make("Customer dynamics", r.currency, r.csvHeader, r.csvRows)
        case .aging:
            let r = try ReceivablesAgingReport.compute(in: db, asOf: period.asOf)
            var rows: [[String]] = []
            try r.forEachCSVRow(in: db) { rows.append($0) }
            return make("Receivables aging", r.currency, r.csvHeader, rows)
        case .payments:
            let r = try PaymentTransactionsReport.compute(in: db, asOf: period.asOf, months: period.count)
            return make("Payment transactions", r.currency, r.csvHeader, r.csvRows)
        case .subscriptions:
            let r = try SubscriptionsReport.compute(in: db, asOf: period.asOf)
            return make("Subscriptions", r.currency, r.csvHeader, r.csvRows)
        }
    }

    static let summary = CommandSpec(
        ["summary"], "print the home page's \"My reseller status\" figures: MRR, revenue, collected, receivables, customers",
        discussion: "As of the day of the replica's data (its last successful sync), as on the dashboards' home page.",
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let asOf = try SyncStatus.load(from: replica.db).lastSuccessfulRun.map { ($0.finishedAt ?? $0.startedAt).date }
                ?? session.clock.now().date
            let s = try ResellerSummary.compute(in: replica.db, asOf: asOf)
            let view = SummaryView(
                asOf: asOf, currency: s.mrr.currency.code, mrr: s.mrr.minorUnits, arr: s.arr.minorUnits, mrrMargin: s.mrrMargin.minorUnits,
                mrrMarginBp: s.mrrMarginBp, revenueThisMonth: s.revenueThisMonth.minorUnits, revenueThisYear: s.revenueThisYear.minorUnits,
                collectedThisMonth: s.collectedThisMonth.minorUnits, outstanding: s.outstanding.minorUnits, overdue: s.overdue.minorUnits,
                activeCustomers: s.activeCustomers, payingCustomers: s.payingCustomers, activeSubscriptions: s.activeSubscriptions)
            if invocation.json { return try JSONOutput.print(view, to: session) }
            session.print("My reseller status, as of \(asOf)")
            var table = TextTable("FIGURE", "VALUE")
            table.add("MRR", s.mrr.formatted)
            table.add("ARR", s.arr.formatted)
            table.add("Monthly margin", s.mrrMargin.formatted + (s.mrrMarginBp.map { " (\(Pricing.percent($0)) of price)" } ?? ""))
            table.add("Revenue this month (to date)", s.revenueThisMonth.formatted)
            table.add("Revenue this year", s.revenueThisYear.formatted)
            table.add("Collected this month", s.collectedThisMonth.formatted)
            table.add("Outstanding receivables", s.outstanding.formatted)
            table.add("Overdue receivables", s.overdue.formatted)
            table.add("Active customers", "\(s.activeCustomers) (\(s.payingCustomers) with an active subscription)")
            table.add("Active subscriptions", String(s.activeSubscriptions))
            session.print(table.render(empty: ""))
        })

    /// `summary --json`: amounts in minor units of `currency`, as every JSON output.
    struct SummaryView: Encodable {
        let asOf: BusinessDate
        let currency: String
        let mrr, arr, mrrMargin: Int64
        let mrrMarginBp: Int?
        let revenueThisMonth, revenueThisYear, collectedThisMonth, outstanding, overdue: Int64
        let activeCustomers, payingCustomers, activeSubscriptions: Int
    }
}
