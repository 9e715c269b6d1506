import OutpostModel

/// What `outpost node notify` did with one due notice.
public struct NotificationOutcome: Sendable, Equatable, Encodable {
    public enum Status: String, Sendable, Encodable {
        /// Written to the outbox or handed to sendmail, and recorded.
        case sent
        /// Not sendable as things are (the customer has no usable e-mail); tried again while it is due.
        case skipped
        /// Not sent because of a problem the operator must see; tried again next run.
        case failed
        /// A rehearsal (`--dry-run`): it would be sent now; nothing was written, sent or recorded.
        case wouldSend = "would_send"
    }

    public enum Problem: String, Sendable, Encodable {
        case noRecipient = "no_recipient"
        case noSender = "no_sender"
        case deliveryFailed = "delivery_failed"
        case mailerMissing = "mailer_missing"
    }

    public let resellerId: String
    public let kind: NoticeKind
    public let entityId: String
    /// What people call the entity: the invoice's number, the subscription's plan, the domain, the certificate's common name.
    public let entityName: String
    public let customerId: String
    public let customerName: String
    public let thresholdDays: Int
    public let noticeDate: BusinessDate
    public let recipient: String
    public let subject: String
    public let status: Status
    public let problem: Problem?
    /// Why it was skipped or failed; empty when sent.
    public let reason: String
    /// The outbox file, by name, when written there.
    public let file: String?
}
