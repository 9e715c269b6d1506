import Foundation
import OutpostModel
import OutpostStore

/// Customer users' logins brought to the node: a JSON-lines export of a vendor panel
/// (`node logins import`) or the `logins` of a provisioning hook's answer. All or nothing: every
/// line is checked first, and one bad line refuses the whole file, because a partly imported file
/// cannot be told apart from a whole one when it is fixed and imported again.
public struct LoginImport {
    /// A line that cannot be imported, by its number (1-based) and why.
    public struct BadLine: Sendable, Equatable, CustomStringConvertible {
        public let line: Int
        public let reason: String
        public var description: String { "line \(line): \(reason)" }
    }

    /// The file had bad lines; nothing was written.
    public struct Refused: Error, Sendable, CustomStringConvertible {
        public let badLines: [BadLine]
        public let goodLines: Int
        public var description: String {
            "\(badLines.count) bad line(s); nothing imported"
                + (goodLines > 0 ? " (the \(goodLines) good line(s) were not kept either: a file is imported whole or not at all, so fix it and import it again)" : "")
                + ":\n"
                + badLines.map { "  " + $0.description }.joined(separator: "\n")
        }
    }

    /// What an import did.
    public struct Outcome: Sendable, Equatable {
        /// Events new to the node.
        public let recorded: Int
        /// Events it already had (the same user, time, result and source).
        public let alreadyKnown: Int
    }

    /// Imports JSON lines (blank lines are skipped) into the tenant, in one transaction.
    public static func importLines(_ text: String, into tenant: Tenant, now: Timestamp) throws -> Outcome {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap { index, line -> (Int, String)? in
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            return trimmed.isEmpty ? nil : (index + 1, trimmed)
        }
        return try record(lines.map { number, line in
            { db in
                do {
                    return try CustomerLogin(json: try JSONValue(parsing: line), now: now, in: db)
                } catch let error as JSONParseError {
                    throw BadLine(line: number, reason: "not JSON: \(error.description)")
                } catch let refusal as MutationRefusal {
                    throw BadLine(line: number, reason: refusal.message)
                }
            }
        }, into: tenant, now: now)
    }

    /// Imports logins given as JSON values (a hook's answer), named `logins[i]` in messages.
    public static func importValues(_ values: [JSONValue], into tenant: Tenant, now: Timestamp) throws -> Outcome {
        try record(values.enumerated().map { index, value in
            { db in
                do {
                    return try CustomerLogin(json: value, now: now, in: db)
                } catch let refusal as MutationRefusal {
                    throw BadLine(line: index + 1, reason: refusal.message)
                }
            }
        }, into: tenant, now: now)
    }

    static func record(_ readers: [(any SQLDatabase) throws -> CustomerLogin], into tenant: Tenant, now: Timestamp) throws -> Outcome {
        var recorded = 0
        var known = 0
        try tenant.record(now: now) { context in
            var logins: [CustomerLogin] = []
            var bad: [BadLine] = []
            for read in readers {
                do {
                    logins.append(try read(context.db))
                } catch let line as BadLine {
                    bad.append(line)
                }
            }
            // Thrown inside the transaction: it rolls back, nothing is written.
            guard bad.isEmpty else { throw Refused(badLines: bad, goodLines: logins.count) }
            for login in logins {
                if try LoginEvent.recordCustomerLogin(login, id: tenant.ids.make("log"), in: context) { recorded += 1 } else { known += 1 }
            }
            // Logged in the import's own transaction: the log shows an import exactly when its logins are in.
            try OperationRecorder(tenant: tenant, kind: .loginsImport, startedAt: now).record(OperationRecorder.Event(
                subject: "login_import", subjectId: "", subjectLabel: "\(logins.count) login(s)", customerId: nil, outcome: .completed,
                message: "\(recorded) new, \(known) already known"), in: context)
        }
        return Outcome(recorded: recorded, alreadyKnown: known)
    }
}

extension LoginImport.BadLine: Error {}
