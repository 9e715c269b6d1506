import Foundation
import OutpostStore
import OutpostSync

/// `node migrate`: moves a SQLite node into PostgreSQL, so its replicas sync on without a new init.
enum NodeMigrateCommand {
    static let spec = CommandSpec(
        ["node", "migrate"], "copy a SQLite node into an empty PostgreSQL database; its replicas sync on without a new init",
        options: [
            .init("from", value: "DIR", required: true, "the SQLite node's directory (stop its node serve and back-office jobs first)"),
            .init("to", value: "URI", "the empty PostgreSQL database (postgresql://user@host/db, no password; default: $OUTPOST_NODE_STORE)"),
            .init("into", value: "DIR2", required: true, "the new node directory to serve from: made, and given the connection string in DIR2/store"),
        ],
        discussion: """
            Copies everything the node holds: resellers, tokens (hashes, expiry, last use, revocations), the
            catalog, and each reseller's database whole: its rows, its change log with its versions, its verdicts
            (the exactly-once record of every (replica, seq)), conflicts, notices and back-office state. Replicas
            keep their cursors and tokens: their next sync pulls what follows, and their digests agree.

            Stop every outpost node serve and back-office job (provision, bill, notify, compact) of DIR first.
            Each database is copied inside one read transaction, and a node written to during the copy is
            refused. The copy is one PostgreSQL transaction: it commits only after every reseller's row counts and
            digests were compared with the source's; a failure leaves the database as it was. A database that
            already holds a node is refused (exit 73). DIR is left as it was, to fall back to.

            The node then lives in the database, and DIR2 serves it: outpost node serve DIR2, OUTPOST_NODE=DIR2
            for the back-office jobs. Replicas that reach the node over http(s):// or ssh:// carry on as they are;
            a replica whose node is the path DIR itself: move DIR aside and DIR2 into its place.
            The password, as for node init --store: never in --to; in ~/.pgpass, or the whole string in OUTPOST_NODE_STORE.
            """,
        usesReplica: false, printsJSON: true,
        run: { invocation, session in
            let source = URL(fileURLWithPath: invocation.required("from"))
            let into = URL(fileURLWithPath: invocation.required("into"))
            let store = try target(invocation, session)
            // Refused before anything is copied: DIR2 must not hold a node (nor be DIR itself).
            for name in [Node.registryName, Node.storeFileName] where FileManager.default.fileExists(atPath: into.appendingPathComponent(name).path) {
                throw CommandFailure(.cannotCreate, "\(into.path) already holds a node; --into names a new directory for the migrated node")
            }
            let report: NodeMigration.Report
            do {
                report = try NodeMigration.run(from: source, to: store, clock: session.clock) { copy in
                    if !invocation.json {
                        session.printError("Copied \(copy.id): \(copy.rows) rows, change log \(copy.changeLogEntries) entries up to version \(copy.changeLogHead), \(copy.verdicts) verdicts; digests agree")
                    }
                }
            } catch let failure as NodeMigration.Failure {
                switch failure {
                case .targetHoldsNode: throw CommandFailure(.cannotCreate, failure.description)
                case .sourceChanged: throw CommandFailure(.tempFail, failure.description)
                case .digestsDiffer, .rowsDiffer: throw CommandFailure(.software, failure.description)
                }
            }
            let node = try Node.attach(at: into, store: store, clock: session.clock)
            if invocation.json {
                struct Output: Encodable {
                    let from: String, to: String, node: String
                    let report: NodeMigration.Report
                }
                return try JSONOutput.print(Output(from: source.path, to: store.display, node: node.directory.path, report: report), to: session)
            }
            let rows = report.resellers.reduce(0) { $0 + $1.rows }
            session.print("Migrated \(report.resellers.count) reseller(s), \(rows) rows, \(report.tokens) token(s), \(report.plans) plan(s) "
                          + "from \(source.path) to \(store.display); every reseller's digests agree with the source.")
            session.print("The node now lives in \(store.display), served from \(node.directory.path) (its connection string is in "
                          + "\(node.directory.appendingPathComponent(Node.storeFileName).path)). Next: stop outpost node serve \(source.path); "
                          + "outpost node serve \(node.directory.path); OUTPOST_NODE=\(node.directory.path) for node jobs. "
                          + "Replicas over http(s) or ssh sync on as they are; \(source.path) is left as it was.")
        })

    /// The database to migrate into: `--to`, or `OUTPOST_NODE_STORE`. Refused before anything is read: a `--to`
    /// with a password (it would be in `/proc/PID/cmdline`), one that is not a connection string, none at all.
    static func target(_ invocation: Invocation, _ session: Session) throws -> PostgresConnectionString {
        let variable = PostgresConnectionString.environmentVariable
        if let text = invocation.value("to") {
            let store: PostgresConnectionString
            do {
                store = try PostgresConnectionString(text, source: "--to")
            } catch {
                throw UsageError(message: error.description, command: invocation.command.name)
            }
            guard !store.hasPassword else {
                throw UsageError(message: "--to must not hold a password: the command line is readable by every local user. "
                                     + "Put the password in ~/.pgpass (or the file PGPASSFILE names), or give the whole connection string in \(variable)",
                                 command: invocation.command.name)
            }
            return store
        }
        guard let text = session.environment[variable], !text.isEmpty else {
            throw UsageError(message: "no target database: pass --to postgresql://user@host/db or set \(variable)", command: invocation.command.name)
        }
        do {
            return try PostgresConnectionString(text, source: variable)
        } catch {
            throw CommandFailure(.config, error.description)
        }
    }
}
