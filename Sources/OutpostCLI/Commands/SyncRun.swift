import Foundation
#if canImport(Glibc)
import Glibc
#endif
import OutpostModel
import OutpostSync

/// One sync at a time per replica: an advisory lock on `sync.lock` in the
/// replica directory. The kernel drops it when the process ends, so a run
/// killed with SIGKILL never blocks the next one; the file's content (the
/// holder's pid) is only for the message, and garbage there does not matter.
final class ReplicaLock {
    private let descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    static func acquire(directory: URL, wait seconds: Double) throws -> ReplicaLock {
        let path = directory.appendingPathComponent("sync.lock").path
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw CommandFailure(.cannotCreate, "cannot open the sync lock \(path): \(String(cString: strerror(errno)))")
        }
        let deadline = Date().addingTimeInterval(max(0, seconds))
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR, Date() < deadline else {
                var buffer = [UInt8](repeating: 0, count: 32)
                let count = pread(descriptor, &buffer, 32, 0)
                let holder = Int(String(decoding: buffer.prefix(max(0, count)), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
                close(descriptor)
                throw CommandFailure(.tempFail, "another outpost sync is running on \(directory.path)\(holder.map { " (pid \($0))" } ?? ""); try again later, or pass --wait SECONDS")
            }
            usleep(100_000)
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pwrite(descriptor, pid, pid.count, 0)
        return ReplicaLock(descriptor: descriptor)
    }
}

/// Structured log lines on stderr for unattended runs, written by `LogLine` as `key=value` text or one JSON
/// object per line. Never given a token: the fields are counts, ids and messages.
struct SyncLog {
    let format: LogFormat
    let runId: String
    let quiet: Bool
    let session: Session

    /// Logs an event; info events are silent with `--quiet`, warnings and errors never are.
    func log(_ level: String, _ event: String, _ fields: [(String, JSONValue)] = []) {
        if quiet, level == "info" { return }
        let head: [(String, JSONValue)] = [("time", .string(session.clock.now().description)), ("level", .string(level)),
                                           ("run", .string(runId)), ("event", .string(event))]
        session.printError(LogLine(head + fields).rendered(format))
    }
}

extension LogFormat {
    /// `--log-format text|json`, the same for `sync` and `node serve`.
    static let option = CommandSpec.Option("log-format", value: "FORMAT", "text (key=value, the default) or json: one JSON object per log line on standard error")

    /// The format `--log-format` names; text when it is not given.
    static func chosen(_ invocation: Invocation) throws -> LogFormat {
        try invocation.value("log-format").map { try OptionValue.choice($0, LogFormat.self, option: "log-format") } ?? .text
    }
}

/// Transient failures are retried with exponential backoff and jitter, inside the time limit.
enum SyncRetry {
    /// The pause before attempt `attempt + 1`: 0.25 s doubling to at most 8 s, times a random 0.5–1.5.
    static func backoff(after attempt: Int) -> Double {
        let base = min(8, 0.25 * pow(2, Double(attempt - 1)))
        return base * Double.random(in: 0.5..<1.5)
    }

    /// Whether a failure may pass by itself (node unreachable, busy, 5xx, timeout).
    static func isTransient(_ failure: CommandFailure) -> Bool { failure.code == .tempFail }
}
