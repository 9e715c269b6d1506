import Foundation
import OutpostModel
import OutpostSystem
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a CSV could not be patched; writing it afresh always works.
enum CSVPatchError: Error, Equatable, CustomStringConvertible {
    case cannotRead(String, errno: Int32)
    case cannotWrite(String, errno: Int32)
    /// `old` and `new` are one file: it cannot be read and written at once.
    case sameFile(String)
    /// The old file is empty: not even a header.
    case missingHeader(String)
    /// Row `row` (the header is row 1) opens a quote that the file never closes.
    case unterminatedQuote(String, row: Int)
    /// The file ends inside row `row`, without its line end.
    case unterminatedRow(String, row: Int)
    /// Row `row` has a quoted key: keys are ids, never quoted.
    case quotedKey(String, row: Int)
    /// Row `row`'s key is not after the key before it.
    case notSorted(String, row: Int, key: String)
    /// A change's key would need quoting.
    case keyNeedsQuoting(String)
    /// A change's record does not start with its key.
    case recordKeyMismatch(String)

    var description: String {
        switch self {
        case let .cannotRead(path, code): return "cannot read \(path): \(String(cString: strerror(code)))"
        case let .cannotWrite(path, code): return "cannot write \(path): \(String(cString: strerror(code)))"
        case .sameFile(let path): return "cannot patch \(path) into itself; write the patched CSV to another file"
        case .missingHeader(let path): return "\(path) is empty; a CSV starts with its header"
        case let .unterminatedQuote(path, row): return "\(path), row \(row): a quoted field is never closed"
        case let .unterminatedRow(path, row): return "\(path), row \(row): the file ends before the row does"
        case let .quotedKey(path, row): return "\(path), row \(row): the key is quoted, but keys are plain ids"
        case let .notSorted(path, row, key): return "\(path), row \(row): key \(key) is not after the row before it; the CSV is not sorted by key"
        case .keyNeedsQuoting(let key): return "key \(key) holds a comma, quote or line break, or starts like a formula; keys are plain ids"
        case .recordKeyMismatch(let key): return "the new record for \(key) does not start with it"
        }
    }
}

/// Changes a few rows of a big CSV without writing it afresh.
///
/// The CSV is RFC 4180 as `CSVRecord` writes it: a header row, then rows
/// whose first field is their key (an id, never quoted), sorted by key in
/// UTF-8 byte order. The old file is read in large chunks and split into
/// rows with `memchr` (quote-aware: quoted fields may hold commas, quotes,
/// CR and LF); runs of unchanged rows are copied byte for byte in bulk and
/// never decoded. Memory stays at one chunk, whatever the file's size.
enum CSVPatch {
    /// Bytes read at a time; a row longer than this grows the buffer.
    static let chunkSize = 4 << 20

    /// Writes to `new` the CSV `old` becomes when the rows of each key in
    /// `changes` are replaced by its record, removed (nil), or inserted in key
    /// order where there was none: byte-identical to writing every row afresh.
    /// Each record starts with its key. On failure `new` is removed.
    /// `chunkSize` is for tests, to put chunk ends everywhere.
    static func apply(from old: URL, to new: URL, changes: [String: [String]?],
                      chunkSize: Int = CSVPatch.chunkSize) throws -> Counts {
        let (keys, records) = try sorted(changes)
        let input = open(old.path, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw CSVPatchError.cannotRead(old.path, errno: errno) }
        defer { systemClose(input) }
        let output = try openOutput(new, besides: input, old: old)
        var done = false
        defer {
            systemClose(output)
            if !done { unlink(new.path) }
        }
        var status = stat()
        if fstat(input, &status) == 0 { LocalFiles.reserve(output, bytes: Int64(status.st_size)) }
        var patcher = Patcher(input: input, output: Output(fd: output, path: new.path), path: old.path, keys: keys, records: records, chunkSize: max(1, chunkSize))
        defer { patcher.deallocate() }
        let counts = try patcher.run()
        done = true
        return counts
    }

