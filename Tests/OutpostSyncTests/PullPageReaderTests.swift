import Foundation
import Testing
import OutpostModel
import OutpostStore
@testable import OutpostSync

/// The streaming page reader agrees with the codec and refuses what the codec refuses.
@Suite("Pull page reader")
struct PullPageReaderTests {
    static let columns = ["id", "name", "version"]

    static var reader: PullPageReader {
        PullPageReader { _ in (columns, ["id": 0, "name": 1, "version": 2]) }
    }

    @Test func readsRowsInColumnOrderAndTheRestLikeTheCodec() throws {
        let text = #"{"changes":[{"id":"cus_1","op":"upsert","row":{"version":7,"name":"A \"quoted\" <b>","id":"cus_1"},"t":"customer","v":7},{"id":"cus_2","op":"delete","t":"customer","v":8}],"cursor":8,"digests":{"customer":{"digest":-5,"rows":1}},"more":false,"protocol":1}"#
        let page = try Self.reader.read(Array(text.utf8))
        #expect(page.cursor == 8)
        #expect(!page.more)
        #expect(page.digests?["customer"] == TableDigest(rows: 1, digest: -5))
        #expect(page.changes.count == 2)
        #expect(page.changes[0].values == [.text("cus_1"), .text("A \"quoted\" <b>"), .integer(7)])
        #expect(page.changes[1].operation == .delete)
        #expect(page.changes[1].values == nil)
        let codec = try PullResponse(json: try JSONValue(parsing: text))
        #expect(codec.changes.map(\.id) == page.changes.map(\.id))
    }

    @Test(arguments: [
        #"{"changes":[{"id":"cus_1","op":"upsert","row":{"id":"cus_1","name":"A","version":1,"extra":1},"t":"customer","v":1}],"cursor":1,"more":true,"protocol":1}"#,
        #"{"changes":[{"id":"cus_1","op":"upsert","row":{"id":"cus_1","nom":"A","version":1},"t":"customer","v":1}],"cursor":1,"more":true,"protocol":1}"#,
        #"{"changes":[{"id":"cus_1","op":"upsert","row":{"id":"cus_2","name":"A","version":1},"t":"customer","v":1}],"cursor":1,"more":true,"protocol":1}"#,
        #"{"changes":[{"id":"cus_1","op":"upsert","row":{"id":"cus_1","name":{"x":1},"version":1},"t":"customer","v":1}],"cursor":1,"more":true,"protocol":1}"#,
        #"{"changes":[{"id":"cus_1","op":"upsert","t":"customer","v":1}],"cursor":1,"more":true,"protocol":1}"#,
        #"{"changes":[{"id":"x","op":"delete","t":"sqlite_master","v":1}],"cursor":1,"more":true,"protocol":1}"#,
        #"{"changes":[],"cursor":1,"more":true,"protocol":2}"#,
        #"{"cursor":1,"more":true,"protocol":1}"#,
        #"{"changes":[],"cursor":1,"more":true,"protocol":1} trailing"#,
        #"{"changes":[{"id":"cus_1","op":"upsert","row":{"id":"cus_1","name":"A","version":1},"t":"customer","v":1}"#,
    ])
    func refusesWhatTheCodecRefuses(text: String) {
        #expect(throws: SyncError.self) { try Self.reader.read(Array(text.utf8)) }
    }
}
