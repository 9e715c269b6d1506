import Foundation
import OutpostModel
import OutpostSync

/// `node provision`, `node bill`, `node notify`, `node order resubmit`: the node's back office.
enum BackOfficeCommands {
    static let all: [CommandSpec] = [provision, bill, notify, resubmit, voidInvoice, creditInvoice]

    static let resellerOption = CommandSpec.Option("reseller", value: "ID", "only this reseller (default: all)")

    static let dryRunOption = CommandSpec.Option("dry-run", "print what would happen, per reseller, and write, call and send nothing")

    static let provision = CommandSpec(
        ["node", "provision"], "provision the orders waiting in the queue: subscriptions, domains, certificates, licenses, invoices",
        arguments: [.init("DIR", "the node directory")],
        options: [
            resellerOption,
            .init("hook", value: "CMD", "run CMD (via /bin/sh -c) for each order: the vendor call"),
            .init("builtin", "use the built-in demo provisioner instead (completes every order at once, with no vendor)"),
            .init("hook-timeout", value: "SECONDS", "kill a hook that has not answered after this long (default 60)"),
            dryRunOption,
        ],
        discussion: """
            Give exactly one of --hook CMD (the vendor) or --builtin (the demo provisioner, which completes
            orders with made-up license keys and no vendor behind it).

            Each submitted order, oldest first, is set to provisioning and checked as its completion would
            check it (customer active, plan, seats, domain free…): a refused order fails with the reason and
            the hook is not called. Otherwise it goes to the provisioner, then is completed (a sale starts its
            subscription and is invoiced; more seats are charged by day for the rest of the period, fewer take
            effect at renewal; a cancellation ends the subscription now with a credit note for the unused
            days, or at the end of its period) or failed with a reason.

            A hook gets the order as JSON on stdin (idempotency_key, order, lines, customer, plan,
            subscription) and OUTPOST_RESELLER, OUTPOST_ORDER_ID, OUTPOST_ORDER_NUMBER and
            OUTPOST_IDEMPOTENCY_KEY in its environment. The idempotency key is the same for an order on every
            call: the vendor call must honour it. Exit 0 with {"status": "completed"} (optionally
            "license_key", "expires_on", "issued_on", "registered_on") completes the order;
            {"status": "failed", "reason": "..."} or a non-zero exit fails it. A "completed" answer is recorded
            on the order before it is applied; one the node cannot apply leaves the order failed with
            "completed at vendor, not applied: REASON", and resubmitting it applies the recorded answer
            without calling the vendor again. Failed orders are settled with:
            outpost node order resubmit ORD-000123 --node DIR

            --dry-run prints, per reseller, what each waiting order would get (refused with the reason, sent
            to the hook, or with --builtin completed with its invoices) and writes nothing.

            Exit status 1 when an order failed.
            """,
        usesReplica: false, printsJSON: true,
        run: { invocation, session in
            let hook = invocation.value("hook")
            switch (hook, invocation.flag("builtin")) {
            case (nil, false):
                throw UsageError(message: "say who provisions: --hook CMD (the vendor call) or --builtin (the demo provisioner, no vendor)",
                                 command: invocation.command.name)
            case (_?, true):
                throw UsageError(message: "give either --hook CMD or --builtin, not both", command: invocation.command.name)
            default: break
            }
            var provisioner: any Provisioner = BuiltInProvisioner()
            if let command = hook {
                guard !command.trimmingCharacters(in: .whitespaces).isEmpty else { throw UsageError(message: "--hook needs a command", command: invocation.command.name) }
                provisioner = HookProvisioner(command: command, timeLimit: try timeLimit(invocation), environment: session.environment)
            } else if invocation.value("hook-timeout") != nil {
                throw UsageError(message: "--hook-timeout only applies with --hook", command: invocation.command.name)
            }
            let node = try openNode(invocation, session)
            if invocation.flag("dry-run") {
                let previews = try backOffice { try node.rehearseProvisioning(resellerId: invocation.value("reseller"), hook: hook) }
                if invocation.json { return try JSONOutput.print(previews, to: session) }
                guard !previews.isEmpty else { return session.print("Dry run: no orders waiting to be provisioned; nothing would happen.") }
                for (resellerId, group) in grouped(previews, by: \.resellerId) {
                    session.print("Reseller \(resellerId):")
                    for preview in group {
                        let order = "order \(preview.orderNumber ?? preview.orderId) (\(preview.type.rawValue), \(preview.customerName))"
                        switch preview.verdict {
                        case .refused: session.print("  \(order) would be refused: \(preview.reason)")
                        case .sentToHook: session.print("  \(order) would be sent to hook \(preview.hook ?? "")")
                        case .completes:
                            let documents = preview.documents.map { "\($0.kind == "invoice" ? "invoice" : "credit note") \($0.number) \(Format.money($0.amount, preview.currency))" }
                            session.print("  \(order) would be completed" + (documents.isEmpty ? "" : " → " + documents.joined(separator: ", "))
                                          + (preview.reason.isEmpty ? "" : " (\(preview.reason))"))
                        }
                    }
                }
                return session.print("Dry run: nothing was written and no hook was called.")
            }
            let outcomes = try backOffice { try node.provision(resellerId: invocation.value("reseller"), with: provisioner) }
            if invocation.json {
                try JSONOutput.print(outcomes, to: session)
            } else if outcomes.isEmpty {
                session.print("No orders waiting to be provisioned.")
            } else {
                var table = TextTable("ORDER", "RESELLER", "CUSTOMER", "TYPE", "ITEMS", "STATUS", "DOCUMENTS", "NOTE")
                for outcome in outcomes {
                    table.add(outcome.orderNumber ?? outcome.orderId, outcome.resellerId, outcome.customerName, outcome.type.rawValue,
                              outcome.items, outcome.status.rawValue, (outcome.invoiceNumbers + outcome.creditNoteNumbers).joined(separator: " "),
                              outcome.reason)
                }
                session.print(table.render(empty: ""))
                let failed = outcomes.filter { $0.status == .failed }.count
                session.print("Provisioned \(outcomes.count) order(s): \(outcomes.count - failed) completed, \(failed) failed.")
            }
            let failed = outcomes.filter { $0.status == .failed }
            if !failed.isEmpty {
                let numbers = failed.map { $0.orderNumber ?? $0.orderId }.joined(separator: ", ")
                throw CommandFailure(.attention, "\(failed.count) order(s) failed (\(numbers)); fix the cause, then: outpost node order resubmit ORDER --node \(node.directory.path)")
            }
        })

