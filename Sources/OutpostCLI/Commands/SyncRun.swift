import Foundation
#if canImport(Glibc)
import Glibc
#endif
import OutpostModel
import OutpostSync

/// One sync at a time per replica: a `FileLock` on `sync.lock` in the replica
/// directory, which a killed run never leaves behind.
enum ReplicaLock {
    static let fileName = "sync.lock"

    static func acquire(directory: URL, wait seconds: Double) throws -> FileLock {
        let path = directory.appendingPathComponent(fileName).path
        do {
            return try FileLock.acquire(path, wait: seconds, recordsPID: true)
        } catch .cannotOpen(_, let code) {
            throw CommandFailure(.cannotCreate, "cannot open the sync lock \(path): \(String(cString: strerror(code)))")
        } catch .busy(let holder) {
            throw CommandFailure(.tempFail, "another outpost sync is running on \(directory.path)\(holder.map { " (pid \($0))" } ?? ""); try again later, or pass --wait SECONDS")
        }
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
