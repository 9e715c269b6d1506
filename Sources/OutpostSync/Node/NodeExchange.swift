import Foundation
import OutpostModel
import OutpostStore

/// The one entry point every transport calls: an operation, a JSON body and
/// the bearer token in; a status and a JSON body out. Never throws: every
/// failure becomes a JSON error with a stable code.
public struct NodeExchange {
    /// Operations of protocol 1.
    public enum Operation: String, Sendable, CaseIterable {
        case push, pull, digest
        /// Whose token this is, and the reseller's settings (`outpost init --node` checks it).
        case account
    }

    public let node: Node

    public init(node: Node) {
        self.node = node
    }

    /// The outcome of one exchange, for the transport and its log line.
    public struct Outcome: Sendable {
        public let status: Int
        public let body: [UInt8]
        /// The reseller the token belonged to, when it was valid.
        public let resellerId: String?
        /// Counters for metrics: mutations refused, conflicts.
        public let refused: Int
        public let conflicts: Int
        /// A line for the node's log when the node found itself behind a replica (PROTOCOL.md 6.6).
        public var notice: String? = nil
    }

    public func handle(operation: String, body: [UInt8], token: String?, source: String) -> Outcome {
        handle(operation: operation, body: body, source: source) { try node.authenticate(token) }
    }

    /// The same for a request whose token the caller has just checked with `Node.authenticate` (`NodeQueue`, which
    /// needs the reseller first to pick its queue), with what it returned.
    public func handle(operation: String, body: [UInt8], authenticated identity: (resellerId: String, username: String), source: String) -> Outcome {
        handle(operation: operation, body: body, source: source) { identity }
    }

    private func handle(operation: String, body: [UInt8], source: String,
                        authenticate: () throws -> (resellerId: String, username: String)) -> Outcome {
        var resellerId: String?
        do {
            guard let operation = Operation(rawValue: operation) else {
                throw SyncError(.notFound, "no operation '\(operation)'; protocol 1 has push, pull, digest and account")
            }
            guard body.count <= SyncProtocol.maximumRequestBytes else {
                throw SyncError(.tooLarge, "request body of \(body.count) bytes is larger than \(SyncProtocol.maximumRequestBytes)")
            }
            // The tenant comes from the token, never from the body.
            let (reseller, username) = try authenticate()
            resellerId = reseller
            let json: JSONValue
            do {
                json = try JSONParser.parse(body)
            } catch {
                throw SyncError(.malformed, "the request body is not JSON: \(error.description)")
            }
            let tenant = try node.tenant(reseller)
            try tenant.recordLogin(username: username, source: source, now: node.clock.now())
            switch operation {
            case .push:
                let request = try PushRequest(json: json)
                let response: PushResponse
                do {
                    response = try tenant.push(request, user: username)
                } catch let gap as SyncError where gap.code == .seqGap {
                    return Self.failure(gap, resellerId: reseller, notice: "node.behind reseller=\(reseller) replica=\(request.replica): \(gap.message); "
                                        + "the node lost verdicts it gave (restored from a backup?), the replica re-sends them")
                }
                var outcome = Outcome(status: 200, body: Array(response.json.serialized.utf8), resellerId: reseller,
                                      refused: response.verdicts.filter { $0.status == .refused }.count,
                                      conflicts: response.verdicts.filter { $0.status == .appliedWithConflict }.count)
                if request.resend, let first = request.mutations.first, let last = request.mutations.last {
                    outcome.notice = "node.behind reseller=\(reseller) replica=\(request.replica): re-sent push #\(first.seq)–#\(last.seq), "
                        + "acknowledged before and lost by the node (restored from a backup?); applied again"
                }
                return outcome
            case .pull:
                let request = try PullRequest(json: json)
                let response = try tenant.pull(request)
                var outcome = Outcome(status: 200, body: Array(response.serialized.utf8), resellerId: reseller, refused: 0, conflicts: 0)
                if request.snapshotTables.isEmpty, response.cursor < request.cursor {
                    outcome.notice = "node.behind reseller=\(reseller) replica=\(request.replica): its cursor \(request.cursor) is past the node's head "
                        + "\(response.cursor) (restored from a backup?); answered with a snapshot"
                }
                return outcome
            case .digest:
                let reader = try MessageReader(json, "digest request")
                try reader.checkProtocol()
                // Head and digests from one read transaction, so a concurrent push cannot split them.
                let (cursor, digests) = try tenant.db.readTransaction { (try ChangeLog.head(in: tenant.db), try tenant.fullDigests()) }
                let value = JSONValue.object([
                    "protocol": .integer(SyncProtocol.version), "cursor": .integer(cursor),
                    "digests": .object(digests.mapValues { .object(["rows": .integer($0.rows), "digest": .integer($0.digest)]) }),
                ])
                return Outcome(status: 200, body: Array(value.serialized.utf8), resellerId: reseller, refused: 0, conflicts: 0)
            case .account:
                let reader = try MessageReader(json, "account request")
                try reader.checkProtocol()
                let answer = try tenant.db.readTransaction { try AccountResponse(reseller: reseller, user: username, tenant: tenant.db) }
                return Outcome(status: 200, body: Array(answer.json.serialized.utf8), resellerId: reseller, refused: 0, conflicts: 0)
            }
        } catch {
            return Self.failure(error, resellerId: resellerId)
        }
    }

    /// The outcome for a failed exchange: a `SyncError` as it is, a busy or unreachable store as `unavailable`, and anything
    /// else as a plain internal error (internals stay on the node).
    static func failure(_ error: any Error, resellerId: String?) -> Outcome {
        switch error {
        // `notice: nil` picks the SyncError overload (without it this function would call itself).
        case let error as SyncError: return failure(error, resellerId: resellerId, notice: nil)
        // A store that is busy (SQLite's lock, a PostgreSQL serialization failure) or out of reach: try again later.
        case let error as any StoreFailure where error.kind == .mustRetry:
            return failure(SyncError(.unavailable, "the node is busy; try again"), resellerId: resellerId, notice: nil)
        // Not "busy": the operator looks at the database, not at the load (the details stay in the node's log).
        case let error as any StoreFailure where error.kind == .connectionFailed:
            return failure(SyncError(.unavailable, "the node cannot reach its database; try again shortly"), resellerId: resellerId, notice: nil)
        default: return failure(SyncError(.internalError, "the node failed to handle the request"), resellerId: resellerId, notice: nil)
        }
    }

    static func failure(_ error: SyncError, resellerId: String?, notice: String? = nil) -> Outcome {
        Outcome(status: error.httpStatus, body: Array(error.json.serialized.utf8), resellerId: resellerId, refused: 0, conflicts: 0, notice: notice)
    }
}