    static let bill = CommandSpec(
        ["node", "bill"], "run billing: renew, cancel or expire every subscription whose period ends by a date (idempotent)",
        arguments: [.init("DIR", "the node directory")],
        options: [
            .init("through", value: "DATE", required: true, "handle periods ending on or before this date (YYYY-MM-DD)"),
            resellerOption,
            dryRunOption,
        ],
        discussion: """
            For each active subscription whose period ends on or before --through: one set to end at period
            end is cancelled; one that does not renew expires; the others are renewed period by period until
            their period ends after the date, each period with a completed renewal order and an invoice (a
            pending seat decrease applies from the first renewal). Domains, certificates and licenses follow
            their subscription. Running it again with the same date changes nothing.

            A date in the past is allowed: it only catches up what was already due. A date later than today
            plus a reseller's advance-billing window (outpost settings set --advance-billing-days N, 14 by
            default) is refused for the whole run before anything is written (exit 65): a year billed ahead
            by a typo cannot be taken back.

            --dry-run prints, per reseller, each renewal with its invoice amount and each cancellation or
            expiry the run would make, and writes nothing.
            """,
        usesReplica: false, printsJSON: true,
        run: { invocation, session in
            let through = BusinessDate(try OptionValue.date(invocation.required("through"), option: "through"))!
            let node = try openNode(invocation, session)
            let today = session.clock.now().date
            if through < today, !invocation.json {
                session.print("\(through) is before today (\(today)): only what was already due by then is caught up.")
            }
            if invocation.flag("dry-run") {
                let outcomes = try backOffice { try node.rehearseBilling(through: through, resellerId: invocation.value("reseller")) }
                if invocation.json { return try JSONOutput.print(outcomes, to: session) }
                guard !outcomes.isEmpty else { return session.print("Dry run: nothing to bill through \(through); nothing would happen.") }
                for (resellerId, group) in grouped(outcomes, by: \.resellerId) {
                    session.print("Reseller \(resellerId):")
                    for outcome in group {
                        let subject = "\(outcome.planName) for \(outcome.customerName) (\(outcome.subscriptionId))"
                        switch outcome.action {
                        case .renewed:
                            session.print("  renewal of \(subject) → \(outcome.invoiceNumbers.count) invoice(s) \(outcome.invoiceNumbers.joined(separator: " ")), "
                                          + "\(Format.money(outcome.invoicedTotal, outcome.currency)), period to \(outcome.periodEnd)")
                        case .cancelled: session.print("  cancellation of \(subject) at its period end \(outcome.periodEnd)")
                        case .expired: session.print("  expiry of \(subject) at its period end \(outcome.periodEnd)")
                        }
                    }
                }
                return session.print("Dry run through \(through): nothing was written.")
            }
            let outcomes = try backOffice { try node.bill(through: through, resellerId: invocation.value("reseller")) }
            if invocation.json { return try JSONOutput.print(outcomes, to: session) }
            guard !outcomes.isEmpty else { return session.print("Nothing to bill through \(through).") }
            var table = TextTable("SUBSCRIPTION", "CUSTOMER", "RESELLER", "ACTION", "ORDERS", "INVOICES", "SEATS", "PERIOD")
            for outcome in outcomes {
                table.add(outcome.planName, outcome.customerName, outcome.resellerId, outcome.action.rawValue, outcome.orderNumbers.joined(separator: " "),
                          outcome.invoiceNumbers.joined(separator: " "), String(outcome.quantity),
                          "\(outcome.periodStart) to \(outcome.periodEnd)")
            }
            session.print(table.render(empty: ""))
            let count = { (action: BillingOutcome.Action) in outcomes.filter { $0.action == action }.count }
            let invoices = outcomes.reduce(0) { $0 + $1.invoiceNumbers.count }
            session.print("Billed through \(through): \(count(.renewed)) renewed (\(invoices) invoice(s)), \(count(.cancelled)) cancelled, \(count(.expired)) expired.")
        })

