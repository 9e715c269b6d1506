import OutpostStore

/// Customer dynamics per month: new, churned and reactivated customers, and MRR movements.
///
/// Customers (the replica keeps no status history, so these are derived from
/// subscription lifetimes):
/// - **new**: customers created (`created_at`) in the month.
/// - a subscription *runs* from the day it was created until the day it
///   ended: for a `cancelled` or `expired` subscription, the date of its
///   completed `cancellation` order with `cancel_mode = now`, else its
///   `period_end`; other statuses (active, suspended, pending) have not
///   ended. An end after `asOf` has not happened yet.
/// - **churned**: a customer churns on a day one of its subscriptions ended
///   and no other subscription of it was running past that day (started on
///   or before it, ending later or not at all). So a closed customer churns
///   when its last subscription ended; a customer that never had a
///   subscription never churns. Replacing a subscription by another the same
///   day is not churn.
/// - **reactivated**: a customer reactivates on a day a subscription of it
///   started when an earlier one had already ended and none that started
///   before that day was still running on it.
/// - each is counted once per customer and month (a customer that churned
///   and came back within one month counts in both); **net** = new +
///   reactivated − churned.
///
/// MRR movements, from completed orders by the month of `placed_at`, each
/// order line's `quantity × unit_price` made monthly (annual plans ÷ 12,
/// rounded half away from zero per line, as MRR is):
/// - **new**: `sales` and `transfer` orders;
/// - **expansion**: `change` orders adding seats (positive);
/// - **contraction**: `change` orders removing seats (negative);
/// - **churn**: `cancellation` orders (negative; the whole subscription's
///   MRR, dated when the cancellation was placed, also for one that takes
///   effect at period end);
/// - renewals move nothing. **net** = new + expansion + contraction + churn.
public struct CustomerDynamicsReport: Sendable, Equatable {
    /// One month.
    public struct Month: Sendable, Equatable {
        public let month: ReportMonth
        public internal(set) var newCustomers: Int = 0
        public internal(set) var churnedCustomers: Int = 0
        public internal(set) var reactivatedCustomers: Int = 0
        /// new + reactivated − churned.
        public var netCustomers: Int { newCustomers + reactivatedCustomers - churnedCustomers }
        /// MRR added by new sales (≥ 0).
        public internal(set) var newMRR: Int64 = 0
        /// MRR added by seat increases (≥ 0).
        public internal(set) var expansionMRR: Int64 = 0
        /// MRR removed by seat decreases (≤ 0).
        public internal(set) var contractionMRR: Int64 = 0
        /// MRR removed by cancellations (≤ 0).
        public internal(set) var churnMRR: Int64 = 0
        /// new + expansion + contraction + churn.
        public var netMRR: Int64 { newMRR + expansionMRR + contractionMRR + churnMRR }

        init(month: ReportMonth) {
            self.month = month
        }
    }

    public let asOf: BusinessDate
    public let currency: Currency
    /// Every month of the period, oldest first, zero-filled.
    public let months: [Month]

