import Foundation
import OutpostSystem

/// Hands a message to `sendmail -t` (or the command configured instead) on its standard input.
///
/// The message goes in with Unix line endings, as sendmail expects from a
/// local program (the mail system writes CRLF on the wire). Exit status 0 is
/// success; anything else, a signal or no answer within the time limit is a
/// failure, and the notice is not recorded as sent.
struct Sendmail {
    let command: String
    let environment: [String: String]
    let timeLimit: TimeInterval

    /// A delivery that did not happen. `stopsRun`: the next message would fail the same way (no mailer, a hang).
    struct Failure: Error {
        let reason: String
        let stopsRun: Bool
        /// The mailer is missing or cannot run: configuration, not a passing trouble.
        let isConfiguration: Bool
    }

    func send(_ message: MailMessage) throws {
        let text = message.text.replacingOccurrences(of: "\r\n", with: "\n")
        let result: HookProcess.Result
        do {
            result = try HookProcess(command: command, environment: environment, timeLimit: timeLimit).run(input: text)
        } catch {
            throw Failure(reason: "cannot run '\(command)': \(error)", stopsRun: true, isConfiguration: true)
        }
        let detail = result.stderr.split(whereSeparator: \.isNewline).last.map { ": " + $0.trimmingCharacters(in: .whitespaces) } ?? ""
        switch result.termination {
        case .exited(0) where result.inputComplete:
            return
        case .exited(0):
            throw Failure(reason: "'\(command)' exited before it read the whole message\(detail)", stopsRun: false, isConfiguration: false)
        case .exited(let status) where status == 126 || status == 127:
            throw Failure(reason: "'\(command)' cannot be run (status \(status))\(detail)", stopsRun: true, isConfiguration: true)
        case .exited(let status):
            throw Failure(reason: "'\(command)' exited with status \(status)\(detail)", stopsRun: false, isConfiguration: false)
        case .signalled(let signal):
            throw Failure(reason: "'\(command)' was killed by signal \(signal)", stopsRun: false, isConfiguration: false)
        case .timedOut:
            throw Failure(reason: "'\(command)' did not finish within \(Int(timeLimit)) s and was killed", stopsRun: true, isConfiguration: false)
        }
    }
}
