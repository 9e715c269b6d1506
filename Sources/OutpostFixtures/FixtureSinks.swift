import Foundation
import OutpostStore
import OutpostModel

/// The tables the generator writes, parents before children.
enum FixtureTable: String, CaseIterable {
    case settings, plan, price_rule, panel_user, login_event, customer, customer_user, orders, order_line, subscription
    case invoice, invoice_line, credit_note, credit_note_line, payment, domain, ssl_certificate, license

    var index: Int {
        switch self {
        case .settings: return 0
        case .plan: return 1
        case .price_rule: return 2
        case .panel_user: return 3
        case .login_event: return 4
        case .customer: return 5
        case .customer_user: return 6
        case .orders: return 7
        case .order_line: return 8
        case .subscription: return 9
        case .invoice: return 10
        case .invoice_line: return 11
        case .credit_note: return 12
        case .credit_note_line: return 13
        case .payment: return 14
        case .domain: return 15
        case .ssl_certificate: return 16
        case .license: return 17
        }
    }
}

/// Where generated rows go. One generator feeds both implementations, so a
/// database and an NDJSON file made from the same seed hold the same rows.
protocol FixtureSink {
    /// One row, columns in schema order. `upsert` marks rows a fresh schema
    /// may already hold (the settings row, the default price rule, plans).
    mutating func emit(_ table: FixtureTable, _ values: [(String, any SQLBindable)], upsert: Bool) throws
}

/// Inserts through a `MutationContext` (node authority, no change recording),
/// whose statements the connection caches and reuses.
struct DatabaseFixtureSink: FixtureSink {
    let context: MutationContext

    mutating func emit(_ table: FixtureTable, _ values: [(String, any SQLBindable)], upsert: Bool) throws {
        if upsert, let id = values.first?.1.sqlValue.string, try context.fetch(table.rawValue, id: id) != nil {
            try context.update(table.rawValue, id: id, Array(values.dropFirst()))
        } else {
            try context.insert(table.rawValue, values)
        }
    }
}

/// Newline-delimited JSON: `{"table":"customer","row":{…}}` per line, keys in
/// schema column order, written by hand so the bytes never depend on a
/// serializer's choices.
struct NDJSONFixtureSink: FixtureSink {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private static let flushSize = 1 << 20

    init(handle: FileHandle) {
        self.handle = handle
        buffer.reserveCapacity(Self.flushSize + 64 * 1024)
    }

    mutating func emit(_ table: FixtureTable, _ values: [(String, any SQLBindable)], upsert: Bool) throws {
        append(#"{"table":""#)
        append(table.rawValue)
        append(#"","row":{"#)
        for (offset, (column, value)) in values.enumerated() {
            if offset > 0 { buffer.append(UInt8(ascii: ",")) }
            buffer.append(UInt8(ascii: "\""))
            append(column)
            append("\":")
            JSONText.append(value.sqlValue, to: &buffer)
        }
        append("}}\n")
        if buffer.count >= Self.flushSize { try flush() }
    }

    mutating func flush() throws {
        guard !buffer.isEmpty else { return }
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    private mutating func append(_ text: String) {
        buffer.append(contentsOf: text.utf8)
    }
}

/// JSON values written by hand: exact, and the same bytes on every platform.
enum JSONText {
    private static let hex = Array("0123456789abcdef".utf8)

    static func append(_ value: SQLValue, to buffer: inout [UInt8]) {
        switch value {
        case .null: buffer.append(contentsOf: "null".utf8)
        case .integer(let number): appendInteger(number, to: &buffer)
        case .real(let number): buffer.append(contentsOf: (number.isFinite ? "\(number)" : "null").utf8)
        case .text(let text): appendString(text, to: &buffer)
        case .blob(let bytes):
            buffer.append(contentsOf: #"{"base64":"#.utf8)
            appendString(Base64Text.encode(bytes), to: &buffer)
            buffer.append(UInt8(ascii: "}"))
        }
    }

    static func appendInteger(_ number: Int64, to buffer: inout [UInt8]) {
        // Up to 20 characters: a small string, no allocation.
        buffer.append(contentsOf: String(number).utf8)
    }

    /// A JSON string: `"` and `\` escaped, control characters as `\n`, `\t`… or `\u00XX`; other UTF-8 as is.
    static func appendString(_ text: String, to buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): buffer.append(UInt8(ascii: "\\")); buffer.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): buffer.append(UInt8(ascii: "\\")); buffer.append(UInt8(ascii: "\\"))
            case 0x0A: buffer.append(UInt8(ascii: "\\")); buffer.append(UInt8(ascii: "n"))
            case 0x0D: buffer.append(UInt8(ascii: "\\")); buffer.append(UInt8(ascii: "r"))
            case 0x09: buffer.append(UInt8(ascii: "\\")); buffer.append(UInt8(ascii: "t"))
            case 0x08: buffer.append(UInt8(ascii: "\\")); buffer.append(UInt8(ascii: "b"))
            case 0x0C: buffer.append(UInt8(ascii: "\\")); buffer.append(UInt8(ascii: "f"))
            case 0..<0x20:
                buffer.append(contentsOf: "\\u00".utf8)
                buffer.append(hex[Int(byte >> 4)])
                buffer.append(hex[Int(byte & 15)])
            default: buffer.append(byte)
            }
        }
        buffer.append(UInt8(ascii: "\""))
    }

    /// `text` as a JSON string literal.
    static func string(_ text: String) -> String {
        var buffer: [UInt8] = []
        appendString(text, to: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}

/// RFC 4648 base 64 (blobs never occur in fixtures; kept so every `SQLValue` has a JSON form).
enum Base64Text {
    static func encode(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }
}
