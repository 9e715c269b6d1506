import Foundation
import OutpostModel
import OutpostSystem
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Streams an RFC 4180 CSV file: CRLF line ends, fields quoted when they
/// hold a comma, quote, CR or LF, quotes doubled. Rows go to a temporary file
/// through a buffer, so a CSV of every row of a 100,000-customer list never
/// sits in memory; `SiteOutput.adopt` then renames it into place if it changed.
final class CSVWriter {
    let path: String
    let temporary: URL
    private var fd: Int32
    private var buffer: [UInt8] = []
    private(set) var hash = ContentHash()
    private var length: Int64 = 0
    private(set) var rows = 0

    init(path: String, output: SiteOutput, header: [String]) throws {
        self.path = path
        temporary = try output.temporaryURL(for: path)
        fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw SiteBuildError.cannotWrite(path, errno: errno) }
        buffer.reserveCapacity(1 << 16)
        try write(header)
        rows = 0
    }

    /// A plain line writer to `temporary` (the manifest), not a CSV.
    init(rawPath: String, temporary: URL, append: Bool = false) throws {
        path = rawPath
        self.temporary = temporary
        // The manifest is the build's memory, never published: its owner's alone.
        fd = open(temporary.path, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), LocalFiles.ownerOnly)
        guard fd >= 0 else { throw SiteBuildError.cannotWrite(rawPath, errno: errno) }
        buffer.reserveCapacity(1 << 16)
    }

    deinit {
        if fd >= 0 { systemClose(fd) }
    }

    /// Appends a line ending in LF (for the manifest); flushed when the buffer is full.
    func writeLine(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        buffer.append(10)
        if buffer.count >= 1 << 16 { try? flush() }
    }

    /// Flushes and closes the file.
    func close() throws {
        try flush()
        if fd >= 0 { systemClose(fd) }
        fd = -1
    }

    /// Appends one record.
    func write(_ fields: [String]) throws {
        CSVRecord.append(fields, to: &buffer)
        rows += 1
        if buffer.count >= 1 << 16 { try flush() }
    }

    private func flush() throws {
        try buffer.withUnsafeBytes { bytes in
            hash.add(bytes: bytes)
            if let code = LocalFiles.writeAll(fd, bytes) { throw SiteBuildError.cannotWrite(path, errno: code) }
        }
        length += Int64(buffer.count)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes and hands the file to the output, recording what it was made from.
    func finish(into output: SiteOutput, inputs: ContentHash? = nil) throws {
        try close()
        var final = ContentHash()
        final.add(length)
        final.add(hash)
        try output.adopt(path, temporary: temporary, output: final, inputs: inputs)
    }
}
