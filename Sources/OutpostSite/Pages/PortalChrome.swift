/// The pages of a customer's portal, in navigation order, each a file inside the portal's directory.
enum PortalTab: String, CaseIterable, Sendable {
    case home, subscriptions, orders, invoices, payments, creditNotes, domains, ssl, licenses

    var title: String {
        switch self {
        case .home: return "Overview"
        case .subscriptions: return "Subscriptions"
        case .orders: return "Orders"
        case .invoices: return "Invoices"
        case .payments: return "Payments"
        case .creditNotes: return "Credit notes"
        case .domains: return "Domains"
        case .ssl: return "SSL certificates"
        case .licenses: return "Licenses"
        }
    }

    /// From the portal's directory. Invoices keep the dashboards' layout (`invoices/<id>.html` from the
    /// root), so `SitePath.invoice` links work inside a portal as they do in the site.
    var path: String {
        switch self {
        case .home: return "index.html"
        case .invoices: return "invoices/index.html"
        case .creditNotes: return "credit-notes.html"
        default: return rawValue + ".html"
        }
    }
}

/// The chrome around a portal page: the reseller's name, the customer's, and the portal's own
/// navigation. Nothing links out of the portal's directory (it can be published alone): no search,
/// no freshness frame, no way to the reseller's dashboards; and search engines are asked to stay out.
struct PortalChrome: Sendable {
    let companyName: String
    let customerName: String
    /// The portal's directory from the site root (`portals/<key>/`).
    let directory: String
    let current: PortalTab

    /// What goes into the fingerprint of every portal page besides its blocks.
    func fingerprint(into hash: inout ContentHash) {
        hash.add("portal")
        hash.add(customerName)
        hash.add(current.rawValue)
    }

    /// `root` leads from the page to the portal's directory.
    func frame(root: String) -> Node {
        let brand = companyName.isEmpty ? "Your provider" : companyName
        let banner = H.el("header", [Attribute("class", "banner")],
            H.el("a", [Attribute("class", "brand"), Attribute("href", root + "index.html")],
                 H.span(brand, [Attribute("class", "company")]), H.span("Account of " + customerName, [Attribute("class", "product")])))
        return .fragment([banner, Chrome.navigation(PortalTab.allCases.map { ($0.title, [(root + $0.path, $0.title, $0 == current)]) })])
    }

    /// The whole document of a page `path` (from the portal's directory).
    func render(path: String, title: String, body: [Node]) -> String {
        let root = Page.root(of: path)
        let brand = companyName.isEmpty ? "Your account" : companyName
        return Chrome.document(root: root, title: title + " — " + brand, meta: [H.el("meta", [Attribute("name", "robots"), Attribute("content", "noindex")])],
                               frame: frame(root: root), body: body,
                               footer: "Your account with \(brand), read only. Questions about an invoice or a service? Contact \(brand).")
    }
}
