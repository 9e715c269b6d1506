/// A response before it is framed: status, content type, body, and what the request log should add.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]
    /// Extra header fields (`Allow`, `Retry-After`).
    public var fields: [(name: String, value: String)]
    /// The reseller the request was made for, once the token said so (for the request log).
    public var resellerId: String?

    public init(status: Int, contentType: String, body: [UInt8], fields: [(name: String, value: String)] = [], resellerId: String? = nil) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.fields = fields
        self.resellerId = resellerId
    }

    /// A JSON response.
    public init(status: Int, json body: [UInt8], resellerId: String? = nil) {
        self.init(status: status, contentType: "application/json", body: body, resellerId: resellerId)
    }

    /// The bytes on the wire: status line, fields, blank line, and the body unless `omitBody` (a HEAD request).
    func serialized(keepAlive: Bool, minorVersion: Int, omitBody: Bool) -> [UInt8] {
        var head = "HTTP/1.1 \(status) \(Self.reason(status))\r\n"
        head += "Content-Type: \(contentType)\r\n"
        head += "Content-Length: \(body.count)\r\n"
        head += "Cache-Control: no-store\r\n"
        for field in fields { head += "\(field.name): \(field.value)\r\n" }
        if !keepAlive {
            head += "Connection: close\r\n"
        } else if minorVersion == 0 {
            head += "Connection: keep-alive\r\n"
        }
        head += "\r\n"
        var bytes = Array(head.utf8)
        if !omitBody { bytes += body }
        return bytes
    }

    /// The reason phrase for a status (RFC 9110 §15).
    static func reason(_ status: Int) -> String {
        switch status {
        case 100: return "Continue"
        case 200: return "OK"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 409: return "Conflict"
        case 411: return "Length Required"
        case 413: return "Content Too Large"
        case 415: return "Unsupported Media Type"
        case 417: return "Expectation Failed"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 503: return "Service Unavailable"
        case 505: return "HTTP Version Not Supported"
        default: return status < 400 ? "OK" : "Error"
        }
    }
}
