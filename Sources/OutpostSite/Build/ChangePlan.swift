import Foundation
import OutpostModel
import OutpostStore

/// What the rows the change feed names mean for the site: which customer
/// and invoice pages, which list rows, and whether the figures of the home
/// page and the reports can have moved.
///
/// A pure function of its inputs: the changes (entity, id, and how the row
/// changed), and the links of the rows involved (`ChangePlan.Links`: which
/// customer a payment belongs to, which invoices an order has…), which the
/// build reads from the replica (`DatabaseLinks`) and a unit test gives as
/// plain rows (`ChangePlanTests`). The Model records only what changed; which
/// pages a row shows on is decided here.
///
/// Only changes the site can follow row by row make a plan: customers and
/// what belongs to them. A change to the settings, the catalogue, prices or
/// panel users shows on too many pages to follow; for those (and for a
/// feed that overflowed) there is no plan and the build fingerprints every
/// page instead.
struct ChangePlan {
    /// More changed rows than this and fingerprinting every page is as quick.
    static let limit = 20_000

    /// Tables whose changes a plan follows.
    static let followed: Set<String> = [
        "customer", "customer_user", "orders", "order_line", "subscription", "invoice", "invoice_line",
        "credit_note", "credit_note_line", "payment", "domain", "ssl_certificate", "license", "notification", "conflict",
        "customer_portal",
        "operation_run", "operation_event",
    ]
    /// The reports each table's rows add up to (a customer's own row: its status and creation date).
    static let reportsFed: [String: Set<String>] = [
        "customer": ["customers", "aging"],
        "orders": ["sales", "customers"], "order_line": ["sales", "customers"],
        "subscription": ["revenue", "customers", "subscriptions"],
        "invoice": ["revenue", "aging"], "invoice_line": ["revenue", "aging"],
        "credit_note": ["revenue", "aging"], "credit_note_line": ["revenue", "aging"],
        "payment": ["revenue", "aging", "payments"],
    ]
    /// Tables whose rows add up to the home page's figures: those of the reports (a customer's own
    /// row counts only when it is written itself, see `init`), and domains, certificates and licenses,
    /// which the home page lists when they expire soon but no report shows.
    static let financial = Set(reportsFed.keys).subtracting(["customer"]).union(["domain", "ssl_certificate", "license"])

    /// Customers whose page shows something that changed.
    var customers: Set<String> = []
    /// Customers whose own row changed (their name shows in every list).
    var customerRows: Set<String> = []
    /// Invoices whose page shows something that changed.
    var invoices: Set<String> = []
    /// Invoices whose page shows nothing changed but their customer's name, by invoice: the customer
    /// (`renamed`); their pages are patched, not rendered again.
    var renamedOnInvoices: [String: String] = [:]
    /// Rows that changed themselves, by table.
    var direct: [String: Set<String>] = [:]
    /// Rows written, or touched through a child row, by table.
    var touched: [String: Set<String>] = [:]
    /// Whether the home page's figures and the reports can have changed.
    var financial = false
    /// The reports whose figures can have changed (`ReportPages.catalogue` names).
    var reports: Set<String> = []
    var conflicts = false
    /// The business date moved since the last build (`NewDay`): the pages that say the date are rendered too.
    var newDay = false

    /// The links between rows the plan follows, read where the rows are.
    protocol Links {
        /// The rows of `table` whose `filter` column is one of `values`: each one's `column` by its id
        /// (rows where it is NULL left out).
        func rows(of table: String, where filter: String, in values: Set<String>, giving column: String) throws -> [String: String]
    }

    /// nil when the feed names a table the plan does not follow.
    init?(_ changes: [SiteChange], newDay: Bool = false, db: Database) throws {
        try self.init(changes, newDay: newDay, links: DatabaseLinks(db: db))
    }

    /// nil when the feed names a table the plan does not follow; `newDay` when the business date moved
    /// since the last build (`changes` then hold the rows whose dated facts moved, see `NewDay`).
    init?(_ changes: [SiteChange], newDay: Bool = false, links: any Links) throws {
        self.links = links
        self.newDay = newDay
        func column(_ name: String, of table: String, ids: Set<String>?) throws -> Set<String> {
            try ChangePlan.column(name, of: table, ids: ids, links: links)
        }
        func ids(of table: String, where name: String, in values: Set<String>?) throws -> Set<String> {
            try ChangePlan.ids(of: table, where: name, in: values, links: links)
        }
        for change in changes {
            guard ChangePlan.followed.contains(change.entity) else { return nil }
            touched[change.entity, default: []].insert(change.entityId)
            let rowItself = ChangePlan.rowItself.contains(change.via)
            if rowItself { direct[change.entity, default: []].insert(change.entityId) }
            switch change.entity {
            case "customer":
                customers.insert(change.entityId)
                if rowItself { customerRows.insert(change.entityId) }
                // Their invoices' bill-to changed beyond the name.
                if rowItself && change.via != "name" { billTo.insert(change.entityId) }
                // A customer added, removed or changing status moves the figures; a new name does not.
                if change.via.isEmpty { financial = true }
            case "invoice":
                invoices.insert(change.entityId)
            case "conflict":
                conflicts = true
            default:
                break
            }
            if ChangePlan.financial.contains(change.entity) { financial = true }
            if change.via.isEmpty { reports.formUnion(ChangePlan.reportsFed[change.entity] ?? []) }
        }
        // Every row that belongs to a customer shows on the customer's page.
        for table in ["orders", "subscription", "invoice", "credit_note", "payment", "domain", "ssl_certificate", "license",
                      "customer_user", "notification"] {
            customers.formUnion(try column("customer_id", of: table, ids: touched[table]))
        }
        // Lines show on their documents.
        let orders = try column("order_id", of: "order_line", ids: touched["order_line"])
        customers.formUnion(try column("customer_id", of: "orders", ids: orders))
        let notes = touched["credit_note", default: []].union(try column("credit_note_id", of: "credit_note_line", ids: touched["credit_note_line"]))
        customers.formUnion(try column("customer_id", of: "credit_note", ids: notes))
        invoices.formUnion(try column("invoice_id", of: "credit_note", ids: notes))
        invoices.formUnion(try column("invoice_id", of: "invoice_line", ids: touched["invoice_line"]))
        invoices.formUnion(try column("invoice_id", of: "payment", ids: touched["payment"]))
        // An invoice page shows its order's number and its customer's name and address.
        invoices.formUnion(try ids(of: "invoice", where: "order_id", in: direct["orders"]))
        invoices.formUnion(try ids(of: "invoice", where: "customer_id", in: billTo))
        let renamedOnly = customerRows.subtracting(billTo)
        renamedOnInvoices = try ChangePlan.rows(of: "invoice", where: "customer_id", in: renamedOnly, giving: "customer_id", links: links)
            .filter { !invoices.contains($0.key) }
    }

