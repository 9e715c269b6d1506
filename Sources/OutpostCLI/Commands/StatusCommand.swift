import Foundation
import OutpostModel
import OutpostSite
import OutpostSync

/// `outpost status`: how this replica stands with its node, for people and for monitoring.
enum StatusCommand {
    static let all: [CommandSpec] = [status]

    /// `90s`, `15m`, `2h`, `1d` in seconds; `nil` for anything else.
    static func seconds(_ text: String) -> Int64? {
        guard let unit = text.last, let value = Int64(text.dropLast()), value >= 0 else { return nil }
        let scale: Int64
        switch unit {
        case "s": scale = 1
        case "m": scale = 60
        case "h": scale = 3600
        case "d": scale = 86_400
        default: return nil
        }
        // A limit too large to count in seconds is no duration either (and must not trap).
        let (seconds, overflow) = value.multipliedReportingOverflow(by: scale)
        return overflow ? nil : seconds
    }

    struct Report: Encodable {
        let replica: String
        let node: String?
        let cursor: Int64
        let lastSuccessfulSync: String?
        let ageSeconds: Int64?
        let lastResult: String?
        let lastMessage: String?
        let pending: Int
        let rejected: Int
        let conflicts: Int
        let site: String
        let siteBuilt: Bool
    }

    static let status = CommandSpec(
        ["status"], "show the last sync, its age and result, what is pending, refused or conflicting",
        options: [
            .init("check", "exit 1 with a one-line reason when the replica is stale or needs attention, 78 when its file is damaged (for monitoring)"),
            .init("max-age", value: "DURATION", "with --check: the oldest acceptable last successful sync, like 30m, 2h or 1d (default 1h)"),
        ],
        printsJSON: true,
        run: { invocation, session in
            // Checked whether or not --check is given: a mistyped limit must not pass unnoticed in a monitoring line.
            let maxAgeText = invocation.value("max-age") ?? "1h"
            guard let maxAge = seconds(maxAgeText) else {
                throw CommandFailure(.dataError, "--max-age '\(maxAgeText)' is not a duration: write a whole number and a unit, like 90s, 30m, 2h or 1d")
            }
            let replica = try session.openReplica(invocation)
            if invocation.flag("check") { try ReplicaCommands.requireSound(replica) }
            let state = try SyncStatus.load(from: replica.db)
            let now = session.clock.now()
            let last = state.lastSuccessfulRun?.finishedAt ?? state.lastSuccessfulRun?.startedAt
            let age = last.map { now.secondsSinceEpoch - $0.secondsSinceEpoch }
            let site = try SyncCommands.siteOutput(replica)
            let ownFiles = [Replica.databaseName, Replica.databaseName + "-wal", Replica.databaseName + "-shm", ReplicaLock.fileName, SyncCommands.tokenFileName]
                .map { replica.directory.appendingPathComponent($0).path }.filter { FileManager.default.fileExists(atPath: $0) }
            FileModeWarnings.print(for: ownFiles + SiteBuilder.stateFiles(replica: replica.directory, site: site), to: session)
            let report = Report(
                replica: replica.directory.path, node: state.node, cursor: state.cursor, lastSuccessfulSync: last?.description,
                ageSeconds: age, lastResult: state.lastRun?.result, lastMessage: state.lastRun.flatMap { $0.message.isEmpty ? nil : $0.message },
                pending: state.pending, rejected: state.rejected, conflicts: state.conflicts, site: site.path,
                siteBuilt: FileManager.default.fileExists(atPath: site.appendingPathComponent("index.html").path))
            if invocation.flag("check") {
                var reason: String?
                if state.node == nil { reason = "not attached to a node" }
                else if age == nil { reason = "never synced successfully" }
                else if let age, age > maxAge { reason = "last successful sync \(age / 60) min ago (limit \(maxAgeText))" }
                else if state.lastRun?.result == "failed" { reason = "the last sync failed: \(state.lastRun?.message ?? "")" }
                else if state.rejected > 0 { reason = "\(Plural.count(state.rejected, "change")) refused by the node; see outpost queue rejected" }
                else if state.conflicts > 0 { reason = "\(Plural.count(state.conflicts, "open conflict")); see outpost conflicts, settle with outpost conflicts resolve" }
                if let reason { throw CommandFailure(.attention, "CHECK FAILED: \(reason)") }
                if !invocation.json { return session.print("OK: last successful sync \((age ?? 0) / 60) min ago, \(state.pending) pending") }
            }
            if invocation.json { return try JSONOutput.print(report, to: session) }
            session.print("Replica:   \(report.replica)")
            session.print("Node:      \(report.node ?? "(none: not attached)")")
            if let last {
                session.print("Last sync: \(last) (\((age ?? 0) / 60) min ago), cursor \(report.cursor)")
            } else {
                session.print("Last sync: never")
            }
            if let result = report.lastResult { session.print("Result:    \(result)\(report.lastMessage.map { " — \($0)" } ?? "")") }
            session.print("Pending:   \(report.pending), refused: \(report.rejected), conflicts: \(report.conflicts)")
            session.print("Site:      \(report.site)\(report.siteBuilt ? "" : " (not built yet)")")
        })
}
