import OutpostModel
import OutpostStore

/// One printable page per invoice: seller and customer, lines, totals,
/// payments, credit notes and what is still owed.
enum InvoicePages {
    /// Builds every invoice's page, or only those of `only` (an incremental build).
    static func build(in context: BuildContext, settings: ResellerSettings, only: Set<String>? = nil) throws {
        try forEachInvoice(in: context, settings: settings, only: only, portal: false) { id, title, blocks in
            try context.emit(PageModel(path: SitePath.invoice(id), title: title, section: .invoices, blocks: blocks))
        }
    }

    /// Each invoice of `only` (every one when nil), in id order, as its id, page title and blocks. For a
    /// customer's `portal` the page leaves out the reseller's own words (why an invoice was voided) and
    /// links nowhere outside the portal (the customer, order and credit notes are named, not linked).
    static func forEachInvoice(in context: BuildContext, settings: ResellerSettings, only: Set<String>?, portal: Bool,
                               _ body: (_ id: String, _ title: String, _ blocks: [Block]) throws -> Void) throws {
        let db = context.db
        let scope = Scope(only)
        let lines = try KeyedCursor(db, scope.sql("SELECT * FROM invoice_line ORDER BY invoice_id, id", "invoice_id"), key: "invoice_id", scope.arguments)
        let payments = try KeyedCursor(db, scope.sql("SELECT * FROM payment ORDER BY invoice_id, received_on, id", "invoice_id"), key: "invoice_id", scope.arguments)
        let credits = try KeyedCursor(db, scope.sql("SELECT * FROM credit_note ORDER BY invoice_id, issue_date, id", "invoice_id"), key: "invoice_id", scope.arguments)
        let seller: [(String, Cell)] = [
            ("Company", .text(settings.companyName)), ("Address", .text(settings.address)), ("E-mail", .email(settings.email)),
            ("Phone", .text(settings.phone)), ("Tax id", .text(settings.taxId)),
        ]
        let sql = """
            SELECT i.*, c.name AS customer_name, c.contact_name, c.address, c.city, c.postal_code, c.country, c.tax_id AS customer_tax_id,
                   o.number AS order_number, o.total AS order_total, o.type AS order_type,
                   coalesce((SELECT sum(amount) FROM payment p WHERE p.invoice_id = i.id AND p.status = 'completed'), 0) AS paid,
                   coalesce((SELECT sum(total) FROM credit_note n WHERE n.invoice_id = i.id), 0) AS credited
            FROM invoice i JOIN customer c ON c.id = i.customer_id LEFT JOIN orders o ON o.id = i.order_id
            ORDER BY i.id
            """
        try context.forEachRow(scope.sql(sql, "i.id"), scope.arguments) { invoice in
            let id = invoice["id"].string ?? ""
            let customerId = invoice["customer_id"].string ?? ""
            // The reseller's own invoices are listed on the "Own purchases" page, which has no customer to bill.
            guard customerId != Customer.ownAccountId else { return }
            func text(_ row: Row, _ column: String) -> String { row[column].string ?? "" }
            let (state, outstanding) = ListPages.invoiceState(invoice, today: context.today)
            let number = invoice["number"].string
            var blocks: [Block] = []
            var facts: [(String, Cell)] = [("Invoice number", .text(number ?? "pending (the node assigns it)")), ("State", .status(state))]
            if state == "void" {
                // Why it was voided, and when: the record stays so its number is accounted for.
                let reason = text(invoice, "void_reason")
                let voided = invoice["voided_at"].string.map { " (voided \($0))" } ?? ""
                facts.append(("Void", .text(portal ? "cancelled, nothing is owed" + voided : (reason.isEmpty ? "no reason given" : reason) + voided)))
            }
            facts += [
                ("Issued", .date(invoice["issue_date"].string)), ("Due", .date(invoice["due_date"].string)),
                ("Order", invoice["order_id"].string.map { portal ? .text(invoice["order_number"].string ?? "pending")
                                                                  : .link(SitePath.onCustomer(customerId, $0), invoice["order_number"].string ?? "pending") } ?? .text("")),
                ("Currency", .text(text(invoice, "currency"))),
            ]
            blocks.append(.facts(facts, caption: "Invoice"))
            if let orderTotal = invoice["order_total"].int64, let subtotal = invoice["subtotal"].int64, orderTotal != subtotal {
                // The terminal's order show says the same: the order's total and its invoice's amount are different figures.
                let currency = Currency(code: text(invoice, "currency"))
                func amount(_ units: Int64) -> String { currency.map { Money.formatted(units, currency: $0) } ?? String(units) }
                let why = invoice["order_type"].string == "change"
                    ? "a change order is priced for a whole billing period; its invoice charges only the days left in the current period (prorated by day)"
                    : "the order's total is before tax and as priced when it was placed"
                blocks.append(.paragraph("Order total \(amount(orderTotal)); this invoice's subtotal \(amount(subtotal)): \(why)."))
            }
            blocks.append(.section(title: "From", id: "seller", [.facts(seller)]))
            blocks.append(.section(title: "Bill to", id: "customer", [.facts([
                (customerLabel, portal ? .text(text(invoice, "customer_name")) : .link(SitePath.customer(customerId), text(invoice, "customer_name"))),
                ("Contact", .text(text(invoice, "contact_name"))), ("Address", .text(text(invoice, "address"))),
                ("City", .text([text(invoice, "postal_code"), text(invoice, "city")].filter { !$0.isEmpty }.joined(separator: " "))),
                ("Country", .text(text(invoice, "country"))), ("Tax id", .text(text(invoice, "customer_tax_id"))),
            ])]))
            var lineRows: [[Cell]] = try lines.rows(for: id).map { row in
                let start = row["period_start"].string, end = row["period_end"].string
                let period = start.map { $0 + " to " + (end ?? "…") } ?? ""
                return [.text(text(row, "description")), .text(period), .number(row["quantity"].int64 ?? 0),
                        .money(row["unit_price"].int64 ?? 0), .money(row["amount"].int64 ?? 0)]
            }
            let total = invoice["total"].int64 ?? 0
            // In the table's foot: sorting or filtering the lines leaves them last.
            let totals: [[Cell]] = lineRows.isEmpty ? [] : [
                [.custom(H.el("strong", [], .text("Subtotal")), "Subtotal"), .blank, .blank, .blank, .money(invoice["subtotal"].int64 ?? 0)],
                [.custom(H.el("strong", [], .text("Tax")), "Tax"), .blank, .blank, .blank, .money(invoice["tax"].int64 ?? 0)],
                [.custom(H.el("strong", [], .text("Total")), "Total"), .blank, .blank, .blank, .money(total)]]
            blocks.append(.section(title: "Lines", id: "lines", [.table(
                columns: [Column("Description"), Column("Period"), Column("Qty", numeric: true), Column("Unit price", numeric: true), Column("Line total", numeric: true)],
                rows: lineRows, empty: "This invoice has no lines.", footer: totals)]))
            blocks.append(.section(title: "Payments", id: "payments", [.table(
                columns: [Column("Received"), Column("Method"), Column("Reference"), Column("Status"), Column("Amount", numeric: true)],
                rows: try payments.rows(for: id).map { row in
                    [.date(row["received_on"].string), .text(SiteFormat.words(text(row, "method"))), .text(text(row, "reference")),
                     .status(text(row, "status")), .money(row["amount"].int64 ?? 0)]
                }, empty: "No payments against this invoice yet.")]))
            blocks.append(.section(title: "Credit notes", id: "credit-notes", [.table(
                columns: [Column("Credit note"), Column("Issued"), Column("Reason"), Column("Total", numeric: true)],
                rows: try credits.rows(for: id).map { row in
                    [portal ? .text(row["number"].string ?? "pending") : .link(SitePath.onCustomer(customerId, text(row, "id")), row["number"].string ?? "pending"),
                     .date(row["issue_date"].string),
                     .text(text(row, "reason")), .money(row["total"].int64 ?? 0)]
                }, empty: "No credit notes against this invoice.")]))
            blocks.append(.section(title: "Balance", id: "balance", [.figures([
                ("Total", .money(total), ""),
                ("Paid", .money(invoice["paid"].int64 ?? 0), "completed payments"),
                ("Credited", .money(invoice["credited"].int64 ?? 0), ""),
                ("Outstanding", .money(outstanding), state == "void" ? "void: nothing is owed" : outstanding == 0 ? "paid in full" : state == "overdue" ? "overdue as of \(context.today)" : "due " + text(invoice, "due_date")),
            ])]))
            try body(id, "Invoice " + (number ?? "(number pending)"), blocks)
        }
    }

