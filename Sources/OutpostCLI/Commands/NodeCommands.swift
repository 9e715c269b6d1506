import Foundation
import OutpostModel
import OutpostSync
import OutpostFixtures
import OutpostStore

/// `node …`: setting up and administering the central node.
enum NodeCommands {
    static let all: [CommandSpec] = [initNode, resellerAdd, resellerList, tokenIssue, tokenList, tokenRevoke, plansImport, planAdd, planEdit, compact, backup, restore, status, exchange, NodeMigrateCommand.spec]

    static let nodeOption = CommandSpec.Option("node", value: "DIR", "the node directory (default: $OUTPOST_NODE)")

    static func nodeDirectory(_ invocation: Invocation, _ session: Session) throws -> URL {
        if let positional = invocation.optionalArgument(0) { return URL(fileURLWithPath: positional) }
        guard let path = invocation.value("node") ?? session.environment["OUTPOST_NODE"], !path.isEmpty else {
            throw UsageError(message: "no node given: pass --node DIR or set OUTPOST_NODE", command: invocation.command.name)
        }
        return URL(fileURLWithPath: path)
    }

    static func openNode(_ invocation: Invocation, _ session: Session) throws -> Node {
        try Node.open(try nodeDirectory(invocation, session), clock: session.clock)
    }

    static let initNode = CommandSpec(
        ["node", "init"], "create a central node: SQLite files in a directory, or on PostgreSQL with --store",
        arguments: [.init("DIR", "the node directory (created when missing)")],
        options: [
            .init("store", value: "URI", "keep the node in this PostgreSQL database (postgresql://user@host/db, no password; default: $OUTPOST_NODE_STORE)"),
            .init("existing", "the database already holds the node: only let DIR serve it (a second machine)"),
        ],
        discussion: """
            Without --store (and without OUTPOST_NODE_STORE) the node is SQLite files in DIR: node.sqlite and
            one database per reseller under tenants/.

            With --store URI (or OUTPOST_NODE_STORE set) the node lives in that PostgreSQL database: the registry
            in the schema outpost_node, each reseller in a schema of its own. DIR (mode 0700) gets the connection
            string in DIR/store (mode 0600), and every other command takes --node DIR as for a SQLite node.
            A password never goes on the command line, where other local users can read it: put it in
            ~/.pgpass or the file PGPASSFILE names, or give the whole string in OUTPOST_NODE_STORE. A --store
            holding a password is refused (exit 64) before anything is written; so is a --store that differs
            from OUTPOST_NODE_STORE when both are given.

            A database that already holds a node is refused. To serve that node from a second machine (several
            outpost node serve processes on one database), run there: outpost node init DIR --store URI --existing
            which checks the node is there and writes only DIR/store.
            """,
        usesReplica: false,
        run: { invocation, session in
            let directory = URL(fileURLWithPath: invocation.argument(0))
            guard let store = try chosenStore(invocation, session) else {
                if invocation.flag("existing") {
                    throw UsageError(message: "--existing needs the node's database: --store URI or OUTPOST_NODE_STORE", command: invocation.command.name)
                }
                let node = try Node.create(at: directory, clock: session.clock)
                return session.print("Created node in \(node.directory.path). Next: outpost node plans import --node \(node.directory.path) --builtin; outpost node reseller add ID --name NAME --node \(node.directory.path)")
            }
            if invocation.flag("existing") {
                let node = try Node.attach(at: directory, store: store, clock: session.clock)
                return session.print("\(node.directory.path) now serves the node on \(store.display) (\(try node.resellers().count) reseller(s)); "
                                     + "its connection string is in \(directory.appendingPathComponent(Node.storeFileName).path). Next: outpost node serve \(node.directory.path)")
            }
            let node: Node
            do {
                node = try Node.create(at: directory, store: store, clock: session.clock)
            } catch Node.OpenError.alreadyExists(let place) where place == store.display {
                throw CommandFailure(.cannotCreate, "\(store.display) already holds a node; to serve it from this machine too, add it: "
                                     + "outpost node init \(directory.path) --store URI --existing")
            }
            session.print("Created node on \(store.display); its connection string is in \(directory.appendingPathComponent(Node.storeFileName).path). "
                          + "Next: outpost node plans import --node \(node.directory.path) --builtin; outpost node reseller add ID --name NAME --node \(node.directory.path)")
        })

