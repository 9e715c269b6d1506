import OutpostModel
import OutpostStore

/// The paginated lists: customers, subscriptions, orders, the provisioning
/// queue, invoices, payments, domains, SSL certificates and licenses, and the
/// operations log (`OperationsPages`). The ones the search box finds feed the
/// search index as they stream.
enum ListPages {
    static func build(in context: BuildContext) throws {
        for list in lists(context) { try list.build(in: context) }
    }

    /// Every list, in build order; each list's `directory` names it.
    static func lists(_ context: BuildContext) -> [PagedList] {
        [customers(context), subscriptions(context), orders(context), provisioning(context), invoices(context), payments(context),
         domains(context), certificates(context), licenses(context)] + OperationsPages.lists(context)
    }

    /// The condition that leaves out the reseller's own purchases (`Customer.ownAccountId`, shown on
    /// the "Own purchases" page instead): over the rows of `table` (an alias of this file's SQL).
    static func notOwn(_ table: String) -> String { table + ".customer_id <> 'cus_own'" }

    static func customers(_ context: BuildContext) -> PagedList {
        PagedList(
            directory: "customers", title: "Customers", section: .customers,
            intro: [.paragraph("Every end customer, by name. Each name opens the customer's page with everything linked to it.")],
            columns: [Column("Customer"), Column("Status"), Column("Contact"), Column("E-mail"), Column("City"), Column("Country"), Column("Customer since")],
            empty: "No customers yet. Add one with: outpost customer add",
            select: "SELECT id, name, status, contact_name, email, city, country, created_at, tax_id FROM customer", filter: "id <> 'cus_own'", idColumn: "id",
            order: "name COLLATE NOCASE, id", key: { [.ignoringCase($0["name"].string ?? ""), .ascending($0["id"].string ?? "")] },
            csvName: "customers.csv",
            cells: { row in
                let id = row["id"].string ?? ""
                return [.link(SitePath.customer(id), row["name"].string ?? ""), .status(row["status"].string ?? ""),
                        .text(row["contact_name"].string ?? ""), .email(row["email"].string ?? ""), .text(row["city"].string ?? ""),
                        .text(row["country"].string ?? ""), .date(row["created_at"].string.map { String($0.prefix(10)) })]
            },
            csvExtra: { [$0["id"].string ?? ""] },
            search: { row in
                let id = row["id"].string ?? ""
                let name = row["name"].string ?? ""
                return SearchEntry(kind: "customer", label: name, detail: [row["city"].string ?? "", row["country"].string ?? ""].filter { !$0.isEmpty }.joined(separator: ", "),
                                   path: SitePath.customer(id),
                                   keys: [name, id, row["email"].string ?? "", row["contact_name"].string ?? "", row["city"].string ?? "", row["tax_id"].string ?? ""])
            })
    }

    static func subscriptions(_ context: BuildContext) -> PagedList {
        PagedList(
            directory: "subscriptions", title: "Subscriptions", section: .subscriptions,
            intro: [.paragraph("Price, cost and margin are per billing period for the whole quantity (unit price × quantity); outpost subscription list shows the unit price and unit cost. Margin is on price: (price − cost) ÷ price.")],
            columns: [Column("Subscription"), Column("Customer"), Column("Plan"), Column("Period"), Column("Qty", numeric: true), Column("Status"),
                      Column("Current period ends"), Column("Renews"), Column("Price per period", numeric: true), Column("Cost per period", numeric: true),
                      Column("Margin", numeric: true), Column("Margin %", numeric: true)],
            empty: "No subscriptions yet.",
            select: """
                SELECT s.id, s.customer_id, c.name AS customer_name, p.name AS plan_name, p.billing_period, s.quantity, s.status,
                       s.period_end, s.auto_renew, s.cancel_at_period_end, s.unit_price, s.unit_cost, s.created_at
                FROM subscription s JOIN customer c ON c.id = s.customer_id JOIN plan p ON p.id = s.plan_id
                """,
            filter: notOwn("s"), idColumn: "s.id", order: "c.name COLLATE NOCASE, c.id, s.created_at, s.id",
            key: { [.ignoringCase($0["customer_name"].string ?? ""), .ascending($0["customer_id"].string ?? ""),
                    .ascending($0["created_at"].string ?? ""), .ascending($0["id"].string ?? "")] },
            keyShowsCustomer: true, csvName: "subscriptions.csv", csvSkipped: [1], csvExtraHeader: ["Id", "Customer id"],
            cells: { row in subscriptionCells(row) },
            csvExtra: { [$0["id"].string ?? "", $0["customer_id"].string ?? ""] },
            // Entries name no customer: a renamed customer then rewrites one entry, not one per subscription, order and invoice.
            search: { row in
                let id = row["id"].string ?? "", customerId = row["customer_id"].string ?? ""
                return SearchEntry(kind: "subscription", label: row["plan_name"].string ?? "",
                                   detail: [row["billing_period"].string ?? "", row["status"].string ?? ""].filter { !$0.isEmpty }.joined(separator: " · "),
                                   path: SitePath.onCustomer(customerId, id), keys: [id])
            })
    }

