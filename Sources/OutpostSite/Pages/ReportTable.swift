/// A report's table: its rows, and its totals row in `<tfoot>`, where sorting (which moves only
/// the body's rows) and the page filter never reach it; the CSV beside it as every table has.
enum ReportTable {
    /// The table as a block of the page at `path`, with `foot` (the totals) under the rows.
    static func block(_ context: BuildContext, path: String, columns: [Column], rows: [[Cell]], foot: [[Cell]],
                      empty: String, csv: String?) -> Block {
        let root = Page.root(of: path)
        let format = context.format
        guard !rows.isEmpty else { return .paragraph(empty) }
        var children: [Node] = []
        children.append(H.el("thead", [], H.el("tr", [], children: columns.map { column in
            H.th(column.title, column.numeric ? [Attribute("class", "num")] : [])
        })))
        children.append(H.el("tbody", [], children: rows.map { row in H.el("tr", [], children: row.map { $0.td(format, root: root) }) }))
        if !foot.isEmpty {
            children.append(H.el("tfoot", [], children: foot.map { row in H.el("tr", [], children: row.map { $0.td(format, root: root) }) }))
        }
        var nodes: [Node] = [H.el("div", [Attribute("class", "table-wrap")], H.el("table", [Attribute("class", "data")], children: children))]
        if let csv {
            // Named by its file: a page with two tables (revenue by month, by plan) has two CSVs, and their links must tell them apart.
            let file = csv.split(separator: "/").last.map(String.init) ?? csv
            nodes.append(H.el("p", [Attribute("class", "csv")],
                              H.link(root + csv, "Download all rows as CSV (\(file))", [Attribute("type", "text/csv"), Attribute("download", "")])))
        }
        let node = Node.fragment(nodes)
        return .node(node, fingerprint: node.render())
    }

    /// The first cell of a totals row.
    static let totalLabel = Cell.custom(H.el("strong", [], .text("Total")), "Total")
}
