import Testing
@testable import OutpostCLI

/// The pure parser: `[String]` in, `Invocation` or `UsageError` out, no side effects.
@Suite("Command line parser")
struct CommandLineParserTests {
    let parser = Outpost.parser

    /// The usage error a command line produces, or `nil` (recorded as a failure) when it parses.
    func usageError(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) -> UsageError? {
        do {
            let invocation = try parser.parse(arguments)
            Issue.record("expected a usage error for \(arguments), got '\(invocation.command.name)'", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }

    // MARK: Matching commands

    @Test("the longest command path that prefixes the words wins")
    func longestPath() throws {
        #expect(try parser.parse(["customer", "add", "--name", "A"]).command.name == "customer add")
        #expect(try parser.parse(["customer-user", "list"]).command.name == "customer-user list")
        #expect(try parser.parse(["customer", "show", "cus_1"]).command.name == "customer show")
        #expect(try parser.parse(["init"]).command.name == "init")
        #expect(try parser.parse(["help"]).command.name == "help")
        // Words after the command path are its positional arguments, not part of the path.
        let show = try parser.parse(["order", "show", "ord_1"])
        #expect(show.command.name == "order show")
        #expect(show.arguments == ["ord_1"])
        #expect(parser.command(for: ["customer", "add", "extra"])?.name == "customer add")
        #expect(parser.command(for: ["customer"]) == nil)
        #expect(parser.command(for: ["nothing"]) == nil)
    }

    @Test("a parser built from the same table behaves like Outpost.parser")
    func ownParser() throws {
        let own = CommandLineParser(commands: Outpost.commands)
        #expect(own.commands.map(\.name) == Outpost.commands.map(\.name))
        let invocation = try own.parse(["queue", "show", "3", "--json"])
        #expect(invocation.command.name == "queue show")
        #expect(invocation.arguments == ["3"])
        #expect(invocation.json)
    }

    @Test("every command's own path parses to that command")
    func everyCommandIsReachable() throws {
        for command in Outpost.commands {
            let invocation = try parser.parse(command.path + ["--help"])
            #expect(invocation.command.name == command.name)
        }
    }

    // MARK: Options

    @Test("--opt value and --opt=value give the same value")
    func optionValues() throws {
        let spaced = try parser.parse(["customer", "add", "--name", "Acme Cloud", "--email", "a@example.com"])
        #expect(spaced.value("name") == "Acme Cloud")
        #expect(spaced.value("email") == "a@example.com")
        let joined = try parser.parse(["customer", "add", "--name=Acme Cloud", "--email=a@example.com"])
        #expect(joined.value("name") == "Acme Cloud")
        #expect(joined.value("email") == "a@example.com")
        // Only the first '=' separates; the value may contain more.
        #expect(try parser.parse(["customer", "add", "--name=a=b"]).value("name") == "a=b")
        // An empty value is a value (the command refuses it, not the parser).
        #expect(try parser.parse(["customer", "add", "--name", ""]).value("name") == "")
        #expect(try parser.parse(["customer", "add", "--name="]).value("name") == "")
        #expect(spaced.value("phone") == nil)
        #expect(spaced.required("name") == "Acme Cloud")
    }

    @Test("options and positionals can come in any order")
    func mixedOrder() throws {
        let invocation = try parser.parse(["customer", "edit", "--phone", "+49 30 1", "cus_1", "--json"])
        #expect(invocation.arguments == ["cus_1"])
        #expect(invocation.value("phone") == "+49 30 1")
        #expect(invocation.json)
    }

    @Test("flags are set without a value, and only when given")
    func flags() throws {
        let invocation = try parser.parse(["order", "cancel", "sub_1", "--at-period-end", "--json"])
        #expect(invocation.flag("at-period-end"))
        #expect(invocation.flag("json"))
        #expect(invocation.json)
        #expect(!invocation.flag("help"))
        let plain = try parser.parse(["order", "cancel", "sub_1"])
        #expect(!plain.flag("at-period-end"))
        #expect(!plain.json)
        #expect(plain.flags.isEmpty)
    }

    @Test("the shared options: --replica on replica commands, --json on printing ones, --help everywhere")
    func sharedOptions() throws {
        let invocation = try parser.parse(["customer", "list", "--replica", "/tmp/r", "--json"])
        #expect(invocation.value("replica") == "/tmp/r")
        #expect(invocation.json)
        // help does not use a replica, so --replica is unknown to it.
        let error = try #require(usageError(["help", "--replica", "/tmp/r"]))
        #expect(error.message.contains("unknown option '--replica'"))
        // version prints no JSON.
        #expect(usageError(["version", "--json"])?.message.contains("unknown option '--json'") == true)
    }

    @Test("a value that looks like a negative number is taken as the value")
    func negativeNumberValue() throws {
        let invocation = try parser.parse(["order", "place", "--customer", "cus_1", "--plan", "pln_1", "--quantity", "-3"])
        #expect(invocation.value("quantity") == "-3")
        let payment = try parser.parse(["payment", "record", "--invoice", "inv_1", "--amount", "-1"])
        #expect(payment.value("amount") == "-1")
    }

    // MARK: Usage errors

    @Test("a missing required option is named")
    func missingRequiredOption() throws {
        let error = try #require(usageError(["customer", "add"]))
        #expect(error.message.contains("--name"))
        #expect(error.command == "customer add")
        let order = try #require(usageError(["order", "place", "--customer", "cus_1"]))
        #expect(order.message.contains("--plan"))
        #expect(!order.message.contains("--customer"))
        #expect(order.command == "order place")
    }

    @Test("an option without its value is refused, also when the next word is another option")
    func missingValue() throws {
        #expect(usageError(["customer", "add", "--name"])?.message.contains("--name needs a value") == true)
        #expect(usageError(["customer", "add", "--name", "--json"])?.message.contains("--name needs a value") == true)
    }

    @Test("an unknown option suggests the nearest one")
    func unknownOption() throws {
        let error = try #require(usageError(["customer", "add", "--nmae", "Acme"]))
        #expect(error.message.contains("did you mean --name?"))
        #expect(error.message.contains("--nmae"))
        #expect(error.command == "customer add")
        let inline = try #require(usageError(["customer", "add", "--nmae=Acme"]))
        #expect(inline.message.contains("did you mean --name?"))
        // Nothing close: no suggestion, still named.
        let far = try #require(usageError(["customer", "list", "--zzzzzzzzzz"]))
        #expect(far.message.contains("--zzzzzzzzzz"))
        #expect(!far.message.contains("did you mean"))
    }

    @Test("a single-dash option is refused with a hint")
    func singleDash() throws {
        let error = try #require(usageError(["customer", "add", "-n", "Acme"]))
        #expect(error.message.contains("'-n'"))
        #expect(error.message.contains("--name"))
    }

    @Test("an unknown subcommand suggests the nearest command")
    func unknownSubcommand() throws {
        let error = try #require(usageError(["customer", "ad"]))
        #expect(error.message.contains("did you mean 'customer add'?"))
        #expect(error.command == nil)
        let verb = try #require(usageError(["order", "palce", "--customer", "x"]))
        #expect(verb.message.contains("'order place'"))
    }

    @Test("an option a command refuses on purpose says why, not just that it is unknown")
    func refusedOption() throws {
        let error = try #require(usageError(["order", "place", "--for-self", "--plan", "x", "--markup", "10"]))
        #expect(error.message == "'order place' takes no --markup: an order is priced by the price rules (outpost price set); an order --for-self is bought at cost, without markup")
        #expect(error.command == "order place")
        let unknown = try #require(usageError(["order", "place", "--for-self", "--plan", "x", "--markups", "10"]))
        #expect(unknown.message.contains("unknown option '--markups'"))
    }

    @Test("an unknown noun suggests the nearest noun")
    func unknownNoun() throws {
        let error = try #require(usageError(["custmer"]))
        #expect(error.message.contains("unknown command 'custmer'"))
        #expect(error.message.contains("did you mean 'customer'?"))
        #expect(error.command == nil)
        let far = try #require(usageError(["xyzzyplugh"]))
        #expect(far.message.contains("'xyzzyplugh'"))
        #expect(!far.message.contains("did you mean"))
    }

    @Test("a noun alone lists its subcommands")
    func nounAlone() throws {
        let error = try #require(usageError(["customer"]))
        #expect(error.message.contains("needs a subcommand"))
        #expect(error.message.contains("customer add"))
        #expect(error.message.contains("customer list"))
    }

    @Test("a group of any depth lists what follows it once, and suggests within it")
    func groups() throws {
        let node = try #require(usageError(["node"]))
        #expect(node.message.contains("node invoice") && node.message.contains("node reseller"))
        #expect(node.message.components(separatedBy: "node reseller").count == 2, "each subcommand once: \(node.message)")
        let invoice = try #require(usageError(["node", "invoice"]))
        #expect(invoice.message == "'node invoice' needs a subcommand; try: node invoice void, node invoice credit")
        let typo = try #require(usageError(["node", "invoice", "vod"]))
        #expect(typo.message.contains("did you mean 'node invoice void'?"))
    }

    @Test("an option before any command says the command comes first")
    func optionFirst() throws {
        let error = try #require(usageError(["--replica", "r", "customer", "list"]))
        #expect(error.message.contains("no command given before --replica; the command comes first"))
    }

    @Test("no words at all is an error for the parser (Outpost.run turns it into help)")
    func nothing() throws {
        #expect(usageError([])?.message.contains("no command given") == true)
        #expect(usageError(["--json"])?.message.contains("no command given before --json") == true)
    }

    @Test("an extra positional argument is refused and named")
    func extraPositional() throws {
        let error = try #require(usageError(["customer", "show", "cus_1", "cus_2"]))
        #expect(error.message.contains("unexpected argument 'cus_2'"))
        #expect(error.command == "customer show")
        #expect(usageError(["customer", "list", "everything"])?.message.contains("'everything'") == true)
    }

    @Test("a missing positional argument is named")
    func missingPositional() throws {
        let error = try #require(usageError(["customer", "show"]))
        #expect(error.message.contains("CUSTOMER"))
        #expect(error.command == "customer show")
        #expect(usageError(["queue", "discard", "--json"])?.message.contains("SEQ") == true)
    }

    @Test("an option given twice is refused")
    func optionTwice() throws {
        let error = try #require(usageError(["customer", "add", "--name", "A", "--name", "B"]))
        #expect(error.message.contains("--name is given twice"))
        #expect(usageError(["customer", "add", "--name=A", "--name", "B"])?.message.contains("given twice") == true)
    }

    @Test("a repeatable option keeps every value in order; others stay single")
    func repeatableOption() throws {
        let credit = try parser.parse(["invoice", "credit", "INV-1", "--line", "1=10.00", "--line=3=2.50", "--reason", "r"])
        #expect(credit.values("line") == ["1=10.00", "3=2.50"])
        #expect(credit.value("line") == nil && credit.value("reason") == "r")
        #expect(try parser.parse(["invoice", "credit", "INV-1", "--amount", "5", "--reason", "r"]).values("line").isEmpty)
        #expect(usageError(["invoice", "credit", "INV-1", "--amount", "5", "--amount", "6", "--reason", "r"])?.message.contains("given twice") == true)
        #expect(parser.command(for: ["invoice", "credit"])?.usage.contains("[--line N=AMOUNT …]") == true)
    }

    @Test("-- ends the options: what follows is positional, even when it looks like an option")
    func doubleDash() throws {
        let invocation = try parser.parse(["customer", "show", "--json", "--", "--weird-id"])
        #expect(invocation.arguments == ["--weird-id"])
        #expect(invocation.json)
        let help = try parser.parse(["customer", "show", "--", "--help"])
        #expect(!help.flag("help"))
        #expect(help.arguments == ["--help"])
        #expect(usageError(["customer", "show", "--", "a", "b"])?.message.contains("unexpected argument 'b'") == true)
    }

    @Test("a flag given a value is refused")
    func flagWithValue() throws {
        let error = try #require(usageError(["customer", "list", "--json=1"]))
        #expect(error.message.contains("--json takes no value"))
        #expect(usageError(["order", "cancel", "sub_1", "--at-period-end=yes"])?.message.contains("--at-period-end takes no value") == true)
    }

    @Test("--help skips the checks for required options and arguments")
    func helpSkipsChecks() throws {
        let invocation = try parser.parse(["customer", "add", "--help"])
        #expect(invocation.flag("help"))
        #expect(invocation.command.name == "customer add")
        #expect(try parser.parse(["customer", "show", "--help"]).flag("help"))
        // But not the check for unknown options.
        #expect(usageError(["customer", "add", "--help", "--nmae", "x"])?.message.contains("did you mean --name?") == true)
    }

    @Test("UsageError describes itself by its message")
    func usageErrorDescription() throws {
        let error = try #require(usageError(["customer", "add"]))
        #expect(error.description == error.message)
    }

    @Test("suggestions: close words only", arguments: [
        ("nmae", ["name", "email", "phone"], "name" as String?),
        ("emial", ["name", "email", "phone"], "email"),
        ("phon", ["name", "email", "phone"], "phone"),
        ("qqqqqq", ["name", "email", "phone"], nil),
        ("thru", ["through", "reseller", "dry-run"], "through"),
        ("rsl", ["through", "reseller", "dry-run"], "reseller"),
        ("ab", ["through", "reseller"], nil),
        ("", ["name"], nil),
    ])
    func suggestions(word: String, candidates: [String], expected: String?) {
        #expect(Suggestion.nearest(to: word, in: candidates) == expected)
    }
}
