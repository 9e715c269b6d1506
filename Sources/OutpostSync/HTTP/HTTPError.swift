import OutpostModel

/// An answer the HTTP layer gives itself (framing, limits, timeouts, routing): an HTTP status and the
/// protocol's error body, `{"protocol":1,"error":{"code":…,"message":…}}`.
///
/// The code is one of the protocol's (sync/schema/error.schema.json) so replicas treat it as they treat
/// `SyncError`: `malformed` (400, 411, 417, 505), `too_large` (413, 431), `not_found` (404, 405),
/// `unavailable` (408, 503: try again). The status says exactly what went wrong.
public struct HTTPError: Error, Sendable, Equatable, CustomStringConvertible {
    public let status: Int
    public let code: SyncError.Code
    public let message: String

    public init(status: Int, _ code: SyncError.Code, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public var description: String { "\(status) \(code.rawValue): \(message)" }

    static func badRequest(_ message: String) -> HTTPError { HTTPError(status: 400, .malformed, message) }

    /// The JSON body.
    public var body: [UInt8] {
        Array(JSONValue.object([
            "protocol": .integer(SyncProtocol.version),
            "error": .object(["code": .string(code.rawValue), "message": .string(message)]),
        ]).serialized.utf8)
    }

    /// The response that carries it.
    var response: HTTPResponse { HTTPResponse(status: status, json: body) }
}