    static let customerLabel = "Customer"

    /// Puts the new names of renamed customers on their invoices' pages (`invoices`: invoice id to customer
    /// id) by swapping the bill-to's customer row in the page's bytes, both rendered by the escaping
    /// builder, on worker threads. `old` and `new` are the names by the customer's page; an invoice whose
    /// page does not hold the old row (edited by hand?) is told to `failed`, to be rendered whole.
    static func rename(_ invoices: [String: String], old: [String: String], new: [String: String], in context: BuildContext,
                       failed: UnpatchedRows) throws {
        var swaps: [String: (old: [UInt8], new: [UInt8])] = [:]
        let root = Page.root(of: SitePath.invoice("x"))
        func row(_ href: String, _ name: String) -> [UInt8] {
            Array(Table.factRow(customerLabel, Cell.link(href, name).content(context.format, root: root)).render().utf8)
        }
        for (invoice, customer) in invoices.sorted(by: { $0.key < $1.key }) {
            let href = SitePath.customer(customer)
            guard let before = old[href], let after = new[href] else {
                failed.add("invoices", [invoice])
                continue
            }
            if swaps[href] == nil { swaps[href] = (row(href, before), row(href, after)) }
            try context.output.swapBytes(in: SitePath.invoice(invoice), [swaps[href]!], failed: { failed.add("invoices", [invoice]) })
        }
    }
}
