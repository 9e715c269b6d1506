import Foundation
import OutpostModel
import OutpostSite

/// `site build`: renders the read-only dashboard site from the replica.
enum SiteCommands {
    static let all: [CommandSpec] = [build]

    /// Where the site goes unless `--out` says otherwise: `site/` inside the replica directory.
    static func defaultOutput(replica: URL) -> URL { replica.appendingPathComponent("site", isDirectory: true) }

    static let build = CommandSpec(
        ["site", "build"], "render the dashboard site (static HTML) from the replica",
        options: [
            .init("out", value: "DIR", "where to write the site (default: site/ in the replica directory)"),
            .init("theme", value: "DIR", "use the theme (outpost.css, outpost.js) in DIR instead of the built-in one"),
            .init("full", "check and rewrite every file instead of only the pages whose data changed"),
        ],
        discussion: """
        The site opens from a file server or straight from disk (file://); every link is relative.
        Builds are incremental: only pages whose data changed are rewritten, each through a temporary
        file and a rename, and files that no longer belong are removed last. The same data always gives
        the same bytes. Overdue and expiring are worked out as of the last successful sync (or today
        when the replica has never synced; OUTPOST_NOW pins it). On a terminal a one-line bar counts the
        pages while it builds.
        """,
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let output = invocation.value("out").map { URL(fileURLWithPath: $0) } ?? defaultOutput(replica: replica.directory)
            let theme: Theme
            do {
                theme = try invocation.value("theme").map { try Theme.load(from: URL(fileURLWithPath: $0)) } ?? .embedded
            } catch {
                throw CommandFailure(.noInput, "\(error)")
            }
            let report: SiteBuildReport
            do {
                let bar = ProgressBar.onTerminal(session, "site", unit: "pages")
                defer { bar?.finish() }
                var builder = SiteBuilder(db: replica.db, output: output, theme: theme, clock: session.clock)
                builder.progress = { bar?.update($0) }
                report = try builder.build(full: invocation.flag("full"))
                // The replica's own site: what it included is not needed again.
                if output.standardizedFileURL == (try SyncCommands.siteOutput(replica)).standardizedFileURL {
                    try SiteBuilder.pruneChangeFeed(replica.db, after: report)
                }
            } catch let error as SiteBuildError {
                if case .busy = error { throw CommandFailure(.tempFail, error.description) }
                throw CommandFailure(.cannotCreate, error.description)
            }
            if invocation.json {
                struct Result: Encodable {
                    let output: String
                    let report: SiteBuildReport
                }
                return try JSONOutput.print(Result(output: output.path, report: report), to: session)
            }
            let written = Plural.count(report.writtenCount, "file") + " written" + (report.writtenCount > 0 ? " (\(Format.bytes(report.writtenBytes)))" : "")
            session.print("Built the site in \(output.path) as of \(report.asOf): \(Plural.count(report.pages, "page")); "
                          + "\(written), \(report.removed.count) removed, \(report.unchanged) unchanged.")
            session.print("Open \(output.appendingPathComponent("index.html").path) in a browser, or publish the directory on any file server.")
        })
}
