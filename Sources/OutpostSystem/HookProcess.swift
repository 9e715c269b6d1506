import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs an operator's command — a provisioning hook, sendmail, a site's publish
/// command: `/bin/sh -c COMMAND` with a text (or `/dev/null`) on stdin, its
/// output collected, and the whole process group killed when it runs too long.
///
/// Spawned with `posix_spawn` in a process group of its own, so a timeout
/// kills the shell and everything it started (a `sleep` the shell forked would
/// otherwise keep the pipes open and the node waiting). Pipes are made
/// close-on-exec so hooks run by concurrent provisioners never inherit each
/// other's pipe ends.
public struct HookProcess: Sendable {
    /// How a run ended.
    public enum Termination: Equatable, Sendable {
        case exited(Int32)
        case signalled(Int32)
        /// Killed after running longer than the time limit.
        case timedOut
    }

    /// How a run ended and what it wrote (as much as `outputLimit` kept).
    public struct Result: Sendable {
        public let termination: Termination
        public let stdout: String
        public let stderr: String
        /// Whether it took all of its input (a command that exits without reading it leaves some behind).
        public var inputComplete = true
    }

    /// Why the command could not be started at all.
    public struct LaunchError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    public let command: String
    /// The whole environment it gets (nothing is inherited that is not in here).
    public let environment: [String: String]
    public let timeLimit: TimeInterval
    /// Where it runs; `nil`: this process's working directory.
    public var workingDirectory: String?
    /// Output beyond this many bytes per stream is read and dropped.
    public var outputLimit: Int
    /// Keep the last `outputLimit` bytes of each stream instead of the first (the end of a log says why it failed).
    public var keepsEndOfOutput: Bool
    /// Whether SIGINT, SIGTERM or SIGHUP sent to this process while the command runs is passed on to the
    /// command's process group — its own, so a terminal's Ctrl-C or a `kill` of this process would otherwise
    /// miss it — after which this process ends by the same signal. For a command run in the foreground (the
    /// sync's publish step); a server keeps its own signal handling and leaves this off.
    public var forwardsSignals = false

    public init(command: String, environment: [String: String], timeLimit: TimeInterval, workingDirectory: String? = nil,
                outputLimit: Int = 1 << 20, keepsEndOfOutput: Bool = false) {
        self.command = command
        self.environment = environment
        self.timeLimit = timeLimit
        self.workingDirectory = workingDirectory
        self.outputLimit = outputLimit
        self.keepsEndOfOutput = keepsEndOfOutput
    }

