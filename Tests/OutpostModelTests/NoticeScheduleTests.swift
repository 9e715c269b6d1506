import Testing
import OutpostModel

/// Which notice a run on a given day sends: the schedule's days, and catching up after missed runs.
@Suite("Notice schedule")
struct NoticeScheduleTests {
    /// The threshold sent on each day, for an entity whose date is `reference`; days not listed send nothing.
    func sends(_ kind: NoticeKind, reference: String, schedule: [Int], from: String, to: String) -> [String: Int] {
        var result: [String: Int] = [:]
        var date = day(from)
        while date <= day(to) {
            if let threshold = NoticeSchedule.threshold(kind, reference: day(reference), schedule: schedule, today: date) {
                result[date.description] = threshold
            }
            date = date.adding(days: 1)
        }
        return result
    }

    @Test("a due reminder on each schedule day until the due date; a late run sends the most recent one only")
    func dueReminders() {
        let days = sends(.invoiceDue, reference: "2026-03-03", schedule: [7, 1], from: "2026-02-01", to: "2026-03-31")
        // From its day on, a threshold stays the one to send (a run that missed its day catches up) until the next one's day.
        #expect(days["2026-02-23"] == nil)
        #expect(days["2026-02-24"] == 7)
        #expect(days["2026-03-01"] == 7)
        #expect(days["2026-03-02"] == 1)
        #expect(days["2026-03-03"] == 1, "still due today")
        #expect(days["2026-03-04"] == nil, "after the due date the overdue schedule takes over")
        #expect(days.count == 8)
    }

    @Test("overdue reminders after the due date, each at most seven days late")
    func overdueReminders() {
        let days = sends(.invoiceOverdue, reference: "2026-03-03", schedule: [1, 7, 30], from: "2026-03-01", to: "2026-05-31")
        #expect(days["2026-03-03"] == nil)
        #expect(days["2026-03-04"] == 1)
        #expect(days["2026-03-09"] == 1)
        #expect(days["2026-03-10"] == 7)
        #expect(days["2026-03-17"] == 7, "seven days after its day")
        #expect(days["2026-03-18"] == nil, "stale: skipped for good")
        #expect(days["2026-04-02"] == 30)
        #expect(days["2026-04-09"] == 30)
        #expect(days["2026-04-10"] == nil)
        #expect(NoticeSchedule.overdueGraceDays == 7)
    }

    @Test("expiry reminders until the expiry date, also when the entity arrived after the first schedule day")
    func expiryReminders() {
        let days = sends(.domainExpiring, reference: "2026-03-10", schedule: [60, 30, 7], from: "2026-01-01", to: "2026-03-31")
        #expect(days["2026-01-08"] == nil)
        #expect(days["2026-01-09"] == 60)
        #expect(days["2026-02-07"] == 60)
        #expect(days["2026-02-08"] == 30)
        #expect(days["2026-03-03"] == 7)
        #expect(days["2026-03-10"] == 7)
        #expect(days["2026-03-11"] == nil)
        // Day 0 means on the day itself, and only then.
        #expect(sends(.sslExpiring, reference: "2026-03-10", schedule: [0], from: "2026-03-01", to: "2026-03-31") == ["2026-03-10": 0])
        #expect(sends(.subscriptionExpiring, reference: "2026-03-10", schedule: [], from: "2026-01-01", to: "2026-03-31").isEmpty)
    }

    @Test("each kind reads its own schedule from the settings and knows its entity")
    func kinds() {
        #expect(NoticeKind.allCases.map(\.rawValue) == ["invoice_due", "invoice_overdue", "subscription_expiring", "domain_expiring", "ssl_expiring"])
        #expect(NoticeKind.allCases.map(\.entity) == ["invoice", "invoice", "subscription", "domain", "ssl_certificate"])
        #expect(NoticeKind.invoiceOverdue.noticeDate(reference: day("2026-03-03"), threshold: 7) == day("2026-03-10"))
        #expect(NoticeKind.invoiceDue.noticeDate(reference: day("2026-03-03"), threshold: 7) == day("2026-02-24"))
    }
}
