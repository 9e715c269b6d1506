import Foundation

/// The layout of a bucket file, `search/s-XXXX.js`:
/// `OutpostSearch.add("bucket",[` LF, the entries' lines joined by `,` LF, LF `]);` LF.
/// `site/outpost.js` defines `OutpostSearch.add`; a bucket with no entries has no file.
enum SearchBucketFile {
    static let separator: [UInt8] = Array(",\n".utf8)
    static let tail: [UInt8] = Array("\n]);\n".utf8)

    /// Everything before the first line.
    static func head(_ bucket: String) -> [UInt8] {
        var bytes: [UInt8] = Array("OutpostSearch.add(".utf8)
        SearchKey.appendJSString(bucket, to: &bytes)
        bytes.append(contentsOf: ",[\n".utf8)
        return bytes
    }

    /// The lines of a bucket file, as ranges of `bytes` (without the separators).
    static func lines(of bytes: [UInt8], bucket: String) throws(SearchIndexPatchError) -> [Range<Int>] {
        let head = head(bucket)
        guard bytes.count >= head.count + tail.count + 1, bytes.starts(with: head), bytes.suffix(tail.count).elementsEqual(tail) else {
            throw .malformedBucket(SearchKey.fileName(bucket))
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
            guard closed, separated else { throw .malformedBucket(SearchKey.fileName(bucket)) }
        }
        return lines
    }
}
