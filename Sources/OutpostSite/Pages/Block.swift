/// A piece of a page's content, kept as data until the page is rendered.
///
/// Pages are described as blocks so a build can fingerprint exactly what a
/// page shows (every cell's text and link, after formatting and after
/// date-dependent states such as "overdue" are worked out) and skip
/// rendering pages whose fingerprint is unchanged.
enum Block: Sendable {
    /// A second-level heading; `id` makes it a link target.
    case heading(String, id: String? = nil)
    case paragraph(String, tone: String? = nil)
    /// Labelled values.
    case facts([(String, Cell)], caption: String? = nil)
    /// A data table; `csv` is a link (from the site root) to the same rows as CSV. `foot` rows (totals) go in the
    /// table's foot, where sorting and filtering the body never moves or hides them; each starts with its label.
    case table(columns: [Column], rows: [[Cell]], caption: String? = nil, id: String? = nil, empty: String, csv: String? = nil,
               foot: [[Cell]] = [])
    /// Links, as a list (sub-navigation, pagination).
    case links([(href: String, label: String, current: Bool)], label: String)
    /// Headline figures: label, value, optional note.
    case figures([(label: String, value: Cell, note: String)])
    /// A section of blocks with its own heading level and id (`<section aria-labelledby>`).
    case section(title: String, id: String, [Block])
    /// Prebuilt markup (charts) with the text that stands for it in the fingerprint.
    case node(Node, fingerprint: String)
    /// Blocks side by side where the page is wide enough (and on paper), one below the other on a phone.
    case columns([Block])
    /// A postal address, one line each, its line breaks kept.
    case address([String])

    func fingerprint(into hash: inout ContentHash) {
        switch self {
        case let .heading(text, id):
            hash.add(1); hash.add(text); hash.add(id ?? "")
        case let .paragraph(text, tone):
            hash.add(2); hash.add(text); hash.add(tone ?? "")
        case let .facts(rows, caption):
            hash.add(3); hash.add(caption ?? ""); hash.add(rows.count)
            for (label, cell) in rows { hash.add(label); cell.fingerprint(into: &hash) }
        case let .table(columns, rows, caption, id, empty, csv, foot):
            hash.add(4); hash.add(caption ?? ""); hash.add(id ?? ""); hash.add(empty); hash.add(csv ?? "")
            hash.add(columns.count)
            for column in columns { hash.add(column.title); hash.add(column.numeric ? 1 : 0) }
            hash.add(rows.count)
            for row in rows { for cell in row { cell.fingerprint(into: &hash) } }
            hash.add(foot.count)
            for row in foot { hash.add(row.count); for cell in row { cell.fingerprint(into: &hash) } }
        case let .links(links, label):
            hash.add(5); hash.add(label); hash.add(links.count)
            for link in links { hash.add(link.href); hash.add(link.label); hash.add(link.current ? 1 : 0) }
        case .figures(let figures):
            hash.add(6); hash.add(figures.count)
            for figure in figures { hash.add(figure.label); figure.value.fingerprint(into: &hash); hash.add(figure.note) }
        case let .section(title, id, blocks):
            hash.add(7); hash.add(title); hash.add(id); hash.add(blocks.count)
            for block in blocks { block.fingerprint(into: &hash) }
        case let .node(_, fingerprint):
            hash.add(8); hash.add(fingerprint)
        case .columns(let blocks):
            hash.add(9); hash.add(blocks.count)
            for block in blocks { block.fingerprint(into: &hash) }
        case .address(let lines):
            hash.add(10); hash.add(lines.count)
            for line in lines { hash.add(line) }
        }
    }

