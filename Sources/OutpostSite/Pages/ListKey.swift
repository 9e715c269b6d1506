/// One part of a list's sort order.
enum KeyPart {
    /// Ascending by UTF-8 bytes (SQLite's BINARY collation).
    case ascending(String)
    /// Ascending ignoring ASCII case (SQLite's NOCASE collation).
    case ignoringCase(String)
    /// Descending by UTF-8 bytes.
    case descending(String)
    /// Ascending by value (SQLite's INTEGER order).
    case ascendingNumber(Int64)
    /// Descending by value.
    case descendingNumber(Int64)
}

/// Sort keys as bytes: comparing two keys byte by byte orders them as the
/// list orders its rows, so the list store can keep a list sorted with a
/// plain `ORDER BY key`.
///
/// Each text is written with 0x00 and 0x01 escaped (as 0x01 0x01 and 0x01
/// 0x02) and ended by 0x00, so a shorter text sorts before every longer one
/// it begins; a descending part is the same bytes complemented.
enum ListKey {
    static func make(_ parts: [KeyPart]) -> [UInt8] {
        var key: [UInt8] = []
        for part in parts {
            switch part {
            case .ascending(let text): append(text.utf8, to: &key, lower: false, complement: false)
            case .ignoringCase(let text): append(text.utf8, to: &key, lower: true, complement: false)
            case .descending(let text): append(text.utf8, to: &key, lower: false, complement: true)
            case .ascendingNumber(let value): append(value, to: &key, complement: false)
            case .descendingNumber(let value): append(value, to: &key, complement: true)
            }
        }
        return key
    }

    /// Eight bytes, most significant first, with the sign bit flipped so negative numbers sort first.
    private static func append(_ value: Int64, to key: inout [UInt8], complement: Bool) {
        let bits = UInt64(bitPattern: value) ^ (1 << 63)
        for shift in stride(from: 56, through: 0, by: -8) {
            let byte = UInt8(truncatingIfNeeded: bits >> UInt64(shift))
            key.append(complement ? ~byte : byte)
        }
    }

    private static func append(_ text: String.UTF8View, to key: inout [UInt8], lower: Bool, complement: Bool) {
        func put(_ byte: UInt8) { key.append(complement ? ~byte : byte) }
        for var byte in text {
            if lower, byte >= 65, byte <= 90 { byte += 32 }
            if byte <= 1 {
                put(1)
                put(byte + 1)
            } else {
                put(byte)
            }
        }
        put(0)
    }
}

/// Where a list's pages begin, so that every page but the last holds between
/// half and all of `pageSize` rows.
///
/// A page ends before a row once it holds `pageSize / 2` rows and that row's id
/// hashes to a multiple of `modulus`, or when it holds `pageSize` rows. The cut
/// depends only on the page's first row and the rows after it, never on the
/// rows before, so where a list changes the pages before the change keep their
/// rows, and the cuts after it fall back onto the old ones within a page or two
/// (a cut chosen by an id is the same cut whatever came before, once a page
/// reaches it). An insert or a delete therefore rewrites the page it is on, and
/// its neighbour when the cut moves (about one change in `modulus`); see
/// `PagedList.replace`. Page sizes average about `pageSize / 2 + modulus`.
struct ListChunker {
    static let pageSize = 100
    static let modulus: UInt64 = 16

    static func hash(_ id: String) -> UInt64 {
        // FNV-1a: stable across runs and platforms (Swift's Hasher is seeded per process).
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in id.utf8 {
            value ^= UInt64(byte)
            value = value &* 0x0000_0100_0000_01b3
        }
        return value
    }

    /// Whether a page that holds enough rows may end before the row `id`.
    static func isCut(_ id: String) -> Bool { hash(id) % modulus == 0 }

    /// Rows in the page so far.
    private(set) var count = 0

    /// Whether a row with `id` starts a new page, given the rows before it; counts it in.
    mutating func startsPage(_ id: String) -> Bool {
        let starts = count == 0 || count >= Self.pageSize || (count >= Self.pageSize / 2 && Self.isCut(id))
        count = starts ? 1 : count + 1
        return starts
    }
}

/// Cells as bytes for the list store: a tag, then lengths and UTF-8 texts.
enum CellCodec {
    static func encode(_ cells: [Cell]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(cells.count * 24)
        putInt(Int64(cells.count), &out)
        for cell in cells {
            switch cell {
            case .text(let v): out.append(1); putText(v, &out)
            case .link(let href, let label): out.append(2); putText(href, &out); putText(label, &out)
            case .money(let v): out.append(3); putInt(v, &out)
            case .number(let v): out.append(4); putInt(v, &out)
            case .date(let v): out.append(v == nil ? 5 : 6); if let v { putText(v, &out) }
            case .timestamp(let v): out.append(v == nil ? 7 : 8); if let v { putText(v, &out) }
            case .status(let v): out.append(9); putText(v, &out)
            case .percent(let v): out.append(v == nil ? 10 : 11); if let v { putInt(Int64(v), &out) }
            case let .output(text, output): out.append(13); putText(text, &out); putText(output, &out)
            case .email(let v): out.append(14); putText(v, &out)
            case .custom(_, let text):
                // Lists hold no custom cells but the blank one; keep its text.
                out.append(12); putText(text, &out)
            }
        }
        return out
    }

    static func decode(_ bytes: [UInt8]) -> [Cell] {
        var index = 0
        func int() -> Int64 {
            var value: UInt64 = 0, shift: UInt64 = 0
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                value |= UInt64(byte & 0x7f) << shift
                if byte < 0x80 { break }
                shift += 7
            }
            // Zig-zag back to signed.
            return Int64(bitPattern: (value >> 1) ^ (0 &- (value & 1)))
        }
        func text() -> String {
            let length = Int(int())
            let end = min(bytes.count, index + length)
            defer { index = end }
            return String(decoding: bytes[index..<end], as: UTF8.self)
        }
        let count = Int(int())
        var cells: [Cell] = []
        cells.reserveCapacity(count)
        for _ in 0..<count where index < bytes.count {
            let tag = bytes[index]
            index += 1
            switch tag {
            case 1: cells.append(.text(text()))
            case 2: let href = text(); cells.append(.link(href, text()))
            case 3: cells.append(.money(int()))
            case 4: cells.append(.number(int()))
            case 5: cells.append(.date(nil))
            case 6: cells.append(.date(text()))
            case 7: cells.append(.timestamp(nil))
            case 8: cells.append(.timestamp(text()))
            case 9: cells.append(.status(text()))
            case 10: cells.append(.percent(nil))
            case 11: cells.append(.percent(Int(int())))
            case 13: let message = text(); cells.append(.output(message, text()))
            case 14: cells.append(.email(text()))
            default: cells.append(.custom(.empty, text()))
            }
        }
        return cells
    }

    private static func putInt(_ value: Int64, _ out: inout [UInt8]) {
        var zigzag = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        while zigzag >= 0x80 {
            out.append(UInt8(zigzag & 0x7f) | 0x80)
            zigzag >>= 7
        }
        out.append(UInt8(zigzag))
    }

    private static func putText(_ text: String, _ out: inout [UInt8]) {
        putInt(Int64(text.utf8.count), &out)
        out.append(contentsOf: text.utf8)
    }
}
