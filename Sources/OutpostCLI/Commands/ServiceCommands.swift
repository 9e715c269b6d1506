import Foundation
import OutpostModel

/// `domain list`, `ssl list`, `license list`, `license show`.
enum ServiceCommands {
    static let all: [CommandSpec] = [domains, certificates, licenses, license]

    static let customerOption = CommandSpec.Option("customer", value: "CUSTOMER", "only this customer's (id, id prefix or name)")

    static let domains = CommandSpec(
        ["domain", "list"], "list registered and transferred domains",
        options: [customerOption],
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let domains = try Domain.list(customerId: replica.resolve(.customer, invocation.value("customer"), field: "--customer"), in: replica.db)
            if invocation.json { return try JSONOutput.print(domains, to: session) }
            let names = NameBook(replica.db)
            var table = TextTable("NAME", "CUSTOMER", "ORIGIN", "STATUS", "EXPIRES", "AUTO-RENEW", "ID")
            for d in domains {
                table.add(d.name, try names.customer(d.customerId), d.origin.rawValue, d.status.rawValue, Format.optionalDate(d.expiresOn),
                          Format.yesNo(d.autoRenew), d.id)
            }
            session.print(table.render(empty: "No domains."))
        })

    static let certificates = CommandSpec(
        ["ssl", "list"], "list SSL certificates",
        options: [customerOption],
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let certificates = try SSLCertificate.list(customerId: replica.resolve(.customer, invocation.value("customer"), field: "--customer"), in: replica.db)
            if invocation.json { return try JSONOutput.print(certificates, to: session) }
            let names = NameBook(replica.db)
            var table = TextTable("COMMON NAME", "CUSTOMER", "TYPE", "STATUS", "EXPIRES", "ID")
            for c in certificates {
                table.add(c.commonName, try names.customer(c.customerId), c.validation.rawValue, c.status.rawValue, Format.optionalDate(c.expiresOn), c.id)
            }
            session.print(table.render(empty: "No SSL certificates."))
        })

    static let licenses = CommandSpec(
        ["license", "list"], "list software licenses",
        options: [customerOption],
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let licenses = try License.list(customerId: replica.resolve(.customer, invocation.value("customer"), field: "--customer"), in: replica.db)
            if invocation.json { return try JSONOutput.print(licenses.map { LicenseView($0, fullKey: false) }, to: session) }
            let names = NameBook(replica.db)
            var table = TextTable("PRODUCT", "CUSTOMER", "SEATS", "STATUS", "EXPIRES", "KEY", "ID")
            for l in licenses {
                table.add(l.product, try names.customer(l.customerId), String(l.seats), l.status.rawValue, Format.optionalDate(l.expiresOn),
                          LicenseKey.masked(l.licenseKey), l.id)
            }
            session.print(table.render(empty: "No licenses."))
            if !licenses.isEmpty { session.print("Keys show their last four characters; the full key: outpost license show ID") }
        })

    static let license = CommandSpec(
        ["license", "show"], "show one license with its full key (only here: lists and dashboards show the last four characters)",
        arguments: [.init("LICENSE", "the license's id (lic_…) or a unique start of it")],
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let id = try replica.resolve(.license, invocation.argument(0), field: "LICENSE")
            guard let l = try replica.db.row("SELECT * FROM license WHERE id = ?", [id]).map(License.init(row:)) else {
                throw CommandFailure(.dataError, "no license \(id); outpost license list shows them")
            }
            if invocation.json { return try JSONOutput.print(LicenseView(l, fullKey: true), to: session) }
            session.print("License \(l.id): \(l.product)")
            session.print("Key:      \(l.licenseKey)")
            session.print("Customer: \(try NameBook(replica.db).customer(l.customerId))  (\(l.customerId))")
            session.print("Seats:    \(l.seats)")
            session.print("Status:   \(l.status.rawValue)")
            session.print("Expires:  \(Format.optionalDate(l.expiresOn))")
        })

    /// A license as the command line prints it as JSON: the key in full only when asked for one license.
    struct LicenseView: Encodable {
        let id: String
        let customerId: String
        let subscriptionId: String?
        let product: String
        let licenseKey: String
        let seats: Int
        let status: License.Status
        let expiresOn: BusinessDate?
        let version: Int64

        init(_ license: License, fullKey: Bool) {
            id = license.id
            customerId = license.customerId
            subscriptionId = license.subscriptionId
            product = license.product
            licenseKey = fullKey ? license.licenseKey : LicenseKey.masked(license.licenseKey)
            seats = license.seats
            status = license.status
            expiresOn = license.expiresOn
            version = license.version
        }
    }
}
