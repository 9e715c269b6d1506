import Foundation
import OutpostModel
import OutpostStore

/// The sync page and the freshness line every page shows.
///
/// The freshness line is written into every page by one small script of the
/// site root (`freshness.js`): it changes on every sync, and if it were copied
/// into each page, every sync would rewrite every page. Loaded by each page,
/// it stays current on pages an incremental build did not touch. Without
/// scripts a page shows a link to the sync page in its place.
enum SyncPages {
    static func build(in context: BuildContext, status: SyncStatus) throws {
        try freshness(in: context, status: status)
        try syncPage(in: context, status: status)
    }

    /// One sentence on how fresh the data is, and a warning when local changes are unsynced or rejected.
    static func freshnessLines(_ status: SyncStatus, today: BusinessDate) -> (text: String, warning: String?) {
        let text: String
        if let run = status.lastSuccessfulRun {
            text = "Data as of the last successful sync, \(SiteFormat.timestamp((run.finishedAt ?? run.startedAt).description)) (node cursor \(status.cursor))."
        } else {
            text = "Never synced with a node: this is the replica's own data as of \(today) (cursor \(status.cursor))."
        }
        var problems: [String] = []
        if status.pending > 0 { problems.append(status.pending == 1 ? "1 local change is not synced yet" : "\(status.pending) local changes are not synced yet") }
        if status.rejected > 0 { problems.append(status.rejected == 1 ? "1 change was rejected by the node" : "\(status.rejected) changes were rejected by the node") }
        if status.conflicts > 0 { problems.append(status.conflicts == 1 ? "1 conflict to review" : "\(status.conflicts) conflicts to review") }
        if let last = status.lastRun, last.result == "failed" {
            problems.append("the last sync attempt (\(SiteFormat.timestamp(last.startedAt.description))) failed")
        }
        return (text, problems.isEmpty ? nil : problems.joined(separator: "; ") + ".")
    }

    /// Writes `freshness.js`: the line's words as JSON data (escaped by the encoder) and a constant script that
    /// puts them into the page's `#freshness` placeholder with `textContent`, so no text of the replica is ever
    /// read as markup. It was a framed page (`freshness.html`); text inside an `iframe` is invalid HTML.
    static func freshness(in context: BuildContext, status: SyncStatus) throws {
        try context.output.file(Chrome.freshnessScript, text: freshnessScript(status, today: context.today))
    }

    /// The script's text for `status`.
    static func freshnessScript(_ status: SyncStatus, today: BusinessDate) throws -> String {
        let (text, warning) = freshnessLines(status, today: today)
        let short: String
        if let run = status.lastSuccessfulRun {
            short = "Synced " + SiteFormat.timestamp((run.finishedAt ?? run.startedAt).description) + "."
        } else {
            short = "Never synced with a node."
        }
        var facts = ["text": text, "short": short, "sync": Section.sync.path]
        if let warning { facts["warning"] = "Attention: " + warning }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = String(decoding: try encoder.encode(facts), as: UTF8.self)
        return "/* Written by outpost site build on every sync: how fresh the data is, put into each page's freshness line. */\n"
            + "(function (facts) {\n" + freshnessCode + "})(" + data + ");\n"
    }

    /// The constant part of `freshness.js`: the long line on wide screens, the short one on a phone (the stylesheet picks).
    static let freshnessCode = """
          "use strict";
          var line = document.getElementById("freshness");
          if (!line) return;
          var root = document.documentElement.getAttribute("data-root") || "";
          function span(className, text) {
            var node = document.createElement("span");
            node.className = className;
            node.textContent = text;
            return node;
          }
          line.textContent = "";
          line.className = "freshness " + (facts.warning ? "warn" : "ok");
          line.appendChild(span("long", facts.text));
          line.appendChild(span("short", facts.short));
          if (facts.warning) {
            line.appendChild(document.createTextNode(" "));
            var warning = document.createElement("strong");
            warning.className = "warning";
            warning.textContent = facts.warning;
            line.appendChild(warning);
          }
          line.appendChild(document.createTextNode(" "));
          var link = document.createElement("a");
          link.href = root + facts.sync;
          link.textContent = "Sync details";
          line.appendChild(link);

        """

