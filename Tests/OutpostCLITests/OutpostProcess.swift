import Foundation
import OutpostTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs the built `outpost` executable as a separate process, the way a user or a cron job does.
///
/// The test target depends on the `outpost` executable target, so `swift test`
/// builds the binary into the same directory as the test bundle.
enum OutpostProcess {
    /// The instant every run is pinned to, unless a test overrides `OUTPOST_NOW`.
    static let now = "2026-01-31T10:00:00Z"

    /// The longest one run may take before it is killed (a hang must fail the test, not stall the target).
    static let timeLimit: TimeInterval = 30

    /// Where the binary is, or why it could not be found.
    static let binary: Result<URL, BinaryNotFound> = locate()

    struct BinaryNotFound: Error, CustomStringConvertible {
        let searched: [String]
        var description: String {
            "the outpost executable was not found; build it with 'swift build' (the test target depends on it). Looked in:\n"
                + searched.map { "  " + $0 }.joined(separator: "\n")
        }
    }

    /// Looks for an executable file named `outpost` next to the test bundle: walking up from
    /// `Bundle.main.bundleURL`, then from `CommandLine.arguments[0]`, then `.build/debug/outpost`
    /// under the package root found from `#filePath`. `OUTPOST_TEST_BINARY` overrides all of them.
    static func locate(filePath: String = #filePath) -> Result<URL, BinaryNotFound> {
        var searched: [String] = []
        func executable(at url: URL) -> URL? {
            searched.append(url.path)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue,
                  FileManager.default.isExecutableFile(atPath: url.path) else { return nil }
            return url
        }
        func walkingUp(from start: URL, levels: Int = 4) -> URL? {
            var directory = start.standardizedFileURL
            for _ in 0...levels {
                if let found = executable(at: directory.appendingPathComponent("outpost")) { return found }
                let parent = directory.deletingLastPathComponent()
                if parent.path == directory.path { break }
                directory = parent
            }
            return nil
        }
        if let override = ProcessInfo.processInfo.environment["OUTPOST_TEST_BINARY"], !override.isEmpty,
           let found = executable(at: URL(fileURLWithPath: override)) {
            return .success(found)
        }
        if let found = walkingUp(from: Bundle.main.bundleURL) { return .success(found) }
        if let first = CommandLine.arguments.first, !first.isEmpty {
            let argument = URL(fileURLWithPath: first).resolvingSymlinksInPath()
            if let found = walkingUp(from: argument.deletingLastPathComponent()) { return .success(found) }
        }
        let packageRoot = URL(fileURLWithPath: filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        if let found = executable(at: packageRoot.appendingPathComponent(".build/debug/outpost")) { return .success(found) }
        return .failure(BinaryNotFound(searched: searched))
    }

    /// The environment a run gets: the test runner's, without any `OUTPOST_` variable,
    /// with `OUTPOST_NOW` pinned, then `overrides` on top.
    static func environment(_ overrides: [String: String]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("OUTPOST_") }
        environment["OUTPOST_NOW"] = now
        environment.merge(overrides) { _, new in new }
        return environment
    }

