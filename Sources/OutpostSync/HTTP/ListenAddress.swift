#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where `outpost node serve` listens: `HOST:PORT`, with `[::1]:PORT` for IPv6 and port 0 for any free port.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public let host: String
    public let port: Int

    public static let `default` = ListenAddress(host: "127.0.0.1", port: 8740)

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// A `--listen` value that cannot be used, saying which part is wrong.
    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// Parses `HOST:PORT`, `[IPv6]:PORT`.
    public static func parse(_ text: String) throws(Invalid) -> ListenAddress {
        guard let colon = text.lastIndex(of: ":") else {
            throw Invalid(message: "listen address '\(text)' needs a port: HOST:PORT, such as 127.0.0.1:8740")
        }
        var host = String(text[..<colon])
        let portText = text[text.index(after: colon)...]
        guard let port = Int(portText), (0...65535).contains(port), portText.allSatisfy(\.isASCII) else {
            throw Invalid(message: "listen address '\(text)': port '\(portText)' must be a number from 0 to 65535")
        }
        if host.hasPrefix("[") {
            guard host.hasSuffix("]"), host.count > 2 else { throw Invalid(message: "listen address '\(text)': IPv6 hosts are written [::1]:PORT") }
            host = String(host.dropFirst().dropLast())
        } else if host.contains(":") {
            throw Invalid(message: "listen address '\(text)': write IPv6 hosts in brackets, as [::1]:\(port)")
        }
        guard !host.isEmpty else {
            throw Invalid(message: "listen address '\(text)' has no host; use 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)")
        }
        guard host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".-:%_".contains($0)) }) else {
            throw Invalid(message: "listen address '\(text)': '\(host)' is not a host name or IP address")
        }
        return ListenAddress(host: host, port: port)
    }

    /// `127.0.0.1:8740`, `[::1]:8740`.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// `http://127.0.0.1:8740/`
    public var url: String { "http://\(description)/" }
}
