import Foundation
import OutpostModel
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One `node notify` at a time per node: a `FileLock` on `notify.lock` in the node directory.
enum NotifyLock {
    static func acquire(directory: URL) throws -> FileLock {
        let path = directory.appendingPathComponent("notify.lock").path
        do {
            return try FileLock.acquire(path)
        } catch .cannotOpen(_, let code) {
            throw NotificationError(.cannotWrite, "cannot open the notify lock \(path): \(String(cString: strerror(code)))")
        } catch .busy {
            throw NotificationError(.busy, "another outpost node notify is running on \(directory.path); try again later")
        }
    }
}