    /// Price, cost and margin of a subscription row (`unit_price`, `unit_cost`, `quantity`); `withCost: false`
    /// stops at the price (what the customer's own portal shows).
    static func subscriptionCells(_ row: Row, withCustomer: Bool = true, withCost: Bool = true) -> [Cell] {
        let id = row["id"].string ?? "", customerId = row["customer_id"].string ?? ""
        let quantity = row["quantity"].int64 ?? 0
        let price = (row["unit_price"].int64 ?? 0) * quantity, cost = (row["unit_cost"].int64 ?? 0) * quantity
        let renews: String = row["cancel_at_period_end"].int64 == 1 ? "cancels at period end" : row["auto_renew"].int64 == 1 ? "auto-renews" : "manual"
        var cells: [Cell] = [withCustomer ? .link(SitePath.onCustomer(customerId, id), id) : .custom(H.span(id, [Attribute("id", SitePath.anchor(id)), Attribute("class", "id")]), id)]
        if withCustomer { cells.append(.link(SitePath.customer(customerId), row["customer_name"].string ?? "")) }
        cells += [.text(row["plan_name"].string ?? ""), .text(row["billing_period"].string ?? ""), .number(quantity),
                  .status(row["status"].string ?? ""), .date(row["period_end"].string), .text(renews), .money(price)]
        if withCost { cells += [.money(cost), .money(price - cost), .percent(Pricing.margin(price: price, cost: cost))] }
        return cells
    }

    static let orderColumns = [Column("Order"), Column("Placed"), Column("Customer"), Column("Type"), Column("Status"), Column("Order total", numeric: true), Column("Note")]

    static let orderSQL = """
        SELECT o.id, o.number, o.customer_id, c.name AS customer_name, o.type, o.status, o.placed_at, o.total, o.status_reason, o.cancel_mode
        FROM orders o JOIN customer c ON c.id = o.customer_id
        """

    /// What an order row says besides its figures: how a cancellation takes effect, and why its status is what it is.
    static func orderNote(_ row: Row) -> String {
        let reason = row["status_reason"].string ?? ""
        guard let mode = row["cancel_mode"].string else { return reason }
        return (mode == "now" ? "cancel now" : "cancel at period end") + (reason.isEmpty ? "" : "; " + reason)
    }

    static func orderCells(_ row: Row) -> [Cell] {
        let id = row["id"].string ?? "", customerId = row["customer_id"].string ?? ""
        return [.link(SitePath.onCustomer(customerId, id), row["number"].string ?? "pending"), .timestamp(row["placed_at"].string),
                .link(SitePath.customer(customerId), row["customer_name"].string ?? ""), .text(row["type"].string ?? ""),
                .status(row["status"].string ?? ""), .money(row["total"].int64 ?? 0), .text(orderNote(row))]
    }

    /// Orders by when they were placed (then id), newest first or oldest first.
    static func orderKey(descending: Bool) -> (Row) -> [KeyPart] {
        { row in
            let placed = row["placed_at"].string ?? "", id = row["id"].string ?? ""
            return descending ? [.descending(placed), .descending(id)] : [.ascending(placed), .ascending(id)]
        }
    }