    /// Rows replaced, inserted and removed, and replaced by their own bytes.
    typealias Counts = (rowsReplaced: Int, rowsInserted: Int, rowsRemoved: Int, rowsIdentical: Int)

    /// The changes' keys in order, each with its record as bytes (nil: remove the row).
    static func sorted(_ changes: [String: [String]?]) throws -> (keys: [[UInt8]], records: [[UInt8]?]) {
        var keys: [[UInt8]] = []
        keys.reserveCapacity(changes.count)
        for (key, record) in changes {
            guard CSVRecord.isWrittenAsIs(key) else { throw CSVPatchError.keyNeedsQuoting(key) }
            if let record, record.first != key { throw CSVPatchError.recordKeyMismatch(key) }
            keys.append(Array(key.utf8))
        }
        keys.sort { $0.lexicographicallyPrecedes($1) }
        let records: [[UInt8]?] = keys.map { key in
            changes[String(decoding: key, as: UTF8.self)]!.map { fields in
                var bytes: [UInt8] = []
                CSVRecord.append(fields, to: &bytes)
                return bytes
            }
        }
        return (keys, records)
    }

    /// As `apply(from:to:changes:)`, and returns the index of `new`. When `index` describes `old`, only
    /// the stretches holding changed rows are read and rewritten; the kernel copies the rest. Without a
    /// usable index, or when a stretch is not what the index says, the whole file is patched and indexed.
    static func apply(from old: URL, to new: URL, changes: [String: [String]?], index: CSVRowIndex?) throws -> (counts: Counts, index: CSVRowIndex?) {
        let (keys, records) = try sorted(changes)
        if let index, !index.anchors.isEmpty, let patched = try stretches(from: old, to: new, changes: (keys, records), index: index) {
            return patched
        }
        let counts = try apply(from: old, to: new, changes: changes)
        let fd = open(new.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return (counts, nil) }
        defer { systemClose(fd) }
        return (counts, CSVRowIndex.scan(fd))
    }

