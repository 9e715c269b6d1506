import Foundation
import Testing
import OutpostModel
@testable import OutpostCLI
import OutpostTestThreads

/// Help and the README's command reference come from the command table; these keep them complete.
@Suite("Help and command reference", .ownThreads)
struct HelpTests {
    @Test("command names are unique and every command has a non-empty abstract")
    func abstracts() {
        let names = Outpost.commands.map(\.name)
        #expect(Set(names).count == names.count, "duplicate command names: \(names)")
        for command in Outpost.commands {
            #expect(!command.abstract.trimmingCharacters(in: .whitespaces).isEmpty, "'\(command.name)' has no abstract")
            #expect(!command.path.isEmpty)
            #expect(command.path.allSatisfy { !$0.isEmpty && !$0.hasPrefix("-") && !$0.contains(" ") })
        }
    }

    @Test("no command defines an option twice (including the shared --replica, --json, --help)")
    func uniqueOptions() {
        for command in Outpost.commands {
            let names = command.allOptions.map(\.name)
            #expect(Set(names).count == names.count, "'\(command.name)' has duplicate options: \(names)")
            for option in command.allOptions {
                #expect(!option.help.isEmpty, "'\(command.name) --\(option.name)' has no help")
                #expect(!option.name.hasPrefix("-") && !option.name.contains("=") && !option.name.contains(" "))
            }
        }
    }

    @Test("each command's help lists its usage, its arguments and all its options")
    func helpListsOptions() {
        for command in Outpost.commands {
            let text = Help.text(for: command)
            #expect(text.hasPrefix("Usage: outpost \(command.name)"), "help of '\(command.name)' starts with \(text.prefix(40))")
            #expect(text.contains(command.abstract))
            for option in command.allOptions {
                #expect(text.contains("--\(option.name)"), "help of '\(command.name)' does not list --\(option.name)")
                if let placeholder = option.value {
                    #expect(text.contains("--\(option.name) \(placeholder)"))
                }
            }
            for argument in command.arguments {
                #expect(text.contains(argument.name), "help of '\(command.name)' does not list \(argument.name)")
                #expect(text.contains(argument.help))
            }
            for option in command.options where option.required {
                #expect(text.contains("\(option.help) (required)"))
                #expect(command.usage.contains("--\(option.name) \(option.value ?? "")".trimmingCharacters(in: .whitespaces)))
                #expect(!command.usage.contains("[--\(option.name) "), "usage of '\(command.name)' shows required --\(option.name) as optional")
            }
        }
    }

    @Test("the overview lists every command with its abstract")
    func overview() {
        let text = Help.overview(Outpost.commands)
        let lines = text.split(separator: "\n").map(String.init)
        for command in Outpost.commands {
            #expect(lines.contains { $0.hasPrefix("  \(command.name) ") && $0.hasSuffix(command.abstract) },
                    "overview does not list '\(command.name)'")
        }
    }

    @Test("the reference has one table row per command")
    func referenceRows() {
        let rows = Help.reference(Outpost.commands).split(separator: "\n")
        #expect(rows.count == Outpost.commands.count + 2)
        #expect(rows.first == "| command | what it does |")
        for (row, command) in zip(rows.dropFirst(2), Outpost.commands) {
            #expect(row.hasPrefix("| `outpost \(command.name)"))
            #expect(row.hasSuffix("| \(command.abstract) |"))
        }
    }

    @Test("`help customer add` and `customer add --help` print the same text, in process")
    func helpInProcess() throws {
        let viaHelp = try Captured.run(["help", "customer", "add"])
        let viaFlag = try Captured.run(["customer", "add", "--help"])
        #expect(viaHelp.status == 0)
        #expect(viaFlag.status == 0)
        #expect(viaHelp.out == viaFlag.out)
        #expect(viaHelp.out.contains("--name NAME"))
        #expect(viaHelp.err.isEmpty)
        let none = try Captured.run([])
        #expect(none.status == 0)
        #expect(none.out == Help.overview(Outpost.commands) + "\n")
        let reference = try Captured.run(["help", "--reference"])
        #expect(reference.out == Help.reference(Outpost.commands) + "\n")
    }

    @Test("README.md embeds the exact command reference between its markers")
    func readmeEmbedsReference() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = root.appendingPathComponent("README.md")
        let text = try #require(try? String(contentsOf: readme, encoding: .utf8), "README.md not found at \(readme.path)")
        let begin = "<!-- commands:begin -->"
        let end = "<!-- commands:end -->"
        let start = try #require(text.range(of: begin), "README.md has no \(begin) marker")
        let finish = try #require(text.range(of: end, range: start.upperBound..<text.endIndex), "README.md has no \(end) marker after \(begin)")
        let embedded = text[start.upperBound..<finish.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines)
        let expected = Help.reference(Outpost.commands).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(embedded == expected, "README.md's command reference is out of date; paste the output of 'outpost help --reference' between the markers")
    }
}

/// Runs `Outpost.run` in this process with captured streams.
enum Captured {
    final class Buffer: @unchecked Sendable {
        // @unchecked: one command run writes from one thread.
        var text = ""
    }

    static func run(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        let out = Buffer()
        let err = Buffer()
        let clock = FixedClock(try #require(Timestamp(OutpostProcess.now)))
        let session = Session(environment: [:], clock: clock, stdinIsTerminal: false,
                              out: { out.text += $0 }, err: { err.text += $0 }, readLine: { nil })
        let status = Outpost.run(arguments, session: session)
        return (status, out.text, err.text)
    }
}
