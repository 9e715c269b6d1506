import Foundation
import OutpostModel

/// `customer …` and `customer-user …`.
enum CustomerCommands {
    static let all: [CommandSpec] = [
        add, edit, suspend, activate, close, list, show,
        userAdd, userEdit, userDelete, userList, userShow,
    ]

    static let profileOptions: [CommandSpec.Option] = [
        .init("contact", value: "NAME", "contact person"),
        .init("email", value: "EMAIL", "contact e-mail"),
        .init("phone", value: "PHONE", "phone number"),
        .init("address", value: "TEXT", "street address"),
        .init("city", value: "CITY", "city"),
        .init("postal-code", value: "CODE", "postal code"),
        .init("country", value: "CC", "ISO 3166 two-letter country code (DE, FR, …)"),
        .init("tax-id", value: "ID", "VAT or tax number"),
    ]

    static let add = CommandSpec(
        ["customer", "add"], "add an end customer (active from the start)",
        options: [.init("name", value: "NAME", required: true, "the customer's name")] + profileOptions,
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            var mutation = CreateCustomer(id: replica.ids.make("cus"), name: invocation.required("name"))
            mutation.contactName = invocation.value("contact") ?? ""
            mutation.email = invocation.value("email") ?? ""
            mutation.phone = invocation.value("phone") ?? ""
            mutation.address = invocation.value("address") ?? ""
            mutation.city = invocation.value("city") ?? ""
            mutation.postalCode = invocation.value("postal-code") ?? ""
            mutation.country = invocation.value("country")?.uppercased() ?? ""
            mutation.taxId = invocation.value("tax-id") ?? ""
            // Two customers may share a name (two branches, a typo to fix later), but say so: lookups by name become ambiguous.
            let namesake = try replica.db.row("SELECT id, name FROM customer WHERE name = ? COLLATE NOCASE ORDER BY created_at, id LIMIT 1",
                                              [mutation.name])
            try replica.submitAndReport(mutation, id: mutation.id, session: session, json: invocation.json,
                                        summary: "Added customer \(mutation.name) (\(mutation.id))")
            if let namesake {
                session.printError("warning: \(try namesake.string("name")) already exists as \(try namesake.string("id")); added a second customer with that name")
            }
        })

    static let edit = CommandSpec(
        ["customer", "edit"], "change a customer's profile (only the fields given)",
        arguments: [.init("CUSTOMER", "customer id, unique id prefix, name or unique name prefix")],
        options: [.init("name", value: "NAME", "the customer's name")] + profileOptions,
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let customer = try Customer.require(replica.resolve(.customer, invocation.argument(0), field: "CUSTOMER"), in: replica.db)
            var mutation = UpdateCustomer(id: customer.id, baseVersion: customer.version)
            mutation.name = invocation.value("name")
            mutation.contactName = invocation.value("contact")
            mutation.email = invocation.value("email")
            mutation.phone = invocation.value("phone")
            mutation.address = invocation.value("address")
            mutation.city = invocation.value("city")
            mutation.postalCode = invocation.value("postal-code")
            mutation.country = invocation.value("country")?.uppercased()
            mutation.taxId = invocation.value("tax-id")
            let given = ["name", "contact", "email", "phone", "address", "city", "postal-code", "country", "tax-id"].filter { invocation.value($0) != nil }
            guard !given.isEmpty else {
                throw UsageError(message: "nothing to change: give at least one of --name, --email, …", command: invocation.command.name)
            }
            try replica.submitAndReport(mutation, id: customer.id, session: session, json: invocation.json,
                                        summary: "Updated customer \(customer.name) (\(customer.id)): \(given.joined(separator: ", "))")
        })

    static func statusChange(_ verb: String, _ abstract: String, _ make: @escaping @Sendable (String, Int64) -> any Mutation) -> CommandSpec {
        CommandSpec(
            ["customer", verb], abstract,
            arguments: [.init("CUSTOMER", "customer id, unique id prefix, name or unique name prefix")],
            printsJSON: true,
            run: { invocation, session in
                let replica = try session.openReplica(invocation)
                let customer = try Customer.require(replica.resolve(.customer, invocation.argument(0), field: "CUSTOMER"), in: replica.db)
                let mutation = make(customer.id, customer.version)
                // Closing disables the portal (`CloseCustomer`): say what happens to the published copy.
                let portal = verb == "close" ? try CustomerPortal.find(customerId: customer.id, in: replica.db) : nil
                try replica.submitAndReport(mutation, id: customer.id, session: session, json: invocation.json,
                                            summary: "Customer \(customer.name) (\(customer.id)) \(verb == "close" ? "closed" : verb == "suspend" ? "suspended" : "activated")"
                                                + (portal == nil ? "" : "; its portal is disabled: the next site build deletes its directory, the next publish takes it offline"))
            })
    }

    static let suspend = statusChange("suspend", "suspend an active customer (no new orders)") { SuspendCustomer(id: $0, baseVersion: $1) }
    static let activate = statusChange("activate", "reactivate a suspended or closed customer") { ActivateCustomer(id: $0, baseVersion: $1) }
    static let close = statusChange("close", "close a customer with no active subscriptions and nothing unpaid") { CloseCustomer(id: $0, baseVersion: $1) }

    static let list = CommandSpec(
        ["customer", "list"], "list customers",
        options: [.init("status", value: "STATUS", "only active, suspended or closed")],
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let status = try invocation.value("status").map { try OptionValue.choice($0, Customer.Status.self, option: "status") }
            let customers = try Customer.list(in: replica.db, status: status)
            if invocation.json { return try JSONOutput.print(customers, to: session) }
            var table = TextTable("NAME", "STATUS", "COUNTRY", "EMAIL", "ID")
            for customer in customers { table.add(customer.name, customer.status.rawValue, customer.country, customer.email, customer.id) }
            session.print(table.render(empty: "No customers yet. Add one with: outpost customer add --name NAME"))
        })

    /// Everything about one customer, for `customer show --json`.
    struct CustomerDetail: Encodable {
        let customer: Customer
        let users: [CustomerUser]
        let subscriptions: [Subscription]
        let orders: [Order]
        let invoices: [InvoiceWithBalance]
        let payments: [Payment]
        let creditNotes: [CreditNote]
        let domains: [Domain]
        let sslCertificates: [SSLCertificate]
        let licenses: [License]
        /// The portal's home page from the site's root, when the customer has a portal.
        let portal: String?
        /// What the customer owes as of today (`Receivables`).
        let balance: Int64
        let currency: String
    }

    /// How many of a customer's latest orders `customer show` lists.
    static let recentOrders = 10

    static let show = CommandSpec(
        ["customer", "show"], "show a customer with users, subscriptions, open invoices, recent orders and balance",
        arguments: [.init("CUSTOMER", "customer id, unique id prefix, name or unique name prefix")],
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let db = replica.db
            let customer = try Customer.require(replica.resolve(.customer, invocation.argument(0), field: "CUSTOMER"), in: db)
            let today = session.clock.now().date
            let invoices = try InvoiceWithBalance.list(customerId: customer.id, today: today, in: db)
            let currency = try ResellerSettings.load(from: db).currency
            // The same figure as the customer's page and the home page (one definition: `Receivables`).
            let receivables = try Receivables.of(customerId: customer.id, asOf: today, in: db)
            let detail = CustomerDetail(
                customer: customer, users: try CustomerUser.list(customerId: customer.id, in: db),
                subscriptions: try Subscription.list(customerId: customer.id, in: db),
                orders: try Order.list(customerId: customer.id, in: db), invoices: invoices,
                payments: try Payment.list(customerId: customer.id, in: db),
                creditNotes: try CreditNote.list(customerId: customer.id, in: db),
                domains: try Domain.list(customerId: customer.id, in: db),
                sslCertificates: try SSLCertificate.list(customerId: customer.id, in: db),
                licenses: try License.list(customerId: customer.id, in: db),
                portal: try CustomerPortal.find(customerId: customer.id, in: db)?.path,
                balance: receivables.outstanding, currency: currency)
            if invocation.json { return try JSONOutput.print(detail, to: session) }
            let names = NameBook(db)
            session.print("\(customer.name)  (\(customer.id), \(customer.status.rawValue))")
            let contact = [customer.contactName, customer.email, customer.phone].filter { !$0.isEmpty }.joined(separator: ", ")
            if !contact.isEmpty { session.print("Contact: \(contact)") }
            let address = [customer.address, customer.postalCode, customer.city, customer.country].filter { !$0.isEmpty }.joined(separator: ", ")
            if !address.isEmpty { session.print("Address: \(address)") }
            if !customer.taxId.isEmpty { session.print("Tax id:  \(customer.taxId)") }
            if let portal = try CustomerPortal.find(customerId: customer.id, in: db) {
                session.print("Portal:  \(portal.path) in the site (enabled \(portal.enabledAt))")
            }
            session.print("Outstanding: \(Format.money(receivables.outstanding, currency)), overdue \(Format.money(receivables.overdue, currency))")
            session.print("Users: \(detail.users.isEmpty ? "none" : detail.users.map { "\($0.username) (\($0.role.rawValue))" }.joined(separator: ", "))")

            session.print("")
            session.print("Subscriptions:")
            var subscriptions = TextTable("PLAN", "SEATS", "UNIT PRICE", "STATUS", "RENEWAL")
            for s in detail.subscriptions {
                let renewal = s.cancelAtPeriodEnd || !s.autoRenew ? "ends \(s.periodEnd)" : "renews \(s.periodEnd)"
                subscriptions.add(try names.plan(s.planId), String(s.quantity), Format.money(s.unitPrice, s.currency), s.status.rawValue, renewal)
            }
            session.print(subscriptions.render(empty: "  none"))

            session.print("")
            session.print("Open invoices:")
            var open = TextTable("NUMBER", "ISSUED", "DUE", "INVOICE TOTAL", "OUTSTANDING", "STATE")
            for entry in invoices where entry.balance.outstanding > 0 {
                let i = entry.invoice
                let state = entry.balance.state.rawValue + (entry.balance.overdue ? ", overdue \(entry.balance.daysOverdue)d" : "")
                open.add(i.displayNumber, i.issueDate.description, i.dueDate.description, Format.money(i.total, i.currency),
                         Format.money(entry.balance.outstanding, i.currency), state)
            }
            session.print(open.render(empty: "  none"))

            session.print("")
            session.print("Recent orders:")
            var orders = TextTable("NUMBER", "PLACED", "TYPE", "STATUS", "ORDER TOTAL")
            let latest = detail.orders.sorted { ($0.placedAt.description, $0.id) > ($1.placedAt.description, $1.id) }.prefix(recentOrders)
            for order in latest {
                orders.add(order.displayNumber, order.placedAt.description, order.type.rawValue, order.status.rawValue,
                           Format.money(order.total, order.currency))
            }
            session.print(orders.render(empty: "  none"))
            if detail.orders.count > recentOrders {
                session.print("(and \(detail.orders.count - recentOrders) older: outpost order list --customer \(customer.id))")
            }

            session.print("")
            session.print("Payments: \(detail.payments.count), credit notes: \(detail.creditNotes.count), domains: \(detail.domains.count), SSL certificates: \(detail.sslCertificates.count), licenses: \(detail.licenses.count)")
        })

    // MARK: customer-user

    static let userAdd = CommandSpec(
        ["customer-user", "add"], "add a login for a customer (username unique per customer)",
        options: [
            .init("customer", value: "CUSTOMER", required: true, "customer id, id prefix or name"),
            .init("username", value: "NAME", required: true, "login name: lowercase letters, digits, . _ -"),
            .init("name", value: "NAME", required: true, "full name"),
            .init("email", value: "EMAIL", required: true, "e-mail address"),
            .init("role", value: "ROLE", "admin, user or billing (default user)"),
        ],
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            var mutation = CreateCustomerUser(
                id: replica.ids.make("cu"), customerId: try replica.resolve(.customer, invocation.required("customer"), field: "--customer"), username: invocation.required("username"),
                name: invocation.required("name"), email: invocation.required("email"))
            if let role = invocation.value("role") { mutation.role = role }
            try replica.submitAndReport(mutation, id: mutation.id, session: session, json: invocation.json,
                                        summary: "Added customer user \(mutation.username) (\(mutation.id))")
        })

    static let userEdit = CommandSpec(
        ["customer-user", "edit"], "change a customer user's name, e-mail or role",
        arguments: [.init("USER", "customer user id (cu_…), unique id prefix or username")],
        options: [
            .init("name", value: "NAME", "full name"),
            .init("email", value: "EMAIL", "e-mail address"),
            .init("role", value: "ROLE", "admin, user or billing"),
        ],
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let user = try CustomerUser.require(replica.resolve(.customerUser, invocation.argument(0), field: "USER"), in: replica.db)
            var mutation = UpdateCustomerUser(id: user.id, baseVersion: user.version)
            mutation.name = invocation.value("name")
            mutation.email = invocation.value("email")
            mutation.role = invocation.value("role")
            guard mutation.name != nil || mutation.email != nil || mutation.role != nil else {
                throw UsageError(message: "nothing to change: give --name, --email or --role", command: invocation.command.name)
            }
            try replica.submitAndReport(mutation, id: user.id, session: session, json: invocation.json, summary: "Updated customer user \(user.username)")
        })

    static let userDelete = CommandSpec(
        ["customer-user", "delete"], "remove a customer's login",
        arguments: [.init("USER", "customer user id (cu_…), unique id prefix or username")],
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let user = try CustomerUser.require(replica.resolve(.customerUser, invocation.argument(0), field: "USER"), in: replica.db)
            try replica.submitAndReport(DeleteCustomerUser(id: user.id, baseVersion: user.version), id: user.id, session: session,
                                        json: invocation.json, summary: "Deleted customer user \(user.username)")
        })

    static let userList = CommandSpec(
        ["customer-user", "list"], "list customer users",
        options: [.init("customer", value: "CUSTOMER", "only this customer's users (id, id prefix or name)")],
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let users = try CustomerUser.list(customerId: replica.resolve(.customer, invocation.value("customer"), field: "--customer"), in: replica.db)
            let names = NameBook(replica.db)
            if invocation.json { return try JSONOutput.print(users.map { Annotated($0, ["customerName": try names.customer($0.customerId)]) }, to: session) }
            var table = TextTable("CUSTOMER", "USERNAME", "NAME", "EMAIL", "ROLE", "ID")
            for user in users { table.add(try names.customer(user.customerId), user.username, user.name, user.email, user.role.rawValue, user.id) }
            session.print(table.render(empty: "No customer users."))
        })

    /// A customer user with their latest logins, for `customer-user show --json`.
    struct CustomerUserWithLogins: Encodable {
        let user: CustomerUser
        let customerName: String
        let logins: [LoginEvent]
    }

    static let userShow = CommandSpec(
        ["customer-user", "show"], "show a customer user and their login history (newest first, the last 50)",
        arguments: [.init("USER", "customer user id (cu_…), unique id prefix or username")],
        options: [.init("customer", value: "CUSTOMER", "the user's customer (id, id prefix or name), when several have that username")],
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let id: String
            if let customerId = try replica.resolve(.customer, invocation.value("customer"), field: "--customer") {
                let text = invocation.argument(0)
                guard let row = try replica.db.row("SELECT id FROM customer_user WHERE customer_id = ? AND (id = ? OR username = ?)", [customerId, text, text]) else {
                    throw CommandFailure(.dataError, "customer \(try NameBook(replica.db).customer(customerId)) (\(customerId)) has no user '\(text)' (USER)")
                }
                id = try row.string("id")
            } else {
                id = try replica.resolve(.customerUser, invocation.argument(0), field: "USER")
            }
            let user = try CustomerUser.require(id, in: replica.db)
            let logins = try LoginEvent.list(customerUserId: user.id, in: replica.db, limit: 50)
            let customerName = try NameBook(replica.db).customer(user.customerId)
            if invocation.json { return try JSONOutput.print(CustomerUserWithLogins(user: user, customerName: customerName, logins: logins), to: session) }
            session.print("Customer user \(user.username) (\(user.id))")
            session.print("  Customer: \(customerName) (\(user.customerId))")
            session.print("  Name:     \(user.name)")
            session.print("  E-mail:   \(user.email)")
            session.print("  Role:     \(user.role.rawValue)")
            session.print("  Created:  \(user.createdAt)")
            session.print("")
            session.print("Login history (newest first, last 50):")
            var table = TextTable("WHEN", "RESULT", "SOURCE")
            for login in logins { table.add(login.at.description, login.result.rawValue, login.source.isEmpty ? "-" : login.source) }
            session.print(table.render(empty: "No logins recorded. The node imports them with: outpost node logins import FILE"))
        })
}

/// An invoice with its derived payment state.
struct InvoiceWithBalance: Encodable {
    let invoice: Invoice
    let balance: InvoiceBalance
    /// The customer's name, for people; `invoice.customerId` keeps the id.
    let customerName: String

    static func list(customerId: String?, today: BusinessDate, in db: Database) throws -> [InvoiceWithBalance] {
        let balances = try InvoiceBalance.all(customerId: customerId, today: today, in: db)
        let names = NameBook(db)
        return try Invoice.list(customerId: customerId, in: db).compactMap { invoice in
            try balances[invoice.id].map { InvoiceWithBalance(invoice: invoice, balance: $0, customerName: try names.customer(invoice.customerId)) }
        }
    }
}

import OutpostStore