    /// The patch by stretches; nil (and `new` removed) when `old` is not what `index` says.
    static func stretches(from old: URL, to new: URL, changes: (keys: [[UInt8]], records: [[UInt8]?]),
                          index: CSVRowIndex) throws -> (counts: Counts, index: CSVRowIndex?)? {
        let (keys, records) = changes
        let input = open(old.path, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw CSVPatchError.cannotRead(old.path, errno: errno) }
        defer { systemClose(input) }
        guard index.describes(input) else { return nil }
        let output = try openOutput(new, besides: input, old: old)
        var done = false
        defer {
            systemClose(output)
            if !done { unlink(new.path) }
        }
        // The new file is about the old one's size: its blocks are reserved at once, not page by page.
        LocalFiles.reserve(output, bytes: index.size + Int64(records.reduce(0) { $0 + ($1?.count ?? 0) }))
        let anchors = index.anchors
        // The first stretch starts right after the header (keys before the first anchor go in it).
        guard anchors[0].offset > 0, anchors[0].offset <= 1 << 20 else { return nil }
        var header = [UInt8](repeating: 0, count: Int(anchors[0].offset))
        guard header.withUnsafeMutableBytes({ pread(input, $0.baseAddress!, $0.count, 0) }) == header.count,
              let headerRows = header.withUnsafeBufferPointer({ CSVRowIndex.rows($0.baseAddress!, count: $0.count) }), headerRows.count == 1
        else { return nil }
        // A change's stretch: that of the last anchor at or before its key (keys before the first go in the first).
        func stretch(_ key: [UInt8]) -> Int {
            var low = 0, high = anchors.count
            while low < high {
                let middle = (low + high) / 2
                if anchors[middle].key.lexicographicallyPrecedes(key) || anchors[middle].key == key { low = middle + 1 } else { high = middle }
            }
            return max(0, low - 1)
        }
        var counts: Counts = (0, 0, 0, 0)
        var fresh: [CSVRowIndex.Anchor] = []
        var copied: Int64 = 0, written: Int64 = 0
        var carried = 0
        var change = 0
        while change < keys.count {
            let number = stretch(keys[change])
            var last = change
            while last < keys.count, stretch(keys[last]) == number { last += 1 }
            let start = anchors[number].offset
            let end = number + 1 < anchors.count ? anchors[number + 1].offset : index.size
            guard start > 0, start >= copied, end >= start, end <= index.size else { return nil }
            // The anchors before this stretch move by what the stretches before them grew.
            for anchor in anchors[carried..<number] { fresh.append(.init(key: anchor.key, offset: anchor.offset + written - copied)) }
            if let code = LocalFiles.copyRange(input, offset: copied, count: start - copied, to: output) { throw CSVPatchError.cannotWrite(new.path, errno: code) }
            written += start - copied
            // The stretch, with the byte before it: a line end, or the index is wrong.
            var bytes = [UInt8](repeating: 0, count: Int(end - start) + 1)
            let read = bytes.withUnsafeMutableBytes { pread(input, $0.baseAddress!, $0.count, off_t(start - 1)) }
            guard read == bytes.count, bytes[0] == 10 else { return nil }
            guard let (patched, stretchAnchors) = try bytes.withUnsafeBufferPointer({ buffer in
                try merge(buffer.baseAddress! + 1, count: buffer.count - 1, keys: keys[change..<last], records: records[change..<last],
                          after: number > 0 ? anchors[number].key : nil,
                          before: number + 1 < anchors.count ? anchors[number + 1].key : nil, counts: &counts)
            }) else { return nil }
            fresh += stretchAnchors.map { .init(key: $0.key, offset: written + $0.offset) }
            if let code = patched.withUnsafeBytes({ LocalFiles.writeAll(output, $0) }) { throw CSVPatchError.cannotWrite(new.path, errno: code) }
            written += Int64(patched.count)
            copied = end
            carried = number + 1
            change = last
        }
        for anchor in anchors[carried...] { fresh.append(.init(key: anchor.key, offset: anchor.offset + written - copied)) }
        if let code = LocalFiles.copyRange(input, offset: copied, count: index.size - copied, to: output) { throw CSVPatchError.cannotWrite(new.path, errno: code) }
        var result = CSVRowIndex(anchors: fresh)
        result.identify(output)
        done = true
        return (counts, result)
    }

    /// One stretch's rows with the changes applied, and the anchors of its every `CSVRowIndex.spacing`th
    /// row (offsets from the stretch's start); nil when its rows are not sorted, have a quoted key, or
    /// fall outside the keys `after` (inclusive) and `before` that the index gives it.
    private static func merge(_ bytes: UnsafePointer<UInt8>, count: Int, keys: ArraySlice<[UInt8]>, records: ArraySlice<[UInt8]?>,
                              after: [UInt8]?, before: [UInt8]?, counts: inout Counts) throws -> ([UInt8], [CSVRowIndex.Anchor])? {
        guard let rows = CSVRowIndex.rows(bytes, count: count) else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(count + records.reduce(0) { $0 + ($1?.count ?? 0) })
        var anchors: [CSVRowIndex.Anchor] = []
        var written = 0
        /// Appends a row, anchoring it when its turn comes (`key` is only read then).
        func emit(_ row: UnsafeBufferPointer<UInt8>, key: () -> [UInt8]) {
            if written % CSVRowIndex.spacing == 0 {
                let key = key()
                if CSVRowIndex.canAnchor(key) { anchors.append(.init(key: key, offset: Int64(out.count))) }
            }
            out.append(contentsOf: row)
            written += 1
        }
        var next = keys.startIndex
        var previous: (start: Int, count: Int)? = nil
        func order(_ key: [UInt8], _ start: Int, _ length: Int) -> Int32 {
            key.withUnsafeBufferPointer { CSVPatch.compare($0.baseAddress ?? bytes, $0.count, bytes + start, length) }
        }
        func insert() {
            if let record = records[next] {
                record.withUnsafeBufferPointer { emit($0, key: { keys[next] }) }
                counts.rowsInserted += 1
            }
            next += 1
        }
        for row in rows {
            let length = row.keyEnd - row.start
            guard bytes[row.start] != UInt8(ascii: "\"") else { return nil }
            if let previous {
                guard CSVPatch.compare(bytes + previous.start, previous.count, bytes + row.start, length) < 0 else { return nil }
            } else if let after {
                guard order(after, row.start, length) <= 0 else { return nil }
            }
            previous = (row.start, length)
            while next < keys.endIndex, order(keys[next], row.start, length) < 0 { insert() }
            if next < keys.endIndex, order(keys[next], row.start, length) == 0 {
                if let record = records[next] {
                    record.withUnsafeBufferPointer { emit($0, key: { keys[next] }) }
                    counts.rowsReplaced += 1
                    if record.count == row.end - row.start, memcmp(bytes + row.start, record, record.count) == 0 { counts.rowsIdentical += 1 }
                } else {
                    counts.rowsRemoved += 1
                }
                next += 1
            } else {
                emit(UnsafeBufferPointer(start: bytes + row.start, count: row.end - row.start),
                     key: { Array(UnsafeBufferPointer(start: bytes + row.start, count: length)) })
            }
        }
        if let previous, let before {
            guard order(before, previous.start, previous.count) > 0 else { return nil }
        }
        while next < keys.endIndex { insert() }
        return (out, anchors)
    }

