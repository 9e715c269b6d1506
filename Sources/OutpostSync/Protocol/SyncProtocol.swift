import OutpostModel
import OutpostStore

/// Version, limits and errors of the sync protocol (see sync/PROTOCOL.md).
public enum SyncProtocol {
    /// The protocol version every message carries.
    public static let version: Int64 = 1
    /// The largest request body a node reads.
    public static let maximumRequestBytes = 16 * 1024 * 1024
    /// The most mutations one push may carry.
    public static let maximumPushMutations = 1000
    /// Pull pages are cut after about this many bytes unless the replica asks for less.
    public static let defaultPageBytes = 1024 * 1024
    public static let maximumPageBytes = 8 * 1024 * 1024
    public static let minimumPageBytes = 1024
}

/// A protocol error: a stable code, a message for people, and the HTTP status that goes with it.
public struct SyncError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, CaseIterable {
        /// Not JSON, or a field missing or of the wrong type.
        case malformed
        /// The message's `protocol` is not one this node speaks.
        case unsupportedProtocol = "unsupported_protocol"
        /// The body is larger than the node accepts.
        case tooLarge = "too_large"
        /// No token, or a token that is unknown or revoked.
        case unauthorized
        /// A push whose first new seq does not follow the last one the node has.
        case seqGap = "seq_gap"
        /// A resent seq names a different mutation than the one the node has a verdict for.
        case seqReused = "seq_reused"
        /// The operation or path does not exist.
        case notFound = "not_found"
        /// The node could not finish; try again later.
        case unavailable
        /// Anything else on the node: a bug.
        case internalError = "internal"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// The HTTP status for this error.
    public var httpStatus: Int {
        switch code {
        case .malformed: return 400
        case .unsupportedProtocol: return 400
        case .tooLarge: return 413
        case .unauthorized: return 401
        case .seqGap, .seqReused: return 409
        case .notFound: return 404
        case .unavailable: return 503
        case .internalError: return 500
        }
    }

    /// The error body: `{"protocol":1,"error":{"code":…,"message":…}}`.
    public var json: JSONValue {
        .object(["protocol": .integer(SyncProtocol.version),
                 "error": .object(["code": .string(code.rawValue), "message": .string(message)])])
    }

    /// Reads an error body; `nil` when the value is not one.
    public init?(json: JSONValue) {
        guard let error = json["error"], let code = error["code"]?.stringValue, let message = error["message"]?.stringValue else { return nil }
        self.code = Code(rawValue: code) ?? .internalError
        self.message = message
    }
}

/// Reading fields of a message with errors that name them.
struct MessageReader {
    let value: JSONValue
    let context: String

    init(_ value: JSONValue, _ context: String) throws(SyncError) {
        guard case .object = value else { throw SyncError(.malformed, "\(context) must be a JSON object") }
        self.value = value
        self.context = context
    }

    /// Checks `protocol`.
    func checkProtocol() throws(SyncError) {
        guard let version = value["protocol"]?.integerValue else {
            throw SyncError(.malformed, "\(context): field 'protocol' is required (an integer)")
        }
        guard version == SyncProtocol.version else {
            throw SyncError(.unsupportedProtocol, "\(context): protocol \(version) is not supported; this node speaks protocol \(SyncProtocol.version)")
        }
    }

    func string(_ key: String, maximum: Int = 200) throws(SyncError) -> String {
        guard let text = value[key]?.stringValue else { throw SyncError(.malformed, "\(context): field '\(key)' is required (a string)") }
        guard text.utf8.count <= maximum else { throw SyncError(.malformed, "\(context): field '\(key)' is too long") }
        return text
    }

    func optionalString(_ key: String, maximum: Int = 200) throws(SyncError) -> String? {
        guard let member = value[key], member != .null else { return nil }
        return try string(key, maximum: maximum)
    }

    func integer(_ key: String, _ range: ClosedRange<Int64> = 0...Int64.max) throws(SyncError) -> Int64 {
        guard let number = value[key]?.integerValue else { throw SyncError(.malformed, "\(context): field '\(key)' is required (an integer)") }
        guard range.contains(number) else { throw SyncError(.malformed, "\(context): field '\(key)' is out of range (\(number))") }
        return number
    }

    func optionalInteger(_ key: String, _ range: ClosedRange<Int64> = 0...Int64.max) throws(SyncError) -> Int64? {
        guard let member = value[key], member != .null else { return nil }
        return try integer(key, range)
    }

    func bool(_ key: String) throws(SyncError) -> Bool {
        guard let flag = value[key]?.boolValue else { throw SyncError(.malformed, "\(context): field '\(key)' is required (true or false)") }
        return flag
    }

    func array(_ key: String) throws(SyncError) -> [JSONValue] {
        guard let elements = value[key]?.arrayValue else { throw SyncError(.malformed, "\(context): field '\(key)' is required (an array)") }
        return elements
    }

    func object(_ key: String) throws(SyncError) -> [String: JSONValue] {
        guard let members = value[key]?.objectValue else { throw SyncError(.malformed, "\(context): field '\(key)' is required (an object)") }
        return members
    }
}
