import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One `node notify` at a time per node: `flock` on `notify.lock` in the node directory.
final class NotifyLock {
    private let descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    static func acquire(directory: URL) throws -> NotifyLock {
        let path = directory.appendingPathComponent("notify.lock").path
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw NotificationError(.cannotWrite, "cannot open the notify lock \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw NotificationError(.busy, "another outpost node notify is running on \(directory.path); try again later")
        }
        return NotifyLock(descriptor: descriptor)
    }
}
