import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import OutpostModel

/// `http://` and `https://`: POSTs each message to `<base>/v1/<operation>` with the bearer token.
///
/// Plain `http://` goes through `PlainHTTPClient` (see why there); `https://` through URLSession.
public final class HTTPTransport: WireTransport, @unchecked Sendable {
    // @unchecked: the session is thread-safe; the other properties are immutable.
    public let baseURL: URL
    let token: String?
    let session: URLSession
    private let plain: PlainHTTPClient?
    /// A run id sent as `X-Outpost-Run`, which the node logs with the request.
    public var runId: String?
    public private(set) var bytesReceived = 0

    public init(baseURL: URL, token: String?, timeout: Double) {
        self.baseURL = baseURL
        self.token = token
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout
        configuration.httpMaximumConnectionsPerHost = 1
        self.session = URLSession(configuration: configuration)
        if baseURL.scheme?.lowercased() == "http", let host = baseURL.host {
            plain = PlainHTTPClient(host: host, port: baseURL.port ?? 80, timeout: timeout)
        } else {
            plain = nil
        }
    }

    deinit {
        session.finishTasksAndInvalidate()
    }

    var location: String { baseURL.absoluteString }

    func send(_ operation: NodeExchange.Operation, _ body: JSONValue) throws -> (Int, [UInt8]) {
        if let plain {
            var headers: [(String, String)] = []
            if let token { headers.append(("Authorization", "Bearer \(token)")) }
            if let runId { headers.append(("X-Outpost-Run", runId)) }
            let path = baseURL.appendingPathComponent("v1").appendingPathComponent(operation.rawValue).path
            let (status, bytes) = try plain.post(path: path, headers: headers, body: Array(body.serialized.utf8))
            bytesReceived += bytes.count
            return (status, bytes)
        }
        var request = URLRequest(url: baseURL.appendingPathComponent("v1").appendingPathComponent(operation.rawValue))
        request.httpMethod = "POST"
        request.httpBody = Data(body.serialized.utf8)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let runId { request.setValue(runId, forHTTPHeaderField: "X-Outpost-Run") }
        let box = ResultBox()
        let done = DispatchSemaphore(value: 0)
        session.dataTask(with: request) { data, response, error in
            box.set(data: data, response: response, error: error)
            done.signal()
        }.resume()
        done.wait()
        let (data, response, error) = box.get()
        if let error {
            throw TransportError(.unavailable, "cannot reach the node at \(baseURL.absoluteString): \(error.localizedDescription)")
        }
        guard let http = response as? HTTPURLResponse else { throw TransportError(.unavailable, "no HTTP answer from \(baseURL.absoluteString)") }
        bytesReceived += data?.count ?? 0
        return (http.statusCode, Array(data ?? Data()))
    }

    /// Hands the completion handler's values to the waiting thread.
    private final class ResultBox: @unchecked Sendable {
        // @unchecked: written once before the semaphore is signalled, read after it is awaited.
        private var data: Data?
        private var response: URLResponse?
        private var error: (any Error)?

        func set(data: Data?, response: URLResponse?, error: (any Error)?) {
            self.data = data
            self.response = response
            self.error = error
        }

        func get() -> (Data?, URLResponse?, (any Error)?) { (data, response, error) }
    }
}
