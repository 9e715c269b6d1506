import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The node's request log: one `key=value` line per answered request, such as
///
///     http method=POST path=/v1/push status=200 bytes=812 ms=4.1 run=run_01J… reseller=acme peer=127.0.0.1
///
/// It has no field for the token or any header, so neither can reach it; values the client chose (path, run id)
/// are quoted and escaped so they cannot forge fields or lines.
public enum RequestLog {
    /// The line for one request.
    public static func line(_ record: HTTPRequestRecord) -> String {
        let fields: [(String, String)] = [
            ("method", record.method ?? "-"),
            ("path", record.path ?? "-"),
            ("status", String(record.status)),
            ("bytes", String(record.responseBytes)),
            ("in", String(record.requestBytes)),
            ("ms", String(format: "%.1f", record.seconds * 1000)),
            ("run", record.runId ?? "-"),
            ("reseller", record.resellerId ?? "-"),
            ("peer", record.peer),
        ]
        return "http " + fields.map { "\($0.0)=\(value($0.1))" }.joined(separator: " ")
    }

    /// A value as is when it is plain; otherwise quoted, with `"`, `\` and non-printable bytes escaped. At most 200 bytes.
    static func value(_ text: String) -> String {
        let bytes = Array(text.utf8.prefix(200))
        let plain = !bytes.isEmpty && bytes.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || "-._~/:@%+,".utf8.contains(byte)
        }
        if plain { return String(decoding: bytes, as: UTF8.self) }
        var quoted = "\""
        for byte in bytes {
            switch byte {
            case 0x22: quoted += "\\\""
            case 0x5C: quoted += "\\\\"
            case 0x20...0x7E: quoted.unicodeScalars.append(Unicode.Scalar(byte))
            default: quoted += String(format: "\\x%02x", byte)
            }
        }
        return quoted + "\""
    }

    /// Writes whole lines to standard error, one `write(2)` each, so lines from many connections never interleave.
    public static let standardError: @Sendable (String) -> Void = { line in
        let bytes = Array((line + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw in write(2, raw.baseAddress! + offset, raw.count - offset) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }
}
