/// What the server hands requests to: routes, metrics and the request log live behind this.
public protocol HTTPResponder: Sendable {
    /// Answers one complete request. Called on the request's connection thread, possibly many at once.
    func respond(to request: HTTPRequest) -> HTTPResponse
    /// Decides on a request's head alone, for every request, before any room is set aside for its body or
    /// `100 Continue` is sent: refused (an unknown path, a wrong method, a missing or unknown token), or served
    /// with or without a body. `peer` is the client.
    func admit(_ head: HTTPRequestHead, peer: String) -> HTTPAdmission
    /// Called once for every response written, including the server's own errors (400, 408, 411, 413, 431…).
    func answered(_ record: HTTPRequestRecord)
    /// Connection bookkeeping, for metrics.
    func connectionOpened()
    func connectionClosed()
}

extension HTTPResponder {
    public func connectionOpened() {}
    public func connectionClosed() {}
}

/// What a responder decides on a request's head. Only `.serveWithBody` has a body read; the others are answered
/// without reading one, so a client that may not send a body cannot make the server hold one.
public enum HTTPAdmission: Sendable {
    /// Read the body (up to the server's `maximumBodyBytes`, within its budget for bodies), then `respond(to:)`
    /// with `admitted` in the request: what the responder found out deciding (the token's owner), so it is not
    /// found out twice.
    case serveWithBody(admitted: (any Sendable)? = nil)
    /// The route takes no body: `respond(to:)` at once. A request that announces one is answered 413 unread.
    case serveWithoutBody
    /// Send this response instead of reading the body and calling `respond(to:)`; the connection then closes.
    case refuse(HTTPResponse)
}

/// One answered request, for the request log and metrics. Never holds the token or any header.
public struct HTTPRequestRecord: Sendable {
    /// `nil` when the request line could not be read.
    public let method: String?
    /// The path without the query; `nil` when the request line could not be read.
    public let path: String?
    public let status: Int
    /// Bytes of the request body and of the response body.
    public let requestBytes: Int
    public let responseBytes: Int
    /// From the first byte of the request to the last byte of the response.
    public let seconds: Double
    /// The replica's sync run (`X-Outpost-Run`), if it sent one.
    public let runId: String?
    public let resellerId: String?
    public let peer: String
}
