import Foundation
import OutpostModel
import OutpostSync
import OutpostFixtures

/// `outpost init`: creates a replica and runs the setup wizard.
enum SetupCommands {
    static let all: [CommandSpec] = [initCommand]

    static let initCommand = CommandSpec(
        ["init"], "create a replica and run the setup wizard (company, currency, default markup)",
        options: [
            .init("company-name", value: "NAME", "your company's name"),
            .init("currency", value: "CODE", "ISO 4217 currency you bill in (default EUR)"),
            .init("markup", value: "PERCENT", "default markup on cost (default 25)"),
            .init("no-catalog", "start without the built-in service-plan catalog (the node's arrives on the first sync)"),
            .init("node", value: "LOCATION", "the central node: a directory, http(s)://host:port/ or ssh://[user@]host/path"),
            .init("reseller", value: "ID", "the reseller this replica belongs to on the node (with --node)"),
            .init("token-file", value: "FILE", "a file holding the node's bearer token for this user (with --node)"),
            SyncCommands.caFileOption,
            .init("site", value: "DIR", "where outpost sync renders the dashboards (default: site/ in the replica)"),
            .init("publish", value: "DIR", "after each render, publish the site to this directory (a mounted file server)"),
            .init("publish-command", value: "CMD", "or after each render, run CMD (via /bin/sh -c, the site's path in $OUTPOST_SITE), like an rsync line"),
        ],
        discussion: """
        On a terminal, init asks for what the flags did not say; in scripts it never prompts.
        The answers are queued like every other change (settings.update, price.set_markup).
        Markup is on cost: a 25% markup on a cost of 100 gives a price of 125, a 20% margin.
        With --node the replica joins a reseller the node already knows: before creating anything, init asks
        the node (when it can be reached) whether the token belongs to --reseller — a token of another
        reseller is exit 77, an unknown reseller on a local node 65, a location that is not a node 66 or 78
        (a directory that is not one, a web server that does not speak the protocol, a node's address with a
        wrong path); an unreachable node is only a warning. A joining replica takes the node's company name, currency
        and markup on its first sync and queues no settings of its own, so the wizard asks nothing:
        --company-name, --currency or --markup given with --node must equal the node's (change them with
        outpost settings set or outpost price set after the first sync).
        A replica made without --node can join one later with outpost config set --node.
        --site, --publish and --publish-command are this replica's own config (see outpost help sync);
        outpost config set changes them later.
        """,
        printsJSON: true,
        run: { invocation, session in
            if invocation.value("publish") != nil, invocation.value("publish-command") != nil {
                throw UsageError(message: "give either --publish DIR or --publish-command CMD, not both", command: invocation.command.name)
            }
            if let command = invocation.value("publish-command"), command.trimmingCharacters(in: .whitespaces).isEmpty {
                throw UsageError(message: "--publish-command needs a command", command: invocation.command.name)
            }
            var companyName = invocation.value("company-name")
            var currency = invocation.value("currency")
            var markupText = invocation.value("markup")
            let target = try NodeJoin.target(invocation)
            if session.stdinIsTerminal && target == nil {
                if companyName == nil { companyName = session.ask("Company name: ").flatMap { $0.isEmpty ? nil : $0 } }
                if currency == nil { currency = session.ask("Currency [EUR]: ").flatMap { $0.isEmpty ? nil : $0 } }
                if markupText == nil { markupText = session.ask("Default markup on cost, percent [25]: ").flatMap { $0.isEmpty ? nil : $0 } }
            }
            // Check every answer before creating anything.
            let markup = try markupText.map { try OptionValue.percent($0, option: "markup") } ?? Pricing.defaultMarkup
            _ = try FieldRules.markup(markup)
            let code = (currency ?? "EUR").uppercased()
            guard Currency(code: code) != nil else {
                throw CommandFailure(.dataError, "--currency '\(currency ?? "")' is not a known ISO 4217 code (for example EUR, USD, GBP)")
            }
            if let companyName { _ = try FieldRules.requiredText(companyName, field: "company_name") }
            let directory = try session.replicaDirectory(invocation)
            var account: AccountResponse?
            if let target {
                account = try NodeJoin.check(target, session: session)
                try checkSettingsAgree(companyName: companyName, currency: currency.map { _ in code },
                                       markup: markupText.map { _ in markup }, with: account, invocation: invocation)
            }
            let replica = try Replica.create(directory, clock: session.clock)
            do {
                if let publish = invocation.value("publish") {
                    try ReplicaConfig.set(.publish, to: URL(fileURLWithPath: publish).path, in: replica)
                }
                if let command = invocation.value("publish-command") {
                    try ReplicaConfig.set(.publishCommand, to: command, in: replica)
                }
                if let site = invocation.value("site") {
                    try ReplicaConfig.set(.site, to: URL(fileURLWithPath: site).path, in: replica)
                }
                if let target {
                    // A joining replica queues no settings: the node's arrive with the first sync.
                    try NodeJoin.attach(target, to: replica)
                } else {
                    if !invocation.flag("no-catalog") {
                        let plans = try Catalog.plans()
                        try replica.applyFacts { context in
                            for plan in plans { try plan.upsert(in: context) }
                        }
                    }
                    var settings = UpdateSettings(baseVersion: 0)
                    settings.companyName = companyName
                    settings.currency = code == "EUR" ? nil : code
                    if companyName != nil || settings.currency != nil { try replica.submit(settings) }
                    if markup != Pricing.defaultMarkup { try replica.submit(SetMarkup(planId: nil, markupBp: markup, baseVersion: 0)) }
                }
            } catch {
                // A half-made replica is worse than none: remove what init created.
                for name in [Replica.databaseName, Replica.databaseName + "-wal", Replica.databaseName + "-shm", SyncCommands.tokenFileName] {
                    try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
                }
                throw error
            }
            let plans = try replica.db.scalar("SELECT count(*) FROM plan")?.int64 ?? 0
            let markupShown = account.map { Int($0.defaultMarkupBp) } ?? markup
            if invocation.json {
                struct Created: Encodable {
                    let replica: String; let replicaId: String; let plans: Int64; let defaultMarkupBp: Int
                    /// The node's answer, when it was asked.
                    let reseller: String?; let companyName: String?; let currency: String?
                }
                try JSONOutput.print(Created(replica: directory.path, replicaId: try replica.replicaId(), plans: plans, defaultMarkupBp: markupShown,
                                             reseller: account?.reseller, companyName: account?.companyName, currency: account?.currency), to: session)
            } else {
                session.print("Created replica \(try replica.replicaId()) in \(directory.path)")
                if let target {
                    if let account {
                        session.print("Joined reseller \(account.reseller) (\(account.companyName), \(account.currency)) as \(account.user) on \(target.location); the node's settings and catalog arrive with the first outpost sync.")
                    } else {
                        session.print("Attached to reseller \(target.reseller) on \(target.location); the node's settings and catalog arrive with the first outpost sync.")
                    }
                } else {
                    session.print("Default markup \(Pricing.percent(markup)) on cost (\(Pricing.percent(Pricing.margin(forMarkup: markup))) margin on price); \(plans) service plans in the catalog.")
                }
            }
        }
    )

