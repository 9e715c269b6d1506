import OutpostModel
import OutpostStore

/// Service plans with the reseller's prices, users with their login history, and the settings.
enum CatalogPages {
    static func plans(in context: BuildContext) throws {
        let plans = try PlanPrice.list(in: context.db)
        try SmallTablePage(
            path: Section.plans.path, title: "Service plans", section: .plans,
            intro: [
                .paragraph("Cost is what a plan costs you per unit and billing period. Markup is on cost: price = cost × (1 + markup). Margin is on price: margin = (price − cost) ÷ price. So a 25% markup on cost is a 20% margin on price."),
                .paragraph("A plan follows the default markup unless it has its own price rule. Change either with: outpost price set"),
            ],
            columns: [Column("Plan"), Column("Description"), Column("Vendor"), Column("Kind"), Column("Billing period"), Column("Cost", numeric: true),
                      Column("Markup on cost", numeric: true), Column("Price rule"), Column("Price", numeric: true),
                      Column("Margin on price", numeric: true), Column("Profit per unit", numeric: true), Column("Available")],
            rows: plans.map { item in
                let kind = item.plan.kind.rawValue + (item.plan.sslValidation.map { " (" + $0.rawValue + ")" } ?? "")
                return [.text(item.plan.name), .text(item.plan.description), .text(item.plan.vendor), .text(kind), .text(item.plan.billingPeriod.rawValue),
                        .money(item.plan.cost), .percent(item.markupBp), .text(item.ownRule ? "own rule" : "default"),
                        .money(item.price), .percent(item.marginBp), .money(item.price - item.plan.cost),
                        .status(item.plan.available ? "available" : "withdrawn")]
            },
            empty: "The catalog is empty: the node has not sent any service plans yet.",
            csvPath: "plans.csv", csvExtraHeader: ["Id"], csvExtra: plans.map { [$0.plan.id] }).build(in: context)
        // Plans change only with the catalog, which no incremental build follows: a full build files them.
        for item in plans {
            try context.search.add(SearchEntry(kind: "plan", label: item.plan.name, detail: [item.plan.vendor, item.plan.billingPeriod.rawValue].filter { !$0.isEmpty }.joined(separator: " · "),
                                               path: Section.plans.path + "#" + item.plan.id, keys: [item.plan.name, item.plan.id]))
        }
    }

    static func users(in context: BuildContext) throws {
        var rows: [[Cell]] = []
        var ids: [[String]] = []
        var people: [(id: String, username: String, name: String, email: String, role: String, created: String)] = []
        try context.forEachRow("""
            SELECT u.*, (SELECT max(at) FROM login_event e WHERE e.username = u.username AND e.customer_user_id IS NULL AND e.result = 'success') AS last_login,
                   (SELECT count(*) FROM login_event e WHERE e.username = u.username AND e.customer_user_id IS NULL AND e.result = 'failure') AS failures
            FROM panel_user u ORDER BY u.username, u.id
            """) { row in
            let id = row["id"].string ?? ""
            rows.append([.link(SitePath.user(id) + "/index.html", row["username"].string ?? ""), .text(row["name"].string ?? ""),
                         .email(row["email"].string ?? ""), .text(row["role"].string ?? ""), .timestamp(row["created_at"].string),
                         .timestamp(row["last_login"].string), .number(row["failures"].int64 ?? 0)])
            ids.append([id])
            people.append((id, row["username"].string ?? "", row["name"].string ?? "", row["email"].string ?? "",
                           row["role"].string ?? "", row["created_at"].string ?? ""))
        }
        // A token names its user freely; one who is no panel user still signs in with every sync, and is listed, said so.
        try context.forEachRow("""
            SELECT e.username, max(CASE WHEN e.result = 'success' THEN e.at END) AS last_login, sum(e.result = 'failure') AS failures
            FROM login_event e WHERE e.customer_user_id IS NULL AND NOT EXISTS (SELECT 1 FROM panel_user u WHERE u.username = e.username)
            GROUP BY e.username ORDER BY e.username
            """) { row in
            rows.append([.text(row["username"].string ?? ""), .text("(token only: no panel user of this name)"), .text(""), .text(""), .text(""),
                         .timestamp(row["last_login"].string), .number(row["failures"].int64 ?? 0)])
            ids.append([""])
        }
        try SmallTablePage(
            path: Section.users.path, title: "Users", section: .users,
            intro: [.paragraph("People who sign in to the reseller panel, with their last successful sign-in: each sync with a user's token counts as one (at most one per source every ten minutes). A token issued for a name that is no panel user is listed too, said so. Customers' own logins are on each customer's page.")],
            columns: [Column("Username"), Column("Name"), Column("E-mail"), Column("Role"), Column("Created"), Column("Last sign-in"), Column("Failed sign-ins", numeric: true)],
            rows: rows, empty: "No panel users yet. Add one with: outpost user add",
            csvPath: "users/users.csv", csvExtraHeader: ["Id"], csvExtra: ids,
            outro: [.links([("users/logins/index.html", "Login history of every username", false)], label: "Login history")]).build(in: context)

        let loginColumns = [Column("When"), Column("Username"), Column("Result"), Column("Source")]
        let loginCells: (Row) throws -> [Cell] = { row in
            [.timestamp(row["at"].string), .text(row["username"].string ?? ""), .status(row["result"].string ?? ""), .text(row["source"].string ?? "")]
        }
        let loginKey: (Row) -> [KeyPart] = { [.descending($0["at"].string ?? ""), .descending($0["id"].string ?? "")] }
        try PagedList(
            directory: "users/logins", title: "Login history", section: .users,
            intro: [.paragraph("Every sign-in attempt the node recorded, newest first, including usernames that no longer exist.")],
            columns: loginColumns, empty: "No sign-ins recorded yet.",
            select: "SELECT * FROM login_event", filter: "customer_user_id IS NULL", idColumn: "id", order: "at DESC, id DESC", key: loginKey,
            csvName: "logins.csv", cells: loginCells).build(in: context)
        for person in people {
            try PagedList(
                directory: SitePath.user(person.id), title: "User " + person.username, section: .users,
                intro: [.facts([("Username", .text(person.username)), ("Name", .text(person.name)), ("E-mail", .email(person.email)),
                                ("Role", .text(person.role)), ("Created", .timestamp(person.created)), ("User id", .text(person.id))], caption: "Profile"),
                        .heading("Login history")],
                columns: loginColumns, empty: "This user has never signed in.",
                select: "SELECT * FROM login_event", filter: "username = ? AND customer_user_id IS NULL", arguments: [person.username], idColumn: "id",
                order: "at DESC, id DESC", key: loginKey, csvName: "logins.csv", cells: loginCells).build(in: context)
        }
    }

