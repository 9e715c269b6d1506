import OutpostModel
import OutpostStore

/// Writes one back-office run into the operations log (`operation_run`, `operation_event`), event by event.
///
/// An event is written in the transaction of the work it records (`record(_:in:)` takes that transaction's
/// context), so a crash never leaves the log telling of work not done, nor work done without its entry. The
/// run's row is written with its first event and its counts with each one: a run that did nothing leaves
/// nothing, and a run cut short by a crash shows what it did up to there. Starting a run drops the runs
/// the log no longer keeps (`OperationLog.keptRuns`, `keptDays`), their events first.
final class OperationRecorder {
    /// What a run did to one thing, as the log keeps it.
    struct Event {
        var subject: String
        var subjectId: String
        var subjectLabel: String
        var customerId: String?
        var outcome: OperationLog.Outcome
        var message: String
        /// The end of a hook's standard error (`OperationLog.errorTail`), for a hook that failed.
        var errorOutput = ""
        var invoices: [String] = []
        var amount: Int64? = nil
        var currency = ""
    }

    let tenant: Tenant
    let kind: OperationLog.Kind
    let runId: String
    let startedAt: Timestamp

    init(tenant: Tenant, kind: OperationLog.Kind, startedAt: Timestamp) {
        self.tenant = tenant
        self.kind = kind
        self.runId = tenant.ids.make("opr")
        self.startedAt = startedAt
    }

    /// Records `event` in the transaction of `context`, the one doing the work it tells of.
    func record(_ event: Event, in context: MutationContext) throws {
        if try context.fetch("operation_run", id: runId) == nil {
            try prune(now: context.now, in: context)
            try context.insert("operation_run", [
                ("id", runId), ("kind", kind.rawValue), ("started_at", startedAt.description), ("finished_at", context.now.description),
            ])
        }
        try context.insert("operation_event", [
            ("id", tenant.ids.make("ope")), ("run_id", runId), ("at", context.now.description), ("subject", event.subject),
            ("subject_id", event.subjectId), ("subject_label", event.subjectLabel), ("customer_id", event.customerId),
            ("outcome", event.outcome.rawValue), ("message", event.message), ("error_output", event.errorOutput),
            ("invoices", event.invoices.joined(separator: " ")), ("amount", event.amount), ("currency", event.currency),
        ])
        guard let run = try context.fetch("operation_run", id: runId) else { return }
        var counts: [(String, any SQLBindable)] = [
            ("finished_at", context.now.description), (event.outcome.rawValue, (run[event.outcome.rawValue].int64 ?? 0) + 1),
        ]
        if !event.invoices.isEmpty {
            counts += [("invoices", (run["invoices"].int64 ?? 0) + Int64(event.invoices.count)),
                       ("invoiced_total", (run["invoiced_total"].int64 ?? 0) + (event.amount ?? 0)), ("currency", event.currency)]
        }
        try context.update("operation_run", id: runId, counts)
    }

    /// Records an event that comes with no other work (a notice skipped, an order sent back), in a transaction of its own.
    func record(_ event: Event, now: Timestamp, origin: String) throws {
        try tenant.record(now: now, origin: origin) { context in try record(event, in: context) }
    }

    /// Deletes the runs older than `keptDays` that are not among the newest `keptRuns`, with their events.
    private func prune(now: Timestamp, in context: MutationContext) throws {
        let cutoff = now.adding(seconds: -Int64(OperationLog.keptDays) * 86_400).description
        let old = try context.db.rows("""
            SELECT id FROM operation_run WHERE started_at < ?
            AND id NOT IN (SELECT id FROM operation_run ORDER BY started_at DESC, id DESC LIMIT ?)
            """, [cutoff, OperationLog.keptRuns - 1]).map { try $0.string("id") }
        for run in old {
            for event in try context.db.rows("SELECT id FROM operation_event WHERE run_id = ?", [run]) {
                try context.delete("operation_event", id: try event.string("id"))
            }
            try context.delete("operation_run", id: run)
        }
    }
}
