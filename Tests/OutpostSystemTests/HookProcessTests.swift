import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif
import OutpostSystem

/// The operator's commands (provisioning hooks, sendmail, publish) as run by `HookProcess`.
@Suite("Running an operator's command", .timeLimit(.minutes(20)))
struct HookProcessTests {
    static let environment = ["PATH": "/usr/bin:/bin"]

    @Test("input read to the end is complete; a command that exits without reading it is not")
    func inputCompleteness() throws {
        let big = String(repeating: "x", count: 1 << 20)   // far more than a pipe holds
        let reads = try HookProcess(command: "cat > /dev/null", environment: Self.environment, timeLimit: 10).run(input: big)
        #expect(reads.termination == .exited(0))
        #expect(reads.inputComplete)
        let ignores = try HookProcess(command: "exit 0", environment: Self.environment, timeLimit: 10).run(input: big)
        #expect(ignores.termination == .exited(0))
        #expect(!ignores.inputComplete, "exit 0 without reading is not a delivery")
    }

    @Test("the command text is not on any command line, and descriptors this process left open do not reach it")
    func commandTextAndDescriptors() throws {
        // A descriptor opened without close-on-exec, as a test runner's or a caller's pipes may be.
        let stray = open("/dev/null", O_RDONLY)
        #expect(stray > 2)
        defer { close(stray) }
        let command = "tr '\\0' ' ' < /proc/$$/cmdline; echo; if [ -e /proc/$$/fd/\(stray) ]; then echo inherited; else echo closed; fi"
        let result = try HookProcess(command: command, environment: Self.environment, timeLimit: 10).run(input: nil)
        #expect(result.termination == .exited(0), "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 2, "\(result.stdout)")
        #expect(!(lines.first ?? "").contains("cmdline"), "argv holds the runner, not the command: \(lines.first ?? "")")
        #expect(lines.last == "closed")
    }
}
