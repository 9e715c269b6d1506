import Foundation

/// A named, versioned command with JSON arguments: the only way state changes,
/// on a replica and on the node, with the same code on both.
///
/// `apply` validates against the state it sees and writes through the
/// context; it throws a `MutationRefusal` before writing anything when the
/// change is not allowed. Callers run it inside a transaction, so any throw
/// leaves nothing behind.
public protocol Mutation: Codable, Sendable {
    /// The catalogue name, `customer.create`.
    static var name: String { get }
    /// The version of the argument layout; bumped when it changes.
    static var version: Int { get }
    /// Validates and writes.
    func apply(in context: MutationContext) throws
}

/// All mutations by name, and the one JSON form of their arguments.
public enum MutationCatalogue {
    /// Every mutation a replica can queue, in the order the README lists them.
    public static let all: [any Mutation.Type] = [
        CreateCustomer.self, UpdateCustomer.self, SuspendCustomer.self, ActivateCustomer.self, CloseCustomer.self,
        CreateCustomerUser.self, UpdateCustomerUser.self, DeleteCustomerUser.self,
        CreateUser.self, UpdateUser.self, DeleteUser.self,
        PlaceOrder.self, ChangeOrder.self, CancelOrder.self,
        RecordPayment.self, CreditInvoice.self, SetMarkup.self, UpdateSettings.self, ResolveConflict.self,
        EnablePortal.self, RenewPortal.self, DisablePortal.self,
    ]

    /// An unknown name or a version this code cannot read.
    public struct UnknownMutation: Error, Sendable, CustomStringConvertible {
        public let name: String
        public let version: Int
        public var description: String { "unknown mutation \(name) version \(version)" }
    }

    /// Reads a queued or pushed mutation back.
    public static func decode(name: String, version: Int, args: String) throws -> any Mutation {
        try decode(name: name, version: version, args: try JSONValue(parsing: args))
    }

    /// Reads a mutation from parsed arguments (the node's push path).
    public static func decode(name: String, version: Int, args: JSONValue) throws -> any Mutation {
        guard let type = byName[name], type.version == version else {
            throw UnknownMutation(name: name, version: version)
        }
        return try JSONValueDecoder().decode(type, from: args)
    }

    static let byName: [String: any Mutation.Type] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    /// Arguments as canonical JSON: snake_case keys, sorted, no insignificant whitespace.
    public static func encode(_ mutation: any Mutation) throws -> String {
        String(decoding: try encoder.encode(mutation), as: UTF8.self)
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

}
