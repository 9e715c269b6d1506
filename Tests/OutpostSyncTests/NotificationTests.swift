import Foundation
import Testing
import OutpostModel
import OutpostStore
@testable import OutpostSync
import OutpostTestThreads

/// `outpost node notify`: the reseller's schedules become messages, each sent once, recorded and replicated.
///
/// The fixture: reseller "Acme Café Cloud" (billing@acme.example, default schedules: invoice due 7,1;
/// overdue 1,7,30; subscription 30,7; domain 60,30,7; SSL 30,14,7), customer "Zürich Dental AG". On
/// 2026-02-01 it buys Microsoft 365 Business Basic (10 seats, 57.50 + 19 % tax = 68.43 EUR, due 2026-03-03)
/// and cancels it at period end (2026-03-01), a .com domain expiring 2026-03-10 and a DV certificate
/// expiring 2026-03-17 (both paid, both renewing).
@Suite("Notifications", .ownThreads)
struct NotificationTests {
    @Test("running notify twice a day for seven weeks sends each notice once, on its day; a later date adds only new ones")
    func eachNoticeOnce() throws {
        let fixture = try NotifyFixture()
        defer { fixture.remove() }
        var date = BusinessDate("2026-02-01")!
        while date <= BusinessDate("2026-03-20")! {
            _ = try fixture.notify(on: "\(date)T06:00:00Z")
            let again = try fixture.notify(on: "\(date)T18:00:00Z")
            #expect(again.isEmpty, "a second run on \(date) sends nothing: \(again.map(\.subject))")
            date = date.adding(days: 1)
        }
        let sent = try fixture.rows().map { "\($0["sent_at"].string!.prefix(10)) \($0["kind"].string!) \($0["threshold_days"].int64!)" }
        #expect(sent == [
            "2026-02-01 domain_expiring 60",        // registered that day, its 60-day notice's day already behind
            "2026-02-01 subscription_expiring 30",  // cancelled that day: the 30-day notice's day had just passed
            "2026-02-08 domain_expiring 30",
            "2026-02-15 ssl_expiring 30",
            "2026-02-22 subscription_expiring 7",
            "2026-02-24 invoice_due 7",             // only the unpaid invoice; the domain's and the certificate's are paid
            "2026-03-02 invoice_due 1",
            "2026-03-03 domain_expiring 7",
            "2026-03-03 ssl_expiring 14",
            "2026-03-04 invoice_overdue 1",
            "2026-03-10 invoice_overdue 7",
            "2026-03-10 ssl_expiring 7",
        ])
        // One file per notice, nothing staged left behind, each named after its notice.
        let files = try fixture.files()
        #expect(files.count == 12)
        #expect(files.allSatisfy { $0.hasPrefix("acme.") && $0.hasSuffix(".eml") })
        for row in try fixture.rows() {
            let name = "acme.\(row["kind"].string!).\(row["entity_id"].string!).\(row["reference_date"].string!).\(row["threshold_days"].int64!).eml"
            #expect(files.contains(name))
            #expect(row["channel"] == .text("outbox"))
            #expect(row["recipient"] == .text("it@zuerich-dental.example"))
            #expect(try #require(row["version"].int64) > 0, "written through the change log")
        }
        #expect(try fixture.office.tenant.db.scalar("SELECT count(*) FROM change_log WHERE entity = 'notification' AND origin = 'notify'") == .integer(12))
        // The kept digests still agree with the rows (what replicas compare against).
        #expect(try fixture.office.tenant.fullDigests()["notification"] == RowDigest.stored("notification", in: fixture.office.tenant.db))
        // A month later: only the 30-day overdue reminder is new.
        let later = try fixture.notify(on: "2026-04-03T06:00:00Z")
        #expect(later.map(\.kind) == [.invoiceOverdue])
        #expect(later.map(\.thresholdDays) == [30])
        #expect(try fixture.files().count == 13)
    }

    @Test("a due, an overdue and an expiry notice on fixed dates: RFC 5322 headers, CRLF, encoded words, amounts")
    func messages() throws {
        let fixture = try NotifyFixture()
        defer { fixture.remove() }

        let due = try fixture.notify(on: "2026-02-24T06:00:00Z")
        #expect(Set(due.map(\.kind)) == [.invoiceDue, .subscriptionExpiring, .domainExpiring, .sslExpiring])
        let dueMail = try fixture.mail(.invoiceDue, threshold: 7)
        #expect(dueMail.header("Date") == "Tue, 24 Feb 2026 06:00:00 +0000")
        #expect(dueMail.header("From")?.hasPrefix("=?utf-8?B?") == true, "a non-ASCII display name is an encoded word")
        #expect(dueMail.decoded("From") == "Acme Café Cloud <billing@acme.example>")
        #expect(dueMail.decoded("To") == "Zürich Dental AG <it@zuerich-dental.example>")
        #expect(dueMail.header("Subject") == "Invoice INV-000001 is due in 7 days")
        let messageId = try #require(dueMail.header("Message-ID"))
        #expect(messageId.hasPrefix("<") && messageId.hasSuffix("@acme.example>") && messageId.count == 47, "\(messageId)")
        #expect(try fixture.rows().contains { $0["message_id"] == .text(messageId) })
        #expect(dueMail.header("X-Outpost-Notice") == "invoice_due; \(fixture.invoice); 2026-03-03; 7")
        #expect(dueMail.header("MIME-Version") == "1.0")
        #expect(dueMail.header("Content-Type") == "text/plain; charset=utf-8")
        #expect(dueMail.header("Content-Transfer-Encoding") == "quoted-printable")
        #expect(dueMail.header("Auto-Submitted") == "auto-generated")
        #expect(dueMail.prose.hasPrefix("Dear Zürich Dental AG, this is a reminder that invoice INV-000001 of 2026-02-01 is due on 2026-03-03, in 7 days."))
        #expect(dueMail.body.contains("  Total        68.43 EUR\r\n"))
        #expect(dueMail.body.contains("  Outstanding  68.43 EUR\r\n"))
        #expect(dueMail.body.contains("Microsoft 365 Business Basic (monthly)"))
        #expect(dueMail.prose.contains("Please pay the outstanding 68.43 EUR by 2026-03-03."))
        #expect(dueMail.body.hasSuffix("Kind regards,\r\nAcme Café Cloud\r\nbilling@acme.example\r\n"))
        #expect(dueMail.raw.contains("Dear Z=C3=BCrich Dental AG,"), "the body travels as quoted-printable")

        let expiring = try fixture.notify(on: "2026-03-03T06:00:00Z")
        #expect(Set(expiring.map(\.kind)) == [.invoiceDue, .domainExpiring, .sslExpiring])
        #expect(try fixture.mail(.invoiceDue, threshold: 1).header("Subject") == "Invoice INV-000001 is due today")
        let domainMail = try fixture.mail(.domainExpiring, threshold: 7)
        let renewal = Money.formatted(try fixture.price(of: fixture.domainSubscription), currency: Currency(code: "EUR")!)
        #expect(domainMail.header("Subject") == "Domain zuerich-dental.com renews in 7 days")
        #expect(domainMail.prose.contains("the registration of zuerich-dental.com runs until 2026-03-10 and renews automatically then, in 7 days."))
        #expect(domainMail.body.contains("  Renewal  \(renewal) plus tax\r\n"))
        let sslMail = try fixture.mail(.sslExpiring, threshold: 14)
        #expect(sslMail.header("Subject") == "SSL certificate for www.zuerich-dental.com expires in 14 days")
        #expect(sslMail.prose.contains("It renews automatically: a new certificate is issued on that day."))
        #expect(sslMail.prose.contains("Please install the new certificate"))
        let subscriptionMail = try fixture.mail(.subscriptionExpiring, threshold: 7)
        #expect(subscriptionMail.header("Subject") == "Your subscription Microsoft 365 Business Basic (monthly) ends in 5 days",
                "sent two days late, it says how things stand that day")
        #expect(subscriptionMail.prose.contains("It was cancelled to end with its current period."))

        let overdue = try fixture.notify(on: "2026-03-04T06:00:00Z")
        #expect(overdue.map(\.kind) == [.invoiceOverdue])
        let overdueMail = try fixture.mail(.invoiceOverdue, threshold: 1)
        #expect(overdueMail.header("Subject") == "Invoice INV-000001 is 1 day overdue")
        #expect(overdueMail.header("Date") == "Wed, 04 Mar 2026 06:00:00 +0000")
        #expect(overdueMail.prose.contains("was due on 2026-03-03 and is now 1 day overdue."))
        #expect(overdueMail.prose.contains("Please pay the outstanding 68.43 EUR as soon as possible."))

        for name in try fixture.files() {
            let raw = try String(contentsOf: fixture.outbox.appendingPathComponent(name), encoding: .utf8)
            #expect(!raw.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "\(name): a bare LF")
            #expect(!raw.replacingOccurrences(of: "\r\n", with: "").contains("\r"), "\(name): a bare CR")
            #expect(raw.hasSuffix("\r\n"))
            for line in raw.components(separatedBy: "\r\n") {
                #expect(line.utf8.count <= 78, "\(name): a line of \(line.utf8.count) characters")
                #expect(line.utf8.allSatisfy { $0 < 0x80 }, "\(name): 8-bit data in a 7-bit message")
            }
        }
    }

    @Test("a first run long after the dates sends no stale reminders: overdue ones at most seven days late")
    func noStaleNotices() throws {
        let fixture = try NotifyFixture()
        defer { fixture.remove() }
        // 2026-04-05: everything has expired; the 30-day overdue reminder's day (2026-04-02) is three days back.
        let first = try fixture.notify(on: "2026-04-05T06:00:00Z")
        #expect(first.map(\.kind) == [.invoiceOverdue])
        #expect(first.map(\.thresholdDays) == [30], "the most recent one only, not the 1- and 7-day reminders as well")
        #expect(try fixture.mail(.invoiceOverdue, threshold: 30).header("Subject") == "Invoice INV-000001 is 33 days overdue")

        let other = try NotifyFixture()
        defer { other.remove() }
        #expect(try other.notify(on: "2026-04-20T06:00:00Z").isEmpty, "eighteen days after its day the reminder is stale")
        #expect(try other.files().isEmpty)
        #expect(try other.rows().isEmpty)
    }

    @Test("a crash between staging and recording, or between recording and renaming, neither loses nor doubles a notice")
    func crashSafeOutbox() throws {
        let fixture = try NotifyFixture()
        defer { fixture.remove() }
        let name = "acme.invoice_due.\(fixture.invoice).2026-03-03.7.eml"
        // Staged but never recorded (the run died before its transaction committed): dropped, and the notice made again.
        try "half a message".write(to: fixture.outbox.appendingPathComponent("." + name + ".tmp"), atomically: false, encoding: .utf8)
        // Not ours: left alone.
        try "x".write(to: fixture.outbox.appendingPathComponent(".acme.notes.tmp"), atomically: false, encoding: .utf8)
        try "x".write(to: fixture.outbox.appendingPathComponent("README"), atomically: false, encoding: .utf8)
        let first = try fixture.notify(on: "2026-02-24T06:00:00Z")
        #expect(first.filter { $0.kind == .invoiceDue }.count == 1)
        #expect(try fixture.mail(.invoiceDue, threshold: 7).header("Subject") == "Invoice INV-000001 is due in 7 days")
        // A notice names a customer and what they owe: the node owner's alone.
        let mode = try FileManager.default.attributesOfItem(atPath: fixture.outbox.appendingPathComponent(name).path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try fixture.files(hidden: true).contains(".acme.notes.tmp"))
        #expect(try fixture.files(hidden: true).contains("README"))
        #expect(try !fixture.files(hidden: true).contains("." + name + ".tmp"))

        // Recorded but not yet renamed (the run died between the commit and the rename): the next run puts it in place.
        let count = try fixture.rows().count
        let bytes = try Data(contentsOf: fixture.outbox.appendingPathComponent(name))
        try FileManager.default.moveItem(at: fixture.outbox.appendingPathComponent(name), to: fixture.outbox.appendingPathComponent("." + name + ".tmp"))
        #expect(try fixture.notify(on: "2026-02-24T07:00:00Z").isEmpty)
        #expect(try Data(contentsOf: fixture.outbox.appendingPathComponent(name)) == bytes, "the very message, not a new one")
        #expect(try fixture.rows().count == count)
        #expect(try fixture.files().filter { $0.contains(".invoice_due.") }.count == 1)
    }

    @Test("sendmail: a notice is recorded only once sendmail accepted it; a failure is tried again next run")
    func sendmail() throws {
        let fixture = try NotifyFixture()
        defer { fixture.remove() }
        let mailbox = fixture.office.directory.appendingPathComponent("mailbox").path
        let failing = NoticeChannel.sendmail(command: "echo 'mail system down' >&2; exit 75", environment: ProcessInfo.processInfo.environment, timeLimit: 10)
        let failed = try fixture.notify(on: "2026-02-24T06:00:00Z", channel: failing)
        #expect(failed.count == 4)
        #expect(failed.allSatisfy { $0.status == .failed && $0.problem == .deliveryFailed })
        #expect(failed.first?.reason.contains("exited with status 75: mail system down") == true)
        #expect(try fixture.rows().isEmpty, "nothing recorded as sent")

        let missing = NoticeChannel.sendmail(command: "/nonexistent/sendmail -t", environment: ProcessInfo.processInfo.environment, timeLimit: 10)
        let stopped = try fixture.notify(on: "2026-02-24T06:30:00Z", channel: missing)
        #expect(stopped.count == 1, "no mailer: the run stops at the first message")
        #expect(stopped.first?.problem == .mailerMissing)

        let working = NoticeChannel.sendmail(command: "cat >> '\(mailbox)'; echo >> '\(mailbox)'", environment: ProcessInfo.processInfo.environment, timeLimit: 10)
        let sent = try fixture.notify(on: "2026-02-24T07:00:00Z", channel: working)
        #expect(sent.count == 4 && sent.allSatisfy { $0.status == .sent && $0.file == nil })
        #expect(try fixture.rows().count == 4)
        #expect(try fixture.rows().allSatisfy { $0["channel"] == .text("sendmail") })
        let piped = try String(contentsOfFile: mailbox, encoding: .utf8)
        #expect(!piped.contains("\r"), "sendmail gets local line endings")
        #expect(piped.components(separatedBy: "\nSubject: ").count == 5)
        #expect(piped.contains("Subject: Invoice INV-000001 is due in 7 days\n"))
        #expect(try fixture.notify(on: "2026-02-24T08:00:00Z", channel: working).isEmpty)
        #expect(try fixture.files().isEmpty)
    }

    @Test("a customer without e-mail is skipped; a reseller without a sender fails with the reason, and --from stands in")
    func addresses() throws {
        let fixture = try NotifyFixture()
        defer { fixture.remove() }
        try fixture.office.tenant.record(now: fixture.office.clock.now()) { context in
            try context.update("settings", id: "settings", [("email", "")])
        }
        let noSender = try fixture.notify(on: "2026-02-24T06:00:00Z")
        #expect(noSender.count == 4 && noSender.allSatisfy { $0.status == .failed && $0.problem == .noSender })
        #expect(noSender.first?.reason.contains("reseller acme has no company e-mail") == true)
        #expect(try fixture.rows().isEmpty)

        let fallback = try fixture.notify(on: "2026-02-24T07:00:00Z", sender: "notices@node.example")
        #expect(fallback.allSatisfy { $0.status == .sent })
        #expect(try fixture.mail(.invoiceDue, threshold: 7).decoded("From") == "Acme Café Cloud <notices@node.example>")

        try fixture.office.tenant.record(now: fixture.office.clock.now()) { context in
            try context.update("customer", id: fixture.customer, [("email", "")])
        }
        let skipped = try fixture.notify(on: "2026-03-02T06:00:00Z", sender: "notices@node.example")
        #expect(skipped.map(\.status) == [.skipped])
        #expect(skipped.first?.reason == "customer Zürich Dental AG (\(fixture.customer)) has no e-mail address")
    }

    @Test("a customer name with CR and LF cannot add a header")
    func headerInjection() throws {
        let fixture = try NotifyFixture()
        defer { fixture.remove() }
        // Straight into the node's database: the mail writer must not trust what the rules normally keep out.
        try fixture.office.tenant.db.execute("UPDATE customer SET name = ?, email = ? WHERE id = ?",
                                             ["Evil Corp\r\nBcc: victim@example.com\r\n\r\nInjected body", "it@Zürich.example", fixture.customer])
        _ = try fixture.notify(on: "2026-02-24T06:00:00Z")
        let mail = try fixture.mail(.invoiceDue, threshold: 7)
        #expect(mail.headers.map(\.name) == ["Date", "From", "To", "Subject", "Message-ID", "MIME-Version", "Content-Type",
                                            "Content-Transfer-Encoding", "Auto-Submitted", "X-Outpost-Notice"])
        #expect(mail.decoded("To") == "\"Evil Corp Bcc: victim@example.com Injected body\" <it@xn--zrich-kva.example>")
        #expect(!mail.raw.contains("\r\nBcc:"))
        #expect(mail.body.hasPrefix("Dear Evil Corp Bcc: victim@example.com Injected body,\r\n\r\n"))
    }

    @Test("the notices reach a replica with its next pull, and the digests agree")
    func replicated() throws {
        let fixture = try NotifyFixture()
        defer { fixture.remove() }
        _ = try fixture.notify(on: "2026-02-24T06:00:00Z")
        let token = try fixture.office.node.issueToken(resellerId: "acme", username: "anna").token
        let replica = try Replica.create(fixture.office.directory.appendingPathComponent("replica"), clock: fixture.office.clock)
        let sync = ReplicaSync(replica: replica, transport: LocalTransport(directory: fixture.office.directory, token: token, clock: fixture.office.clock))
        _ = try sync.pull()
        #expect(try replica.db.rows("SELECT * FROM notification ORDER BY id") == fixture.office.tenant.db.rows("SELECT * FROM notification ORDER BY id"))
        #expect(try sync.verify().allSatisfy { $0.mine == $0.node })
    }
}

