import OutpostStore

/// A 128-bit fingerprint of what a page or file was made from, for incremental builds.
///
/// Two independent 64-bit multiply-xor lanes over the bytes, with every
/// value length-prefixed so `("ab", "c")` and `("a", "bc")` differ. Not a
/// cryptographic hash: it only has to notice accidental changes, fast enough
/// to fingerprint every row of a 100,000-customer replica on each build.
public struct ContentHash: Sendable, Hashable, CustomStringConvertible {
    private var a: UInt64 = 0xcbf2_9ce4_8422_2325
    private var b: UInt64 = 0x8422_2325_cbf2_9ce4

    public init() {}

    /// Adds raw bytes, eight at a time (pages are hashed whole on every build).
    @inline(__always)
    public mutating func add(bytes: UnsafeRawBufferPointer) {
        var a = self.a, b = self.b
        let count = bytes.count
        var offset = 0
        if let base = bytes.baseAddress {
            while offset + 8 <= count {
                let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                a = (a ^ word) &* 0x0000_0100_0000_01b3
                a ^= a >> 32
                b = (b ^ word) &* 0x9e37_79b9_7f4a_7c15
                b ^= b >> 29
                offset += 8
            }
            while offset < count {
                let byte = UInt64(base.load(fromByteOffset: offset, as: UInt8.self))
                a = (a ^ byte) &* 0x0000_0100_0000_01b3
                b = (b ^ byte) &* 0x9e37_79b9_7f4a_7c15
                b ^= b >> 29
                offset += 1
            }
        }
        self.a = a
        self.b = b
    }

    /// Adds an integer (8 bytes, little-endian).
    public mutating func add(_ value: Int64) {
        withUnsafeBytes(of: value.littleEndian) { add(bytes: $0) }
    }

    /// Adds an integer.
    public mutating func add(_ value: Int) { add(Int64(value)) }

    /// Adds a string, length first.
    public mutating func add(_ text: String) {
        var text = text
        add(Int64(text.utf8.count))
        text.withUTF8 { add(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// Adds a stored value with its type.
    public mutating func add(_ value: SQLValue) {
        switch value {
        case .null: add(Int64(-1))
        case .integer(let v): add(Int64(1)); add(v)
        case .real(let v): add(Int64(2)); add(Int64(bitPattern: v.bitPattern))
        case .text(let v): add(Int64(3)); add(v)
        case .blob(let v): add(Int64(4)); add(Int64(v.count)); v.withUnsafeBytes { add(bytes: $0) }
        }
    }

    /// Adds every value of a row, in column order.
    public mutating func add(_ row: Row) {
        add(Int64(row.values.count))
        for value in row.values { add(value) }
    }

    /// Adds another fingerprint.
    public mutating func add(_ other: ContentHash) {
        add(Int64(bitPattern: other.a))
        add(Int64(bitPattern: other.b))
    }

    /// The fingerprint of some bytes.
    public static func of(_ bytes: [UInt8]) -> ContentHash {
        var hash = ContentHash()
        hash.add(Int64(bytes.count))
        bytes.withUnsafeBytes { hash.add(bytes: $0) }
        return hash
    }

    /// 32 hexadecimal digits.
    public var description: String { Self.hex(a) + Self.hex(b) }

    /// Reads the 32-digit form back.
    init?(hex text: Substring) {
        guard text.utf8.count == 32, let high = UInt64(text.prefix(16), radix: 16), let low = UInt64(text.suffix(16), radix: 16) else { return nil }
        a = high
        b = low
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