    static let notify = CommandSpec(
        ["node", "notify"], "send the notices due today (invoices due or overdue, subscriptions, domains, certificates expiring), each once",
        arguments: [.init("DIR", "the node directory")],
        options: [
            .init("outbox", value: "DIR", "write each notice as an RFC 5322 .eml file into this existing directory"),
            .init("sendmail", "pipe each notice to sendmail -t instead"),
            .init("sendmail-command", value: "CMD", "with --sendmail: the command to pipe to, via /bin/sh -c (default: sendmail -t -i)"),
            .init("from", value: "ADDRESS", "sender for resellers whose settings have no company e-mail"),
            resellerOption,
            .init("quiet", "print nothing unless something needs attention"),
            dryRunOption,
        ],
        discussion: """
            The schedules are the reseller's settings (outpost settings set --notify-invoice-due 7,1 …): N days
            before an unpaid invoice is due, N days after it is due while still unpaid, N days before a
            subscription that does not renew ends, before a domain's registration runs out and before an SSL
            certificate expires. Today is the clock's date (UTC; OUTPOST_NOW pins it).

            Each notice goes to the customer's e-mail from the reseller's company e-mail, once per entity,
            date and schedule day however often this runs; what was sent is recorded, replicated, and shown on
            the customer's dashboard page. A run that missed days sends only the most recent notice whose day
            has come (never a burst of stale ones); due and expiry reminders are sent until that date, overdue
            ones at most 7 days after their day. Customers without an e-mail address are skipped.

            --outbox writes NAME.eml files (CRLF, UTF-8 quoted-printable, non-ASCII headers as encoded-words)
            through a hidden .NAME.eml.tmp: staged, recorded, then renamed, so a crash neither loses nor
            doubles one (the next run finishes or drops what it left). --sendmail records a notice only after
            sendmail succeeded; a failed one is tried again next run. One run at a time per node. A reseller
            whose run cannot finish (its database busy or damaged) is named on standard error; the others'
            notices go out all the same.

            --dry-run prints, per reseller, each notice that would go out today and to whom (or why it
            would not), and sends, writes and records nothing; it needs neither --outbox nor --sendmail.

            Exit status: 0 done; 64 usage; 65 a bad --from or an unknown --reseller; 66 no node at DIR;
            73 the outbox is missing or not writable; 75 sendmail failed, a reseller's run did not finish, or
            another run is going (try later); 78 sendmail cannot be run, or a reseller with notices due has no
            sender address.
            """,
        usesReplica: false, printsJSON: true,
        run: { invocation, session in
            if invocation.flag("dry-run") { return try rehearseNotices(invocation, session) }
            let channel: NoticeChannel
            switch (invocation.value("outbox"), invocation.flag("sendmail")) {
            case (let directory?, false):
                guard invocation.value("sendmail-command") == nil else {
                    throw UsageError(message: "--sendmail-command only applies with --sendmail", command: invocation.command.name)
                }
                channel = .outbox(URL(fileURLWithPath: directory))
            case (nil, true):
                let command = invocation.value("sendmail-command") ?? NoticeChannel.defaultSendmailCommand
                guard !command.trimmingCharacters(in: .whitespaces).isEmpty else {
                    throw UsageError(message: "--sendmail-command needs a command", command: invocation.command.name)
                }
                channel = .sendmail(command: command, environment: session.environment, timeLimit: 60)
            case (_?, true):
                throw UsageError(message: "give either --outbox DIR or --sendmail, not both", command: invocation.command.name)
            case (nil, false):
                throw UsageError(message: "say where the notices go: --outbox DIR or --sendmail", command: invocation.command.name)
            }
            if let from = invocation.value("from"), MailMessage.Mailbox(name: "", address: from.trimmingCharacters(in: .whitespaces)) == nil {
                throw CommandFailure(.dataError, "--from '\(from)' is not an e-mail address usable as a sender (expected name@example.com)")
            }
            let node = try openNode(invocation, session)
            let outcomes: [NotificationOutcome]
            var unfinished: NotificationRunFailure?
            do {
                outcomes = try backOffice {
                    try node.notify(via: channel, resellerId: invocation.value("reseller"),
                                    sender: invocation.value("from")?.trimmingCharacters(in: .whitespaces))
                }
            } catch let error as NotificationError {
                throw CommandFailure(error.kind == .busy ? .tempFail : .cannotCreate, error.message)
            } catch let error as NotificationRunFailure {
                // Show what was done for the others, then say which resellers did not finish.
                outcomes = error.outcomes
                unfinished = error
            }
            defer {
                if let unfinished {
                    for failure in unfinished.failures { session.printError("Reseller \(failure.resellerId) was not finished: \(failure.reason)") }
                }
            }
            let today = session.clock.now().date
            let sent = outcomes.filter { $0.status == .sent }, failed = outcomes.filter { $0.status == .failed }
            if invocation.json {
                try JSONOutput.print(outcomes, to: session)
            } else if !invocation.flag("quiet") {
                if outcomes.isEmpty {
                    session.print("No notices due on \(today).")
                } else {
                    var table = TextTable("RESELLER", "NOTICE", "ENTITY", "TO", "STATUS", "SUBJECT OR REASON")
                    for outcome in outcomes {
                        table.add(outcome.resellerId, outcome.kind.rawValue, outcome.entityName, outcome.recipient.isEmpty ? "-" : outcome.recipient,
                                  outcome.status.rawValue, outcome.status == .sent ? outcome.subject : outcome.reason)
                    }
                    session.print(table.render(empty: ""))
                    let place: String
                    switch channel {
                    case .outbox(let directory): place = "written to \(directory.path)"
                    case .sendmail: place = "handed to sendmail"
                    }
                    let skipped = outcomes.count - sent.count - failed.count
                    session.print("Notices for \(today): \(sent.count) \(place), \(skipped) skipped, \(failed.count) failed.")
                }
            }
            if let unfinished {
                throw CommandFailure(.tempFail, "\(unfinished.failures.count) reseller(s) not finished; their notices are tried again on the next run")
            }
            guard !failed.isEmpty else { return }
            if invocation.json || invocation.flag("quiet") {
                for outcome in failed { session.printError("\(outcome.resellerId): \(outcome.kind.rawValue) \(outcome.entityName) (\(outcome.entityId)): \(outcome.reason)") }
            }
            let configuration = failed.contains { $0.problem == .noSender || $0.problem == .mailerMissing }
            let first = failed[0].reason
            throw CommandFailure(configuration ? .config : .tempFail,
                                 "\(failed.count) notice(s) not sent (\(first)); \(configuration ? "fix the configuration" : "they are tried again on the next run")")
        })