/// The notification scenario on a node (see `NotificationTests`), with an outbox.
final class NotifyFixture {
    let office: BackOfficeFixture
    let outbox: URL
    let customer: String
    let invoice: String
    let domainSubscription: String

    init() throws {
        office = try BackOfficeFixture(now: "2026-02-01T09:00:00Z")
        do {
            outbox = office.directory.appendingPathComponent("outbox")
            try FileManager.default.createDirectory(at: outbox, withIntermediateDirectories: true)
            try office.tenant.record(now: office.clock.now()) { context in
                try context.update("settings", id: "settings", [("company_name", "Acme Café Cloud"), ("email", "billing@acme.example")])
            }
            let ids = IdentifierFactory(clock: office.clock)
            customer = ids.make("cus")
            var create = CreateCustomer(id: customer, name: "Zürich Dental AG")
            create.email = "it@zuerich-dental.example"
            try office.push(create)
            let sale = try office.placeOrder(customer: customer, plan: "pln_m365-business-basic-m", quantity: 10)
            let domain = try office.placeOrder(customer: customer, plan: "pln_domain-com", quantity: 1, domain: "zuerich-dental.com")
            let certificate = try office.placeOrder(customer: customer, plan: "pln_sectigo-positivessl-dv", quantity: 1, commonName: "www.zuerich-dental.com")
            _ = try office.provision(with: ExpiringSoon())
            for order in [domain, certificate] {
                let paid = try #require(try office.invoices(order: order).first)
                try office.push(RecordPayment(id: ids.make("pay"), invoiceId: paid.id, amount: paid.total, method: .bankTransfer))
            }
            invoice = try #require(try office.invoices(order: sale).first).id
            domainSubscription = try #require(try office.order(domain).subscriptionId)
            _ = try office.cancel(try #require(try office.order(sale).subscriptionId), when: .periodEnd)
            _ = try office.provision()
        } catch {
            office.remove()
            throw error
        }
    }

    func remove() { office.remove() }

    func notify(on instant: String, channel: NoticeChannel? = nil, sender: String? = nil) throws -> [NotificationOutcome] {
        try office.setNow(instant)
        return try office.node.notify(via: channel ?? .outbox(outbox), resellerId: BackOfficeFixture.reseller, sender: sender)
    }

    func rows() throws -> [Row] {
        try office.tenant.db.rows("SELECT * FROM notification ORDER BY sent_at, kind")
    }

    /// The outbox's files, by name; hidden ones (staged messages) only when asked.
    func files(hidden: Bool = false) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: outbox.path).filter { hidden || !$0.hasPrefix(".") }.sorted()
    }

    /// The one message of a kind and threshold in the outbox.
    func mail(_ kind: NoticeKind, threshold: Int) throws -> ParsedMail {
        let matches = try files().filter { $0.contains(".\(kind.rawValue).") && $0.hasSuffix(".\(threshold).eml") }
        try #require(matches.count == 1, "one \(kind.rawValue) \(threshold) file, found \(matches)")
        return ParsedMail(try String(contentsOf: outbox.appendingPathComponent(matches[0]), encoding: .utf8))
    }

    /// A subscription's price for a period.
    func price(of subscription: String) throws -> Int64 {
        let row = try #require(try office.tenant.db.row("SELECT unit_price * quantity FROM subscription WHERE id = ?", [subscription]))
        return try #require(row[0].int64)
    }
}