    /// The `months` calendar months ending with `asOf`'s month (through `asOf`).
    public static func compute(in db: Database, asOf: BusinessDate, months: Int = 12) throws -> CustomerDynamicsReport {
        let period = ReportPeriod(asOf: asOf, months: months)
        var rows: [ReportMonth: Month] = [:]
        for month in period.months { rows[month] = Month(month: month) }

        try db.forEachRow("""
            SELECT substr(created_at, 1, 7) AS month, count(*) AS customers FROM customer
            WHERE created_at >= ?1 AND created_at < ?2 GROUP BY 1
            """, [period.fromText, period.endText]) { row in
            guard let month = ReportMonth(try row.string("month")), rows[month] != nil else { return }
            rows[month]!.newCustomers = Int(try ReportSQL.integer(row, "customers"))
        }

        // Subscription lifetimes, one customer at a time (ordered by customer), so memory stays one customer's worth.
        // The unary `+` keeps SQLite from reaching the orders through `orders_by_status` (most orders are
        // completed) instead of `orders_by_subscription`: a `+` term cannot use an index (sqlite.org/optoverview.html).
        var churned: [ReportMonth: Int] = [:]
        var reactivated: [ReportMonth: Int] = [:]
        var customer: String?
        var lives: [SubscriptionLife] = []
        func flush() {
            let (churns, returns) = SubscriptionLife.events(lives, asOf: asOf)
            for month in Set(churns.map(ReportMonth.init)) where rows[month] != nil { churned[month, default: 0] += 1 }
            for month in Set(returns.map(ReportMonth.init)) where rows[month] != nil { reactivated[month, default: 0] += 1 }
            lives.removeAll(keepingCapacity: true)
        }
        try db.forEachRow("""
            SELECT s.customer_id AS customer_id, substr(s.created_at, 1, 10) AS started_on,
                   CASE WHEN s.status IN ('cancelled', 'expired') THEN coalesce(
                       (SELECT min(substr(o.placed_at, 1, 10)) FROM orders o
                        WHERE o.subscription_id = s.id AND +o.type = 'cancellation' AND +o.cancel_mode = 'now' AND +o.status = 'completed'),
                       s.period_end) END AS ended_on
            FROM subscription s
            WHERE s.created_at < ?1
            ORDER BY s.customer_id
            """, [period.endText]) { row in
            let id = try row.string("customer_id")
            if id != customer {
                flush()
                customer = id
            }
            guard let start = BusinessDate(try row.string("started_on")) else { return }
            lives.append(SubscriptionLife(start: start, end: try row.optionalString("ended_on").flatMap(BusinessDate.init)))
        }
        flush()
        for (month, count) in churned { rows[month]!.churnedCustomers = count }
        for (month, count) in reactivated { rows[month]!.reactivatedCustomers = count }

        // `+o.status`: a scan of all orders beats walking `orders_by_status` for the bulk of them.
        let monthlyAmount = ReportSQL.monthly("l.quantity * l.unit_price", periodColumn: "p.billing_period")
        try db.forEachRow("""
            SELECT substr(o.placed_at, 1, 7) AS month,
                   CASE WHEN o.type IN ('sales', 'transfer') THEN 'new'
                        WHEN o.type = 'cancellation' THEN 'churn'
                        WHEN l.quantity > 0 THEN 'expansion'
                        ELSE 'contraction' END AS movement,
                   sum(\(monthlyAmount)) AS amount
            FROM orders o JOIN order_line l ON l.order_id = o.id JOIN plan p ON p.id = l.plan_id
            WHERE +o.status = 'completed' AND o.type IN ('sales', 'transfer', 'change', 'cancellation')
              AND o.placed_at >= ?1 AND o.placed_at < ?2
            GROUP BY 1, 2
            """, [period.fromText, period.endText]) { row in
            guard let month = ReportMonth(try row.string("month")), rows[month] != nil else { return }
            let amount = try ReportSQL.integer(row, "amount")
            switch try row.string("movement") {
            case "new": rows[month]!.newMRR = amount
            case "expansion": rows[month]!.expansionMRR = amount
            case "contraction": rows[month]!.contractionMRR = amount
            default: rows[month]!.churnMRR = amount
            }
        }
        return CustomerDynamicsReport(asOf: asOf, currency: try ReportSQL.currency(in: db), months: period.months.map { rows[$0]! })
    }

    /// An amount of this report as `Money`.
    public func money(_ minorUnits: Int64) -> Money { Money(minorUnits: minorUnits, currency: currency) }

    public var csvHeader: [String] {
        let code = currency.code
        return ["Month", "New customers", "Churned customers", "Reactivated customers", "Net customers",
                "New MRR (\(code))", "Expansion MRR (\(code))", "Contraction MRR (\(code))", "Churn MRR (\(code))", "Net MRR (\(code))"]
    }

    /// One line per month.
    public var csvRows: [[String]] {
        let digits = currency.minorDigits
        return months.map { m in
            [m.month.description, String(m.newCustomers), String(m.churnedCustomers), String(m.reactivatedCustomers), String(m.netCustomers)]
                + [m.newMRR, m.expansionMRR, m.contractionMRR, m.churnMRR, m.netMRR].map { Money.decimalString($0, digits: digits) }
        }
    }
}

/// When one subscription ran: from `start` to `end` (nil: still running).
struct SubscriptionLife: Equatable {
    let start: BusinessDate
    let end: BusinessDate?

    /// One customer's churn and reactivation days as of `asOf` (see `CustomerDynamicsReport`).
    static func events(_ lives: [SubscriptionLife], asOf: BusinessDate) -> (churns: [BusinessDate], returns: [BusinessDate]) {
        // An end after asOf has not happened yet.
        let lives = lives.map { SubscriptionLife(start: $0.start, end: $0.end.flatMap { $0 <= asOf ? $0 : nil }) }
        var churns: [BusinessDate] = []
        var returns: [BusinessDate] = []
        for (index, life) in lives.enumerated() {
            if let end = life.end {
                let carriedOn = lives.indices.contains { other in
                    other != index && lives[other].start <= end && (lives[other].end.map { $0 > end } ?? true)
                }
                if !carriedOn { churns.append(end) }
            }
            let start = life.start
            let endedBefore = lives.contains { $0.end.map { $0 < start } ?? false }
            let running = lives.indices.contains { other in
                other != index && lives[other].start < start && (lives[other].end.map { $0 >= start } ?? true)
            }
            if endedBefore, !running { returns.append(start) }
        }
        return (churns, returns)
    }
}
