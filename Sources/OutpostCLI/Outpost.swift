import Foundation
import OutpostModel
import OutpostSync
import OutpostStore

/// The `outpost` command line: the table of commands and the one entry point.
public enum Outpost {
    /// Every command, in the order help lists them.
    public static let commands: [CommandSpec] =
        SetupCommands.all + CustomerCommands.all + PortalCommands.all + UserCommands.all + CatalogCommands.all + OrderCommands.all + OwnCommands.all
        + BillingCommands.all + CreditNoteCommands.all + ServiceCommands.all + SettingsCommands.all + ConfigCommands.all + QueueCommands.all + FixtureCommands.all
        + SiteCommands.all + StatusCommand.all + ReplicaCommands.all + OperationsCommand.all + ReportCommands.all
        + SyncCommands.all + NodeCommands.all + LoginCommands.all + NodeServeCommands.all + BackOfficeCommands.all + DemoCommand.all
        + HelpCommands.all

    public static let parser = CommandLineParser(commands: commands)

    /// Runs one command line; returns the exit code. Never calls `exit`.
    public static func run(_ arguments: [String], session: Session) -> Int32 {
        // `outpost help customer add` is the same as `outpost customer add --help`.
        var arguments = arguments.isEmpty || arguments == ["--help"] || arguments == ["-h"] ? ["help"] : arguments
        if arguments.count > 1, arguments[0] == "help", !arguments[1].hasPrefix("-") {
            arguments = Array(arguments.dropFirst()) + ["--help"]
        }
        let invocation: Invocation
        do {
            invocation = try parser.parse(arguments)
        } catch {
            session.printError("Error: \(error.message)")
            if let name = error.command, let command = commands.first(where: { $0.name == name }) {
                session.printError("Usage: \(command.usage)")
            }
            session.printError("See 'outpost help\(error.command.map { " " + $0 } ?? "")'.")
            return ExitCode.usage.rawValue
        }
        if invocation.flag("help") {
            session.print(Help.text(for: invocation.command))
            return ExitCode.ok.rawValue
        }
        do {
            try invocation.command.run(invocation, session)
            return ExitCode.ok.rawValue
        } catch {
            let failure = Self.failure(for: error)
            session.printError("Error: \(failure.message)")
            return failure.code.rawValue
        }
    }

    /// Maps any error to its message and sysexits code.
    static func failure(for error: any Error) -> CommandFailure {
        switch error {
        case let failure as CommandFailure:
            return failure
        case let refusal as MutationRefusal:
            return CommandFailure(.dataError, refusal.message)
        case let error as UsageError:
            return CommandFailure(.usage, error.message)
        case let failure as EntityReference.Failure:
            // Ambiguous input is a usage problem (say more); input that names nothing is bad data.
            return CommandFailure(failure.isAmbiguous ? .usage : .dataError, failure.description)
        case let error as Money.ParseError:
            return CommandFailure(.dataError, error.description)
        case let error as Replica.OpenError:
            switch error {
            case .missing: return CommandFailure(.noInput, error.description)
            case .notWritable: return CommandFailure(.cannotCreate, error.description)
            case .notADirectory, .notAReplica, .alreadyExists: return CommandFailure(.config, error.description)
            }
        case let error as LocalQueue.DiscardError:
            return CommandFailure(.dataError, error.description)
        case let error as Node.OpenError:
            switch error {
            case .missing: return CommandFailure(.noInput, error.description)
            case .notANode: return CommandFailure(.config, error.description)
            case .alreadyExists: return CommandFailure(.cannotCreate, error.description)
            }
        case let error as Node.AdminError:
            return CommandFailure(.dataError, error.description)
        case let error as NodeLocation.Invalid:
            return CommandFailure(.config, error.description)
        case let error as DatabaseError where error.isDiskFull:
            // Every command fails alike on a full disk; say so instead of SQLite's "disk I/O error".
            let place = error.file.map { "the disk holding \(URL(fileURLWithPath: $0).deletingLastPathComponent().path)" } ?? "the disk holding the replica"
            return CommandFailure(.ioError, "\(place) is full: free some space there and run the command again (SQLite: \(error.message))")
        case let error as DatabaseError where error.isBusy:
            return CommandFailure(.tempFail, "the replica is busy (another outpost is writing); try again")
        case let error as DatabaseError where error.isNotADatabase:
            return CommandFailure(.config, "the replica database is damaged or not SQLite: \(error.message)")
        case let error as DatabaseError:
            return CommandFailure(.ioError, error.description)
        case let error as any StoreFailure:
            // A PostgreSQL store's failure: 75 when it may pass later (unreachable, a lost race), 69 without libpq.
            return CommandFailure(ExitCode(rawValue: error.kind.exitCode) ?? .ioError, error.description)
        default:
            return CommandFailure(.software, "\(error)")
        }
    }
}
