import Foundation
import FoundationXML
import OutpostModel
import OutpostStore
@testable import OutpostSite

/// A replica-shaped database filled by the fixture generator, in `directory`.
func fixtureDatabase(in directory: URL, customers: Int, seed: UInt64 = 1) throws -> Database {
    let db = try Database(path: directory.appendingPathComponent("replica.sqlite").path)
    try FixtureGenerator(seed: seed, customers: customers, asOf: FixtureGenerator.defaultAsOf).write(into: db)
    return db
}

/// The fixture's "now", so builds are reproducible.
let fixtureClock = FixedClock(FixtureGenerator(seed: 1, customers: 0, asOf: FixtureGenerator.defaultAsOf).now)

@discardableResult
func buildSite(_ db: Database, into output: URL, full: Bool = false) throws -> SiteBuildReport {
    try SiteBuilder(db: db, output: output, clock: fixtureClock).build(full: full)
}

/// Every file of a site (the manifest included), by path from the site root.
func siteFiles(_ root: URL) throws -> [String: Data] {
    var result: [String: Data] = [:]
    let base = root.standardizedFileURL.path + "/"
    guard let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else { return [:] }
    for case let url as URL in enumerator where (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true {
        let path = url.standardizedFileURL.path
        result[String(path.dropFirst(base.count))] = try Data(contentsOf: url)
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
