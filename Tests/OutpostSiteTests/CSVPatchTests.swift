import Foundation
import Testing
@testable import OutpostSite

@Suite("CSV patches equal CSVs written afresh")
struct CSVPatchTests {
    static let header = ["id", "name", "note", "amount"]

    static func document(_ rows: [String: [String]]) -> [UInt8] {
        var bytes: [UInt8] = []
        CSVRecord.append(header, to: &bytes)
        for key in rows.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) { CSVRecord.append(rows[key]!, to: &bytes) }
        return bytes
    }

    static let hostile = ["say \"hi\"", "a,b", "two\r\nlines", "lone\nLF", "lone\rCR", "  padded  ", "", "\"", "\"\"", ",", "\r\n",
                          "=1+1", "Café ☕ שלום", String(repeating: "Ten kB, \"quoted\"\r\n", count: 560), "plain"]

    static func randomRecord(_ key: String, _ generator: inout SeededGenerator) -> [String] {
        [key] + (1..<header.count).map { _ in hostile.randomElement(using: &generator)! }
    }

    /// Writes `old`, patches it with `changes`, and checks the result against `old` with the changes made, written afresh.
    @discardableResult
    static func check(_ old: [String: [String]], _ changes: [String: [String]?], chunkSizes: [Int] = [1, 7, 64, 4096, CSVPatch.chunkSize])
        throws -> (rowsReplaced: Int, rowsInserted: Int, rowsRemoved: Int, rowsIdentical: Int) {
        var new = old
        for (key, record) in changes { new[key] = record }
        let expected = document(new)
        var counts = (rowsReplaced: 0, rowsInserted: 0, rowsRemoved: 0, rowsIdentical: 0)
        try withTemporaryDirectory { directory in
            let from = directory.appendingPathComponent("old.csv"), to = directory.appendingPathComponent("new.csv")
            try Data(document(old)).write(to: from)
            for chunkSize in chunkSizes {
                counts = try CSVPatch.apply(from: from, to: to, changes: changes, chunkSize: chunkSize)
                let result = Array(try Data(contentsOf: to))
                let same = result == expected
                #expect(same, "chunk size \(chunkSize): \(String(decoding: result.prefix(3000), as: UTF8.self))\n--- expected ---\n\(String(decoding: expected.prefix(3000), as: UTF8.self))")
            }
        }
        #expect(counts.rowsReplaced == changes.filter { $0.value != nil && old[$0.key] != nil }.count)
        #expect(counts.rowsInserted == changes.filter { $0.value != nil && old[$0.key] == nil }.count)
        #expect(counts.rowsRemoved == changes.filter { $0.value == nil && old[$0.key] != nil }.count)
        return counts
    }

    /// Up to 24 changes to keys `cus_0` … below `cus_<keysBelow>` (existing or not): removals or new records.
    static func randomChanges(keysBelow: Int, _ generator: inout SeededGenerator) -> [String: [String]?] {
        var changes: [String: [String]?] = [:]
        for _ in 0..<Int.random(in: 0..<25, using: &generator) {
            let key = "cus_" + String(Int.random(in: 0..<keysBelow, using: &generator))
            changes[key] = Bool.random(using: &generator) ? .some(nil) : randomRecord(key, &generator)
        }
        return changes
    }

    static func table(_ count: Int, _ generator: inout SeededGenerator) -> [String: [String]] {
        var rows: [String: [String]] = [:]
        for index in 0..<count {
            // Some keys are prefixes of others (cus_1, cus_10).
            let key = "cus_" + String(index * 3)
            rows[key] = randomRecord(key, &generator)
        }
        return rows
    }

    @Test func replaceInsertAndRemoveAnywhere() throws {
        var generator = SeededGenerator(seed: 1)
        let old = Self.table(30, &generator)
        try Self.check(old, ["cus_3": Self.randomRecord("cus_3", &generator)])
        try Self.check(old, ["aaa": Self.randomRecord("aaa", &generator), "": Self.randomRecord("", &generator)], chunkSizes: [1, 5, 4096])
        try Self.check(old, ["zzz": Self.randomRecord("zzz", &generator), "cus_99": Self.randomRecord("cus_99", &generator)])
        try Self.check(old, ["cus_1": Self.randomRecord("cus_1", &generator), "cus_30": nil, "cus_31": Self.randomRecord("cus_31", &generator)])
        try Self.check(old, Dictionary(uniqueKeysWithValues: old.keys.map { ($0, nil) }))
        try Self.check(old, [:])
        try Self.check(old, ["cus_2": nil, "cus_0": old["cus_0"]!])
        // Into an empty table, and a table of one row.
        try Self.check([:], ["cus_1": Self.randomRecord("cus_1", &generator), "cus_0": Self.randomRecord("cus_0", &generator)])
        try Self.check(["cus_5": Self.randomRecord("cus_5", &generator)], ["cus_5": nil])
    }

    @Test(arguments: 1...20 as ClosedRange<UInt64>)
    func randomChanges(seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed)
        let old = Self.table(Int.random(in: 0..<60, using: &generator), &generator)
        let changes = Self.randomChanges(keysBelow: 200, &generator)
        try Self.check(old, changes, chunkSizes: [1, Int.random(in: 2..<300, using: &generator), CSVPatch.chunkSize])
    }

    static func patching(_ text: String, _ changes: [String: [String]?] = ["cus_1": ["cus_1", "x"]]) throws -> (error: CSVPatchError?, newExists: Bool) {
        try withTemporaryDirectory { directory in
            let from = directory.appendingPathComponent("old.csv"), to = directory.appendingPathComponent("new.csv")
            try Data(text.utf8).write(to: from)
            do {
                _ = try CSVPatch.apply(from: from, to: to, changes: changes, chunkSize: 3)
                return (nil, FileManager.default.fileExists(atPath: to.path))
            } catch let error as CSVPatchError {
                return (error, FileManager.default.fileExists(atPath: to.path))
            }
        }
    }

    @Test func aMalformedFileIsRefusedAndLeavesNoNewFile() throws {
        let unterminated = try Self.patching("id,name\r\ncus_0,\"open\r\ncus_2,b\r\n")
        #expect(unterminated.error.map { if case .unterminatedQuote(_, 2) = $0 { true } else { false } } == true, "\(String(describing: unterminated.error))")
        #expect(!unterminated.newExists)
        let openAtTheEnd = try Self.patching("id,name\r\ncus_0,a\r\ncus_2,\"open")
        #expect(openAtTheEnd.error.map { if case .unterminatedQuote(_, 3) = $0 { true } else { false } } == true, "\(String(describing: openAtTheEnd.error))")
        #expect(!openAtTheEnd.newExists)
        let unsorted = try Self.patching("id,name\r\ncus_2,b\r\ncus_0,a\r\n")
        #expect(unsorted.error.map { if case .notSorted(_, 3, "cus_0") = $0 { true } else { false } } == true)
        #expect(!unsorted.newExists)
        let cut = try Self.patching("id,name\r\ncus_0,\"a\"")
        #expect(cut.error.map { if case .unterminatedRow(_, 2) = $0 { true } else { false } } == true)
        #expect(!cut.newExists)
        let quotedKey = try Self.patching("id,name\r\n\"cus_0\",a\r\n")
        #expect(quotedKey.error.map { if case .quotedKey(_, 2) = $0 { true } else { false } } == true)
        let empty = try Self.patching("")
        #expect(empty.error.map { if case .missingHeader = $0 { true } else { false } } == true)
        #expect(try Self.patching("id\r\n", ["a,b": ["a,b"]]).error == .keyNeedsQuoting("a,b"))
        #expect(try Self.patching("id\r\n", ["a": ["b"]]).error == .recordKeyMismatch("a"))
        // A well-formed file passes.
        #expect(try Self.patching("id,name\r\ncus_0,\"a\"\"\r\n,b\"\r\n") == (nil, true))
    }

    @Test func aFileIsNotPatchedIntoItself() throws {
        try withTemporaryDirectory { directory in
            let file = directory.appendingPathComponent("old.csv")
            try Data("id\r\ncus_0\r\n".utf8).write(to: file)
            #expect(throws: CSVPatchError.sameFile(file.path)) { try CSVPatch.apply(from: file, to: file, changes: [:]) }
            #expect(try Data(contentsOf: file) == Data("id\r\ncus_0\r\n".utf8), "left as it was")
        }
    }

    /// Patches `old` by stretches with an index of every `spacing`th row; checks the bytes against the
    /// file written afresh and the returned index against a scan of the result.
    static func checkStretches(_ old: [String: [String]], _ changes: [String: [String]?], spacing: Int) throws {
        var new = old
        for (key, record) in changes { new[key] = record }
        try withTemporaryDirectory { directory in
            let from = directory.appendingPathComponent("old.csv"), to = directory.appendingPathComponent("new.csv")
            try Data(document(old)).write(to: from)
            let index = try #require(scan(from, spacing: spacing))
            let patched = try #require(try CSVPatch.stretches(from: from, to: to, changes: try CSVPatch.sorted(changes), index: index),
                                       "the index describes the file")
            #expect(Array(try Data(contentsOf: to)) == document(new))
            let bytes = Array(try Data(contentsOf: to))
            let result = try #require(patched.index)
            for anchor in result.anchors {
                // Each anchor is a row's start: after a line end, its key then a comma.
                let start = Int(anchor.offset)
                #expect(bytes[start - 1] == 10 && Array(bytes[start..<start + anchor.key.count + 1]) == anchor.key + [UInt8(ascii: ",")])
            }
            #expect(result.anchors.map(\.key) == result.anchors.map(\.key).sorted { $0.lexicographicallyPrecedes($1) })
            let fd = open(to.path, O_RDONLY)
            defer { close(fd) }
            #expect(result.describes(fd))
        }
    }

    static func scan(_ file: URL, spacing: Int) -> CSVRowIndex? {
        let fd = open(file.path, O_RDONLY)
        defer { close(fd) }
        return CSVRowIndex.scan(fd, spacing: spacing)
    }

    @Test(arguments: 1...20 as ClosedRange<UInt64>)
    func stretchesGiveTheWholeFilesBytes(seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed)
        let old = Self.table(Int.random(in: 1..<80, using: &generator), &generator)
        let changes = Self.randomChanges(keysBelow: 260, &generator)
        for spacing in [1, 3, 16, 256] { try Self.checkStretches(old, changes, spacing: spacing) }
    }

    @Test func everyRowRemovedAndInsertedAtBothEnds() throws {
        var generator = SeededGenerator(seed: 7)
        let old = Self.table(40, &generator)
        try Self.checkStretches(old, old.mapValues { _ in nil }, spacing: 4)
        try Self.checkStretches(old, ["cus_": ["cus_", "first"], "cus_99": ["cus_99", "last"], "cus_0": nil], spacing: 4)
    }

    /// An index that is not its file's (the file was written again, or the offsets are wrong) is not
    /// used: the whole file is patched, correctly, and indexed afresh.
    @Test func anIndexThatDoesNotFitItsFileIsNotUsed() throws {
        var generator = SeededGenerator(seed: 3)
        let old = Self.table(50, &generator)
        let changes: [String: [String]?] = ["cus_30": ["cus_30", "changed"], "cus_31": ["cus_31", "new"]]
        var new = old
        for (key, record) in changes { new[key] = record }
        try withTemporaryDirectory { directory in
            let from = directory.appendingPathComponent("old.csv"), to = directory.appendingPathComponent("new.csv")
            try Data(Self.document(old)).write(to: from)
            let index = try #require(Self.scan(from, spacing: 5))
            // The offsets moved by a few bytes, the file being what it was.
            var shifted = index
            shifted.anchors = index.anchors.map { .init(key: $0.key, offset: $0.offset + 3) }
            #expect(try CSVPatch.stretches(from: from, to: to, changes: try CSVPatch.sorted(changes), index: shifted) == nil)
            #expect(!FileManager.default.fileExists(atPath: to.path), "no half-patched file is left")
            // The file written again (another inode and time): the index no longer describes it.
            try FileManager.default.removeItem(at: from)
            try Data(Self.document(old)).write(to: from)
            #expect(try CSVPatch.stretches(from: from, to: to, changes: try CSVPatch.sorted(changes), index: index) == nil)
            for stale in [shifted, index] {
                let patched = try CSVPatch.apply(from: from, to: to, changes: changes, index: stale)
                #expect(Array(try Data(contentsOf: to)) == Self.document(new))
                let fd = open(to.path, O_RDONLY)
                defer { close(fd) }
                #expect(patched.index?.describes(fd) == true, "the result is indexed")
            }
        }
    }

    /// A first row whose key cannot anchor a stretch (a tab in it): the index starts further on, and
    /// the rows before its first anchor are covered by no stretch, so it is not used.
    @Test func rowsBeforeTheFirstAnchorAreNeverSkipped() throws {
        var generator = SeededGenerator(seed: 5)
        var old = Self.table(20, &generator)
        old["cus_\t"] = Self.randomRecord("cus_\t", &generator)
        let changes: [String: [String]?] = ["cus_0": ["cus_0", "changed"], "cus_10": nil]
        var new = old
        for (key, record) in changes { new[key] = record }
        try withTemporaryDirectory { directory in
            let from = directory.appendingPathComponent("old.csv"), to = directory.appendingPathComponent("new.csv")
            try Data(Self.document(old)).write(to: from)
            let index = try #require(Self.scan(from, spacing: 4))
            #expect(index.anchors.first?.key != Array("cus_\t".utf8), "the tab cannot anchor")
            #expect(try CSVPatch.stretches(from: from, to: to, changes: try CSVPatch.sorted(changes), index: index) == nil)
            _ = try CSVPatch.apply(from: from, to: to, changes: changes, index: index)
            #expect(Array(try Data(contentsOf: to)) == Self.document(new))
        }
    }
}
