import Foundation
import OutpostModel

/// `http://` and `https://`: POSTs each message to `<base>/v1/<operation>` with the bearer token.
///
/// Both go through `PlainHTTPClient` (see why there); `https://` speaks TLS with OpenSSL and trusts
/// `caFile` when given, else the system's store (`SSL_CERT_FILE`/`SSL_CERT_DIR` honoured).
public final class HTTPTransport: WireTransport {
    public let baseURL: URL
    let token: String?
    private let client: PlainHTTPClient
    /// A run id sent as `X-Outpost-Run`, which the node logs with the request.
    public var runId: String?
    /// Answer body bytes as they crossed the wire (gzip-coded where the node compressed them).
    public private(set) var bytesReceived = 0
    /// Answer body bytes once inflated: the protocol's JSON.
    public private(set) var bytesDecoded = 0

    public init(baseURL: URL, token: String?, timeout: Double, caFile: String? = nil) {
        self.baseURL = baseURL
        self.token = token
        let secure = baseURL.scheme?.lowercased() == "https"
        client = PlainHTTPClient(host: baseURL.host ?? "", port: baseURL.port ?? (secure ? 443 : 80), timeout: timeout,
                                 tls: secure ? PlainHTTPClient.TLSSettings(caFile: caFile) : nil)
    }

    var location: String { baseURL.absoluteString }

    func send(_ operation: NodeExchange.Operation, _ body: JSONValue) throws -> (Int, [UInt8]) {
        var headers: [(String, String)] = []
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        if let runId { headers.append(("X-Outpost-Run", runId)) }
        let path = baseURL.appendingPathComponent("v1").appendingPathComponent(operation.rawValue).path
        let answer = try client.post(path: path, headers: headers, body: Array(body.serialized.utf8))
        bytesReceived += answer.wireBytes
        bytesDecoded += answer.body.count
        return (answer.status, answer.body)
    }
}