    /// A child's output made safe to print on a terminal or in a mail: control characters other than line feed
    /// and tab dropped, trimmed.
    public static func printable(_ text: String) -> String {
        var kept = String.UnicodeScalarView()
        for scalar in text.unicodeScalars where scalar == "\n" || scalar == "\t" || !(scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)) {
            kept.append(scalar)
        }
        return String(kept).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs it to the end or the time limit, writing `input` to its stdin (`nil`: stdin is `/dev/null`).
    public func run(input: String?) throws -> Result {
        _ = Self.ignoreBrokenPipes
        var stdinPipe: [Int32] = [-1, -1]
        var stdoutPipe: [Int32] = [-1, -1]
        var stderrPipe: [Int32] = [-1, -1]
        defer { for fd in stdinPipe + stdoutPipe + stderrPipe where fd >= 0 { close(fd) } }
        // Caught from before the spawn: a signal that arrived between the spawn and setting the handlers would
        // end this process alone and leave the command running (a sync stopped just as its publish began).
        let forwarding = forwardsSignals ? SignalForwarding.begin() : nil
        defer { forwarding?.end() }
        Self.spawnLock.lock()
        let pid: pid_t
        do {
            defer { Self.spawnLock.unlock() }
            if input != nil { stdinPipe = try Self.makePipe() }
            stdoutPipe = try Self.makePipe()
            stderrPipe = try Self.makePipe()
            pid = try spawn(stdin: stdinPipe[0], stdout: stdoutPipe[1], stderr: stderrPipe[1])
            // The child has its copies; close ours so end of file arrives when it exits.
            for fd in [stdinPipe[0], stdoutPipe[1], stderrPipe[1]] { close(fd) }
            stdinPipe[0] = -1
            stdoutPipe[1] = -1
            stderrPipe[1] = -1
        }

        let deadline = Self.monotonicSeconds() + timeLimit
        let bytes = Array((input ?? "").utf8)
        var written = 0
        var inputRefused = false
        // All of the input was taken: written whole, never refused (stdin closed with bytes still to go).
        var inputTaken: Bool { !inputRefused && written == bytes.count }
        var out: [UInt8] = []
        var err: [UInt8] = []
        var exitStatus: Int32?
        for fd in [stdinPipe[1], stdoutPipe[0], stderrPipe[0]] where fd >= 0 { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }

        while true {
            if let forwarding, let signal = forwarding.received {
                kill(-pid, SIGTERM)
                var status: Int32 = 0
                if exitStatus == nil { while waitpid(pid, &status, 0) < 0, errno == EINTR {} }
                forwarding.end()
                raise(signal)
                // Still here: this process ignores that signal. The command was ended all the same.
                return Result(termination: .signalled(signal), stdout: text(out), stderr: text(err), inputComplete: inputTaken)
            }
            if exitStatus == nil {
                var status: Int32 = 0
                let reaped = waitpid(pid, &status, WNOHANG)
                if reaped == pid {
                    exitStatus = status
                } else if reaped < 0, errno != EINTR {
                    throw LaunchError(description: "waiting for the command failed: \(String(cString: strerror(errno)))")
                }
            }
            let remaining = deadline - Self.monotonicSeconds()
            if let exitStatus, remaining <= 0 || (stdoutPipe[0] < 0 && stderrPipe[0] < 0) {
                // It exited; whatever it left running may keep writing, but its answer is in.
                return Result(termination: Self.decode(exitStatus), stdout: text(out), stderr: text(err), inputComplete: inputTaken)
            }
            if exitStatus == nil, remaining <= 0 { break }
            if exitStatus != nil || written == bytes.count, stdinPipe[1] >= 0 {
                close(stdinPipe[1])
                stdinPipe[1] = -1
            }
            var fds: [pollfd] = []
            for fd in [stdoutPipe[0], stderrPipe[0]] where fd >= 0 { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
            if stdinPipe[1] >= 0 { fds.append(pollfd(fd: stdinPipe[1], events: Int16(POLLOUT), revents: 0)) }
            if fds.isEmpty {
                // It closed its outputs early and still runs.
                usleep(5_000)
                continue
            }
            // While it runs, wait a little for output; once it has exited, only collect what it left in the pipes.
            let wait = exitStatus == nil ? Int32(max(1, min(remaining * 1000, 50))) : 0
            let ready = poll(&fds, nfds_t(fds.count), wait)
            if ready < 0 {
                if errno == EINTR { continue }
                throw LaunchError(description: "waiting for the command failed: \(String(cString: strerror(errno)))")
            }
            if ready == 0, let exitStatus {
                return Result(termination: Self.decode(exitStatus), stdout: text(out), stderr: text(err), inputComplete: inputTaken)
            }
            for entry in fds where entry.revents != 0 {
                if entry.fd == stdinPipe[1] {
                    let count = bytes[written...].withUnsafeBytes { write(entry.fd, $0.baseAddress, $0.count) }
                    if count > 0 { written += count }
                    // A hook that exits without reading its input is its own business (EPIPE), not ours; the
                    // result says so, for callers to whom it matters (sendmail).
                    if count < 0, errno != EAGAIN, errno != EINTR {
                        written = bytes.count
                        inputRefused = true
                    }
                } else {
                    let isOut = entry.fd == stdoutPipe[0]
                    let ended = isOut ? drain(entry.fd, into: &out) : drain(entry.fd, into: &err)
                    if ended {
                        close(entry.fd)
                        if isOut { stdoutPipe[0] = -1 } else { stderrPipe[0] = -1 }
                    }
                }
            }
        }
        // Too long: kill the shell and everything it started (they share its process group).
        kill(-pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        return Result(termination: .timedOut, stdout: text(out), stderr: text(err), inputComplete: inputTaken)
    }

    /// Catches SIGINT, SIGTERM and SIGHUP while a foreground command runs, for `run` to pass on.
    private struct SignalForwarding {
        static let signals = [SIGINT, SIGTERM, SIGHUP]
        let previous: [__sighandler_t?]

        static func begin() -> SignalForwarding {
            pendingSignal = 0
            return SignalForwarding(previous: signals.map { signal($0) { received in pendingSignal = received } })
        }

        var received: Int32? { pendingSignal == 0 ? nil : pendingSignal }

        /// Puts the handlers back as they were.
        func end() {
            for (number, handler) in zip(Self.signals, previous) { _ = signal(number, handler) }
        }
    }

    /// Serializes making pipes and spawning (see `makePipe`).
    private static let spawnLock = NSLock()

    /// A hook that exits without reading its input must make our write fail with EPIPE, not end the node with SIGPIPE.
    private static let ignoreBrokenPipes: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    /// Reads what is available, keeping the first or the last `outputLimit` bytes; `true` at end of file.
    private func drain(_ fd: Int32, into buffer: inout [UInt8]) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 { return errno != EINTR && errno != EAGAIN }
        if count == 0 { return true }
        if keepsEndOfOutput {
            buffer.append(contentsOf: chunk[0..<count])
            if buffer.count > outputLimit { buffer.removeFirst(buffer.count - outputLimit) }
        } else {
            let room = max(0, outputLimit - buffer.count)
            buffer.append(contentsOf: chunk[0..<min(count, room)])
        }
        return false
    }

    /// `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34 and later), looked up at run time because
    /// Swift's Glibc module does not declare it; where it is missing, descriptors stay as they are.
    private static let addCloseFrom: (@convention(c) (UnsafeMutableRawPointer, Int32) -> Int32)? = {
        #if canImport(Glibc)
        guard let process = dlopen(nil, RTLD_NOW), let symbol = dlsym(process, "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutableRawPointer, Int32) -> Int32).self)
        #else
        return nil
        #endif
    }()

    #if canImport(Glibc)
    private static func closeFrom(_ first: Int32, in actions: inout posix_spawn_file_actions_t) {
        guard let addCloseFrom else { return }
        withUnsafeMutablePointer(to: &actions) { _ = addCloseFrom(UnsafeMutableRawPointer($0), first) }
    }
    #else
    private static func closeFrom(_ first: Int32, in actions: inout posix_spawn_file_actions_t?) {}
    #endif

    private func spawn(stdin: Int32, stdout: Int32, stderr: Int32) throws -> pid_t {
        #if canImport(Glibc)
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        #else
        var actions: posix_spawn_file_actions_t?
        var attributes: posix_spawnattr_t?
        #endif
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        if stdin >= 0 {
            posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        // Its own process group (so a timeout can kill all of it), default signal
        // handling (a test runner may ignore SIGPIPE) and nothing blocked.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        sigaddset(&defaults, SIGTERM)
        sigaddset(&defaults, SIGINT)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        // Nothing but 0, 1 and 2 reaches the command: descriptors the caller inherited or opened without
        // close-on-exec (a test runner's pipes, say) would otherwise be held open by whatever it leaves running.
        HookProcess.closeFrom(3, in: &actions)

        // The command travels in the environment, not in argv: /proc/PID/cmdline is readable by every local user,
        // /proc/PID/environ only by its owner, and a publish line may hold a password. The shell takes it out of
        // the environment before running it. Swift's Glibc module lacks posix_spawn_file_actions_addchdir_np,
        // so the same shell changes to the working directory first — same pid, same process group.
        let run = "__outpost_command=$OUTPOST_HOOK_COMMAND; unset OUTPOST_HOOK_COMMAND; eval \"$__outpost_command\""
        let words = workingDirectory.map { ["/bin/sh", "-c", "cd -- \"$1\" && { " + run + "; }", "sh", $0] } ?? ["/bin/sh", "-c", run]
        let arguments = words.map { $0.withCString { strdup($0) } }
        var fullEnvironment = environment
        fullEnvironment["OUTPOST_HOOK_COMMAND"] = command
        let variables = fullEnvironment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)".withCString { strdup($0) } }
        defer { for pointer in arguments + variables { free(pointer) } }
        var argv: [UnsafeMutablePointer<CChar>?] = arguments + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] = variables + [nil]
        var pid: pid_t = 0
        let result = posix_spawn(&pid, "/bin/sh", &actions, &attributes, &argv, &envp)
        guard result == 0 else {
            throw LaunchError(description: "cannot start /bin/sh: \(String(cString: strerror(result)))")
        }
        return pid
    }

    /// A pipe whose ends close on exec. (`pipe2` would do it atomically, but Glibc's module does not export it;
    /// hooks are spawned one at a time under `spawnLock`, so none of ours can inherit another's pipe in between.)
    private static func makePipe() throws -> [Int32] {
        var pair: [Int32] = [-1, -1]
        guard pipe(&pair) == 0 else {
            throw LaunchError(description: "cannot create a pipe for the command: \(String(cString: strerror(errno)))")
        }
        for fd in pair { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return pair
    }

    /// `WIFEXITED`/`WEXITSTATUS`/`WTERMSIG`, which Swift does not import (they are macros).
    private static func decode(_ status: Int32) -> Termination {
        let signal = status & 0x7f
        return signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal)
    }

    /// Output as text; a kept end that starts inside a character starts at the next one instead.
    private func text(_ bytes: [UInt8]) -> String {
        let start = keepsEndOfOutput ? bytes.prefix(3).prefix { $0 & 0xC0 == 0x80 }.count : 0
        return String(decoding: bytes[start...], as: UTF8.self)
    }

    private static func monotonicSeconds() -> TimeInterval {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return TimeInterval(spec.tv_sec) + TimeInterval(spec.tv_nsec) / 1e9
    }
}

/// The signal `HookProcess.SignalForwarding` caught (0: none). Written only by its handler, read by `run`'s loop.
nonisolated(unsafe) private var pendingSignal: Int32 = 0