    static func syncPage(in context: BuildContext, status: SyncStatus) throws {
        let (text, warning) = freshnessLines(status, today: context.today)
        var blocks: [Block] = [.paragraph(text)]
        if let warning { blocks.append(.paragraph("Attention: " + warning, tone: "warning")) }
        func run(_ run: SyncStatus.Run?) -> Cell {
            guard let run else { return .text("never") }
            return .text(SiteFormat.timestamp((run.finishedAt ?? run.startedAt).description) + " — " + run.result
                         + ": pushed \(run.pushed), pulled \(run.pulled), refused \(run.refused), your edits overwritten \(run.conflicts)"
                         + (run.message.isEmpty ? "" : " (" + run.message + ")"))
        }
        blocks.append(.section(title: "Status", id: "status", [.facts([
            ("Node", .text(status.node ?? "not attached to a node")), ("Reseller", .text(status.resellerId ?? "")),
            ("Cursor", .number(status.cursor)), ("Last successful sync", run(status.lastSuccessfulRun)),
            ("Last attempt", run(status.lastRun)), ("Waiting to be pushed", .number(Int64(status.pending))),
            ("Rejected", .number(Int64(status.rejected))), ("Conflicts", .number(Int64(status.conflicts))),
        ])]))
        let queue = try LocalQueue(db: context.db).pending()
        blocks.append(.section(title: "Pending queue", id: "queue", [.table(
            columns: [Column("Seq", numeric: true), Column("Change"), Column("Made at"), Column("Touches")],
            rows: queue.map { [.number($0.seq), .text($0.mutation), .timestamp($0.createdAt.description), .text($0.summary)] },
            empty: status.lastSuccessfulRun == nil
                ? "Nothing is waiting to be pushed, but this replica has never synced with a node."
                : "Nothing is waiting: every local change has reached the node.")]))
        let rejected = try LocalQueue(db: context.db).rejected()
        blocks.append(.section(title: "Rejected changes", id: "rejected", [.table(
            columns: [Column("Seq", numeric: true), Column("Change"), Column("Reason code"), Column("Reason"), Column("Made at"), Column("Rejected at"), Column("Arguments")],
            rows: rejected.map { [.number($0.seq), .text($0.mutation), .status($0.code), .text($0.message), .timestamp($0.createdAt.description),
                                  .timestamp($0.rejectedAt.description), .text($0.args)] },
            empty: "The node has rejected none of this replica's changes.")]))
        // Conflicts told from this replica's side, in the words outpost conflicts uses; only open ones need anyone.
        let me = try context.db.scalar("SELECT value FROM replica_meta WHERE key = 'replica_id'")?.string ?? ""
        var open: [[Cell]] = []
        var settled: [[Cell]] = []
        for conflict in try Conflict.list(includeResolved: true, in: context.db) {
            let target: Cell = conflict.entity == "customer" ? .link(SitePath.customer(conflict.entityId), try conflict.subject(in: context.db))
                : .text(try conflict.subject(in: context.db))
            let cells: [Cell] = [.timestamp(conflict.at), target, .text(conflict.field), .text(conflict.story(from: me)), .text(conflict.id)]
            if let settlement = conflict.settlement {
                settled.append(cells + [.text(settlement)])
            } else {
                open.append(cells)
            }
        }
        let columns = [Column("Recorded"), Column("Entity"), Column("Field"), Column("What happened"), Column("Conflict id")]
        blocks.append(.section(title: "Conflicts", id: "conflicts", [
            .paragraph("A conflict is recorded when two people changed the same field without seeing each other's edit: the later edit, judged by when it was made, is kept (an edit stamped later than the node's clock at arrival counts as made at arrival). Settle one with: outpost conflicts resolve ID --keep mine|theirs (or --value V)."),
            .table(columns: columns, rows: open, empty: "No open conflicts."),
        ]))
        blocks.append(.section(title: "Resolved conflicts", id: "resolved-conflicts", [
            .table(columns: columns + [Column("Resolution")], rows: settled, empty: "No conflict has been resolved yet."),
        ]))
        var runs: [[Cell]] = []
        try context.forEachRow("SELECT * FROM sync_run ORDER BY id DESC LIMIT 50") { row in
            runs.append([.timestamp(row["started_at"].string), .timestamp(row["finished_at"].string), .status(row["result"].string ?? ""),
                         .number(row["pushed"].int64 ?? 0), .number(row["pulled"].int64 ?? 0), .number(row["refused"].int64 ?? 0),
                         .number(row["conflicts"].int64 ?? 0), .number(row["cursor"].int64 ?? 0), .text(row["message"].string ?? "")])
        }
        blocks.append(.section(title: "Recent sync runs", id: "runs", [.table(
            columns: [Column("Started"), Column("Finished"), Column("Result"), Column("Pushed", numeric: true), Column("Pulled", numeric: true),
                      Column("Refused", numeric: true), Column("Edits overwritten", numeric: true), Column("Cursor", numeric: true), Column("Message")],
            rows: runs, empty: "No sync has run on this replica yet. Attach it to a node and run: outpost sync")]))
        try context.emit(PageModel(path: Section.sync.path, title: "Sync", section: .sync, blocks: blocks))
    }
}
