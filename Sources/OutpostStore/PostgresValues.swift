import CLibPQ

/// Type OIDs from PostgreSQL's `pg_type` (stable across versions: src/include/catalog/pg_type.dat).
enum PostgresType {
    static let bool: Oid = 16
    static let bytea: Oid = 17
    static let int8: Oid = 20
    static let int2: Oid = 21
    static let int4: Oid = 23
    static let oid: Oid = 26
    static let float4: Oid = 700
    static let float8: Oid = 701
    static let numeric: Oid = 1700
}

/// Bound values laid out for `PQexecParams`.
///
/// Integers go as `int8`, reals as `float8` and blobs as `bytea`, all in binary format (exact, nothing
/// formatted or parsed); text goes as text with type `unknown` (OID 0), so the server takes its type
/// from where it is used — as SQLite's column affinity does — and `?` may stand for a text, a date
/// or a number written as text.
struct PostgresParameters {
    private(set) var types: [Oid] = []
    private(set) var values: [UnsafePointer<CChar>?] = []
    private(set) var lengths: [Int32] = []
    private(set) var formats: [Int32] = []
    private var owned: [UnsafeMutablePointer<CChar>] = []

    init(_ arguments: [SQLValue]) {
        for argument in arguments {
            switch argument {
            case .null:
                append(type: 0, bytes: nil, format: 0)
            case .integer(let value):
                append(type: PostgresType.int8, bytes: withUnsafeBytes(of: value.bigEndian) { Array($0) }, format: 1)
            case .real(let value):
                append(type: PostgresType.float8, bytes: withUnsafeBytes(of: value.bitPattern.bigEndian) { Array($0) }, format: 1)
            case .text(let value):
                append(type: 0, bytes: Array(value.utf8), format: 0)
            case .blob(let value):
                append(type: PostgresType.bytea, bytes: value, format: 1)
            }
        }
    }

    private mutating func append(type: Oid, bytes: [UInt8]?, format: Int32) {
        types.append(type)
        formats.append(format)
        guard let bytes else {
            values.append(nil)
            lengths.append(0)
            return
        }
        // One byte more than needed: a NUL for text format, and never a NULL pointer for an empty blob
        // (a NULL value pointer would mean SQL NULL).
        let copy = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
        bytes.withUnsafeBytes { raw in
            copy.withMemoryRebound(to: UInt8.self, capacity: bytes.count + 1) { target in
                if let base = raw.baseAddress { target.update(from: base.assumingMemoryBound(to: UInt8.self), count: bytes.count) }
                target[bytes.count] = 0
            }
        }
        owned.append(copy)
        values.append(UnsafePointer(copy))
        lengths.append(Int32(bytes.count))
    }

    /// Frees the copies; call once, after the statement ran.
    func deallocate() {
        for pointer in owned { pointer.deallocate() }
    }
}

/// A `PGresult`, cleared when the last reference goes away; reads values as `SQLValue`.
///
/// Results arrive in text format and are mapped by the column's type OID: int2/int4/int8/oid to
/// integers; float4/float8 to reals; numeric to an integer when it is whole and fits 64 bits (PostgreSQL's
/// `sum(bigint)` is numeric where SQLite's `sum` is an integer), to a real when it has a fraction (as
/// SQLite's `avg`), and to text when it is whole but too large; bool to 0/1; bytea to a blob; everything
/// else (text, varchar, dates, json…) to text.
final class PostgresResult {
    private let libpq: LibPQ
    let result: OpaquePointer
    let count: Int
    let columnNames: [String]
    private let columnTypes: [Oid]

    init(libpq: LibPQ, result: OpaquePointer) {
        self.libpq = libpq
        self.result = result
        count = Int(libpq.ntuples(result))
        let fields = libpq.nfields(result)
        columnNames = (0..<fields).map { libpq.fname(result, $0).map { String(cString: $0) } ?? "?column?" }
        columnTypes = (0..<fields).map { libpq.ftype(result, $0) }
    }

    deinit {
        libpq.clear(result)
    }

    /// A diagnostic field of an error result (`PG_DIAG_SQLSTATE`…).
    func errorField(_ code: Int32) -> String? {
        libpq.resultErrorField(result, code).map { String(cString: $0) }
    }

    func value(row: Int, column: Int) -> SQLValue {
        let r = Int32(row), c = Int32(column)
        guard libpq.getisnull(result, r, c) == 0, let pointer = libpq.getvalue(result, r, c) else { return .null }
        let length = Int(libpq.getlength(result, r, c))
        let bytes = UnsafeRawBufferPointer(start: pointer, count: length).bindMemory(to: UInt8.self)
        return PostgresResult.decode(bytes, type: columnTypes[column])
    }

    func row(_ index: Int) -> Row {
        Row(columns: columnNames, values: (0..<columnNames.count).map { value(row: index, column: $0) })
    }

    func rows() -> [Row] {
        (0..<count).map(row)
    }

    /// One value in PostgreSQL's text format, as `SQLValue`.
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, type: Oid) -> SQLValue {
        let text = String(decoding: bytes, as: UTF8.self)
        switch type {
        case PostgresType.int2, PostgresType.int4, PostgresType.int8, PostgresType.oid:
            return Int64(text).map(SQLValue.integer) ?? .text(text)
        case PostgresType.float4, PostgresType.float8:
            return Double(text).map(SQLValue.real) ?? .text(text)
        case PostgresType.numeric:
            if !text.contains(".") && !text.contains("e") && !text.contains("E") {
                if let whole = Int64(text) { return .integer(whole) }
                if text == "NaN" { return .real(.nan) }
                return .text(text)
            }
            return Double(text).map(SQLValue.real) ?? .text(text)
        case PostgresType.bool:
            return .integer(text == "t" ? 1 : 0)
        case PostgresType.bytea:
            return decodeHexBytea(bytes).map(SQLValue.blob) ?? .text(text)
        default:
            return .text(text)
        }
    }

    /// `\x0a1b…` (bytea_output = hex) to bytes; `nil` for anything else.
    static func decodeHexBytea(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "\\"), bytes[1] == UInt8(ascii: "x"), bytes.count % 2 == 0 else { return nil }
        func nibble(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count - 2) / 2)
        var index = 2
        while index < bytes.count {
            guard let high = nibble(bytes[index]), let low = nibble(bytes[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }
}
