/// The request line and header fields of one HTTP/1.x request (RFC 9112), parsed strictly:
/// anything ambiguous is a 400, because a proxy in front might read it differently.
public struct HTTPRequestHead: Sendable, Equatable {
    public let method: String
    /// The request target as sent (`/v1/pull?x=1`).
    public let target: String
    /// The target's path: no query, no scheme and authority (`/v1/pull`).
    public let path: String
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    public let minorVersion: Int
    /// Header fields in order, names as sent.
    public let fields: [(name: String, value: String)]

    public static func == (lhs: HTTPRequestHead, rhs: HTTPRequestHead) -> Bool {
        lhs.method == rhs.method && lhs.target == rhs.target && lhs.minorVersion == rhs.minorVersion
            && lhs.fields.map(\.name) == rhs.fields.map(\.name) && lhs.fields.map(\.value) == rhs.fields.map(\.value)
    }

    /// Every value of a field, by case-insensitive name.
    public func values(_ name: String) -> [String] {
        fields.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }

    /// The field's value when it is given exactly once.
    public func value(_ name: String) -> String? {
        let all = values(name)
        return all.count == 1 ? all[0] : nil
    }

    /// Whether the connection stays open after the response: HTTP/1.1 unless `Connection: close`;
    /// HTTP/1.0 only with `Connection: keep-alive`.
    public var keepAlive: Bool {
        let options = values("connection").flatMap { $0.split(separator: ",") }.map { String($0).trimmed(of: " \t").lowercased() }
        if options.contains("close") { return false }
        return minorVersion >= 1 || options.contains("keep-alive")
    }

    /// Whether the client takes a gzip-coded answer (`Accept-Encoding`, RFC 9110 §12.5.3): `gzip` (or its old
    /// name `x-gzip`) with a weight above 0, or `*` above 0 where gzip is not named. No field: plain answers only.
    public var acceptsGzip: Bool {
        var gzip: Double?
        var anyCoding: Double?
        for item in values("accept-encoding").flatMap({ $0.split(separator: ",") }) {
            let parts = item.split(separator: ";").map { String($0).trimmed(of: " \t").lowercased() }
            guard let coding = parts.first, !coding.isEmpty else { continue }
            var weight = 1.0
            for parameter in parts.dropFirst() where parameter.hasPrefix("q=") {
                weight = Double(String(parameter.dropFirst(2)).trimmed(of: " \t")) ?? 0
            }
            if coding == "gzip" || coding == "x-gzip" {
                gzip = max(gzip ?? 0, weight)
            } else if coding == "*" {
                anyCoding = weight
            }
        }
        return (gzip ?? anyCoding ?? 0) > 0
    }

    // MARK: Parsing

    /// The index just past the empty line that ends a head starting at `start`, or `nil` when it has not all arrived.
    /// Lines end in CRLF; a bare LF is accepted too (RFC 9112 §2.2).
    static func end(in buffer: [UInt8], from start: Int, scannedTo scanned: inout Int) -> Int? {
        var index = max(start, scanned)
        while index < buffer.count {
            if buffer[index] == 0x0A {
                if index + 1 < buffer.count, buffer[index + 1] == 0x0A { return index + 2 }
                if index + 2 < buffer.count, buffer[index + 1] == 0x0D, buffer[index + 2] == 0x0A { return index + 3 }
                if index + 2 >= buffer.count { scanned = index; return nil }  // the blank line may still be arriving
            }
            index += 1
        }
        scanned = max(start, buffer.count - 1)
        return nil
    }

