/// A value as SQLite stores it: the five storage classes.
///
/// Every value reaches SQL as a bound parameter of this type; nothing is ever
/// interpolated into statement text.
public enum SQLValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])

    /// The integer, when this is one.
    public var int64: Int64? {
        if case .integer(let v) = self { return v }
        return nil
    }

    /// The text, when this is text.
    public var string: String? {
        if case .text(let v) = self { return v }
        return nil
    }

    /// Whether this is SQL NULL.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}

/// A Swift value that can be bound to a statement parameter.
public protocol SQLBindable: Sendable {
    /// The value as SQLite stores it.
    var sqlValue: SQLValue { get }
}

extension SQLValue: SQLBindable {
    public var sqlValue: SQLValue { self }
}

extension Int64: SQLBindable {
    public var sqlValue: SQLValue { .integer(self) }
}

extension Int: SQLBindable {
    public var sqlValue: SQLValue { .integer(Int64(self)) }
}

extension Bool: SQLBindable {
    public var sqlValue: SQLValue { .integer(self ? 1 : 0) }
}

extension String: SQLBindable {
    public var sqlValue: SQLValue { .text(self) }
}

extension Double: SQLBindable {
    public var sqlValue: SQLValue { .real(self) }
}

extension Optional: SQLBindable where Wrapped: SQLBindable {
    public var sqlValue: SQLValue {
        switch self {
        case .none: return .null
        case .some(let v): return v.sqlValue
        }
    }
}

/// JSON form, used where rows travel as text (the local queue's undo record,
/// changesets): integers and reals as numbers, text as strings, NULL as
/// null, blobs as `{"base64": "…"}`.
extension SQLValue: Codable {
    private enum BlobKey: String, CodingKey { case base64 }

    public init(from decoder: any Decoder) throws {
        if let object = try? decoder.container(keyedBy: BlobKey.self) {
            let text = try object.decode(String.self, forKey: .base64)
            guard let bytes = Base64.decode(text) else {
                throw DecodingError.dataCorruptedError(forKey: .base64, in: object, debugDescription: "invalid base64")
            }
            self = .blob(bytes)
            return
        }
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Int64.self) { self = .integer(value) }
        else if let value = try? container.decode(Double.self) { self = .real(value) }
        else { self = .text(try container.decode(String.self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        case .integer(let v):
            var container = encoder.singleValueContainer()
            try container.encode(v)
        case .real(let v):
            var container = encoder.singleValueContainer()
            try container.encode(v)
        case .text(let v):
            var container = encoder.singleValueContainer()
            try container.encode(v)
        case .blob(let v):
            var container = encoder.container(keyedBy: BlobKey.self)
            try container.encode(Base64.encode(v), forKey: .base64)
        }
    }
}

/// RFC 4648 base 64, small enough not to need Foundation here.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let b0 = bytes[index]
            let b1 = index + 1 < bytes.count ? bytes[index + 1] : 0
            let b2 = index + 2 < bytes.count ? bytes[index + 2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 3) << 4 | b1 >> 4)])
            out.append(index + 1 < bytes.count ? alphabet[Int((b1 & 15) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            out.append(index + 2 < bytes.count ? alphabet[Int(b2 & 63)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ text: String) -> [UInt8]? {
        var lookup = [Int16](repeating: -1, count: 256)
        for (value, byte) in alphabet.enumerated() { lookup[Int(byte)] = Int16(value) }
        let body = Array(text.utf8.filter { $0 != UInt8(ascii: "=") })
        guard text.utf8.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for byte in body {
            let value = lookup[Int(byte)]
            guard value >= 0 else { return nil }
            buffer = buffer << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((buffer >> UInt32(bits)) & 0xff))
            }
        }
        return out
    }
}

extension SQLValue {
    /// Texts as one JSON array, for `x IN (SELECT value FROM json_each(?))`: a list of any length
    /// bound as a single parameter, in sorted order so the statement text and argument are stable.
    public static func jsonArray(_ texts: some Collection<String>) -> SQLValue {
        var out = "["
        for (index, text) in texts.sorted().enumerated() {
            if index > 0 { out += "," }
            out += "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case _ where scalar.value < 0x20:
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                default: out.unicodeScalars.append(scalar)
                }
            }
            out += "\""
        }
        return .text(out + "]")
    }
}
