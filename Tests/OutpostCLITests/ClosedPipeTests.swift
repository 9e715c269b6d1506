import Foundation
import OutpostCLI
import OutpostTestSupport
import Testing
#if canImport(Glibc)
import Glibc
import OutpostTestThreads
#endif

/// `outpost customer list | head -1`: a reader that stops early must end the
/// output quietly, as git does — exit 0, nothing on standard error, no crash.
@Suite("outpost end to end: a reader that closes early", .ownThreads, .timeLimit(.minutes(20)))
struct ClosedPipeTests {
    /// The demo's world: a node and Anna's replica with customers, orders,
    /// subscriptions, invoices, services, a pending change and a pending credit note.
    final class World: @unchecked Sendable {
        // @unchecked: built once, then only read (paths) by the tests.
        let sandbox: Sandbox
        /// The world's directory, for the exit handler (which can capture nothing); set once, before any test reads it.
        nonisolated(unsafe) static var root: String?
        var node: String { sandbox.root.appendingPathComponent("outpost-demo/node").path }
        var anna: String { sandbox.root.appendingPathComponent("outpost-demo/anna").path }

        init() throws {
            sandbox = try Sandbox("closed-pipe")
            // Shared by every test of the suite, so none of them can remove it: it goes when the test process ends.
            World.root = sandbox.root.path
            atexit { if let root = World.root { try? FileManager.default.removeItem(atPath: root) } }
            let demo = sandbox.bare(["demo", sandbox.root.appendingPathComponent("outpost-demo").path])
            #expect(demo.status == 0, "\(demo)")
            // One change still queued, so `queue list` and `queue show` have something to print.
            let add = sandbox.bare(["customer", "add", "--name", "Pending Pipes Ltd", "--replica", anna])
            #expect(add.status == 0, "\(add)")
            let user = sandbox.bare(["customer-user", "add", "--customer", "Pending Pipes", "--username", "jdoe", "--name", "Jane Doe",
                                     "--email", "jdoe@pipes.example", "--replica", anna])
            #expect(user.status == 0, "\(user)")
            // And a credit note (pending), so `credit-note list` and `credit-note show` do too.
            let unpaid = sandbox.bare(["invoice", "list", "--unpaid", "--json", "--replica", anna])
            let rows = (try? JSONSerialization.jsonObject(with: Data(unpaid.stdout.utf8))) as? [[String: Any]]
            let invoice = ((rows?.first?["invoice"] as? [String: Any])?["id"] as? String) ?? "no unpaid invoice in the demo"
            let credit = sandbox.bare(["invoice", "credit", invoice, "--amount", "0.01", "--reason", "pipe test", "--replica", anna])
            #expect(credit.status == 0, "\(credit)")
        }
    }

    static let world = Result { try World() }

    /// Every command that only reads and prints. Commands whose last word is
    /// `list` or `show` are found in the command table, so a new one is covered
    /// (or this test fails asking how to give it an argument).
    static var readCommands: [CommandSpec] {
        let named: Set<String> = ["status", "conflicts", "queue rejected", "verify", "node status", "help", "version", "settings show", "config show",
                                   "summary"]
        return Outpost.commands.filter { named.contains($0.name) || ["list", "show"].contains($0.path.last) || $0.path.first == "report" }
    }

    /// For a `show` command: the `list` command whose first JSON row gives its argument, and the key path to read.
    static let showArgumentSource: [String: (list: [String], key: String)] = [
        "customer show": (["customer", "list"], "id"),
        "customer-user show": (["customer-user", "list"], "id"),
        "plan show": (["plan", "list"], "plan.id"),
        "order show": (["order", "list"], "id"),
        "subscription show": (["subscription", "list"], "subscription.id"),
        "invoice show": (["invoice", "list"], "invoice.id"),
        "credit-note show": (["credit-note", "list"], "id"),
        "queue show": (["queue", "list"], "seq"),
        "license show": (["license", "list"], "id"),
        "settings show": ([], ""),
        "config show": ([], ""),
    ]

    /// The command line for `command` against the demo's world, or a reason it has none.
    static func arguments(for command: CommandSpec, in world: World) throws -> [String] {
        let location = command.path.first == "node" ? [String]() : ["--replica", world.anna]
        switch command.name {
        case "node status": return ["node", "status", world.node]
        case "node reseller list": return ["node", "reseller", "list", "--node", world.node]
        case "node token list": return ["node", "token", "list", "--node", world.node]
        case "help": return ["help", "--reference"]
        case "version": return ["version"]
        default: break
        }
        guard command.path.last == "show", command.arguments.contains(where: { !$0.optional }) else {
            return command.path + location
        }
        let source = try #require(showArgumentSource[command.name], "\(command.name): say in showArgumentSource how to find an argument for it")
        let listed = world.sandbox.bare(source.list + ["--json"] + location)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]], "\(listed)")
        let first = try #require(rows.first.flatMap { row in
            source.key.split(separator: ".").reduce(row as Any?) { ($0 as? [String: Any])?[String($1)] }
        }, "\(source.list.joined(separator: " ")) printed no row with \(source.key) in the demo")
        return command.path + ["\(first)"] + location
    }

    /// Runs `outpost args…` with standard output a pipe whose reading end is
    /// closed as soon as the process starts: every write it makes meets `EPIPE`.
    static func runWithClosedReader(_ arguments: [String]) throws -> (status: Int32, stderr: String) {
        let binary = try OutpostProcess.binary.get()
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.environment = OutpostProcess.environment([:])
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try ProcessLauncher.run(process)
        try output.fileHandleForReading.close()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stderr, as: UTF8.self))
    }

    @Test("fixtures generate --out - writes to standard output, and ends quietly when the reader stops")
    func fixturesToAClosedPipe() throws {
        let (status, stderr) = try Self.runWithClosedReader(["fixtures", "generate", "--customers", "200", "--out", "-"])
        #expect(status == 0, "\(stderr)")
        #expect(!stderr.contains("Error"), "\(stderr)")
        #expect(!FileManager.default.fileExists(atPath: FileManager.default.currentDirectoryPath + "/-"), "no file named -")
    }

    @Test("every read command, text and JSON, into a closed pipe: exit 0 and nothing on standard error",
          arguments: ClosedPipeTests.readCommands.map(\.name))
    func readCommandIntoClosedPipe(name: String) throws {
        let world = try Self.world.get()
        let command = try #require(Outpost.commands.first { $0.name == name })
        let arguments = try Self.arguments(for: command, in: world)
        for variant in command.printsJSON ? [arguments, arguments + ["--json"]] : [arguments] {
            let (status, stderr) = try Self.runWithClosedReader(variant)
            #expect(status == 0, "outpost \(variant.joined(separator: " ")) exited \(status): \(stderr)")
            #expect(stderr.isEmpty, "outpost \(variant.joined(separator: " ")) wrote to standard error: \(stderr)")
        }
    }
}
