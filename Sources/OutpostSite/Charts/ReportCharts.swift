import OutpostModel

/// The charts of the home page and the six report pages, built from the report values
/// so every page draws the same figures the same way. Each returns a chart
/// whose `svg()`, `table()` or `figure()` the page places.
public enum ReportCharts {
    /// Home: invoiced (excluding tax, net of credits) and collected per month.
    public static func revenueSeries(_ series: [MonthlyRevenue], currency: Currency,
                                     title: String = "Invoiced and collected, last 12 months") -> LineChart {
        LineChart(title: title, categoryTitle: "Month", categories: series.map(\.month.label),
                  series: [ChartSeries("Invoiced (excl. tax)", series.map(\.invoiced)), ChartSeries("Collected", series.map(\.collected))],
                  format: .money(currency))
    }

    /// Home and the aging report: outstanding receivables per bucket.
    public static func aging(_ buckets: AgingBuckets, currency: Currency, title: String = "Receivables by days past due") -> BarChart {
        BarChart(title: title, categoryTitle: "Days past due", categories: AgingBuckets.labels,
                 series: [ChartSeries("Outstanding", buckets.labelled.map(\.amount))], format: .money(currency))
    }

    /// Sales: order amounts per month, stacked by order type.
    public static func sales(_ report: SalesReport, title: String = "Sales by month and order type") -> BarChart {
        BarChart(title: title, categoryTitle: "Month", categories: report.periods.map(\.label),
                 series: Order.OrderType.allCases.map { type in
                     ChartSeries(words(type.rawValue), report.periods.map { report.row($0, type)?.amount ?? 0 })
                 },
                 layout: .stacked, format: .money(report.currency))
    }

    /// Revenue: invoiced, collected and margin per month, side by side.
    public static func revenue(_ report: RevenueReport, title: String = "Revenue by month") -> BarChart {
        BarChart(title: title, categoryTitle: "Month", categories: report.months.map(\.month.label),
                 series: [ChartSeries("Invoiced (excl. tax)", report.months.map(\.invoiced)),
                          ChartSeries("Collected", report.months.map(\.collected)),
                          ChartSeries("Margin", report.months.map(\.margin))],
                 format: .money(report.currency))
    }

    /// Customer dynamics: MRR movements per month, stacked (new and expansion up, contraction and churn down).
    public static func mrrMovements(_ report: CustomerDynamicsReport, title: String = "MRR movements by month") -> BarChart {
        BarChart(title: title, categoryTitle: "Month", categories: report.months.map(\.month.label),
                 series: [ChartSeries("New", report.months.map(\.newMRR)), ChartSeries("Expansion", report.months.map(\.expansionMRR)),
                          ChartSeries("Contraction", report.months.map(\.contractionMRR)), ChartSeries("Churn", report.months.map(\.churnMRR))],
                 layout: .stacked, format: .money(report.currency))
    }

    /// Customer dynamics: new and reactivated customers per month up, churned down (drawn and tabled as negative).
    public static func customers(_ report: CustomerDynamicsReport, title: String = "Customers gained and lost by month") -> BarChart {
        BarChart(title: title, categoryTitle: "Month", categories: report.months.map(\.month.label),
                 series: [ChartSeries("New", report.months.map { Int64($0.newCustomers) }),
                          ChartSeries("Reactivated", report.months.map { Int64($0.reactivatedCustomers) }),
                          ChartSeries("Churned", report.months.map { -Int64($0.churnedCustomers) })],
                 layout: .stacked, format: .count)
    }

    /// Payment transactions: amounts per month, stacked by payment method.
    public static func payments(_ report: PaymentTransactionsReport, title: String = "Payments by month and method") -> BarChart {
        BarChart(title: title, categoryTitle: "Month", categories: report.periods.map(\.label),
                 series: Payment.Method.allCases.map { method in
                     ChartSeries(words(method.rawValue), report.periods.map { month in
                         report.rows.first { $0.month == month && $0.method == method }?.amount ?? 0
                     })
                 },
                 layout: .stacked, format: .money(report.currency))
    }

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