    /// Parses a complete head (request line, fields, the blank line).
    static func parse(_ bytes: ArraySlice<UInt8>) throws(HTTPError) -> HTTPRequestHead {
        var lines: [ArraySlice<UInt8>] = []
        var lineStart = bytes.startIndex
        for index in bytes.indices where bytes[index] == 0x0A {
            var line = bytes[lineStart..<index]
            if line.last == 0x0D { line = line.dropLast() }
            lines.append(line)
            lineStart = index + 1
        }
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard let requestLine = lines.first else { throw HTTPError.badRequest("the request line is missing") }
        if requestLine.contains(where: { $0 == 0x0D || $0 == 0 }) { throw HTTPError.badRequest("the request line contains a control character") }

        // method SP request-target SP HTTP-version, single spaces (RFC 9112 §3).
        let parts = requestLine.split(separator: 0x20, maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty, !parts[2].isEmpty else {
            throw HTTPError.badRequest("the request line must be 'METHOD /path HTTP/1.1'")
        }
        guard parts[0].allSatisfy(isTokenByte) else { throw HTTPError.badRequest("the method is not a token") }
        let method = String(decoding: parts[0], as: UTF8.self)
        guard parts[1].allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { throw HTTPError.badRequest("the request target contains a space or control character") }
        let target = String(decoding: parts[1], as: UTF8.self)
        let version = String(decoding: parts[2], as: UTF8.self)
        let minorVersion: Int
        switch version {
        case "HTTP/1.1": minorVersion = 1
        case "HTTP/1.0": minorVersion = 0
        default:
            let digits = Array(version.utf8)
            if digits.count == 8, version.hasPrefix("HTTP/"), digits[5].isDigit, digits[6] == 0x2E, digits[7].isDigit {
                throw HTTPError(status: 505, .malformed, "\(version) is not supported; this node speaks HTTP/1.1")
            }
            throw HTTPError.badRequest("the HTTP version '\(version.prefix(20))' is malformed")
        }
        guard let path = Self.path(of: target) else { throw HTTPError.badRequest("the request target must be an absolute path such as /v1/pull") }

        var fields: [(name: String, value: String)] = []
        for line in lines.dropFirst() {
            guard let first = line.first else { throw HTTPError.badRequest("an empty line inside the header fields") }
            if first == 0x20 || first == 0x09 { throw HTTPError.badRequest("folded header lines are not accepted") }
            guard let colon = line.firstIndex(of: 0x3A) else { throw HTTPError.badRequest("a header line without a colon") }
            let name = line[line.startIndex..<colon]
            guard !name.isEmpty, name.allSatisfy(isTokenByte) else {
                throw HTTPError.badRequest("a header name is not a token (no spaces before the colon)")
            }
            var value = line[(colon + 1)...]
            while let byte = value.first, byte == 0x20 || byte == 0x09 { value = value.dropFirst() }
            while let byte = value.last, byte == 0x20 || byte == 0x09 { value = value.dropLast() }
            guard value.allSatisfy({ $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }) else {
                throw HTTPError.badRequest("a header value contains a control character")
            }
            fields.append((String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
        }
        let head = HTTPRequestHead(method: method, target: target, path: path, minorVersion: minorVersion, fields: fields)
        if minorVersion == 1, head.values("host").count != 1 {
            throw HTTPError.badRequest("an HTTP/1.1 request needs exactly one Host header")
        }
        return head
    }

    /// The path of an origin-form (`/a?b`) or absolute-form (`http://host/a`) target; `nil` for other forms.
    static func path(of target: String) -> String? {
        var rest = Substring(target)
        if rest.hasPrefix("http://") || rest.hasPrefix("https://") {
            rest = rest[rest.index(after: rest.range(of: "://")!.upperBound)...]
            guard let slash = rest.firstIndex(of: "/") else { return "/" }
            rest = rest[slash...]
        }
        guard rest.hasPrefix("/") else { return nil }
        if let query = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) { rest = rest[..<query] }
        return String(rest)
    }

    /// `tchar` of RFC 9110 §5.6.2.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        case 0x21, 0x23, 0x24, 0x25, 0x26, 0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x5E, 0x5F, 0x60, 0x7C, 0x7E: return true
        default: return false
        }
    }
}

private extension UInt8 {
    var isDigit: Bool { self >= 0x30 && self <= 0x39 }
}

private extension String {
    func trimmed(of set: String) -> String {
        var scalars = Substring(self)
        while let first = scalars.first, set.contains(first) { scalars = scalars.dropFirst() }
        while let last = scalars.last, set.contains(last) { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
