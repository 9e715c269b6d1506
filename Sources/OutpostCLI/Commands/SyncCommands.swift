import Foundation
import OutpostModel
import OutpostStore
import OutpostSite
import OutpostSync

/// `push`, `pull`, `sync`, `conflicts`, `queue rejected`, `verify`: the replica's side of sync.
enum SyncCommands {
    static let all: [CommandSpec] = [push, pull, sync] + ConflictCommands.all + [rejected, verify]

    static let transportOptions: [CommandSpec.Option] = [
        .init("ssh-command", value: "CMD", "the ssh program for ssh:// nodes (default: ssh -o BatchMode=yes)"),
        .init("timeout", value: "SECONDS", "how long one request to the node may take (default 30)"),
        caFileOption,
    ]

    static let caFileOption = CommandSpec.Option(
        "ca-file", value: "FILE", "for https:// nodes: trust the CA certificates (PEM) in FILE instead of the system's "
        + "(default: $OUTPOST_CA_FILE, else the file given to init or config set, which keep it)")

    /// The CA file for https:// nodes: `--ca-file`, else `OUTPOST_CA_FILE`, else the one the replica was set up
    /// with (`saved`); `nil` for the system's store (which
    /// honours `SSL_CERT_FILE`). A file that cannot be read is refused before anything is sent.
    static func caFile(given: String?, _ session: Session, saved: String? = nil) throws -> String? {
        let environment = session.environment["OUTPOST_CA_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        guard let path = given ?? environment ?? saved else { return nil }
        let source = given != nil ? "--ca-file" : environment != nil ? "OUTPOST_CA_FILE" : "the replica's ca_file (outpost config set --ca-file)"
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw CommandFailure(.noInput, "\(source) \(path): no such file, or it cannot be read")
        }
        return path
    }

    /// The token file inside a replica directory (mode 0600).
    static let tokenFileName = "token"