    /// Runs `outpost args…` to completion. Both pipes are drained concurrently, so a large
    /// output cannot fill a pipe and deadlock. Standard input is `stdin`, or `/dev/null`
    /// (never a terminal, so nothing prompts).
    static func run(_ args: [String], env: [String: String] = [:], stdin: String? = nil,
                    sourceLocation: SourceLocation = #_sourceLocation) -> (status: Int32, stdout: String, stderr: String) {
        let binary: URL
        switch self.binary {
        case .success(let url): binary = url
        case .failure(let error):
            Issue.record("\(error)", sourceLocation: sourceLocation)
            return (-1, "", "\(error)")
        }
        let process = Process()
        process.executableURL = binary
        process.arguments = args
        process.environment = environment(env)
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        let input: Pipe? = stdin == nil ? nil : Pipe()
        process.standardInput = input ?? FileHandle.nullDevice
        do {
            try ProcessLauncher.run(process)
        } catch {
            Issue.record("could not start \(binary.path): \(error)", sourceLocation: sourceLocation)
            return (-1, "", "\(error)")
        }

        let collected = Collected()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) {
            collected.setError(errors.fileHandleForReading.readDataToEndOfFile())
        }
        if let input, let stdin {
            DispatchQueue.global().async(group: group) {
                // A child that exits without reading must not make the write fail the test run (SIGPIPE is ignored below).
                try? input.fileHandleForWriting.write(contentsOf: Data(stdin.utf8))
                try? input.fileHandleForWriting.close()
            }
        }
        let watchdog = DispatchWorkItem { if process.isRunning { collected.markKilled(); process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeLimit, execute: watchdog)
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        watchdog.cancel()
        if collected.killed {
            Issue.record("outpost \(args.joined(separator: " ")) did not finish within \(Int(timeLimit)) s and was killed",
                         sourceLocation: sourceLocation)
        }
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: collected.error, as: UTF8.self))
    }

    /// Thread-safe holder for what the background readers collect.
    private final class Collected: @unchecked Sendable {
        // @unchecked: every access goes through `lock`.
        private let lock = NSLock()
        private var errorData = Data()
        private var wasKilled = false

        func setError(_ data: Data) { lock.lock(); errorData = data; lock.unlock() }
        var error: Data { lock.lock(); defer { lock.unlock() }; return errorData }
        func markKilled() { lock.lock(); wasKilled = true; lock.unlock() }
        var killed: Bool { lock.lock(); defer { lock.unlock() }; return wasKilled }
    }

    /// Writing to a child that has already exited must be an error, not a signal that ends the test runner.
    static let ignoreSIGPIPE: Void = { _ = signal(SIGPIPE, SIG_IGN) }()
}

/// One `outpost` run's result.
struct Outcome: CustomStringConvertible {
    let status: Int32
    let stdout: String
    let stderr: String

    var description: String { "exit \(status)\n--- stdout:\n\(stdout)\n--- stderr:\n\(stderr)" }

    /// The standard output parsed as JSON.
    func json(sourceLocation: SourceLocation = #_sourceLocation) throws -> Any {
        do {
            return try JSONSerialization.jsonObject(with: Data(stdout.utf8), options: [.fragmentsAllowed])
        } catch {
            Issue.record("stdout is not JSON: \(error)\n\(self)", sourceLocation: sourceLocation)
            throw error
        }
    }
}

/// A fresh, uniquely named directory for one test, with a replica path inside it.
///
/// Tests create it, `defer { sandbox.remove() }`, and run commands against `replica`.
final class Sandbox {
    let root: URL

