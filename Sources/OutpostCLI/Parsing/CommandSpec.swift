/// One command of `outpost`, described once as data: parsing, help, the
/// README's command reference and errors all come from this description.
public struct CommandSpec: Sendable {
    /// A `--name` option.
    public struct Option: Sendable {
        public let name: String
        /// Placeholder for the value (`ID`, `AMOUNT`); `nil` for a flag without value.
        public let value: String?
        public let help: String
        public let required: Bool
        /// May be given more than once (`--line 1=10.00 --line 2=5.00`); read with `Invocation.values(_:)`.
        public let repeatable: Bool

        public init(_ name: String, value: String? = nil, required: Bool = false, repeatable: Bool = false, _ help: String) {
            self.name = name
            self.value = value
            self.help = help
            self.required = required
            self.repeatable = repeatable
        }
    }

    /// A positional argument.
    public struct Argument: Sendable {
        public let name: String
        public let help: String
        /// Optional arguments come last.
        public let optional: Bool

        public init(_ name: String, optional: Bool = false, _ help: String) {
            self.name = name
            self.help = help
            self.optional = optional
        }
    }

    /// The words that name it: `["customer", "add"]`.
    public let path: [String]
    public let abstract: String
    public let arguments: [Argument]
    public let options: [Option]
    /// Extra help text: rules, examples, exit codes.
    public let discussion: String
    /// Whether it reads or writes a replica (adds `--replica`).
    public let usesReplica: Bool
    /// Whether it can print JSON (adds `--json`).
    public let printsJSON: Bool
    /// Options people reach for that the command does not take, each with why (the parser's message for them).
    public let refusedOptions: [String: String]
    public let run: @Sendable (Invocation, Session) throws -> Void

    public init(_ path: [String], _ abstract: String, arguments: [Argument] = [], options: [Option] = [],
                discussion: String = "", refusedOptions: [String: String] = [:], usesReplica: Bool = true, printsJSON: Bool = false,
                run: @escaping @Sendable (Invocation, Session) throws -> Void) {
        self.path = path
        self.abstract = abstract
        self.arguments = arguments
        self.options = options
        self.discussion = discussion
        self.refusedOptions = refusedOptions
        self.usesReplica = usesReplica
        self.printsJSON = printsJSON
        self.run = run
    }

    /// `customer add`
    public var name: String { path.joined(separator: " ") }

    /// Every option the command accepts, including the shared ones.
    public var allOptions: [Option] {
        var all = options
        if usesReplica { all.append(Option("replica", value: "DIR", "the replica directory (default: $OUTPOST_REPLICA)")) }
        if printsJSON { all.append(Option("json", "print JSON instead of text")) }
        all.append(Option("help", "show this help"))
        return all
    }

    /// `outpost customer add --name NAME [--email EMAIL] …`
    public var usage: String {
        var parts = ["outpost"] + path
        parts += arguments.map { $0.optional ? "[\($0.name)]" : $0.name }
        for option in options {
            let text = (option.value.map { "--\(option.name) \($0)" } ?? "--\(option.name)") + (option.repeatable ? " …" : "")
            parts.append(option.required ? text : "[\(text)]")
        }
        if usesReplica { parts.append("[--replica DIR]") }
        if printsJSON { parts.append("[--json]") }
        return parts.joined(separator: " ")
    }
}

/// A parsed command line: the command and the values given for it.
public struct Invocation: Sendable {
    public let command: CommandSpec
    public let arguments: [String]
    public let values: [String: String]
    public let flags: Set<String>
    /// Every value of a repeatable option, in the order given.
    public var repeated: [String: [String]] = [:]

    /// Every value given for the repeatable option `--name` (empty when none).
    public func values(_ name: String) -> [String] { repeated[name] ?? [] }

    /// The value of `--name`, if given.
    public func value(_ name: String) -> String? { values[name] }

    /// The value of a required option (the parser has checked it is there).
    public func required(_ name: String) -> String { values[name] ?? "" }

    /// Whether the flag `--name` was given.
    public func flag(_ name: String) -> Bool { flags.contains(name) }

    /// Positional argument `index`.
    public func argument(_ index: Int) -> String { arguments[index] }

    /// Positional argument `index`, when given.
    public func optionalArgument(_ index: Int) -> String? { index < arguments.count ? arguments[index] : nil }

    public var json: Bool { flags.contains("json") }
}
