import Foundation
import FoundationXML
import Testing
import OutpostModel
import OutpostStore
@testable import OutpostSite

/// A replica-shaped database filled by the fixture generator, in `directory`.
func fixtureDatabase(in directory: URL, customers: Int, seed: UInt64 = 1) throws -> Database {
    // A replica connection, as outpost opens one: its writes go into the change journal incremental builds read.
    let db = try Replica.create(directory, clock: fixtureClock).db
    try FixtureGenerator(seed: seed, customers: customers, asOf: FixtureGenerator.defaultAsOf).write(into: db)
    return db
}

/// The fixture's "now", so builds are reproducible.
let fixtureClock = FixedClock(FixtureGenerator(seed: 1, customers: 0, asOf: FixtureGenerator.defaultAsOf).now)

@discardableResult
func buildSite(_ db: Database, into output: URL, full: Bool = false) throws -> SiteBuildReport {
    var builder = SiteBuilder(db: db, output: output, clock: fixtureClock)
    builder.listsWrittenFiles = true
    return try builder.build(full: full)
}

/// Every file of a site (the manifest included), by path from the site root.
func siteFiles(_ root: URL) throws -> [String: Data] {
    var result: [String: Data] = [:]
    let base = root.standardizedFileURL.path + "/"
    guard let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else { return [:] }
    for case let url as URL in enumerator where (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true {
        let path = String(url.standardizedFileURL.path.dropFirst(base.count))
        // The builder's own memory of the last build is not part of the site.
        if path.hasPrefix(ListStore.fileName) || path == SiteState.fileName
            || path == SiteOutput.deltaName { continue }
        result[path] = try Data(contentsOf: url)
    }
    return result
}

/// One parsed page: its elements flattened, in document order.
struct ParsedPage {
    let path: String
    let document: XMLDocument
    var elements: [XMLElement] = []

    init(site: URL, path: String) throws {
        self.path = path
        document = try XMLDocument(contentsOf: site.appendingPathComponent(path), options: [])
        func walk(_ element: XMLElement) {
            elements.append(element)
            for child in element.children ?? [] { if let child = child as? XMLElement { walk(child) } }
        }
        if let root = document.rootElement() { walk(root) }
    }

    func elements(named name: String) -> [XMLElement] { elements.filter { $0.localName == name } }

    func attribute(_ element: XMLElement, _ name: String) -> String? { element.attr(name) }

    var ids: [String] { elements.compactMap { attribute($0, "id") } }
}

extension XMLElement {
    /// An attribute's value. (`attribute(forName:)` finds nothing on elements
    /// in the XHTML namespace in swift-corelibs-foundation, so look it up by hand.)
    func attr(_ name: String) -> String? {
        attributes?.first { $0.name == name || $0.localName == name }?.stringValue
    }
}

/// Checks every page of a built site: well-formed XML, unique ids, lang, title, landmarks,
/// table headers with scope, and every relative link and asset resolving to a file (and its fragment to an id).
func checkEveryPage(of site: URL, files: [String: Data], pages: [String]) throws {
    var idsByPage: [String: Set<String>] = [:]
    var parsed: [ParsedPage] = []
    for path in pages {
        let page = try ParsedPage(site: site, path: path)
        parsed.append(page)
        let ids = page.ids
        #expect(Set(ids).count == ids.count, "duplicate id on \(path)")
        idsByPage[path] = Set(ids)
    }
    for page in parsed {
        let root = try #require(page.document.rootElement())
        #expect(root.attr("lang") == "en", "no lang on \(page.path)")
        let title = page.elements(named: "title").first?.stringValue ?? ""
        #expect(!title.isEmpty, "no title on \(page.path)")
        #expect(page.elements(named: "main").count == 1, "one main landmark on \(page.path)")
        if page.path != "freshness.html" {
            #expect(page.elements(named: "h1").count == 1, "one h1 on \(page.path)")
            #expect(page.elements(named: "nav").contains { page.attribute($0, "aria-label") == "Sections" })
            #expect(page.elements(named: "header").count == 1 && page.elements(named: "footer").count == 1)
        }
        for table in page.elements(named: "table") {
            let headers = table.elements(forName: "thead").flatMap { $0.elements(forName: "tr") }.flatMap { $0.elements(forName: "th") }
            let rowHeaders = table.elements(forName: "tbody").flatMap { $0.elements(forName: "tr") }.flatMap { $0.elements(forName: "th") }
            #expect(!headers.isEmpty || !rowHeaders.isEmpty, "a table without headers on \(page.path)")
            for th in headers { #expect(th.attr("scope") == "col") }
            for th in rowHeaders { #expect(th.attr("scope") == "row") }
        }
        // Every relative link and asset resolves to a file of the site (and its fragment to an id there).
        for element in page.elements {
            for name in ["href", "src"] {
                guard let value = page.attribute(element, name) else { continue }
                // An e-mail address links out by mailto:, with an address in it.
                if value.hasPrefix("mailto:") {
                    #expect(value.dropFirst("mailto:".count).contains("@"), "an empty or odd mailto: link on \(page.path): \(value)")
                    continue
                }
                #expect(!value.contains("://") && !value.hasPrefix("/") && !value.hasPrefix("//"), "not relative: \(value) on \(page.path)")
                var target = value
                var fragment: String?
                if let hash = value.firstIndex(of: "#") {
                    fragment = String(value[value.index(after: hash)...])
                    target = String(value[..<hash])
                }
                let resolved: String
                if target.isEmpty {
                    resolved = page.path
                } else {
                    let base = URL(fileURLWithPath: "/site/" + page.path).deletingLastPathComponent()
                    let full = base.appendingPathComponent(target).standardizedFileURL.path
                    #expect(full.hasPrefix("/site/"), "\(value) leaves the site from \(page.path)")
                    resolved = String(full.dropFirst("/site/".count))
                }
                #expect(files[resolved] != nil, "\(value) on \(page.path) does not resolve (\(resolved))")
                if let fragment, !fragment.isEmpty, resolved.hasSuffix(".html") {
                    #expect(idsByPage[resolved]?.contains(fragment) == true, "#\(fragment) is not on \(resolved) (linked from \(page.path))")
                }
            }
        }
    }
}
