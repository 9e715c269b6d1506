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
/// - **closing** a customer counts as churn on the day it was closed, unless
///   it had already churned (its last subscription ended) and not come back
///   since: a customer is lost once, whichever happened first.
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
    /// One period: a month, or a quarter or year (the sums of its months).
    public struct Row: Sendable, Equatable {
        public let period: ReportSpan
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

        init(period: ReportSpan) {
            self.period = period
        }
    }

    public let asOf: BusinessDate
    public let currency: Currency
    /// Every period, oldest first, zero-filled.
    public let rows: [Row]

    /// The `months` calendar months ending with `asOf`'s month (through `asOf`).
    public static func compute(in db: Database, asOf: BusinessDate, months: Int = 12) throws -> CustomerDynamicsReport {
        try compute(in: db, totals: try CustomerShares.InMemory(in: db, asOf: asOf, months: months, kinds: [.newCustomers, .customerEvents, .mrrMovements]))
    }

    /// `periods` (every month of the figures when nil), from the customers' summed shares.
    public static func compute(in db: Database, totals: any FigureTotals, periods: [ReportSpan]? = nil) throws -> CustomerDynamicsReport {
        let periods = periods ?? totals.months.map(ReportSpan.init(month:))
        func period(_ month: ReportMonth) -> ReportSpan? { periods.first { $0.contains(month) } }
        let new = try totals.sums(Figures.newCustomers).regrouped(period)
        let events = try totals.sums(Figures.customerEvents).regrouped(period)
        let movements = try totals.sums(Figures.mrrMovements).regrouped(period)
        let rows = periods.map { period in
            var row = Row(period: period)
            row.newCustomers = Int(new[period]?.customers ?? 0)
            row.churnedCustomers = Int(events[period]?.churned ?? 0)
            row.reactivatedCustomers = Int(events[period]?.reactivated ?? 0)
            let moved = movements[period] ?? MRRMovements()
            row.newMRR = moved.new
            row.expansionMRR = moved.expansion
            row.contractionMRR = moved.contraction
            row.churnMRR = moved.churn
            return row
        }
        return CustomerDynamicsReport(asOf: totals.asOf, currency: try ReportSQL.currency(in: db), rows: rows)
    }

    /// An amount of this report as `Money`.
    public func money(_ minorUnits: Int64) -> Money { Money(minorUnits: minorUnits, currency: currency) }

    public var csvHeader: [String] {
        let code = currency.code
        return [(rows.first?.period.kind ?? .month).title, "New customers", "Churned customers", "Reactivated customers", "Net customers",
                "New MRR (\(code))", "Expansion MRR (\(code))", "Contraction MRR (\(code))", "Churn MRR (\(code))", "Net MRR (\(code))"]
    }

    /// One line per period.
    public var csvRows: [[String]] {
        let digits = currency.minorDigits
        return rows.map { m in
            [m.period.description, String(m.newCustomers), String(m.churnedCustomers), String(m.reactivatedCustomers), String(m.netCustomers)]
                + [m.newMRR, m.expansionMRR, m.contractionMRR, m.churnMRR, m.netMRR].map { Money.decimalString($0, digits: digits) }
        }
    }
}

/// When one subscription ran: from `start` to `end` (nil: still running).
struct SubscriptionLife: Equatable {
    let start: BusinessDate
    let end: BusinessDate?

    /// One customer's churn and reactivation days as of `asOf` (see `CustomerDynamicsReport`);
    /// `closedOn`: the day the customer was closed, if it is.
    static func events(_ lives: [SubscriptionLife], closedOn: BusinessDate? = nil,
                       asOf: BusinessDate) -> (churns: [BusinessDate], returns: [BusinessDate]) {
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
        if let closedOn, closedOn <= asOf {
            // Already lost on that day: its last churn came after its last return (or it never returned).
            let lastChurn = churns.filter { $0 <= closedOn }.max()
            let lastReturn = returns.filter { $0 <= closedOn }.max()
            let alreadyChurned = lastChurn.map { churn in lastReturn.map { churn >= $0 } ?? true } ?? false
            if !alreadyChurned { churns.append(closedOn) }
        }
        return (churns, returns)
    }
}
