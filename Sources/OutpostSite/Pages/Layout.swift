/// The areas of the panel, in navigation order, with the page each starts at.
enum Section: String, CaseIterable, Sendable {
    case home, customers, subscriptions, orders, provisioning, invoices, payments, plans, domains, ssl, licenses, users, reports, operations, settings, own, sync

    var title: String {
        switch self {
        case .home: return "Home"
        case .customers: return "Customers"
        case .subscriptions: return "Subscriptions"
        case .orders: return "Orders"
        case .provisioning: return "Provisioning queue"
        case .invoices: return "Invoices"
        case .payments: return "Payments"
        case .plans: return "Service plans"
        case .domains: return "Domains"
        case .ssl: return "SSL certificates"
        case .licenses: return "Licenses"
        case .users: return "Users"
        case .reports: return "Reports"
        case .operations: return "Operations"
        case .settings: return "Settings"
        case .own: return "Own purchases"
        case .sync: return "Sync"
        }
    }

    /// The section's first page, from the site root.
    var path: String {
        switch self {
        case .home: return "index.html"
        case .plans: return "plans.html"
        case .settings: return "settings.html"
        case .own: return "own.html"
        case .sync: return "sync.html"
        default: return rawValue + "/index.html"
        }
    }
}

/// One page before it gets its chrome.
struct Page: Sendable {
    /// From the site root: `customers/cus_01….html`.
    let path: String
    let title: String
    let section: Section
    var body: [Node]

    init(_ path: String, _ title: String, _ section: Section, _ body: [Node]) {
        self.path = path
        self.title = title
        self.section = section
        self.body = body
    }

    /// `../` once per directory level: every link on the page starts with it, so the site works from any sub-path and from `file://`.
    var root: String { Page.root(of: path) }

    static func root(of path: String) -> String {
        String(repeating: "../", count: path.utf8.reduce(0) { $0 + ($1 == UInt8(ascii: "/") ? 1 : 0) })
    }
}

/// The navigation's groups, in order: seventeen areas do not fit one row of a laptop's screen, seven do. A
/// group of one area is a plain link; the others are menus (`<details>`), which open without any script.
enum NavigationGroup: String, CaseIterable, Sendable {
    case home, customers, sales, billing, services, reports, admin

    var title: String {
        switch self {
        case .home: return "Home"
        case .customers: return "Customers"
        case .sales: return "Sales"
        case .billing: return "Billing"
        case .services: return "Services"
        case .reports: return "Reports"
        case .admin: return "Admin"
        }
    }

    /// The areas in the group, in menu order; every `Section` is in exactly one group.
    var sections: [Section] {
        switch self {
        case .home: return [.home]
        case .customers: return [.customers, .users]
        case .sales: return [.subscriptions, .orders, .provisioning]
        case .billing: return [.invoices, .payments]
        case .services: return [.plans, .domains, .ssl, .licenses]
        case .reports: return [.reports]
        case .admin: return [.settings, .own, .sync, .operations]
        }
    }
}

/// The chrome around every page: skip link, banner with search and freshness, navigation, footer.
struct Chrome: Sendable {
    let companyName: String

    /// What goes into every page's fingerprint: change it and every page is rebuilt (2: the aging
    /// report's per-customer pages lost their totals, the search hint asks for three letters; 3: license
    /// keys show only their last four characters, so pages published with full keys are rewritten; 4: the
    /// navigation links the "Own purchases" page; 5: and the Operations page; 6: the navigation is grouped
    /// into menus and the freshness line is written by `freshness.js` instead of a framed page).
    static let version = "outpost-site-chrome 6"

    /// The site-root file that writes the freshness line into every page (see `SyncPages.freshness`).
    static let freshnessScript = "freshness.js"

