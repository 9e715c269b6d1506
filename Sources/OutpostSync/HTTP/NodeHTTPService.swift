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

    /// Where a request goes, decided on its head: a route, or the answer that refuses it (404, 405, 411).
    private enum Route {
        case health
        case metrics
        case exchange(NodeExchange.Operation)
        case refused(HTTPResponse)
    }

    private func route(_ head: HTTPRequestHead) -> Route {
        switch head.path {
        case "/health":
            guard head.method == "GET" || head.method == "HEAD" else { return .refused(Self.methodNotAllowed(head, allow: "GET, HEAD")) }
            return .health
        case "/metrics" where servesMetrics:
            return MetricsHTTPService.refusal(head).map(Route.refused) ?? .metrics
        case "/metrics":
            return .refused(HTTPError(status: 404, .notFound, "/metrics is served on the node's metrics address, not here").response)
        default:
            guard head.path.hasPrefix("/v1/"), let operation = NodeExchange.Operation(rawValue: String(head.path.dropFirst(4))) else {
                return .refused(HTTPError(status: 404, .notFound,
                                          "no route \(head.path.prefix(200)); the node answers POST /v1/push, /v1/pull, /v1/digest, /v1/account, GET /health and /metrics").response)
            }
            guard head.method == "POST" else { return .refused(Self.methodNotAllowed(head, allow: "POST")) }
            guard !head.values("content-length").isEmpty else {
                return .refused(HTTPError(status: 411, .malformed, "POST \(head.path) needs a Content-Length header").response)
            }
            // Request bodies are read as sent: a coded one is refused before it is read (RFC 9110 §15.5.16).
            let codings = head.values("content-encoding").flatMap { $0.split(separator: ",") }
                .map { String($0.filter { $0 != " " && $0 != "\t" }).lowercased() }.filter { $0 != "identity" }
            if !codings.isEmpty {
                var response = HTTPError(status: 415, .malformed,
                                         "request bodies are read plain; this node does not decode Content-Encoding \(codings.joined(separator: ", ").prefix(100))").response
                response.fields.append(("Accept-Encoding", "identity"))
                return .refused(response)
            }
            return .exchange(operation)
        }
    }

    /// Every request is decided on its head: an unknown path, a wrong method, and an exchange whose token is missing,
    /// unknown or revoked (401) are answered without reading the body, however large it says it is. Only an exchange
    /// with a valid token has its body read; `/health` and `/metrics` take none.
    public func admit(_ head: HTTPRequestHead, peer: String) -> HTTPAdmission {
        switch route(head) {
        case .refused(let response):
            return .refuse(response)
        case .health, .metrics:
            return .serveWithoutBody
        case .exchange:
            // The token is checked here, once: the request carries whose it is to `respond(to:)`.
            switch node.admit(token: HTTPRequest.bearerToken(in: head)) {
            case .success(let admitted): return .serveWithBody(admitted: admitted)
            case .failure(let refusal): return .refuse(Self.response(refusal.outcome))
            }
        }
    }

    public func respond(to request: HTTPRequest) -> HTTPResponse {
        switch route(request.head) {
        case .refused(let response):
            return response
        case .health:
            return HTTPResponse(status: 200, json: Array(#"{"status":"ok"}"#.utf8))
        case .metrics:
            return MetricsHTTPService.metricsResponse(metrics)
        case .exchange(let operation):
            // The tenant comes from the token alone; NodeExchange never reads a reseller from the body.
            let source = "http \(request.peer)"
            let outcome = (request.admitted as? NodeQueue.Admitted).map {
                node.exchange(operation: operation.rawValue, body: request.body, admitted: $0, source: source)
            } ?? node.exchange(operation: operation.rawValue, body: request.body, token: request.bearerToken, source: source)
            if let notice = outcome.notice { log.notice("node.behind", notice, level: "warning", [("message", .string(notice))]) }
            if outcome.status == 200 {
                metrics.record(operation: operation, mutations: operation == .push ? Self.mutationCount(outcome) : 0,
                               refused: outcome.refused, conflicts: outcome.conflicts)
            }
            return Self.encoded(Self.response(outcome), gzip: request.head.acceptsGzip)
        }
    }

    /// Answers of at least this many bytes go gzip-coded to a client that accepts it; smaller ones (a no-op pull,
    /// a verdict or two, an error) fit in a packet and stay plain, sparing the node the work.
    static let smallestCompressedBody = 1400

    /// `response` gzip-coded (`Content-Encoding: gzip`) when the client accepts it and the body is large: a first
    /// sync's pull pages are JSON that shrinks about six-fold. Every exchange answer says `Vary: Accept-Encoding`,
    /// so a cache in front never hands a gzip body to a client that did not ask for one.
    static func encoded(_ response: HTTPResponse, gzip: Bool) -> HTTPResponse {
        var response = response
        response.fields.append(("Vary", "Accept-Encoding"))
        guard gzip, response.body.count >= smallestCompressedBody else { return response }
        response.body = Gzip.compress(response.body)
        response.fields.append(("Content-Encoding", "gzip"))
        return response
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

    static func methodNotAllowed(_ head: HTTPRequestHead, allow: String) -> HTTPResponse {
        var response = HTTPError(status: 405, .notFound, "\(head.method.prefix(20)) is not allowed on \(head.path); use \(allow)").response
        response.fields.append(("Allow", allow))
        return response
    }

    /// The verdicts in a push response: one per mutation received.
    static func mutationCount(_ outcome: NodeExchange.Outcome) -> Int {
        (try? JSONParser.parse(outcome.body))?["verdicts"]?.arrayValue?.count ?? 0
    }
}
