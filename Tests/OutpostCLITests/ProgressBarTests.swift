import Foundation
import OutpostTestSupport
import Testing
@testable import OutpostCLI
import OutpostModel
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
import OutpostTestThreads
#endif

/// The progress bar: its text and throttling on a fake terminal, and the real binary with standard error
/// on a pipe (no bar at all) and on a pseudo-terminal (a bar, cleared at the end).
@Suite("Progress bar", .ownThreads, .timeLimit(.minutes(20)))
struct ProgressBarTests {
    /// What a bar wrote, at a time the test sets.
    final class FakeTerminal {
        var written: [String] = []
        var time = 100.0

        func bar(_ label: String = "pull", unit: String = "changes") -> ProgressBar {
            ProgressBar(label, unit: unit, write: { self.written.append($0) }, now: { self.time })
        }
    }

    @Test("the line: a 20-column bar with percent and grouped counts when the total is known, else a count")
    func text() {
        #expect(ProgressBar.text(label: "pull", unit: "changes", done: 12_345, total: 23_456)
                == "pull  [##########..........]  52%  12,345/23,456 changes")
        #expect(ProgressBar.text(label: "pull", unit: "changes", done: 0, total: 7) == "pull  [....................]   0%  0/7 changes")
        #expect(ProgressBar.text(label: "pull", unit: "changes", done: 9, total: 7) == "pull  [####################] 100%  9/7 changes")
        #expect(ProgressBar.text(label: "site", unit: "pages", done: 1_234_567, total: nil) == "site  1,234,567 pages")
        #expect(ProgressBar.text(label: "site", unit: "pages", done: 999, total: 0) == "site  999 pages")
        #expect(ProgressBar.grouped(1000) == "1,000")
        #expect(ProgressBar.grouped(-1_000_000) == "-1,000,000")
    }

    @Test("draws at once, then at most once per 0.1 s, over the last text; finish blanks the line")
    func throttlingAndClearing() {
        let terminal = FakeTerminal()
        let bar = terminal.bar()
        bar.update(1_000)
        #expect(terminal.written == ["\rpull  1,000 changes"], "the first update draws at once")
        terminal.time += 0.05
        bar.update(2_000)
        terminal.time += 0.04
        bar.update(3_000)
        #expect(terminal.written.count == 1, "updates within 0.1 s of the last redraw are skipped")
        terminal.time += 0.02
        bar.update(10)
        // Shorter than what is on the line: padded with spaces over the leftovers.
        #expect(terminal.written.last == "\rpull  10 changes   ")
        terminal.time += 1
        bar.update(10)
        #expect(terminal.written.count == 2, "the same text is not drawn again")
        bar.finish()
        #expect(terminal.written.last == "\r" + String(repeating: " ", count: "pull  10 changes".count) + "\r")
        #expect(terminal.written.count == 3)
        bar.finish()
        #expect(terminal.written.count == 3, "a second finish writes nothing")
        // Every redraw starts at the line's start and none ends it: the terminal's line stays one line.
        #expect(terminal.written.allSatisfy { $0.hasPrefix("\r") && !$0.contains("\n") })
    }

    @Test("a bar that never drew leaves nothing behind; no terminal or not enabled means no bar")
    func nothingWhenNotATerminal() throws {
        let terminal = FakeTerminal()
        terminal.bar().finish()
        #expect(terminal.written.isEmpty)

        let clock = FixedClock(try #require(Timestamp(OutpostProcess.now)))
        func session(terminal: Bool) -> Session {
            Session(environment: [:], clock: clock, stdinIsTerminal: false, stderrIsTerminal: terminal,
                    out: { _ in }, err: { _ in }, readLine: { nil })
        }
        #expect(ProgressBar.onTerminal(session(terminal: false), "pull", unit: "changes") == nil)
        #expect(ProgressBar.onTerminal(session(terminal: true), "pull", unit: "changes", enabled: false) == nil)
        #expect(ProgressBar.onTerminal(session(terminal: true), "pull", unit: "changes") != nil)
    }

    // MARK: The real binary

    /// A node with the built-in catalog, a reseller and a token, and `count` fresh replicas of it.
    static func node(_ sandbox: Sandbox, replicas count: Int, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String] {
        let node = sandbox.root.appendingPathComponent("node").path
        func ok(_ arguments: [String]) throws -> Outcome {
            let outcome = sandbox.bare(arguments, sourceLocation: sourceLocation)
            try #require(outcome.status == 0, "outpost \(arguments.joined(separator: " ")): \(outcome)", sourceLocation: sourceLocation)
            return outcome
        }
        _ = try ok(["node", "init", node])
        _ = try ok(["node", "plans", "import", "--builtin", "--node", node])
        _ = try ok(["node", "reseller", "add", "acme", "--name", "Acme", "--node", node])
        let token = try ok(["node", "token", "issue", "--reseller", "acme", "--user", "anna", "--node", node]).stdout
        let tokenFile = sandbox.root.appendingPathComponent("token").path
        try token.write(toFile: tokenFile, atomically: false, encoding: .utf8)
        return try (0..<count).map { index in
            let replica = sandbox.root.appendingPathComponent("replica-\(index)").path
            _ = try ok(["init", "--replica", replica, "--node", node, "--reseller", "acme", "--token-file", tokenFile])
            return replica
        }
    }

    @Test("outpost sync with standard error on a pipe prints log lines and not one \\r")
    func noBarOnAPipe() throws {
        let sandbox = try Sandbox("progress-pipe")
        defer { sandbox.remove() }
        let replicas = try Self.node(sandbox, replicas: 1)
        let sync = sandbox.bare(["sync", "--replica", replicas[0]])
        #expect(sync.status == 0, "\(sync)")
        #expect(sync.stdout.contains("pulled") && sync.stdout.contains("Dashboards:"), "it pulled and built the site: \(sync)")
        #expect(sync.stderr.contains("event=sync.done"), "the log lines are there: \(sync)")
        // By scalars: as a Character, "\r\n" would hide a "\r".
        #expect(!sync.stderr.unicodeScalars.contains("\r") && !sync.stdout.unicodeScalars.contains("\r"),
                "no progress characters: \(sync.stderr.debugDescription)")
        #expect(!sync.stderr.contains("changes") && !sync.stderr.contains("pages"))
    }

    @Test("outpost sync with standard error on a pseudo-terminal draws the pull and site bars and clears them; --quiet draws none",
          .enabled(if: PseudoTerminalRun.unavailable == nil, "no pseudo-terminal can be opened here: \(PseudoTerminalRun.unavailable ?? "")"))
    func barOnATerminal() throws {
        let sandbox = try Sandbox("progress-pty")
        defer { sandbox.remove() }
        let replicas = try Self.node(sandbox, replicas: 2)

        let quiet = try PseudoTerminalRun(["sync", "--replica", replicas[0], "--quiet"])
        #expect(quiet.status == 0, "\(quiet.terminal.debugDescription)")
        #expect(quiet.terminal.isEmpty, "--quiet prints nothing, not even a bar: \(quiet.terminal.debugDescription)")

        let run = try PseudoTerminalRun(["sync", "--replica", replicas[0 + 1]])
        #expect(run.status == 0, "\(run.terminal.debugDescription)")
        let terminal = run.terminal
        // Matched by Unicode scalars: as Characters, the terminal's "\r\n" would swallow a "\r".
        // The catalog arrives in the first page, so the first (unthrottled) redraw shows a count.
        let pull = try #require(terminal.firstMatch(of: /\rpull  ([0-9,]+) changes/.matchingSemantics(.unicodeScalar)),
                                "a pull bar: \(terminal.debugDescription)")
        #expect((Int(pull.1.replacingOccurrences(of: ",", with: "")) ?? 0) > 0)
        #expect(terminal.contains(/\rsite  [0-9,]+ pages/.matchingSemantics(.unicodeScalar)), "a site bar: \(terminal.debugDescription)")
        // The bars are blanked before anything else is printed: the log line starts at the start of a blank line…
        let log = try #require(terminal.firstMatch(of: /\r {8,}\rtime=/.matchingSemantics(.unicodeScalar)),
                               "a cleared line, then the log line: \(terminal.debugDescription)")
        // …and no bar follows the log lines.
        #expect(!terminal[log.range.upperBound...].contains(#/\r(pull|site)  /#.matchingSemantics(.unicodeScalar)))
    }
}

