import Foundation

/// The site search index: customers, subscriptions, orders, invoices and
/// domains, shipped as script files the search box loads on demand.
///
/// Chromium refuses `fetch` of `file://` URLs, so the index is JavaScript
/// (`OutpostSearch.add(…)`) loaded with a `<script>` element. An entry is
/// filed under buckets: the first three characters of each of its words,
/// and for customers and plans every three-letter piece of their names
/// (`SearchEntry.buckets`). Buckets are gathered into at most one file per
/// ten entries by a hash of their name (`SearchKey.fileNumber`), so a query
/// loads one small file: the one holding the bucket of its longest word.
/// The rules are mirrored by `site/outpost.js`.
///
/// Every file's entries are sorted by path (`SearchEntry.precedes`), so
/// the index is byte-identical for identical data and `SearchIndexPatch`
/// can change a few entries of a file without rebuilding it. Buckets are
/// buffered in memory and spilled to staging files when large, so a
/// 100,000-customer index never sits in memory whole; each file is sorted
/// on its own at `finish()`.
final class SearchIndexWriter {
    private let output: SiteOutput
    /// Per bucket, records not yet spilled: each the path's length and the line's (32-bit, little-endian), the path, the line.
    private var buffers: [String: [UInt8]] = [:]
    private var spilled: Set<String> = []
    private var buffered = 0
    /// Entries added (with words): the file count follows from it.
    private var entries = 0
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
        entries += 1
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
            let url = staging.appendingPathComponent(SearchIndexWriter.stagingName(bucket))
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

    /// Writes every file of the index (`search/…js`) whose bytes changed, and the counts file.
    func finish() throws {
        let files = SearchKey.fileCount(entries: entries)
        var byFile: [Int: [String]] = [:]
        for bucket in Set(buffers.keys).union(spilled) { byFile[SearchKey.fileNumber(bucket, files: files), default: []].append(bucket) }
        for (number, buckets) in byFile.sorted(by: { $0.key < $1.key }) {
            var records: [UInt8] = []
            for bucket in buckets.sorted() {
                if spilled.contains(bucket) {
                    records.append(contentsOf: try Data(contentsOf: staging.appendingPathComponent(SearchIndexWriter.stagingName(bucket))))
                }
                records.append(contentsOf: buffers.removeValue(forKey: bucket) ?? [])
            }
            try output.file("search/" + SearchKey.fileName(number), bytes: SearchIndexWriter.file(number, records: records))
        }
        try output.file("search/" + SearchKey.countsFileName, bytes: SearchBucketFile.counts(files: files, entries: entries))
        buffers = [:]
        try? FileManager.default.removeItem(at: staging)
    }

    /// The staging file of a bucket: its UTF-8 bytes in hex, so any script is a safe file name.
    private static func stagingName(_ bucket: String) -> String {
        bucket.utf8.map { byte in byte < 16 ? "0" + String(byte, radix: 16) : String(byte, radix: 16) }.joined()
    }

    /// A file from its records (as `appendRecord` writes them), sorted, each entry once.
    private static func file(_ number: Int, records: [UInt8]) -> [UInt8] {
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
        // An entry in two buckets of one file is in the file once.
        var lines: [ArraySlice<UInt8>] = []
        for span in spans {
            let line = records[span.1..<span.2]
            if let last = lines.last, last.elementsEqual(line) { continue }
            lines.append(line)
        }
        return SearchBucketFile.file(number, lines: lines, capacity: total)
    }
}
