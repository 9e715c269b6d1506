/// `GET /metrics` alone, for a listen address of its own (`node serve --metrics-listen`), so the metrics
/// need not be reachable where replicas sync.
public struct MetricsHTTPService: HTTPResponder {
    public let metrics: ServerMetrics
    let log: RequestLog

    public init(metrics: ServerMetrics, log: RequestLog) {
        self.metrics = metrics
        self.log = log
    }

    public func respond(to request: HTTPRequest) -> HTTPResponse {
        guard request.path == "/metrics" else {
            return HTTPError(status: 404, .notFound, "no route \(request.path.prefix(200)); this address serves GET /metrics only").response
        }
        return Self.metricsResponse(to: request, metrics)
    }

    /// Scrapes are logged but not counted: the metrics describe the sync traffic.
    public func answered(_ record: HTTPRequestRecord) {
        log.record(record)
    }

    /// The answer to a request for `/metrics`: the Prometheus text to `GET` and `HEAD`, 405 otherwise.
    static func metricsResponse(to request: HTTPRequest, _ metrics: ServerMetrics) -> HTTPResponse {
        guard request.method == "GET" || request.method == "HEAD" else { return NodeHTTPService.methodNotAllowed(request, allow: "GET, HEAD") }
        return HTTPResponse(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: Array(metrics.prometheusText().utf8))
    }
}
