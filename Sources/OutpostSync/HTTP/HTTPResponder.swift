/// What the server hands requests to: routes, metrics and the request log live behind this.
public protocol HTTPResponder: Sendable {
    /// Answers one complete request. Called on the request's connection thread, possibly many at once.
    func respond(to request: HTTPRequest) -> HTTPResponse
    /// Decides on a request's head alone, before its body is read: a response returned here is sent instead
    /// of reading the body and calling `respond(to:)` (a missing or unknown token, say). `peer` is the client.
    func admit(_ head: HTTPRequestHead, peer: String) -> HTTPResponse?
    /// Called once for every response written, including the server's own errors (400, 408, 411, 413, 431…).
    func answered(_ record: HTTPRequestRecord)
    /// Connection bookkeeping, for metrics.
    func connectionOpened()
    func connectionClosed()
}

extension HTTPResponder {
    public func admit(_ head: HTTPRequestHead, peer: String) -> HTTPResponse? { nil }
    public func connectionOpened() {}
    public func connectionClosed() {}
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