    static let resubmit = CommandSpec(
        ["node", "order", "resubmit"], "settle a failed order: back to the provisioning queue, or apply the vendor's recorded answer",
        arguments: [.init("ORDER", "the order's number (ORD-000123, ord-123), id (ord_…) or a unique id prefix")],
        options: [resellerOption, NodeCommands.nodeOption],
        discussion: """
            A failed order the vendor never completed goes back to the provisioning queue for the next
            outpost node provision. One the vendor completed but the node could not apply ("completed at
            vendor, not applied: REASON") has the vendor's recorded answer applied now, once the cause is
            fixed (the customer reactivated…), without calling the vendor again; while a business rule still
            refuses that answer, it stays failed and the command exits 65 with the reason. A completed order,
            or one that never failed, is refused (exit 65).

            Numbers are per reseller: an order number that several resellers have is refused (exit 64) with
            the matching orders; say which with --reseller ID.
            """,
        usesReplica: false,
        run: { invocation, session in
            let node = try backOffice { try NodeCommands.openNodeNamed(invocation, session) }
            let (resellerId, resubmission) = try backOffice { try node.resubmit(order: invocation.argument(0), resellerId: invocation.value("reseller")) }
            let order = resubmission.order
            let name = "\(order.displayNumber) (\(order.id)) of reseller \(resellerId)"
            guard resubmission.applied != nil else {
                return session.print("Resubmitted \(name); provision it with: outpost node provision \(node.directory.path) --hook CMD")
            }
            if order.status == .completed {
                session.print("Applied the vendor's recorded answer to \(name) without calling the vendor: it is completed.")
            } else {
                // A business rule still refuses it (the customer is suspended…): bad data, not a run needing attention.
                throw CommandFailure(.dataError, "the vendor's recorded answer to \(name) still cannot be applied: \(order.statusReason)")
            }
        })

