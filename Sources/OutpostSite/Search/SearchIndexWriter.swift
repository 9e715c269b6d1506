import Foundation

/// The site search index: customers, subscriptions, orders, invoices and
/// domains, shipped as script files the search box loads on demand.
///
/// Chromium refuses `fetch` of `file://` URLs, so the index is JavaScript
/// (`OutpostSearch.add(…)`) loaded with a `<script>` element. It is split
/// into buckets by the first three characters of each word of an entry, so a
/// query loads one small file: the bucket of its longest word. The bucket
/// rule is `SearchKey.bucket`, mirrored by `site/outpost.js`.
///
/// Every bucket's entries are sorted by path (`SearchEntry.precedes`), so
/// the index is byte-identical for identical data and `SearchIndexPatch`
/// can change a few entries of a bucket without rebuilding it. Buckets are
/// buffered in memory and spilled to staging files when large, so a
/// 100,000-customer index never sits in memory whole; each bucket (a few
/// MB at most) is sorted on its own at `finish()`.
final class SearchIndexWriter {
    private let output: SiteOutput
    /// Per bucket, records not yet spilled: each the path's length and the line's (32-bit, little-endian), the path, the line.
    private var buffers: [String: [UInt8]] = [:]
    private var spilled: Set<String> = []
    private var buffered = 0
    private var staging: URL { output.url(".outpost-staging") }
    static let spillThreshold = 32 << 20
    /// Bytes buffered before they are spilled (small in tests, to spill often).
    private let spillThreshold: Int

    init(output: SiteOutput, spillThreshold: Int = SearchIndexWriter.spillThreshold) {
        self.output = output
        self.spillThreshold = spillThreshold
    }

    /// Adds an entry; one without words is left out.
    func add(_ entry: SearchEntry) throws {
        guard let line = entry.line else { return }
        for bucket in line.buckets {
            SearchIndexWriter.appendRecord(line, to: &buffers[bucket, default: []])
            buffered += line.path.count + line.bytes.count + 8
        }
        if buffered >= spillThreshold { try spill() }
    }

    private static func appendRecord(_ line: SearchEntry.Line, to out: inout [UInt8]) {
        withUnsafeBytes(of: UInt32(line.path.count).littleEndian) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(line.bytes.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: line.path)
        out.append(contentsOf: line.bytes)
    }

    private func spill() throws {
        try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
        for (bucket, bytes) in buffers {
            let url = staging.appendingPathComponent(SearchKey.fileName(bucket))
            if spilled.contains(bucket) {
                let handle = try FileHandle(forWritingTo: url)
                defer { try? handle.close() }
                try handle.seekToEnd()
                try handle.write(contentsOf: bytes)
            } else {
                try Data(bytes).write(to: url)
                spilled.insert(bucket)
            }
        }
        buffers = [:]
        buffered = 0
    }

    /// Writes every bucket file (`search/…js`) whose bytes changed.
    func finish() throws {
        let names = Set(buffers.keys).union(spilled).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        for bucket in names {
            var records: [UInt8] = []
            if spilled.contains(bucket) {
                records.append(contentsOf: try Data(contentsOf: staging.appendingPathComponent(SearchKey.fileName(bucket))))
            }
            records.append(contentsOf: buffers.removeValue(forKey: bucket) ?? [])
            try output.file("search/" + SearchKey.fileName(bucket), bytes: SearchIndexWriter.bucketFile(bucket, records: records))
        }
        buffers = [:]
        try? FileManager.default.removeItem(at: staging)
    }

    /// A bucket file from its records (as `appendRecord` writes them), sorted.
    private static func bucketFile(_ bucket: String, records: [UInt8]) -> [UInt8] {
        // Where each record's path and line are: (path start, path end, line end).
        var spans: [(Int, Int, Int)] = []
        var position = 0
        var total = 0
        records.withUnsafeBytes { raw in
            while position + 8 <= raw.count {
                let pathCount = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: position, as: UInt32.self)))
                let lineCount = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: position + 4, as: UInt32.self)))
                let pathStart = position + 8
                spans.append((pathStart, pathStart + pathCount, pathStart + pathCount + lineCount))
                total += lineCount + 2
                position = pathStart + pathCount + lineCount
            }
        }
        spans.sort { a, b in
            SearchEntry.precedes(path: records[a.0..<a.1], line: records[a.1..<a.2], path: records[b.0..<b.1], line: records[b.1..<b.2])
        }
        var bytes = SearchBucketFile.head(bucket)
        bytes.reserveCapacity(bytes.count + total + 8)
        for (index, span) in spans.enumerated() {
            if index > 0 { bytes.append(contentsOf: SearchBucketFile.separator) }
            bytes.append(contentsOf: records[span.1..<span.2])
        }
        bytes.append(contentsOf: SearchBucketFile.tail)
        return bytes
    }
}

