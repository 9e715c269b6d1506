import OutpostModel

/// The charts of the home page and the six report pages, built from the report values
/// so every page draws the same figures the same way. Each returns a chart
/// whose `svg()`, `table()` or `figure()` the page places.
public enum ReportCharts {
    /// Home: invoiced (excluding tax, net of credits) and collected per month.
    /// With `toDate`, the last month is labelled as running to date (the figures' day, not the month's end).
    public static func revenueSeries(_ series: [MonthlyRevenue], currency: Currency,
                                     title: String = "Invoiced and collected, last 12 months", toDate: Bool = false) -> LineChart {
        // A no-break space keeps "(to date)" on one line when the axis label wraps.
        let labels = series.map(\.month.label).enumerated().map { index, label in
            toDate && index == series.count - 1 ? label + " (to\u{00A0}date)" : label
        }
        return LineChart(title: title, categoryTitle: "Month", categories: labels,
                  series: [ChartSeries("Invoiced (excl. tax)", series.map(\.invoiced)), ChartSeries("Collected", series.map(\.collected))],
                  format: .money(currency))
    }

    /// Home and the aging report: outstanding receivables per bucket.
    public static func aging(_ buckets: AgingBuckets, currency: Currency, title: String = "Receivables by days past due") -> BarChart {
        BarChart(title: title, categoryTitle: "Days past due", categories: AgingBuckets.labels,
                 series: [ChartSeries("Outstanding", buckets.labelled.map(\.amount))], format: .money(currency))
    }

    /// Sales (stacked by order type) or payment transactions (stacked by method): amounts per period.
    public static func tally<Category>(_ report: TallyReport<Category>, title: String) -> BarChart {
        BarChart(title: title, categoryTitle: kindTitle(report.periods), categories: report.periods.map(\.label),
                 series: Category.allCases.map { category in
                     ChartSeries(words(category.rawValue), report.periods.map { report.row($0, category)?.amount ?? 0 })
                 },
                 layout: .stacked, format: .money(report.currency))
    }

    /// Revenue: invoiced, collected and margin per period, side by side.
    public static func revenue(_ report: RevenueReport, title: String = "Revenue by month") -> BarChart {
        BarChart(title: title, categoryTitle: kindTitle(report.rows.map(\.period)), categories: report.rows.map(\.period.label),
                 series: [ChartSeries("Invoiced (excl. tax)", report.rows.map(\.invoiced)),
                          ChartSeries("Collected", report.rows.map(\.collected)),
                          ChartSeries("Margin", report.rows.map(\.margin))],
                 format: .money(report.currency))
    }

    /// Customer dynamics: MRR movements per period, stacked (new and expansion up, contraction and churn down).
    public static func mrrMovements(_ report: CustomerDynamicsReport, title: String = "MRR movements by month") -> BarChart {
        BarChart(title: title, categoryTitle: kindTitle(report.rows.map(\.period)), categories: report.rows.map(\.period.label),
                 series: [ChartSeries("New", report.rows.map(\.newMRR)), ChartSeries("Expansion", report.rows.map(\.expansionMRR)),
                          ChartSeries("Contraction", report.rows.map(\.contractionMRR)), ChartSeries("Churn", report.rows.map(\.churnMRR))],
                 layout: .stacked, format: .money(report.currency))
    }

    /// Customer dynamics: new and reactivated customers per period up, churned down (drawn and tabled as negative).
    public static func customers(_ report: CustomerDynamicsReport, title: String = "Customers gained and lost by month") -> BarChart {
        BarChart(title: title, categoryTitle: kindTitle(report.rows.map(\.period)), categories: report.rows.map(\.period.label),
                 series: [ChartSeries("New", report.rows.map { Int64($0.newCustomers) }),
                          ChartSeries("Reactivated", report.rows.map { Int64($0.reactivatedCustomers) }),
                          ChartSeries("Churned", report.rows.map { -Int64($0.churnedCustomers) })],
                 layout: .stacked, format: .count)
    }

    /// `Month`, `Quarter` or `Year`: the category axis of a report's chart.
    static func kindTitle(_ periods: [ReportSpan]) -> String { (periods.first?.kind ?? .month).title }

    /// Customers' subscriptions: expiring and renewing within 30, 60 and 90 days.
    public static func subscriptions(_ report: SubscriptionsReport, title: String = "Subscriptions ending in the next 90 days") -> BarChart {
        let expiring = report.expiring
        let renewing = report.renewing
        return BarChart(title: title, categoryTitle: "Within", categories: ["30 days", "60 days", "90 days"],
                        series: [ChartSeries("Renewing", [renewing.in30, renewing.in60, renewing.in90].map(Int64.init)),
                                 ChartSeries("Expiring", [expiring.in30, expiring.in60, expiring.in90].map(Int64.init))],
                        format: .count)
    }

    /// `bank_transfer` → `Bank transfer`.
    static func words(_ code: String) -> String {
        let spaced = code.split(separator: "_").joined(separator: " ")
        return spaced.prefix(1).uppercased() + spaced.dropFirst()
    }
}
