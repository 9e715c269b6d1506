import Foundation
import OutpostModel
import OutpostSync
import OutpostSystem

/// Attaching a replica to a node — `init --node` and `config set --node` — and the checks made
/// before anything is written: the location is a node, the reseller exists, the token is that
/// reseller's. A node that cannot be reached now is a warning, not an error (the replica works
/// offline until the first sync); a node that answers "no" is an error.
enum NodeJoin {
    /// How long the check may wait for the node.
    static let checkTimeout: Double = 10

    /// What `--node`, `--reseller` and `--token-file` say, read and parsed.
    struct Target {
        let location: String
        let parsed: NodeLocation
        let reseller: String
        /// The token, from `--token-file`; `nil` when none was given.
        let token: String?
        /// `--ca-file`, for an https:// node signed by a private CA; `nil` when not given.
        let caFile: String?
    }

    /// Reads `--node`, `--reseller` and `--token-file`; `nil` when `--node` is not given.
    static func target(_ invocation: Invocation) throws -> Target? {
        guard let location = invocation.value("node") else {
            for option in ["reseller", "token-file", "ca-file"] where invocation.value(option) != nil {
                throw UsageError(message: "--\(option) goes with --node LOCATION", command: invocation.command.name)
            }
            return nil
        }
        guard let reseller = invocation.value("reseller"), !reseller.isEmpty else {
            throw UsageError(message: "--node needs --reseller ID", command: invocation.command.name)
        }
        let parsed: NodeLocation
        do {
            parsed = try NodeLocation.parse(location)
        } catch {
            throw CommandFailure(.config, "--node: \(error)")
        }
        var token: String?
        if let file = invocation.value("token-file") {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw CommandFailure(.noInput, "cannot read the token file \(file)")
            }
            token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard token?.isEmpty == false else { throw CommandFailure(.dataError, "the token file \(file) is empty") }
        }
        return Target(location: location, parsed: parsed, reseller: reseller, token: token, caFile: invocation.value("ca-file"))
    }

    /// Asks the node whose token this is. The node's answer when it could be asked; `nil`, after a
    /// warning on standard error, when it cannot be reached now or there is no token to ask with.
    /// Throws when the location is not a node (a directory that is not one, a web server that does not
    /// speak the protocol, a node's address with a wrong path), the reseller does not exist, or the token
    /// is refused or belongs to another reseller.
    static func check(_ target: Target, session: Session) throws -> AccountResponse? {
        if case .directory(let path) = target.parsed {
            // A node on this machine: open it to tell "no such directory" (66) from "not a node" (78),
            // and an unknown reseller (65) from a token of another one (77).
            let node = try Node.open(URL(fileURLWithPath: path), clock: session.clock)
            guard try node.resellers().contains(where: { $0.id == target.reseller }) else {
                throw CommandFailure(.dataError, "no reseller '\(target.reseller)' on the node at \(path) (see outpost node reseller list)")
            }
        }
        let account: AccountResponse
        do {
            // Without a token the node is still asked: its "unauthorized" shows it is a node; another server's answer does not.
            let transport = try Transports.make(target.parsed, token: target.token, clock: session.clock, timeout: checkTimeout,
                                                caFile: try SyncCommands.caFile(given: target.caFile, session))
            do {
                account = try AccountResponse.fetch(over: transport)
            } catch let error as SyncError where error.code == .notFound {
                // A node older than 'account' still answers 'digest'; an address whose path is wrong answers neither.
                do {
                    _ = try transport.exchange(.digest, .object(["protocol": .integer(SyncProtocol.version)]))
                } catch let probe as SyncError where probe.code == .notFound {
                    throw CommandFailure(.config, "\(target.location) is not an Outpost node: \(error.message)")
                }
                session.printError("warning: the node at \(target.location) does not answer 'account' (an older outpost): the reseller and the token were not checked")
                return nil
            }
        } catch let error as SyncError {
            switch error.code {
            case .unauthorized:
                guard target.token != nil else { return warnNoToken(session) }
                throw CommandFailure(.noPermission, "the node at \(target.location) refused the token: \(error.message)")
            case .notFound:
                session.printError("warning: the node at \(target.location) does not answer 'account' (an older outpost): the reseller and the token were not checked")
                return nil
            case .unavailable, .internalError:
                session.printError("warning: the node at \(target.location) cannot answer now (\(error.message)); the first outpost sync will check the token")
                return nil
            case .unsupportedProtocol, .malformed, .tooLarge, .seqGap, .seqReused:
                throw CommandFailure(.config, "\(target.location) does not answer as an Outpost node of this version: \(error.message)")
            }
        } catch let error as TransportError {
            switch error.kind {
            case .unavailable:
                session.printError("warning: the node at \(target.location) is not reachable now (\(error.message)); the first outpost sync will check the token")
                return nil
            case .configuration:
                throw CommandFailure(.config, "--node \(target.location): \(error.message)")
            case .notANode:
                throw CommandFailure(.config, error.message)
            case .protocolViolation:
                throw CommandFailure(.config, "\(target.location) does not answer as an Outpost node: \(error.message)")
            case .notAllowed:
                throw CommandFailure(.noPermission, "--node \(target.location): \(error.message)")
            }
        }
        guard target.token != nil else { return warnNoToken(session) }
        guard account.reseller == target.reseller else {
            throw CommandFailure(.noPermission, "the token belongs to reseller '\(account.reseller)' on this node, not '\(target.reseller)'; check --reseller and --token-file")
        }
        return account
    }

    /// The node answered, but without a token nothing more could be checked.
    private static func warnNoToken(_ session: Session) -> AccountResponse? {
        session.printError("warning: no --token-file: the reseller and the token were not checked; outpost sync needs the token in \(SyncCommands.tokenFileName) in the replica")
        return nil
    }

    /// Writes the node, the reseller and the token (mode 0600) into the replica. A token kept for another
    /// node is removed when none is given: it must never be sent to the new one.
    static func attach(_ target: Target, to replica: Replica) throws {
        let previous = try ReplicaConfig.value(.node, of: replica)
        try ReplicaConfig.set(.node, to: target.location, in: replica)
        try ReplicaConfig.set(.resellerId, to: target.reseller, in: replica)
        if let caFile = target.caFile {
            try ReplicaConfig.set(.caFile, to: URL(fileURLWithPath: caFile).standardizedFileURL.path, in: replica)
        } else if previous != target.location {
            try ReplicaConfig.set(.caFile, to: nil, in: replica)
        }
        let url = replica.directory.appendingPathComponent(SyncCommands.tokenFileName)
        if let token = target.token {
            guard LocalFiles.create(url.path, contents: Array((token + "\n").utf8), mode: 0o600) else {
                throw CommandFailure(.cannotCreate, "cannot write the token file \(url.path)")
            }
        } else if let previous, previous != target.location, FileManager.default.fileExists(atPath: url.path) {
            try FileManager.default.removeItem(at: url)
        }
    }

    /// What the replica has exchanged with its node, in words — `nil` when it never has: no page pulled
    /// (cursor 0), no verdict received (nothing acknowledged or refused), no sync that ended well. Such a
    /// replica may still be pointed at another node (a first sync that failed against a wrong address
    /// leaves it so); once it has exchanged anything, its node holds its history and cannot change.
    /// (Push seqs given before a failed send do not count: the new node receives them from 1, in order.)
    static func exchange(of replica: Replica) throws -> String? {
        let status = try SyncStatus.load(from: replica.db)
        var facts: [String] = []
        if status.cursor > 0 { facts.append("pulled its changes up to #\(status.cursor)") }
        let acknowledged = try replica.db.scalar("SELECT count(*) FROM queue WHERE acked_version IS NOT NULL")?.int64 ?? 0
        if acknowledged > 0 { facts.append("had \(acknowledged) change(s) acknowledged") }
        if status.rejected > 0 { facts.append("had \(status.rejected) change(s) refused") }
        if facts.isEmpty, let last = status.lastSuccessfulRun {
            facts.append("synced at \(last.finishedAt ?? last.startedAt)")
        }
        return facts.isEmpty ? nil : facts.joined(separator: ", ")
    }
}
