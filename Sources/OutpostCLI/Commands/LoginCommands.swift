import Foundation
import OutpostModel
import OutpostSync

/// `node logins import`: customer users' sign-ins, exported by a vendor panel, brought to the node.
enum LoginCommands {
    static let all: [CommandSpec] = [importLogins]

    static let importLogins = CommandSpec(
        ["node", "logins", "import"], "import customer users' logins (JSON lines from a vendor panel); the whole file or nothing",
        arguments: [.init("FILE", "JSON lines: {\"customer_user\": …, \"customer\": …, \"at\": …, \"result\": …, \"source\": …}")],
        options: [
            .init("reseller", value: "ID", "whose customers they are (default: the node's only reseller)"),
            NodeCommands.nodeOption,
        ],
        discussion: """
            Each line is one object: customer_user (a customer user id cu_…, or username), customer (id or
            name; needed only when several customers have a user of that name), at (2026-02-03T09:12:00Z,
            not in the future), result (success or failure) and source (optional, an address). Every line
            is checked first; a file with any bad line is refused whole (exit 65, each bad line by number
            and why) and nothing is written, so the fixed file can simply be imported again. An event the
            node already has (same user, time, result and source) is counted, not stored twice. The events
            reach the reseller's laptops on their next sync.
            """,
        usesReplica: false,
        run: { invocation, session in
            let node = try NodeCommands.openNodeNamed(invocation, session)
            let resellerId: String
            if let given = invocation.value("reseller") {
                resellerId = given
            } else {
                let all = try node.resellers()
                guard all.count == 1 else {
                    throw UsageError(message: "the node has \(all.count) resellers; say whose logins these are with --reseller ID", command: invocation.command.name)
                }
                resellerId = all[0].id
            }
            let file = invocation.argument(0)
            guard let data = FileManager.default.contents(atPath: file) else { throw CommandFailure(.noInput, "cannot read \(file)") }
            guard let text = String(data: data, encoding: .utf8) else { throw CommandFailure(.dataError, "\(file) is not UTF-8 text") }
            let tenant = try node.tenant(resellerId)
            let outcome: LoginImport.Outcome
            do {
                outcome = try LoginImport.importLines(text, into: tenant, now: session.clock.now())
            } catch let refused as LoginImport.Refused {
                throw CommandFailure(.dataError, "\(file): " + refused.description)
            }
            session.print("Imported \(outcome.recorded) login(s) for \(resellerId)"
                          + (outcome.alreadyKnown > 0 ? "; \(outcome.alreadyKnown) the node already had" : "") + ".")
        })
}
