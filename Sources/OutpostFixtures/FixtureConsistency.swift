import OutpostStore
import OutpostModel

/// Checks that a data set hangs together: documents point at what they
/// should, amounts add up, numbers have no gaps, nothing is dated after
/// `asOf`, and the data set has the situations a demo needs (overdue
/// invoices, subscriptions about to expire, cancelled subscriptions).
///
/// Made for the fixture generator's output, and useful on any replica or
/// node database. Each problem is one human-readable line; at most
/// `examplesPerCheck` examples are listed per check, then a count.
public enum FixtureConsistency {
    /// How many offending rows one check lists before summarizing.
    public static let examplesPerCheck = 10

    /// The problems found; empty when the data set is consistent.
    public static func check(_ db: Database, asOf: BusinessDate) throws -> [String] {
        var problems: [String] = []
        let today = asOf.description

        /// Runs a query whose rows are problems, each described by `describe`.
        func report(_ what: String, _ sql: String, _ arguments: [any SQLBindable] = [], _ describe: (Row) -> String) throws {
            var examples: [String] = []
            var count = 0
            try db.forEachRow(sql, arguments) { row in
                count += 1
                if examples.count < examplesPerCheck { examples.append(describe(row)) }
            }
            problems.append(contentsOf: examples.map { "\(what): \($0)" })
            if count > examples.count { problems.append("\(what): … and \(count - examples.count) more") }
        }
        func text(_ row: Row, _ column: String) -> String {
            switch row[column] {
            case .null: return "null"
            case .integer(let value): return String(value)
            case .real(let value): return String(value)
            case .text(let value): return value
            case .blob(let bytes): return "<\(bytes.count) bytes>"
            }
        }
        func name(_ row: Row, _ number: String = "number") -> String {
            row[number].string ?? text(row, "id")
        }

        // Foreign keys.
        for violation in try db.foreignKeyViolations().prefix(examplesPerCheck) {
            problems.append("foreign key violated: \(violation)")
        }
        let violations = try db.foreignKeyViolations().count
        if violations > examplesPerCheck { problems.append("foreign key violated: … and \(violations - examplesPerCheck) more") }

        // Every subscription came from an order.
        try report("subscription without an order", """
            SELECT s.id FROM subscription s
            WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.subscription_id = s.id)
              AND (s.order_id IS NULL OR NOT EXISTS (SELECT 1 FROM orders o WHERE o.id = s.order_id))
            ORDER BY s.id
            """) { text($0, "id") }

        // Completed sales, transfer and renewal orders are invoiced.
        try report("completed order without an invoice", """
            SELECT id, number, type FROM orders
            WHERE status = 'completed' AND type IN ('sales', 'transfer', 'renewal')
              AND id NOT IN (SELECT order_id FROM invoice WHERE order_id IS NOT NULL)
            ORDER BY number, id
            """) { "\(text($0, "type")) order \(name($0))" }

        // Order totals are the sum of their lines.
        try report("order total differs from its lines", """
            SELECT o.id, o.number, o.total, coalesce(l.amount, 0) AS lines, coalesce(l.count, 0) AS count
            FROM orders o LEFT JOIN (SELECT order_id, sum(amount) AS amount, count(*) AS count FROM order_line GROUP BY order_id) l
                ON l.order_id = o.id
            WHERE l.count IS NULL OR o.total != l.amount
            ORDER BY o.number, o.id
            """) { "order \(name($0)) total \(text($0, "total")) but \(text($0, "count")) line(s) sum to \(text($0, "lines"))" }

        // Invoices and credit notes: subtotal = sum of lines, total = subtotal + tax.
        for (table, lineTable, key, label) in [("invoice", "invoice_line", "invoice_id", "invoice"),
                                               ("credit_note", "credit_note_line", "credit_note_id", "credit note")] {
            try report("\(label) amounts do not add up", """
                SELECT d.id, d.number, d.subtotal, d.tax, d.total, coalesce(l.amount, 0) AS lines
                FROM \(table) d LEFT JOIN (SELECT \(key) AS owner, sum(amount) AS amount FROM \(lineTable) GROUP BY \(key)) l
                    ON l.owner = d.id
                WHERE d.subtotal != coalesce(l.amount, 0) OR d.total != d.subtotal + d.tax
                ORDER BY d.number, d.id
                """) {
                "\(label) \(name($0)): subtotal \(text($0, "subtotal")), lines \(text($0, "lines")), tax \(text($0, "tax")), total \(text($0, "total"))"
            }
        }

        // Payments: no single payment above the invoice total, and completed
        // payments plus credit notes never more than the total.
        try report("payment larger than its invoice", """
            SELECT p.id, i.number, p.amount, i.total FROM payment p JOIN invoice i ON i.id = p.invoice_id
            WHERE p.amount > i.total ORDER BY i.number, p.id
            """) { "payment \(text($0, "id")) of \(text($0, "amount")) on invoice \(text($0, "number")) totalling \(text($0, "total"))" }
        try report("invoice paid and credited beyond its total", """
            SELECT i.id, i.number, i.total, coalesce(p.amount, 0) AS paid, coalesce(c.amount, 0) AS credited
            FROM invoice i
            LEFT JOIN (SELECT invoice_id, sum(amount) AS amount FROM payment WHERE status = 'completed' GROUP BY invoice_id) p
                ON p.invoice_id = i.id
            LEFT JOIN (SELECT invoice_id, sum(total) AS amount FROM credit_note GROUP BY invoice_id) c ON c.invoice_id = i.id
            WHERE coalesce(p.amount, 0) + coalesce(c.amount, 0) > i.total
            ORDER BY i.number, i.id
            """) { "invoice \(name($0)) total \(text($0, "total")), paid \(text($0, "paid")), credited \(text($0, "credited"))" }
        try report("payment for another customer than its invoice", """
            SELECT p.id, i.number FROM payment p JOIN invoice i ON i.id = p.invoice_id
            WHERE p.customer_id != i.customer_id OR p.currency != i.currency ORDER BY p.id
            """) { "payment \(text($0, "id")) on invoice \(text($0, "number"))" }

        // Gap-free numbers.
        for (table, prefix, label) in [("orders", "ORD", "order"), ("invoice", "INV", "invoice"), ("credit_note", "CRN", "credit note")] {
            let start = prefix.count + 2
            try report("\(label) number malformed", """
                SELECT id, number FROM \(table)
                WHERE number IS NOT NULL AND (number NOT GLOB '\(prefix)-[0-9][0-9][0-9][0-9][0-9][0-9]*'
                                              OR substr(number, \(start)) GLOB '*[^0-9]*')
                ORDER BY number
                """) { "\(label) \(text($0, "id")) is numbered \(text($0, "number"))" }
            guard let summary = try db.row("""
                SELECT count(*) AS count, count(DISTINCT n) AS distinct_count, min(n) AS low, max(n) AS high
                FROM (SELECT CAST(substr(number, \(start)) AS INTEGER) AS n FROM \(table) WHERE number GLOB '\(prefix)-[0-9]*')
                """) else { continue }
            let count = summary["count"].int64 ?? 0
            if count > 0, summary["distinct_count"].int64 != count || summary["low"].int64 != 1 || summary["high"].int64 != count {
                problems.append("\(label) numbers are not gap-free: \(count) numbered, \(summary["distinct_count"].int64 ?? 0) distinct, from \(prefix)-\(summary["low"].int64 ?? 0) to \(prefix)-\(summary["high"].int64 ?? 0)")
            }
        }
        // Invoices are numbered in date order.
        try report("invoice numbered out of date order", """
            SELECT number, issue_date, previous_date FROM (
                SELECT number, issue_date,
                       lag(issue_date) OVER (ORDER BY CAST(substr(number, 5) AS INTEGER)) AS previous_date
                FROM invoice WHERE number GLOB 'INV-[0-9]*')
            WHERE previous_date > issue_date ORDER BY CAST(substr(number, 5) AS INTEGER)
            """) { "\(text($0, "number")) dated \(text($0, "issue_date")) after one dated \(text($0, "previous_date"))" }

        // Nothing after asOf.
        let dated: [(String, String, String)] = [
            ("invoice", "issue_date", "number"), ("credit_note", "issue_date", "number"), ("orders", "placed_at", "number"),
            ("payment", "received_on", "id"), ("payment", "recorded_at", "id"), ("customer", "created_at", "id"),
            ("subscription", "created_at", "id"), ("customer_user", "created_at", "id"), ("panel_user", "created_at", "id"),
            ("login_event", "at", "id"),
        ]
        for (table, column, label) in dated {
            try report("\(table).\(column) after \(today)", """
                SELECT \(label) AS label, \(column) AS value FROM \(table) WHERE substr(\(column), 1, 10) > ? ORDER BY \(column)
                """, [today]) { "\(table) \(text($0, "label")) on \(text($0, "value"))" }
        }

        // Prices: each subscription's price is its cost at some markup of at least zero.
        var unpriced: [String] = []
        var unpricedCount = 0
        try db.forEachRow("SELECT id, unit_price, unit_cost FROM subscription ORDER BY id") { row in
            let price = row["unit_price"].int64 ?? -1
            let cost = row["unit_cost"].int64 ?? -1
            if !isSalePrice(price, ofCost: cost) {
                unpricedCount += 1
                if unpriced.count < examplesPerCheck { unpriced.append("subscription \(text(row, "id")): price \(price) for cost \(cost)") }
            }
        }
        problems.append(contentsOf: unpriced.map { "price is no markup of its cost: \($0)" })
        if unpricedCount > unpriced.count { problems.append("price is no markup of its cost: … and \(unpricedCount - unpriced.count) more") }

        // What a demo needs to show.
        let overdue = try db.scalar("""
            SELECT count(*) FROM invoice i
            WHERE i.status = 'issued' AND i.due_date < ?
              AND i.total > coalesce((SELECT sum(amount) FROM payment p WHERE p.invoice_id = i.id AND p.status = 'completed'), 0)
                          + coalesce((SELECT sum(total) FROM credit_note c WHERE c.invoice_id = i.id), 0)
            """, [today])?.int64 ?? 0
        if overdue == 0 { problems.append("no overdue invoices as of \(today)") }
        let expiring = try db.scalar("""
            SELECT count(*) FROM subscription WHERE status IN ('active', 'suspended') AND period_end > ? AND period_end <= ?
            """, [today, asOf.adding(days: 30).description])?.int64 ?? 0
        if expiring == 0 { problems.append("no subscriptions expiring within 30 days of \(today)") }
        let cancelled = try db.scalar("SELECT count(*) FROM subscription WHERE status = 'cancelled'")?.int64 ?? 0
        if cancelled == 0 { problems.append("no cancelled subscriptions") }
        return problems
    }

    /// Whether `price` = `Pricing.salePrice(cost, markup)` for some markup from 0 to the maximum.
    static func isSalePrice(_ price: Int64, ofCost cost: Int64) -> Bool {
        guard cost >= 0, price >= cost else { return false }
        // The sale price grows with the markup: binary search for the smallest markup reaching `price`.
        var low = 0
        var high = Pricing.maximumMarkup
        while low < high {
            let middle = (low + high) / 2
            guard let candidate = try? Pricing.salePrice(cost: cost, markup: middle) else { return false }
            if candidate < price { low = middle + 1 } else { high = middle }
        }
        return (try? Pricing.salePrice(cost: cost, markup: low)) == price
    }
}