    static let voidInvoice = CommandSpec(
        ["node", "invoice", "void"], "void an invoice issued by mistake (only while nothing is paid or credited on it)",
        arguments: [.init("INVOICE", "the invoice's number (INV-000045, inv-45), id (inv_…) or a unique id prefix")],
        options: [.init("reason", value: "TEXT", required: true, "why it is void, shown on the invoice"), resellerOption, NodeCommands.nodeOption],
        discussion: """
            The invoice keeps its number (numbering stays gap-free) and becomes void with the reason and the
            time, which the replicas pull: it is no longer owed (balances, receivables, overdue lists and
            notices leave it) and its revenue no longer counts. An invoice with a payment or a credit note
            is not voided (exit 65): what is still open on it can be credited with outpost node invoice
            credit; one paid or credited in full owes nothing (a refund happens outside Outpost).

            Numbers are per reseller: an invoice number that several resellers have is refused (exit 64) with
            the matching invoices; say which with --reseller ID.
            """,
        usesReplica: false, printsJSON: true,
        run: { invocation, session in
            let node = try backOffice { try NodeCommands.openNodeNamed(invocation, session) }
            let invoice = try backOffice {
                let (corrections, id) = try node.invoiceCorrections(for: invocation.argument(0), resellerId: invocation.value("reseller"))
                return try corrections.void(id, reason: invocation.required("reason"))
            }
            if invocation.json { return try JSONOutput.print(invoice, to: session) }
            session.print("Invoice \(invoice.displayNumber) (\(invoice.id)) is void: \(invocation.value("reason")?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""). "
                          + "Replicas see it with their next sync.")
        })

    static let creditInvoice = CommandSpec(
        ["node", "invoice", "credit"], "issue a credit note against an invoice (all that is still open, or an amount)",
        arguments: [.init("INVOICE", "the invoice's number (INV-000045, inv-45), id (inv_…) or a unique id prefix")],
        options: [
            .init("reason", value: "TEXT", required: true, "why it is credited, shown on the credit note"),
            .init("amount", value: "AMOUNT", "how much to credit, tax included (default: everything still open)"),
            resellerOption, NodeCommands.nodeOption,
        ],
        discussion: """
            The credit note is numbered like every other (CRN-…) and lowers what the invoice still owes; it
            cannot credit more than is open, nor a void invoice (exit 65). An invoice number that several
            resellers have is refused (exit 64) with the matching invoices; say which with --reseller ID.
            """,
        usesReplica: false, printsJSON: true,
        run: { invocation, session in
            let node = try backOffice { try NodeCommands.openNodeNamed(invocation, session) }
            let result = try backOffice {
                let (corrections, id) = try node.invoiceCorrections(for: invocation.argument(0), resellerId: invocation.value("reseller"))
                let currency = try Invoice.require(id, in: corrections.tenant.db).currency
                let amount = try invocation.value("amount").map { try OptionValue.money($0, option: "amount", currency: currency) }
                return try corrections.credit(id, reason: invocation.required("reason"), amount: amount)
            }
            if invocation.json {
                return try JSONOutput.print(["invoice": result.invoice.displayNumber, "credit_note": result.creditNoteNumber,
                                             "total": Format.money(result.total, result.invoice.currency)], to: session)
            }
            session.print("Credit note \(result.creditNoteNumber) of \(Format.money(result.total, result.invoice.currency)) issued against invoice "
                          + "\(result.invoice.displayNumber). Replicas see it with their next sync.")
        })