    static func orders(_ context: BuildContext) -> PagedList {
        PagedList(
            directory: "orders", title: "Orders", section: .orders,
            intro: [.paragraph("Orders of every type (sales, renewal, change, cancellation, transfer), newest first. Numbers are assigned by the node; until then an order shows \u{201C}pending\u{201D}.")],
            columns: orderColumns, empty: "No orders yet.",
            select: orderSQL, filter: notOwn("o"), idColumn: "o.id", order: "o.placed_at DESC, o.id DESC", key: orderKey(descending: true),
            csvName: "orders.csv", csvSkipped: [2], csvExtraHeader: ["Id", "Customer id"],
            cells: orderCells,
            csvExtra: { [$0["id"].string ?? "", $0["customer_id"].string ?? ""] },
            search: { row in
                let id = row["id"].string ?? "", customerId = row["customer_id"].string ?? ""
                return SearchEntry(kind: "order", label: row["number"].string ?? "pending order",
                                   detail: (row["type"].string ?? "") + " · placed " + String((row["placed_at"].string ?? "").prefix(10)),
                                   path: SitePath.onCustomer(customerId, id), keys: [row["number"].string ?? "", id])
            })
    }

    static func provisioning(_ context: BuildContext) -> PagedList {
        PagedList(
            directory: "provisioning", title: "Provisioning queue", section: .provisioning,
            intro: [.paragraph("Orders waiting to be provisioned (queued on this replica, submitted to the node, or being provisioned), oldest first. Failed orders are on the home page under \u{201C}Needs attention\u{201D}.")],
            columns: orderColumns, empty: "Nothing is waiting to be provisioned: every order has been completed, failed or rejected.",
            select: orderSQL, filter: "o.status IN ('queued', 'submitted', 'provisioning') AND " + notOwn("o"), idColumn: "o.id",
            order: "o.placed_at, o.id", key: orderKey(descending: false),
            csvName: "provisioning.csv", csvSkipped: [2], csvExtraHeader: ["Id", "Customer id"],
            cells: orderCells, csvExtra: { [$0["id"].string ?? "", $0["customer_id"].string ?? ""] })
    }

    static let invoiceSQL = """
        SELECT i.id, i.number, i.customer_id, c.name AS customer_name, i.status, i.issue_date, i.due_date, i.total,
               coalesce((SELECT sum(amount) FROM payment p WHERE p.invoice_id = i.id AND p.status = 'completed'), 0) AS paid,
               coalesce((SELECT sum(total) FROM credit_note n WHERE n.invoice_id = i.id), 0) AS credited
        FROM invoice i JOIN customer c ON c.id = i.customer_id
        """

    /// The payment state of an invoice row of `invoiceSQL` on `today`: void, paid, overdue, partially paid or unpaid.
    static func invoiceState(_ row: Row, today: BusinessDate) -> (state: String, outstanding: Int64) {
        if row["status"].string == "void" { return ("void", 0) }
        let total = row["total"].int64 ?? 0, paid = row["paid"].int64 ?? 0, credited = row["credited"].int64 ?? 0
        let outstanding = max(0, total - paid - credited)
        if outstanding == 0 { return ("paid", 0) }
        if let due = row["due_date"].string.flatMap(BusinessDate.init), due < today { return ("overdue", outstanding) }
        return (paid + credited > 0 ? "partially_paid" : "unpaid", outstanding)
    }

    static let invoiceColumns = [Column("Invoice"), Column("Customer"), Column("Issued"), Column("Due"), Column("Invoice total", numeric: true),
                                 Column("Paid", numeric: true), Column("Outstanding", numeric: true), Column("State")]

    /// An invoice row of `invoiceSQL`; `withCustomer: false` leaves out the customer (one customer's invoices).
    static func invoiceCells(_ row: Row, today: BusinessDate, withCustomer: Bool = true) -> [Cell] {
        let id = row["id"].string ?? "", customerId = row["customer_id"].string ?? ""
        let (state, outstanding) = invoiceState(row, today: today)
        return [.link(SitePath.invoice(id), row["number"].string ?? "pending")]
            + (withCustomer ? [.link(SitePath.customer(customerId), row["customer_name"].string ?? "")] : [])
            + [.date(row["issue_date"].string), .date(row["due_date"].string), .money(row["total"].int64 ?? 0),
               .money(row["paid"].int64 ?? 0), .money(outstanding), .status(state)]
    }

