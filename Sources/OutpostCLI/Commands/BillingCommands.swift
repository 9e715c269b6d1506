import Foundation
import OutpostModel
import OutpostStore

/// `invoice …` and `payment …`.
enum BillingCommands {
    static let all: [CommandSpec] = [invoiceList, invoiceShow, paymentRecord, paymentList]

    /// An invoice by number (`INV-…`), id (`inv_…`) or unique id prefix.
    static func findInvoice(_ key: String, in db: Database, field: String) throws -> Invoice {
        try Invoice.require(EntityReference(.invoice, key).resolve(in: db, field: field), in: db, field: field)
    }

    static let invoiceList = CommandSpec(
        ["invoice", "list"], "list invoices with their payment state",
        options: [
            .init("customer", value: "CUSTOMER", "only this customer's invoices (id, id prefix or name)"),
            .init("unpaid", "only invoices with something outstanding"),
            .init("overdue", "only invoices past their due date and not paid"),
        ],
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let today = session.clock.now().date
            let customerId = try replica.resolve(.customer, invocation.value("customer"), field: "--customer")
            let invoices = try InvoiceWithBalance.list(customerId: customerId, today: today, in: replica.db).filter {
                (!invocation.flag("unpaid") || $0.balance.outstanding > 0) && (!invocation.flag("overdue") || $0.balance.overdue)
            }
            if invocation.json { return try JSONOutput.print(invoices, to: session) }
            var table = TextTable("NUMBER", "CUSTOMER", "ISSUED", "DUE", "INVOICE TOTAL", "OUTSTANDING", "STATE", "ID")
            for entry in invoices {
                let i = entry.invoice
                let state = entry.balance.state.rawValue + (entry.balance.overdue ? ", overdue \(entry.balance.daysOverdue)d" : "")
                    + (i.status == .void && !i.voidReason.isEmpty ? ": \(i.voidReason)" : "")
                table.add(i.displayNumber, entry.customerName, i.issueDate.description, i.dueDate.description,
                          Format.money(i.total, i.currency), Format.money(entry.balance.outstanding, i.currency), state, i.id)
            }
            session.print(table.render(empty: "No invoices. The node issues them when orders are provisioned."))
        })

    struct InvoiceDetail: Encodable {
        let invoice: Invoice
        let balance: InvoiceBalance
        let lines: [InvoiceLine]
        let payments: [Payment]
        let creditNotes: [CreditNote]
    }

    static let invoiceShow = CommandSpec(
        ["invoice", "show"], "show an invoice with lines, payments and credit notes",
        arguments: [.init("INVOICE", "invoice number (INV-…), id (inv_…) or unique id prefix")],
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let db = replica.db
            let invoice = try findInvoice(invocation.argument(0), in: db, field: "INVOICE")
            guard let balance = try InvoiceBalance.of(invoice.id, today: session.clock.now().date, in: db) else { return }
            let detail = InvoiceDetail(
                invoice: invoice, balance: balance, lines: try invoice.lines(in: db),
                payments: try Payment.list(customerId: nil, invoiceId: invoice.id, in: db),
                creditNotes: try CreditNote.list(customerId: nil, invoiceId: invoice.id, in: db))
            if invocation.json { return try JSONOutput.print(detail, to: session) }
            let c = invoice.currency
            session.print("Invoice \(invoice.displayNumber)  (\(invoice.id), \(invoice.status.rawValue))")
            session.print("Customer: \(try NameBook(db).customer(invoice.customerId))  (\(invoice.customerId))")
            session.print("Issued \(invoice.issueDate), due \(invoice.dueDate)")
            if invoice.status == .void {
                session.print("Void\(invoice.voidedAt.map { " since \($0)" } ?? ""): \(invoice.voidReason.isEmpty ? "no reason given" : invoice.voidReason); nothing is owed")
            }
            var table = TextTable("DESCRIPTION", "QTY", "UNIT PRICE", "LINE TOTAL")
            for line in detail.lines {
                table.add(line.description, String(line.quantity), Format.money(line.unitPrice, c), Format.money(line.amount, c))
            }
            session.print("")
            session.print(table.render(empty: "(no lines)"))
            session.print("Subtotal \(Format.money(invoice.subtotal, c)), tax \(Format.money(invoice.tax, c)), total \(Format.money(invoice.total, c))")
            session.print("Paid \(Format.money(balance.paid, c)), credited \(Format.money(balance.credited, c)), outstanding \(Format.money(balance.outstanding, c)): \(balance.state.rawValue)\(balance.overdue ? ", overdue by \(balance.daysOverdue) day(s)" : "")")
            if !detail.payments.isEmpty {
                var payments = TextTable("RECEIVED", "AMOUNT", "METHOD", "REFERENCE", "STATUS", "ID")
                for p in detail.payments {
                    payments.add(p.receivedOn.description, Format.money(p.amount, p.currency), p.method.rawValue, p.reference, p.status.rawValue, p.id)
                }
                session.print("")
                session.print("Payments:")
                session.print(payments.render(empty: ""))
            }
            if !detail.creditNotes.isEmpty {
                var notes = TextTable("NUMBER", "ISSUED", "TOTAL", "REASON")
                for note in detail.creditNotes {
                    notes.add(note.displayNumber, note.issueDate.description, Format.money(note.total, note.currency), note.reason)
                }
                session.print("")
                session.print("Credit notes:")
                session.print(notes.render(empty: ""))
            }
        })

    static let paymentRecord = CommandSpec(
        ["payment", "record"], "record money received against an open invoice",
        options: [
            .init("invoice", value: "INVOICE", required: true, "invoice number (INV-…), id (inv_…) or unique id prefix"),
            .init("amount", value: "AMOUNT", required: true, "decimal amount in the invoice's currency, like 12.34"),
            .init("method", value: "METHOD", "bank_transfer, card, direct_debit, cash, check or other (default bank_transfer)"),
            .init("reference", value: "TEXT", "bank reference or receipt number"),
            .init("received-on", value: "DATE", "YYYY-MM-DD (default today)"),
        ],
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let invoice = try findInvoice(invocation.required("invoice"), in: replica.db, field: "--invoice")
            let amount = try OptionValue.money(invocation.required("amount"), option: "amount", currency: invoice.currency)
            let method = try OptionValue.choice(invocation.value("method") ?? Payment.Method.bankTransfer.rawValue, Payment.Method.self, option: "method")
            var mutation = RecordPayment(id: replica.ids.make("pay"), invoiceId: invoice.id, amount: amount, method: method)
            mutation.reference = invocation.value("reference") ?? ""
            mutation.receivedOn = try invocation.value("received-on").map { try OptionValue.date($0, option: "received-on") }
            try replica.submitAndReport(mutation, id: mutation.id, session: session, json: invocation.json,
                                        summary: "Recorded payment \(mutation.id) of \(Format.money(amount, invoice.currency)) on invoice \(invoice.displayNumber)")
        })

    static let paymentList = CommandSpec(
        ["payment", "list"], "list payments",
        options: [
            .init("customer", value: "CUSTOMER", "only this customer's payments (id, id prefix or name)"),
            .init("invoice", value: "INVOICE", "only payments on this invoice (number or id)"),
        ],
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let invoiceId = try invocation.value("invoice").map { try findInvoice($0, in: replica.db, field: "--invoice").id }
            let customerId = try replica.resolve(.customer, invocation.value("customer"), field: "--customer")
            let payments = try Payment.list(customerId: customerId, invoiceId: invoiceId, in: replica.db)
            let names = NameBook(replica.db)
            if invocation.json {
                return try JSONOutput.print(payments.map {
                    Annotated($0, ["customerName": try names.customer($0.customerId), "invoiceNumber": try names.invoiceNumber($0.invoiceId)])
                }, to: session)
            }
            var table = TextTable("RECEIVED", "CUSTOMER", "INVOICE", "METHOD", "AMOUNT", "STATUS", "REFERENCE", "ID")
            for p in payments {
                table.add(p.receivedOn.description, try names.customer(p.customerId), try names.invoiceNumber(p.invoiceId), p.method.rawValue,
                          Format.money(p.amount, p.currency), p.status.rawValue, p.reference, p.id)
            }
            session.print(table.render(empty: "No payments."))
        })
}
