import Foundation
import OutpostModel
import OutpostStore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One copy of a back-office job (`provision`, `bill`, `notify`, `compact`) at a time per node, whichever
/// machine runs it: a `FileLock` on `JOB.lock` in a SQLite node's directory; on PostgreSQL a session-level
/// advisory lock (`pg_try_advisory_lock`) in the node's database, which every machine serving the node
/// shares. Either is dropped when its holder lets go or dies (the kernel closes the file; the server ends
/// the session), so a killed job never blocks the next one.
public final class NodeJobLock {
    /// The node's jobs that must not run twice at once.
    public enum Job: String, Sendable, CaseIterable {
        case provision, bill, notify, compact
    }

    /// Another copy of the job holds the lock: try again later (exit 75).
    public struct Busy: Error, Sendable, CustomStringConvertible {
        public let job: Job
        public let node: String
        public var description: String { "another outpost node \(job.rawValue) is running on \(node); try again later" }
    }

    private let release: () -> Void

    private init(release: @escaping () -> Void) {
        self.release = release
    }

    deinit { release() }

    /// The advisory-lock key of a job on PostgreSQL: the same on every machine (advisory locks are per database,
    /// so per node).
    static func advisoryKey(_ job: Job) -> Int64 {
        PostgresDatabase.advisoryLockKey("outpost.node.\(job.rawValue)")
    }

    /// Takes the job's lock on `node`, or throws `Busy` when another copy holds it; an unusable lock file
    /// throws `cannotOpen`.
    static func acquire(_ job: Job, on node: Node) throws -> NodeJobLock {
        if let db = node.connection {
            let key = advisoryKey(job)
            guard try db.tryAdvisoryLock(key) else { throw Busy(job: job, node: node.location) }
            return NodeJobLock { _ = try? db.advisoryUnlock(key) }
        }
        let path = node.directory.appendingPathComponent("\(job.rawValue).lock").path
        do {
            let lock = try FileLock.acquire(path)
            return NodeJobLock { withExtendedLifetime(lock) {} }
        } catch .cannotOpen(_, let code) {
            throw CannotOpen(path: path, reason: String(cString: strerror(code)))
        } catch .busy {
            throw Busy(job: job, node: node.location)
        }
    }

    /// The lock file of a SQLite node cannot be opened.
    public struct CannotOpen: Error, Sendable, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String { "cannot open the lock \(path): \(reason)" }
    }
}

extension Node {
    /// Takes the lock that keeps a second copy of `job` from running on this node at once (`NodeJobLock`);
    /// held until the returned lock is released.
    public func lock(_ job: NodeJobLock.Job) throws -> NodeJobLock {
        try NodeJobLock.acquire(job, on: self)
    }
}
