import Foundation
import OutpostModel
import OutpostSystem

/// `outpost demo`: the whole picture in one command, through the real commands —
/// a node with a reseller and the catalog, two field reps working offline
/// (one conflicting edit, one order the node refuses), sync, provisioning,
/// a billing run, sync again, and the dashboards with one customer's portal.
enum DemoCommand {
    static let all: [CommandSpec] = [demo]

    /// One step: a summary line and the command lines it runs. `{…}` names are filled from earlier output.
    struct Step {
        let summary: String
        let commands: [[String]]
        /// Exit statuses that are part of the story (a sync that reports a refusal exits 1).
        var accepted: Set<Int32> = [0]
        /// How long before the demo's "now" the step happens: the offline edits are made at
        /// different times, so the later one wins the conflict, as it would in the field.
        var hoursAgo = 0
    }

    static func steps(node: String, anna: String, ben: String, tokens: (anna: String, ben: String), billThrough: String, logins: String) -> [Step] {
        [
            Step(summary: "node with reseller acme and the built-in catalog", commands: [
                ["node", "init", node], ["node", "plans", "import", "--builtin", "--node", node],
                ["node", "reseller", "add", "acme", "--name", "Northwind Cloud Services", "--node", node],
                ["node", "token", "issue", "--reseller", "acme", "--user", "anna", "--node", node, ">", tokens.anna],
                ["node", "token", "issue", "--reseller", "acme", "--user", "ben", "--node", node, ">", tokens.ben],
            ], hoursAgo: 3),
            Step(summary: "two field reps, Anna and Ben, with replicas of acme", commands: [
                ["init", "--replica", anna, "--node", node, "--reseller", "acme", "--token-file", tokens.anna],
                ["init", "--replica", ben, "--node", node, "--reseller", "acme", "--token-file", tokens.ben],
                ["sync", "--replica", anna, "--quiet", "--no-site"], ["sync", "--replica", ben, "--quiet", "--no-site"],
            ], hoursAgo: 3),
            Step(summary: "Anna adds customers (Contoso with a portal), a user, a markup and orders (one for the reseller's own use, at cost); everyone syncs", commands: [
                ["customer", "add", "--replica", anna, "--name", "Contoso Dental GmbH", "--email", "it@contoso-dental.example", "--country", "DE", "{contoso}"],
                ["customer", "add", "--replica", anna, "--name", "Fabrikam Legal LLP", "--country", "GB", "{fabrikam}"],
                // Contoso sees its own account in a portal of its own (`outpost portal list` says where).
                ["portal", "enable", "{contoso}", "--replica", anna],
                ["customer-user", "add", "--replica", anna, "--customer", "{contoso}", "--username", "jdoe", "--name", "Jane Doe",
                 "--email", "jane.doe@contoso-dental.example"],
                ["user", "add", "--replica", anna, "--username", "anna", "--name", "Anna Field", "--email", "anna@northwind.example", "--role", "admin"],
                ["price", "set", "--replica", anna, "--plan", "pln_m365-business-premium-m", "--markup", "30"],
                ["order", "place", "--replica", anna, "--customer", "{contoso}", "--plan", "pln_m365-business-premium-m", "--quantity", "12"],
                ["order", "place", "--replica", anna, "--customer", "{contoso}", "--plan", "pln_domain-de", "--domain", "contoso-dental.de"],
                ["order", "place", "--replica", anna, "--customer", "{contoso}", "--plan", "pln_sectigo-ov", "--common-name", "www.contoso-dental.de"],
                ["order", "place", "--replica", anna, "--customer", "{contoso}", "--plan", "pln_office-ltsc-std-2024", "--quantity", "5"],
                ["order", "place", "--replica", anna, "--for-self", "--plan", "pln_m365-business-basic-m", "--quantity", "3"],
                ["sync", "--replica", anna, "--quiet", "--no-site"], ["sync", "--replica", ben, "--quiet", "--no-site"],
            ], hoursAgo: 3),
            Step(summary: "offline, two hours ago: Ben edits Contoso's phone and orders for Fabrikam", commands: [
                ["customer", "edit", "{contoso}", "--replica", ben, "--phone", "+49 30 2222"],
                ["order", "place", "--replica", ben, "--customer", "{fabrikam}", "--plan", "pln_plesk-web-admin"],
            ], hoursAgo: 2),
            Step(summary: "offline, an hour ago: Anna edits the same phone and suspends Fabrikam", commands: [
                ["customer", "edit", "{contoso}", "--replica", anna, "--phone", "+49 30 1111"],
                ["customer", "suspend", "{fabrikam}", "--replica", anna],
            ], hoursAgo: 1),
            Step(summary: "sync: Ben's order is refused, Anna's later phone edit is kept and Ben is told", commands: [
                ["sync", "--replica", anna, "--quiet", "--no-site"], ["sync", "--replica", ben, "--quiet", "--no-site"],
            ], accepted: [0, 1]),
            Step(summary: "the node provisions the orders and runs billing through \(billThrough)", commands: [
                ["node", "provision", node, "--builtin"], ["node", "bill", node, "--through", billThrough],
            ]),
            Step(summary: "the node imports Contoso's sign-ins from the vendor's panel", commands: [
                ["node", "logins", "import", logins, "--node", node, "--reseller", "acme"],
            ]),
            Step(summary: "both sync again; Anna's dashboards are rendered", commands: [
                ["sync", "--replica", ben, "--quiet"], ["sync", "--replica", anna, "--quiet"],
            ], accepted: [0, 1]),
        ]
    }

