import OutpostStore

/// What a person typed to name one entity — an id, a number, a unique id prefix, or a name — and
/// the one rule that turns it into an id.
///
/// Matching goes from the most to the least precise, and stops at the first step that finds
/// anything: the exact id; the number (`ORD-000123`, `ord-123`: case and leading zeros do not
/// matter); a unique id prefix (the type prefix and at least two more characters); then, where the
/// entity has one, its name: exactly (ignoring case), then a unique name prefix. Plans are also
/// found by their slug, the id without `pln_`. A step that finds several is ambiguous and says so
/// with the candidates; it never guesses. Works on any database with the replica schema (the
/// node's tenant databases have it too). User text only ever reaches SQL as a bound parameter.
public struct EntityReference: Sendable, Equatable {
    /// The kinds of entity a command can name.
    public enum Kind: String, Sendable, CaseIterable {
        case customer, customerUser, panelUser, plan, order, subscription, invoice, creditNote, payment, domain, sslCertificate, license
        /// A conflict record still waiting for a person (`conflicts resolve`): resolved ones are not candidates.
        case openConflict

        /// The word for people: `customer`, `customer user`, `SSL certificate`.
        public var noun: String {
            switch self {
            case .customerUser: "customer user"
            case .panelUser: "user"
            case .creditNote: "credit note"
            case .sslCertificate: "SSL certificate"
            case .openConflict: "open conflict"
            default: rawValue
            }
        }

        /// The table; a constant, never user text.
        var table: String {
            switch self {
            case .customer: "customer"
            case .customerUser: "customer_user"
            case .panelUser: "panel_user"
            case .plan: "plan"
            case .order: "orders"
            case .subscription: "subscription"
            case .invoice: "invoice"
            case .creditNote: "credit_note"
            case .payment: "payment"
            case .domain: "domain"
            case .sslCertificate: "ssl_certificate"
            case .license: "license"
            case .openConflict: "conflict"
            }
        }

        /// Which rows of the table the kind covers: an SQL condition (a constant), or `nil` for all.
        var scope: String? {
            switch self {
            case .openConflict: "resolved_at IS NULL"
            // The reseller's own account is no customer to pick (`Customer.ownAccountId`).
            case .customer: "id <> 'cus_own'"
            default: nil
            }
        }

        /// The id's type prefix, with its underscore.
        var idPrefix: String {
            switch self {
            case .customer: "cus_"
            case .customerUser: "cu_"
            case .panelUser: "usr_"
            case .plan: "pln_"
            case .order: "ord_"
            case .subscription: "sub_"
            case .invoice: "inv_"
            case .creditNote: "crn_"
            case .payment: "pay_"
            case .domain: "dom_"
            case .sslCertificate: "ssl_"
            case .license: "lic_"
            case .openConflict: "cfl_"
            }
        }

        /// The human number's prefix (`ORD-`), for the kinds the node numbers.
        var numberPrefix: String? {
            switch self {
            case .order: "ORD-"
            case .invoice: "INV-"
            case .creditNote: "CRN-"
            default: nil
            }
        }

        /// The column people call it by, for the kinds found by name.
        var nameColumn: String? {
            switch self {
            case .customer, .plan: "name"
            case .customerUser, .panelUser: "username"
            case .domain: "name"
            default: nil
            }
        }

        /// Whether a unique prefix of the name is enough (names that are chosen freely and typed often).
        var matchesNamePrefix: Bool { self == .customer || self == .plan }

        /// What a candidate is shown as, besides its id: an SQL expression over the table's own columns (a constant).
        var label: String {
            switch self {
            case .customer, .plan, .domain: "name"
            case .customerUser:
                "username || ' (' || coalesce((SELECT c.name FROM customer c WHERE c.id = customer_user.customer_id), customer_id) || ')'"
            case .panelUser: "username || ' (' || name || ')'"
            case .order, .invoice, .creditNote:
                "coalesce(number, 'pending') || '  ' || coalesce((SELECT c.name FROM customer c WHERE c.id = \(table).customer_id), customer_id)"
            case .subscription:
                "coalesce((SELECT p.name FROM plan p WHERE p.id = subscription.plan_id), plan_id) || ', ' || coalesce((SELECT c.name FROM customer c WHERE c.id = subscription.customer_id), customer_id)"
            case .payment:
                "received_on || '  ' || coalesce((SELECT c.name FROM customer c WHERE c.id = payment.customer_id), customer_id)"
            case .sslCertificate: "common_name"
            case .license: "product"
            case .openConflict:
                // `customer Contoso GmbH  phone`: the entity as people know it, then the field both edits set.
                "replace(entity, '_', ' ') || ' ' || coalesce(CASE entity WHEN 'customer' THEN (SELECT c.name FROM customer c WHERE c.id = conflict.entity_id) END, entity_id) || '  ' || field"
            }
        }
    }