    /// Opens the replica and a transport to its node.
    static func connect(_ invocation: Invocation, _ session: Session, replica opened: Replica? = nil,
                        requestTimeout: Double? = nil) throws -> ReplicaSync {
        let replica = try opened ?? session.openReplica(invocation)
        guard let location = try replica.db.scalar("SELECT value FROM replica_meta WHERE key = 'node'")?.string else {
            throw CommandFailure(.config, "replica \(replica.directory.path) has no node; create it with outpost init --node LOCATION --reseller ID")
        }
        let tokenURL = replica.directory.appendingPathComponent(tokenFileName)
        let token = (try? String(contentsOf: tokenURL, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        let parsed: NodeLocation
        do {
            parsed = try NodeLocation.parse(location)
        } catch {
            throw CommandFailure(.config, "replica config, key node: \(error)")
        }
        let timeout = try requestTimeout ?? invocation.value("timeout").map { Double(try OptionValue.integer($0, option: "timeout")) } ?? 30
        let ssh = invocation.value("ssh-command").map { $0.split(separator: " ").map(String.init) }
        return ReplicaSync(replica: replica, transport: try Transports.make(parsed, token: token, clock: session.clock, sshCommand: ssh, timeout: timeout,
                                                                            caFile: try caFile(given: invocation.value("ca-file"), session,
                                                                                                saved: ReplicaConfig.value(.caFile, of: replica))))
    }

    /// Maps sync failures to their exit codes.
    static func failure(_ error: any Error) -> any Error {
        switch error {
        case let error as SyncError:
            switch error.code {
            case .unauthorized: return CommandFailure(.noPermission, "the node refused the token: \(error.message)")
            case .unavailable: return CommandFailure(.tempFail, "the node is unavailable: \(error.message)")
            case .unsupportedProtocol: return CommandFailure(.config, error.message)
            case .internalError: return CommandFailure(.tempFail, "the node failed: \(error.message); try again later")
            // A node answers "no route" or "no operation" when the location's path is wrong: configuration, not data.
            case .notFound: return CommandFailure(.config, "the node does not know this address: \(error.message); check the replica's node (outpost config show)")
            case .malformed, .tooLarge, .seqGap, .seqReused: return CommandFailure(.dataError, error.message)
            }
        case let error as TransportError:
            switch error.kind {
            case .unavailable: return CommandFailure(.tempFail, error.message)
            case .configuration: return CommandFailure(.config, error.message)
            case .notANode: return CommandFailure(.config, "\(error.message); check the replica's node (outpost config show)")
            case .protocolViolation: return CommandFailure(.dataError, error.message)
            case .notAllowed: return CommandFailure(.noPermission, error.message)
            }
        default:
            return error
        }
    }

    static let push = CommandSpec(
        ["push"], "send queued changes to the node and record its verdicts",
        options: transportOptions, printsJSON: true,
        run: { invocation, session in
            let sync = try connect(invocation, session)
            do {
                let report = try sync.push()
                if invocation.json {
                    struct Out: Encodable { let sent: Int; let applied: Int; let refused: Int; let conflicts: Int; let overwritten: [String] }
                    try JSONOutput.print(Out(sent: report.sent, applied: report.applied, refused: report.refused, conflicts: report.conflicts,
                                             overwritten: report.overwritten), to: session)
                } else {
                    if let line = report.recoveryLine { session.print(line) }
                    session.print("Pushed \(report.sent): \(report.applied) applied, \(report.refused) refused, \(report.conflicts) with conflicts.")
                    printLosses(report.overwritten, session)
                }
                try attention(refused: report.refused, overwritten: report.overwritten.count)
            } catch let failure as CommandFailure { throw failure } catch { throw failure(error) }
        })

    static let pull = CommandSpec(
        ["pull"], "fetch the node's changes and rebase the queue on them",
        options: transportOptions,
        discussion: "When standard error is a terminal, a one-line bar counts the changes as the pages arrive.",
        printsJSON: true,
        run: { invocation, session in
            let sync = try connect(invocation, session)
            let bar = ProgressBar.onTerminal(session, "pull", unit: "changes")
            sync.pullProgress = { bar?.update($0.changes) }
            do {
                defer { bar?.finish() }
                let report = try sync.pull()
                if invocation.json {
                    struct Out: Encodable { let pages: Int; let changes: Int; let cursor: Int64; let snapshots: [String]; let overwritten: [String] }
                    try JSONOutput.print(Out(pages: report.pages, changes: report.changes, cursor: report.cursor, snapshots: report.snapshots,
                                             overwritten: report.overwritten), to: session)
                    return try attention(refused: 0, overwritten: report.overwritten.count)
                }
                if let line = report.recoveryLine { session.print(line) }
                session.print("Pulled \(Plural.count(report.changes, "change")) in \(Plural.count(report.pages, "page")); cursor \(report.cursor).")
                if !report.snapshots.isEmpty { session.print("Re-fetched whole: \(report.snapshots.joined(separator: ", ")).") }
                printLosses(report.overwritten, session)
                try attention(refused: 0, overwritten: report.overwritten.count)
            } catch let failure as CommandFailure { throw failure } catch { throw failure(error) }
        })

    /// One line per edit of this laptop's that lost to a later one (entity, field, your value, the kept value).
    static func printLosses(_ lines: [String], _ session: Session) {
        for line in lines { session.print("Overwritten: \(line)") }
    }

    /// Exit 1 when something this laptop sent was refused or lost to a later edit; the winning side of a conflict is not told.
    static func attention(refused: Int, overwritten: Int) throws {
        guard refused > 0 || overwritten > 0 else { return }
        var parts: [String] = []
        if refused > 0 { parts.append("\(Plural.count(refused, "change")) refused (see outpost queue rejected)") }
        if overwritten > 0 { parts.append("\(overwritten) of your \(overwritten == 1 ? "edits was" : "edits were") overwritten by later ones (see outpost conflicts; settle with outpost conflicts resolve)") }
        throw CommandFailure(.attention, parts.joined(separator: " and "))
    }

    /// Where a replica's dashboards go: `site` in its config, else `site/` in the replica directory.
    static func siteOutput(_ replica: Replica) throws -> URL {
        if let configured = try ReplicaConfig.value(.site, of: replica) {
            return URL(fileURLWithPath: configured)
        }
        return SiteCommands.defaultOutput(replica: replica.directory)
    }

    static let sync = CommandSpec(
        ["sync"], "push, then pull: the replica and the node agree afterwards; then the dashboards are rendered",
        options: [
            .init("ssh-command", value: "CMD", "the ssh program for ssh:// nodes (default: ssh -o BatchMode=yes)"),
            .init("timeout", value: "SECONDS", "give up after this long, retries included (default 120); also the limit of a publish command (default 600)"),
            .init("wait", value: "SECONDS", "when another sync holds this replica, wait this long for it (default 0: exit 75 at once)"),
            .init("quiet", "print nothing when all is well (for cron: only problems are mailed)"),
            LogFormat.option,
            .init("no-site", "do not render the dashboards after the sync"),
            caFileOption,
        ],
        discussion: """
        Made for cron and systemd timers: one run at a time per replica; unreachable, busy or failing
        nodes are retried with exponential backoff and jitter until --timeout; a refused token or a
        configuration problem is not retried. After a sync that changed something (or when the site does
        not exist yet) the dashboards are rebuilt, incrementally, in site/ inside the replica (or where
        init --site said). When standard error is a terminal (and neither --quiet nor --log-format json
        is given), a one-line bar shows the pull and the site build; elsewhere nothing of it is printed.

        Then the site is published, when the replica's config says how (init --publish DIR or
        --publish-command CMD; change it with outpost config set). A directory on a mounted file server
        gets every changed file through a temporary name and a rename. A command, like
        rsync -a --delete --exclude '.*' "$OUTPOST_SITE/" www@files:/var/www/outpost/, runs as
        /bin/sh -c CMD in the replica directory, with OUTPOST_SITE set to the site's absolute path and
        stdin from /dev/null; its output is shown only when it fails (the end of its standard error), and
        after --timeout seconds (default 600), or when the sync is stopped, it is killed with all it
        started. A failed publish is a warning: the sync, its exit code and the rendered site stay, and
        the next sync tries again.
        With --no-site nothing is rendered or published.

        An edit of yours that lost to someone's later edit of the same field is told once, one line each
        (entity, field, your value, the kept value), and makes the sync exit 1; see outpost conflicts.

        First SQLite's quick check reads the replica: a damaged file stops the sync before anything is sent (exit 78),
        and outpost replica rescue saves its queued changes into a fresh replica.

        Verdicts received by an attempt that then failed count in the run's summary and exit code.

        A node that went back in time (restored from a backup, or a power loss) is mended by the sync: what it
        had acknowledged from this replica and lost is sent again (the replica keeps it 30 days), everything is
        re-fetched, and one line says so, also with --quiet.

        Exit codes: 0 in sync; 1 synced, but a change was refused or an edit of yours was overwritten; 64 usage; 65 bad data;
        74 the disk holding the replica is full (or another I/O failure);
        75 node unavailable (no connection, a timeout, a proxy's 502/503/504) or another sync running, try later;
        77 not allowed: the token is refused, ssh's authentication failed or the node's TLS certificate is not trusted;
        78 configuration (no node, the address answers but is not an Outpost node, a damaged replica: not retried).
        """,
        printsJSON: true,
        run: { invocation, session in
            let givenTimeout = try invocation.value("timeout").map { Double(try OptionValue.integer($0, option: "timeout")) }
            let timeout = givenTimeout ?? 120
            let wait = try invocation.value("wait").map { Double(try OptionValue.integer($0, option: "wait")) } ?? 0
            let format = try LogFormat.chosen(invocation)
            let quiet = invocation.flag("quiet")
            let replica = try session.openReplica(invocation)
            let lock = try ReplicaLock.acquire(directory: replica.directory, wait: wait)
            defer { withExtendedLifetime(lock) {} }
            try ReplicaCommands.requireSound(replica)
            let runId = replica.ids.make("run")
            let log = SyncLog(format: format, runId: runId, quiet: quiet, session: session)
            // A bar for the pull and the site build, on a terminal only, and not beside JSON log lines.
            let showsProgress = !quiet && format == .text
            let deadline = Date().addingTimeInterval(max(1, timeout))
            var attempt = 0
            var result: ReplicaSync.SyncReport?
            // Verdicts received by attempts that then failed: refused there, they are not sent again, so the
            // run's report and exit code must count them (cron hears of every refusal).
            var earlier = ReplicaSync.PushReport()
            while result == nil {
                attempt += 1
                var sync: ReplicaSync?
                do {
                    let remaining = deadline.timeIntervalSinceNow
                    sync = try connect(invocation, session, replica: replica, requestTimeout: max(1, min(30, remaining)))
                    let bar = ProgressBar.onTerminal(session, "pull", unit: "changes", enabled: showsProgress)
                    defer { bar?.finish() }
                    sync?.pullProgress = { bar?.update($0.changes) }
                    result = try sync?.sync(runId: runId, after: earlier)
                    // The connection ends here, before rendering and publishing: a publish command that leaves
                    // something running must not hold the ssh pipes (or the socket) open under us.
                } catch {
                    if let received = sync?.verdictsBeforeFailure { earlier.add(received) }
                    sync = nil
                    let failure = (SyncCommands.failure(error) as? CommandFailure) ?? Outpost.failure(for: error)
                    let pause = SyncRetry.backoff(after: attempt)
                    guard SyncRetry.isTransient(failure), deadline.timeIntervalSinceNow > pause else {
                        log.log("error", "sync.failed", [("attempt", .integer(Int64(attempt))), ("exit", .integer(Int64(failure.code.rawValue))),
                                                          ("reason", .string(failure.message))])
                        throw failure
                    }
                    log.log("warning", "sync.retry", [("attempt", .integer(Int64(attempt))), ("wait_ms", .integer(Int64(pause * 1000))),
                                                       ("reason", .string(failure.message))])
                    Thread.sleep(forTimeInterval: pause)
                }
            }
            guard let report = result else { return }
            // Render after a sync that changed something; a failed render is reported without losing the sync.
            let output = try siteOutput(replica)
            let changed = report.push.sent > 0 || report.push.resent > 0 || report.pull.changes > 0
            var written = 0
            if !invocation.flag("no-site"), changed || !FileManager.default.fileExists(atPath: output.appendingPathComponent("index.html").path) {
                do {
                    let bar = ProgressBar.onTerminal(session, "site", unit: "pages", enabled: showsProgress)
                    defer { bar?.finish() }
                    var builder = SiteBuilder(db: replica.db, output: output, clock: session.clock)
                    builder.progress = { bar?.update($0) }
                    let built = try builder.build()
                    written = built.writtenCount
                    try SiteBuilder.pruneChangeFeed(replica.db, after: built)
                } catch {
                    log.log("warning", "site.failed", [("reason", .string("\(error)"))])
                    session.printError("Warning: the sync succeeded, but the dashboards were not rendered: \(error)")
                }
            }
            if invocation.flag("no-site") { try? SiteBuilder.trimChangeFeed(replica.db) }
            // Publish when configured, after every sync that has a site (so a failed publish is tried again next
            // time); a failure is reported, the sync and the site stay.
            if !invocation.flag("no-site"), FileManager.default.fileExists(atPath: output.appendingPathComponent("index.html").path) {
                do {
                    try PublishStep.run(site: output, replica: replica, timeLimit: givenTimeout.map { max(1, $0) }, log: log, session: session)
                } catch {
                    // The publish settings could not be read: the sync stands all the same.
                    log.log("warning", "publish.failed", [("reason", .string("\(error)"))])
                    session.printError("Warning: the sync succeeded and the site is rendered in \(output.path), but publishing failed: \(error)")
                }
            }
            log.log("info", "sync.done", [
                ("attempts", .integer(Int64(attempt))), ("pushed", .integer(Int64(report.push.sent))), ("refused", .integer(Int64(report.push.refused))),
                ("conflicts", .integer(Int64(report.push.conflicts))), ("overwritten", .integer(Int64(report.overwritten.count))),
                ("pulled", .integer(Int64(report.pull.changes))), ("resent", .integer(Int64(report.push.resent))),
                ("cursor", .integer(report.pull.cursor)), ("site_files", .integer(Int64(written))),
            ])
            if invocation.json {
                struct Out: Encodable {
                    let run: String; let pushed: Int; let refused: Int; let conflicts: Int; let overwritten: [String]; let pulled: Int; let cursor: Int64
                    let resent: Int; let recovery: String?
                }
                try JSONOutput.print(Out(run: runId, pushed: report.push.sent, refused: report.push.refused, conflicts: report.push.conflicts,
                                         overwritten: report.overwritten, pulled: report.pull.changes, cursor: report.pull.cursor,
                                         resent: report.push.resent, recovery: report.recoveryLine), to: session)
            } else {
                // A node found behind is news even under --quiet: an admin should know it was restored or rolled back.
                if let line = report.recoveryLine { session.print(line) }
                if !quiet {
                    session.print("Synced: pushed \(report.push.sent) (\(report.push.refused) refused, \(report.push.conflicts) with conflicts), pulled \(report.pull.changes); cursor \(report.pull.cursor).")
                    if !report.pull.snapshots.isEmpty, report.recoveryLine == nil { session.print("Re-fetched whole: \(report.pull.snapshots.joined(separator: ", ")).") }
                    if written > 0 { session.print("Dashboards: \(Plural.count(written, "file")) written in \(output.path)") }
                }
            }
            // A lost edit is news even under --quiet: cron mails it.
            if !invocation.json { printLosses(report.overwritten, session) }
            try attention(refused: report.push.refused, overwritten: report.overwritten.count)
        })

    static let rejected = CommandSpec(
        ["queue", "rejected"], "list changes the node refused, with the reason",
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let rejected = try replica.queue.rejected()
            if invocation.json {
                struct Out: Encodable { let seq: Int64; let mutation: String; let args: JSONValue; let createdAt: String; let code: String; let message: String; let rejectedAt: String }
                return try JSONOutput.print(try rejected.map {
                    Out(seq: $0.seq, mutation: $0.mutation, args: try JSONValue(parsing: $0.args), createdAt: $0.createdAt.description,
                        code: $0.code, message: $0.message, rejectedAt: $0.rejectedAt.description)
                }, to: session)
            }
            var table = TextTable("SEQ", "MUTATION", "MADE AT", "CODE", "REASON")
            for entry in rejected { table.add("#\(entry.seq)", entry.mutation, entry.createdAt.description, entry.code, entry.message) }
            session.print(table.render(empty: "Nothing was refused."))
        })

    static let verify = CommandSpec(
        ["verify"], "compare this replica's tables with the node's, digest by digest",
        options: transportOptions, printsJSON: true,
        run: { invocation, session in
            let sync = try connect(invocation, session)
            let results: [(table: String, mine: TableDigest, node: TableDigest)]
            do { results = try sync.verify() } catch { throw failure(error) }
            let differing = results.filter { $0.mine != $0.node }
            if invocation.json {
                struct Out: Encodable { let table: String; let rows: Int64; let nodeRows: Int64; let equal: Bool }
                try JSONOutput.print(results.map { Out(table: $0.table, rows: $0.mine.rows, nodeRows: $0.node.rows, equal: $0.mine == $0.node) }, to: session)
            } else {
                for result in results {
                    session.print("\(result.mine == result.node ? "ok  " : "DIFF") \(result.table): \(result.mine.rows) row(s) here, \(result.node.rows) on the node")
                }
            }
            guard differing.isEmpty else {
                throw CommandFailure(.dataError, "\(differing.count) table(s) differ from the node: \(differing.map(\.table).joined(separator: ", "))")
            }
        })
}
