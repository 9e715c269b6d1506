/// A command line that cannot be understood: exit 64 with usage.
public struct UsageError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    /// The command it concerns, for the usage line; `nil` for an unknown command.
    public let command: String?

    public var description: String { message }
}

/// Turns `[String]` into an `Invocation`, with no side effects (unit-testable).
public struct CommandLineParser: Sendable {
    public let commands: [CommandSpec]

    public init(commands: [CommandSpec]) {
        self.commands = commands
    }

    /// The command whose path is the longest prefix of the words.
    public func command(for words: [String]) -> CommandSpec? {
        commands.filter { words.starts(with: $0.path) }.max { $0.path.count < $1.path.count }
    }

    public func parse(_ arguments: [String]) throws(UsageError) -> Invocation {
        let words = Array(arguments.prefix { !$0.hasPrefix("-") })
        guard let command = command(for: words) else {
            throw unknownCommand(words, leadingOption: arguments.first.flatMap { $0.hasPrefix("-") ? $0 : nil })
        }
        var rest = Array(arguments.dropFirst(command.path.count))
        var positionals: [String] = []
        var values: [String: String] = [:]
        var flags: Set<String> = []
        var repeated: [String: [String]] = [:]
        let options = command.allOptions
        while !rest.isEmpty {
            let word = rest.removeFirst()
            if word == "--" {
                positionals += rest
                break
            }
            guard word.hasPrefix("--") else {
                if word.hasPrefix("-"), word.count > 1, Int(word) == nil {
                    throw UsageError(message: "unknown option '\(word)'; options are written --name (see outpost help \(command.name))", command: command.name)
                }
                positionals.append(word)
                continue
            }
            var name = String(word.dropFirst(2))
            var inline: String?
            if let equals = name.firstIndex(of: "=") {
                inline = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            guard let option = options.first(where: { $0.name == name }) else {
                if let why = command.refusedOptions[name] {
                    throw UsageError(message: "'\(command.name)' takes no --\(name): \(why)", command: command.name)
                }
                let suggestion = Suggestion.nearest(to: name, in: options.map(\.name)).map { "; did you mean --\($0)?" } ?? ""
                throw UsageError(message: "unknown option '--\(name)' for '\(command.name)'\(suggestion)", command: command.name)
            }
            if option.value == nil {
                guard inline == nil else {
                    throw UsageError(message: "option --\(name) takes no value", command: command.name)
                }
                flags.insert(name)
                continue
            }
            let value: String
            if let inline {
                value = inline
            } else {
                guard let next = rest.first, !next.hasPrefix("--") else {
                    throw UsageError(message: "option --\(name) needs a value (\(option.value!))", command: command.name)
                }
                value = rest.removeFirst()
            }
            if option.repeatable {
                repeated[name, default: []].append(value)
                continue
            }
            guard values[name] == nil else {
                throw UsageError(message: "option --\(name) is given twice", command: command.name)
            }
            values[name] = value
        }
        if flags.contains("help") {
            return Invocation(command: command, arguments: positionals, values: values, flags: flags, repeated: repeated)
        }
        guard positionals.count <= command.arguments.count else {
            let extra = positionals[command.arguments.count]
            throw UsageError(message: "unexpected argument '\(extra)' for '\(command.name)'", command: command.name)
        }
        if positionals.count < command.arguments.filter({ !$0.optional }).count {
            let missing = command.arguments[positionals.count]
            throw UsageError(message: "'\(command.name)' needs \(missing.name) (\(missing.help))", command: command.name)
        }
        for option in command.options where option.required && values[option.name] == nil && repeated[option.name] == nil {
            throw UsageError(message: "'\(command.name)' needs --\(option.name) \(option.value ?? "")".trimmingCharacters(in: .whitespaces), command: command.name)
        }
        return Invocation(command: command, arguments: positionals, values: values, flags: flags, repeated: repeated)
    }

    private func unknownCommand(_ words: [String], leadingOption: String?) -> UsageError {
        guard let first = words.first else {
            if let leadingOption {
                return UsageError(message: "no command given before \(leadingOption); the command comes first (outpost customer list \(leadingOption) …); see outpost help", command: nil)
            }
            return UsageError(message: "no command given; see outpost help", command: nil)
        }
        // The longest run of words that begins some command (`node`, `node invoice`): what may follow it.
        var group: [String] = []
        for word in words where commands.contains(where: { $0.path.count > group.count + 1 && $0.path.starts(with: group + [word]) }) {
            group.append(word)
        }
        guard !group.isEmpty else {
            let nouns = Self.unique(commands.map { $0.path[0] })
            let hint = Suggestion.nearest(to: first, in: nouns).map { "; did you mean '\($0)'?" } ?? "; see outpost help"
            return UsageError(message: "unknown command '\(first)'\(hint)", command: nil)
        }
        let prefix = group.joined(separator: " ")
        let next = Self.unique(commands.filter { $0.path.count > group.count && $0.path.starts(with: group) }.map { $0.path[group.count] })
        let given = words.count > group.count ? words[group.count] : ""
        let hint = Suggestion.nearest(to: given, in: next).map { "; did you mean '\(prefix) \($0)'?" }
            ?? "; try: \(next.map { "\(prefix) \($0)" }.joined(separator: ", "))"
        return UsageError(message: given.isEmpty ? "'\(prefix)' needs a subcommand\(hint)" : "unknown command '\(prefix) \(given)'\(hint)", command: nil)
    }

    /// `words` without repeats, in their first order.
    private static func unique(_ words: [String]) -> [String] {
        var seen: Set<String> = []
        return words.filter { seen.insert($0).inserted }
    }
}

/// "Did you mean": the closest candidate by edit distance, when it is close enough.
enum Suggestion {
    static func nearest(to word: String, in candidates: [String]) -> String? {
        guard !word.isEmpty else { return nil }
        let scored = candidates.map { ($0, distance(word, $0)) }.sorted { ($0.1, $0.0) < ($1.1, $1.0) }
        guard let best = scored.first else { return nil }
        if best.0.hasPrefix(word) || word.hasPrefix(best.0) { return best.0 }
        if best.1 <= max(2, word.count / 3) { return best.0 }
        // An abbreviation that keeps the letters in order (`thru` for `through`).
        return word.count >= 3 ? candidates.filter { isSubsequence(word, of: $0) }.min { ($0.count, $0) < ($1.count, $1) } : nil
    }

    static func isSubsequence(_ word: String, of candidate: String) -> Bool {
        var rest = Substring(candidate)
        for character in word {
            guard let found = rest.firstIndex(of: character) else { return false }
            rest = rest[rest.index(after: found)...]
        }
        return true
    }

    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(1, b.count) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

import Foundation