/// The built-in provisioner, but the domain expires on 2026-03-10 and the certificate on 2026-03-17.
struct ExpiringSoon: Provisioner {
    func provision(_ request: ProvisioningRequest) -> ProvisioningAnswer {
        switch request.plan.kind {
        case .domain: return .completed(ProvisioningDetails(expiresOn: BusinessDate("2026-03-10")))
        case .ssl: return .completed(ProvisioningDetails(expiresOn: BusinessDate("2026-03-17")))
        case .subscription, .license: return BuiltInProvisioner().provision(request)
        }
    }
}

/// An RFC 5322 message read back: unfolded headers, encoded-words and quoted-printable decoded.
struct ParsedMail {
    let raw: String
    let headers: [(name: String, value: String)]
    let body: String

    init(_ raw: String) {
        self.raw = raw
        let parts = raw.components(separatedBy: "\r\n\r\n")
        let head = parts[0].replacingOccurrences(of: "\r\n ", with: " ")
        headers = head.components(separatedBy: "\r\n").map { line in
            let colon = line.firstIndex(of: ":")!
            return (String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
        }
        body = Self.quotedPrintable(parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    func header(_ name: String) -> String? { headers.first { $0.name == name }?.value }

    /// The body with its line breaks as spaces: sentences whatever the wrapping.
    var prose: String { body.replacingOccurrences(of: "\r\n\r\n", with: " ").replacingOccurrences(of: "\r\n", with: " ") }

    /// A header with its encoded-words decoded (whitespace between two of them dropped, RFC 2047 §6.2).
    func decoded(_ name: String) -> String? { header(name).map(Self.encodedWords) }

    static func encodedWords(_ text: String) -> String {
        var result = ""
        var rest = Substring(text)
        var pending = ""
        var afterWord = false
        while let start = rest.range(of: "=?utf-8?B?") {
            let gap = String(rest[..<start.lowerBound])
            result += afterWord && gap.allSatisfy({ $0 == " " }) ? "" : gap
            rest = rest[start.upperBound...]
            guard let end = rest.range(of: "?=") else { break }
            pending = String(decoding: Data(base64Encoded: String(rest[..<end.lowerBound])) ?? Data(), as: UTF8.self)
            result += pending
            rest = rest[end.upperBound...]
            afterWord = true
        }
        return result + rest
    }

    static func quotedPrintable(_ text: String) -> String {
        let bytes = Array(text.replacingOccurrences(of: "=\r\n", with: "").utf8)
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "="), index + 2 < bytes.count,
               let value = UInt8(String(decoding: bytes[(index + 1)...(index + 2)], as: UTF8.self), radix: 16) {
                out.append(value)
                index += 3
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
