import Foundation
import OutpostTestSupport
import Testing
import OutpostModel
#if canImport(Glibc)
import Glibc
import OutpostTestThreads
#endif

/// What reaches a person's terminal: control characters in names, refusals and typed arguments are
/// shown escaped (`\x1B`), so a value cannot retitle the window, clear the screen or move the cursor.
@Suite("outpost end to end: control characters on a terminal", .ownThreads)
struct TerminalOutputTests {
    /// What a terminal received from one run: the bytes, and the exit status.
    struct Screen {
        let status: Int32
        let bytes: [UInt8]
        var text: String { String(decoding: bytes, as: UTF8.self) }
        /// Whether any C0 control other than line feed, carriage return and tab, DEL or a C1 control reached the terminal.
        var hasControls: Bool {
            text.unicodeScalars.contains { ($0.value < 0x20 && !"\n\r\t".unicodeScalars.contains($0)) || (0x7F...0x9F).contains($0.value) }
        }
    }

    /// Runs the built binary with standard output and error on a pseudo-terminal, as at a person's
    /// terminal (`isatty` is true), and collects what the terminal received.
    static func onTerminal(_ arguments: [String]) throws -> Screen {
        let binary = try OutpostProcess.binary.get()
        // Swift's Glibc module does not declare the pseudo-terminal calls: they are looked up at run time.
        typealias Call = @convention(c) (Int32) -> Int32
        typealias Name = @convention(c) (Int32) -> UnsafeMutablePointer<CChar>?
        let grant = try #require(dlsym(nil, "grantpt").map { unsafeBitCast($0, to: Call.self) })
        let unlock = try #require(dlsym(nil, "unlockpt").map { unsafeBitCast($0, to: Call.self) })
        let name = try #require(dlsym(nil, "ptsname").map { unsafeBitCast($0, to: Name.self) })
        let master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
        try #require(master >= 0 && grant(master) == 0 && unlock(master) == 0, "a pseudo-terminal")
        defer { close(master) }
        let path = try #require(name(master).map { String(cString: $0) })
        let follower = open(path, O_RDWR | O_NOCTTY)
        try #require(follower >= 0)
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.environment = OutpostProcess.environment([:])
        let terminal = FileHandle(fileDescriptor: follower, closeOnDealloc: false)
        process.standardOutput = terminal
        process.standardError = terminal
        process.standardInput = FileHandle.nullDevice
        do {
            try ProcessLauncher.run(process)
        } catch {
            close(follower)
            throw error
        }
        // Only the child holds the terminal now: reading ends (EIO) when it exits.
        close(follower)
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        let deadline = Date().addingTimeInterval(OutpostProcess.timeLimit)
        while Date() < deadline {
            var ready = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            guard poll(&ready, 1, 1000) >= 0 else { break }
            if ready.revents == 0 { continue }
            let count = read(master, &chunk, chunk.count)
            if count <= 0 { break }
            bytes += chunk[0..<count]
        }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return Screen(status: process.terminationStatus, bytes: bytes)
    }

    @Test func refusalsTyposAndNamesShowTheirControlCharactersEscaped() throws {
        let sandbox = try Sandbox("terminal")
        defer { sandbox.remove() }
        #expect(sandbox.run(["init"]).status == 0)

        // A refusal that repeats what was typed: the title-setting sequence is shown, not obeyed.
        let refused = try Self.onTerminal(["customer", "add", "--name", "Contoso", "--phone", "v\u{1B}]0;pwned\u{07}", "--replica", sandbox.replica])
        #expect(refused.status == 65)
        #expect(refused.text.contains(#"phone 'v\x1B]0;pwned\x07' may contain only digits"#), "\(refused.text.debugDescription)")
        #expect(!refused.hasControls, "\(refused.text.debugDescription)")
        #expect(try JSONValue(parsing: sandbox.run(["customer", "list", "--json"]).stdout) == .array([]), "nothing was added")

        // A mistyped option, repeated in the usage error.
        let typo = try Self.onTerminal(["customer", "list", "--nmae\u{1B}[2J", "--replica", sandbox.replica])
        #expect(typo.status == 64)
        #expect(typo.text.contains(#"--nmae\x1B[2J"#), "\(typo.text.debugDescription)")
        #expect(!typo.hasControls, "\(typo.text.debugDescription)")

        // A name that reached the replica with control characters (synced from elsewhere), in a listing on standard output.
        let added = sandbox.run(["customer", "add", "--name", "Contoso", "--json"])
        let id = try #require(try JSONValue(parsing: added.stdout)["id"]?.stringValue)
        do {
            let replica = try Replica.open(URL(fileURLWithPath: sandbox.replica), clock: FixedClock(Timestamp(OutpostProcess.now)!))
            try replica.applyFacts { try $0.update("customer", id: id, [("name", "Evil\u{1B}[31mRed\u{9B}2J")]) }
        }
        let listed = try Self.onTerminal(["customer", "list", "--replica", sandbox.replica])
        #expect(listed.status == 0)
        #expect(listed.text.contains(#"Evil\x1B[31mRed\x9B2J"#), "\(listed.text.debugDescription)")
        #expect(!listed.hasControls, "\(listed.text.debugDescription)")
        #expect(listed.text.contains("\n"), "line breaks are layout and stay")

        // Into a pipe the output is the data as it is, for the program reading it.
        let piped = sandbox.run(["customer", "list"])
        #expect(piped.stdout.contains("Evil\u{1B}[31mRed\u{9B}2J"))
    }
}
