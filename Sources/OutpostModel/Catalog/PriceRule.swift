import OutpostStore

/// The reseller's markup: one default rule, and optional per-plan rules that override it.
public struct PriceRule: Codable, Sendable, Equatable {
    /// The id of the default rule (the setup wizard's 25 %).
    public static let defaultId = "prc_default"

    public let id: String
    /// `nil` for the default rule.
    public let planId: String?
    /// Markup on cost, basis points.
    public let markupBp: Int
    public let version: Int64

    public init(row: Row) throws {
        id = try row.string("id")
        planId = try row.optionalString("plan_id")
        markupBp = try row.int("markup_bp")
        version = try row.int64("version")
    }

    /// The id a per-plan rule has on every replica, so two offline edits meet on one row.
    public static func id(forPlan planId: String) -> String { "prc_" + planId }

    public static func list(in db: any SQLDatabase) throws -> [PriceRule] {
        try db.rows("SELECT * FROM price_rule ORDER BY plan_id IS NOT NULL, plan_id").map(PriceRule.init(row:))
    }

    /// The default markup (the setup wizard's answer).
    public static func defaultMarkup(in db: any SQLDatabase) throws -> Int {
        Int(try db.scalar("SELECT markup_bp FROM price_rule WHERE id = ?", [defaultId])?.int64 ?? Int64(Pricing.defaultMarkup))
    }

    /// The markup that applies to a plan: its own rule, else the default.
    public static func markup(forPlan planId: String, in db: any SQLDatabase) throws -> Int {
        if let own = try db.scalar("SELECT markup_bp FROM price_rule WHERE plan_id = ?", [planId])?.int64 { return Int(own) }
        return try defaultMarkup(in: db)
    }
}

/// A plan with the reseller's price: cost, markup on cost, price, margin on price.
public struct PlanPrice: Codable, Sendable, Equatable {
    public let plan: Plan
    public let markupBp: Int
    /// Whether the markup comes from a per-plan rule rather than the default.
    public let ownRule: Bool
    public let price: Int64
    /// Margin on price, basis points (a 25 % markup is a 20 % margin).
    public let marginBp: Int

    public static func list(in db: any SQLDatabase) throws -> [PlanPrice] {
        let rules = try PriceRule.list(in: db)
        let fallback = rules.first { $0.planId == nil }?.markupBp ?? Pricing.defaultMarkup
        var own: [String: Int] = [:]
        for rule in rules { if let plan = rule.planId { own[plan] = rule.markupBp } }
        return try Plan.list(in: db).map { plan in
            let markup = own[plan.id] ?? fallback
            let price = try Pricing.salePrice(cost: plan.cost, markup: markup)
            return PlanPrice(plan: plan, markupBp: markup, ownRule: own[plan.id] != nil, price: price,
                             marginBp: Pricing.margin(price: price, cost: plan.cost) ?? 0)
        }
    }
}

/// `price.set_markup`: the default markup, or one plan's, 0 to 1000 %.
public struct SetMarkup: Mutation {
    public static let name = "price.set_markup"
    public static let version = 1

    /// `nil` sets the default.
    public var planId: String?
    public var markupBp: Int
    public var baseVersion: Int64

    public init(planId: String?, markupBp: Int, baseVersion: Int64) {
        self.planId = planId
        self.markupBp = markupBp
        self.baseVersion = baseVersion
    }

    public func apply(in context: MutationContext) throws {
        let markup = try FieldRules.markup(markupBp)
        guard let planId else {
            try context.update("price_rule", id: PriceRule.defaultId, [("markup_bp", markup)])
            return
        }
        _ = try Plan.require(planId, in: context.db)
        let id = PriceRule.id(forPlan: planId)
        if try context.fetch("price_rule", id: id) == nil {
            try context.insert("price_rule", [("id", id), ("plan_id", planId), ("markup_bp", markup)])
        } else {
            try context.update("price_rule", id: id, [("markup_bp", markup)])
        }
    }
}
