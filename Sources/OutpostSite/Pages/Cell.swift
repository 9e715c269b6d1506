/// One table cell: how it shows on the page and what it holds in the CSV.
enum Cell: Sendable {
    /// Nothing, on purpose (the empty columns of a totals row).
    static let blank = Cell.custom(.empty, "")

    case text(String)
    /// A link to a site path (relative to the site root) with its label.
    case link(String, String)
    case money(Int64)
    case number(Int64)
    /// A `YYYY-MM-DD` date, or none.
    case date(String?)
    /// A UTC timestamp.
    case timestamp(String?)
    /// A status word shown as a badge (`overdue`, `failed`…).
    case status(String)
    /// Basis points.
    case percent(Int?)
    /// An e-mail address, shown as a `mailto:` link (a dash when empty).
    case email(String)
    /// A line of text with a command's output below it, kept as written (`<pre>`; none when empty).
    case output(String, String)
    /// Anything else: a node for the page and the CSV text.
    case custom(Node, String)

    /// What the CSV holds for it.
    func csv(_ format: SiteFormat) -> String {
        switch self {
        case .text(let v): return v
        case .link(_, let label): return label
        case .money(let v): return format.csvMoney(v)
        case .number(let v): return String(v)
        case .date(let v): return v ?? ""
        case .timestamp(let v): return v ?? ""
        case .status(let v): return v
        case .percent(let v): return v.map(SiteFormat.percent) ?? ""
        case .email(let v): return v
        case let .output(text, output): return output.isEmpty ? text : text + "\n" + output
        case .custom(_, let text): return text
        }
    }

    /// Whether it is `blank`.
    var isBlank: Bool {
        if case .custom(_, let text) = self, text.isEmpty { return true }
        return false
    }

    /// Whether it is right-aligned and sorted as a number.
    var isNumeric: Bool {
        switch self {
        case .money, .number, .percent: return true
        default: return false
        }
    }

    /// The `<td>` for a page whose way to the site root is `root`.
    func td(_ format: SiteFormat, root: String) -> Node {
        switch self {
        case .text(let v): return H.td(v.isEmpty ? "—" : v, Cell.isNumber(v) ? [Attribute("class", "nowrap")] : [])
        case .link(let href, let label):
            if Cell.isId(label) { return H.td(Cell.idLink(root + href, label)) }
            return H.td(H.link(root + href, label.isEmpty ? "(no name)" : label), Cell.isNumber(label) ? [Attribute("class", "nowrap")] : [])
        case .money(let v): return H.td(format.money(v), [Attribute("class", "num"), Attribute("data-sort", String(v))])
        case .number(let v): return H.td(String(v), [Attribute("class", "num")])
        case .date(let v): return H.td(H.el("time", v.map { [Attribute("datetime", $0)] } ?? [], .text(SiteFormat.date(v))))
        case .timestamp(let v): return H.td(SiteFormat.timestamp(v), [Attribute("data-sort", v ?? "")])
        case .status(let v): return H.td(Cell.badge(v))
        case .percent(let v): return H.td(SiteFormat.percent(v), [Attribute("class", "num"), Attribute("data-sort", v.map(String.init) ?? "")])
        case .email: return H.td(content(format, root: root))
        case .output: return .element("td", [], outputNodes)
        case .custom(let node, _): return H.td(node)
        }
    }

    /// Whether `label` is an entity id (`sub_01JD…`: a short type prefix, `_`, at least sixteen letters and digits).
    static func isId(_ label: String) -> Bool {
        let bytes = Array(label.utf8)
        guard let underscore = bytes.firstIndex(of: UInt8(ascii: "_")), (2...4).contains(underscore), bytes.count - underscore - 1 >= 16 else { return false }
        return bytes[..<underscore].allSatisfy { $0 >= 97 && $0 <= 122 }
            && bytes[(underscore + 1)...].allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) }
    }

    /// Whether `label` is a document's number (`ORD-000123`, `INV-000045`, `CRN-000001`), kept on one line in a table.
    static func isNumber(_ label: String) -> Bool {
        let bytes = Array(label.utf8)
        guard let dash = bytes.firstIndex(of: UInt8(ascii: "-")), (2...4).contains(dash), dash + 1 < bytes.count else { return false }
        return bytes[..<dash].allSatisfy { $0 >= 65 && $0 <= 90 } && bytes[(dash + 1)...].allSatisfy { $0 >= 48 && $0 <= 57 }
    }

    /// A link labelled with an id, shortened on screen to its start and its last six characters (`sub_01JD…4K9Q2X`)
    /// so a list column of ids stays narrow: a time-ordered id's first characters are alike on neighbouring rows, its
    /// end tells them apart. The whole id stays the link's text (read aloud, copied, found) and its tooltip.
    static func idLink(_ href: String, _ id: String) -> Node {
        let tail = id.index(id.endIndex, offsetBy: -6)
        return H.el("a", [Attribute("href", href), Attribute("class", "id"), Attribute("title", id)],
                    H.span(String(id[..<tail]), [Attribute("class", "id-head")]), H.span(String(id[tail...]), [Attribute("class", "id-tail")]))
    }

    /// An `output` cell's text and its output block.
    var outputNodes: [Node] {
        guard case let .output(text, output) = self else { return [] }
        return [.text(text.isEmpty ? "—" : text)] + (output.isEmpty ? [] : [H.el("pre", [Attribute("class", "output")], .text(output))])
    }

    /// A status word as a badge, coloured by what it means.
    static func badge(_ status: String) -> Node {
        H.span(SiteFormat.words(status), [Attribute("class", "badge " + tone(status))])
    }

    static func tone(_ status: String) -> String {
        switch status {
        case "active", "completed", "paid", "issued", "success", "ok", "applied", "sent": return "good"
        case "failed", "rejected", "overdue", "failure", "revoked", "suspended", "refunded", "refused": return "bad"
        case "queued", "submitted", "provisioning", "pending", "unpaid", "partially_paid", "attention", "running", "expiring", "retried":
            return "warn"
        default: return "muted"
        }
    }
}

/// A table column.
struct Column: Sendable {
    let title: String
    let numeric: Bool

    init(_ title: String, numeric: Bool = false) {
        self.title = title
        self.numeric = numeric
    }
}
