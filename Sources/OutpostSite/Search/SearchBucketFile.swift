import Foundation

/// The layout of the search index's files in `search/`.
///
/// File number n, `s-n.js`: `OutpostSearch.add(n,[` LF, its entries' lines joined by `,` LF,
/// LF `]);` LF. The lines are those of every bucket that `SearchKey.fileNumber` puts in the file,
/// each entry once, in `SearchEntry.precedes` order. A file with no entries is not written.
/// `index.js`: `OutpostSearch.files(files,entries);` LF, which pages load first to learn how
/// many files there are; `site/outpost.js` defines both functions.
enum SearchBucketFile {
    static let separator: [UInt8] = Array(",\n".utf8)
    static let tail: [UInt8] = Array("\n]);\n".utf8)

    /// Everything before the first line of file `number`.
    static func head(_ number: Int) -> [UInt8] { Array("OutpostSearch.add(\(number),[\n".utf8) }

    /// The bytes of a file from its lines, in order.
    static func file(_ number: Int, lines: some Sequence<some Collection<UInt8>>, capacity: Int = 0) -> [UInt8] {
        var bytes = head(number)
        bytes.reserveCapacity(bytes.count + capacity + tail.count)
        var first = true
        for line in lines {
            if !first { bytes.append(contentsOf: separator) }
            first = false
            bytes.append(contentsOf: line)
        }
        bytes.append(contentsOf: tail)
        return bytes
    }

    /// The counts file: how many files, how many entries.
    static func counts(files: Int, entries: Int) -> [UInt8] { Array("OutpostSearch.files(\(files),\(entries));\n".utf8) }

    /// The file count and entry count of a counts file.
    static func readCounts(_ bytes: [UInt8]) throws(SearchIndexPatchError) -> (files: Int, entries: Int) {
        let text = String(decoding: bytes, as: UTF8.self)
        let prefix = "OutpostSearch.files(", suffix = ");\n"
        guard text.hasPrefix(prefix), text.hasSuffix(suffix) else { throw .malformedBucket(SearchKey.countsFileName) }
        let numbers = text.dropFirst(prefix.count).dropLast(suffix.count).split(separator: ",").compactMap { Int($0) }
        guard numbers.count == 2, numbers[0] >= 1, numbers[1] >= 0 else { throw .malformedBucket(SearchKey.countsFileName) }
        return (numbers[0], numbers[1])
    }

    /// The lines of file `number`, as ranges of `bytes` (without the separators).
    static func lines(of bytes: [UInt8], number: Int) throws(SearchIndexPatchError) -> [Range<Int>] {
        let head = head(number)
        guard bytes.count >= head.count + tail.count + 1, bytes.starts(with: head), bytes.suffix(tail.count).elementsEqual(tail) else {
            throw .malformedBucket(SearchKey.fileName(number))
        }
        let end = bytes.count - tail.count
        var lines: [Range<Int>] = []
        var start = head.count
        bytes.withUnsafeBufferPointer { buffer in
            let base = buffer.baseAddress!
            while start < end {
                // A line never holds a raw newline (`appendJSString` escapes it), so LF ends it.
                let found = memchr(base + start, 10, end - start)
                let stop = found.map { UnsafePointer($0.assumingMemoryBound(to: UInt8.self)) - base } ?? end
                // Every line but the last ends in the separator's comma.
                lines.append(start..<(stop < end ? stop - 1 : stop))
                start = stop + 1
            }
        }
        for (index, line) in lines.enumerated() {
            let closed = line.count >= 2 && bytes[line.lowerBound] == UInt8(ascii: "[") && bytes[line.upperBound - 1] == UInt8(ascii: "]")
            let separated = index == lines.count - 1 || bytes[line.upperBound] == UInt8(ascii: ",")
            guard closed, separated else { throw .malformedBucket(SearchKey.fileName(number)) }
        }
        return lines
    }
}
