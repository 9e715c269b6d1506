import Foundation
import OutpostModel

/// Carries protocol messages to a node: a local directory, HTTP(S) or SSH.
public protocol SyncTransport {
    /// Sends one request; returns the node's JSON answer, or throws `SyncError` (the node said no) or `TransportError`.
    func exchange(_ operation: NodeExchange.Operation, _ body: JSONValue) throws -> JSONValue
    /// Sends one request; returns the node's successful answer as bytes, for readers that stream it.
    func exchangeBytes(_ operation: NodeExchange.Operation, _ body: JSONValue) throws -> [UInt8]
    /// Response bytes received so far (for the run record and the benchmark).
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
    /// Sends one request; returns the status the node answered with and the body.
    func send(_ operation: NodeExchange.Operation, _ body: JSONValue) throws -> (Int, [UInt8])
}

extension WireTransport {
    public func exchange(_ operation: NodeExchange.Operation, _ body: JSONValue) throws -> JSONValue {
        let (status, bytes) = try send(operation, body)
        return try ResponseReader.read(status: status, body: bytes)
    }

    public func exchangeBytes(_ operation: NodeExchange.Operation, _ body: JSONValue) throws -> [UInt8] {
        let (status, bytes) = try send(operation, body)
        return try ResponseReader.bytes(status: status, body: bytes)
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
enum ResponseReader {
    /// A successful answer's bytes, unparsed; errors are read and thrown.
    static func bytes(status: Int, body: [UInt8]) throws -> [UInt8] {
        guard (200..<300).contains(status) else {
            _ = try read(status: status, body: body)
            throw TransportError(.protocolViolation, "the node answered status \(status)")
        }
        return body
    }

    static func read(status: Int, body: [UInt8]) throws -> JSONValue {
        let json: JSONValue
        do {
            json = try JSONParser.parse(body)
        } catch {
            if status >= 500 { throw TransportError(.unavailable, "the node answered \(status) without a protocol body") }
            throw TransportError(.protocolViolation, "the node's answer is not JSON (status \(status)): \(error.description)")
        }
        if let error = SyncError(json: json) { throw error }
        guard (200..<300).contains(status) else {
            throw TransportError(status >= 500 ? .unavailable : .protocolViolation, "the node answered status \(status)")
        }
        return json
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
        return try ResponseReader.read(status: outcome.status, body: outcome.body)
    }

    public func exchangeBytes(_ operation: NodeExchange.Operation, _ body: JSONValue) throws -> [UInt8] {
        let outcome = try handle(operation, body)
        return try ResponseReader.bytes(status: outcome.status, body: outcome.body)
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
