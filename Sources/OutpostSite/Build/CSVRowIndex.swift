import Foundation
import OutpostModel
import OutpostSystem
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the stretches of a big keyed CSV start: the key and byte offset of
/// every `spacing`th row, so a patch reads and rewrites only the stretches
/// holding the rows it changes and copies the rest inside the kernel
/// (`CSVPatch.apply(from:to:changes:index:)`). Without it, changing one row of
/// a 100 MB list CSV meant reading and writing all of it.
///
/// Kept beside the site in `.outpost-csv-rows/`, one small text file per CSV,
/// naming the file it describes by size, inode and modification time: an
/// index that does not match its CSV exactly (an edit by hand, a build that
/// died between the two renames) is not used, and the patch reads the whole
/// file as before and indexes the result.
struct CSVRowIndex: Equatable {
    /// Rows per stretch: a stretch of list rows is some tens of kB.
    static let spacing = 256
    /// The directory of index files, in the site's root (hidden, never published).
    static let directory = ".outpost-csv-rows"
    static let version = "outpost-csv-rows 1"

    struct Anchor: Equatable {
        let key: [UInt8]
        var offset: Int64
    }

    /// Ascending keys; the first is the first row after the header.
    var anchors: [Anchor]
    /// What the described file was: size, inode, modification time in nanoseconds.
    var size: Int64 = -1
    var inode: UInt64 = 0
    var modified: Int64 = 0

    /// The index file of the CSV at `path` (from the site root).
    static func file(for path: String, root: String) -> String {
        root + "/" + directory + "/" + path.replacingOccurrences(of: "/", with: "__") + ".rows"
    }

    /// Whether the index describes the open file `fd` as it is now.
    func describes(_ fd: Int32) -> Bool {
        guard let identity = CSVRowIndex.identity(of: fd) else { return false }
        return identity == (size, inode, modified)
    }

