#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a PostgreSQL store is: a libpq connection string, kept out of logs and argv.
///
/// Taken from the environment (`OUTPOST_NODE_STORE`) or from a file, never from the command line,
/// where `/proc/PID/cmdline` would show its password to every local user. Printing it shows
/// `display` — `postgresql://user@host:port/db`, without the password — and errors name the store
/// the same way.
public struct PostgresConnectionString: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The environment variable a node's store is read from.
    public static let environmentVariable = "OUTPOST_NODE_STORE"

    /// The text libpq gets; never printed.
    let text: String
    /// The password inside `text`, if any, blanked out of libpq's messages.
    let password: String?
    /// The store without credentials: `postgresql://user@host:port/db`.
    public let display: String

    /// A connection string was not one libpq takes.
    public struct Invalid: Error, Sendable, CustomStringConvertible {
        /// Where the text came from (`OUTPOST_NODE_STORE`, a file's path).
        public let source: String
        public let reason: String
        public var description: String { "\(source) is not a PostgreSQL connection string: \(reason)" }
    }

    /// Takes `text`, a `postgresql://` (or `postgres://`) URI or `key=value` pairs (PostgreSQL docs 34.1.1).
    public init(_ text: String, source: String = "the connection string") throws(Invalid) {
        let trimmed = Self.trimmed(text)
        guard !trimmed.isEmpty else { throw Invalid(source: source, reason: "it is empty") }
        let fields: [String: String]
        if trimmed.hasPrefix("postgresql://") || trimmed.hasPrefix("postgres://") {
            fields = Self.uriFields(trimmed)
        } else if trimmed.contains("=") {
            fields = Self.keywordFields(trimmed)
        } else {
            // The text itself is not repeated: it may be a password pasted in the wrong place.
            throw Invalid(source: source, reason: "expected postgresql://user@host/database or host=… dbname=…")
        }
        self.text = trimmed
        self.password = fields["password"].flatMap { $0.isEmpty ? nil : $0 }
        var display = "postgresql://"
        if let user = fields["user"], !user.isEmpty { display += "\(user)@" }
        display += fields["host"].flatMap { $0.isEmpty ? nil : $0 } ?? "localhost"
        if let port = fields["port"], !port.isEmpty { display += ":\(port)" }
        display += "/\(fields["dbname"] ?? "")"
        self.display = display
    }

    /// The connection string in `OUTPOST_NODE_STORE`, or `nil` when it is not set.
    public static func fromEnvironment(_ name: String = environmentVariable) throws(Invalid) -> PostgresConnectionString? {
        guard let value = getenv(name) else { return nil }
        return try PostgresConnectionString(String(cString: value), source: name)
    }

    /// The connection string in a file (its first line; a trailing newline is ignored).
    public static func fromFile(_ path: String) throws(Invalid) -> PostgresConnectionString {
        guard let file = fopen(path, "r") else {
            throw Invalid(source: path, reason: "it cannot be read (\(String(cString: strerror(errno))))")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count <= 0 { break }
            bytes += buffer[0..<count]
            guard bytes.count <= 65536 else { throw Invalid(source: path, reason: "it is larger than 64 KiB") }
        }
        let text = String(decoding: bytes, as: UTF8.self)
        let firstLine = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        return try PostgresConnectionString(firstLine, source: path)
    }

    /// Whether the connection string carries a password (`user:pw@`, `password=`, `?password=`): such a
    /// string must not come from the command line, where every local user reads it in `/proc/PID/cmdline`.
    public var hasPassword: Bool { password != nil }

    /// The text itself, password included, for writing the node's `store` file (mode 0600) and nothing else:
    /// never print it, log it or pass it in argv.
    public var connectionText: String { text }

    public var description: String { display }
    public var debugDescription: String { display }

    /// `text` with the password, wherever it appears, replaced by `***`.
    func redacting(_ text: String) -> String {
        guard let password, text.contains(password) else { return text }
        return text.replacingAll(password, with: "***")
    }

    // MARK: Parsing, for display only; libpq parses the real thing.

    private static func trimmed(_ text: String) -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let start = text.firstIndex(where: { !isSpace($0) }), let end = text.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(text[start...end])
    }

    /// `postgresql://[user[:password]@][host][:port][/dbname][?key=value&…]`
    static func uriFields(_ uri: String) -> [String: String] {
        var rest = Substring(uri[uri.firstRange(of: "://")!.upperBound...])
        var fields: [String: String] = [:]
        var query: Substring = ""
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        var authority = rest
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            fields["dbname"] = percentDecoded(rest[rest.index(after: slash)...])
        }
        if let at = authority.lastIndex(of: "@") {
            let userinfo = authority[..<at]
            authority = authority[authority.index(after: at)...]
            if let colon = userinfo.firstIndex(of: ":") {
                fields["user"] = percentDecoded(userinfo[..<colon])
                fields["password"] = percentDecoded(userinfo[userinfo.index(after: colon)...])
            } else {
                fields["user"] = percentDecoded(userinfo)
            }
        }
        // host[:port]; an IPv6 host is bracketed.
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            fields["host"] = String(authority[...close])
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { fields["port"] = String(after.dropFirst()) }
        } else if let colon = authority.lastIndex(of: ":") {
            fields["host"] = percentDecoded(authority[..<colon])
            fields["port"] = String(authority[authority.index(after: colon)...])
        } else if !authority.isEmpty {
            fields["host"] = percentDecoded(authority)
        }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { continue }
            fields[percentDecoded(parts[0])] = percentDecoded(parts[1])
        }
        return fields
    }

    /// `key = value key2 = 'quoted \' value'`
    static func keywordFields(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        var characters = Array(text)[...]
        func skipSpaces() { while let first = characters.first, first == " " || first == "\t" || first == "\n" { characters.removeFirst() } }
        while true {
            skipSpaces()
            guard !characters.isEmpty else { break }
            var key = ""
            while let first = characters.first, first != "=", first != " ", first != "\t" { key.append(characters.removeFirst()) }
            skipSpaces()
            guard characters.first == "=" else { break }
            characters.removeFirst()
            skipSpaces()
            var value = ""
            if characters.first == "'" {
                characters.removeFirst()
                while let first = characters.first {
                    characters.removeFirst()
                    if first == "\\", let escaped = characters.first { value.append(escaped); characters.removeFirst() }
                    else if first == "'" { break }
                    else { value.append(first) }
                }
            } else {
                while let first = characters.first, first != " ", first != "\t", first != "\n" {
                    characters.removeFirst()
                    if first == "\\", let escaped = characters.first { value.append(escaped); characters.removeFirst() }
                    else { value.append(first) }
                }
            }
            fields[key] = value
        }
        return fields
    }

    private static func percentDecoded(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.first {
            utf8.removeFirst()
            if byte == UInt8(ascii: "%"), utf8.count >= 2,
               let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                utf8.removeFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension String {
    /// Every occurrence of `target` replaced (no Foundation in this module).
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
