import Foundation
import OutpostStore
import OutpostTestSupport
import Testing
import OutpostTestThreads

/// libpq is loaded at first use, never linked: the one `outpost` binary runs where it is not installed.
@Suite("libpq loaded at first use", .ownThreads, .timeLimit(.minutes(20)))
struct LibPQLoadingTests {
    @Test("a library that cannot be loaded is named with the package to install, and exits 69")
    func missingLibraryNamesThePackage() throws {
        let error = try #require(throws: PostgresError.self) { try PostgresLibrary.probe("libpq-not-installed-here.so.5") }
        #expect(error.kind == .libraryMissing)
        #expect(error.kind.exitCode == 69, "EX_UNAVAILABLE")
        #expect(error.description.contains("libpq5"), "\(error)")
        #expect(error.description.contains("libpq-not-installed-here.so.5"), "says what was tried: \(error)")
    }

    @Test("the built binary does not link libpq (ldd)", .enabled(if: Self.ldd != nil, "ldd is not installed here"))
    func binaryDoesNotLinkLibPQ() throws {
        let binary = try #require(OutpostBinary.url, "the outpost binary is built")
        let output = try Self.run([try #require(Self.ldd), binary.path], environment: ProcessInfo.processInfo.environment).output
        #expect(output.contains("libsqlite3"), "ldd listed the libraries: \(output)")
        #expect(!output.contains("libpq"), "\(output)")
    }

    /// `outpost demo` with nothing from the caller's environment but PATH, HOME and a fixed clock, and
    /// the dynamic loader reporting every library it loads (`LD_DEBUG=libs`). As root, libpq is also
    /// hidden for the run: inside a private mount namespace an empty file is bound over it, so the run is
    /// what a machine without libpq sees.
    @Test("outpost demo runs with the environment stripped and libpq out of reach, and never loads libpq")
    func demoRunsWithoutLibPQ() throws {
        let binary = try #require(OutpostBinary.url, "the outpost binary is built")
        let directory = try TemporaryDirectory()
        let environment = ["PATH": "/usr/bin:/bin", "HOME": directory.url.path, "OUTPOST_NOW": "2026-03-02T09:00:00Z", "LD_DEBUG": "libs"]
        var command = [binary.path, "demo", directory.path("demo")]
        var hidden: String?
        if geteuid() == 0, let unshare = Self.tool("unshare"), let libpq = Self.installedLibPQ() {
            let empty = directory.path("empty.so")
            try Data().write(to: URL(fileURLWithPath: empty))
            // sh runs inside the new namespace: bind, check the library is now empty, then become outpost.
            let script = "mount --bind \"$1\" \"$2\" && test ! -s \"$2\" && shift 2 && exec \"$@\""
            command = [unshare, "--mount", "--propagation", "private", "/bin/sh", "-c", script, "sh", empty, libpq] + command
            hidden = libpq
        }
        let result = try Self.run(command, environment: environment)
        print("LibPQLoadingTests: ran `outpost demo` with the environment stripped to PATH, HOME, OUTPOST_NOW and LD_DEBUG; "
              + (hidden.map { "libpq (\($0)) hidden by an empty file bound over it in a private mount namespace" }
                 ?? "libpq left installed (not root, or no unshare): only its loading is checked"))
        #expect(result.status == 0, "\(result.output.suffix(2000))")
        #expect(result.output.contains("Dashboards: "), "the demo ran to the end")
        #expect(result.output.contains("libsqlite3"), "LD_DEBUG reported the libraries loaded")
        let loadsLibPQ = result.output.split(separator: "\n").filter { $0.contains("libpq") }
        #expect(loadsLibPQ.isEmpty, "the demo never loads libpq: \(loadsLibPQ.prefix(5))")
    }

    private static let ldd: String? = tool("ldd")

    private static func tool(_ name: String) -> String? {
        ["/usr/bin", "/bin", "/usr/sbin", "/sbin"].map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The real file behind the `libpq.so.5` this machine's loader would find, if it is installed.
    private static func installedLibPQ() -> String? {
        for directory in ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/lib/x86_64-linux-gnu"] {
            let path = "\(directory)/libpq.so.5"
            if FileManager.default.fileExists(atPath: path) {
                return URL(fileURLWithPath: path).resolvingSymlinksInPath().path
            }
        }
        return nil
    }

    /// Runs a command to its end with stdout and stderr together in one file (no pipe to fill up).
    private static func run(_ command: [String], environment: [String: String]) throws -> (status: Int32, output: String) {
        let directory = try TemporaryDirectory()
        let output = directory.url.appendingPathComponent("output")
        try Data().write(to: output)
        let handle = try FileHandle(forWritingTo: output)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.environment = environment
        process.currentDirectoryURL = directory.url
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try ProcessLauncher.run(process)
        process.waitUntilExit()
        try handle.close()
        return (process.terminationStatus, (try? String(contentsOf: output, encoding: .utf8)) ?? "")
    }
}