    /// `node notify --dry-run`: what would go out today, per reseller.
    static func rehearseNotices(_ invocation: Invocation, _ session: Session) throws {
        if let from = invocation.value("from"), MailMessage.Mailbox(name: "", address: from.trimmingCharacters(in: .whitespaces)) == nil {
            throw CommandFailure(.dataError, "--from '\(from)' is not an e-mail address usable as a sender (expected name@example.com)")
        }
        let node = try openNode(invocation, session)
        let outcomes = try backOffice {
            try node.rehearseNotices(resellerId: invocation.value("reseller"), sender: invocation.value("from")?.trimmingCharacters(in: .whitespaces))
        }
        if invocation.json { return try JSONOutput.print(outcomes, to: session) }
        let today = session.clock.now().date
        guard !outcomes.isEmpty else { return session.print("Dry run: no notices due on \(today); nothing would be sent.") }
        for (resellerId, group) in grouped(outcomes, by: \.resellerId) {
            session.print("Reseller \(resellerId):")
            for outcome in group {
                let notice = "notice \(outcome.kind.rawValue) for \(outcome.entityName) of \(outcome.customerName) (\(outcome.entityId))"
                switch outcome.status {
                case .wouldSend, .sent: session.print("  \(notice) to \(outcome.recipient): \(outcome.subject)")
                case .skipped, .failed: session.print("  \(notice) would not be sent: \(outcome.reason)")
                }
            }
        }
        session.print("Dry run for \(today): nothing was sent, written or recorded.")
    }

    /// Items grouped by reseller, in the order the resellers first appear.
    static func grouped<T>(_ items: [T], by key: (T) -> String) -> [(String, [T])] {
        var order: [String] = []
        var groups: [String: [T]] = [:]
        for item in items {
            let name = key(item)
            if groups[name] == nil { order.append(name) }
            groups[name, default: []].append(item)
        }
        return order.map { ($0, groups[$0] ?? []) }
    }

    // MARK: Support

    static func openNode(_ invocation: Invocation, _ session: Session) throws -> Node {
        try backOffice { try Node.open(URL(fileURLWithPath: invocation.argument(0)), clock: session.clock) }
    }

    static func timeLimit(_ invocation: Invocation) throws -> TimeInterval {
        guard let text = invocation.value("hook-timeout") else { return HookProvisioner.defaultTimeLimit }
        guard let seconds = TimeInterval(text.trimmingCharacters(in: .whitespaces)), seconds > 0, seconds <= 86_400 else {
            throw CommandFailure(.dataError, "--hook-timeout '\(text)' must be a number of seconds between 0 and 86400, like 30 or 0.5")
        }
        return seconds
    }

    /// Node and back-office errors as exit codes: a missing node is 66, a directory that is not one 78, a bad request 65.
    static func backOffice<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as Node.OpenError {
            switch error {
            case .missing: throw CommandFailure(.noInput, error.description)
            case .notANode, .alreadyExists: throw CommandFailure(.config, error.description)
            }
        } catch let error as Node.AdminError {
            throw CommandFailure(.dataError, error.message)
        } catch let error as NodeJobLock.Busy {
            throw CommandFailure(.tempFail, error.description)
        } catch let error as NodeJobLock.CannotOpen {
            throw CommandFailure(.cannotCreate, error.description)
        } catch let error as BackOfficeError {
            throw CommandFailure(.dataError, error.message)
        } catch let error as BackOfficeReference.Ambiguity {
            // Like an ambiguous name on the laptop: the operator must say more (--reseller), nothing was written.
            throw CommandFailure(.usage, error.description)
        }
    }
}
