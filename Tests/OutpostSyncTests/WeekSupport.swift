import Foundation
import OutpostStore
import OutpostTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `outpost node serve` as a separate process on a loopback port the kernel
/// picks, serving one node directory for one test (the reseller and tokens are
/// the test's own, unlike `ServedNode`'s fixed pair).
final class ServedNodeProcess: @unchecked Sendable {
    // @unchecked: set once in init; the collector locks its own text.
    let process = Process()
    let port: Int
    private let collector: StandardErrorCollector

    struct NotServing: Error, CustomStringConvertible {
        let log: String
        var description: String { "node serve did not print its address:\n\(log)" }
    }

    /// Serves `node` on `port` (0: one the kernel picks; a given one to serve again where a killed process served).
    init(node: String, environment: [String: String], in directory: URL, port wanted: Int = 0) throws {
        guard let binary = OutpostBinary.url else { throw NotServing(log: "the outpost executable was not found; run swift build first") }
        process.executableURL = binary
        process.arguments = ["node", "serve", node, "--listen", "127.0.0.1:\(wanted)"]
        process.environment = OutpostBinary.environment(environment)
        process.currentDirectoryURL = directory
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try ProcessLauncher.run(process)
        collector = StandardErrorCollector(errors.fileHandleForReading)
        var found: Int?
        _ = ServedNode.waitUntil(seconds: 15) { [collector, process] in
            let log = collector.text
            if let range = log.range(of: "Listening on http://127.0.0.1:"), let end = log[range.upperBound...].firstIndex(of: "/") {
                found = Int(log[range.upperBound..<end])
            }
            return found != nil || !process.isRunning
        }
        guard let found else {
            process.terminate()
            process.waitUntilExit()
            throw NotServing(log: collector.text)
        }
        port = found
    }

    var url: String { "http://127.0.0.1:\(port)/" }

    /// Everything the node wrote to standard error so far.
    var log: String { collector.text }

    /// SIGKILL: the node dies between any two instructions, as in a crash.
    func kill() {
        guard process.isRunning else { return }
        _ = Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}

/// What a node holds: every row of every table in `node.sqlite` and in each
/// reseller's database, as text keyed `file/table`. Two equal snapshots mean
/// a command wrote nothing (no row added, removed or changed).
enum NodeSnapshot {
    static func take(node: String) throws -> [String: String] {
        let root = URL(fileURLWithPath: node)
        let tenants = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("tenants").path)
        let files = ["node.sqlite"] + tenants.filter { $0.hasSuffix(".sqlite") }.sorted().map { "tenants/" + $0 }
        var contents: [String: String] = [:]
        for file in files {
            let db = try Database(path: root.appendingPathComponent(file).path, mode: .readOnly)
            let tables = try db.rows("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
                .map { try $0.string("name") }
            for table in tables {
                // The name comes from sqlite_master itself, quoted as an identifier.
                let quoted = "\"" + table.replacingOccurrences(of: "\"", with: "\"\"") + "\""
                var text = ""
                try db.forEachRow("SELECT * FROM \(quoted) ORDER BY 1") { row in
                    text += row.dictionary.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",") + "\n"
                }
                contents["\(file)/\(table)"] = text
            }
        }
        return contents
    }
}

/// A test that runs `outpost` processes in its own directory, each at the
/// instant it names (`OUTPOST_NOW`), as people on different days would.
protocol ClockedScenario {
    var dir: TemporaryDirectory { get }
}

extension ClockedScenario {
    /// `outpost args…` at `now`, expecting `status`.
    @discardableResult
    func outpost(_ arguments: [String], at now: String, expect status: Int32 = 0,
                 sourceLocation: SourceLocation = #_sourceLocation) throws -> OutpostBinary.Result {
        let result = try OutpostBinary.run(arguments, environment: ["OUTPOST_NOW": now], in: dir.url)
        #expect(result.status == status, "outpost \(arguments.joined(separator: " ")) exited \(result.status), not \(status):\n\(result.stdout)\n\(result.stderr)",
                sourceLocation: sourceLocation)
        return result
    }

    /// A node at `node` with reseller acme ("Acme Cloud") and the built-in catalog, and a token for each of
    /// `users` in `<user>.token` in the test's directory.
    /// With a `database`, the node lives there (`node init --store`).
    func makeNode(_ node: String, users: [String], at now: String, database: TestDatabase? = nil) throws {
        try outpost(["node", "init", node] + (database.map { ["--store", $0.connectionString] } ?? []), at: now)
        try outpost(["node", "plans", "import", "--builtin", "--node", node], at: now)
        try outpost(["node", "reseller", "add", "acme", "--name", "Acme Cloud", "--node", node], at: now)
        for user in users {
            let token = try outpost(["node", "token", "issue", "--reseller", "acme", "--user", user, "--node", node], at: now)
            try token.stdout.write(toFile: dir.path("\(user).token"), atomically: false, encoding: .utf8)
        }
    }

    /// `outpost args… --json` at `now`, parsed.
    func json(_ arguments: [String], at now: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Any {
        let result = try outpost(arguments + ["--json"], at: now, sourceLocation: sourceLocation)
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
    }
}
