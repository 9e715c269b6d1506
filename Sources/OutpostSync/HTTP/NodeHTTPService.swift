import OutpostModel

/// The node's routes over HTTP: `POST /v1/push|pull|digest|account` to `NodeExchange`, `GET /health`, `GET /metrics`;
/// it also keeps the metrics and writes the request log.
public final class NodeHTTPService: HTTPResponder {
    public let node: NodeQueue
    public let metrics: ServerMetrics
    let log: RequestLog
    /// Whether `GET /metrics` is answered here; `false` when a `MetricsHTTPService` serves it on an address of its own.
    let servesMetrics: Bool

    public init(node: NodeQueue, metrics: ServerMetrics = ServerMetrics(), log: RequestLog = RequestLog(), servesMetrics: Bool = true) {
        self.node = node
        self.metrics = metrics
        self.log = log
        self.servesMetrics = servesMetrics
    }

    public func respond(to request: HTTPRequest) -> HTTPResponse {
        switch request.path {
        case "/health":
            guard request.method == "GET" || request.method == "HEAD" else { return Self.methodNotAllowed(request, allow: "GET, HEAD") }
            return HTTPResponse(status: 200, json: Array(#"{"status":"ok"}"#.utf8))
        case "/metrics" where servesMetrics:
            return MetricsHTTPService.metricsResponse(to: request, metrics)
        case "/metrics":
            return HTTPError(status: 404, .notFound, "/metrics is served on the node's metrics address, not here").response
        default:
            guard request.path.hasPrefix("/v1/"), let operation = NodeExchange.Operation(rawValue: String(request.path.dropFirst(4))) else {
                return HTTPError(status: 404, .notFound,
                                 "no route \(request.path.prefix(200)); the node answers POST /v1/push, /v1/pull, /v1/digest, /v1/account, GET /health and /metrics").response
            }
            guard request.method == "POST" else { return Self.methodNotAllowed(request, allow: "POST") }
            guard request.hasContentLength else {
                return HTTPError(status: 411, .malformed, "POST \(request.path) needs a Content-Length header").response
            }
            // The tenant comes from the token alone; NodeExchange never reads a reseller from the body.
            let outcome = node.exchange(operation: operation.rawValue, body: request.body, token: request.bearerToken, source: "http \(request.peer)")
            if let notice = outcome.notice { log.notice("node.behind", notice, level: "warning", [("message", .string(notice))]) }
            if outcome.status == 200 {
                metrics.record(operation: operation, mutations: operation == .push ? Self.mutationCount(outcome) : 0,
                               refused: outcome.refused, conflicts: outcome.conflicts)
            }
            return Self.response(outcome)
        }
    }

    /// An exchange whose token is missing, unknown or revoked is answered 401 on its head: its body, however
    /// large it says it is, is never read. Other requests go on to `respond(to:)`.
    public func admit(_ head: HTTPRequestHead, peer: String) -> HTTPResponse? {
        guard head.method == "POST", head.path.hasPrefix("/v1/"), NodeExchange.Operation(rawValue: String(head.path.dropFirst(4))) != nil,
              let refusal = node.refusal(token: HTTPRequest.bearerToken(in: head)) else { return nil }
        return Self.response(refusal)
    }

    /// The HTTP response for an exchange's outcome.
    static func response(_ outcome: NodeExchange.Outcome) -> HTTPResponse {
        var response = HTTPResponse(status: outcome.status, json: outcome.body, resellerId: outcome.resellerId)
        if outcome.status == 401 { response.fields.append(("WWW-Authenticate", "Bearer")) }
        if outcome.status == 503 { response.fields.append(("Retry-After", "1")) }
        return response
    }

    public func answered(_ record: HTTPRequestRecord) {
        metrics.record(record)
        log.record(record)
    }

    public func connectionOpened() { metrics.connectionOpened() }
    public func connectionClosed() { metrics.connectionClosed() }

    static func methodNotAllowed(_ request: HTTPRequest, allow: String) -> HTTPResponse {
        var response = HTTPError(status: 405, .notFound, "\(request.method.prefix(20)) is not allowed on \(request.path); use \(allow)").response
        response.fields.append(("Allow", allow))
        return response
    }

    /// The verdicts in a push response: one per mutation received.
    static func mutationCount(_ outcome: NodeExchange.Outcome) -> Int {
        (try? JSONParser.parse(outcome.body))?["verdicts"]?.arrayValue?.count ?? 0
    }
}
