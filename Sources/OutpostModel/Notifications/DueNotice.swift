/// A notice whose day has come and that has not been sent yet.
public struct DueNotice: Sendable, Hashable {
    public let kind: NoticeKind
    /// The invoice, subscription, domain or certificate it is about.
    public let entityId: String
    public let customerId: String
    /// The schedule's day count that put it on this day.
    public let thresholdDays: Int
    /// The due date or expiry date the notice is about.
    public let referenceDate: BusinessDate

    public init(kind: NoticeKind, entityId: String, customerId: String, thresholdDays: Int, referenceDate: BusinessDate) {
        self.kind = kind
        self.entityId = entityId
        self.customerId = customerId
        self.thresholdDays = thresholdDays
        self.referenceDate = referenceDate
    }

    /// The day the schedule puts it on.
    public var noticeDate: BusinessDate { kind.noticeDate(reference: referenceDate, threshold: thresholdDays) }
}