    /// The PostgreSQL store `node init` was given: `--store`, or `OUTPOST_NODE_STORE`; `nil` for a SQLite node.
    /// Refused before anything is written: a `--store` with a password (it would be in `/proc/PID/cmdline`),
    /// one that is not a connection string, and one that differs from the environment's.
    static func chosenStore(_ invocation: Invocation, _ session: Session) throws -> PostgresConnectionString? {
        let variable = PostgresConnectionString.environmentVariable
        var fromOption: PostgresConnectionString?
        if let text = invocation.value("store") {
            do {
                fromOption = try PostgresConnectionString(text, source: "--store")
            } catch {
                throw UsageError(message: error.description, command: invocation.command.name)
            }
            if fromOption?.hasPassword == true {
                throw UsageError(message: "--store must not hold a password: the command line is readable by every local user. "
                                     + "Put the password in ~/.pgpass (or the file PGPASSFILE names), or give the whole connection string in \(variable)",
                                 command: invocation.command.name)
            }
        }
        var fromEnvironment: PostgresConnectionString?
        if let text = session.environment[variable], !text.isEmpty {
            do {
                fromEnvironment = try PostgresConnectionString(text, source: variable)
            } catch {
                throw CommandFailure(.config, error.description)
            }
        }
        if let fromOption, let fromEnvironment, fromOption.connectionText != fromEnvironment.connectionText {
            throw UsageError(message: "--store (\(fromOption.display)) and \(variable) (\(fromEnvironment.display)) differ; give one of them",
                             command: invocation.command.name)
        }
        return fromOption ?? fromEnvironment
    }

    static let resellerAdd = CommandSpec(
        ["node", "reseller", "add"], "add a reseller (its own database, the catalog, its settings)",
        arguments: [.init("ID", "reseller id: lowercase letters, digits, hyphens")],
        options: [
            .init("name", value: "NAME", required: true, "the reseller's company name"),
            .init("currency", value: "CODE", "ISO 4217 currency (default EUR)"),
            nodeOption,
        ],
        usesReplica: false,
        run: { invocation, session in
            let node = try openNodeNamed(invocation, session)
            try node.addReseller(id: invocation.argument(0), name: invocation.required("name"), currency: invocation.value("currency") ?? "EUR")
            session.print("Added reseller \(invocation.argument(0)). Issue a token with: outpost node token issue --reseller \(invocation.argument(0)) --user NAME")
        })

    static let resellerList = CommandSpec(
        ["node", "reseller", "list"], "list the node's resellers",
        options: [nodeOption],
        usesReplica: false, printsJSON: true,
        run: { invocation, session in
            let node = try openNode(invocation, session)
            let resellers = try node.resellers()
            if invocation.json {
                struct Entry: Encodable { let id: String; let name: String; let currency: String }
                return try JSONOutput.print(resellers.map { Entry(id: $0.id, name: $0.name, currency: $0.currency) }, to: session)
            }
            var table = TextTable("ID", "NAME", "CURRENCY")
            for reseller in resellers { table.add(reseller.id, reseller.name, reseller.currency) }
            session.print(table.render(empty: "No resellers yet."))
        })

    static let tokenIssue = CommandSpec(
        ["node", "token", "issue"], "issue a bearer token for a reseller's user (printed once; only its hash is kept)",
        options: [
            .init("reseller", value: "ID", required: true, "the reseller"),
            .init("user", value: "NAME", required: true, "the user it is for"),
            .init("expires", value: "DURATION", "stop it working after this long, like 90d, 12h or 30m (default: never); an expired token gets 401"),
            nodeOption,
        ],
        usesReplica: false,
        run: { invocation, session in
            var expiresAt: Timestamp?
            if let text = invocation.value("expires") {
                guard let seconds = StatusCommand.seconds(text), seconds > 0 else {
                    throw CommandFailure(.dataError, "--expires '\(text)' is not a duration: write a whole number above 0 and a unit, like 90d, 12h or 30m")
                }
                expiresAt = session.clock.now().adding(seconds: seconds)
            }
            let node = try openNode(invocation, session)
            let issued = try node.issueToken(resellerId: invocation.required("reseller"), username: invocation.required("user"), expiresAt: expiresAt)
            let expiry = expiresAt.map { ", expires \($0)" } ?? ""
            session.printError("Token \(issued.id) for \(invocation.required("user"))@\(invocation.required("reseller"))\(expiry); keep it secret, it is not shown again:")
            session.print(issued.token)
        })

