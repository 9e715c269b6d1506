import Foundation
import Testing
@testable import OutpostSite

/// A seeded generator (SplitMix64), so a failing random case can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

@Suite("Search index patches equal full builds")
struct SearchIndexPatchTests {
    /// The bucket files (`search/…`) a full build writes for `entries`, by file name.
    static func fullBuild(_ entries: [SearchEntry], spillThreshold: Int = SearchIndexWriter.spillThreshold) throws -> [String: [UInt8]] {
        try withTemporaryDirectory { directory in
            let output = try SiteOutput(cache: SiteCache(SiteCache.Location(replica: directory.appendingPathComponent("replica"), output: directory)), full: true)
            defer { output.close() }
            let writer = SearchIndexWriter(output: output, spillThreshold: spillThreshold)
            for entry in entries { try writer.add(entry) }
            try writer.finish()
            _ = try output.finish()
            var files: [String: [UInt8]] = [:]
            let search = directory.appendingPathComponent("search")
            for name in (try? FileManager.default.contentsOfDirectory(atPath: search.path)) ?? [] {
                files[name] = Array(try Data(contentsOf: search.appendingPathComponent(name)))
            }
            #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent(".outpost-staging").path))
            return files
        }
    }

    /// Patches a full build of `old` into `new` (both by id) and checks every bucket file equals a full build of `new`.
    /// Returns what the patch changed.
    @discardableResult
    static func checkPatch(from old: [String: SearchEntry], to new: [String: SearchEntry], extra: [SearchChange] = [],
                           using generator: inout SeededGenerator) throws -> [String: [UInt8]?] {
        var files = try fullBuild(old.keys.sorted().map { old[$0]! })
        let expected = try fullBuild(new.keys.sorted().map { new[$0]! })
        var changes = extra
        for id in Set(old.keys).union(new.keys) where old[id] != new[id] {
            changes.append(SearchChange(id: id, path: (old[id] ?? new[id])!.path, entry: new[id]))
        }
        changes.shuffle(using: &generator)
        var reads: [String: Int] = [:]
        let result = try SearchIndexPatch.apply(changes) { name in
            reads[name, default: 0] += 1
            return files[name]
        }
        #expect(reads.values.allSatisfy { $0 == 1 }, "each bucket is read once")
        for (name, bytes) in result {
            #expect(files[name] != bytes, "\(name) is returned but unchanged")
            files[name] = bytes
        }
        #expect(Set(files.keys) == Set(expected.keys), "bucket files: \(Set(files.keys).symmetricDifference(expected.keys).sorted())")
        for (name, bytes) in expected where files[name] != bytes {
            Issue.record("\(name) differs from a full build:\n\(String(decoding: files[name] ?? [], as: UTF8.self).prefix(2000))\n--- expected ---\n\(String(decoding: bytes, as: UTF8.self).prefix(2000))")
        }
        return result
    }

    static func customer(_ id: String, _ name: String, city: String = "Berlin", email: String = "") -> SearchEntry {
        SearchEntry(kind: "customer", label: name, detail: city, path: SitePath.customer(id), keys: [name, id, email])
    }

    static func order(_ id: String, _ number: String, customer: String, customerName: String) -> SearchEntry {
        SearchEntry(kind: "order", label: number, detail: "new · " + customerName, path: SitePath.onCustomer(customer, id), keys: [number, id, customer])
    }

    /// The file name of `bucket` in an index of `files` files.
    static func file(_ bucket: String, _ files: Int) -> String { SearchKey.fileName(SearchKey.fileNumber(bucket, files: files)) }

    /// `count` customers named "Filler N", so an index has several files.
    static func fillers(_ count: Int) -> [String: SearchEntry] {
        var entries: [String: SearchEntry] = [:]
        for index in 0..<count {
            let id = "cus_01hgf" + String(format: "%07d", index) + "zz"
            entries[id] = customer(id, "Filler \(index)", city: "Town\(index)")
        }
        return entries
    }

    @Test func filesAreSortedByPathAndHoldEachEntryOnce() throws {
        let entries = (0..<50).map { Self.customer("cus_01hg" + String(format: "%08d", 50 - $0) + "ab", "Acme \($0)") }
        let files = try Self.fullBuild(entries)
        // 50 entries: four files (at most one per ten entries), and the counts file.
        #expect(files[SearchKey.countsFileName].map { String(decoding: $0, as: UTF8.self) } == "OutpostSearch.files(4,50);\n")
        #expect(files.keys.filter { $0 != SearchKey.countsFileName }.count <= 4)
        let name = Self.file("acm", 4)
        let bytes = try #require(files[name])
        let number = SearchKey.fileNumber("acm", files: 4)
        let paths = try SearchBucketFile.lines(of: bytes, number: number).map { String(decoding: try SearchLine.field(3, of: bytes[$0]), as: UTF8.self) }
        #expect(paths.count == 50, "every Acme once, though \(name) may hold several of an entry's buckets")
        #expect(paths == paths.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        // Same data in another order: the same bytes; and the same again when every entry is spilled to staging files.
        #expect(try Self.fullBuild(entries.reversed()) == files)
        #expect(try Self.fullBuild(entries, spillThreshold: 1) == files)
        #expect(try Self.fullBuild(entries.reversed(), spillThreshold: 700) == files)
    }

