import OutpostModel

/// Where each entity's page and each CSV file lives, from the site root: every link is made here.
///
/// Ids become file names only when they are plain (`cus_01JD…`); anything
/// else (an id from a misbehaving node) is replaced by its fingerprint, so
/// data can never name a file outside its directory.
///
/// No directory grows with the data past a few thousand entries: a
/// customer's or invoice's page sits in a shard directory named by the last
/// two characters of its file name (`customers/7Q/cus_01JD…7Q.html`). Those
/// are random in an id (ULID: 80 random bits at the end), so 100,000
/// customers' 718,000 invoices spread over at most 32 × 32 = 1,024 shards of
/// about 700 pages, where one flat `invoices/` held them all.
enum SitePath {
    /// A customer's page; the reseller's own account has none: its purchases are on the Own purchases page.
    static func customer(_ id: String) -> String {
        id == Customer.ownAccountId ? Section.own.path : sharded("customers/", id)
    }
    static func invoice(_ id: String) -> String { sharded("invoices/", id) }
    static func user(_ id: String) -> String { "users/" + file(id) }
    /// An entity shown on its customer's page (subscription, order, domain…); the own account's are
    /// listed on the Own purchases page, which has no anchor per row.
    static func onCustomer(_ customerId: String, _ anchor: String) -> String {
        customerId == Customer.ownAccountId ? customer(customerId) : customer(customerId) + "#" + self.anchor(anchor)
    }

    /// `directory`, the shard of `id`'s file, and the file.
    private static func sharded(_ directory: String, _ id: String) -> String {
        let name = file(id)
        return directory + shard(name) + "/" + name + ".html"
    }

    /// The shard directory of a file name: its last two characters (one for a one-character name). Never
    /// `index`, `p-…` or `csv` (list pages and the CSV directory sit beside the shards), never a dot.
    static func shard(_ name: String) -> String { String(name.suffix(2)) }

    // MARK: CSVs

    /// The directory of a list's CSV files by period (`invoices/csv/`).
    static func csvDirectory(_ list: String) -> String { list + "/csv/" }
    /// The page listing every period's CSV file of a list, with its rows and size.
    static func csvIndex(_ list: String) -> String { csvDirectory(list) + "index.html" }
    /// One period's CSV file of a list: `invoices/csv/2026/2026-11-24.csv`; rows without a date are in `csv/undated.csv`.
    static func csvFile(_ list: String, period: String) -> String {
        period == CSVPeriod.undated ? csvDirectory(list) + period + ".csv"
            : csvDirectory(list) + String(period.prefix(4)) + "/" + period + ".csv"
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
