import Foundation
import OutpostSystem
#if canImport(Glibc)
import Glibc
#endif

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
/// buffered in memory and spilled, when large, to one scratch file (each
/// bucket's records a range of it), so a 100,000-customer index never sits
/// in memory whole; each file is sorted on its own at `finish()`.
final class SearchIndexWriter {
    private let output: SiteOutput
    /// Per bucket, records not yet spilled: each the path's length and the line's (32-bit, little-endian), the path, the line.
    private var buffers: [String: [UInt8]] = [:]
    /// Where each spilled bucket's records are in the scratch file.
    private var spilled: [String: [Range<Int>]] = [:]
    private var buffered = 0
    /// Entries added (with words): the file count follows from it.
    private var entries = 0
    /// The scratch file (opened at the first spill): unlinked as soon as it is made, so it goes with its
    /// descriptor and no build, however it ends, leaves it behind.
    private var scratch: Int32 = -1
    private var scratchSize = 0
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

    deinit {
        if scratch >= 0 { close(scratch) }
    }

    /// Appends every buffered bucket to the scratch file. (Before, each bucket had a staging file
    /// of its own, written and synced: 20,000 files and fsyncs a spill.)
    private func spill() throws {
        if scratch < 0 {
            // In the site cache's directory, beside the replica: never in the published tree, even for an instant.
            var template = Array(output.cache.location.directory.appendingPathComponent("search-spill-XXXXXX").path.utf8CString)
            scratch = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            guard scratch >= 0 else { throw SiteBuildError.cannotWrite("search index scratch file", errno: errno) }
            unlink(String(cString: template))
        }
        for (bucket, records) in buffers {
            if let error = records.withUnsafeBytes({ LocalFiles.writeAll(scratch, $0) }) {
                throw SiteBuildError.cannotWrite("search index scratch file", errno: error)
            }
            spilled[bucket, default: []].append(scratchSize ..< scratchSize + records.count)
            scratchSize += records.count
        }
        buffers = [:]
        buffered = 0
    }

    /// The spilled records of `bucket`, in the order they were spilled.
    private func spilledRecords(_ bucket: String) throws -> [UInt8] {
        var records: [UInt8] = []
        for range in spilled[bucket] ?? [] {
            var done = 0
            records.append(contentsOf: repeatElement(0, count: range.count))
            let start = records.count - range.count
            while done < range.count {
                let read = records.withUnsafeMutableBytes {
                    pread(scratch, $0.baseAddress! + start + done, range.count - done, off_t(range.lowerBound + done))
                }
                if read < 0 && errno == EINTR { continue }
                guard read > 0 else { throw SiteBuildError.cannotWrite("search index scratch file", errno: read < 0 ? errno : EIO) }
                done += read
            }
        }
        return records
    }

    /// Writes every file of the index (`search/…js`) whose bytes changed, and the counts file.
    func finish() throws {
        let files = SearchKey.fileCount(entries: entries)
        var byFile: [Int: [String]] = [:]
        for bucket in Set(buffers.keys).union(spilled.keys) { byFile[SearchKey.fileNumber(bucket, files: files), default: []].append(bucket) }
        for (number, buckets) in byFile.sorted(by: { $0.key < $1.key }) {
            var records: [UInt8] = []
            for bucket in buckets.sorted() {
                records.append(contentsOf: try spilledRecords(bucket))
                records.append(contentsOf: buffers.removeValue(forKey: bucket) ?? [])
            }
            try output.file("search/" + SearchKey.fileName(number), bytes: SearchIndexWriter.file(number, records: records))
        }
        try output.file("search/" + SearchKey.countsFileName, bytes: SearchBucketFile.counts(files: files, entries: entries))
        buffers = [:]
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