    static let tokenList = CommandSpec(
        ["node", "token", "list"], "list the node's tokens: whose, created, expires, last used, and whether each still works (never the tokens themselves)",
        options: [.init("reseller", value: "ID", "only this reseller's tokens"), nodeOption],
        usesReplica: false, printsJSON: true,
        run: { invocation, session in
            let node = try openNode(invocation, session)
            let tokens = try node.tokens(resellerId: invocation.value("reseller"))
            if invocation.json { return try JSONOutput.print(tokens, to: session) }
            var table = TextTable("ID", "RESELLER", "USER", "CREATED", "EXPIRES", "LAST USED", "STATE")
            for token in tokens {
                table.add(token.id, token.resellerId, token.username, token.createdAt, token.expiresAt ?? "never", token.lastUsedAt ?? "never",
                          token.revokedAt.map { "revoked \($0)" } ?? token.state.rawValue)
            }
            session.print(table.render(empty: "No tokens yet. Issue one with: outpost node token issue --reseller ID --user NAME"))
        })

    static let tokenRevoke = CommandSpec(
        ["node", "token", "revoke"], "revoke a token by its id (tok_…)",
        arguments: [.init("TOKEN_ID", "the token's id, as printed when issued")],
        options: [nodeOption],
        usesReplica: false,
        run: { invocation, session in
            let node = try openNodeNamed(invocation, session)
            try node.revokeToken(id: invocation.argument(0))
            session.print("Revoked \(invocation.argument(0)).")
        })

    static let plansImport = CommandSpec(
        ["node", "plans", "import"], "import a service-plan catalog (JSON as in fixtures/catalog.json) for every reseller",
        arguments: [.init("FILE", optional: true, "the catalog file; omit with --builtin")],
        options: [.init("builtin", "import the catalog built into outpost"), nodeOption],
        usesReplica: false,
        run: { invocation, session in
            let node = try openNodeNamed(invocation, session)
            let plans: [Plan]
            if invocation.flag("builtin") {
                plans = try Catalog.plans()
            } else {
                guard let file = invocation.optionalArgument(0) else {
                    throw UsageError(message: "give a catalog FILE or --builtin", command: invocation.command.name)
                }
                guard let data = FileManager.default.contents(atPath: file) else { throw CommandFailure(.noInput, "cannot read \(file)") }
                do {
                    plans = try Catalog.load(json: data)
                } catch {
                    throw CommandFailure(.dataError, "\(file): \(error)")
                }
            }
            try node.upsertPlans(plans)
            session.print("Imported \(plans.count) plans.")
        })

    static let planOptions: [CommandSpec.Option] = [
        .init("name", value: "NAME", "plan name"),
        .init("vendor", value: "NAME", "vendor"),
        .init("kind", value: "KIND", "subscription, domain, ssl or license"),
        .init("period", value: "PERIOD", "monthly or annual"),
        .init("cost", value: "AMOUNT", "cost per unit and period, like 4.60"),
        .init("currency", value: "CODE", "currency of the cost (default EUR)"),
        .init("ssl-validation", value: "TYPE", "DV, OV or EV (SSL plans)"),
        .init("description", value: "TEXT", "description"),
        .init("available", value: "yes|no", "whether it can be ordered"),
        nodeOption,
    ]

    static func plan(from invocation: Invocation, base: Plan?) throws -> Plan {
        let currency = invocation.value("currency") ?? base?.currency ?? "EUR"
        guard let id = invocation.optionalArgument(0), IdentifierFactory.isValid(id, prefix: "pln") else {
            throw CommandFailure(.dataError, "plan id must look like pln_name (letters, digits, - and _)")
        }
        let cost = try invocation.value("cost").map { try OptionValue.money($0, option: "cost", currency: currency) } ?? base?.cost
        guard let cost else { throw UsageError(message: "give --cost", command: invocation.command.name) }
        let kind = try invocation.value("kind").map { try OptionValue.choice($0, Plan.Kind.self, option: "kind") } ?? base?.kind ?? .subscription
        let period = try invocation.value("period").map { try OptionValue.choice($0, Plan.BillingPeriod.self, option: "period") } ?? base?.billingPeriod ?? .monthly
        let validation = try invocation.value("ssl-validation").map { try OptionValue.choice($0, Plan.SSLValidation.self, option: "ssl-validation") } ?? base?.sslValidation
        guard (kind == .ssl) == (validation != nil) else {
            throw CommandFailure(.dataError, "--ssl-validation is required for ssl plans and only for them")
        }
        var available = base?.available ?? true
        if let text = invocation.value("available") {
            guard text == "yes" || text == "no" else { throw CommandFailure(.dataError, "--available must be yes or no") }
            available = text == "yes"
        }
        let name = try FieldRules.requiredText(invocation.value("name") ?? base?.name ?? "", field: "name")
        return Plan(id: id, name: name, vendor: invocation.value("vendor") ?? base?.vendor ?? "", kind: kind, billingPeriod: period,
                    cost: cost, currency: currency, sslValidation: validation, description: invocation.value("description") ?? base?.description ?? "",
                    available: available)
    }

