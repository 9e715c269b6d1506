import OutpostStore

/// Which notices the reseller's notification schedules call for on a day.
///
/// A notice's day is N days before an invoice's due date or an expiry (N days
/// after the due date for overdue invoices), for each N of the schedule.
/// **Catching up:** a run sends, per entity and kind, only the most recent
/// notice whose day has come, and only when that one was not sent yet. So a
/// run that missed days sends one notice, not a burst of stale ones, and never
/// an earlier notice after a later one. Reminders about something still ahead
/// (due, expiring) are sent until that date; an overdue reminder at most
/// `overdueGraceDays` after its day, so switching notifications on for an old
/// ledger does not mail every old debt.
///
/// What qualifies: issued invoices with something outstanding; active
/// subscriptions that will end (cancelled at period end, or not renewing) —
/// renewing ones are invoiced, and those behind a domain or certificate are
/// covered by that schedule; active domains (renewing or not: registries'
/// custom); issued certificates (a renewed one must be installed again).
public struct NoticeSchedule: Sendable {
    /// How long after its day an overdue reminder is still sent.
    public static let overdueGraceDays = 7

    public let settings: ResellerSettings
    public let today: BusinessDate

    public init(settings: ResellerSettings, today: BusinessDate) {
        self.settings = settings
        self.today = today
    }

    /// The threshold a run on `today` sends for an entity whose date is `reference`; `nil` when none.
    public static func threshold(_ kind: NoticeKind, reference: BusinessDate, schedule: [Int], today: BusinessDate) -> Int? {
        let passed = schedule.filter { kind.noticeDate(reference: reference, threshold: $0) <= today }
        guard let latest = passed.max(by: { kind.noticeDate(reference: reference, threshold: $0) < kind.noticeDate(reference: reference, threshold: $1) })
        else { return nil }
        switch kind {
        case .invoiceOverdue:
            guard kind.noticeDate(reference: reference, threshold: latest).days(until: today) <= overdueGraceDays else { return nil }
        case .invoiceDue, .subscriptionExpiring, .domainExpiring, .sslExpiring:
            guard today <= reference else { return nil }
        }
        return latest
    }

    /// Every notice due today and not yet recorded in `notification`, by customer, kind, date and entity
    /// (none for the reseller's own account).
    public func due(in db: any SQLDatabase) throws -> [DueNotice] {
        var notices: [DueNotice] = []
        for kind in NoticeKind.allCases {
            let schedule = kind.schedule(in: settings)
            guard let longest = schedule.max() else { continue }
            // Only entities whose date is within reach of the schedule can have a notice today.
            let window: (from: BusinessDate, to: BusinessDate) = kind == .invoiceOverdue
                ? (today.adding(days: -(longest + Self.overdueGraceDays)), today)
                : (today, today.adding(days: longest))
            try db.forEachRow(Self.candidates(kind), [window.from.description, window.to.description]) { row in
                // Notices go to customers: the reseller sends none to itself about its own purchases.
                let customerId = try row.string("customer_id")
                guard customerId != Customer.ownAccountId, let reference = BusinessDate(try row.string("reference")),
                      let threshold = Self.threshold(kind, reference: reference, schedule: schedule, today: today) else { return }
                notices.append(DueNotice(kind: kind, entityId: try row.string("id"), customerId: customerId,
                                         thresholdDays: threshold, referenceDate: reference))
            }
        }
        let kinds = NoticeKind.allCases
        return try notices.filter { notice in
            try db.scalar("SELECT 1 FROM notification WHERE kind = ? AND entity_id = ? AND reference_date = ? AND threshold_days = ?",
                          [notice.kind.rawValue, notice.entityId, notice.referenceDate.description, notice.thresholdDays]) == nil
        }.sorted {
            ($0.customerId, kinds.firstIndex(of: $0.kind)!, $0.referenceDate, $0.entityId)
                < ($1.customerId, kinds.firstIndex(of: $1.kind)!, $1.referenceDate, $1.entityId)
        }
    }

    /// The entities of a kind with their reference date between two bound dates (constant SQL, never data).
    static func candidates(_ kind: NoticeKind) -> String {
        switch kind {
        case .invoiceDue, .invoiceOverdue:
            return """
                SELECT i.id, i.customer_id, i.due_date AS reference FROM invoice i
                WHERE i.status = 'issued' AND i.due_date BETWEEN ? AND ?
                  AND i.total > coalesce((SELECT sum(amount) FROM payment p WHERE p.invoice_id = i.id AND p.status = 'completed'), 0)
                              + coalesce((SELECT sum(total) FROM credit_note c WHERE c.invoice_id = i.id), 0)
                """
        case .subscriptionExpiring:
            return """
                SELECT s.id, s.customer_id, s.period_end AS reference FROM subscription s JOIN plan p ON p.id = s.plan_id
                WHERE s.status = 'active' AND (s.cancel_at_period_end = 1 OR s.auto_renew = 0)
                  AND p.kind IN ('subscription', 'license') AND s.period_end BETWEEN ? AND ?
                """
        case .domainExpiring:
            return "SELECT id, customer_id, expires_on AS reference FROM domain WHERE status = 'active' AND expires_on BETWEEN ? AND ?"
        case .sslExpiring:
            return "SELECT id, customer_id, expires_on AS reference FROM ssl_certificate WHERE status = 'issued' AND expires_on BETWEEN ? AND ?"
        }
    }
}
