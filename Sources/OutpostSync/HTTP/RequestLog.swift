import Foundation
import OutpostModel
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The node's log: one line per answered request, and a line when the server starts and stops. As text:
///
///     http method=POST path=/v1/push status=200 bytes=812 in=311 ms=4.1 run=run_01J… reseller=acme peer=127.0.0.1
///
/// As JSON (`--log-format json`), one object per line with the same fields plus `time`, `level` and `event`
/// (`http.request`, `node.listening`, `node.stopping`, `node.stopped`); a field the request lacked is `null`.
///
/// A request record has no field for the token or any header, so neither can reach the log; values the client
/// chose (method, path, run id) are cut to 200 bytes and quoted by `LogLine` so they cannot forge fields or lines.
public struct RequestLog: Sendable {
    public let format: LogFormat
    let clock: any Clock
    let sink: @Sendable (String) -> Void

    /// A log in `format`, with times from `clock`, handing each line (without its line feed) to `write`.
    public init(format: LogFormat = .text, clock: any Clock = SystemClock(),
                write: @escaping @Sendable (String) -> Void = RequestLog.standardError) {
        self.format = format
        self.clock = clock
        sink = write
    }

    /// Logs one answered request.
    public func record(_ record: HTTPRequestRecord) {
        sink(line(record))
    }

    /// The line for one request.
    public func line(_ record: HTTPRequestRecord) -> String {
        func chosen(_ text: String?) -> JSONValue {
            guard let text else { return .null }
            return .string(String(decoding: text.utf8.prefix(200), as: UTF8.self))
        }
        let ms = record.seconds * 1000
        let fields: [(String, JSONValue)] = [
            ("method", chosen(record.method)),
            ("path", chosen(record.path)),
            ("status", .integer(Int64(record.status))),
            ("bytes", .integer(Int64(record.responseBytes))),
            ("in", .integer(Int64(record.requestBytes))),
            // One decimal: as text always shown ("4.0"), in JSON a number.
            ("ms", format == .text ? .string(String(format: "%.1f", ms)) : .double((ms * 10).rounded() / 10)),
            ("run", chosen(record.runId)),
            ("reseller", record.resellerId.map(JSONValue.string) ?? .null),
            ("peer", .string(record.peer)),
        ]
        switch format {
        case .text:
            return "http " + LogLine(fields).text
        case .json:
            return LogLine(head(record.status >= 500 ? "error" : "info", "http.request") + fields).json
        }
    }

    /// Logs a server event: `text` as it is in the text format, an object with `event` and `fields` in JSON.
    public func notice(_ event: String, _ text: String, level: String = "info", _ fields: [(String, JSONValue)] = []) {
        switch format {
        case .text: sink(text)
        case .json: sink(LogLine(head(level, event) + fields).json)
        }
    }

    func head(_ level: String, _ event: String) -> [(String, JSONValue)] {
        [("time", .string(clock.now().description)), ("level", .string(level)), ("event", .string(event))]
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
