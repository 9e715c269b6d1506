/// One complete HTTP request as a route sees it: the head, the whole body, and who sent it.
public struct HTTPRequest: Sendable {
    public let head: HTTPRequestHead
    public let body: [UInt8]
    /// The client's numeric address (`127.0.0.1`); behind a proxy, the proxy's.
    public let peer: String
    /// What the responder's `admit` handed on with `.serveWithBody(admitted:)`.
    public let admitted: (any Sendable)?

    public init(head: HTTPRequestHead, body: [UInt8], peer: String, admitted: (any Sendable)? = nil) {
        self.head = head
        self.body = body
        self.peer = peer
        self.admitted = admitted
    }

    public var method: String { head.method }
    public var path: String { head.path }

    /// Whether the request said how long its body is (`Content-Length`, even `0`).
    public var hasContentLength: Bool { !head.values("content-length").isEmpty }

    /// The bearer token of `Authorization: Bearer …`; `nil` when missing, another scheme, or given twice.
    public var bearerToken: String? { Self.bearerToken(in: head) }

    /// The bearer token of a request head, as `bearerToken`.
    public static func bearerToken(in head: HTTPRequestHead) -> String? {
        guard let value = head.value("authorization") else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].drop { $0 == " " }
        return token.isEmpty ? nil : String(token)
    }
}
