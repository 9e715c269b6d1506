import Foundation

/// `help`, `version`.
enum HelpCommands {
    static let all: [CommandSpec] = [help, version]

    static let help = CommandSpec(
        ["help"], "show all commands, or one command's options",
        arguments: [],
        options: [.init("reference", "print the Markdown command reference (as in README.md)")],
        usesReplica: false,
        run: { invocation, session in
            if invocation.flag("reference") { return session.print(Help.reference(Outpost.commands)) }
            session.print(Help.overview(Outpost.commands))
        })

    static let version = CommandSpec(
        ["version"], "print the version of outpost",
        usesReplica: false,
        run: { _, session in session.print("outpost \(Outpost.version)") })
}

extension Outpost {
    public static let version = "0.1.0"
}