    /// One entity a reference could mean: its id and what people know it by.
    public struct Candidate: Sendable, Equatable {
        public let id: String
        public let label: String
    }

    /// Why a reference names no single entity.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public enum Reason: Sendable, Equatable {
            /// Nothing matches; `suggestions` are near names, when there are any.
            case noMatch(suggestions: [Candidate])
            /// Several match at the same step; the first few of them.
            case ambiguous(candidates: [Candidate], total: Int)
        }

        public let kind: Kind
        public let text: String
        /// The option or argument it was given as (`--customer`, `ID`), for the message.
        public let field: String
        public let reason: Reason

        /// Whether the input was ambiguous (a usage problem) rather than naming nothing (bad data).
        public var isAmbiguous: Bool {
            if case .ambiguous = reason { return true }
            return false
        }

        public var description: String {
            switch reason {
            case .noMatch(let suggestions):
                var message = "no \(kind.noun) matches '\(text)' (\(field))"
                if !suggestions.isEmpty {
                    message += "; did you mean: " + suggestions.map { "\($0.label) (\($0.id))" }.joined(separator: ", ")
                }
                return message
            case .ambiguous(let candidates, let total):
                var lines = ["'\(text)' (\(field)) matches \(total) \(kind.noun)s; give more of it, or the id:"]
                lines += candidates.map { "  \($0.id)  \($0.label)" }
                if total > candidates.count { lines.append("  … and \(total - candidates.count) more") }
                return lines.joined(separator: "\n")
            }
        }
    }

    /// How many candidates an ambiguity lists.
    public static let candidateLimit = 10
    /// How many characters after the type prefix an id prefix needs.
    public static let minimumIdPrefix = 2

    public let kind: Kind
    public let text: String

    public init(_ kind: Kind, _ text: String) {
        self.kind = kind
        self.text = text.trimmingCharacters(in: .whitespaces)
    }

    /// The id of the one entity the text names, or a `Failure` naming `field`.
    public func resolve(in db: any SQLDatabase, field: String) throws -> String {
        for step in steps {
            let found = try step(db)
            if found.count == 1 { return found[0].id }
            if found.count > 1 {
                throw Failure(kind: kind, text: text, field: field,
                              reason: .ambiguous(candidates: Array(found.prefix(Self.candidateLimit)), total: found.count))
            }
        }
        throw Failure(kind: kind, text: text, field: field, reason: .noMatch(suggestions: try suggestions(in: db)))
    }

    /// The matching steps, most precise first.
    private var steps: [(any SQLDatabase) throws -> [Candidate]] {
        var steps: [(any SQLDatabase) throws -> [Candidate]] = [exactId]
        if kind.numberPrefix != nil { steps.append(number) }
        steps.append(idPrefix)
        if kind.nameColumn != nil { steps.append(exactName) }
        if kind.matchesNamePrefix { steps.append(namePrefix) }
        return steps
    }

    private func candidates(_ db: any SQLDatabase, where condition: String, _ arguments: [any SQLBindable]) throws -> [Candidate] {
        // Table, label and condition are constants of this file; only `arguments` carry user text.
        let scoped = kind.scope.map { "(\($0)) AND (\(condition))" } ?? condition
        return try db.rows("SELECT id, \(kind.label) AS label FROM \(kind.table) WHERE \(scoped) ORDER BY label, id LIMIT 1000", arguments)
            .map { Candidate(id: try $0.string("id"), label: try $0.optionalString("label") ?? "") }
    }

    private func exactId(_ db: any SQLDatabase) throws -> [Candidate] {
        guard !text.isEmpty else { return [] }
        if kind == .plan, !text.hasPrefix(kind.idPrefix) {
            // A slug: `m365-business-basic-m` is `pln_m365-business-basic-m`.
            return try candidates(db, where: "id = ?1 OR id = ?2", [text, kind.idPrefix + text])
        }
        return try candidates(db, where: "id = ?1", [text])
    }

    private func number(_ db: any SQLDatabase) throws -> [Candidate] {
        guard let prefix = kind.numberPrefix, text.uppercased().hasPrefix(prefix) else { return [] }
        let digits = text.dropFirst(prefix.count)
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int64(digits) else { return [] }
        // Numbers are `ORD-` and zero-padded digits; compare the value so `ord-123` finds `ORD-000123`.
        // The positions are cast: PostgreSQL's substr takes an integer, and a bound Int64 arrives as a bigint.
        return try candidates(db, where: "number IS NOT NULL AND upper(substr(number, 1, CAST(?1 AS INTEGER))) = ?2 "
                                  + "AND CAST(substr(number, CAST(?3 AS INTEGER)) AS INTEGER) = ?4",
                              [Int64(prefix.count), prefix, Int64(prefix.count + 1), value])
    }

    private func idPrefix(_ db: any SQLDatabase) throws -> [Candidate] {
        var prefixes: [String] = []
        if text.lowercased().hasPrefix(kind.idPrefix), text.unicodeScalars.count >= kind.idPrefix.count + Self.minimumIdPrefix {
            prefixes.append(text)
        } else if kind == .plan, text.unicodeScalars.count >= Self.minimumIdPrefix + 1 {
            // A slug's prefix: `m365-business` for the plans whose ids begin `pln_m365-business`.
            prefixes.append(kind.idPrefix + text)
        } else if kind == .openConflict, text.unicodeScalars.count >= kind.idPrefix.count - 1, kind.idPrefix.hasPrefix(text.lowercased()) {
            // A conflict has no name or number, and `cfl` is how people start one: it names every open
            // conflict, so it resolves only when a single one is open and lists them otherwise.
            prefixes.append(text)
        }
        guard let prefix = prefixes.first else { return [] }
        // substr over LIKE: user text may hold `%` or `_`, which substr takes literally.
        return try candidates(db, where: "lower(substr(id, 1, CAST(?1 AS INTEGER))) = lower(?2)", [Int64(prefix.unicodeScalars.count), prefix])
    }

    private func exactName(_ db: any SQLDatabase) throws -> [Candidate] {
        guard let column = kind.nameColumn, !text.isEmpty else { return [] }
        // SQLite's lower() folds ASCII only, as NOCASE does: a name with other letters must match them as written.
        // (lower() rather than COLLATE NOCASE, which PostgreSQL has not got: the node resolves references too.)
        return try candidates(db, where: "lower(\(column)) = lower(?1)", [text])
    }

    private func namePrefix(_ db: any SQLDatabase) throws -> [Candidate] {
        guard let column = kind.nameColumn, !text.isEmpty else { return [] }
        return try candidates(db, where: "lower(substr(\(column), 1, CAST(?1 AS INTEGER))) = lower(?2)", [Int64(text.unicodeScalars.count), text])
    }

    /// Near names for "did you mean" (customers and plans only): those that contain the text, else
    /// those a few typing mistakes away from it.
    private func suggestions(in db: any SQLDatabase) throws -> [Candidate] {
        guard kind.matchesNamePrefix, let column = kind.nameColumn, text.unicodeScalars.count >= 3 else { return [] }
        let containing = try candidates(db, where: "instr(lower(\(column)), lower(?1)) > 0", [text])
        if !containing.isEmpty { return Array(containing.prefix(5)) }
        // Only on this error path: every name is read once (a bounded scan, fine for 100,000 customers).
        let typed = Array(text.lowercased())
        let allowed = max(1, min(3, typed.count / 4))
        var near: [(distance: Int, candidate: Candidate)] = []
        let scope = kind.scope.map { " AND (\($0))" } ?? ""
        try db.forEachRow("SELECT id, \(column) AS name FROM \(kind.table) WHERE length(\(column)) BETWEEN ?1 AND ?2\(scope)",
                          [Int64(typed.count - allowed), Int64(typed.count + allowed)]) { row in
            let name = try row.string("name")
            let distance = Self.editDistance(typed, Array(name.lowercased()), limit: allowed)
            if distance <= allowed { near.append((distance, Candidate(id: try row.string("id"), label: name))) }
        }
        return near.sorted { ($0.distance, $0.candidate.label, $0.candidate.id) < ($1.distance, $1.candidate.label, $1.candidate.id) }
            .prefix(5).map(\.candidate)
    }

    /// Levenshtein distance, or something above `limit` as soon as it is certain to exceed it.
    static func editDistance(_ a: [Character], _ b: [Character], limit: Int) -> Int {
        if abs(a.count - b.count) > limit { return limit + 1 }
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1] + Array(repeating: 0, count: b.count)
            for (j, y) in b.enumerated() {
                current[j + 1] = Swift.min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1))
            }
            if current.min() ?? 0 > limit { return limit + 1 }
            previous = current
        }
        return previous[b.count]
    }
}
