import OutpostStore

/// One order of a whole list, stated once: its parts drive the SQL `ORDER BY`
/// the rows stream in, the sort key the list store keeps them by (`ListKey`),
/// and the column header that links to the order's first page.
struct ListOrder {
    /// One part of the order: an SQL expression of the list's query and the result column holding it.
    enum Part {
        /// Text: SQLite's BINARY order, or NOCASE with `ignoringCase` (ASCII letters only, as SQLite does).
        case text(_ sql: String, column: String, descending: Bool = false, ignoringCase: Bool = false)
        /// An integer (a NULL reads as 0: the query coalesces where it can be NULL).
        case number(_ sql: String, column: String, descending: Bool = false)
    }

    /// The order's directory inside its list's (`by-balance`); empty for the list's own order.
    let name: String
    /// What the order is called after "by" (`outstanding balance`).
    let label: String
    /// The column (by its index) whose header leads to this order; nil when no column shows it.
    let column: Int?
    let parts: [Part]

    init(_ name: String, _ label: String, column: Int?, _ parts: [Part]) {
        self.name = name
        self.label = label
        self.column = column
        self.parts = parts
    }

    var sql: String {
        parts.map { part in
            switch part {
            case let .text(sql, _, descending, ignoringCase):
                return sql + (ignoringCase ? " COLLATE NOCASE" : "") + (descending ? " DESC" : "")
            case let .number(sql, _, descending):
                return sql + (descending ? " DESC" : "")
            }
        }.joined(separator: ", ")
    }

    func key(_ row: Row) -> [KeyPart] {
        parts.map { part in
            switch part {
            case let .text(_, column, descending, ignoringCase):
                let text = row[column].string ?? ""
                return descending ? .descending(text) : ignoringCase ? .ignoringCase(text) : .ascending(text)
            case let .number(_, column, descending):
                let value = row[column].int64 ?? 0
                return descending ? .descendingNumber(value) : .ascendingNumber(value)
            }
        }
    }
}

/// A saved view of a whole list: the rows that meet a condition, in the list's own order.
struct ListView {
    /// The view's directory inside its list's (`overdue`).
    let name: String
    /// Its tab's label (`Overdue`).
    let label: String
    /// A condition over the list's query, with its arguments.
    let filter: String
    var arguments: [any SQLBindable] = []
    /// Whether its rows depend on the business date (overdue, expiring): a new day can move rows in or out.
    var dependsOnDate = false
}
