import Foundation
import OutpostModel
import OutpostStore

/// One reseller's notices for today: each due notice written, handed over and
/// recorded once (`notification`, replicated through the change log like every
/// other back-office fact).
///
/// Exactly once comes from the record: a notice whose key (kind, entity, date,
/// threshold) is recorded is never due again (`NoticeSchedule`), and the key is
/// unique in the table. How the record and the message are ordered:
///
/// - **Outbox:** stage the file, record, publish the file (see `Outbox`): a
///   crash anywhere leaves a state the next run completes without losing or
///   doubling the message.
/// - **sendmail:** hand the message over, then record. A failing sendmail
///   records nothing, so the notice is tried again next run. A crash between a
///   successful hand-over and the record (a moment) sends it again the next
///   run, with the same Message-ID, which mail systems recognize as the same
///   message — the only way to do better would need the mail system in our
///   transaction.
struct NotificationRun {
    /// Change-log origin of the records.
    static let origin = "notify"

    let tenant: Tenant
    let clock: any Clock
    let channel: NoticeChannel
    let outbox: Outbox?
    /// The sender when the reseller's settings have no company e-mail.
    let fallbackSender: String?

    /// Sends every notice due today; stops early (`stopped`) when the mailer cannot work at all.
    func run() throws -> (outcomes: [NotificationOutcome], stopped: Bool) {
        let now = clock.now()
        let today = now.date
        let settings = try ResellerSettings.load(from: tenant.db)
        let notices = try NoticeSchedule(settings: settings, today: today).due(in: tenant.db)
        guard !notices.isEmpty else { return ([], false) }
        let senderAddress = settings.email.isEmpty ? fallbackSender ?? "" : settings.email
        let sender = MailMessage.Mailbox(name: settings.companyName, address: senderAddress)
        var outcomes: [NotificationOutcome] = []
        for notice in notices {
            let letter: NoticeLetter
            do {
                letter = try NoticeLetter(notice, settings: settings, today: today, in: tenant.db)
            } catch is NoticeLetter.Missing {
                continue  // its entity went away since the schedule was read
            }
            func outcome(_ status: NotificationOutcome.Status, _ problem: NotificationOutcome.Problem?, _ reason: String,
                         recipient: String = letter.customerEmail, file: String? = nil) -> NotificationOutcome {
                NotificationOutcome(resellerId: tenant.resellerId, kind: notice.kind, entityId: notice.entityId, customerId: notice.customerId,
                                    thresholdDays: notice.thresholdDays, noticeDate: notice.noticeDate, recipient: recipient,
                                    subject: MailMessage.clean(letter.subject), status: status, problem: problem, reason: reason, file: file)
            }
            guard !letter.customerEmail.isEmpty else {
                outcomes.append(outcome(.skipped, .noRecipient, "customer \(notice.customerId) has no e-mail address"))
                continue
            }
            guard let recipient = MailMessage.Mailbox(name: letter.customerName, address: letter.customerEmail) else {
                outcomes.append(outcome(.skipped, .noRecipient, "the e-mail address of customer \(notice.customerId) cannot be written in a mail header"))
                continue
            }
            guard let sender else {
                let reason = senderAddress.isEmpty
                    ? "reseller \(tenant.resellerId) has no company e-mail to send from; set it (outpost settings set --email) or pass --from"
                    : "the company e-mail '\(senderAddress)' of reseller \(tenant.resellerId) cannot be written in a mail header"
                outcomes.append(outcome(.failed, .noSender, reason))
                continue
            }
            let key = NoticeKey(resellerId: tenant.resellerId, notice: notice)
            let message = MailMessage(
                from: sender, to: recipient, subject: letter.subject, date: now,
                messageId: key.messageIdLeft + "@" + String(sender.address.split(separator: "@").last ?? "localhost"),
                extraHeaders: [.init("Auto-Submitted", "auto-generated"),
                               .init("X-Outpost-Notice", "\(notice.kind.rawValue); \(notice.entityId); \(notice.referenceDate); \(notice.thresholdDays)")],
                body: letter.body)
            do {
                try deliver(message, notice: notice, key: key, now: now)
            } catch let failure as Sendmail.Failure {
                outcomes.append(outcome(.failed, failure.isConfiguration ? .mailerMissing : .deliveryFailed, failure.reason, recipient: recipient.address))
                if failure.stopsRun { return (outcomes, true) }
                continue
            }
            outcomes.append(outcome(.sent, nil, "", recipient: recipient.address, file: outbox.map { _ in key.fileName }))
        }
        return (outcomes, false)
    }