    static func invoices(_ context: BuildContext) -> PagedList {
        let today = context.today
        return PagedList(
            directory: "invoices", title: "Invoices", section: .invoices,
            intro: [.paragraph("Invoices, newest first, with what has been paid and what is still owed as of \(today). Each number opens the printable invoice.")],
            columns: invoiceColumns, empty: "No invoices yet.",
            select: invoiceSQL, filter: notOwn("i"), idColumn: "i.id", order: "i.issue_date DESC, i.id DESC",
            key: { [.descending($0["issue_date"].string ?? ""), .descending($0["id"].string ?? "")] },
            csvName: "invoices.csv", csvSkipped: [1], csvExtraHeader: ["Id", "Customer id"],
            cells: { invoiceCells($0, today: today) },
            csvExtra: { [$0["id"].string ?? "", $0["customer_id"].string ?? ""] },
            search: { row in
                let id = row["id"].string ?? ""
                return SearchEntry(kind: "invoice", label: row["number"].string ?? "pending invoice", detail: "issued " + (row["issue_date"].string ?? ""),
                                   path: SitePath.invoice(id), keys: [row["number"].string ?? "", id])
            })
    }

    static func payments(_ context: BuildContext) -> PagedList {
        PagedList(
            directory: "payments", title: "Payments", section: .payments,
            intro: [.paragraph("Money received against invoices, newest first.")],
            columns: [Column("Received"), Column("Customer"), Column("Invoice"), Column("Method"), Column("Reference"), Column("Status"), Column("Amount", numeric: true)],
            empty: "No payments recorded yet.",
            select: """
                SELECT p.id, p.customer_id, c.name AS customer_name, p.invoice_id, i.number AS invoice_number, p.method, p.reference,
                       p.status, p.amount, p.received_on
                FROM payment p JOIN customer c ON c.id = p.customer_id JOIN invoice i ON i.id = p.invoice_id
                """,
            filter: notOwn("p"), idColumn: "p.id", order: "p.received_on DESC, p.id DESC",
            key: { [.descending($0["received_on"].string ?? ""), .descending($0["id"].string ?? "")] },
            csvName: "payments.csv", csvSkipped: [1], csvExtraHeader: ["Id", "Customer id", "Invoice id"],
            cells: { row in
                [.date(row["received_on"].string), .link(SitePath.customer(row["customer_id"].string ?? ""), row["customer_name"].string ?? ""),
                 .link(SitePath.invoice(row["invoice_id"].string ?? ""), row["invoice_number"].string ?? "pending"),
                 .text(SiteFormat.words(row["method"].string ?? "")), .text(row["reference"].string ?? ""),
                 .status(row["status"].string ?? ""), .money(row["amount"].int64 ?? 0)]
            },
            csvExtra: { [$0["id"].string ?? "", $0["customer_id"].string ?? "", $0["invoice_id"].string ?? ""] })
    }

