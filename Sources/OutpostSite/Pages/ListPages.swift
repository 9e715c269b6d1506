import Foundation
import OutpostModel
import OutpostStore

/// The paginated lists: customers, subscriptions, orders, the provisioning
/// queue, invoices, payments, domains, SSL certificates and licenses, and the
/// operations log (`OperationsPages`), with the whole-list orders and saved
/// views of the first four and of domains and certificates (`ListFamily`).
/// The lists the search box finds feed the search index as they stream.
enum ListPages {
    static func build(in context: BuildContext) throws {
        for list in lists(context) { try list.build(in: context) }
    }

    /// Every list, in build order (a family's lists together, the list itself first); each list's `directory` names it.
    static func lists(_ context: BuildContext) -> [PagedList] {
        families(context).flatMap(\.lists) + [provisioning(context), payments(context), licenses(context)] + OperationsPages.lists(context)
    }

    static func families(_ context: BuildContext) -> [ListFamily] {
        [customers(context), subscriptions(context), orders(context), invoices(context), domains(context), certificates(context)]
    }

    /// The lists whose rows, or what the rows show, depend on the business date: a new day must redo them
    /// (invoices turn overdue; subscriptions, domains and certificates enter an expiry window).
    static func datedLists(_ context: BuildContext) -> [String] {
        lists(context).filter(\.dependsOnDate).map(\.directory)
    }

    /// The rows of each list an incremental build redoes, by the list's directory: the plan's rows of
    /// each list (`ChangePlan.listRows`), and the same rows for the list's orders and views. A customer's
    /// row shows its outstanding balance and MRR, so every customer whose page changed is redone.
    static func rowsToRedo(_ plan: ChangePlan, in context: BuildContext) throws -> [String: (ids: Set<String>, shownOnly: [String: String])] {
        var rows = try plan.listRows()
        rows["customers"] = (plan.customers.union(plan.customerRows), [:])
        for family in families(context) {
            for member in family.lists where member.directory != family.base.directory { rows[member.directory] = rows[family.base.directory] }
        }
        return rows
    }

    /// The condition that leaves out the reseller's own purchases (`Customer.ownAccountId`, shown on
    /// the "Own purchases" page instead): over the rows of `table` (an alias of this file's SQL).
    static func notOwn(_ table: String) -> String { table + ".customer_id <> 'cus_own'" }

    /// What a customer owes: the outstanding amount of each of its issued invoices, summed (as `invoiceState`).
    static let customerOutstandingSQL = """
        (SELECT coalesce(sum(max(0, i.total
                - coalesce((SELECT sum(p.amount) FROM payment p WHERE p.invoice_id = i.id AND p.status = 'completed'), 0)
                - coalesce((SELECT sum(n.total) FROM credit_note n WHERE n.invoice_id = i.id), 0))), 0)
         FROM invoice i WHERE i.customer_id = c.id AND i.status <> 'void')
        """

    /// A customer's MRR: its active subscriptions' price per month (annual plans ÷ 12, rounded half up per
    /// subscription, as `RecurringRevenue` does).
    static let customerMRRSQL = """
        (SELECT coalesce(sum(CASE WHEN p.billing_period = 'annual' THEN (s.unit_price * s.quantity * 2 + 12) / 24
                                  ELSE s.unit_price * s.quantity END), 0)
         FROM subscription s JOIN plan p ON p.id = s.plan_id WHERE s.customer_id = c.id AND s.status = 'active')
        """

