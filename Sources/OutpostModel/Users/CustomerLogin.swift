import Foundation
import OutpostStore

/// A customer user's sign-in to the customer's own panel, as a vendor panel exports it: one JSON
/// object per line,
///
///     {"customer_user": "jdoe", "customer": "Contoso", "at": "2026-02-03T09:12:00Z", "result": "success", "source": "203.0.113.7"}
///
/// `customer_user` is a customer user id (`cu_…`), unique id prefix or username; `customer` (id, id
/// prefix or name) is needed only when several customers have a user of that name; `source` (an
/// address) is optional. The provisioning hook's answer may carry the same objects under `logins`.
public struct CustomerLogin: Sendable, Equatable {
    public let customerUserId: String
    public let customerId: String
    public let username: String
    public let at: Timestamp
    public let result: LoginEvent.Result
    public let source: String

    /// The fields a login object may have.
    public static let fields: Set<String> = ["customer_user", "customer", "at", "result", "source"]

    /// Reads one login object against the reseller's customer users; throws a `MutationRefusal`
    /// naming the field. An event later than `now` is refused: a clock or export gone wrong.
    public init(json: JSONValue, now: Timestamp, in db: any SQLDatabase) throws {
        guard let object = json.objectValue else {
            throw MutationRefusal.invalid("login", "is not a JSON object")
        }
        if let unknown = object.keys.sorted().first(where: { !Self.fields.contains($0) }) {
            throw MutationRefusal.invalid(unknown, "unknown field '\(unknown)'; a login has customer_user, customer, at, result and source")
        }
        guard let userText = object["customer_user"]?.stringValue, !userText.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw MutationRefusal.invalid("customer_user", "customer_user is missing (a customer user id or username)")
        }
        guard let atText = object["at"]?.stringValue else {
            throw MutationRefusal.invalid("at", "at is missing (when, as 2026-02-03T09:12:00Z)")
        }
        guard let at = Timestamp(atText) else {
            throw MutationRefusal.invalid("at", "at '\(atText)' is not a UTC time like 2026-02-03T09:12:00Z")
        }
        guard at <= now else {
            throw MutationRefusal.invalid("at", "at \(at) is later than now (\(now))")
        }
        guard let resultText = object["result"]?.stringValue, let result = LoginEvent.Result(rawValue: resultText) else {
            throw MutationRefusal.invalid("result", "result must be \"success\" or \"failure\"")
        }
        var source = ""
        if let value = object["source"] {
            guard let text = value.stringValue else { throw MutationRefusal.invalid("source", "source must be text (an address)") }
            guard text.count <= 200, !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw MutationRefusal.invalid("source", "source must be at most 200 characters, without control characters")
            }
            source = text
        }
        var customerId: String?
        if let value = object["customer"] {
            guard let text = value.stringValue else { throw MutationRefusal.invalid("customer", "customer must be text (an id or name)") }
            customerId = try Self.resolve(EntityReference(.customer, text), db: db, field: "customer")
        }
        let user: CustomerUser
        if let customerId {
            let text = userText.trimmingCharacters(in: .whitespaces)
            guard let row = try db.row("SELECT * FROM customer_user WHERE customer_id = ? AND (id = ? OR username = ?)", [customerId, text, text]) else {
                let name = try db.scalar("SELECT name FROM customer WHERE id = ?", [customerId])?.string ?? customerId
                throw MutationRefusal.notFound("customer_user", "customer \(name) (\(customerId)) has no user '\(text)'")
            }
            user = try CustomerUser(row: row)
        } else {
            user = try CustomerUser.require(try Self.resolve(EntityReference(.customerUser, userText), db: db, field: "customer_user"), in: db)
        }
        self.customerUserId = user.id
        self.customerId = user.customerId
        self.username = user.username
        self.at = at
        self.result = result
        self.source = source
    }

    /// A reference's id, or a refusal in the words of the login format.
    static func resolve(_ reference: EntityReference, db: any SQLDatabase, field: String) throws -> String {
        do {
            return try reference.resolve(in: db, field: field)
        } catch let failure as EntityReference.Failure {
            let hint = failure.isAmbiguous && field == "customer_user" ? "; add \"customer\" to say whose" : ""
            throw MutationRefusal.notFound(field, failure.description + hint)
        }
    }
}