/// Runs `outpost args…` with standard error on a fresh pseudo-terminal (standard output on /dev/null) and
/// collects everything the terminal received until the process ends.
struct PseudoTerminalRun {
    /// Why no pseudo-terminal can be opened here, or `nil` when one can.
    static let unavailable: String? = {
        do {
            let (master, slave) = try open()
            close(slave)
            close(master)
            return nil
        } catch {
            return "\(error)"
        }
    }()

    let status: Int32
    /// What reached the terminal. Its line discipline turns each "\n" into "\r\n".
    let terminal: String

    struct Unavailable: Error, CustomStringConvertible {
        let description: String
    }

    init(_ arguments: [String]) throws {
        let binary = try OutpostProcess.binary.get()
        let (master, slave) = try Self.open()
        defer { close(master) }

        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.environment = OutpostProcess.environment([:])
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(fileDescriptor: slave, closeOnDealloc: false)
        do {
            try ProcessLauncher.run(process)
        } catch {
            close(slave)
            throw error
        }
        // Only the child holds the terminal now, so reading ends (EIO) when the child is gone.
        close(slave)
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            var poller = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, 100)
            if ready < 0, errno == EINTR { continue }
            if ready == 0 {
                if process.isRunning { continue }
                break
            }
            let count = read(master, &buffer, buffer.count)
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            received += buffer[0..<count]
        }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        status = process.terminationStatus
        terminal = String(decoding: received, as: UTF8.self)
    }

    /// A new pseudo-terminal: the master side, and the slave side (the terminal the child gets).
    static func open() throws -> (master: Int32, slave: Int32) {
        func failure(_ call: String) -> Unavailable { Unavailable(description: "\(call): \(String(cString: strerror(errno)))") }
        // The Glibc module leaves out the XSI pseudo-terminal calls (they need _XOPEN_SOURCE), so they are
        // looked up in the C library already loaded.
        typealias Call = @convention(c) (Int32) -> Int32
        typealias NameCall = @convention(c) (Int32, UnsafeMutablePointer<CChar>?, Int) -> Int32
        let library = dlopen(nil, RTLD_NOW)
        func symbol<F>(_ name: String, _: F.Type) throws -> F {
            guard let address = dlsym(library, name) else { throw Unavailable(description: "\(name) is not in the C library") }
            return unsafeBitCast(address, to: F.self)
        }
        let posix_openpt = try symbol("posix_openpt", Call.self)
        let grantpt = try symbol("grantpt", Call.self)
        let unlockpt = try symbol("unlockpt", Call.self)
        let ptsname_r = try symbol("ptsname_r", NameCall.self)
        let master = posix_openpt(O_RDWR | O_NOCTTY)
        guard master >= 0 else { throw failure("posix_openpt") }
        guard grantpt(master) == 0, unlockpt(master) == 0 else {
            let error = failure("grantpt/unlockpt")
            close(master)
            throw error
        }
        var name = [CChar](repeating: 0, count: 128)
        guard ptsname_r(master, &name, name.count) == 0 else {
            let error = failure("ptsname_r")
            close(master)
            throw error
        }
        let path = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let slave = Glibc.open(path, O_RDWR | O_NOCTTY)
        guard slave >= 0 else {
            let error = failure("open \(path)")
            close(master)
            throw error
        }
        return (master, slave)
    }
}