    init(_ label: String = "test") throws {
        _ = OutpostProcess.ignoreSIGPIPE
        root = FileManager.default.temporaryDirectory
            .appendingPathComponent("OutpostCLITests-\(label)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    /// The replica directory (inside `root`; `init` creates it).
    var replica: String { root.appendingPathComponent("replica").path }

    /// Deletes everything, restoring write permission first where a test took it away.
    func remove() {
        if let paths = FileManager.default.enumerator(atPath: root.path) {
            for case let path as String in paths {
                _ = chmod(root.appendingPathComponent(path).path, 0o755)
            }
        }
        _ = chmod(root.path, 0o755)
        try? FileManager.default.removeItem(at: root)
    }

    /// `outpost args… --replica <replica>`.
    func run(_ args: [String], env: [String: String] = [:], stdin: String? = nil,
             sourceLocation: SourceLocation = #_sourceLocation) -> Outcome {
        bare(args + ["--replica", replica], env: env, stdin: stdin, sourceLocation: sourceLocation)
    }

    /// `outpost args…` as given, without `--replica`.
    func bare(_ args: [String], env: [String: String] = [:], stdin: String? = nil,
              sourceLocation: SourceLocation = #_sourceLocation) -> Outcome {
        let result = OutpostProcess.run(args, env: env, stdin: stdin, sourceLocation: sourceLocation)
        return Outcome(status: result.status, stdout: result.stdout, stderr: result.stderr)
    }

    /// Runs a command that must succeed; fails the test with its output otherwise.
    @discardableResult
    func ok(_ args: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> Outcome {
        let outcome = run(args, sourceLocation: sourceLocation)
        try #require(outcome.status == 0, "outpost \(args.joined(separator: " ")) failed: \(outcome)", sourceLocation: sourceLocation)
        return outcome
    }

    /// Runs `args --json` (must succeed) and returns the parsed output.
    func json(_ args: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> Any {
        try ok(args + ["--json"], sourceLocation: sourceLocation).json(sourceLocation: sourceLocation)
    }

    /// Runs `args --json` that must print a JSON object.
    func object(_ args: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let value = try json(args, sourceLocation: sourceLocation)
        return try #require(value as? [String: Any], "expected a JSON object from \(args)", sourceLocation: sourceLocation)
    }

    /// Runs `args --json` that must print a JSON array of objects.
    func array(_ args: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String: Any]] {
        let value = try json(args, sourceLocation: sourceLocation)
        return try #require(value as? [[String: Any]], "expected a JSON array of objects from \(args)", sourceLocation: sourceLocation)
    }

    /// `outpost init` with the company name and markup the scripted session uses.
    func initialize(markup: String = "30", sourceLocation: SourceLocation = #_sourceLocation) throws {
        try ok(["init", "--company-name", "Acme Cloud", "--markup", markup], sourceLocation: sourceLocation)
    }

    /// What a refused command must leave untouched: the queue (every write queues) and the
    /// entity lists, plus `extra` lists the test cares about (`["payment", "list"]`).
    func snapshot(_ extra: [String]..., sourceLocation: SourceLocation = #_sourceLocation) throws -> [String] {
        try ([["queue", "list"], ["customer", "list"], ["order", "list"], ["user", "list"]] + extra).map {
            try ok($0 + ["--json"], sourceLocation: sourceLocation).stdout
        }
    }
}

// MARK: - Reading JSONSerialization output

/// An integer from a JSON value (`NSNumber` on Linux), or `nil` (also for a fractional number).
func int(_ value: Any?) -> Int64? {
    if let value = value as? Int64 { return value }
    if let value = value as? Int { return Int64(value) }
    if let number = value as? NSNumber, number.doubleValue == number.doubleValue.rounded() { return number.int64Value }
    return nil
}

/// A string from a JSON value, or `nil`.
func string(_ value: Any?) -> String? { value as? String }

/// Whether a JSON value is `null`.
func isNull(_ value: Any?) -> Bool { value is NSNull }

/// A nested JSON object, or `nil`.
func object(_ value: Any?) -> [String: Any]? { value as? [String: Any] }

/// A nested JSON array of objects, or `nil`.
func objects(_ value: Any?) -> [[String: Any]]? { value as? [[String: Any]] }

/// Minor units as the decimal text `payment record --amount` reads (two decimals, as EUR has).
func decimal(_ minorUnits: Int64, digits: Int = 2) -> String {
    var scale: Int64 = 1
    for _ in 0..<digits { scale *= 10 }
    let fraction = String(minorUnits % scale)
    return "\(minorUnits / scale)" + (digits > 0 ? "." + String(repeating: "0", count: digits - fraction.count) + fraction : "")
}

/// The sale price rule of DESIGN.md, computed independently of the code under test:
/// cost × (10000 + markup) / 10000, rounded half away from zero.
func expectedPrice(cost: Int64, markupBp: Int64) -> Int64 {
    let numerator = cost * (10_000 + markupBp)
    let (quotient, remainder) = numerator.quotientAndRemainder(dividingBy: 10_000)
    guard remainder.magnitude * 2 >= 10_000 else { return quotient }
    return quotient + (numerator < 0 ? -1 : 1)
}

/// Margin on price in basis points, rounded half away from zero (prices here are positive).
func expectedMargin(price: Int64, cost: Int64) -> Int64 {
    let numerator = (price - cost) * 10_000
    let (quotient, remainder) = numerator.quotientAndRemainder(dividingBy: price)
    guard remainder.magnitude * 2 >= price.magnitude else { return quotient }
    return quotient + (numerator < 0 ? -1 : 1)
}