    static func customers(_ context: BuildContext) -> ListFamily {
        let byName = ListOrder("", "name", column: 0, [.text("c.name", column: "name", ignoringCase: true), .text("c.id", column: "id")])
        let base = PagedList(
            directory: "customers", title: "Customers", section: .customers,
            intro: [.paragraph("Every end customer. Each name opens the customer's page with everything linked to it; outstanding is what its issued invoices still owe, MRR what its active subscriptions bring in per month.")],
            columns: [Column("Customer"), Column("Status"), Column("Contact"), Column("E-mail"), Column("City"), Column("Country"), Column("Customer since"),
                      Column("Outstanding", numeric: true), Column("MRR", numeric: true)],
            empty: "No customers yet. Add one with: outpost customer add",
            select: "SELECT c.id, c.name, c.status, c.contact_name, c.email, c.city, c.country, c.created_at, c.tax_id, "
                + customerOutstandingSQL + " AS outstanding, " + customerMRRSQL + " AS mrr FROM customer c",
            filter: "c.id <> 'cus_own'", idColumn: "c.id",
            order: byName.sql, key: byName.key,
            csvName: "customers.csv", csvPeriod: CSVPeriod(column: "created_at", order: "r.created_at, r.id"),
            cells: { row in
                let id = row["id"].string ?? ""
                return [.link(SitePath.customer(id), row["name"].string ?? ""), .status(row["status"].string ?? ""),
                        .text(row["contact_name"].string ?? ""), .email(row["email"].string ?? ""), .text(row["city"].string ?? ""),
                        .text(row["country"].string ?? ""), .date(row["created_at"].string.map { String($0.prefix(10)) }),
                        .money(row["outstanding"].int64 ?? 0), .money(row["mrr"].int64 ?? 0)]
            },
            csvExtra: { [$0["id"].string ?? ""] },
            search: { row in
                let id = row["id"].string ?? ""
                let name = row["name"].string ?? ""
                return SearchEntry(kind: "customer", label: name, detail: [row["city"].string ?? "", row["country"].string ?? ""].filter { !$0.isEmpty }.joined(separator: ", "),
                                   path: SitePath.customer(id),
                                   keys: [name, id, row["email"].string ?? "", row["contact_name"].string ?? "", row["city"].string ?? "", row["tax_id"].string ?? ""])
            })
        let name: [ListOrder.Part] = [.text("c.name", column: "name", ignoringCase: true), .text("c.id", column: "id")]
        return ListFamily(base: base, orders: [
            byName,
            ListOrder("by-balance", "outstanding balance", column: 7, [.number("outstanding", column: "outstanding", descending: true)] + name),
            ListOrder("by-mrr", "MRR", column: 8, [.number("mrr", column: "mrr", descending: true)] + name),
            ListOrder("by-joined", "date joined", column: 6, [.text("c.created_at", column: "created_at", descending: true), .text("c.id", column: "id", descending: true)]),
        ], views: [
            ListView(name: "active", label: "Active", filter: "c.status = 'active'"),
            ListView(name: "suspended", label: "Suspended", filter: "c.status = 'suspended'"),
            ListView(name: "closed", label: "Closed", filter: "c.status = 'closed'"),
            ListView(name: "owing", label: "With money owed", filter: customerOutstandingSQL + " > 0"),
        ], noun: "customers")
    }

    /// Rows whose `column` (a `YYYY-MM-DD` date) falls within the next `days` days, today included.
    static func within(_ column: String, days: Int, of today: BusinessDate) -> (filter: String, arguments: [any SQLBindable]) {
        (column + " >= ? AND " + column + " <= ?", [today.description, today.adding(days: days).description])
    }

