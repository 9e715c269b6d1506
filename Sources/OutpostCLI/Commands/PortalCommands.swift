import Foundation
import OutpostModel

/// `portal …`: a read-only portal per customer, rendered by `site build` into `portals/<key>/`.
enum PortalCommands {
    static let all: [CommandSpec] = [enable, renew, disable, list]

    static let customerArgument = CommandSpec.Argument("CUSTOMER", "customer id, unique id prefix, name or unique name prefix")

    static let discussion = """
        A portal is the customer's own read-only copy of its subscriptions, orders, invoices (printable),
        payments, credit notes, domains, SSL certificates and licenses: never costs, margins, notes or other
        customers. `site build` (and `sync`) renders it into portals/<key>/ inside the site, a directory of
        its own that can be published alone; the key is random, so the address cannot be guessed. Closing
        the customer disables its portal: the next build deletes the directory, the next publish takes it
        offline.
        """

    /// Where the site (and so the portal) is, for the receipt.
    static func location(_ portalPath: String, replica: Replica) throws -> String {
        (try SyncCommands.siteOutput(replica)).appendingPathComponent(portalPath).path
    }

    /// `portal enable` and `portal renew`: a new random key for the customer's portal, made here on the laptop.
    static func newKey(_ verb: String, _ abstract: String, make: @escaping @Sendable (_ customerId: String, _ key: String) -> any Mutation,
                       summary: @escaping @Sendable (_ customer: String, _ location: String) -> String) -> CommandSpec {
        CommandSpec(
            ["portal", verb], abstract, arguments: [customerArgument], discussion: discussion, printsJSON: true,
            run: { invocation, session in
                let replica = try session.openReplica(invocation)
                let customer = try Customer.require(replica.resolve(.customer, invocation.argument(0), field: "CUSTOMER"), in: replica.db)
                let key = CustomerPortal.makeKey()
                try replica.submitAndReport(make(customer.id, key), id: customer.id, session: session, json: invocation.json,
                                            summary: summary("\(customer.name) (\(customer.id))",
                                                             try location(CustomerPortal.directory(key) + "index.html", replica: replica)))
            })
    }

    static let enable = newKey("enable", "give a customer a read-only portal (rendered at the next site build)",
                               make: { EnablePortal(customerId: $0, key: $1) },
                               summary: { "Enabled the portal of \($0) at \($1); the next site build renders it" })

    static let renew = newKey("renew", "move a customer's portal to a new random address (the old one goes at the next site build)",
                              make: { RenewPortal(customerId: $0, key: $1) },
                              summary: { "Moved the portal of \($0) to \($1); the next site build deletes the old directory, the next publish takes it offline" })

    static let disable = CommandSpec(
        ["portal", "disable"], "remove a customer's portal (its directory goes at the next site build)",
        arguments: [customerArgument], discussion: discussion, printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let customer = try Customer.require(replica.resolve(.customer, invocation.argument(0), field: "CUSTOMER"), in: replica.db)
            try replica.submitAndReport(DisablePortal(customerId: customer.id), id: customer.id, session: session, json: invocation.json,
                                        summary: "Disabled the portal of \(customer.name) (\(customer.id)); "
                                            + "the next site build deletes its directory, the next publish takes it offline")
        })

    /// One enabled portal, for `portal list --json`.
    struct Listed: Encodable {
        let customerId: String
        let customerName: String
        let enabledAt: Timestamp
        /// From the site's root.
        let path: String
    }

    static let list = CommandSpec(
        ["portal", "list"], "list the customers with a portal, since when, and where it is in the site",
        discussion: discussion, printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let names = NameBook(replica.db)
            let portals = try CustomerPortal.list(in: replica.db).map { portal in
                Listed(customerId: portal.customerId, customerName: try names.customer(portal.customerId), enabledAt: portal.enabledAt, path: portal.path)
            }
            if invocation.json { return try JSONOutput.print(portals, to: session) }
            var table = TextTable("CUSTOMER", "ENABLED", "PORTAL", "ID")
            for portal in portals { table.add(portal.customerName, portal.enabledAt.description, portal.path, portal.customerId) }
            session.print(table.render(empty: "No portals. Give a customer one with: outpost portal enable CUSTOMER"))
            if !portals.isEmpty { session.print("Paths are inside the site: \(try SyncCommands.siteOutput(replica).path)") }
        })
}