    /// With `--node`, settings flags are allowed only where they say what the node already has: a joining
    /// replica queues no settings (they would meet the node's as a conflict on the first sync).
    static func checkSettingsAgree(companyName: String?, currency: String?, markup: Int?, with account: AccountResponse?,
                                   invocation: Invocation) throws {
        let given = [("company-name", companyName != nil), ("currency", currency != nil), ("markup", markup != nil)].filter(\.1).map(\.0)
        guard !given.isEmpty else { return }
        let flags = given.map { "--" + $0 }.joined(separator: ", ")
        guard let account else {
            throw UsageError(message: "\(flags) cannot be checked against the node now; leave \(given.count == 1 ? "it" : "them") out (a joining replica takes the node's settings on its first sync) and change them with outpost settings set or outpost price set afterwards",
                             command: invocation.command.name)
        }
        var differences: [String] = []
        if let companyName, companyName != account.companyName { differences.append("company name '\(account.companyName)'") }
        if let currency, currency != account.currency { differences.append("currency \(account.currency)") }
        if let markup, Int64(markup) != account.defaultMarkupBp { differences.append("default markup \(Pricing.percent(Int(account.defaultMarkupBp)))") }
        guard differences.isEmpty else {
            throw CommandFailure(.dataError, "the node already has \(differences.joined(separator: ", ")) for reseller \(account.reseller); a joining replica takes the node's settings. Leave out \(flags), and change them with outpost settings set or outpost price set after the first sync")
        }
    }
}
