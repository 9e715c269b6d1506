import Foundation
import OutpostModel

/// Carries protocol messages to a node: a local directory, HTTP(S) or SSH.
public protocol SyncTransport {
    /// Sends one request; returns the node's JSON answer, or throws `SyncError` (the node said no) or `TransportError`.
    func exchange(_ operation: NodeExchange.Operation, _ body: JSONValue) throws -> JSONValue
    /// Sends one request; returns the node's successful answer as bytes, for readers that stream it.
    func exchangeBytes(_ operation: NodeExchange.Operation, _ body: JSONValue) throws -> [UInt8]
    /// Response body bytes received so far as they crossed the wire, gzip-coded where they came so (for the run record and the benchmark).
    var bytesReceived: Int { get }
}

extension SyncTransport {
    public var bytesReceived: Int { 0 }

    public func exchangeBytes(_ operation: NodeExchange.Operation, _ body: JSONValue) throws -> [UInt8] {
        Array(try exchange(operation, body).serialized.utf8)
    }
}

/// A transport that carries a request over a wire and gets back a status and a body (HTTP, ssh framing);
/// the answer is read the same way for every such wire.
protocol WireTransport: SyncTransport {
    /// The node's location as the user gave it, for messages (`http://host:port/`, `ssh://host/path`).
    var location: String { get }
    /// Sends one request; returns the status the node answered with and the body.
    func send(_ operation: NodeExchange.Operation, _ body: JSONValue) throws -> (Int, [UInt8])
}

extension WireTransport {
    public func exchange(_ operation: NodeExchange.Operation, _ body: JSONValue) throws -> JSONValue {
        let (status, bytes) = try send(operation, body)
        return try ResponseReader.read(status: status, body: bytes, from: location, operation: operation)
    }

    public func exchangeBytes(_ operation: NodeExchange.Operation, _ body: JSONValue) throws -> [UInt8] {
        let (status, bytes) = try send(operation, body)
        return try ResponseReader.bytes(status: status, body: bytes, from: location, operation: operation)
    }
}

/// The node could not be reached or did not answer properly.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// Unreachable, refused, timed out, 5xx: try again later.
        case unavailable
        /// The location itself is wrong (bad URL, missing node directory): fix the configuration.
        case configuration
        /// The node answered something that is not the protocol.
        case protocolViolation
        /// Something answers at the location, but not as an Outpost node: another web server, or a node
        /// under another path ("no route"). Fix the configuration; waiting will not help.
        case notANode
        /// The way to the node refused us for good: ssh's authentication, a TLS certificate that is not
        /// trusted. Waiting will not help; the credentials or the trusted certificates must change.
        case notAllowed
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

/// Reads a response body: a JSON message, or the node's error.
///
/// Every answer of an Outpost node is a JSON object with `protocol`, errors included (`HTTPError`), so an
/// answer without one comes from something else at that address — another web server, or a proxy whose
/// node is down. Only a proxy's 502, 503 and 504 are worth waiting for; anything else is the wrong address.
enum ResponseReader {
    /// Statuses a proxy in front of a node answers while the node is down or slow: try again later.
    static let transientStatuses: Set<Int> = [502, 503, 504]

    /// A successful answer's bytes, unparsed; errors are read and thrown.
    static func bytes(status: Int, body: [UInt8], from location: String, operation: NodeExchange.Operation) throws -> [UInt8] {
        guard (200..<300).contains(status) else {
            _ = try read(status: status, body: body, from: location, operation: operation)
            throw TransportError(.protocolViolation, "the node answered status \(status)")
        }
        // Read as a stream later; a body that cannot begin a JSON object is not the protocol at all.
        guard body.first(where: { ![9, 10, 13, 32].contains($0) }) == UInt8(ascii: "{") else {
            throw notANode(location, "it answered '\(operation.rawValue)' with status \(status) and no Outpost protocol body")
        }
        return body
    }

    static func read(status: Int, body: [UInt8], from location: String, operation: NodeExchange.Operation) throws -> JSONValue {
        let json: JSONValue
        do {
            json = try JSONParser.parse(body)
        } catch {
            if transientStatuses.contains(status) { throw TransportError(.unavailable, "the node at \(location) answered \(status) without a protocol body; try again later") }
            throw notANode(location, "it answered '\(operation.rawValue)' with status \(status) and no Outpost protocol body")
        }
        if let error = SyncError(json: json) { throw error }
        guard (200..<300).contains(status) else {
            if transientStatuses.contains(status) { throw TransportError(.unavailable, "the node at \(location) answered status \(status); try again later") }
            throw notANode(location, "it answered '\(operation.rawValue)' with status \(status) and no Outpost protocol error")
        }
        guard json["protocol"] != nil else {
            throw notANode(location, "it answered '\(operation.rawValue)' with status \(status) and JSON without Outpost's 'protocol'")
        }
        return json
    }

    static func notANode(_ location: String, _ reason: String) -> TransportError {
        TransportError(.notANode, "\(location) is not an Outpost node: \(reason)")
    }
}

/// A node directory on this machine (or a mounted share), opened directly.
/// Several processes may use it at once: SQLite's locking serializes writers.
public final class LocalTransport: SyncTransport {
    public let directory: URL
    public private(set) var bytesReceived = 0
    private var node: Node?
    public let token: String?
    public let clock: any Clock

    public init(directory: URL, token: String?, clock: any Clock) {
        self.directory = directory
        self.token = token
        self.clock = clock
    }

    public func exchange(_ operation: NodeExchange.Operation, _ body: JSONValue) throws -> JSONValue {
        let outcome = try handle(operation, body)
        return try ResponseReader.read(status: outcome.status, body: outcome.body, from: directory.path, operation: operation)
    }

    public func exchangeBytes(_ operation: NodeExchange.Operation, _ body: JSONValue) throws -> [UInt8] {
        let outcome = try handle(operation, body)
        return try ResponseReader.bytes(status: outcome.status, body: outcome.body, from: directory.path, operation: operation)
    }

    private func handle(_ operation: NodeExchange.Operation, _ body: JSONValue) throws -> NodeExchange.Outcome {
        // Opened once per transport: one sync run, one connection to each database.
        if node == nil {
            do {
                node = try Node.open(directory, clock: clock)
            } catch let error as Node.OpenError {
                throw TransportError(.configuration, error.description)
            }
        }
        let outcome = NodeExchange(node: node!).handle(operation: operation.rawValue, body: Array(body.serialized.utf8), token: token, source: "local")
        bytesReceived += outcome.body.count
        return outcome
    }
}
