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
///
/// A sent notice is logged in the operations log in the transaction that
/// records it; one skipped or failed (nothing else written) in its own.
struct NotificationRun {
    /// Change-log origin of the records.
    static let origin = "notify"

    let tenant: Tenant
    let clock: any Clock
    /// Where the notices go; `nil` for a rehearsal, which sends and records nothing (`node notify --dry-run`).
    let channel: NoticeChannel?
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
        // A rehearsal logs nothing.
        let log = channel == nil ? nil : OperationRecorder(tenant: tenant, kind: .notify, startedAt: now)
        for notice in notices {
            let letter: NoticeLetter
            do {
                letter = try NoticeLetter(notice, settings: settings, today: today, in: tenant.db)
            } catch is NoticeLetter.Missing {
                continue  // its entity went away since the schedule was read
            }
            func outcome(_ status: NotificationOutcome.Status, _ problem: NotificationOutcome.Problem?, _ reason: String,
                         recipient: String = letter.customerEmail, file: String? = nil) -> NotificationOutcome {
                NotificationOutcome(resellerId: tenant.resellerId, kind: notice.kind, entityId: notice.entityId, entityName: letter.entityName,
                                    customerId: notice.customerId, customerName: letter.customerName, thresholdDays: notice.thresholdDays, noticeDate: notice.noticeDate, recipient: recipient,
                                    subject: MailMessage.clean(letter.subject), status: status, problem: problem, reason: reason, file: file)
            }
            /// A notice that did not go out, logged on its own (there is no other work to log it with); a rehearsal logs nothing.
            func notSent(_ status: NotificationOutcome.Status, _ problem: NotificationOutcome.Problem, _ reason: String,
                         recipient: String = letter.customerEmail) throws {
                outcomes.append(outcome(status, problem, reason, recipient: recipient))
                try log?.record(Self.logEvent(notice, letter, status == .skipped ? .skipped : .failed, reason), now: now, origin: Self.origin)
            }
            guard !letter.customerEmail.isEmpty else {
                try notSent(.skipped, .noRecipient, "customer \(letter.customerName) (\(notice.customerId)) has no e-mail address")
                continue
            }
            guard let recipient = MailMessage.Mailbox(name: letter.customerName, address: letter.customerEmail) else {
                try notSent(.skipped, .noRecipient, "the e-mail address of customer \(letter.customerName) (\(notice.customerId)) cannot be written in a mail header")
                continue
            }
            guard let sender else {
                let reason = senderAddress.isEmpty
                    ? "reseller \(tenant.resellerId) has no company e-mail to send from; set it (outpost settings set --email) or pass --from"
                    : "the company e-mail '\(senderAddress)' of reseller \(tenant.resellerId) cannot be written in a mail header"
                try notSent(.failed, .noSender, reason)
                continue
            }
            guard let channel else {
                outcomes.append(outcome(.wouldSend, nil, "", recipient: recipient.address))
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
                try deliver(message, via: channel, notice: notice, letter: letter, key: key, log: log, now: now)
            } catch let failure as Sendmail.Failure {
                try notSent(.failed, failure.isConfiguration ? .mailerMissing : .deliveryFailed, failure.reason, recipient: recipient.address)
                if failure.stopsRun { return (outcomes, true) }
                continue
            }
            outcomes.append(outcome(.sent, nil, "", recipient: recipient.address, file: outbox.map { _ in key.fileName }))
        }
        return (outcomes, false)
    }

    /// Hands the message over and records it, in the crash-safe order of the channel.
    private func deliver(_ message: MailMessage, via channel: NoticeChannel, notice: DueNotice, letter: NoticeLetter, key: NoticeKey,
                         log: OperationRecorder?, now: Timestamp) throws {
        switch channel {
        case .outbox:
            guard let outbox else { preconditionFailure("an outbox channel without its outbox") }
            try outbox.stage(message.text, name: key.fileName)
            do {
                try record(message, via: channel, notice: notice, letter: letter, log: log, now: now)
            } catch {
                outbox.discard(key.fileName)
                throw error
            }
            try outbox.publish(key.fileName)
        case let .sendmail(command, environment, timeLimit):
            try Sendmail(command: command, environment: environment, timeLimit: timeLimit).send(message)
            try record(message, via: channel, notice: notice, letter: letter, log: log, now: now)
        }
    }

    private func record(_ message: MailMessage, via channel: NoticeChannel, notice: DueNotice, letter: NoticeLetter,
                        log: OperationRecorder?, now: Timestamp) throws {
        try tenant.record(now: now, origin: Self.origin) { context in
            try context.insert("notification", [
                ("id", tenant.ids.make("ntf")), ("customer_id", notice.customerId), ("kind", notice.kind.rawValue),
                ("entity", notice.kind.entity), ("entity_id", notice.entityId), ("threshold_days", notice.thresholdDays),
                ("reference_date", notice.referenceDate.description), ("notice_date", notice.noticeDate.description),
                ("recipient", message.to.address), ("subject", MailMessage.clean(message.subject)), ("message_id", "<" + message.messageId + ">"),
                ("channel", channel.name), ("sent_at", now.description),
            ])
            try log?.record(Self.logEvent(notice, letter, .sent, "to \(message.to.address): \(MailMessage.clean(message.subject))"), in: context)
        }
    }

    /// The operations log's entry for a notice: its kind and what it is about, by name.
    private static func logEvent(_ notice: DueNotice, _ letter: NoticeLetter, _ outcome: OperationLog.Outcome,
                                 _ message: String) -> OperationRecorder.Event {
        OperationRecorder.Event(subject: "notice", subjectId: notice.entityId,
                                subjectLabel: notice.kind.rawValue.replacingOccurrences(of: "_", with: " ") + ": " + letter.entityName,
                                customerId: notice.customerId, outcome: outcome, message: message)
    }
}
