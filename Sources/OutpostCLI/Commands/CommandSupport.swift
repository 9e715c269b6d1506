import Foundation
import OutpostModel
import OutpostStore

extension Session {
    /// The replica directory from `--replica` or `$OUTPOST_REPLICA`.
    func replicaDirectory(_ invocation: Invocation) throws -> URL {
        guard let path = invocation.value("replica") ?? environment["OUTPOST_REPLICA"], !path.isEmpty else {
            throw UsageError(message: "no replica given: pass --replica DIR or set OUTPOST_REPLICA", command: invocation.command.name)
        }
        return URL(fileURLWithPath: path)
    }

    /// Opens the replica the invocation names.
    func openReplica(_ invocation: Invocation) throws -> Replica {
        try Replica.open(try replicaDirectory(invocation), clock: clock)
    }
}

/// Reading option values; a malformed value is bad data (65) naming the option.
enum OptionValue {
    static func integer(_ text: String, option: String) throws -> Int {
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
            throw CommandFailure(.dataError, "--\(option) '\(text)' is not a whole number")
        }
        return value
    }

    static func money(_ text: String, option: String, currency: String) throws -> Int64 {
        guard let value = Currency(code: currency) else {
            throw CommandFailure(.config, "the reseller currency \(currency) is unknown")
        }
        do {
            return try Money.parse(text, currency: value).minorUnits
        } catch {
            throw CommandFailure(.dataError, "--\(option): \(error.description)")
        }
    }

    static func percent(_ text: String, option: String) throws -> Int {
        guard let value = Pricing.parsePercent(text) else {
            throw CommandFailure(.dataError, "--\(option) '\(text)' is not a percentage (write 25 or 33.33, at most two decimals, no sign)")
        }
        return value
    }

    static func date(_ text: String, option: String) throws -> String {
        guard BusinessDate(text) != nil else {
            throw CommandFailure(.dataError, "--\(option) '\(text)' is not a date (expected YYYY-MM-DD)")
        }
        return text
    }

    static func choice<E: RawRepresentable & CaseIterable>(_ text: String, _: E.Type, option: String) throws -> E where E.RawValue == String {
        guard let value = E(rawValue: text) else {
            throw CommandFailure(.dataError, "--\(option) '\(text)' must be one of: \(E.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }
}

/// What a write command prints: the queued seq and the entity, or JSON of both.
struct WriteReceipt: Encodable {
    let queued: Int64
    let mutation: String
    let id: String?

    func print(to session: Session, json: Bool, summary: String) throws {
        if json {
            try JSONOutput.print(self, to: session)
        } else {
            session.print("\(summary) (queued as #\(queued) \(mutation))")
        }
    }
}

extension Replica {
    /// The id of the entity `text` names — an id, a number, a unique id prefix or a name (see
    /// `EntityReference`); `field` is the option or argument it came from, for the message.
    func resolve(_ kind: EntityReference.Kind, _ text: String, field: String) throws -> String {
        try EntityReference(kind, text).resolve(in: db, field: field)
    }

    /// `resolve` for an optional filter such as `--customer`.
    func resolve(_ kind: EntityReference.Kind, _ text: String?, field: String) throws -> String? {
        try text.map { try resolve(kind, $0, field: field) }
    }

    /// Submits and prints the receipt in one go.
    func submitAndReport(_ mutation: any Mutation, id: String?, session: Session, json: Bool, summary: String) throws {
        let seq = try submit(mutation)
        try WriteReceipt(queued: seq, mutation: type(of: mutation).name, id: id).print(to: session, json: json, summary: summary)
    }
}