    static let planAdd = CommandSpec(
        ["node", "plan", "add"], "add a service plan to the catalog",
        arguments: [.init("ID", "plan id, pln_…")],
        options: planOptions,
        usesReplica: false,
        run: { invocation, session in
            let node = try openNodeNamed(invocation, session)
            let id = invocation.argument(0)
            guard try node.catalog().first(where: { $0.id == id }) == nil else { throw CommandFailure(.dataError, "plan \(id) already exists; use node plan edit") }
            try node.upsertPlans([try plan(from: invocation, base: nil)])
            session.print("Added plan \(id).")
        })

    static let planEdit = CommandSpec(
        ["node", "plan", "edit"], "change a service plan (cost, availability, name…)",
        arguments: [.init("ID", "plan id, pln_…")],
        options: planOptions,
        usesReplica: false,
        run: { invocation, session in
            let node = try openNodeNamed(invocation, session)
            let id = invocation.argument(0)
            guard let base = try node.catalog().first(where: { $0.id == id }) else { throw CommandFailure(.dataError, "no plan \(id) in the catalog") }
            try node.upsertPlans([try plan(from: invocation, base: base)])
            session.print("Updated plan \(id).")
        })

    /// For commands whose positional argument is not the node directory.
    static func openNodeNamed(_ invocation: Invocation, _ session: Session) throws -> Node {
        try Node.open(try nodeDirectory(Invocation(command: invocation.command, arguments: [], values: invocation.values, flags: invocation.flags), session), clock: session.clock)
    }

    static let compact = CommandSpec(
        ["node", "compact"], "shrink the change log to the latest change per row (old replicas get a snapshot)",
        arguments: [.init("DIR", "the node directory")],
        usesReplica: false,
        run: { invocation, session in
            let node = try BackOfficeCommands.openNode(invocation, session)
            // One compaction at a time per node, from any machine.
            let lock = try BackOfficeCommands.backOffice { try node.lock(.compact) }
            defer { withExtendedLifetime(lock) {} }
            for reseller in try node.resellers() {
                let result = try node.tenant(reseller.id).compact()
                session.print("\(reseller.id): removed \(result.removed) change(s), kept \(result.kept); horizon \(result.horizon)")
            }
        })

    static let backup = CommandSpec(
        ["node", "backup"], "copy every database of the node into one file, consistently, while it serves",
        arguments: [.init("DIR", "the node directory")],
        options: [.init("to", value: "FILE", required: true, "the backup file to write")],
        discussion: """
            For a node of SQLite files. A node that lives in PostgreSQL (node init --store) is refused (exit 69):
            back it up with PostgreSQL's own tools, which copy it consistently while it serves — pg_dump -Fc for a
            copy (brought back with pg_restore), or continuous archiving (WAL, with a base backup from
            pg_basebackup) for point-in-time recovery.
            """,
        usesReplica: false,
        run: { invocation, session in
            let directory = URL(fileURLWithPath: invocation.argument(0))
            try refuseOnPostgres(directory, "backed up")
            let node = try Node.open(directory, clock: session.clock)
            let file = URL(fileURLWithPath: invocation.required("to"))
            guard FileManager.default.fileExists(atPath: file.deletingLastPathComponent().path) else {
                throw CommandFailure(.cannotCreate, "cannot write \(file.path): its directory does not exist")
            }
            do {
                let names = try NodeBackup.backup(node, to: file)
                session.print("Backed up \(names.count) database(s) to \(file.path)")
            } catch let failure as NodeBackup.Failure {
                throw CommandFailure(.cannotCreate, failure.message)
            }
        })

