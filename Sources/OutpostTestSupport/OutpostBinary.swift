import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs the built `outpost` executable as a separate process, as a user, a
/// cron job or a peer would. For tests only (no test framework here, so it
/// can be shared by every test target).
public enum OutpostBinary {
    /// Where the binary is: `OUTPOST_TEST_BINARY`, else next to the test bundle, else `.build/debug/outpost`.
    public static let url: URL? = {
        if let override = ProcessInfo.processInfo.environment["OUTPOST_TEST_BINARY"], FileManager.default.isExecutableFile(atPath: override) {
            return URL(fileURLWithPath: override)
        }
        var candidates: [URL] = []
        var directory = Bundle.main.bundleURL.standardizedFileURL
        for _ in 0..<4 {
            candidates.append(directory.appendingPathComponent("outpost"))
            directory = directory.deletingLastPathComponent()
        }
        if let first = CommandLine.arguments.first {
            candidates.append(URL(fileURLWithPath: first).resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("outpost"))
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug/outpost"))
        return candidates.first { url in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && !isDirectory.boolValue
                && FileManager.default.isExecutableFile(atPath: url.path)
        }
    }()

    /// The outcome of one run.
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// The environment a run gets: the runner's without `OUTPOST_*`, plus `overrides`.
    public static func environment(_ overrides: [String: String]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("OUTPOST_") }
        environment.merge(overrides) { _, new in new }
        return environment
    }

    /// Starts `outpost args…` with output going to files (no pipe can fill up); the caller waits or kills.
    public static func start(_ arguments: [String], environment overrides: [String: String] = [:], in directory: URL) throws -> Running {
        guard let url else { throw NotBuilt() }
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        process.environment = environment(overrides)
        let token = UUID().uuidString
        let out = directory.appendingPathComponent(".out-\(token)")
        let err = directory.appendingPathComponent(".err-\(token)")
        // Not FileManager.createFile: on Linux it leaves a TemporaryDirectory.* in /tmp per call.
        for file in [out, err] { close(open(file.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)) }
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try ProcessLauncher.run(process)
        return Running(process: process, stdoutFile: out, stderrFile: err)
    }

    /// Runs to completion (killed after `timeLimit` seconds).
    public static func run(_ arguments: [String], environment overrides: [String: String] = [:], in directory: URL,
                           timeLimit: TimeInterval = 60) throws -> Result {
        let running = try start(arguments, environment: overrides, in: directory)
        return running.wait(timeLimit: timeLimit)
    }

    public struct NotBuilt: Error, CustomStringConvertible {
        public init() {}
        public var description: String { "the outpost executable was not found; run swift build first" }
    }

    /// A process started by `start`.
    public final class Running: @unchecked Sendable {
        // @unchecked: used from the test's own thread only.
        public let process: Process
        let stdoutFile: URL
        let stderrFile: URL

        init(process: Process, stdoutFile: URL, stderrFile: URL) {
            self.process = process
            self.stdoutFile = stdoutFile
            self.stderrFile = stderrFile
        }

        /// Sends a signal (SIGKILL, SIGTERM…).
        public func signal(_ number: Int32) {
            kill(process.processIdentifier, number)
        }

        /// Waits for the end (killing it after `timeLimit`) and collects its output.
        public func wait(timeLimit: TimeInterval = 60) -> Result {
            let deadline = Date().addingTimeInterval(timeLimit)
            while process.isRunning, Date() < deadline { usleep(5_000) }
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
            }
            process.waitUntilExit()
            let stdout = (try? String(contentsOf: stdoutFile, encoding: .utf8)) ?? ""
            let stderr = (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(at: stdoutFile)
            try? FileManager.default.removeItem(at: stderrFile)
            return Result(status: process.terminationStatus, stdout: stdout, stderr: stderr)
        }
    }
}

/// A directory under the system's temporary directory, removed when the value goes away.
public final class TemporaryDirectory: @unchecked Sendable {
    // @unchecked: immutable after init.
    public let url: URL

    public init(_ label: String = "outpost") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }

    /// A path inside it.
    public func path(_ component: String) -> String { url.appendingPathComponent(component).path }
}

/// Starts child processes one at a time across the whole test run.
///
/// The test targets run their suites in parallel in one process, and
/// Foundation's `Process.run()` on Linux is not safe to call from several
/// threads at once: a `.ci/run` crashed inside it (a bad pointer in `memcpy`
/// while another test was starting its own child). Starting is a few
/// milliseconds; the children still run side by side.
///
/// A start can also fail with EBADF when another test closes a file (a socket, a pipe) at that moment: on Linux
/// `run()` lists the open descriptors for the child to close, checks each, and `posix_spawn` fails if one was closed
/// in between (a `.ci/run` lost a test to it). Nothing was started then and `run()` set nothing on the `Process`,
/// so the start is tried again, a few times.
public enum ProcessLauncher {
    private static let lock = NSLock()
    private static let attempts = 5

    /// `process.run()`, never concurrently with another start through here; again after an EBADF.
    public static func run(_ process: Process) throws {
        lock.lock()
        defer { lock.unlock() }
        for attempt in 1... {
            do {
                try process.run()
                return
            } catch where attempt < attempts && isClosedDescriptor(error) {
                continue
            }
        }
    }

    /// Whether a start failed because a descriptor closed under it (EBADF, directly or as the underlying error).
    public static func isClosedDescriptor(_ error: any Error) -> Bool {
        let error = error as NSError
        if error.domain == NSPOSIXErrorDomain { return error.code == Int(EBADF) }
        guard let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError else { return false }
        return underlying.domain == NSPOSIXErrorDomain && underlying.code == Int(EBADF)
    }
}
