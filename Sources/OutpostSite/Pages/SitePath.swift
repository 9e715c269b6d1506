import OutpostModel

/// Where each entity's page lives, from the site root.
///
/// Ids become file names only when they are plain (`cus_01JD…`); anything
/// else (an id from a misbehaving node) is replaced by its fingerprint, so
/// data can never name a file outside its directory.
enum SitePath {
    /// A customer's page; the reseller's own account has none: its purchases are on the Own purchases page.
    static func customer(_ id: String) -> String {
        id == Customer.ownAccountId ? Section.own.path : "customers/" + file(id) + ".html"
    }
    static func invoice(_ id: String) -> String { "invoices/" + file(id) + ".html" }
    static func user(_ id: String) -> String { "users/" + file(id) }
    /// An entity shown on its customer's page (subscription, order, domain…); the own account's are
    /// listed on the Own purchases page, which has no anchor per row.
    static func onCustomer(_ customerId: String, _ anchor: String) -> String {
        customerId == Customer.ownAccountId ? customer(customerId) : customer(customerId) + "#" + self.anchor(anchor)
    }

    /// A safe file name for an id.
    static func file(_ id: String) -> String {
        if isPlain(id) { return id }
        var hash = ContentHash()
        hash.add(id)
        return "x" + hash.description
    }

    /// An id usable as an HTML id and fragment.
    static func anchor(_ id: String) -> String { isPlain(id) ? id : file(id) }

    static func isPlain(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 64 && id.utf8.first != UInt8(ascii: "-") && id.utf8.allSatisfy { byte in
            (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || byte == 95 || byte == 45
        } && id != "index"
    }
}