    /// The settings page; it shows the reseller's own subscriptions too, so it is built again when they change.
    static func settings(in context: BuildContext, settings s: ResellerSettings) throws {
        let own = try OwnPurchases.load(from: context.db)
        func days(_ list: [Int], _ unit: String) -> String {
            list.isEmpty ? "off" : list.map(String.init).joined(separator: ", ") + " " + unit
        }
        let blocks: [Block] = [
            .paragraph("Read-only. Change settings with: outpost settings set (the change syncs to the node)."),
            .section(title: "Company", id: "company", [.facts([
                ("Company name", .text(s.companyName)), ("Address", .text(s.address)), ("E-mail", .email(s.email)),
                ("Phone", .text(s.phone)), ("Tax id", .text(s.taxId)),
            ])]),
            .section(title: "Billing", id: "billing", [.facts([
                ("Currency", .text(s.currency)), ("Tax rate", .percent(s.taxRateBp)),
                ("Payment terms", .text("\(s.paymentTermsDays) days from the invoice date")),
                ("Default markup", .text(Pricing.percent(s.defaultMarkupBp) + " on cost (" + Pricing.percent(Pricing.margin(forMarkup: s.defaultMarkupBp)) + " margin on price)")),
            ])]),
            .section(title: "Notification schedules", id: "notifications", [.table(
                columns: [Column("Notice"), Column("When")],
                rows: [
                    [.text("Invoice due"), .text(days(s.notifyInvoiceDue, "days before the due date"))],
                    [.text("Invoice overdue"), .text(days(s.notifyInvoiceOverdue, "days after the due date"))],
                    [.text("Subscription expiring"), .text(days(s.notifySubscriptionExpiring, "days before the period ends"))],
                    [.text("Domain expiring"), .text(days(s.notifyDomainExpiring, "days before expiry"))],
                    [.text("SSL certificate expiring"), .text(days(s.notifySslExpiring, "days before expiry"))],
                ], empty: "")]),
            .section(title: "My product subscriptions", id: "own", [
                .facts([("Active own subscriptions", .number(Int64(own.activeSubscriptions))), ("Cost per month", .money(own.costPerMonth))]),
                .links([(Section.own.path, "Own purchases: subscriptions, orders and invoices bought at cost", false)], label: "Own purchases"),
            ]),
        ]
        try context.emit(PageModel(path: Section.settings.path, title: "Settings", section: .settings, blocks: blocks))
    }
}
