import Foundation
import OutpostModel

/// `outpost demo`: a short scripted session on a fresh replica, through the real commands.
enum DemoCommand {
    static let all: [CommandSpec] = [demo]

    /// The scripted session: each step is an `outpost` command line; `{customer}` is the customer made in step 2.
    static let script: [[String]] = [
        ["init", "--company-name", "Northwind Cloud Services", "--currency", "EUR", "--markup", "25"],
        ["customer", "add", "--name", "Contoso Dental GmbH", "--contact", "Maria Keller", "--email", "it@contoso-dental.example",
         "--city", "Berlin", "--country", "DE"],
        ["user", "add", "--username", "anna", "--name", "Anna Field", "--email", "anna@northwind.example", "--role", "admin"],
        ["price", "set", "--plan", "pln_m365-business-premium-m", "--markup", "30"],
        ["order", "place", "--customer", "{customer}", "--plan", "pln_m365-business-premium-m", "--quantity", "12"],
        ["order", "place", "--customer", "{customer}", "--plan", "pln_domain-de", "--domain", "contoso-dental.de"],
        ["order", "list"],
        ["queue", "list"],
    ]

    static let demo = CommandSpec(
        ["demo"], "run a short scripted session on a fresh replica: setup, a customer, orders, the queue",
        arguments: [.init("DIR", optional: true, "where to create it (default ./outpost-demo; replaced if it is a previous demo)")],
        usesReplica: false,
        run: { invocation, session in
            let directory = URL(fileURLWithPath: invocation.optionalArgument(0) ?? "outpost-demo")
            let replica = directory.appendingPathComponent("replica")
            try prepare(directory)
            var customer = ""
            for step in script {
                let arguments = step.map { $0 == "{customer}" ? customer : $0 } + ["--replica", replica.path]
                session.print("$ outpost " + step.map { $0 == "{customer}" ? customer : quoted($0) }.joined(separator: " "))
                var captured = ""
                let inner = Session(environment: session.environment, clock: session.clock, stdinIsTerminal: false,
                                    out: { captured += $0 }, err: { session.printError($0.trimmingCharacters(in: .newlines)) },
                                    readLine: { nil })
                let status = Outpost.run(arguments, session: inner)
                session.print(captured.trimmingCharacters(in: .newlines))
                session.print("")
                guard status == 0 else { throw CommandFailure(ExitCode(rawValue: status) ?? .software, "demo step failed: outpost \(step.joined(separator: " "))") }
                if step.starts(with: ["customer", "add"]), let id = captured.split(separator: " ").first(where: { $0.hasPrefix("cus_") }) {
                    customer = String(id)
                }
            }
            session.print("The replica is in \(replica.path); try: outpost customer list --replica \(replica.path)")
        })

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
            try Data("made by outpost demo; safe to delete\n".utf8).write(to: marker)
        } catch {
            throw CommandFailure(.cannotCreate, "cannot create \(directory.path): \(error.localizedDescription)")
        }
    }

    static func quoted(_ word: String) -> String {
        word.contains(where: { $0 == " " || $0 == "\"" || $0 == "'" }) ? "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'" : word
    }
}
