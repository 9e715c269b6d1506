/// Data tables: column headers with `scope`, numbers right-aligned, an
/// intentional empty state instead of a table with no rows.
enum Table {
    /// A table of `rows` under `columns`; `empty` is shown instead when there are no rows. `footer`
    /// rows (totals) go in `<tfoot>`: `site/outpost.js` sorts and filters only the body, so they stay last.
    static func render(_ columns: [Column], _ rows: [[Cell]], format: SiteFormat, root: String,
                       caption: String? = nil, id: String? = nil, empty: String, foot: [[Cell]] = []) -> Node {
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
        if !foot.isEmpty {
            children.append(H.el("tfoot", [], children: foot.map { footRow($0, format: format, root: root) }))
        }
        return H.el("div", [Attribute("class", "table-wrap")], H.el("table", attributes, children: children))
    }

    /// A totals row: its first cell is the row's header, spanning the blank cells after it (the label
    /// "Subtotal" reaches across to the amount), the rest are cells as in the body.
    static func footRow(_ row: [Cell], format: SiteFormat, root: String) -> Node {
        guard let label = row.first else { return H.el("tr", []) }
        var span = 1
        while span < row.count - 1, row[span].isBlank { span += 1 }
        var attributes = [Attribute("scope", "row")]
        if span > 1 { attributes.append(Attribute("colspan", String(span))) }
        return H.el("tr", [], children: [.element("th", attributes, [label.content(format, root: root)])]
                    + row.dropFirst(span).map { $0.td(format, root: root) })
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
