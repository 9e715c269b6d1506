import Foundation
import OutpostModel
import OutpostStore

/// What the business date moving forward changes on the site, worked out per dated fact.
///
/// Pages show a date-dependent fact in these places only, and nowhere else (pages
/// that are not listed here must not print "today"):
/// - an invoice is overdue the day after its due date, and its receivables move
///   from one aging bucket to the next 30, 60 and 90 days later: the invoice's
///   page, its rows in the invoice lists, its customer's page and portal, and the
///   customer's aging row;
/// - a subscription, domain, certificate or license enters a 30-, 60- or 90-day
///   window before its end (or expiry), and leaves at the end: its list rows,
///   its customer's page, and the home page's "needs attention";
/// - a customer created on a date counts as active from that date on, and an
///   invoice, credit note, payment or order dated after the last build's day
///   counts "to date" once that day comes;
/// - the home page, the reports and the customers' portals say what date they
///   are as of, and the aging report's every page does: all of those are
///   rendered on every new day (a few hundred pages however large the data).
///
/// The rows returned are handed to the plan as if they had changed: the plan
/// then redoes exactly their pages, list rows and figures. A new month moves
/// every monthly figure (the reports' twelve months end with it): that build
/// fingerprints every page instead (`follows`).
enum NewDay {
    /// Days before an end at which a row enters a window (0: the end itself, or a due date passing).
    static let windows = [0, 30, 60, 90]

    /// Whether a build on `to` can follow a build on `from` from the dated facts alone.
    static func follows(from: BusinessDate, to: BusinessDate) -> Bool {
        from < to && from.parts.year == to.parts.year && from.parts.month == to.parts.month
    }

    /// The rows whose dated facts can differ between `from` and `to` (a superset: a row counted
    /// twice or one whose fact did not move costs only its pages), as changes of the rows themselves.
    static func changes(from: BusinessDate, to: BusinessDate, db: Database) throws -> [SiteChange] {
        var changes: [SiteChange] = []
        func add(_ table: String, _ sql: String, _ arguments: [any SQLBindable]) throws {
            try db.forEachRow(sql, arguments) { row in
                changes.append(SiteChange(seq: 0, entity: table, entityId: try row.string("id"), via: ""))
            }
        }
        for days in windows {
            // Days past due = today − due date: crossing `days` means due + days lies in [from, to).
            try add("invoice", "SELECT id FROM invoice WHERE status <> 'void' AND due_date >= ? AND due_date < ? ORDER BY id",
                    [from.adding(days: -days).description, to.adding(days: -days).description])
            // An end `days` ahead enters the window when end − days lies in (from, to]; at 0 it leaves.
            let ahead: [any SQLBindable] = [from.adding(days: days).description, to.adding(days: days).description]
            try add("subscription", "SELECT id FROM subscription WHERE period_end >= ? AND period_end <= ? ORDER BY id", ahead)
            for table in ["domain", "ssl_certificate", "license"] {
                // Table names come from this list only.
                try add(table, "SELECT id FROM \(table) WHERE expires_on >= ? AND expires_on <= ? ORDER BY id", ahead)
            }
        }
        // Rows dated after the last build's day and up to this one now count "to date" (a replica's rows are
        // normally dated up to its last sync, so these are few).
        let reached: [any SQLBindable] = [from.description, to.description]
        try add("customer", "SELECT id FROM customer WHERE substr(created_at, 1, 10) > ? AND substr(created_at, 1, 10) <= ? ORDER BY id", reached)
        try add("invoice", "SELECT id FROM invoice WHERE issue_date > ? AND issue_date <= ? ORDER BY id", reached)
        try add("credit_note", "SELECT id FROM credit_note WHERE issue_date > ? AND issue_date <= ? ORDER BY id", reached)
        try add("payment", "SELECT id FROM payment WHERE received_on > ? AND received_on <= ? ORDER BY id", reached)
        try add("orders", "SELECT id FROM orders WHERE substr(placed_at, 1, 10) > ? AND substr(placed_at, 1, 10) <= ? ORDER BY id", reached)
        return changes
    }
}
