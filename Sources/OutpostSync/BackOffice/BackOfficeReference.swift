import OutpostModel
import OutpostStore

/// What an operator typed to name an order or invoice on the node, found in the books of every reseller in
/// scope (one with `--reseller`, else all) by the laptop's rule (`EntityReference`: the id, the number in any
/// case and with or without leading zeros, a unique id prefix).
///
/// Numbers are gap-free per reseller, so `INV-000005` usually exists for several of them: a reference that
/// matches documents of more than one reseller is never settled by guessing — it is refused (a usage error)
/// with every match, and `--reseller` chooses.
public struct BackOfficeReference: Sendable, Equatable {
    /// One document the reference could mean, and what the operator needs to tell it from the others.
    public struct Match: Sendable, Equatable {
        public let resellerId: String
        public let id: String
        /// `INV-000005  Contoso GmbH  11.50 EUR`.
        public let label: String
    }

    public let kind: EntityReference.Kind
    public let text: String

    public init(_ kind: EntityReference.Kind, _ text: String) {
        self.kind = kind
        self.text = text.trimmingCharacters(in: .whitespaces)
    }

    /// The one reseller and document the reference names among `resellerIds`, each looked up in `tenant`.
    ///
    /// Refused with `BackOfficeError` (bad data) when none matches, and with `Ambiguity` (usage) when several do.
    func resolve(among resellerIds: [String], chosen: Bool, tenant: (String) throws -> Tenant) throws -> (tenant: Tenant, id: String) {
        var matches: [Match] = []
        var total = 0
        var found: [String: Tenant] = [:]
        for resellerId in resellerIds {
            let tenant = try tenant(resellerId)
            let ids: [String]
            var count = 1
            do {
                ids = [try EntityReference(kind, text).resolve(in: tenant.db, field: kind.noun)]
            } catch let failure as EntityReference.Failure {
                guard case let .ambiguous(candidates, all) = failure.reason else { continue }
                ids = candidates.map(\.id)
                count = all
            }
            found[resellerId] = tenant
            total += count
            for id in ids { matches.append(Match(resellerId: resellerId, id: id, label: try label(id, in: tenant.db))) }
        }
        if total == 1, let match = matches.first, let tenant = found[match.resellerId] { return (tenant, match.id) }
        guard total > 1 else {
            let article = "aeiou".contains(kind.noun.first ?? "x") ? "an" : "a"
            throw BackOfficeError(chosen ? "reseller \(resellerIds[0]) has no \(kind.noun) \(text)" : "no reseller on this node has \(article) \(kind.noun) \(text)")
        }
        throw Ambiguity(reference: self, matches: matches, total: total, resellers: found.count)
    }

    /// What a match is shown as: the number (or "pending"), the customer, and for an invoice its total, for an order its status.
    private func label(_ id: String, in db: any SQLDatabase) throws -> String {
        switch kind {
        case .invoice:
            let row = try db.row("""
                SELECT i.number, i.total, i.currency, i.status, coalesce(c.name, i.customer_id) AS customer
                FROM invoice i LEFT JOIN customer c ON c.id = i.customer_id WHERE i.id = ?
                """, [id])
            guard let row else { return id }
            let status = try row.string("status") == Invoice.Status.void.rawValue ? "  void" : ""
            return "\(try row.optionalString("number") ?? "pending")  \(try row.string("customer"))  "
                + Money.formatted(try row.int64("total"), currencyCode: try row.string("currency")) + status
        case .order:
            let row = try db.row("""
                SELECT o.number, o.type, o.status, coalesce(c.name, o.customer_id) AS customer
                FROM orders o LEFT JOIN customer c ON c.id = o.customer_id WHERE o.id = ?
                """, [id])
            guard let row else { return id }
            return "\(try row.optionalString("number") ?? "pending")  \(try row.string("customer"))  \(try row.string("type")), \(try row.string("status"))"
        default:
            return id
        }
    }

    /// A reference that names documents of several resellers (or several of one): a usage error listing them.
    public struct Ambiguity: Error, Sendable, Equatable, CustomStringConvertible {
        public let reference: BackOfficeReference
        /// The first few matches of each reseller, in reseller order.
        public let matches: [Match]
        /// How many match in all.
        public let total: Int
        /// How many resellers have a match.
        public let resellers: Int

        public var description: String {
            let noun = reference.kind.noun
            var lines = resellers > 1
                ? ["\(reference.text) matches \(noun)s of \(resellers) resellers; say which with --reseller ID:"]
                : ["\(reference.text) matches \(total) \(noun)s of reseller \(matches.first?.resellerId ?? ""); give more of it, the number or the id:"]
            lines += matches.map { "  \($0.resellerId)  \($0.label)  (\($0.id))" }
            if total > matches.count { lines.append("  … and \(total - matches.count) more") }
            return lines.joined(separator: "\n")
        }
    }
}

extension Node {
    /// The reseller and id of the document `reference` names (`INV-000045`, `inv-45`, `inv_01KG…` or a unique
    /// prefix of it) in `resellerId`'s books, or in every reseller's when `nil` (see `BackOfficeReference`).
    public func locate(_ kind: EntityReference.Kind, _ reference: String, resellerId: String? = nil) throws -> (tenant: Tenant, id: String) {
        try BackOfficeReference(kind, reference).resolve(among: try backOfficeResellers(resellerId), chosen: resellerId != nil, tenant: tenant)
    }
}