    /// Opens `new` for writing, refusing to truncate `old` itself.
    private static func openOutput(_ new: URL, besides input: Int32, old: URL) throws -> Int32 {
        // Not truncated before it is known not to be `old` itself.
        let output = open(new.path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw CSVPatchError.cannotWrite(new.path, errno: errno) }
        var inputStatus = stat(), outputStatus = stat()
        guard fstat(input, &inputStatus) == 0, fstat(output, &outputStatus) == 0 else {
            let code = errno
            systemClose(output)
            throw CSVPatchError.cannotRead(old.path, errno: code)
        }
        if inputStatus.st_dev == outputStatus.st_dev && inputStatus.st_ino == outputStatus.st_ino {
            systemClose(output)
            throw CSVPatchError.sameFile(old.path)
        }
        guard ftruncate(output, 0) == 0 else {
            let code = errno
            systemClose(output)
            throw CSVPatchError.cannotWrite(new.path, errno: code)
        }
        return output
    }

    /// -1, 0 or 1 as the bytes at `a` sort before, with or after those at `b` (UTF-8 byte order).
    @inline(__always)
    static func compare(_ a: UnsafePointer<UInt8>, _ aCount: Int, _ b: UnsafePointer<UInt8>, _ bCount: Int) -> Int32 {
        var index = 0
        let common = min(aCount, bCount)
        // Keys share long prefixes (`cus_01HG…`) and are short: bytewise is as quick as memcmp's call.
        while index < common {
            if a[index] != b[index] { return a[index] < b[index] ? -1 : 1 }
            index += 1
        }
        return aCount == bCount ? 0 : (aCount < bCount ? -1 : 1)
    }

    /// Buffered writes to the new file; long runs go straight from the read buffer.
    private struct Output {
        let fd: Int32
        let path: String
        var buffer: [UInt8] = []

        init(fd: Int32, path: String) {
            self.fd = fd
            self.path = path
            buffer.reserveCapacity(1 << 20)
        }

        mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
            if bytes.count >= 1 << 16 {
                try flush()
                if let code = LocalFiles.writeAll(fd, bytes) { throw CSVPatchError.cannotWrite(path, errno: code) }
                return
            }
            if buffer.count + bytes.count > 1 << 20 { try flush() }
            buffer.append(contentsOf: bytes)
        }

        mutating func write(_ bytes: [UInt8]) throws {
            try bytes.withUnsafeBytes { try write($0) }
        }

