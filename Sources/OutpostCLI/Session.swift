import Foundation
import OutpostModel
#if canImport(Glibc)
import Glibc
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
private let systemWrite = Darwin.write
#endif

/// What a command runs with: its streams, environment and clock. Tests make their own.
public final class Session: @unchecked Sendable {
    // @unchecked: a session belongs to one command run on one thread; the
    // closures it holds are only called from there.
    public let environment: [String: String]
    public let clock: any Clock
    public let stdinIsTerminal: Bool
    /// Whether standard output is a terminal: text printed there shows control characters escaped.
    public let stdoutIsTerminal: Bool
    /// Whether standard error is a terminal: progress bars are drawn only then, and messages show control characters escaped.
    public let stderrIsTerminal: Bool
    private let writeOut: (String) -> Void
    private let writeErr: (String) -> Void
    private let readLineFromInput: () -> String?

    public init(environment: [String: String], clock: any Clock, stdinIsTerminal: Bool, stdoutIsTerminal: Bool = false, stderrIsTerminal: Bool = false,
                out: @escaping (String) -> Void, err: @escaping (String) -> Void, readLine: @escaping () -> String?) {
        self.environment = environment
        self.clock = clock
        self.stdinIsTerminal = stdinIsTerminal
        self.stdoutIsTerminal = stdoutIsTerminal
        self.stderrIsTerminal = stderrIsTerminal
        self.writeOut = out
        self.writeErr = err
        self.readLineFromInput = readLine
    }

    /// The process's own streams, environment and clock (`OUTPOST_NOW` pins it).
    public static func process() throws -> Session {
        let environment = ProcessInfo.processInfo.environment
        let clock: any Clock
        if let pinned = environment["OUTPOST_NOW"], !pinned.isEmpty {
            guard let instant = Timestamp(pinned) else {
                throw CommandFailure(.config, "OUTPOST_NOW '\(pinned)' is not an ISO 8601 UTC time such as 2026-01-31T10:00:00Z")
            }
            clock = FixedClock(instant)
        } else {
            clock = SystemClock()
        }
        return Session(
            environment: environment, clock: clock, stdinIsTerminal: isatty(0) == 1, stdoutIsTerminal: isatty(1) == 1, stderrIsTerminal: isatty(2) == 1,
            out: { StandardStream.output.write($0) },
            err: { StandardStream.error.write($0) },
            readLine: { Swift.readLine(strippingNewline: true) })
    }

    // Names, refusals and typed arguments reach the streams below; on a terminal their control
    // characters are shown escaped (`TerminalText`), into a pipe or a file they go as they are.

    /// Writes a line to standard output.
    public func print(_ line: String = "") { writeOutput(line + "\n") }

    /// Writes text to standard output with its own line ends (a CSV document).
    public func writeOutput(_ text: String) { writeOut(stdoutIsTerminal ? TerminalText.escaped(text) : text) }

    /// Writes a line to standard error.
    public func printError(_ line: String) { writeErr((stderrIsTerminal ? TerminalText.escaped(line) : line) + "\n") }

    /// Writes text to standard error as it is, without a line feed (a progress bar's `\r` redraws; it shows only counts).
    func writeError(_ text: String) { writeErr(text) }

    /// Asks on the terminal; the answer, or `nil` at end of input.
    func ask(_ prompt: String) -> String? {
        writeErr(stderrIsTerminal ? TerminalText.escaped(prompt) : prompt)
        return readLineFromInput()
    }
}

/// Standard output or error, written with `write(2)`.
///
/// A reader that goes away early (`outpost customer list | head -1`) must end
/// the output quietly, as git does: Foundation's `FileHandle.write` traps on
/// `EPIPE`, so the stream is written directly, and once the reader is gone the
/// rest of the output is dropped while the command finishes and returns its
/// own exit code (SIGPIPE is ignored in `main.swift`).
final class StandardStream: @unchecked Sendable {
    // @unchecked: `closed` is only read and set under `lock`.
    static let output = StandardStream(descriptor: 1)
    static let error = StandardStream(descriptor: 2)

    private let descriptor: Int32
    private let lock = NSLock()
    private var closed = false

    init(descriptor: Int32) { self.descriptor = descriptor }

    func write(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { return }
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { buffer in
                systemWrite(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if written > 0 {
                offset += written
            } else if written < 0, errno == EINTR || errno == EAGAIN {
                continue
            } else {
                // EPIPE, a closed descriptor, a full disk behind a redirect: nothing more can reach the reader.
                closed = true
                return
            }
        }
    }
}

/// The sysexits codes `outpost` exits with.
public enum ExitCode: Int32, Sendable {
    case ok = 0
    /// Done, but something needs a person's attention (sync: refusals or conflicts).
    case attention = 1
    /// EX_USAGE: the command line is wrong.
    case usage = 64
    /// EX_DATAERR: a value is malformed or a business rule refuses it.
    case dataError = 65
    /// EX_NOINPUT: the replica or an input file does not exist.
    case noInput = 66
    /// EX_UNAVAILABLE: what the command needs is not here (libpq for a PostgreSQL node; a file backup of a node
    /// that lives in PostgreSQL).
    case unavailable = 69
    /// EX_SOFTWARE: a bug; please report it.
    case software = 70
    /// EX_CANTCREAT: an output cannot be created or written.
    case cannotCreate = 73
    /// EX_IOERR: reading or writing failed.
    case ioError = 74
    /// EX_TEMPFAIL: busy or unavailable; try again later.
    case tempFail = 75
    /// EX_NOPERM: not allowed.
    case noPermission = 77
    /// EX_CONFIG: the replica or its configuration is not usable.
    case config = 78
}

/// A command's failure: a message for people and the exit code that goes with it.
public struct CommandFailure: Error, Sendable, CustomStringConvertible {
    public let code: ExitCode
    public let message: String

    public init(_ code: ExitCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
