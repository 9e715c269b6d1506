import OutpostModel
import OutpostStore

/// A list with its whole-list orders and saved views: the same rows (or some
/// of them) paged again, each in its own directory inside the list's.
///
/// The list's own order is the first of `orders` and lives in the list's
/// directory (`invoices/`); every other order in `DIR/by-NAME/` (a column
/// header leads there), every view in `DIR/NAME/` (a tab leads there, with
/// its count). Views keep the list's own order. Only the list itself has a
/// CSV and feeds the search index; its orders and views link to its CSV.
struct ListFamily {
    /// The list in its own order, with every row.
    let base: PagedList
    /// The list's own order first, then the others.
    let orders: [ListOrder]
    let views: [ListView]
    /// What one row is, in the plural, for tab labels ("invoices").
    let noun: String

    /// Every list of the family: the list itself, then its orders, then its views.
    var lists: [PagedList] {
        let members = [base.directory] + orders.dropFirst().map { directory(of: $0) } + views.map { base.directory + "/" + $0.name }
        var result: [PagedList] = []
        for order in orders {
            var list = order.name.isEmpty ? base : derived(directory(of: order), title: base.title + " by " + order.label)
            list.order = order.sql
            list.key = order.key
            list.family = navigation(current: list.directory, order: order, members: members)
            result.append(list)
        }
        for view in views {
            var list = derived(base.directory + "/" + view.name, title: base.title + ": " + view.label.lowercased())
            list.filter = [base.filter, view.filter].compactMap { $0 }.map { "(" + $0 + ")" }.joined(separator: " AND ")
            list.arguments = base.arguments + view.arguments
            list.dependsOnDate = base.dependsOnDate || view.dependsOnDate
            list.family = navigation(current: list.directory, order: nil, members: members)
            result.append(list)
        }
        return result
    }

    private func directory(of order: ListOrder) -> String {
        order.name.isEmpty ? base.directory : base.directory + "/" + order.name
    }

    /// The list again under another directory and title, without a CSV or search entries of its own.
    private func derived(_ directory: String, title: String) -> PagedList {
        var list = PagedList(directory: directory, title: title, section: base.section, intro: base.intro, columns: base.columns,
                             empty: base.empty, select: base.select, filter: base.filter, arguments: base.arguments,
                             idColumn: base.idColumn, order: base.order, key: base.key, keyShowsCustomer: base.keyShowsCustomer,
                             csvName: nil, cells: base.cells)
        list.csvLink = ListCSV(base).link ?? base.csvLink
        list.outro = base.outro
        list.dependsOnDate = base.dependsOnDate
        return list
    }

    private func navigation(current: String, order: ListOrder?, members: [String]) -> ListNavigation {
        // Every order of the list shows all its rows: the first tab.
        var tabs: [ListNavigation.Tab] = [.init(href: base.pagePath("index"), label: "All " + noun, list: base.directory, current: order != nil)]
        for view in views {
            let directory = base.directory + "/" + view.name
            tabs.append(.init(href: directory + "/index.html", label: view.label, list: directory, current: current == directory))
        }
        var headers: [Int: String] = [:]
        var links: [(href: String, label: String, current: Bool)] = []
        for other in orders {
            let href = directory(of: other) + "/index.html"
            links.append((href, other.label, order?.name == other.name))
            if let column = other.column { headers[column] = href }
        }
        var sorted: (column: Int, descending: Bool)? = nil
        if let order, let column = order.column, let part = order.parts.first {
            switch part {
            case let .text(_, _, descending, _), let .number(_, _, descending): sorted = (column, descending)
            }
        }
        return ListNavigation(family: base.directory, noun: noun, tabs: tabs, orders: order == nil ? [] : links,
                              headers: order == nil ? [:] : headers, sorted: sorted, members: members)
    }
}

/// What a page of a list shows around its rows: the tabs of its family's views, the orders
/// whose headers lead to their first pages, the links between its pages and the scripts
/// that number them (see `PagedList`).
struct ListNavigation {
    struct Tab {
        let href: String
        let label: String
        /// The list whose row count the tab shows.
        let list: String
        let current: Bool
    }

    /// The directory of the list the family belongs to; its `lists.js` holds every member's row count.
    let family: String
    let noun: String
    let tabs: [Tab]
    /// The whole-list orders, by their first page; empty on a view (it keeps the list's order).
    let orders: [(href: String, label: String, current: Bool)]
    /// Column headers that lead to an order's first page, by column.
    let headers: [Int: String]
    /// The column the page is sorted by, and which way.
    let sorted: (column: Int, descending: Bool)?
    /// Every list of the family, by directory.
    let members: [String]

    var countsScript: String { family + "/lists.js" }

    /// The tabs, and the orders the list can be read in.
    func tabs(root: String) -> Block {
        var fingerprint = "tabs"
        var items: [Node] = []
        for tab in tabs {
            var attributes = [Attribute("href", root + tab.href)]
            if tab.current { attributes.append(Attribute("aria-current", "page")) }
            items.append(H.el("li", [], .element("a", attributes, [.text(tab.label), H.span("", [Attribute("class", "count"), Attribute("data-count", tab.list)])])))
            fingerprint += "|" + tab.href + "|" + tab.label + "|" + tab.list + (tab.current ? "*" : "")
        }
        var children = [H.el("ul", [], children: items)]
        if !orders.isEmpty {
            var parts: [Node] = [.text("Whole list by ")]
            for (offset, order) in orders.enumerated() {
                if offset > 0 { parts.append(.text(offset == orders.count - 1 ? " or " : ", ")) }
                var attributes = [Attribute("href", root + order.href)]
                if order.current { attributes.append(Attribute("aria-current", "page")) }
                parts.append(.element("a", attributes, [.text(order.label)]))
                fingerprint += "|o|" + order.href + "|" + order.label + (order.current ? "*" : "")
            }
            parts.append(.text("."))
            children.append(H.el("p", [Attribute("class", "list-orders")], children: parts))
        }
        return .node(H.el("nav", [Attribute("class", "list-views"), Attribute("aria-label", "Views of " + noun)], children: children),
                     fingerprint: fingerprint)
    }