    static func domains(_ context: BuildContext) -> PagedList {
        PagedList(
            directory: "domains", title: "Domains", section: .domains,
            intro: [.paragraph("Registered and transferred domains, by name.")],
            columns: [Column("Domain"), Column("Customer"), Column("Origin"), Column("Status"), Column("Registered"), Column("Expires"), Column("Renews")],
            empty: "No domains yet.",
            select: """
                SELECT d.id, d.name, d.customer_id, c.name AS customer_name, d.origin, d.status, d.registered_on, d.expires_on, d.auto_renew
                FROM domain d JOIN customer c ON c.id = d.customer_id
                """,
            filter: notOwn("d"), idColumn: "d.id", order: "d.name, d.id", key: { [.ascending($0["name"].string ?? ""), .ascending($0["id"].string ?? "")] },
            csvName: "domains.csv", csvSkipped: [1], csvExtraHeader: ["Id", "Customer id"],
            cells: { row in
                let customerId = row["customer_id"].string ?? ""
                return [.link(SitePath.onCustomer(customerId, row["id"].string ?? ""), row["name"].string ?? ""),
                        .link(SitePath.customer(customerId), row["customer_name"].string ?? ""), .text(row["origin"].string ?? ""),
                        .status(row["status"].string ?? ""), .date(row["registered_on"].string), .date(row["expires_on"].string),
                        .text(row["auto_renew"].int64 == 1 ? "auto-renews" : "manual")]
            },
            csvExtra: { [$0["id"].string ?? "", $0["customer_id"].string ?? ""] },
            search: { row in
                let id = row["id"].string ?? "", customerId = row["customer_id"].string ?? ""
                return SearchEntry(kind: "domain", label: row["name"].string ?? "",
                                   detail: (row["status"].string ?? "") + (row["expires_on"].string.map { " · expires " + $0 } ?? ""),
                                   path: SitePath.onCustomer(customerId, id), keys: [row["name"].string ?? "", id])
            })
    }

    static func certificates(_ context: BuildContext) -> PagedList {
        PagedList(
            directory: "ssl", title: "SSL certificates", section: .ssl,
            intro: [.paragraph("SSL certificates by common name, with their validation level (DV, OV, EV).")],
            columns: [Column("Common name"), Column("Customer"), Column("Validation"), Column("Status"), Column("Issued"), Column("Expires")],
            empty: "No SSL certificates yet.",
            select: """
                SELECT s.id, s.common_name, s.customer_id, c.name AS customer_name, s.validation, s.status, s.issued_on, s.expires_on
                FROM ssl_certificate s JOIN customer c ON c.id = s.customer_id
                """,
            filter: notOwn("s"), idColumn: "s.id", order: "s.common_name, s.id", key: { [.ascending($0["common_name"].string ?? ""), .ascending($0["id"].string ?? "")] },
            csvName: "ssl.csv", csvSkipped: [1], csvExtraHeader: ["Id", "Customer id"],
            cells: { row in
                let customerId = row["customer_id"].string ?? ""
                return [.link(SitePath.onCustomer(customerId, row["id"].string ?? ""), row["common_name"].string ?? ""),
                        .link(SitePath.customer(customerId), row["customer_name"].string ?? ""), .text(row["validation"].string ?? ""),
                        .status(row["status"].string ?? ""), .date(row["issued_on"].string), .date(row["expires_on"].string)]
            },
            csvExtra: { [$0["id"].string ?? "", $0["customer_id"].string ?? ""] })
    }

    static func licenses(_ context: BuildContext) -> PagedList {
        PagedList(
            directory: "licenses", title: "Licenses", section: .licenses,
            intro: [.paragraph("Software licenses by product.")],
            columns: [Column("Product"), Column("License key"), Column("Seats", numeric: true), Column("Customer"), Column("Status"), Column("Expires")],
            empty: "No licenses yet.",
            select: """
                SELECT l.id, l.product, l.license_key, l.seats, l.customer_id, c.name AS customer_name, l.status, l.expires_on
                FROM license l JOIN customer c ON c.id = l.customer_id
                """,
            filter: notOwn("l"), idColumn: "l.id", order: "l.product, l.id", key: { [.ascending($0["product"].string ?? ""), .ascending($0["id"].string ?? "")] },
            csvName: "licenses.csv", csvSkipped: [3], csvExtraHeader: ["Id", "Customer id"],
            cells: { row in
                let customerId = row["customer_id"].string ?? ""
                return [.link(SitePath.onCustomer(customerId, row["id"].string ?? ""), row["product"].string ?? ""),
                        .text(LicenseKey.masked(row["license_key"].string ?? "")), .number(row["seats"].int64 ?? 0),
                        .link(SitePath.customer(customerId), row["customer_name"].string ?? ""),
                        .status(row["status"].string ?? ""), .date(row["expires_on"].string)]
            },
            csvExtra: { [$0["id"].string ?? "", $0["customer_id"].string ?? ""] })
    }
}
