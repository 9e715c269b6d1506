import OutpostStore

/// Monthly recurring revenue of a set of active subscriptions.
///
/// A subscription counts when its status is `active` and it was created on or
/// before `asOf`; suspended subscriptions are not billing and are left out.
/// Its monthly amount is `unit_price × quantity`; for annual plans that is
/// divided by 12 and rounded half away from zero, per subscription, so MRR
/// per plan or per customer adds up to the total exactly. Cost and margin
/// (`(unit_price − unit_cost) × quantity`) are normalised the same way, each
/// rounded on its own (so `margin` may differ from `amount − cost` by a minor
/// unit per annual subscription).
public struct RecurringRevenue: Sendable, Equatable, Codable {
    /// MRR: sale price per month.
    public var amount: Int64 = 0
    /// What the same subscriptions cost the reseller per month.
    public var cost: Int64 = 0
    /// MRR margin: (price − cost) per month.
    public var margin: Int64 = 0
    /// Active subscriptions counted.
    public var subscriptions: Int = 0
    /// Units (seats, years of a domain, …) across them.
    public var units: Int64 = 0

    public init() {}

    /// ARR: MRR × 12.
    public var annual: Int64 { amount &* 12 }

    /// Margin on MRR in basis points; `nil` when MRR is zero.
    public var marginBp: Int? { ReportMath.basisPoints(margin, of: amount) }

    /// SQL columns over `subscription s JOIN plan p`: `mrr`, `mrr_cost`, `mrr_margin`, `subscriptions`, `units`.
    static let columns = """
        sum(\(ReportSQL.monthly("s.unit_price * s.quantity", periodColumn: "p.billing_period"))) AS mrr,
        sum(\(ReportSQL.monthly("s.unit_cost * s.quantity", periodColumn: "p.billing_period"))) AS mrr_cost,
        sum(\(ReportSQL.monthly("(s.unit_price - s.unit_cost) * s.quantity", periodColumn: "p.billing_period"))) AS mrr_margin,
        count(s.id) AS subscriptions, sum(s.quantity) AS units
        """

    /// The `WHERE` condition for counted subscriptions; binds `?1` = the day after `asOf`. The reseller's
    /// own subscriptions (`Customer.ownAccountId`) are no recurring revenue.
    static let condition = "s.status = 'active' AND s.created_at < ?1 AND s.customer_id <> 'cus_own'"

    init(row: Row) throws {
        amount = try ReportSQL.integer(row, "mrr")
        cost = try ReportSQL.integer(row, "mrr_cost")
        margin = try ReportSQL.integer(row, "mrr_margin")
        subscriptions = Int(try ReportSQL.integer(row, "subscriptions"))
        units = try ReportSQL.integer(row, "units")
    }

    /// Every plan's MRR in the figures, added up.
    static func total(_ totals: any FigureTotals) throws -> RecurringRevenue {
        try PlanAmounts.sum(try totals.sums(Figures.plans).values).recurring
    }

    /// The reseller's MRR as of `asOf`.
    public static func compute(in db: Database, asOf: BusinessDate) throws -> RecurringRevenue {
        let sql = "SELECT \(columns) FROM subscription s JOIN plan p ON p.id = s.plan_id WHERE \(condition)"
        guard let row = try db.row(sql, [asOf.adding(days: 1).description]) else { return RecurringRevenue() }
        return try RecurringRevenue(row: row)
    }
}