    /// The table of a page, whose headers of whole-list orders are links to their first pages.
    func table(columns: [Column], rows: [[Cell]], list: String, paged: Bool, empty: String, csv: String?,
               format: SiteFormat, root: String) -> Block {
        var hash = ContentHash()
        Block.table(columns: columns, rows: rows, caption: nil, id: nil, empty: empty, csv: csv).fingerprint(into: &hash)
        for (column, href) in headers.sorted(by: { $0.key < $1.key }) { hash.add(column); hash.add(href) }
        hash.add(sorted.map { $0.column * 2 + ($0.descending ? 1 : 0) } ?? -1)
        hash.add(list)
        hash.add(paged ? 1 : 0)
        guard !rows.isEmpty else { return .node(H.p(empty, [Attribute("class", "empty")]), fingerprint: hash.description) }
        let head = columns.enumerated().map { offset, column -> Node in
            var attributes = [Attribute("scope", "col")]
            if column.numeric { attributes.append(Attribute("class", "num")) }
            if let sorted, sorted.column == offset { attributes.append(Attribute("aria-sort", sorted.descending ? "descending" : "ascending")) }
            guard let href = headers[offset] else { return .element("th", attributes, [.text(column.title)]) }
            return .element("th", attributes, [H.link(root + href, column.title, [Attribute("class", "order")])])
        }
        var children: [Node] = [
            H.el("thead", [], H.el("tr", [], children: head)),
            H.el("tbody", [], children: rows.map { row in H.el("tr", [], children: row.map { $0.td(format, root: root) }) }),
        ]
        children = [H.el("table", [Attribute("class", "data"), Attribute("data-list", list), Attribute("data-paged", paged ? "true" : "false")],
                         children: children)]
        var nodes = [H.el("div", [Attribute("class", "table-wrap")], children: children)]
        if let csv { nodes.append(Block.csvLink(csv, root: root)) }
        return .node(.fragment(nodes), fingerprint: hash.description)
    }

    /// The links between a list's pages that need no script: first, previous, next. `site/outpost.js`
    /// adds the page's number, the page count, the row total, the last page and the pages nearby.
    static func pages(list: String, page: String, previous: String?, next: String?, first: String?, label: String, root: String) -> Block {
        var items: [Node] = []
        var fingerprint = "pages|" + list + "|" + page + "|" + label
        for (href, text, rel) in [(first, "First page", ""), (previous, "← Previous page", "prev"), (next, "Next page →", "next")] {
            guard let href else { continue }
            var attributes = [Attribute("href", root + href)]
            if !rel.isEmpty { attributes.append(Attribute("rel", rel)) }
            items.append(H.el("li", [], .element("a", attributes, [.text(text)])))
            fingerprint += "|" + href + "|" + text
        }
        let nav = H.el("nav", [Attribute("class", "pages"), Attribute("aria-label", label), Attribute("data-list", list), Attribute("data-page", page),
                               Attribute("data-base", root + list + "/")],
                       H.el("ul", [], children: items))
        return .node(nav, fingerprint: fingerprint)
    }

    /// The scripts that number a list's pages (`pages`, when it has more than one) and count its family's views.
    static func scripts(pages: String?, counts: String?, root: String) -> Block {
        let sources = [pages, counts].compactMap { $0 }
        return .node(.fragment(sources.map { H.el("script", [Attribute("src", root + $0)]) }), fingerprint: "scripts|" + sources.joined(separator: "|"))
    }

    /// `pages.js`: the list's row total and each page's name and row count, in order.
    static func pagesScript(list: String, pages: [ListStore.PageEntry]) -> String {
        let total = pages.reduce(0) { $0 + $1.rows }
        let entries = pages.map { "[" + json($0.name) + "," + String($0.rows) + "]" }.joined(separator: ",\n")
        return "/* Pages of " + list.replacingOccurrences(of: "*/", with: "") + ", written by outpost site build: see PagedList. */\n"
            + "(window.OutpostListPages = window.OutpostListPages || {})[" + json(list) + "] = {\"rows\": " + String(total) + ", \"pages\": [\n"
            + entries + "]};\n"
    }

    /// Writes `lists.js`: the row count of every list of the family; by the family's last list, once its
    /// rows are in (the lists of a family are built and updated in `members` order).
    func writeCounts(after list: String, in context: BuildContext) throws {
        guard list == members.last else { return }
        try writeCounts(in: context)
    }

    func writeCounts(in context: BuildContext) throws {
        var text = "/* Row counts of the lists of " + family.replacingOccurrences(of: "*/", with: "") + ", written by outpost site build. */\n"
        text += "window.OutpostListCounts = window.OutpostListCounts || {};\n"
        for member in members {
            let rows = try context.lists.rowCount(member)
            text += "window.OutpostListCounts[" + ListNavigation.json(member) + "] = " + String(rows) + ";\n"
        }
        try context.output.file(countsScript, bytes: Array(text.utf8))
    }

    /// A JSON string (page names and list directories are plain ASCII; escaped anyway).
    static func json(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "<": out += "\\u003c"
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }
}
