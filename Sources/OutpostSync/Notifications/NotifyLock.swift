import Foundation
import OutpostModel

/// One `node notify` at a time per node: the node's `notify` job lock (`notify.lock` in a SQLite node's
/// directory, an advisory lock in a PostgreSQL node's database), with the notify run's own errors.
enum NotifyLock {
    static func acquire(node: Node) throws -> NodeJobLock {
        do {
            return try node.lock(.notify)
        } catch let error as NodeJobLock.CannotOpen {
            throw NotificationError(.cannotWrite, "cannot open the notify lock \(error.path): \(error.reason)")
        } catch let error as NodeJobLock.Busy {
            throw NotificationError(.busy, "another outpost node notify is running on \(error.node); try again later")
        }
    }
}