    @Test func customersAndPlansAreFoundMidWord() throws {
        let line = try #require(Self.customer("cus_01hgaaaaaaaaaaaa", "Nova Jade").line)
        #expect(line.buckets.contains("ade"), "\(line.buckets)")
        let plan = try #require(SearchEntry(kind: "plan", label: "Microsoft 365 Business", detail: "", path: "plans.html#p", keys: ["Microsoft 365 Business", "pln_01hgaaaaaaaa"]).line)
        #expect(plan.buckets.contains("sof") && plan.buckets.contains("ine"))
        // Others only by the start of their words.
        let order = try #require(Self.order("ord_01hgaaaaaaaa", "ORD-000123", customer: "cus_01hgaaaaaaaaaaaa", customerName: "Nova Jade").line)
        #expect(!order.buckets.contains("ade") && !order.buckets.contains("23"))
        // Stop words make no pieces: "gmbh" would put every GmbH under "mbh".
        #expect(!(Self.customer("cus_01hgaaaaaaaaaaaa", "Kraft GmbH").line?.buckets.contains("mbh") ?? true))
    }

    @Test func aRenameRewritesOnlyTheFilesOfItsBuckets() throws {
        var generator = SeededGenerator(seed: 1)
        let id = "cus_01hgaaaaaaaaaaaa"
        var old = Self.fillers(200)
        old[id] = Self.customer(id, "Alpha Widgets")
        old["cus_01hgbbbbbbbbbbbb"] = Self.customer("cus_01hgbbbbbbbbbbbb", "Alpine Tools")
        var new = old
        new[id] = Self.customer(id, "Zephyr Widgets")
        let result = try Self.checkPatch(from: old, to: new, using: &generator)
        let files = SearchKey.fileCount(entries: old.count)
        #expect(files == 16)
        let touched = Set((old[id]!.line!.files(files) + new[id]!.line!.files(files)).map(SearchKey.fileName))
        #expect(Set(result.keys) == touched, "the files of the old and new names' buckets, and nothing else")
        #expect(touched.count < files)
    }

    @Test func removingTheLastEntryDeletesItsFile() throws {
        var generator = SeededGenerator(seed: 2)
        let old = ["cus_01hgquokka01": Self.customer("cus_01hgquokka01", "Quokka Farm")]
        let result = try Self.checkPatch(from: old, to: [:], using: &generator)
        #expect(result[SearchKey.fileName(0)] == .some(nil))
        #expect(result[SearchKey.countsFileName] == .some(Array("OutpostSearch.files(1,0);\n".utf8)))
        // Removing what is not there changes nothing.
        let files = try Self.fullBuild(Array(old.values))
        #expect(try SearchIndexPatch.apply([SearchChange(id: "cus_01hgzzzzzz99", path: SitePath.customer("cus_01hgzzzzzz99"), entry: nil)]) { files[$0] }.isEmpty)
    }

    @Test func crossingAPowerOfTwoRedistributesEveryEntry() throws {
        var generator = SeededGenerator(seed: 3)
        let old = Self.fillers(39)
        var new = old
        new["cus_01hgxxxxxxxx99"] = Self.customer("cus_01hgxxxxxxxx99", "Xylophone Works", email: "info@xylo.example")
        #expect(SearchKey.fileCount(entries: 39) == 2 && SearchKey.fileCount(entries: 40) == 4)
        let result = try Self.checkPatch(from: old, to: new, using: &generator)
        #expect(result[SearchKey.countsFileName] == .some(Array("OutpostSearch.files(4,40);\n".utf8)))
        // And back.
        try Self.checkPatch(from: new, to: old, using: &generator)
    }

    @Test func anIdBucketSharedWithOtherEntries() throws {
        var generator = SeededGenerator(seed: 4)
        // Two customers whose ids end alike, and orders that name a customer's id among their words.
        let a = "cus_01hgaaaaaaaa77", b = "cus_01hgbbbbbbbb77"
        var old: [String: SearchEntry] = [a: Self.customer(a, "Acme"), b: Self.customer(b, "Beta")]
        for index in 0..<5 {
            let id = "ord_01hg0000000\(index)77"
            old[id] = Self.order(id, "ORD-00012\(index)", customer: index % 2 == 0 ? a : b, customerName: index % 2 == 0 ? "Acme" : "Beta")
        }
        var new = old
        new[a] = Self.customer(a, "Acme Renamed", city: "Köln")
        new["ord_01hg00000002" + "77"] = nil
        new["ord_01hg00000009" + "77"] = Self.order("ord_01hg0000000977", "ORD-000129", customer: b, customerName: "Beta")
        try Self.checkPatch(from: old, to: new, using: &generator)
    }

