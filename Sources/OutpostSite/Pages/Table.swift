/// Data tables: column headers with `scope`, numbers right-aligned, an
/// intentional empty state instead of a table with no rows.
enum Table {
    /// A table of `rows` under `columns`; `empty` is shown instead when there are no rows. `footer`
    /// rows (totals) go in `<tfoot>`: `site/outpost.js` sorts and filters only the body, so they stay last.
    static func render(_ columns: [Column], _ rows: [[Cell]], format: SiteFormat, root: String,
                       caption: String? = nil, id: String? = nil, empty: String, footer: [[Cell]] = []) -> Node {
        guard !rows.isEmpty else { return H.p(empty, [Attribute("class", "empty")]) }
        var attributes = [Attribute("class", "data")]
        if let id { attributes.append(Attribute("id", id)) }
        var children: [Node] = []
        if let caption { children.append(H.el("caption", [], .text(caption))) }
        children.append(H.el("thead", [], H.el("tr", [], children: columns.map { column in
            H.th(column.title, column.numeric ? [Attribute("class", "num")] : [])
        })))
        children.append(H.el("tbody", [], children: rows.map { row in
            H.el("tr", [], children: row.map { $0.td(format, root: root) })
        }))
        if !footer.isEmpty {
            children.append(H.el("tfoot", [], children: footer.map { row in
                H.el("tr", [], children: row.map { $0.td(format, root: root) })
            }))
        }
        return H.el("div", [Attribute("class", "table-wrap")], H.el("table", attributes, children: children))
    }

    /// A two-column table of labelled values (a profile, a summary), with row headers.
    static func facts(_ rows: [(String, Node)], caption: String? = nil) -> Node {
        var children: [Node] = []
        if let caption { children.append(H.el("caption", [], .text(caption))) }
        children.append(H.el("tbody", [], children: rows.map(factRow)))
        return H.el("table", [Attribute("class", "facts")], children: children)
    }

    /// One row of `facts`.
    static func factRow(_ label: String, _ value: Node) -> Node {
        H.el("tr", [], H.rowHeader(.text(label)), H.el("td", [], value))
    }
}