    static func subscriptions(_ context: BuildContext) -> ListFamily {
        let today = context.today
        let byCustomer = ListOrder("", "customer", column: 0, [
            .text("c.name", column: "customer_name", ignoringCase: true), .text("c.id", column: "customer_id"),
            .text("s.created_at", column: "created_at"), .text("s.id", column: "id")])
        let base = PagedList(
            directory: "subscriptions", title: "Subscriptions", section: .subscriptions,
            intro: [.paragraph("Price, cost and margin are per billing period for the whole quantity (unit price × quantity); outpost subscription list shows the unit price and unit cost. Margin is on price: (price − cost) ÷ price.")],
            // The customer and the plan lead (who and what); the subscription's id is on its customer's page.
            columns: [Column("Customer"), Column("Plan"), Column("Period"), Column("Qty", numeric: true), Column("Status"),
                      Column("Current period ends"), Column("Renews"), Column("Price per period", numeric: true), Column("Cost per period", numeric: true),
                      Column("Margin", numeric: true), Column("Margin %", numeric: true)],
            empty: "No subscriptions yet.",
            select: """
                SELECT s.id, s.customer_id, c.name AS customer_name, p.name AS plan_name, p.billing_period, s.quantity, s.status,
                       s.period_end, s.auto_renew, s.cancel_at_period_end, s.unit_price, s.unit_cost, s.created_at,
                       s.unit_price * s.quantity AS price, (s.unit_price - s.unit_cost) * s.quantity AS margin
                FROM subscription s JOIN customer c ON c.id = s.customer_id JOIN plan p ON p.id = s.plan_id
                """,
            filter: notOwn("s"), idColumn: "s.id", order: byCustomer.sql, key: byCustomer.key,
            keyShowsCustomer: true, csvName: "subscriptions.csv", csvPeriod: CSVPeriod(column: "created_at", order: "r.created_at, r.id"), csvExtraHeader: ["Id", "Customer id"],
            cells: { row in subscriptionCells(row) }, entityColumn: 1,
            csvExtra: { [$0["id"].string ?? "", $0["customer_id"].string ?? ""] },
            // Entries name no customer: a renamed customer then rewrites one entry, not one per subscription, order and invoice.
            search: { row in
                let id = row["id"].string ?? "", customerId = row["customer_id"].string ?? ""
                return SearchEntry(kind: "subscription", label: row["plan_name"].string ?? "",
                                   detail: [row["billing_period"].string ?? "", row["status"].string ?? ""].filter { !$0.isEmpty }.joined(separator: " · "),
                                   path: SitePath.onCustomer(customerId, id), keys: [id])
            })
        let id: ListOrder.Part = .text("s.id", column: "id")
        var views = [ListView(name: "active", label: "Active", filter: "s.status = 'active'")]
        for days in [30, 60, 90] {
            let window = within("s.period_end", days: days, of: today)
            views.append(ListView(name: "ending-\(days)", label: "Renewing or expiring in \(days) days",
                                  filter: "s.status = 'active' AND " + window.filter, arguments: window.arguments, dependsOnDate: true))
        }
        views.append(ListView(name: "cancelled", label: "Cancelled", filter: "s.status = 'cancelled'"))
        return ListFamily(base: base, orders: [
            byCustomer,
            ListOrder("by-plan", "plan", column: 1, [.text("p.name", column: "plan_name", ignoringCase: true), id]),
            ListOrder("by-renewal", "renewal date", column: 5, [.text("s.period_end", column: "period_end"), id]),
            ListOrder("by-price", "price", column: 7, [.number("price", column: "price", descending: true), id]),
            ListOrder("by-margin", "margin", column: 9, [.number("margin", column: "margin", descending: true), id]),
        ], views: views, noun: "subscriptions")
    }

