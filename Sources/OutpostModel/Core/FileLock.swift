import Foundation
import OutpostSystem
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive advisory lock on a file (`flock(2)`): one sync per replica,
/// one `node notify` per node, one site build per output directory.
///
/// The kernel drops the lock when its descriptor closes, so a process killed
/// with SIGKILL never blocks the next one. The file may hold the holder's pid,
/// for messages only: garbage there does not matter.
public final class FileLock {
    /// Why a lock was not taken.
    public enum Failure: Error, Sendable {
        /// The file could not be opened or created.
        case cannotOpen(path: String, errno: Int32)
        /// Someone else holds it (past the wait); `holder` is the pid it recorded, if any.
        case busy(holder: Int?)
    }

    private let descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    /// Takes the lock on `path`, waiting up to `seconds` for a holder to let go;
    /// `recordsPID` writes this process's pid into the file for others' messages.
    public static func acquire(_ path: String, wait seconds: Double = 0, recordsPID: Bool = false) throws(Failure) -> FileLock {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, LocalFiles.ownerOnly)
        guard descriptor >= 0 else { throw .cannotOpen(path: path, errno: errno) }
        let deadline = Date().addingTimeInterval(max(0, seconds))
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR, Date() < deadline else {
                let holder = recordedHolder(descriptor)
                close(descriptor)
                throw .busy(holder: holder)
            }
            usleep(100_000)
        }
        if recordsPID {
            // One write of a fixed width, no truncation first: a reader never finds the file empty meanwhile.
            let pid = Array((String(getpid()).padding(toLength: recordWidth - 1, withPad: " ", startingAt: 0) + "\n").utf8)
            _ = pwrite(descriptor, pid, pid.count, 0)
        }
        return FileLock(descriptor: descriptor)
    }

    /// The width of the recorded pid, padded with spaces (pids have at most 7 digits on Linux).
    static let recordWidth = 16

    /// The pid the holder recorded. A holder that has just taken the lock may not have written its pid yet
    /// (or the file still names an earlier holder, gone): the file is read again for up to 50 ms until it
    /// names a live process, so a refusal names who holds the lock.
    static func recordedHolder(_ descriptor: Int32) -> Int? {
        var pid: Int?
        for attempt in 0..<6 {
            if attempt > 0 { usleep(10_000) }
            var buffer = [UInt8](repeating: 0, count: 32)
            let count = pread(descriptor, &buffer, 32, 0)
            pid = Int(String(decoding: buffer.prefix(max(0, count)), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
            if let pid, pid > 0, kill(pid_t(pid), 0) == 0 || errno == EPERM { return pid }
        }
        return pid
    }
}
