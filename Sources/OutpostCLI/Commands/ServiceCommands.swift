import Foundation
import OutpostModel

/// `domain list`, `ssl list`, `license list`, `license show`.
enum ServiceCommands {
    static let all: [CommandSpec] = [domains, certificates, licenses, license]

    static let customerOption = CommandSpec.Option("customer", value: "ID", "only this customer's")

    static let domains = CommandSpec(
        ["domain", "list"], "list registered and transferred domains",
        options: [customerOption],
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let domains = try Domain.list(customerId: invocation.value("customer"), in: replica.db)
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
            let certificates = try SSLCertificate.list(customerId: invocation.value("customer"), in: replica.db)
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
            let licenses = try License.list(customerId: invocation.value("customer"), in: replica.db)
            if invocation.json { return try JSONOutput.print(licenses.map { LicenseView($0, fullKey: false) }, to: session) }
            var table = TextTable("ID", "PRODUCT", "CUSTOMER", "SEATS", "STATUS", "EXPIRES", "KEY")
            for l in licenses {
                table.add(l.id, l.product, l.customerId, String(l.seats), l.status.rawValue, Format.optionalDate(l.expiresOn),
                          LicenseKey.masked(l.licenseKey))
            }
            session.print(table.render(empty: "No licenses."))
            if !licenses.isEmpty { session.print("Keys show their last four characters; the full key: outpost license show ID") }
        })

    static let license = CommandSpec(
        ["license", "show"], "show one license with its full key (only here: lists and dashboards show the last four characters)",
        arguments: [.init("LICENSE", "the license's id (lic_…), or the start of it if only one license begins so")],
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let reference = invocation.argument(0).trimmingCharacters(in: .whitespaces)
            guard !reference.isEmpty else { throw CommandFailure(.dataError, "LICENSE is empty; give a license id like lic_01…") }
            // A prefix is matched literally: LIKE's wildcards in it are escaped.
            let pattern = reference.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                .replacingOccurrences(of: "_", with: "\\_") + "%"
            let matches = try replica.db.rows("SELECT * FROM license WHERE id = ?1 OR id LIKE ?2 ESCAPE '\\' ORDER BY id LIMIT 3",
                                              [reference, pattern]).map(License.init(row:))
            let exact = matches.first { $0.id == reference }
            guard let l = exact ?? (matches.count == 1 ? matches.first : nil) else {
                if matches.isEmpty { throw CommandFailure(.dataError, "no license \(reference); outpost license list shows them") }
                throw CommandFailure(.dataError, "\(reference) is the start of more than one license (\(matches.prefix(2).map(\.id).joined(separator: ", "))…); give more of the id")
            }
            if invocation.json { return try JSONOutput.print(LicenseView(l, fullKey: true), to: session) }
            session.print("License \(l.id): \(l.product)")
            session.print("Key:      \(l.licenseKey)")
            session.print("Customer: \(l.customerId)")
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
