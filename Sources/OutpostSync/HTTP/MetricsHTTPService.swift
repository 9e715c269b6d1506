/// `GET /metrics` alone, for a listen address of its own (`node serve --metrics-listen`), so the metrics
/// need not be reachable where replicas sync.
public struct MetricsHTTPService: HTTPResponder {
    public let metrics: ServerMetrics
    let log: RequestLog

    public init(metrics: ServerMetrics, log: RequestLog) {
        self.metrics = metrics
        self.log = log
    }

    /// Decided on the head: `GET` or `HEAD /metrics` is served, and takes no body; anything else is answered 404 or 405
    /// without its body being read.
    public func admit(_ head: HTTPRequestHead, peer: String) -> HTTPAdmission {
        guard head.path == "/metrics" else {
            return .refuse(HTTPError(status: 404, .notFound, "no route \(head.path.prefix(200)); this address serves GET /metrics only").response)
        }
        return Self.refusal(head).map(HTTPAdmission.refuse) ?? .serveWithoutBody
    }

    public func respond(to request: HTTPRequest) -> HTTPResponse {
        if case .refuse(let response) = admit(request.head, peer: request.peer) { return response }
        return Self.metricsResponse(metrics)
    }

    /// Scrapes are logged but not counted: the metrics describe the sync traffic.
    public func answered(_ record: HTTPRequestRecord) {
        log.record(record)
    }

    /// The answer to a request for `/metrics` with another method than `GET` and `HEAD` (405); `nil` for those two.
    static func refusal(_ head: HTTPRequestHead) -> HTTPResponse? {
        head.method == "GET" || head.method == "HEAD" ? nil : NodeHTTPService.methodNotAllowed(head, allow: "GET, HEAD")
    }

    /// The Prometheus text, the answer to `GET` and `HEAD /metrics`.
    static func metricsResponse(_ metrics: ServerMetrics) -> HTTPResponse {
        HTTPResponse(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: Array(metrics.prometheusText().utf8))
    }
}