/// How search text is cut into words and buckets; `site/outpost.js` does the same.
enum SearchKey {
    /// Lower-cased words of letters and digits; numbers lose leading zeros
    /// (`ORD-000123` → `ord`, `123`); an id such as `cus_01jd…` stays whole.
    static func tokens(_ text: String) -> [String] {
        var result: [String] = []
        for word in text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }) {
            if word.utf8.allSatisfy({ $0 < 0x80 }) {
                asciiTokens(word.utf8, into: &result)
                continue
            }
            let word = word.lowercased()[...]
            if isIdentifier(word) {
                result.append(String(word))
                continue
            }
            var current = ""
            for character in word {
                if character.isLetter || character.isNumber {
                    current.append(character)
                } else if !current.isEmpty {
                    result.append(normalized(current))
                    current = ""
                }
            }
            if !current.isEmpty { result.append(normalized(current)) }
        }
        return result
    }

    /// The same rules for a word that is all ASCII (most of them), on bytes.
    private static func asciiTokens(_ word: Substring.UTF8View, into result: inout [String]) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(word.count)
        for byte in word { bytes.append(byte >= 65 && byte <= 90 ? byte + 32 : byte) }
        if isIdentifier(Substring(String(decoding: bytes, as: UTF8.self))) {
            result.append(String(decoding: bytes, as: UTF8.self))
            return
        }
        var start = -1
        func flush(_ end: Int) {
            guard start >= 0 else { return }
            var slice = bytes[start..<end]
            if slice.allSatisfy({ $0 >= 48 && $0 <= 57 }) {
                slice = slice.drop { $0 == 48 }
                result.append(slice.isEmpty ? "0" : String(decoding: slice, as: UTF8.self))
            } else {
                result.append(String(decoding: slice, as: UTF8.self))
            }
            start = -1
        }
        for (index, byte) in bytes.enumerated() {
            let alphanumeric = (byte >= 97 && byte <= 122) || (byte >= 48 && byte <= 57)
            if alphanumeric {
                if start < 0 { start = index }
            } else {
                flush(index)
            }
        }
        flush(bytes.count)
    }

    private static func normalized(_ token: String) -> String {
        guard token.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return token }
        let trimmed = token.drop { $0 == "0" }
        return trimmed.isEmpty ? "0" : String(trimmed)
    }

    /// `cus_01jd2k…`: two to four letters, an underscore, eight or more letters and digits.
    static func isIdentifier(_ word: Substring) -> Bool {
        guard let underscore = word.firstIndex(of: "_") else { return false }
        let prefix = word[..<underscore], rest = word[word.index(after: underscore)...]
        return (2...4).contains(prefix.count) && prefix.allSatisfy { $0 >= "a" && $0 <= "z" }
            && rest.count >= 8 && rest.allSatisfy { ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") }
    }

    /// The bucket of a word: its first three characters (a shorter word is a bucket of its own),
    /// or for an id `#` and its last three. Three, not two: a bucket holds a few hundred kB at
    /// 100,000 customers rather than several MB, for the page that loads it and for the
    /// incremental build that patches it.
    static func bucket(_ token: String) -> String {
        if isIdentifier(Substring(token)) { return "#" + String(String.UnicodeScalarView(token.unicodeScalars.suffix(3))) }
        return String(String.UnicodeScalarView(token.unicodeScalars.prefix(3)))
    }

    /// A word of one letter (the `S`, `p` and `A` of `S.p.A.`): found through the entry's other
    /// words, never a bucket of its own (it would hold every such company). A one-digit number is
    /// (`INV-000007` is found by its `7`).
    static func isSingleLetter(_ token: String) -> Bool {
        token.unicodeScalars.count == 1 && !token.unicodeScalars.allSatisfy { $0.properties.numericType != nil }
    }

    /// Words too common to be a bucket of their own (`com` would hold every domain).
    static func isStopWord(_ token: String) -> Bool { stopWords.contains(token) }

    static let stopWords: Set<String> = ["ord", "inv", "crn", "com", "net", "org", "io", "de", "uk", "co", "eu", "fr", "nl", "es", "it",
                                         "the", "and", "of", "ltd", "gmbh", "inc", "llc", "ag", "sa", "bv", "srl", "sl", "oy", "ab", "as",
                                         // Shared mailboxes (info@…, billing@…): found through the rest of the address.
                                         "info", "office", "billing", "accounts", "admin", "contact", "sales", "support", "mail", "hello"]

    /// The file of a bucket: its UTF-8 bytes in hex, so any script is a safe file name.
    static func fileName(_ bucket: String) -> String {
        "s-" + bucket.utf8.map { byte in
            let digits = String(byte, radix: 16)
            return byte < 16 ? "0" + digits : digits
        }.joined() + ".js"
    }

    /// A JavaScript string literal that is also safe inside any file: `"`, `\`,
    /// controls, `<`, `>`, `&` and U+2028/9 as `\u` escapes.
    static func appendJSString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out.append(contentsOf: "\\\"".utf8)
            case "\\": out.append(contentsOf: "\\\\".utf8)
            case "<", ">", "&", "\u{2028}", "\u{2029}":
                out.append(contentsOf: unicodeEscape(scalar.value).utf8)
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f {
                    out.append(contentsOf: unicodeEscape(scalar.value).utf8)
                } else {
                    out.append(contentsOf: String(scalar).utf8)
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func unicodeEscape(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "\\u" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