    /// The pages the plan knows it must render, by path from the site root: the changed customers' and
    /// invoices' pages, the reports whose figures can have moved, and the home page when its figures can
    /// have (the build adds the home page also when a customer it names was renamed, and the list pages
    /// around `listRows`, which only the list store can place).
    var pages: Set<String> {
        var pages = Set(customers.map(SitePath.customer)).union(invoices.union(renamedOnInvoices.keys).map(SitePath.invoice))
        let reports = newDay ? Set(ReportPages.names) : reports
        pages.formUnion(ReportPages.catalogue.filter { reports.contains(String($0.path.dropFirst("reports/".count).dropLast(".html".count))) }.map(\.path))
        if financial || conflicts || newDay { pages.insert(Section.home.path) }
        return pages
    }

    /// How the feed marks a row written itself (not a parent touched through a child): see `SiteChange.via`.
    static let rowItself: Set<String> = ["", "display", "name"]
    /// Customers whose row changed beyond what the feed marks `name`.
    private var billTo: Set<String> = []

    private let links: any Links

    /// The rows of each list that must be redone, by the list's directory; `shownOnly` are those
    /// redone only for their customer's name, which neither the CSV nor the search index holds,
    /// each with the customer it shows.
    func listRows() throws -> [String: (ids: Set<String>, shownOnly: [String: String])] {
        func redo(_ changed: Set<String>, naming table: String) throws -> (ids: Set<String>, shownOnly: [String: String]) {
            let named = try ChangePlan.rows(of: table, where: "customer_id", in: customerRows, giving: "customer_id", links: links)
            return (changed.union(named.keys), named.filter { !changed.contains($0.key) })
        }
        // A payment row shows its invoice's number.
        let payments = direct["payment", default: []].union(try ChangePlan.ids(of: "payment", where: "invoice_id", in: direct["invoice"], links: links))
        let orders = try redo(direct["orders", default: []], naming: "orders")
        return [
            "customers": (customerRows, [:]),
            "subscriptions": try redo(direct["subscription", default: []], naming: "subscription"),
            "orders": orders,
            "provisioning": orders,
            // An invoice row shows what was paid and credited.
            "invoices": try redo(touched["invoice", default: []], naming: "invoice"),
            "payments": try redo(payments, naming: "payment"),
            "domains": try redo(direct["domain", default: []], naming: "domain"),
            "ssl": try redo(direct["ssl_certificate", default: []], naming: "ssl_certificate"),
            "licenses": try redo(direct["license", default: []], naming: "license"),
            OperationsPages.eventsDirectory: try redo(direct["operation_event", default: []], naming: "operation_event"),
            OperationsPages.runsDirectory: (direct["operation_run", default: []], [:]),
        ]
    }

    /// Which of `ids` are rows of `table` now.
    static func existing(_ table: String, _ ids: Set<String>, in db: Database) throws -> Set<String> {
        try ChangePlan.ids(of: table, where: "id", in: ids, links: DatabaseLinks(db: db))
    }

    /// `column` of the rows of `table` whose id is in `ids`.
    static func column(_ column: String, of table: String, ids: Set<String>?, links: any Links) throws -> Set<String> {
        Set(try rows(of: table, where: "id", in: ids, giving: column, links: links).values)
    }

    /// The ids of the rows of `table` whose `column` is in `values`.
    static func ids(of table: String, where column: String, in values: Set<String>?, links: any Links) throws -> Set<String> {
        Set(try rows(of: table, where: column, in: values, giving: column, links: links).keys)
    }

    static func rows(of table: String, where filter: String, in values: Set<String>?, giving column: String, links: any Links) throws -> [String: String] {
        guard let values, !values.isEmpty else { return [:] }
        return try links.rows(of: table, where: filter, in: values, giving: column)
    }
}

/// The links between rows, read from the replica.
struct DatabaseLinks: ChangePlan.Links {
    let db: Database

    /// Table and column names come from `ChangePlan` only; the values are bound.
    func rows(of table: String, where filter: String, in values: Set<String>, giving column: String) throws -> [String: String] {
        var result: [String: String] = [:]
        try db.forEachRow("SELECT id, \(column) AS value FROM \(table) WHERE \(filter) IN (SELECT value FROM json_each(?))", [SQLValue.jsonArray(values)]) { row in
            if let id = row["id"].string, let value = row["value"].string { result[id] = value }
        }
        return result
    }
}
