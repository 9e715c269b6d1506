import Foundation
import OutpostModel

/// `domain list`, `ssl list`, `license list`.
enum ServiceCommands {
    static let all: [CommandSpec] = [domains, certificates, licenses]

    static let customerOption = CommandSpec.Option("customer", value: "CUSTOMER", "only this customer's (id, id prefix or name)")

    static let domains = CommandSpec(
        ["domain", "list"], "list registered and transferred domains",
        options: [customerOption],
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let domains = try Domain.list(customerId: replica.resolve(.customer, invocation.value("customer"), field: "--customer"), in: replica.db)
            if invocation.json { return try JSONOutput.print(domains, to: session) }
            var table = TextTable("ID", "NAME", "CUSTOMER", "ORIGIN", "STATUS", "EXPIRES", "AUTO-RENEW")
            for d in domains {
                table.add(d.id, d.name, d.customerId, d.origin.rawValue, d.status.rawValue, Format.optionalDate(d.expiresOn), Format.yesNo(d.autoRenew))
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
            var table = TextTable("ID", "COMMON NAME", "CUSTOMER", "TYPE", "STATUS", "EXPIRES")
            for c in certificates {
                table.add(c.id, c.commonName, c.customerId, c.validation.rawValue, c.status.rawValue, Format.optionalDate(c.expiresOn))
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
            if invocation.json { return try JSONOutput.print(licenses, to: session) }
            var table = TextTable("ID", "PRODUCT", "CUSTOMER", "SEATS", "STATUS", "EXPIRES", "KEY")
            for l in licenses {
                table.add(l.id, l.product, l.customerId, String(l.seats), l.status.rawValue, Format.optionalDate(l.expiresOn), l.licenseKey)
            }
            session.print(table.render(empty: "No licenses."))
        })
}
