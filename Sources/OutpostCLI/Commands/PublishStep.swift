import Foundation
import OutpostModel
import OutpostSite
import OutpostSync

/// The last step of `outpost sync`: publish the rendered site as the replica's config says — into a
/// directory on a mounted file server (`publish`), or by running a command such as an `rsync` line
/// (`publish_command`). A failure is reported as a warning; the sync and the rendered site stay.
enum PublishStep {
    /// Runs whichever publish step is configured (`init` and `config set` keep at most one).
    /// `timeLimit` bounds a publish command; `nil` gives it `PublishCommand.defaultTimeLimit`.
    static func run(site: URL, replica: Replica, timeLimit: TimeInterval?, log: SyncLog, session: Session) throws {
        let directory = try ReplicaConfig.value(.publish, of: replica)
        let command = try ReplicaConfig.value(.publishCommand, of: replica)
        guard directory != nil || command != nil else {
            // Nothing publishes this site: the lists of files to publish would only grow.
            try? UnpublishedFiles.published(replica: replica.directory, site: site)
            return
        }
        // Hold the site's build lock while publishing: another build into the same directory waits for us.
        let lock: FileLock
        do {
            lock = try FileLock.acquire(SiteBuilder.lockFile(replica: replica.directory, site: site).path, wait: 30)
        } catch {
            let reason = if case .busy = error { "another site build is writing to \(site.path)" } else { "cannot lock \(site.path): \(error)" }
            failed(reason, site: site, fields: [], log: log, session: session)
            return
        }
        defer { withExtendedLifetime(lock) {} }
        // What the builds wrote and removed since the last publish; forgotten once every configured step succeeded.
        var succeeded = true
        if let target = directory {
            do {
                let published = try SitePublisher.publish(site: site, to: URL(fileURLWithPath: target))
                log.log("info", "site.published", [("copied", .integer(Int64(published.copied))), ("removed", .integer(Int64(published.removed)))])
            } catch {
                succeeded = false
                failed("\(error)", site: site, fields: [], log: log, session: session)
            }
        }
        if let command {
            // The command text is the user's config and may hold a password; it is never logged.
            let publisher = PublishCommand(command: command, environment: session.environment,
                                           timeLimit: timeLimit ?? PublishCommand.defaultTimeLimit)
            do {
                let unpublished = try UnpublishedFiles.load(replica: replica.directory, site: site)
                let files = try unpublished.write(replica: replica.directory, site: site)
                try publisher.publish(site: site, from: replica.directory, files: files)
                log.log("info", "site.published", [("command", .bool(true)), ("changed", .integer(Int64(unpublished.changed.count))),
                                                   ("removed", .integer(Int64(unpublished.removed.count)))])
            } catch {
                succeeded = false
                var fields: [(String, JSONValue)] = [("command", .bool(true))]
                switch (error as? PublishCommand.Failure)?.termination {
                case .exited(let status)?: fields.append(("status", .integer(Int64(status))))
                case .signalled(let signal)?: fields.append(("signal", .integer(Int64(signal))))
                case .timedOut?: fields.append(("timed_out", .bool(true)))
                case nil: break
                }
                failed("\(error)", site: site, fields: fields, log: log, session: session)
            }
        }
        if succeeded {
            do {
                try UnpublishedFiles.published(replica: replica.directory, site: site)
            } catch {
                log.log("warning", "publish.failed", [("reason", .string("the site was published, but its list of changed files was not cleared: \(error)"))])
            }
        }
    }

    /// The same log line and warning for both forms.
    private static func failed(_ reason: String, site: URL, fields: [(String, JSONValue)], log: SyncLog, session: Session) {
        log.log("warning", "publish.failed", fields + [("reason", .string(reason))])
        session.printError("Warning: the sync succeeded and the site is rendered in \(site.path), but publishing failed: \(reason)")
    }
}
