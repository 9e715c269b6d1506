import OutpostStore

/// Customers' subscriptions per service plan: active, expiring and renewing in 30, 60 and 90 days.
///
/// - active: status `active`, created on or before `asOf` (suspended ones are not counted).
/// - expiring within N days: active, `period_end` between `asOf` and
///   `asOf + N` inclusive, and not renewing on its own (`auto_renew` off, or
///   `cancel_at_period_end` set). The windows are cumulative: the 60-day
///   figure includes the 30-day one.
/// - renewing within N days: the same window, `auto_renew` on and not
///   `cancel_at_period_end`.
/// - `recurring`: the plan's MRR, cost and margin (`RecurringRevenue`).
public struct SubscriptionsReport: Sendable, Equatable {
    /// Counts over a 30, 60 and 90-day window.
    public struct Windows: Sendable, Equatable, Codable {
        public var in30: Int = 0
        public var in60: Int = 0
        public var in90: Int = 0

        public init() {}

        public init(in30: Int, in60: Int, in90: Int) {
            self.in30 = in30
            self.in60 = in60
            self.in90 = in90
        }
    }

    /// One plan's active subscriptions.
    public struct PlanRow: Sendable, Equatable {
        public let planId: String
        public let planName: String
        public let kind: Plan.Kind
        public let billingPeriod: Plan.BillingPeriod
        public let active: Int
        public let expiring: Windows
        public let renewing: Windows
        public let recurring: RecurringRevenue
    }

    public let asOf: BusinessDate
    public let currency: Currency
    /// Plans with at least one active subscription, by name.
    public let plans: [PlanRow]

    /// All plans together.
    public var active: Int { plans.reduce(0) { $0 + $1.active } }
    /// All plans' expiring counts.
    public var expiring: Windows { plans.reduce(into: Windows()) { $0.in30 += $1.expiring.in30; $0.in60 += $1.expiring.in60; $0.in90 += $1.expiring.in90 } }
    /// All plans' renewing counts.
    public var renewing: Windows { plans.reduce(into: Windows()) { $0.in30 += $1.renewing.in30; $0.in60 += $1.renewing.in60; $0.in90 += $1.renewing.in90 } }
    /// All plans' MRR (equal to `RecurringRevenue.compute` for the same date).
    public var recurring: RecurringRevenue {
        plans.reduce(into: RecurringRevenue()) {
            $0.amount += $1.recurring.amount
            $0.cost += $1.recurring.cost
            $0.margin += $1.recurring.margin
            $0.subscriptions += $1.recurring.subscriptions
            $0.units += $1.recurring.units
        }
    }

    public static func compute(in db: Database, asOf: BusinessDate) throws -> SubscriptionsReport {
        try compute(in: db, totals: try CustomerShares.InMemory(in: db, asOf: asOf, months: 1, kinds: [.plans]))
    }

    /// The report from the customers' summed shares (plan names from `db`).
    public static func compute(in db: Database, totals: any FigureTotals) throws -> SubscriptionsReport {
        var sums: [String: PlanAmounts] = [:]
        for (key, amounts) in try totals.sums(Figures.plans) { sums[key.plan] = amounts }
        var plans: [PlanRow] = []
        try db.forEachRow("""
            SELECT id, name, kind, billing_period FROM plan WHERE id IN (SELECT value FROM json_each(?1)) ORDER BY name COLLATE NOCASE, id
            """, [SQLValue.jsonArray(sums.keys)]) { row in
            let id = try row.string("id")
            guard let sum = sums[id] else { return }
            let recurring = sum.recurring
            plans.append(PlanRow(
                planId: id, planName: try row.string("name"),
                kind: Plan.Kind(rawValue: try row.string("kind")) ?? .subscription,
                billingPeriod: Plan.BillingPeriod(rawValue: try row.string("billing_period")) ?? .monthly,
                active: recurring.subscriptions,
                expiring: sum.expiring, renewing: sum.renewing,
                recurring: recurring))
        }
        return SubscriptionsReport(asOf: totals.asOf, currency: try ReportSQL.currency(in: db), plans: plans)
    }

    /// An amount of this report as `Money`.
    public func money(_ minorUnits: Int64) -> Money { Money(minorUnits: minorUnits, currency: currency) }

    public var csvHeader: [String] {
        ["Plan ID", "Plan", "Kind", "Billing period", "Active", "Units",
         "Expiring in 30 days", "Expiring in 60 days", "Expiring in 90 days",
         "Renewing in 30 days", "Renewing in 60 days", "Renewing in 90 days",
         "MRR (\(currency.code))", "MRR cost (\(currency.code))", "MRR margin (\(currency.code))"]
    }

    /// One line per plan, then a `Total` line.
    public var csvRows: [[String]] {
        let digits = currency.minorDigits
        func line(_ id: String, _ name: String, _ kind: String, _ period: String, _ active: Int, _ expiring: Windows,
                  _ renewing: Windows, _ recurring: RecurringRevenue) -> [String] {
            [id, name, kind, period, String(active), String(recurring.units),
             String(expiring.in30), String(expiring.in60), String(expiring.in90),
             String(renewing.in30), String(renewing.in60), String(renewing.in90),
             Money.decimalString(recurring.amount, digits: digits), Money.decimalString(recurring.cost, digits: digits),
             Money.decimalString(recurring.margin, digits: digits)]
        }
        return plans.map { line($0.planId, $0.planName, $0.kind.rawValue, $0.billingPeriod.rawValue, $0.active, $0.expiring, $0.renewing, $0.recurring) }
            + [line("", "Total", "", "", active, expiring, renewing, recurring)]
    }
}
