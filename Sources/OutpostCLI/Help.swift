/// Help text and the README's command reference, from the command table.
enum Help {
    /// `outpost help`: every command with its abstract, grouped by noun.
    static func overview(_ commands: [CommandSpec]) -> String {
        var lines = [
            "outpost — an offline-first reseller control panel",
            "",
            "Usage: outpost <command> [options]",
            "",
            "Commands:",
        ]
        let width = commands.map(\.name.count).max() ?? 0
        for command in commands {
            lines.append("  " + command.name + String(repeating: " ", count: width - command.name.count) + "  " + command.abstract)
        }
        lines += [
            "",
            "Every command that reads or writes the replica takes --replica DIR (or $OUTPOST_REPLICA).",
            "Reads take --json. OUTPOST_NOW=2026-01-31T10:00:00Z pins the clock for reproducible runs.",
            "",
            "Exit codes (sysexits): 0 ok, 64 usage, 65 bad data or refused by a business rule,",
            "66 no such replica or input, 70 internal error, 73 cannot create or write,",
            "74 I/O error, 75 busy (try again), 78 not a usable replica or configuration.",
            "",
            "'outpost help <command>' shows a command's options.",
        ]
        return lines.joined(separator: "\n")
    }

    /// `outpost help customer add`
    static func text(for command: CommandSpec) -> String {
        var lines = ["Usage: \(command.usage)", "", command.abstract]
        if !command.discussion.isEmpty { lines += ["", command.discussion] }
        if !command.arguments.isEmpty {
            lines += ["", "Arguments:"]
            let width = command.arguments.map(\.name.count).max() ?? 0
            for argument in command.arguments {
                lines.append("  \(argument.name)\(String(repeating: " ", count: width - argument.name.count))  \(argument.help)")
            }
        }
        lines += ["", "Options:"]
        let labels = command.allOptions.map { option in option.value.map { "--\(option.name) \($0)" } ?? "--\(option.name)" }
        let width = labels.map(\.count).max() ?? 0
        for (label, option) in zip(labels, command.allOptions) {
            lines.append("  \(label)\(String(repeating: " ", count: width - label.count))  \(option.help)\(option.required ? " (required)" : "")")
        }
        return lines.joined(separator: "\n")
    }

    /// The Markdown command reference that README.md embeds verbatim.
    static func reference(_ commands: [CommandSpec]) -> String {
        var lines = ["| command | what it does |", "|---|---|"]
        for command in commands {
            let usage = command.usage.replacingOccurrences(of: "|", with: "\\|")
            lines.append("| `\(usage)` | \(command.abstract) |")
        }
        return lines.joined(separator: "\n")
    }
}

import Foundation
