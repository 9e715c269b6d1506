import Foundation
import OutpostModel

extension Node {
    /// Sends the notices due today (the clock's UTC date) for every reseller, or one; each exactly once.
    ///
    /// One run at a time per node (an advisory lock on `notify.lock`, dropped
    /// by the kernel if the process dies); in outbox mode the run first
    /// finishes what a crashed run left there. `sender` stands in for a
    /// reseller without a company e-mail.
    public func notify(via channel: NoticeChannel, resellerId: String? = nil, sender: String? = nil) throws -> [NotificationOutcome] {
        var outbox: Outbox?
        if case .outbox(let directory) = channel { outbox = try Outbox(directory) }
        let ids = try backOfficeResellers(resellerId)
        let lock = try NotifyLock.acquire(node: self)
        defer { withExtendedLifetime(lock) {} }
        if let outbox { _ = try recover(outbox) }
        var outcomes: [NotificationOutcome] = []
        var failures: [(resellerId: String, reason: String)] = []
        for id in ids {
            // One reseller's trouble (a database busy past its timeout, a full disk) does not keep the others'
            // notices back, nor hide what was already sent: its notices are tried again on the next run.
            do {
                let run = NotificationRun(tenant: try tenant(id), clock: clock, channel: channel, outbox: outbox, fallbackSender: sender)
                let result = try run.run()
                outcomes += result.outcomes
                if result.stopped { break }
            } catch {
                failures.append((id, "\(error)"))
            }
        }
        guard failures.isEmpty else { throw NotificationRunFailure(outcomes: outcomes, failures: failures) }
        return outcomes
    }

    /// What `notify` would send today, per reseller (or `resellerId`), with nothing sent, written or recorded:
    /// each due notice `wouldSend`, or skipped or failed with the reason a run would give. Takes no lock and
    /// touches no outbox, so it can run beside a real run.
    public func rehearseNotices(resellerId: String? = nil, sender: String? = nil) throws -> [NotificationOutcome] {
        var outcomes: [NotificationOutcome] = []
        for id in try backOfficeResellers(resellerId) {
            outcomes += try NotificationRun(tenant: try tenant(id), clock: clock, channel: nil, outbox: nil, fallbackSender: sender).run().outcomes
        }
        return outcomes
    }

    /// Staged outbox files of a crashed run: published when their notice was recorded, else removed.
    func recover(_ outbox: Outbox) throws -> (published: Int, discarded: Int) {
        let known = Set(try resellers().map(\.id))
        return try outbox.recover { name in
            guard let key = NoticeKey.parse(name), known.contains(key.resellerId) else { return nil }
            let tenant = try tenant(key.resellerId)
            var recorded = false
            try tenant.db.forEachRow("""
                SELECT kind, entity_id, customer_id, reference_date, threshold_days FROM notification
                WHERE kind = ? AND reference_date = ? AND threshold_days = ?
                """, [key.kind.rawValue, key.referenceDate, key.threshold]) { row in
                let notice = DueNotice(kind: key.kind, entityId: try row.string("entity_id"), customerId: try row.string("customer_id"),
                                       thresholdDays: key.threshold, referenceDate: BusinessDate(key.referenceDate)!)
                if NoticeKey(resellerId: key.resellerId, notice: notice).fileName == name { recorded = true }
            }
            return recorded
        }
    }
}
