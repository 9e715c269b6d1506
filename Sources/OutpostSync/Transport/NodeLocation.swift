import Foundation

/// Where a replica's node is: a directory, an `http(s)://` URL, or `ssh://[user@]host[:port]/path`.
public enum NodeLocation: Sendable, Equatable, CustomStringConvertible {
    case directory(String)
    case http(URL)
    /// `destination` is `[user@]host`; `port` is given to ssh as `-p` (its own default, 22, when `nil`).
    case ssh(destination: String, port: Int?, path: String)

    /// A location that cannot be used, naming the part that is wrong.
    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    public static func parse(_ text: String) throws -> NodeLocation {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw Invalid(message: "the node location is empty") }
        if let schemeEnd = trimmed.range(of: "://") {
            let scheme = trimmed[..<schemeEnd.lowerBound].lowercased()
            switch scheme {
            case "http", "https":
                guard let url = URL(string: trimmed), let host = url.host, !host.isEmpty else {
                    throw Invalid(message: "node URL '\(trimmed)' has no host (expected \(scheme)://host:port/)")
                }
                if let port = url.port, !(1...65535).contains(port) {
                    throw Invalid(message: "node URL '\(trimmed)': port \(port) is out of range")
                }
                guard url.query == nil, url.fragment == nil else {
                    throw Invalid(message: "node URL '\(trimmed)' must not have a query or fragment")
                }
                return .http(url)
            case "ssh":
                let rest = trimmed[schemeEnd.upperBound...]
                guard let slash = rest.firstIndex(of: "/") else {
                    throw Invalid(message: "ssh location '\(trimmed)' has no path (expected ssh://[user@]host/path/to/node)")
                }
                var destination = String(rest[..<slash])
                let path = String(rest[slash...])
                var port: Int?
                if let colon = destination.lastIndex(of: ":") {
                    let text = destination[destination.index(after: colon)...]
                    guard let number = Int(text), (1...65535).contains(number) else {
                        throw Invalid(message: "ssh location '\(trimmed)': port '\(text)' is not a port number (1 to 65535)")
                    }
                    port = number
                    destination = String(destination[..<colon])
                }
                guard !destination.isEmpty, !destination.hasPrefix("-"), destination.allSatisfy({ $0.isLetter || $0.isNumber || "@.-_".contains($0) }) else {
                    throw Invalid(message: "ssh location '\(trimmed)': host '\(destination)' is not a host name")
                }
                guard path.count > 1 else { throw Invalid(message: "ssh location '\(trimmed)' has an empty path") }
                // The path is quoted for the remote shell; a control character could still end the command line there.
                guard !path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
                    throw Invalid(message: "ssh location '\(trimmed)': the path contains a control character")
                }
                return .ssh(destination: destination, port: port, path: path)
            default:
                throw Invalid(message: "node location '\(trimmed)': scheme '\(scheme)' is not supported (use a directory, http://, https:// or ssh://)")
            }
        }
        return .directory(trimmed)
    }

    public var description: String {
        switch self {
        case .directory(let path): return path
        case .http(let url): return url.absoluteString
        case let .ssh(destination, port, path): return "ssh://\(destination)\(port.map { ":\($0)" } ?? "")\(path)"
        }
    }
}
