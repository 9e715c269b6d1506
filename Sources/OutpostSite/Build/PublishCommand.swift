import Foundation
import OutpostSystem

/// Publishes a rendered site by running the replica's own command — an `rsync` line, say.
///
/// The command runs as `/bin/sh -c COMMAND` in the replica directory, with the
/// caller's environment plus `OUTPOST_SITE` (the site's absolute path) and, when
/// the build's lists are given, `OUTPOST_CHANGED_FILES` and `OUTPOST_REMOVED_FILES`
/// (files naming the paths, from the site root, one a line, that the builds wrote
/// and removed since the last publish: `rsync --files-from`), stdin
/// from `/dev/null`, and only the end of its output kept. It never sees the
/// replica's token. A run longer than the time limit has its whole process
/// group killed. Exit status 0 is success; anything else is a `Failure` whose
/// message names the status and the end of standard error.
public struct PublishCommand: Sendable {
    /// How long the command may run when the sync gave no `--timeout`.
    public static let defaultTimeLimit: TimeInterval = 600
    /// How many bytes of the end of each output stream are kept (a failure quotes standard error's).
    public static let keptOutput = 4096

    public let command: String
    /// The environment the command inherits (`OUTPOST_SITE` is added).
    public let environment: [String: String]
    public let timeLimit: TimeInterval

    public init(command: String, environment: [String: String], timeLimit: TimeInterval = Self.defaultTimeLimit) {
        self.command = command
        self.environment = environment
        self.timeLimit = timeLimit
    }

    /// Why publishing failed; the rendered site and the sync are untouched by it.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// How the command ended; `nil` when it could not be started.
        public let termination: HookProcess.Termination?
        /// The end of its standard error, trimmed, without control characters.
        public let stderr: String
        public let message: String
        public var description: String { message }
    }

    /// Runs the command for the site in `site`, from the directory `directory`; `files` are the
    /// lists of files written and removed since the last publish (`UnpublishedFiles.write`).
    public func publish(site: URL, from directory: URL, files: (changed: URL, removed: URL)? = nil) throws {
        var environment = self.environment
        environment["OUTPOST_SITE"] = site.absoluteURL.standardizedFileURL.path
        if let files {
            environment["OUTPOST_CHANGED_FILES"] = files.changed.standardizedFileURL.path
            environment["OUTPOST_REMOVED_FILES"] = files.removed.standardizedFileURL.path
        }
        var process = HookProcess(command: command, environment: environment, timeLimit: timeLimit,
                                  workingDirectory: directory.absoluteURL.standardizedFileURL.path,
                                  outputLimit: Self.keptOutput, keepsEndOfOutput: true)
        // A sync stopped by Ctrl-C or a kill stops its publish command too.
        process.forwardsSignals = true
        let result: HookProcess.Result
        do {
            result = try process.run(input: nil)
        } catch {
            throw Failure(termination: nil, stderr: "", message: "the publish command could not be started: \(error)")
        }
        let stderr = HookProcess.printable(result.stderr)
        let detail = stderr.isEmpty ? "" : ": " + stderr
        let what: String
        switch result.termination {
        case .exited(0): return
        case .exited(let status): what = "exited with status \(status)"
        case .signalled(let signal): what = "was killed by signal \(signal)"
        case .timedOut: what = "did not finish within \(Int(timeLimit)) s and was killed"
        }
        throw Failure(termination: result.termination, stderr: stderr, message: "the publish command \(what)\(detail)")
    }
}