    static func identity(of fd: Int32) -> (size: Int64, inode: UInt64, modified: Int64)? {
        var status = stat()
        guard fstat(fd, &status) == 0 else { return nil }
        return (Int64(status.st_size), UInt64(status.st_ino), Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec))
    }

    /// Records `fd`'s size, inode and modification time (after its last write).
    mutating func identify(_ fd: Int32) {
        if let identity = CSVRowIndex.identity(of: fd) { (size, inode, modified) = identity }
    }

    /// An index of `anchors` naming the file at `file` as it is now; nil when it cannot be opened.
    static func identified(anchors: [Anchor], file: String) -> CSVRowIndex? {
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var index = CSVRowIndex(anchors: anchors)
        index.identify(fd)
        return index.size >= 0 ? index : nil
    }

    /// Reads an index file; nil when it is missing or not one.
    static func load(_ file: String) -> CSVRowIndex? {
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        let lines = data.split(separator: 10, omittingEmptySubsequences: false)
        guard let first = lines.first else { return nil }
        let head = String(decoding: first, as: UTF8.self).split(separator: " ")
        guard head.count == 5, head[0] + " " + head[1] == version, let size = Int64(head[2]), let inode = UInt64(head[3]),
              let modified = Int64(head[4]) else { return nil }
        var anchors: [Anchor] = []
        for line in lines.dropFirst() where !line.isEmpty {
            guard let tab = line.firstIndex(of: 9), let offset = Int64(String(decoding: line[..<tab], as: UTF8.self)) else { return nil }
            anchors.append(Anchor(key: Array(line[(tab + 1)...]), offset: offset))
        }
        return CSVRowIndex(anchors: anchors, size: size, inode: inode, modified: modified)
    }

    /// Writes the index file (to a temporary name, then renamed).
    func write(to file: String) {
        var bytes = Array("\(CSVRowIndex.version) \(size) \(inode) \(modified)\n".utf8)
        for anchor in anchors {
            bytes += Array(String(anchor.offset).utf8)
            bytes.append(9)
            bytes += anchor.key
            bytes.append(10)
        }
        let slash = file.lastIndex(of: "/")!
        mkdir(String(file[..<slash]), LocalFiles.ownerOnlyDirectory)
        let temporary = file + ".tmp"
        guard LocalFiles.create(temporary, contents: bytes), rename(temporary, file) == 0 else {
            unlink(temporary)
            return
        }
    }

    /// Removes the index of `path`: its CSV was written some other way.
    static func remove(for path: String, root: String) {
        unlink(file(for: path, root: root))
    }

    /// Whether a key can anchor a stretch: it is written as it is (no comma, quote or line end, and no
    /// formula's first character, `CSVRecord.neutralised`), and the index file is split by tabs and line ends.
    static func canAnchor(_ key: some Collection<UInt8>) -> Bool {
        !(key.first.map(CSVRecord.formulaStarts.contains) ?? false) && !key.contains { $0 == 9 || $0 == 10 || $0 == 13 || $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") }
    }

    /// The rows of `count` bytes that start at a row's start: where each starts, ends (after its LF) and
    /// where its key (the first field) ends. Nil when the bytes do not end exactly at a row's end.
    static func rows(_ bytes: UnsafePointer<UInt8>, count: Int) -> [(start: Int, end: Int, keyEnd: Int)]? {
        var rows: [(start: Int, end: Int, keyEnd: Int)] = []
        var start = 0
        while start < count {
            var keyEnd = start
            while keyEnd < count, bytes[keyEnd] != UInt8(ascii: ","), bytes[keyEnd] != 13, bytes[keyEnd] != 10 { keyEnd += 1 }
            // The row ends at the first LF after an even number of quotes (a quoted field's quotes are doubled).
            var position = start
            var quotes = 0
            var end = -1
            while position < count {
                guard let found = memchr(bytes + position, 10, count - position) else { return nil }
                let lineFeed = UnsafeRawPointer(bytes).distance(to: UnsafeRawPointer(found))
                var search = position
                while search < lineFeed, let quote = memchr(bytes + search, Int32(UInt8(ascii: "\"")), lineFeed - search) {
                    quotes += 1
                    search = UnsafeRawPointer(bytes).distance(to: UnsafeRawPointer(quote)) + 1
                }
                position = lineFeed + 1
                if quotes % 2 == 0 {
                    end = position
                    break
                }
            }
            guard end > 0 else { return nil }
            rows.append((start, end, keyEnd))
            start = end
        }
        return rows
    }

    /// Indexes the CSV open as `fd` by reading it whole (after a patch that could not use an index).
    static func scan(_ fd: Int32, spacing: Int = CSVRowIndex.spacing) -> CSVRowIndex? {
        guard let identity = identity(of: fd), identity.size > 0 else { return nil }
        var anchors: [Anchor] = []
        var buffer = [UInt8](repeating: 0, count: 4 << 20)
        var offset: Int64 = 0
        var row = -1  // the header is row -1
        var kept = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + kept, $0.count - kept, off_t(offset + Int64(kept))) }
            guard count >= 0 else { return nil }
            let filled = kept + count
            if filled == 0 { break }
            // Whole rows of this block; a row cut by the block's end is read again with the next.
            let whole: Int = buffer.withUnsafeBufferPointer { bytes in
                var last = filled
                guard count > 0 else { return filled }
                while last > 0, bytes[last - 1] != 10 { last -= 1 }
                // Back off to a line end outside quotes.
                while last > 0, rows(bytes.baseAddress!, count: last) == nil {
                    last -= 1
                    while last > 0, bytes[last - 1] != 10 { last -= 1 }
                }
                return last
            }
            guard whole > 0 else {
                // One row longer than the block: grow it.
                guard count > 0 else { return nil }
                kept = filled
                buffer += [UInt8](repeating: 0, count: buffer.count)
                continue
            }
            guard let found = buffer.withUnsafeBufferPointer({ rows($0.baseAddress!, count: whole) }) else { return nil }
            for found in found {
                if row >= 0, row % spacing == 0 {
                    let key = buffer[found.start..<found.keyEnd]
                    if canAnchor(key) { anchors.append(Anchor(key: Array(key), offset: offset + Int64(found.start))) }
                }
                row += 1
            }
            offset += Int64(whole)
            kept = filled - whole
            if kept > 0 { buffer.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: $0.baseAddress! + whole, count: kept) } }
            if count == 0 { break }
        }
        var index = CSVRowIndex(anchors: anchors)
        index.identify(fd)
        return index
    }
}