    func render(_ format: SiteFormat, root: String, level: Int = 2) -> Node {
        switch self {
        case let .heading(text, id):
            return .element("h\(level)", id.map { [Attribute("id", $0)] } ?? [], [.text(text)])
        case let .paragraph(text, tone):
            if text.isEmpty { return .empty }
            return H.p(text, tone.map { [Attribute("class", $0)] } ?? [])
        case let .facts(rows, caption):
            return Table.facts(rows.map { ($0.0, $0.1.content(format, root: root)) }, caption: caption)
        case let .table(columns, rows, caption, id, empty, csv, foot):
            let table = Table.render(columns, rows, format: format, root: root, caption: caption, id: id, empty: empty, foot: foot)
            guard let csv else { return table }
            return .fragment([table, Block.csvLink(csv, root: root)])
        case let .links(links, label):
            return H.el("nav", [Attribute("class", "pages"), Attribute("aria-label", label)], H.el("ul", [], children: links.map { link in
                var attributes = [Attribute("href", root + link.href)]
                if link.current { attributes.append(Attribute("aria-current", "page")) }
                return H.el("li", [], .element("a", attributes, [.text(link.label)]))
            }))
        case .figures(let figures):
            return H.el("dl", [Attribute("class", "figures")], children: figures.map { figure in
                H.el("div", [Attribute("class", "figure")],
                     H.el("dt", [], .text(figure.label)),
                     H.el("dd", [], figure.value.content(format, root: root)),
                     figure.note.isEmpty ? .empty : H.el("dd", [Attribute("class", "note")], .text(figure.note)))
            })
        case let .section(title, id, blocks):
            return H.el("section", [Attribute("aria-labelledby", id)], children:
                [.element("h\(level)", [Attribute("id", id)], [.text(title)])] + blocks.map { $0.render(format, root: root, level: min(level + 1, 6)) })
        case .node(let node, _):
            return node
        case .columns(let blocks):
            return H.el("div", [Attribute("class", "columns")], children: blocks.map { H.el("div", [], $0.render(format, root: root, level: level)) })
        case .address(let lines):
            let shown = lines.filter { !$0.isEmpty }
            if shown.isEmpty { return .empty }
            var children: [Node] = []
            for (index, line) in shown.enumerated() {
                if index > 0 { children.append(H.el("br")) }
                children.append(.text(line))
            }
            return H.el("p", [Attribute("class", "address")], children: children)
        }
    }
}

extension Cell {
    func fingerprint(into hash: inout ContentHash) {
        switch self {
        case .text(let v): hash.add(11); hash.add(v)
        case let .link(href, label): hash.add(12); hash.add(href); hash.add(label)
        case .money(let v): hash.add(13); hash.add(v)
        case .number(let v): hash.add(14); hash.add(v)
        case .date(let v): hash.add(15); hash.add(v ?? "\u{0}")
        case .timestamp(let v): hash.add(16); hash.add(v ?? "\u{0}")
        case .status(let v): hash.add(17); hash.add(v)
        case .percent(let v): hash.add(18); hash.add(v ?? Int.min)
        case .email(let v): hash.add(21); hash.add(v)
        case let .output(text, output): hash.add(20); hash.add(text); hash.add(output)
        case let .custom(_, text): hash.add(19); hash.add(text)
        }
    }

    /// The cell's content outside a table.
    func content(_ format: SiteFormat, root: String) -> Node {
        switch self {
        case .text(let v): return .text(v.isEmpty ? "—" : v)
        case let .link(href, label): return H.link(root + href, label.isEmpty ? "(no name)" : label)
        case .money(let v): return format.money(v)
        case .number(let v): return .text(String(v))
        case .date(let v): return H.el("time", v.map { [Attribute("datetime", $0)] } ?? [], .text(SiteFormat.date(v)))
        case .timestamp(let v): return .text(SiteFormat.timestamp(v))
        case .status(let v): return Cell.badge(v)
        case .percent(let v): return .text(SiteFormat.percent(v))
        case .email(let v): return v.isEmpty ? .text("—") : H.link("mailto:" + v, v)
        case .output: return .element("div", [], outputNodes)
        case .custom(let node, _): return node
        }
    }
}

extension Block {
    /// The link under a table to its rows as CSV: a long list's CSV is one file per day, listed on a page of its
    /// own (`ListCSV`); any other is one file, named in the link (a page with two tables, revenue by month and by
    /// plan, has two CSVs, and their links must tell them apart).
    static func csvLink(_ csv: String, root: String) -> Node {
        if csv.hasSuffix(".html") {
            return H.el("p", [Attribute("class", "csv")], H.link(root + csv, "All rows as CSV, one file per day"))
        }
        let file = csv.split(separator: "/").last.map(String.init) ?? csv
        return H.el("p", [Attribute("class", "csv")],
                    H.link(root + csv, "Download all rows as CSV (\(file))", [Attribute("type", "text/csv"), Attribute("download", "")]))
    }
}
