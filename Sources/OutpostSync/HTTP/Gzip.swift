import CZlib

/// gzip (RFC 1952) through the system's zlib: the sync's HTTP bodies on the wire (`Content-Encoding: gzip`).
///
/// Inflating is bounded: a body that would grow past `limit` bytes stops there with `tooLarge`, having
/// held at most `limit` bytes, so a small "gzip bomb" cannot make the reader allocate what it claims.
enum Gzip {
    /// Why a gzip body could not be read.
    enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// It inflates to more than the limit; reading stopped at the limit.
        case tooLarge(limit: Int)
        /// It ends before its last member's trailer.
        case truncated
        /// It is not gzip, or its data or checksum is damaged; zlib's message.
        case corrupt(String)

        var description: String {
            switch self {
            case .tooLarge(let limit): return "the gzip body inflates to more than \(limit) bytes"
            case .truncated: return "the gzip body ends early (truncated)"
            case .corrupt(let message): return "the gzip body is damaged or not gzip: \(message)"
            }
        }
    }

    /// `bytes` as one gzip member, at zlib's fastest level (1) unless told. Compressing never fails for want of room:
    /// the output is sized by `deflateBound` first.
    ///
    /// Level 1, not zlib's default 6: the node compresses every large answer, and its CPU is what many replicas share.
    /// `outpost-bench first-sync-http` at 5,000 customers (86.8 MB of JSON): level 6 sent 12.9 MB in 2.73 s (deflate
    /// was a third of the sync's CPU), level 1 sends 14.9 MB in 2.21 s on PostgreSQL and 2.0–2.5 s instead of 2.7 s
    /// on SQLite — well within the 20 MB the first sync may cost.
    static func compress(_ bytes: [UInt8], level: Int32 = 1) -> [UInt8] {
        var stream = z_stream()
        guard czlib_deflate_init_gzip(&stream, level) == Z_OK else { fatalError("zlib: deflateInit2 failed (out of memory)") }
        defer { deflateEnd(&stream) }
        // deflateBound covers the gzip header and trailer once deflateInit2 has chosen the gzip wrapper.
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(bytes.count))))
        let status = bytes.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
                stream.avail_in = uInt(input.count)
                stream.next_out = out.baseAddress
                stream.avail_out = uInt(out.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        precondition(status == Z_STREAM_END, "zlib: deflate into deflateBound's room did not finish (\(status))")
        output.removeLast(output.count - Int(stream.total_out))
        return output
    }

    /// The bytes a gzip body inflates to, at most `limit` of them. Concatenated members are read one after
    /// another, as gunzip does (RFC 1952 2.2); anything after the last member that is not one is `corrupt`.
    static func decompress(_ bytes: [UInt8], limit: Int) throws(Failure) -> [UInt8] {
        guard !bytes.isEmpty else { throw .truncated }
        var stream = z_stream()
        guard czlib_inflate_init_gzip(&stream) == Z_OK else { fatalError("zlib: inflateInit2 failed (out of memory)") }
        defer { inflateEnd(&stream) }
        // Room grows by doubling from a guess, never past limit + 1 (one byte more shows the body is too large).
        var output = [UInt8](repeating: 0, count: min(limit + 1, max(16 * 1024, bytes.count * 4)))
        var produced = 0
        var consumed = 0
        while true {
            if produced == output.count {
                guard output.count <= limit else { throw .tooLarge(limit: limit) }
                output.append(contentsOf: repeatElement(0, count: min(limit + 1, output.count * 2) - output.count))
            }
            let (status, read, written) = bytes.withUnsafeBufferPointer { input in
                output.withUnsafeMutableBufferPointer { out in
                    stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress! + consumed)
                    stream.avail_in = uInt(input.count - consumed)
                    stream.next_out = out.baseAddress! + produced
                    stream.avail_out = uInt(out.count - produced)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    return (status, input.count - consumed - Int(stream.avail_in), out.count - produced - Int(stream.avail_out))
                }
            }
            consumed += read
            produced += written
            if produced > limit { throw .tooLarge(limit: limit) }
            switch status {
            case Z_STREAM_END:
                guard consumed < bytes.count else {
                    output.removeLast(output.count - produced)
                    return output
                }
                // Another member follows.
                guard inflateReset(&stream) == Z_OK else { throw .corrupt("inflateReset failed") }
            case Z_OK:
                continue
            case Z_BUF_ERROR:
                // No progress: the room ran out (it grows at the top of the loop) or the input did (truncated).
                if produced < output.count { throw .truncated }
            default:
                let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                throw .corrupt(message)
            }
        }
    }
}