    /// Price, cost and margin of a subscription row (`unit_price`, `unit_cost`, `quantity`); `withCost: false`
    /// stops at the price (what the customer's own portal shows).
    ///
    /// In the whole list the customer leads and the plan links to the subscription on its customer's page; on a
    /// customer's page (`withCustomer: false`) the plan leads and is the subscription's anchor, and its id (what the
    /// command line takes) comes last.
    static func subscriptionCells(_ row: Row, withCustomer: Bool = true, withCost: Bool = true) -> [Cell] {
        let id = row["id"].string ?? "", customerId = row["customer_id"].string ?? ""
        let quantity = row["quantity"].int64 ?? 0
        let price = (row["unit_price"].int64 ?? 0) * quantity, cost = (row["unit_cost"].int64 ?? 0) * quantity
        let renews: String = row["cancel_at_period_end"].int64 == 1 ? "cancels at period end" : row["auto_renew"].int64 == 1 ? "auto-renews" : "manual"
        let plan = row["plan_name"].string ?? ""
        var cells: [Cell] = withCustomer
            ? [.link(SitePath.customer(customerId), row["customer_name"].string ?? ""), .link(SitePath.onCustomer(customerId, id), plan)]
            : [CustomerPages.anchor(row, plan)]
        cells += [.text(row["billing_period"].string ?? ""), .number(quantity),
                  .status(row["status"].string ?? ""), .date(row["period_end"].string), .text(renews), .money(price)]
        if withCost { cells += [.money(cost), .money(price - cost), .percent(Pricing.margin(price: price, cost: cost))] }
        if !withCustomer { cells.append(.custom(H.span(id, [Attribute("class", "id")]), id)) }
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

    static func orders(_ context: BuildContext) -> ListFamily {
        let byDate = ListOrder("", "date", column: 1, [.text("o.placed_at", column: "placed_at", descending: true), .text("o.id", column: "id", descending: true)])
        let base = PagedList(
            directory: "orders", title: "Orders", section: .orders,
            intro: [.paragraph("Orders of every type (sales, renewal, change, cancellation, transfer). Numbers are assigned by the node; until then an order shows \u{201C}pending\u{201D}.")],
            columns: orderColumns, empty: "No orders yet.",
            select: orderSQL, filter: notOwn("o"), idColumn: "o.id", order: byDate.sql, key: byDate.key,
            csvName: "orders.csv", csvPeriod: CSVPeriod(column: "placed_at", order: "r.number IS NULL, length(r.number), r.number, r.placed_at, r.id"), csvExtraHeader: ["Id", "Customer id"],
            cells: orderCells,
            csvExtra: { [$0["id"].string ?? "", $0["customer_id"].string ?? ""] },
            search: { row in
                let id = row["id"].string ?? "", customerId = row["customer_id"].string ?? ""
                return SearchEntry(kind: "order", label: row["number"].string ?? "pending order",
                                   detail: (row["type"].string ?? "") + " · placed " + String((row["placed_at"].string ?? "").prefix(10)),
                                   path: SitePath.onCustomer(customerId, id), keys: [row["number"].string ?? "", id])
            })
        return ListFamily(base: base, orders: [
            byDate,
            ListOrder("by-number", "number", column: 0, [.text("o.number", column: "number", descending: true), .text("o.id", column: "id", descending: true)]),
        ], views: [
            ListView(name: "waiting", label: "Waiting", filter: "o.status IN ('queued', 'submitted', 'provisioning')"),
            ListView(name: "failed", label: "Failed", filter: "o.status = 'failed'"),
            ListView(name: "completed", label: "Completed", filter: "o.status = 'completed'"),
        ], noun: "orders")
    }

    static func provisioning(_ context: BuildContext) -> PagedList {
        PagedList(
            directory: "provisioning", title: "Provisioning queue", section: .provisioning,
            intro: [.paragraph("Orders waiting to be provisioned (queued on this replica, submitted to the node, or being provisioned), oldest first. Failed orders are on the home page under \u{201C}Needs attention\u{201D}.")],
            columns: orderColumns, empty: "Nothing is waiting to be provisioned: every order has been completed, failed or rejected.",
            select: orderSQL, filter: "o.status IN ('queued', 'submitted', 'provisioning') AND " + notOwn("o"), idColumn: "o.id",
            order: "o.placed_at, o.id", key: orderKey(descending: false),
            csvName: "provisioning.csv", csvExtraHeader: ["Id", "Customer id"],
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

    /// What an invoice row of `invoiceSQL` still owes before it is floored at zero (as `invoiceState`).
    static let invoiceOwedSQL = """
        (i.total - coalesce((SELECT sum(amount) FROM payment p WHERE p.invoice_id = i.id AND p.status = 'completed'), 0)
                 - coalesce((SELECT sum(total) FROM credit_note n WHERE n.invoice_id = i.id), 0))
        """

    static func invoices(_ context: BuildContext) -> ListFamily {
        let today = context.today
        let byDate = ListOrder("", "date", column: 2, [.text("i.issue_date", column: "issue_date", descending: true), .text("i.id", column: "id", descending: true)])
        var base = PagedList(
            directory: "invoices", title: "Invoices", section: .invoices,
            intro: [.paragraph("Invoices with what has been paid and what is still owed. Each number opens the printable invoice.")],
            columns: invoiceColumns, empty: "No invoices yet.",
            select: invoiceSQL, filter: notOwn("i"), idColumn: "i.id", order: byDate.sql, key: byDate.key,
            csvName: "invoices.csv", csvPeriod: CSVPeriod(column: "issue_date", order: "r.number IS NULL, length(r.number), r.number, r.id"), csvExtraHeader: ["Id", "Customer id"],
            cells: { invoiceCells($0, today: today) },
            csvExtra: { [$0["id"].string ?? "", $0["customer_id"].string ?? ""] },
            search: { row in
                let id = row["id"].string ?? ""
                return SearchEntry(kind: "invoice", label: row["number"].string ?? "pending invoice", detail: "issued " + (row["issue_date"].string ?? ""),
                                   path: SitePath.invoice(id), keys: [row["number"].string ?? "", id])
            })
        // Every row says whether it is overdue as of today.
        base.dependsOnDate = true
        let id: ListOrder.Part = .text("i.id", column: "id", descending: true)
        return ListFamily(base: base, orders: [
            byDate,
            ListOrder("by-number", "number", column: 0, [.text("i.number", column: "number", descending: true), id]),
            ListOrder("by-due", "due date", column: 3, [.text("i.due_date", column: "due_date"), .text("i.id", column: "id")]),
            ListOrder("by-amount", "amount", column: 4, [.number("i.total", column: "total", descending: true), id]),
        ], views: [
            ListView(name: "unpaid", label: "Unpaid", filter: "i.status <> 'void' AND " + invoiceOwedSQL + " > 0"),
            ListView(name: "overdue", label: "Overdue", filter: "i.status <> 'void' AND " + invoiceOwedSQL + " > 0 AND i.due_date < ?",
                     arguments: [today.description], dependsOnDate: true),
            ListView(name: "paid", label: "Paid", filter: "i.status <> 'void' AND " + invoiceOwedSQL + " <= 0"),
            ListView(name: "void", label: "Void", filter: "i.status = 'void'"),
        ], noun: "invoices")
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
            csvName: "payments.csv",
            csvPeriod: CSVPeriod(column: "received_on", order: "r.invoice_number IS NULL, length(r.invoice_number), r.invoice_number, r.id"),
            csvExtraHeader: ["Id", "Customer id", "Invoice id"],
            cells: { row in
                [.date(row["received_on"].string), .link(SitePath.customer(row["customer_id"].string ?? ""), row["customer_name"].string ?? ""),
                 .link(SitePath.invoice(row["invoice_id"].string ?? ""), row["invoice_number"].string ?? "pending"),
                 .text(SiteFormat.words(row["method"].string ?? "")), .text(row["reference"].string ?? ""),
                 .status(row["status"].string ?? ""), .money(row["amount"].int64 ?? 0)]
            },
            csvExtra: { [$0["id"].string ?? "", $0["customer_id"].string ?? "", $0["invoice_id"].string ?? ""] })
    }

    static func domains(_ context: BuildContext) -> ListFamily {
        let byName = ListOrder("", "name", column: 0, [.text("d.name", column: "name"), .text("d.id", column: "id")])
        let base = PagedList(
            directory: "domains", title: "Domains", section: .domains,
            intro: [.paragraph("Registered and transferred domains, by name.")],
            columns: [Column("Domain"), Column("Customer"), Column("Origin"), Column("Status"), Column("Registered"), Column("Expires"), Column("Renews")],
            empty: "No domains yet.",
            select: """
                SELECT d.id, d.name, d.customer_id, c.name AS customer_name, d.origin, d.status, d.registered_on, d.expires_on, d.auto_renew
                FROM domain d JOIN customer c ON c.id = d.customer_id
                """,
            filter: notOwn("d"), idColumn: "d.id", order: byName.sql, key: byName.key,
            csvName: "domains.csv", csvExtraHeader: ["Id", "Customer id"],
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
        let window = within("d.expires_on", days: 30, of: context.today)
        return ListFamily(base: base, orders: [byName], views: [
            ListView(name: "expiring", label: "Expiring in 30 days", filter: "d.status = 'active' AND " + window.filter,
                     arguments: window.arguments, dependsOnDate: true),
        ], noun: "domains")
    }

    static func certificates(_ context: BuildContext) -> ListFamily {
        let byName = ListOrder("", "common name", column: 0, [.text("s.common_name", column: "common_name"), .text("s.id", column: "id")])
        let base = PagedList(
            directory: "ssl", title: "SSL certificates", section: .ssl,
            intro: [.paragraph("SSL certificates by common name, with their validation level (DV, OV, EV).")],
            columns: [Column("Common name"), Column("Customer"), Column("Validation"), Column("Status"), Column("Issued"), Column("Expires")],
            empty: "No SSL certificates yet.",
            select: """
                SELECT s.id, s.common_name, s.customer_id, c.name AS customer_name, s.validation, s.status, s.issued_on, s.expires_on
                FROM ssl_certificate s JOIN customer c ON c.id = s.customer_id
                """,
            filter: notOwn("s"), idColumn: "s.id", order: byName.sql, key: byName.key,
            csvName: "ssl.csv", csvExtraHeader: ["Id", "Customer id"],
            cells: { row in
                let customerId = row["customer_id"].string ?? ""
                return [.link(SitePath.onCustomer(customerId, row["id"].string ?? ""), row["common_name"].string ?? ""),
                        .link(SitePath.customer(customerId), row["customer_name"].string ?? ""), .text(row["validation"].string ?? ""),
                        .status(row["status"].string ?? ""), .date(row["issued_on"].string), .date(row["expires_on"].string)]
            },
            csvExtra: { [$0["id"].string ?? "", $0["customer_id"].string ?? ""] })
        let window = within("s.expires_on", days: 30, of: context.today)
        return ListFamily(base: base, orders: [byName], views: [
            ListView(name: "expiring", label: "Expiring in 30 days", filter: "s.status = 'issued' AND " + window.filter,
                     arguments: window.arguments, dependsOnDate: true),
        ], noun: "certificates")
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
            csvName: "licenses.csv", csvExtraHeader: ["Id", "Customer id"],
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