    /// Hands the message over and records it, in the crash-safe order of the channel.
    private func deliver(_ message: MailMessage, notice: DueNotice, key: NoticeKey, now: Timestamp) throws {
        switch channel {
        case .outbox:
            guard let outbox else { preconditionFailure("an outbox channel without its outbox") }
            try outbox.stage(message.text, name: key.fileName)
            do {
                try record(message, notice: notice, now: now)
            } catch {
                outbox.discard(key.fileName)
                throw error
            }
            try outbox.publish(key.fileName)
        case let .sendmail(command, environment, timeLimit):
            try Sendmail(command: command, environment: environment, timeLimit: timeLimit).send(message)
            try record(message, notice: notice, now: now)
        }
    }

    private func record(_ message: MailMessage, notice: DueNotice, now: Timestamp) throws {
        try tenant.record(now: now, origin: Self.origin) { context in
            try context.insert("notification", [
                ("id", tenant.ids.make("ntf")), ("customer_id", notice.customerId), ("kind", notice.kind.rawValue),
                ("entity", notice.kind.entity), ("entity_id", notice.entityId), ("threshold_days", notice.thresholdDays),
                ("reference_date", notice.referenceDate.description), ("notice_date", notice.noticeDate.description),
                ("recipient", message.to.address), ("subject", MailMessage.clean(message.subject)), ("message_id", "<" + message.messageId + ">"),
                ("channel", channel.name), ("sent_at", now.description),
            ])
        }
    }
}

/// A notice's key as text: the outbox file name and the Message-ID's left part.
struct NoticeKey {
    let resellerId: String
    let notice: DueNotice

    /// The entity id as it is when it is a plain id (it always is); else a hash of it, so names stay safe.
    private var entityPart: String {
        let id = notice.entityId
        let plain = (1...120).contains(id.utf8.count) && id.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 45 || $0 == 95 }
        return plain ? id : "x" + String(SHA256.hex(id).prefix(32))
    }

    /// `acme.invoice_due.inv_01….2026-03-03.7.eml`: unique per reseller and notice.
    var fileName: String {
        "\(resellerId).\(notice.kind.rawValue).\(entityPart).\(notice.referenceDate).\(notice.thresholdDays).eml"
    }

    /// The Message-ID's left part: the same for the same notice (a repeat after a crash is recognizably the
    /// same message), a hash so the header stays short; `X-Outpost-Notice` carries the readable key.
    var messageIdLeft: String {
        String(SHA256.hex("\(resellerId).\(notice.kind.rawValue).\(notice.entityId).\(notice.referenceDate).\(notice.thresholdDays)").prefix(32))
    }

    /// The key of an outbox file name, for finding its record: (reseller, kind, reference date, threshold) and the whole name.
    static func parse(_ fileName: String) -> (resellerId: String, kind: NoticeKind, referenceDate: String, threshold: Int)? {
        let parts = fileName.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 6, parts[5] == "eml", let kind = NoticeKind(rawValue: parts[1]), BusinessDate(parts[3]) != nil,
              let threshold = Int(parts[4]) else { return nil }
        return (parts[0], kind, parts[3], threshold)
    }
}

/// What `outpost node notify` did with one due notice.
public struct NotificationOutcome: Sendable, Equatable, Encodable {
    public enum Status: String, Sendable, Encodable {
        /// Written to the outbox or handed to sendmail, and recorded.
        case sent
        /// Not sendable as things are (the customer has no usable e-mail); tried again while it is due.
        case skipped
        /// Not sent because of a problem the operator must see; tried again next run.
        case failed
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
    public let customerId: String
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