    static let demo = CommandSpec(
        ["demo"], "build a complete example: a node, two replicas working offline, sync, provisioning, billing, dashboards",
        arguments: [.init("DIR", optional: true, "where to create it (default ./outpost-demo; replaced if it is a previous demo)")],
        usesReplica: false,
        run: { invocation, session in
            let directory = URL(fileURLWithPath: invocation.optionalArgument(0) ?? "outpost-demo").standardizedFileURL
            try prepare(directory)
            let path = { (name: String) in directory.appendingPathComponent(name).path }
            let billThrough = session.clock.now().date.description
            var names: [String: String] = [:]
            let started = DispatchTime.now().uptimeNanoseconds
            try writeLogins(to: path("logins.jsonl"), now: session.clock.now())
            for step in steps(node: path("node"), anna: path("anna"), ben: path("ben"), tokens: (path("anna.token"), path("ben.token")),
                              billThrough: billThrough, logins: path("logins.jsonl")) {
                for command in step.commands {
                    var arguments = command
                    var capture: String?
                    if command.starts(with: ["customer", "add"]), let last = command.last, last.hasPrefix("{") {
                        capture = last
                        arguments.removeLast()
                    }
                    var redirect: String?
                    if let arrow = arguments.firstIndex(of: ">") {
                        redirect = arguments[arrow + 1]
                        arguments = Array(arguments[..<arrow])
                    }
                    arguments = arguments.map { names[$0] ?? $0 }
                    if capture != nil { arguments.append("--json") }
                    var out = ""
                    var err = ""
                    let clock = step.hoursAgo == 0 ? session.clock : FixedClock(session.clock.now().adding(seconds: -3600 * Int64(step.hoursAgo)))
                    let inner = Session(environment: session.environment, clock: clock, stdinIsTerminal: false,
                                        out: { out += $0 }, err: { err += $0 }, readLine: { nil })
                    let status = Outpost.run(arguments, session: inner)
                    guard step.accepted.contains(status) else {
                        throw CommandFailure(ExitCode(rawValue: status) ?? .software,
                                             "demo step failed: outpost \(arguments.joined(separator: " ")): \(err.trimmingCharacters(in: .whitespacesAndNewlines))")
                    }
                    if let capture, let id = (try? JSONValue(parsing: out))?["id"]?.stringValue { names[capture] = id }
                    if let redirect {
                        guard LocalFiles.create(redirect, contents: Array(out.utf8), mode: 0o600) else {
                            throw CommandFailure(.cannotCreate, "cannot write \(redirect)")
                        }
                    }
                }
                session.print("✓ " + step.summary)
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            session.print(String(format: "Done in %.1f s. Try:", seconds))
            let outpost = commandName(environment: session.environment)
            for command in followUps(anna: path("anna"), ben: path("ben")) {
                session.print("  " + ([outpost] + command.map(shellQuoted)).joined(separator: " "))
            }
            session.print("Dashboards: " + directory.appendingPathComponent("anna/site/index.html").path)
            let replica = try Replica.open(URL(fileURLWithPath: path("anna")), clock: session.clock)
            for portal in try CustomerPortal.list(in: replica.db) {
                session.print("Portal of \(try NameBook(replica.db).customer(portal.customerId)): "
                              + directory.appendingPathComponent("anna/site/" + portal.path).path)
            }
        })

    /// Jane Doe's sign-ins to Contoso's vendor panel as the vendor exports them (JSON lines), in the
    /// last two hours: after the demo made her user three hours ago, one mistyped password among them.
    static func writeLogins(to path: String, now: Timestamp) throws {
        let lines = [(120, "success", "203.0.113.7"), (45, "failure", "198.51.100.23"), (44, "success", "198.51.100.23")].map { minutes, result, source in
            #"{"customer_user": "jdoe", "customer": "Contoso Dental GmbH", "at": "\#(now.adding(seconds: -60 * Int64(minutes)))", "result": "\#(result)", "source": "\#(source)"}"#
        }
        guard LocalFiles.create(path, contents: Array((lines.joined(separator: "\n") + "\n").utf8), mode: 0o600) else {
            throw CommandFailure(.cannotCreate, "cannot write \(path)")
        }
    }

    /// What the demo suggests trying next, each a command line that works as printed.
    static func followUps(anna: String, ben: String) -> [[String]] {
        [
            ["customer", "list", "--replica", anna],
            ["customer", "show", "Contoso", "--replica", anna],
            ["customer-user", "show", "jdoe", "--replica", anna],
            ["portal", "list", "--replica", anna],
            ["conflicts", "--replica", ben],
            ["queue", "rejected", "--replica", ben],
        ]
    }

    /// How to run this binary from the current directory: `outpost` when that is
    /// what the `PATH` finds, else its path (under `swift run` it is not on the `PATH`).
    static func commandName(environment: [String: String]) -> String {
        guard let running = Bundle.main.executableURL?.resolvingSymlinksInPath() else { return "outpost" }
        for directory in (environment["PATH"] ?? "").split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent("outpost").resolvingSymlinksInPath()
            if FileManager.default.isExecutableFile(atPath: candidate.path) {
                return candidate.path == running.path ? "outpost" : shellQuoted(running.path)
            }
        }
        let current = FileManager.default.currentDirectoryPath + "/"
        return shellQuoted(running.path.hasPrefix(current) ? "./" + running.path.dropFirst(current.count) : running.path)
    }

    /// `text` as one word for a POSIX shell: unchanged when it is plain, else in single quotes.
    static func shellQuoted(_ text: String) -> String {
        let plain = text.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "/._-+=:@,%".unicodeScalars.contains($0) }
        return plain && !text.isEmpty ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// Makes `directory` empty, refusing to touch anything that is not a previous demo.
    static func prepare(_ directory: URL) throws {
        let manager = FileManager.default
        let marker = directory.appendingPathComponent(".outpost-demo")
        if manager.fileExists(atPath: directory.path) {
            let contents = (try? manager.contentsOfDirectory(atPath: directory.path)) ?? []
            guard contents.isEmpty || manager.fileExists(atPath: marker.path) else {
                throw CommandFailure(.cannotCreate, "\(directory.path) exists and is not an outpost demo; choose another directory")
            }
            try manager.removeItem(at: directory)
        }
        do {
            try manager.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw CommandFailure(.cannotCreate, "cannot create \(directory.path): \(error.localizedDescription)")
        }
        guard LocalFiles.create(marker.path, contents: Array("made by outpost demo; safe to delete\n".utf8)) else {
            throw CommandFailure(.cannotCreate, "cannot write in \(directory.path)")
        }
    }
}
