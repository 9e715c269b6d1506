import Foundation
import OutpostModel

/// `plan …` and `price …`: the catalog and the reseller's markup on it.
enum CatalogCommands {
    static let all: [CommandSpec] = [planList, planShow, priceSet, priceList]

    static let planList = CommandSpec(
        ["plan", "list"], "list service plans with cost, markup, price and margin",
        options: [
            .init("kind", value: "KIND", "only subscription, domain, ssl or license plans"),
            .init("available", "only plans that can be ordered"),
        ],
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let kind = try invocation.value("kind").map { try OptionValue.choice($0, Plan.Kind.self, option: "kind") }
            let prices = try PlanPrice.list(in: replica.db).filter {
                (kind == nil || $0.plan.kind == kind) && (!invocation.flag("available") || $0.plan.available)
            }
            printPrices(prices, invocation: invocation, session: session)
        })

    static func printPrices(_ prices: [PlanPrice], invocation: Invocation, session: Session) {
        if invocation.json { return (try? JSONOutput.print(prices, to: session)) ?? () }
        var table = TextTable("PLAN", "NAME", "PERIOD", "COST", "MARKUP (on cost)", "PRICE", "MARGIN (on price)", "AVAILABLE")
        for entry in prices {
            table.add(entry.plan.id, entry.plan.name, entry.plan.billingPeriod.rawValue, Format.money(entry.plan.cost, entry.plan.currency),
                      Format.percent(entry.markupBp) + (entry.ownRule ? " (plan)" : ""), Format.money(entry.price, entry.plan.currency),
                      Format.percent(entry.marginBp), Format.yesNo(entry.plan.available))
        }
        session.print(table.render(empty: "No service plans. The catalog arrives from the node on sync."))
    }

    static let planShow = CommandSpec(
        ["plan", "show"], "show one service plan and its price",
        arguments: [.init("PLAN", "plan id (pln_…), slug, name or unique name prefix")],
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let plan = try Plan.require(replica.resolve(.plan, invocation.argument(0), field: "PLAN"), in: replica.db)
            guard let price = try PlanPrice.list(in: replica.db).first(where: { $0.plan.id == plan.id }) else { return }
            if invocation.json { return try JSONOutput.print(price, to: session) }
            session.print("\(plan.name)  (\(plan.id))")
            session.print("Vendor:   \(plan.vendor)")
            session.print("Kind:     \(plan.kind.rawValue)\(plan.sslValidation.map { " (\($0.rawValue))" } ?? ""), billed \(plan.billingPeriod.rawValue)")
            session.print("Cost:     \(Format.money(plan.cost, plan.currency)) per unit")
            session.print("Markup:   \(Format.percent(price.markupBp)) on cost\(price.ownRule ? " (plan rule)" : " (default)")")
            session.print("Price:    \(Format.money(price.price, plan.currency)) per unit")
            session.print("Margin:   \(Format.percent(price.marginBp)) of price")
            session.print("Available: \(Format.yesNo(plan.available))")
            if !plan.description.isEmpty { session.print("\n\(plan.description)") }
        })

    static let priceSet = CommandSpec(
        ["price", "set"], "set the default markup, or one plan's (0 to 1000% on cost)",
        options: [
            .init("markup", value: "PERCENT", required: true, "markup on cost, like 25 or 33.33"),
            .init("plan", value: "PLAN", "the plan (id, slug or name); without it, the default markup"),
        ],
        discussion: "Markup is on cost; margin is on price. A 25% markup is a 20% margin.",
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let markup = try OptionValue.percent(invocation.required("markup"), option: "markup")
            let planId = try replica.resolve(.plan, invocation.value("plan"), field: "--plan")
            let ruleId = planId.map(PriceRule.id(forPlan:)) ?? PriceRule.defaultId
            let base = try replica.db.scalar("SELECT version FROM price_rule WHERE id = ?", [ruleId])?.int64 ?? 0
            try replica.submitAndReport(
                SetMarkup(planId: planId, markupBp: markup, baseVersion: base), id: ruleId, session: session, json: invocation.json,
                summary: "\(try planId.map { "Markup for \(try Plan.require($0, in: replica.db).name)" } ?? "Default markup") set to \(Format.percent(markup)) on cost (\(Format.percent(Pricing.margin(forMarkup: markup))) margin on price)")
        })

    static let priceList = CommandSpec(
        ["price", "list"], "show the default markup and every plan's price",
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let defaultMarkup = try PriceRule.defaultMarkup(in: replica.db)
            if !invocation.json {
                session.print("Default markup: \(Format.percent(defaultMarkup)) on cost = \(Format.percent(Pricing.margin(forMarkup: defaultMarkup))) margin on price")
                session.print("")
            }
            printPrices(try PlanPrice.list(in: replica.db), invocation: invocation, session: session)
        })
}