    static func emptyIndex(_ name: String) -> [UInt8]? { name == SearchKey.countsFileName ? SearchBucketFile.counts(files: 1, entries: 0) : nil }

    @Test func anEntryWhoseKeysLackItsIdIsRefused() throws {
        let entry = SearchEntry(kind: "customer", label: "Acme", detail: "", path: "customers/x.html", keys: ["Acme"])
        #expect(throws: SearchIndexPatchError.idNotInKeys(id: "cus_01hgaaaaaaaa01", path: "customers/x.html")) {
            try SearchIndexPatch.apply([SearchChange(id: "cus_01hgaaaaaaaa01", path: "customers/x.html", entry: entry)], read: Self.emptyIndex)
        }
    }

    @Test func aDamagedFileIsReportedNotPatched() throws {
        let id = "cus_01hgaaaaaaaa01"
        #expect(throws: SearchIndexPatchError.malformedBucket(SearchKey.fileName(0))) {
            try SearchIndexPatch.apply([SearchChange(id: id, path: SitePath.customer(id), entry: nil)]) { name in
                name == SearchKey.countsFileName ? SearchBucketFile.counts(files: 1, entries: 1) : Array("OutpostSearch.add(0,[\n[\"customer\"".utf8)
            }
        }
        #expect(throws: SearchIndexPatchError.malformedBucket(SearchKey.countsFileName)) {
            try SearchIndexPatch.apply([SearchChange(id: id, path: SitePath.customer(id), entry: nil)]) { _ in nil }
        }
    }

    static let words = ["acme", "alpha", "alpine", "beta", "berlin", "köln", "zürich", "ORD-000123", "000", "com", "the",
                        "</script>", "\"quoted\"", "a,b", "line\u{2028}sep", "שלום", "مرحبا", "\u{202E}gnp.exe", "👩‍💻", "☕", "𝔘𝔫𝔦",
                        "O'Brien", "&amp;", "tab\there", "new\nline", "back\\slash"]

    static func randomText(_ generator: inout SeededGenerator) -> String {
        if Int.random(in: 0..<40, using: &generator) == 0 {
            return String(repeating: "Ten kB name & <b>bold</b> \"quoted\" ", count: 300)
        }
        return (0..<Int.random(in: 0...4, using: &generator)).map { _ in words.randomElement(using: &generator)! }.joined(separator: " ")
    }

    static func randomEntry(_ id: String, _ generator: inout SeededGenerator) -> SearchEntry {
        let kinds = ["customer", "subscription", "order", "invoice", "domain"]
        // Some paths are hostile too, so the writer's and the patcher's order must agree beyond plain ASCII.
        let path = Bool.random(using: &generator) ? SitePath.customer(id) : "customers/" + id + ".html#" + ["x&y", "é", "<", "\"q\"", "a"].randomElement(using: &generator)!
        var keys = [randomText(&generator), id]
        if Bool.random(using: &generator) { keys.append("cus_01hg" + "0000000" + String(Int.random(in: 0..<3, using: &generator)) + "ab") }
        return SearchEntry(kind: kinds.randomElement(using: &generator)!, label: randomText(&generator), detail: randomText(&generator), path: path, keys: keys.shuffled(using: &generator))
    }

    @Test(arguments: 1...12 as ClosedRange<UInt64>)
    func randomChangesEqualAFullBuild(seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed)
        // Ids end in few different pairs, so id buckets are shared.
        let ids = (0..<60).map { index in "cus_01hg" + String(format: "%08d", index) + ["ab", "cd", "ef"].randomElement(using: &generator)! }
        var old: [String: SearchEntry] = [:]
        for id in ids.prefix(40) { old[id] = Self.randomEntry(id, &generator) }
        var new = old
        for id in ids {
            switch Int.random(in: 0..<6, using: &generator) {
            case 0: new[id] = nil
            case 1, 2: new[id] = Self.randomEntry(id, &generator)
            case 3: if var entry = new[id] { entry.label = Self.randomText(&generator); new[id] = entry }
            default: break
            }
        }
        if seed == 12 { new = [:] }
        // Changes that change nothing are allowed too.
        let noOps = old.keys.sorted().prefix(3).compactMap { id in new[id] == old[id] ? SearchChange(id: id, path: old[id]!.path, entry: old[id]) : nil }
        try Self.checkPatch(from: old, to: new, extra: noOps, using: &generator)
    }
}
