/// Why a mutation was refused: a stable code, the field at fault, and a message for people.
///
/// Refusals are business answers, not failures: the CLI prints them and
/// exits 65, the node records them and returns them to the replica.
public struct MutationRefusal: Error, Equatable, Sendable, Codable, CustomStringConvertible {
    /// Stable, machine-readable kinds of refusal.
    public enum Code: String, Codable, Sendable {
        /// A field's value is malformed or out of range.
        case invalid
        /// A referenced entity does not exist.
        case notFound = "not_found"
        /// The entity's state does not allow this (a closed customer, a void invoice…).
        case notAllowed = "not_allowed"
        /// A unique value is taken.
        case duplicate
    }

    public let code: Code
    /// The argument at fault (`quantity`, `email`), when there is one.
    public let field: String?
    public let message: String

    public init(_ code: Code, field: String?, _ message: String) {
        self.code = code
        self.field = field
        self.message = message
    }

    public var description: String { message }

    static func invalid(_ field: String, _ message: String) -> MutationRefusal {
        MutationRefusal(.invalid, field: field, message)
    }

    static func notFound(_ field: String, _ message: String) -> MutationRefusal {
        MutationRefusal(.notFound, field: field, message)
    }

    static func notAllowed(_ field: String?, _ message: String) -> MutationRefusal {
        MutationRefusal(.notAllowed, field: field, message)
    }
}
