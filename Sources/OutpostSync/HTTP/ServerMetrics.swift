import Foundation

/// The node's counters and latency histogram, rendered in the Prometheus text format (version 0.0.4).
public final class ServerMetrics: @unchecked Sendable {
    // @unchecked: every read and write of `counts` goes through `lock`.
    private let lock = NSLock()
    private var counts = Counts()

    /// Upper bounds of the latency buckets, in seconds.
    public static let latencyBuckets: [Double] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    /// Routes get their own label; anything else is counted as `other`, so clients cannot invent series.
    public static let routes: Set<String> = ["/health", "/metrics", "/v1/push", "/v1/pull", "/v1/digest", "/v1/account"]

    struct Counts {
        var requests: [RequestKey: Int] = [:]
        var clientErrors = 0
        var serverErrors = 0
        var pushes = 0
        var pulls = 0
        var digests = 0
        var mutations = 0
        var refusals = 0
        var conflicts = 0
        var connectionsOpen = 0
        var connectionsTotal = 0
        var buckets = [Int](repeating: 0, count: ServerMetrics.latencyBuckets.count)
        var latencyCount = 0
        var latencySum = 0.0
    }

    struct RequestKey: Hashable, Comparable {
        let route: String
        let status: Int
        static func < (lhs: RequestKey, rhs: RequestKey) -> Bool { (lhs.route, lhs.status) < (rhs.route, rhs.status) }
    }

    public init() {}

    /// Counts one answered request.
    public func record(_ request: HTTPRequestRecord) {
        let route = request.path.flatMap { Self.routes.contains($0) ? $0 : nil } ?? "other"
        lock.lock()
        defer { lock.unlock() }
        counts.requests[RequestKey(route: route, status: request.status), default: 0] += 1
        if request.status >= 500 { counts.serverErrors += 1 } else if request.status >= 400 { counts.clientErrors += 1 }
        counts.latencyCount += 1
        counts.latencySum += request.seconds
        for (index, bound) in Self.latencyBuckets.enumerated() where request.seconds <= bound { counts.buckets[index] += 1 }
    }

    /// Counts one successful sync exchange.
    public func record(operation: NodeExchange.Operation, mutations: Int, refused: Int, conflicts: Int) {
        lock.lock()
        defer { lock.unlock() }
        switch operation {
        case .push: counts.pushes += 1
        case .pull: counts.pulls += 1
        case .digest: counts.digests += 1
        // Asked once per init; the per-route request counter is enough.
        case .account: break
        }
        counts.mutations += mutations
        counts.refusals += refused
        counts.conflicts += conflicts
    }

    public func connectionOpened() {
        lock.lock()
        counts.connectionsOpen += 1
        counts.connectionsTotal += 1
        lock.unlock()
    }

    public func connectionClosed() {
        lock.lock()
        counts.connectionsOpen -= 1
        lock.unlock()
    }

    /// The exposition: `# HELP`, `# TYPE` and samples for every metric, in a stable order.
    public func prometheusText() -> String {
        lock.lock()
        let counts = self.counts
        lock.unlock()
        var text = ""
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: String)]) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for sample in samples { text += "\(name)\(sample.labels) \(sample.value)\n" }
        }
        let requests = counts.requests.sorted { $0.key < $1.key }
            .map { (labels: "{route=\"\(Self.escape($0.key.route))\",status=\"\($0.key.status)\"}", value: String($0.value)) }
        metric("outpost_http_requests_total", "counter", "HTTP requests answered, by route and status.", requests)
        metric("outpost_http_errors_total", "counter", "HTTP responses with an error status, by class.",
               [("{class=\"4xx\"}", String(counts.clientErrors)), ("{class=\"5xx\"}", String(counts.serverErrors))])
        metric("outpost_sync_pushes_total", "counter", "Push requests the node answered with verdicts.", [("", String(counts.pushes))])
        metric("outpost_sync_pulls_total", "counter", "Pull requests the node answered with a page.", [("", String(counts.pulls))])
        metric("outpost_sync_digests_total", "counter", "Digest requests the node answered.", [("", String(counts.digests))])
        metric("outpost_sync_mutations_total", "counter", "Mutations received in pushes (replays included).", [("", String(counts.mutations))])
        metric("outpost_sync_refusals_total", "counter", "Mutations refused by the node's business rules.", [("", String(counts.refusals))])
        metric("outpost_sync_conflicts_total", "counter", "Mutations applied with a field conflict.", [("", String(counts.conflicts))])
        metric("outpost_http_connections_open", "gauge", "Client connections open now.", [("", String(counts.connectionsOpen))])
        metric("outpost_http_connections_total", "counter", "Client connections accepted.", [("", String(counts.connectionsTotal))])
        var histogram: [(labels: String, value: String)] = []
        for (index, bound) in Self.latencyBuckets.enumerated() {
            histogram.append(("_bucket{le=\"\(Self.number(bound))\"}", String(counts.buckets[index])))
        }
        histogram.append(("_bucket{le=\"+Inf\"}", String(counts.latencyCount)))
        histogram.append(("_sum", Self.number(counts.latencySum)))
        histogram.append(("_count", String(counts.latencyCount)))
        text += "# HELP outpost_http_request_duration_seconds Time from a request's first byte to its response's last.\n"
        text += "# TYPE outpost_http_request_duration_seconds histogram\n"
        for sample in histogram { text += "outpost_http_request_duration_seconds\(sample.labels) \(sample.value)\n" }
        return text
    }

    /// A label value with `\`, `"` and newlines escaped.
    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// `0.005`, `1`, `2.5`: the shortest text that reads back as the same number.
    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
