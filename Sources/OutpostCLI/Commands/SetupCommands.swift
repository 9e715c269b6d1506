import Foundation
import OutpostModel
import OutpostSync

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
            .init("site", value: "DIR", "where outpost sync renders the dashboards (default: site/ in the replica)"),
            .init("publish", value: "DIR", "after each render, publish the site to this directory (a mounted file server)"),
            .init("publish-command", value: "CMD", "or after each render, run CMD (via /bin/sh -c, the site's path in $OUTPOST_SITE), like an rsync line"),
        ],
        discussion: """
        On a terminal, init asks for what the flags did not say; in scripts it never prompts.
        The answers are queued like every other change (settings.update, price.set_markup).
        Markup is on cost: a 25% markup on a cost of 100 gives a price of 125, a 20% margin.
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
            let attached = invocation.value("node") != nil
            if attached {
                guard invocation.value("reseller") != nil else {
                    throw UsageError(message: "--node needs --reseller ID", command: invocation.command.name)
                }
                do {
                    _ = try NodeLocation.parse(invocation.required("node"))
                } catch {
                    throw CommandFailure(.config, "--node: \(error)")
                }
            }
            var token: String?
            if let file = invocation.value("token-file") {
                guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                    throw CommandFailure(.noInput, "cannot read the token file \(file)")
                }
                token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            if session.stdinIsTerminal && !attached {
                if companyName == nil { companyName = session.ask("Company name: ").flatMap { $0.isEmpty ? nil : $0 } }
                if currency == nil { currency = session.ask("Currency [EUR]: ").flatMap { $0.isEmpty ? nil : $0 } }
                if markupText == nil { markupText = session.ask("Default markup on cost, percent [25]: ").flatMap { $0.isEmpty ? nil : $0 } }
            }
            // Check every answer before creating anything.
            let markup = try markupText.map { try OptionValue.percent($0, option: "markup") } ?? Pricing.defaultMarkup
            let explicitCurrency = currency != nil
            _ = try FieldRules.range(markup, 0...Pricing.maximumMarkup, field: "markup")
            let code = (currency ?? "EUR").uppercased()
            guard Currency(code: code) != nil else {
                throw CommandFailure(.dataError, "--currency '\(currency ?? "")' is not a known ISO 4217 code (for example EUR, USD, GBP)")
            }
            if let companyName { _ = try FieldRules.requiredText(companyName, field: "company_name") }
            let directory = try session.replicaDirectory(invocation)
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
                if attached {
                    try replica.db.execute("INSERT INTO replica_meta (key, value) VALUES ('node', ?), ('reseller_id', ?)",
                                           [invocation.required("node"), invocation.required("reseller")])
                    if let token {
                        let url = directory.appendingPathComponent(SyncCommands.tokenFileName)
                        guard LocalFiles.create(url.path, contents: Array((token + "\n").utf8), mode: 0o600) else {
                            throw CommandFailure(.cannotCreate, "cannot write the token file \(url.path)")
                        }
                    }
                } else if !invocation.flag("no-catalog") {
                    let plans = try Catalog.plans()
                    try replica.applyFacts { context in
                        for plan in plans { try plan.upsert(in: context) }
                    }
                }
                var settings = UpdateSettings(baseVersion: 0)
                settings.companyName = companyName
                settings.currency = code == "EUR" && !(attached && explicitCurrency) ? nil : code
                if companyName != nil || settings.currency != nil { try replica.submit(settings) }
                if markup != Pricing.defaultMarkup || (attached && markupText != nil) {
                    try replica.submit(SetMarkup(planId: nil, markupBp: markup, baseVersion: 0))
                }
            } catch {
                // A half-made replica is worse than none: remove what init created.
                for name in [Replica.databaseName, Replica.databaseName + "-wal", Replica.databaseName + "-shm", SyncCommands.tokenFileName] {
                    try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
                }
                throw error
            }
            let plans = try replica.db.scalar("SELECT count(*) FROM plan")?.int64 ?? 0
            if invocation.json {
                struct Created: Encodable { let replica: String; let replicaId: String; let plans: Int64; let defaultMarkupBp: Int }
                try JSONOutput.print(Created(replica: directory.path, replicaId: try replica.replicaId(), plans: plans, defaultMarkupBp: markup), to: session)
            } else {
                session.print("Created replica \(try replica.replicaId()) in \(directory.path)")
                let catalog = attached && plans == 0 ? "the catalog arrives with the first outpost sync" : "\(plans) service plans in the catalog"
                session.print("Default markup \(Pricing.percent(markup)) on cost (\(Pricing.percent(Pricing.margin(forMarkup: markup))) margin on price); \(catalog).")
            }
        }
    )
}
