import Foundation
import OutpostModel
import OutpostStore

/// `invoice credit`, `credit-note list` and `credit-note show`.
enum CreditNoteCommands {
    static let all: [CommandSpec] = [invoiceCredit, creditNoteList, creditNoteShow]

    static let invoiceCredit = CommandSpec(
        ["invoice", "credit"], "credit an issued invoice with a credit note (numbered CRN-… by the node)",
        arguments: [.init("INVOICE", "invoice number (INV-…), id (inv_…) or unique id prefix")],
        options: [
            .init("amount", value: "AMOUNT", "the credit with tax included, like 10.00; at most what the invoice has left"),
            .init("line", value: "N=AMOUNT", repeatable: true, "credit AMOUNT (before tax, like the line) on the invoice's line N (1 is the first)"),
            .init("reason", value: "TEXT", required: true, "why, one line of at most 500 characters (shown on the credit note)"),
        ],
        discussion: """
            Give --amount or one --line per invoice line, not both. The credit note's tax is the reseller's tax rate \
            on its subtotal, as on invoices. The node numbers it when the queue is pushed; until then it shows as pending.
            """,
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let invoice = try BillingCommands.findInvoice(invocation.argument(0), in: replica.db, field: "INVOICE")
            let lineTexts = invocation.values("line")
            let id = replica.ids.make("crn")
            let reason = invocation.required("reason")
            let mutation: CreditInvoice
            switch (invocation.value("amount"), lineTexts.isEmpty) {
            case (let text?, true):
                let amount = try OptionValue.money(text, option: "amount", currency: invoice.currency)
                mutation = CreditInvoice(id: id, invoiceId: invoice.id, reason: reason, amount: amount, lineId: replica.ids.make("cnl"))
            case (nil, false):
                let invoiceLines = try invoice.lines(in: replica.db)
                let credits = try lineTexts.map { text in
                    let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
                    guard parts.count == 2, let n = Int(parts[0].trimmingCharacters(in: .whitespaces)) else {
                        throw CommandFailure(.usage, "--line '\(text)' is not N=AMOUNT (like --line 1=10.00)")
                    }
                    guard (1...invoiceLines.count).contains(n) else {
                        throw CommandFailure(.dataError, "--line \(n): invoice \(invoice.displayNumber) has \(invoiceLines.count) line(s)")
                    }
                    let amount = try OptionValue.money(parts[1], option: "line", currency: invoice.currency)
                    return CreditInvoice.LineCredit(id: replica.ids.make("cnl"), invoiceLineId: invoiceLines[n - 1].id, amount: amount)
                }
                mutation = CreditInvoice(id: id, invoiceId: invoice.id, reason: reason, lines: credits)
            default:
                throw CommandFailure(.usage, "give --amount AMOUNT or --line N=AMOUNT (one per line), not both")
            }
            let seq = try replica.submit(mutation)
            let note = try CreditNote.require(id, in: replica.db)
            try WriteReceipt(queued: seq, mutation: CreditInvoice.name, id: id).print(
                to: session, json: invocation.json,
                summary: "Credited \(Format.money(note.total, note.currency)) on invoice \(invoice.displayNumber) with credit note \(id), number pending until the node takes it")
        })

    static let creditNoteList = CommandSpec(
        ["credit-note", "list"], "list credit notes",
        options: [
            .init("customer", value: "CUSTOMER", "only this customer's credit notes (id, id prefix or name)"),
            .init("invoice", value: "INVOICE", "only credit notes on this invoice (number or id)"),
        ],
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let customerId = try replica.resolve(.customer, invocation.value("customer"), field: "--customer")
            let invoiceId = try invocation.value("invoice").map { try BillingCommands.findInvoice($0, in: replica.db, field: "--invoice").id }
            let notes = try CreditNote.list(customerId: customerId, invoiceId: invoiceId, in: replica.db)
            let names = NameBook(replica.db)
            if invocation.json {
                return try JSONOutput.print(notes.map {
                    Annotated($0, ["customerName": try names.customer($0.customerId), "invoiceNumber": try names.invoiceNumber($0.invoiceId)])
                }, to: session)
            }
            var table = TextTable("NUMBER", "INVOICE", "CUSTOMER", "ISSUED", "TOTAL", "REASON", "ID")
            for note in notes {
                table.add(note.displayNumber, try names.invoiceNumber(note.invoiceId), try names.customer(note.customerId), note.issueDate.description,
                          Format.money(note.total, note.currency), note.reason, note.id)
            }
            session.print(table.render(empty: "No credit notes."))
        })

    struct CreditNoteDetail: Encodable {
        let creditNote: CreditNote
        let invoiceNumber: String
        let customerName: String
        let lines: [CreditNoteLine]
    }

    static let creditNoteShow = CommandSpec(
        ["credit-note", "show"], "show a credit note with its lines, invoice and customer",
        arguments: [.init("CREDIT-NOTE", "credit note number (CRN-…), id (crn_…) or unique id prefix")],
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let db = replica.db
            let note = try CreditNote.require(try replica.resolve(.creditNote, invocation.argument(0), field: "CREDIT-NOTE"), in: db,
                                              field: "CREDIT-NOTE")
            let names = NameBook(db)
            let detail = CreditNoteDetail(creditNote: note, invoiceNumber: try names.invoiceNumber(note.invoiceId),
                                          customerName: try names.customer(note.customerId), lines: try note.lines(in: db))
            if invocation.json { return try JSONOutput.print(detail, to: session) }
            let c = note.currency
            session.print("Credit note \(note.displayNumber)  (\(note.id))")
            session.print("Invoice: \(detail.invoiceNumber)  (\(note.invoiceId))")
            session.print("Customer: \(detail.customerName)  (\(note.customerId))")
            session.print("Issued \(note.issueDate): \(note.reason)")
            var table = TextTable("DESCRIPTION", "QTY", "UNIT PRICE", "LINE TOTAL")
            for line in detail.lines {
                table.add(line.description, String(line.quantity), Format.money(line.unitPrice, c), Format.money(line.amount, c))
            }
            session.print("")
            session.print(table.render(empty: "(no lines)"))
            session.print("Subtotal \(Format.money(note.subtotal, c)), tax \(Format.money(note.tax, c)), total \(Format.money(note.total, c))")
        })
}