    /// The banner and the navigation: the same on every page of one section at one depth.
    func frame(root: String, section current: Section) -> Node {
        let brand = companyName.isEmpty ? "Outpost" : companyName
        let banner = H.el("header", [Attribute("class", "banner")],
            H.el("a", [Attribute("class", "brand"), Attribute("href", root + "index.html")],
                 H.span(brand, [Attribute("class", "company")]), H.span("Outpost reseller panel", [Attribute("class", "product")])),
            H.el("form", [Attribute("class", "search"), Attribute("role", "search"), Attribute("hidden", "hidden"),
                          Attribute("action", root + "index.html")],
                 H.el("label", [Attribute("for", "site-search")], .text("Search")),
                 H.el("input", [Attribute("id", "site-search"), Attribute("type", "search"), Attribute("autocomplete", "off"),
                                Attribute("placeholder", "Customer, order, invoice, domain…"),
                                Attribute("aria-describedby", "site-search-hint")]),
                 H.span("Type at least three characters.", [Attribute("id", "site-search-hint"), Attribute("class", "hint")]),
                 H.el("ul", [Attribute("id", "site-search-results"), Attribute("class", "search-results"), Attribute("aria-live", "polite")])),
            // The freshness line changes on every sync. Copied into each page it would make every sync rewrite every
            // page; so each page holds a placeholder that one small script of the site root, rewritten on each sync,
            // fills in. (It was an iframe: text inside an iframe is invalid HTML, and the frame's fixed height cut the
            // line off on a phone.) Without scripts the placeholder's link to the sync page is what shows.
            H.el("p", [Attribute("id", "freshness"), Attribute("class", "freshness")],
                 H.link(root + Section.sync.path, "Data freshness: see the sync page")),
            H.el("script", [Attribute("src", root + Chrome.freshnessScript), Attribute("defer", "defer")]))
        return .fragment([banner, Chrome.navigation(NavigationGroup.allCases.map { group in
            (group.title, group.sections.map { (root + $0.path, $0.title, $0 == current) })
        })])
    }

    /// The navigation bar: each group a link (a group of one) or a menu of its areas' links, the current one marked.
    /// On a phone the whole bar folds into one "Menu" (the outer `<details>`; the stylesheet keeps it open on wider screens).
    static func navigation(_ groups: [(title: String, links: [(href: String, title: String, current: Bool)])]) -> Node {
        func link(_ link: (href: String, title: String, current: Bool)) -> Node {
            var attributes = [Attribute("href", link.href)]
            if link.current { attributes.append(Attribute("aria-current", "page")) }
            return .element("a", attributes, [.text(link.title)])
        }
        let items = groups.map { group -> Node in
            guard group.links.count > 1 else {
                return H.el("li", [], children: group.links.map(link))
            }
            let current = group.links.contains { $0.current }
            return H.el("li", [Attribute("class", "group")],
                H.el("details", [],
                     H.el("summary", current ? [Attribute("class", "current")] : [], .text(group.title)),
                     H.el("ul", [], children: group.links.map { H.el("li", [], link($0)) })))
        }
        return H.el("nav", [Attribute("class", "sections"), Attribute("aria-label", "Sections")],
            H.el("details", [Attribute("class", "menu")],
                 H.el("summary", [], .text("Menu")),
                 H.el("ul", [Attribute("class", "groups")], children: items)))
    }

    /// The whole document; `frame` is `frame(root:section:)` for the page, possibly reused.
    func render(_ page: Page, frame: Node? = nil) -> String {
        Chrome.document(root: page.root, title: page.title + " — " + (companyName.isEmpty ? "Outpost" : companyName),
                        frame: frame ?? self.frame(root: page.root, section: page.section), body: page.body,
                        footer: "Read-only dashboard rendered by Outpost from the local replica. Changes are made with the outpost command line.")
    }

    /// The document around a page's body, shared by the dashboards and the customers' portals: `root`
    /// leads to where `assets/` is, `meta` are extra head elements (a portal's `robots`).
    static func document(root: String, title: String, meta: [Node] = [], frame: Node, body: [Node], footer: String) -> String {
        let head = H.el("head", [], children: [
            H.el("meta", [Attribute("charset", "utf-8")]),
            H.el("meta", [Attribute("name", "viewport"), Attribute("content", "width=device-width, initial-scale=1")]),
            H.el("meta", [Attribute("name", "color-scheme"), Attribute("content", "light dark")]),
        ] + meta + [
            H.el("title", [], .text(title)),
            H.el("link", [Attribute("rel", "stylesheet"), Attribute("href", root + "assets/outpost.css")]),
            H.el("link", [Attribute("rel", "icon"), Attribute("type", "image/svg+xml"), Attribute("href", root + "assets/" + Theme.favicon)]),
            H.el("script", [Attribute("src", root + "assets/outpost.js"), Attribute("defer", "defer")]),
        ])
        let main = H.el("main", [Attribute("id", "main")], children: body)
        let footer = H.el("footer", [Attribute("class", "colophon")], H.p(footer))
        let html = H.el("html", [Attribute("xmlns", "http://www.w3.org/1999/xhtml"), Attribute("lang", "en"), Attribute("data-root", root)],
            head,
            H.el("body", [],
                 H.el("a", [Attribute("class", "skip"), Attribute("href", "#main")], .text("Skip to content")),
                 frame, main, footer))
        var out = "<!DOCTYPE html>\n"
        html.render(into: &out)
        out += "\n"
        return out
    }
}
