import Foundation

/// Where the published site puts what end-to-end tests read: the layout `SitePath` makes in OutpostSite
/// (`SitePathTests` checks the two agree), for tests that only see the tree the binary wrote.
public enum PublishedSite {
    /// A customer's page: in a shard directory named by the id's last two characters.
    public static func customerPage(_ id: String) -> String { "customers/\(id.suffix(2))/\(id).html" }
    /// An invoice's page, sharded like a customer's.
    public static func invoicePage(_ id: String) -> String { "invoices/\(id.suffix(2))/\(id).html" }

    /// Every CSV file of a long list (`invoices`, `payments`, …; one file per day under `LIST/csv/`), in path order, joined.
    public static func csvText(_ list: String, in site: URL) throws -> String {
        let directory = site.appendingPathComponent(list + "/csv")
        guard let walker = FileManager.default.enumerator(atPath: directory.path) else { return "" }
        var paths: [String] = []
        while let path = walker.nextObject() as? String {
            if path.hasSuffix(".csv") { paths.append(path) }
        }
        return try paths.sorted().map { try String(contentsOf: directory.appendingPathComponent($0), encoding: .utf8) }.joined()
    }
}