    static let restore = CommandSpec(
        ["node", "restore"], "bring a node back from a backup file into a new directory",
        arguments: [.init("FILE", "the backup file")],
        options: [.init("to", value: "DIR", required: true, "the directory to restore into (new or empty)")],
        discussion: """
            Restores a SQLite node. A node in PostgreSQL is restored with PostgreSQL's tools (pg_restore from a
            pg_dump, or a point-in-time recovery from continuous archiving); with OUTPOST_NODE_STORE set, or a --to
            DIR that serves a PostgreSQL node, this refuses (exit 69). To move a restored SQLite node into
            PostgreSQL, restore it into a directory, then use outpost node migrate.
            """,
        usesReplica: false,
        run: { invocation, session in
            let target = URL(fileURLWithPath: invocation.required("to"))
            try refuseOnPostgres(target, "restored")
            if let text = session.environment[PostgresConnectionString.environmentVariable], !text.isEmpty {
                throw CommandFailure(.unavailable, "\(PostgresConnectionString.environmentVariable) is set, but outpost node restore brings back SQLite nodes only; "
                                     + "restore a PostgreSQL node with pg_restore (from pg_dump -Fc) or a point-in-time recovery from continuous archiving (WAL), "
                                     + "or unset \(PostgresConnectionString.environmentVariable) to restore this backup into a directory")
            }
            do {
                let node = try NodeBackup.restore(from: URL(fileURLWithPath: invocation.argument(0)),
                                                  to: URL(fileURLWithPath: invocation.required("to")), clock: session.clock)
                session.print("Restored the node with \(try node.resellers().count) reseller(s) into \(node.directory.path)")
            } catch let failure as NodeBackup.Failure {
                throw CommandFailure(.dataError, failure.message)
            }
        })

    /// Refuses `node backup`/`restore` on a directory that serves a PostgreSQL node (exit 69), saying what to use.
    static func refuseOnPostgres(_ directory: URL, _ verb: String) throws {
        guard let store = try Node.storeLocation(of: directory) else { return }
        throw CommandFailure(.unavailable, "the node at \(directory.path) lives in PostgreSQL (\(store.display)) and is \(verb) with PostgreSQL's own tools, "
                             + "not outpost node backup/restore: pg_dump -Fc and pg_restore for a copy, or continuous archiving (WAL, with pg_basebackup) "
                             + "for point-in-time recovery")
    }

    static let status = CommandSpec(
        ["node", "status"], "show each reseller's change log, replicas, verdicts, open orders and last exchange",
        arguments: [.init("DIR", "the node directory")],
        usesReplica: false, printsJSON: true,
        run: { invocation, session in
            let node = try Node.open(URL(fileURLWithPath: invocation.argument(0)), clock: session.clock)
            let status = try node.status()
            // A PostgreSQL node's databases are the server's to guard; its directory still holds the store file.
            FileModeWarnings.print(for: try node.privateFiles(), to: session)
            if invocation.json { return try JSONOutput.print(status, to: session) }
            if let store = node.postgresStore { session.print("Store: PostgreSQL \(store.display)") }
            var table = TextTable("RESELLER", "HEAD", "HORIZON", "LOG", "REPLICAS", "VERDICTS", "REFUSED", "OPEN ORDERS", "TO SETTLE", "TOKENS", "LAST EXCHANGE")
            for s in status {
                table.add(s.id, String(s.head), String(s.horizon), String(s.logEntries), String(s.replicas), String(s.verdicts), String(s.refused),
                          String(s.openOrders), String(s.ordersToSettle), String(s.activeTokens), s.lastExchange ?? "never")
            }
            session.print(table.render(empty: "No resellers yet. Add one with: outpost node reseller add ID --name NAME"))
            let toSettle = status.reduce(0) { $0 + $1.ordersToSettle }
            if toSettle > 0 {
                session.print("\(toSettle) order(s) completed at the vendor but not applied; fix the cause, then: outpost node order resubmit ORD-… --node \(node.directory.path)")
            }
        })

    static let exchange = CommandSpec(
        ["node", "exchange"], "speak the sync protocol on stdin/stdout (the far end of ssh:// locations)",
        arguments: [.init("DIR", "the node directory")],
        usesReplica: false,
        run: { invocation, session in
            let node = try Node.open(URL(fileURLWithPath: invocation.argument(0)), clock: session.clock)
            StdioFraming.serve(node: node, input: .standardInput, output: .standardOutput, source: "ssh")
        })
}
