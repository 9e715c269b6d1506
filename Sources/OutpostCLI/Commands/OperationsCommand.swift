import Foundation
import OutpostModel

/// `outpost operations`: the node's recent back-office runs and what each did, as this laptop last pulled them.
enum OperationsCommand {
    static let all: [CommandSpec] = [operations]

    /// Runs shown unless `--limit` says otherwise.
    static let defaultLimit = 20

    static let operations = CommandSpec(
        ["operations"], "the node's recent back-office runs (provisioning, billing runs, notices, login imports) and what each did",
        options: [
            .init("kind", value: "KIND", "only runs of this kind: provision, bill, notify or logins"),
            .init("limit", value: "N", "at most N runs, newest first (default \(defaultLimit))"),
        ],
        discussion: """
        The node is Operations: outpost node provision, node bill, node notify and node logins import run there
        and log each run and its outcome per order, subscription or notice. The log reaches this laptop with
        every sync (the same rows as the dashboard's Operations page); a failed hook's outcome keeps the last
        \(OperationLog.errorOutputLines) lines (at most \(OperationLog.errorOutputBytes) bytes) of its standard error.
        The node keeps the newest \(OperationLog.keptRuns) runs and any run of the last \(OperationLog.keptDays) days.
        """,
        printsJSON: true,
        run: { invocation, session in
            var kind: OperationLog.Kind?
            if let text = invocation.value("kind") {
                guard let typed = OperationLog.Kind(typed: text) else {
                    throw CommandFailure(.dataError, "--kind '\(text)' must be one of: provision, bill, notify, logins")
                }
                kind = typed
            }
            let limit = try invocation.value("limit").map { try OptionValue.integer($0, option: "limit") } ?? defaultLimit
            guard limit >= 1 else { throw CommandFailure(.dataError, "--limit \(limit) must be at least 1") }
            let replica = try session.openReplica(invocation)
            let runs = try OperationRun.recent(kind: kind, limit: limit, in: replica.db)
            if invocation.json { return try JSONOutput.print(runs, to: session) }
            guard !runs.isEmpty else {
                return session.print(kind == nil ? "No back-office runs yet (or none pulled: outpost sync)."
                                                 : "No \(kind!.title.lowercased()) runs yet (or none pulled: outpost sync).")
            }
            session.print(runs.map(text).joined(separator: "\n\n"))
        })

    /// One run as a header line, its events as a table, and any hook's error output indented below.
    static func text(_ run: OperationRun) -> String {
        var header = "\(run.kind.title) \(run.startedAt) to \(run.finishedAt): \(run.summary)"
        if run.invoices > 0 { header += "; \(run.invoices) invoice(s), \(Format.money(run.invoicedTotal, run.currency))" }
        var table = TextTable("WHEN", "SUBJECT", "CUSTOMER", "OUTCOME", "DETAILS")
        var errors: [String] = []
        for event in run.events {
            var details = event.message
            if let amount = event.amount { details += (details.isEmpty ? "" : "; ") + event.invoices.joined(separator: ", ") + " " + Format.money(amount, event.currency) }
            table.add(event.at, event.subjectLabel, event.customerName ?? "-", event.outcome.rawValue, details)
            if !event.errorOutput.isEmpty {
                errors.append("  error output of \(event.subjectLabel):\n" + event.errorOutput.split(separator: "\n", omittingEmptySubsequences: false)
                    .map { "    | " + $0 }.joined(separator: "\n"))
            }
        }
        return ([header, table.render(empty: "  (no events)")] + errors).joined(separator: "\n")
    }
}