        mutating func flush() throws {
            guard !buffer.isEmpty else { return }
            try buffer.withUnsafeBytes { bytes in
                if let code = LocalFiles.writeAll(fd, bytes) { throw CSVPatchError.cannotWrite(path, errno: code) }
            }
            buffer.removeAll(keepingCapacity: true)
        }
    }

    /// One pass over the old file.
    private struct Patcher {
        let input: Int32
        var output: Output
        let path: String
        let keys: [[UInt8]]
        let records: [[UInt8]?]
        /// The next change not yet written.
        var next = 0
        var buffer: UnsafeMutablePointer<UInt8>
        var capacity: Int
        /// Bytes in `buffer`.
        var filled = 0
        var atEnd = false
        /// Rows seen, the header included (for errors).
        var row = 0
        /// The last row's key: where it is in `buffer`, or (`previousInBuffer` false) a copy kept across a refill.
        var previousKeyStart = 0, previousKeyCount = 0
        var previousInBuffer = true
        var previousKey: [UInt8] = []
        /// The first quote at or after the row being scanned (`filled` when none), or -1 when not known:
        /// found once for the many rows without quotes, not once a row.
        var nextQuote = -1
        var replaced = 0, inserted = 0, removed = 0
        /// Replacements whose bytes were the row's own: a patch with only these leaves the file as it was.
        var identical = 0

        init(input: Int32, output: Output, path: String, keys: [[UInt8]], records: [[UInt8]?], chunkSize: Int) {
            self.input = input
            self.output = output
            self.path = path
            self.keys = keys
            self.records = records
            capacity = chunkSize
            buffer = .allocate(capacity: capacity)
        }

        func deallocate() { buffer.deallocate() }

        /// How a row scan ended.
        enum Scan {
            /// The row ends just before this offset (after its LF).
            case row(Int)
            /// The buffer ends first; `quoted` when inside a quoted field.
            case incomplete(quoted: Bool)
        }

        /// Finds the end of the row starting at `start`: the first LF outside quotes.
        mutating func scanRow(from start: Int) -> Scan {
            var position = start
            while true {
                // No LF yet: a quote before the buffer's end still tells an open quoted field from a cut row.
                let lineFeed = find(10, from: position, to: filled) ?? filled
                if nextQuote < position { nextQuote = find(UInt8(ascii: "\""), from: position, to: filled) ?? filled }
                guard nextQuote < lineFeed else { return lineFeed < filled ? .row(lineFeed + 1) : .incomplete(quoted: false) }
                var quote = nextQuote
                // Inside a quoted field: `""` is a quote, a lone `"` closes it.
                while true {
                    guard let close = find(UInt8(ascii: "\""), from: quote + 1, to: filled) else { return .incomplete(quoted: true) }
                    guard close + 1 < filled else { return .incomplete(quoted: !atEnd) }
                    if buffer[close + 1] == UInt8(ascii: "\"") {
                        quote = close + 1
                        continue
                    }
                    position = close + 1
                    break
                }
            }
        }

        @inline(__always)
        func find(_ byte: UInt8, from start: Int, to end: Int) -> Int? {
            guard start < end, let found = memchr(buffer + start, Int32(byte), end - start) else { return nil }
            return UnsafeMutableRawPointer(buffer).distance(to: found)
        }

        /// Reads more after the unprocessed bytes from `start`, which move to the front; false at the end of the file.
        mutating func refill(keeping start: Int) throws -> Bool {
            let kept = filled - start
            nextQuote = -1
            if row > 1, previousInBuffer {
                previousKey.removeAll(keepingCapacity: true)
                previousKey.append(contentsOf: UnsafeBufferPointer(start: buffer + previousKeyStart, count: previousKeyCount))
                previousInBuffer = false
            }
            if start > 0 {
                if kept > 0 { memmove(buffer, buffer + start, kept) }
            } else if kept == capacity {
                let larger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2)
                larger.update(from: buffer, count: kept)
                buffer.deallocate()
                buffer = larger
                capacity *= 2
            }
            filled = kept
            while filled < capacity {
                let count = read(input, buffer + filled, capacity - filled)
                if count < 0 {
                    if errno == EINTR { continue }
                    throw CSVPatchError.cannotRead(path, errno: errno)
                }
                if count == 0 {
                    atEnd = true
                    break
                }
                filled += count
            }
            return filled > kept
        }

        /// Writes the unchanged rows in `start..<end` of the buffer.
        mutating func copy(_ start: Int, _ end: Int) throws {
            guard end > start else { return }
            try output.write(UnsafeRawBufferPointer(start: buffer + start, count: end - start))
        }

        /// -1, 0 or 1 as the change key at `index` sorts before, with or after the key at `start`, `count` bytes long.
        func compare(change index: Int, _ start: Int, _ count: Int) -> Int32 {
            keys[index].withUnsafeBufferPointer { key in
                // An empty array's base address may be nil; any non-nil pointer does for zero bytes.
                CSVPatch.compare(key.baseAddress ?? UnsafePointer(buffer), key.count, buffer + start, count)
            }
        }

        mutating func run() throws -> (rowsReplaced: Int, rowsInserted: Int, rowsRemoved: Int, rowsIdentical: Int) {
            _ = try refill(keeping: 0)
            guard filled > 0 else { throw CSVPatchError.missingHeader(path) }
            var start = 0
            // The first unchanged byte not yet written.
            var pending = 0
            while true {
                let end: Int
                switch scanRow(from: start) {
                case .row(let rowEnd):
                    end = rowEnd
                case .incomplete(let quoted):
                    if atEnd {
                        guard start == filled else {
                            throw quoted ? CSVPatchError.unterminatedQuote(path, row: row + 1) : CSVPatchError.unterminatedRow(path, row: row + 1)
                        }
                        try copy(pending, start)
                        while next < keys.count { try insert() }
                        try output.flush()
                        return (replaced, inserted, removed, identical)
                    }
                    try copy(pending, start)
                    _ = try refill(keeping: start)
                    start = 0
                    pending = 0
                    continue
                }
                row += 1
                defer { start = end }
                if row == 1 { continue }  // the header, copied as it is
                // The key: the first field, up to a comma or the line end.
                guard buffer[start] != UInt8(ascii: "\"") else { throw CSVPatchError.quotedKey(path, row: row) }
                // Keys are short: a loop beats a call to memchr here.
                var keyEnd = start
                while keyEnd < end, buffer[keyEnd] != UInt8(ascii: ","), buffer[keyEnd] != 13, buffer[keyEnd] != 10 { keyEnd += 1 }
                let keyCount = keyEnd - start
                try checkOrder(start, keyCount)
                while next < keys.count {
                    let order = compare(change: next, start, keyCount)
                    if order > 0 { break }
                    try copy(pending, start)
                    pending = start
                    if order < 0 {
                        try insert()
                        continue
                    }
                    if let record = records[next] {
                        try output.write(record)
                        replaced += 1
                        if record.count == end - start, memcmp(buffer + start, record, record.count) == 0 { identical += 1 }
                    } else {
                        removed += 1
                    }
                    next += 1
                    pending = end
                    break
                }
            }
        }

        /// Writes the change at `next` as a new row, if it is not a removal.
        mutating func insert() throws {
            if let record = records[next] {
                try output.write(record)
                inserted += 1
            }
            next += 1
        }

        /// Keys must rise strictly, or changes would land in the wrong place.
        mutating func checkOrder(_ start: Int, _ count: Int) throws {
            if row > 2 {
                let order: Int32
                if previousInBuffer {
                    order = CSVPatch.compare(buffer + previousKeyStart, previousKeyCount, buffer + start, count)
                } else {
                    order = previousKey.withUnsafeBufferPointer { CSVPatch.compare($0.baseAddress ?? UnsafePointer(buffer), $0.count, buffer + start, count) }
                }
                guard order < 0 else { throw CSVPatchError.notSorted(path, row: row, key: String(decoding: UnsafeBufferPointer(start: buffer + start, count: count), as: UTF8.self)) }
            }
            previousKeyStart = start
            previousKeyCount = count
            previousInBuffer = true
        }
    }
}
