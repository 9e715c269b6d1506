import Foundation
import FoundationXML
import Testing
import OutpostModel
import OutpostStore
@testable import OutpostSite

/// The small things a reseller notices on the dashboards: honest sync wording, chart headings,
/// CSV links, percentages, e-mail links and the page icon.
@Suite("Dashboard details")
struct DashboardDetailsTests {
    @Test func aReplicaThatNeverSyncedDoesNotClaimItsChangesReachedTheNode() throws {
        try withTemporaryDirectory { directory in
            let db = try fixtureDatabase(in: directory, customers: 3)
            let site = directory.appendingPathComponent("site")
            try buildSite(db, into: site)
            let text = try #require(try ParsedPage(site: site, path: "sync.html").document.rootElement()?.stringValue)
            #expect(!text.contains("reached the node"), "a replica that never synced has sent nothing")
            #expect(text.contains("never synced with a node"))
        }
    }

    private func isInside(_ element: XMLElement, _ ancestor: XMLElement) -> Bool {
        var node: XMLNode? = element.parent
        while let current = node {
            if current === ancestor { return true }
            node = current.parent
        }
        return false
    }
}
