import Foundation
import OutpostModel
import OutpostStore
import Testing

@Suite("customer.* mutations")
struct CustomerMutationTests {
    // MARK: customer.create

    @Test func createWritesEveryFieldAndQueuesOnce() throws {
        try withTestReplica { replica in
            var create = CreateCustomer(id: "cus_ACME", name: "  Acme GmbH  ")
            create.contactName = "Jane Doe"
            create.email = "billing@acme.example"
            create.phone = "+49 (30) 123-456"
            create.address = "Hauptstraße 1\nHinterhaus"
            create.city = "Berlin"
            create.postalCode = "10115"
            create.country = "de"
            create.taxId = "DE123456789"
            let entry = try submitAccepted(replica, create)

            let customer = try Customer.require("cus_ACME", in: replica.db)
            #expect(customer.id == "cus_ACME")
            #expect(customer.name == "Acme GmbH")
            #expect(customer.status == .active)
            #expect(customer.contactName == "Jane Doe")
            #expect(customer.email == "billing@acme.example")
            #expect(customer.phone == "+49 (30) 123-456")
            #expect(customer.address == "Hauptstraße 1\nHinterhaus")
            #expect(customer.city == "Berlin")
            #expect(customer.postalCode == "10115")
            #expect(customer.country == "DE")
            #expect(customer.taxId == "DE123456789")
            #expect(customer.createdAt == testNow)
            #expect(customer.version == 0)
            #expect(try count(replica, "customer") == 1)

            // The undo record: one insert of that row.
            #expect(entry.changes.count == 1)
            #expect(entry.changes.first?.table == "customer")
            #expect(entry.changes.first?.id == "cus_ACME")
            #expect(entry.changes.first?.before == nil)
            #expect(entry.changes.first?.after?["name"] == .text("Acme GmbH"))
        }
    }

    @Test func createArgumentsAreCanonicalJSON() throws {
        try withTestReplica { replica in
            let entry = try submitAccepted(replica, CreateCustomer(id: "cus_ACME", name: "Acme"))
            #expect(entry.args == #"{"address":"","city":"","contact_name":"","country":"","email":"","id":"cus_ACME","name":"Acme","phone":"","postal_code":"","tax_id":""}"#)
        }
    }

    @Test("awkward names are stored and read back exactly", arguments: awkwardTexts)
    func createStoresTextExactly(text: String) throws {
        try withTestReplica { replica in
            var create = CreateCustomer(id: "cus_TEXT", name: text)
            create.contactName = text
            create.city = text
            create.address = text
            try submitAccepted(replica, create)
            let customer = try Customer.require("cus_TEXT", in: replica.db)
            #expect(customer.name == text)
            #expect(customer.contactName == text)
            #expect(customer.city == text)
            #expect(customer.address == text)
            #expect(Array(customer.name.utf8) == Array(text.utf8))
            // And it survives the queue's JSON.
            let queued = try #require(replica.queue.pending().first)
            let decoded = try #require(MutationCatalogue.decode(name: queued.mutation, version: queued.mutationVersion, args: queued.args) as? CreateCustomer)
            #expect(decoded.name == text)
        }
    }

    @Test func nameAtTheLimitIsAccepted() throws {
        try withTestReplica { replica in
            let name = String(repeating: "é", count: 200)
            try submitAccepted(replica, CreateCustomer(id: "cus_LONG", name: name))
            #expect(try Customer.require("cus_LONG", in: replica.db).name == name)
        }
    }

    @Test func emailMayBeEmptyOrInternational() throws {
        try withTestReplica { replica in
            try submitAccepted(replica, CreateCustomer(id: "cus_NOMAIL", name: "No Mail"))
            #expect(try Customer.require("cus_NOMAIL", in: replica.db).email == "")
            var create = CreateCustomer(id: "cus_IDN", name: "Bücher")
            create.email = "jörg@bücher.de"
            try submitAccepted(replica, create)
            #expect(try Customer.require("cus_IDN", in: replica.db).email == "jörg@bücher.de")
        }
    }

    @Test func createRefusesAHugeName() throws {
        try withTestReplica { replica in
            let name = String(repeating: "a", count: 10_240)
            let refusal = try assertRefusalWritesNothing(replica, CreateCustomer(id: "cus_BIG", name: name), code: .invalid, field: "name")
            #expect(refusal?.message.contains("too long") == true)
            try assertRefusalWritesNothing(replica, CreateCustomer(id: "cus_BIG", name: String(repeating: "é", count: 201)),
                                           code: .invalid, field: "name")
        }
    }

    @Test("names with control characters are refused", arguments: [
        "Acme\nCorp", "Acme\r\nCorp", "Ac\tme", "Acme\u{0}", "\u{1B}[31mAcme", "Acme\u{7F}", "Acme\u{85}Corp", "A\u{9F}",
    ])
    func createRefusesControlCharacters(name: String) throws {
        try withTestReplica { replica in
            try assertRefusalWritesNothing(replica, CreateCustomer(id: "cus_CTRL", name: name), code: .invalid, field: "name")
        }
    }

    @Test("empty names are refused", arguments: ["", "   ", "\u{00A0}"])
    func createRefusesEmptyName(name: String) throws {
        try withTestReplica { replica in
            try assertRefusalWritesNothing(replica, CreateCustomer(id: "cus_EMPTY", name: name), code: .invalid, field: "name")
        }
    }

    @Test("invalid e-mail addresses are refused", arguments: [
        "not-an-email", "a@b", "a b@example.com", "a@@example.com", "@example.com", "jane@", "<jane@example.com>",
        "jane@example.com, joe@example.com", "jane@exa mple.com", "jane@-example.com", "jane@example.c0m",
    ])
    func createRefusesBadEmail(email: String) throws {
        try withTestReplica { replica in
            var create = CreateCustomer(id: "cus_MAIL", name: "Acme")
            create.email = email
            try assertRefusalWritesNothing(replica, create, code: .invalid, field: "email")
        }
    }

    /// Each field's own rule, named in the refusal.
    @Test func createRefusesEachBadField() throws {
        try withTestReplica { replica in
            func refused(_ field: String, _ change: (inout CreateCustomer) -> Void) throws {
                var create = CreateCustomer(id: "cus_FIELD", name: "Acme")
                change(&create)
                try assertRefusalWritesNothing(replica, create, code: .invalid, field: field)
            }
            try refused("id") { $0.id = "ord_01JD" }
            try refused("id") { $0.id = "cus_" }
            try refused("id") { $0.id = "cus_a b" }
            try refused("contact_name") { $0.contactName = "Jane\nDoe" }
            try refused("contact_name") { $0.contactName = String(repeating: "x", count: 201) }
            try refused("phone") { $0.phone = "call me" }
            try refused("phone") { $0.phone = String(repeating: "1", count: 33) }
            try refused("address") { $0.address = "Main St\tNo 5" }
            try refused("address") { $0.address = String(repeating: "x", count: 501) }
            try refused("city") { $0.city = String(repeating: "x", count: 101) }
            try refused("postal_code") { $0.postalCode = String(repeating: "1", count: 21) }
            try refused("country") { $0.country = "DEU" }
            try refused("country") { $0.country = "D1" }
            try refused("tax_id") { $0.taxId = String(repeating: "X", count: 41) }
            try refused("tax_id") { $0.taxId = "DE\u{0}1" }
        }
    }

    @Test func createRefusesATakenId() throws {
        try withTestReplica { replica in
            try seedCustomer(replica, id: "cus_ACME")
            try assertRefusalWritesNothing(replica, CreateCustomer(id: "cus_ACME", name: "Other"), code: .duplicate, field: "id")
        }
    }

    // MARK: customer.update

    @Test func updateChangesOnlyTheGivenFields() throws {
        try withTestReplica { replica in
            try seedCustomer(replica, id: "cus_ACME", name: "Acme GmbH", email: "old@acme.example")
            var update = UpdateCustomer(id: "cus_ACME", baseVersion: 0)
            update.name = "Acme AG"
            update.email = "new@acme.example"
            update.city = "München"
            let entry = try submitAccepted(replica, update)

            let customer = try Customer.require("cus_ACME", in: replica.db)
            #expect(customer.name == "Acme AG")
            #expect(customer.email == "new@acme.example")
            #expect(customer.city == "München")
            #expect(customer.country == "DE")           // untouched
            #expect(customer.status == .active)         // untouched
            #expect(customer.createdAt == Timestamp("2026-01-01T09:00:00Z"))

            #expect(entry.changes.count == 1)
            #expect(entry.changes.first?.changedColumns == ["city", "email", "name"])
            #expect(entry.changes.first?.before?["name"] == .text("Acme GmbH"))
        }
    }

    @Test func updateCarriesItsBaseVersion() throws {
        try withTestReplica { replica in
            try seedCustomer(replica)
            try setFact(replica, "customer", id: "cus_ACME", [("version", Int64(17))])
            var update = UpdateCustomer(id: "cus_ACME", baseVersion: 17)
            update.name = "Acme AG"
            let entry = try submitAccepted(replica, update)
            #expect(entry.args.contains(#""base_version""#))
            #expect(entry.args == #"{"base_version":17,"id":"cus_ACME","name":"Acme AG"}"#)
            #expect(try argsObject(entry)["base_version"] as? Int == 17)
        }
    }

    @Test("awkward texts survive an update", arguments: awkwardTexts)
    func updateStoresTextExactly(text: String) throws {
        try withTestReplica { replica in
            try seedCustomer(replica)
            var update = UpdateCustomer(id: "cus_ACME", baseVersion: 0)
            update.name = text
            update.contactName = text
            try submitAccepted(replica, update)
            let customer = try Customer.require("cus_ACME", in: replica.db)
            #expect(customer.name == text)
            #expect(customer.contactName == text)
        }
    }

    @Test func updateRefusals() throws {
        try withTestReplica { replica in
            try seedCustomer(replica, id: "cus_ACME")
            try seedCustomer(replica, id: "cus_GONE", name: "Gone Ltd", status: .closed)

            var missing = UpdateCustomer(id: "cus_NOBODY", baseVersion: 0)
            missing.name = "X"
            try assertRefusalWritesNothing(replica, missing, code: .notFound, field: "id")

            var closed = UpdateCustomer(id: "cus_GONE", baseVersion: 0)
            closed.name = "Back"
            try assertRefusalWritesNothing(replica, closed, code: .notAllowed, field: "id")

            var empty = UpdateCustomer(id: "cus_ACME", baseVersion: 0)
            empty.name = "  "
            try assertRefusalWritesNothing(replica, empty, code: .invalid, field: "name")

            var huge = UpdateCustomer(id: "cus_ACME", baseVersion: 0)
            huge.name = String(repeating: "n", count: 10_240)
            try assertRefusalWritesNothing(replica, huge, code: .invalid, field: "name")

            var control = UpdateCustomer(id: "cus_ACME", baseVersion: 0)
            control.name = "Acme\u{7}"
            try assertRefusalWritesNothing(replica, control, code: .invalid, field: "name")

            var badMail = UpdateCustomer(id: "cus_ACME", baseVersion: 0)
            badMail.email = "acme.example"
            try assertRefusalWritesNothing(replica, badMail, code: .invalid, field: "email")

            var badCountry = UpdateCustomer(id: "cus_ACME", baseVersion: 0)
            badCountry.country = "Germany"
            try assertRefusalWritesNothing(replica, badCountry, code: .invalid, field: "country")
        }
    }

    // MARK: customer.suspend / customer.activate

    @Test func suspendThenActivate() throws {
        try withTestReplica { replica in
            try seedCustomer(replica)
            let suspend = try submitAccepted(replica, SuspendCustomer(id: "cus_ACME", baseVersion: 0))
            #expect(try Customer.require("cus_ACME", in: replica.db).status == .suspended)
            #expect(suspend.args == #"{"base_version":0,"id":"cus_ACME"}"#)
            #expect(suspend.changes.first?.changedColumns == ["status"])

            try submitAccepted(replica, ActivateCustomer(id: "cus_ACME", baseVersion: 0))
            #expect(try Customer.require("cus_ACME", in: replica.db).status == .active)
            #expect(try replica.queue.count() == 2)
        }
    }

    @Test func suspendRefusals() throws {
        try withTestReplica { replica in
            try seedCustomer(replica, id: "cus_SUSP", status: .suspended)
            try seedCustomer(replica, id: "cus_GONE", status: .closed)
            try assertRefusalWritesNothing(replica, SuspendCustomer(id: "cus_NOBODY", baseVersion: 0), code: .notFound, field: "id")
            try assertRefusalWritesNothing(replica, SuspendCustomer(id: "cus_SUSP", baseVersion: 0), code: .notAllowed, field: "id")
            try assertRefusalWritesNothing(replica, SuspendCustomer(id: "cus_GONE", baseVersion: 0), code: .notAllowed, field: "id")
        }
    }

    @Test func activateBringsBackAClosedCustomer() throws {
        try withTestReplica { replica in
            try seedCustomer(replica, id: "cus_GONE", status: .closed)
            try submitAccepted(replica, ActivateCustomer(id: "cus_GONE", baseVersion: 0))
            #expect(try Customer.require("cus_GONE", in: replica.db).status == .active)
        }
    }

    @Test func activateRefusals() throws {
        try withTestReplica { replica in
            try seedCustomer(replica, id: "cus_ACME")
            try assertRefusalWritesNothing(replica, ActivateCustomer(id: "cus_NOBODY", baseVersion: 0), code: .notFound, field: "id")
            try assertRefusalWritesNothing(replica, ActivateCustomer(id: "cus_ACME", baseVersion: 0), code: .notAllowed, field: "id")
        }
    }

    // MARK: customer.close

    @Test func closeACustomerWithNothingOpen() throws {
        try withTestReplica { replica in
            try seedCatalog(replica)
            try seedCustomer(replica)
            // Finished business does not block: a cancelled subscription, a void invoice.
            try seedSubscription(replica, id: "sub_OLD", status: .cancelled)
            try seedInvoice(replica, id: "inv_VOID", number: "INV-000009")
            try setFact(replica, "invoice", id: "inv_VOID", [("status", "void")])
            let entry = try submitAccepted(replica, CloseCustomer(id: "cus_ACME", baseVersion: 0))
            let closed = try Customer.require("cus_ACME", in: replica.db)
            #expect(closed.status == .closed)
            #expect(closed.closedAt == entry.createdAt, "the day it was closed is kept, for the churn it counts as")
            #expect(entry.changes.map(\.table) == ["customer"])
            // Brought back, it is no longer closed on any day.
            try submitAccepted(replica, ActivateCustomer(id: "cus_ACME", baseVersion: 0))
            #expect(try Customer.require("cus_ACME", in: replica.db).closedAt == nil)
        }
    }

    @Test("close is refused while a subscription runs", arguments: [Subscription.Status.active, .suspended, .pending])
    func closeRefusedWithRunningSubscription(status: Subscription.Status) throws {
        try withTestReplica { replica in
            try seedCatalog(replica)
            try seedCustomer(replica)
            try seedSubscription(replica, status: status)
            let refusal = try assertRefusalWritesNothing(replica, CloseCustomer(id: "cus_ACME", baseVersion: 0), code: .notAllowed, field: "id")
            #expect(refusal?.message.contains("subscription") == true)
        }
    }

    @Test func closeRefusedWithAnUnpaidInvoiceThenAcceptedOnceItIsPaid() throws {
        try withTestReplica { replica in
            try seedCatalog(replica)
            try seedCustomer(replica)
            try seedInvoice(replica, id: "inv_ONE", amount: 10_000)
            let refusal = try assertRefusalWritesNothing(replica, CloseCustomer(id: "cus_ACME", baseVersion: 0), code: .notAllowed, field: "id")
            #expect(refusal?.message.contains("unpaid invoice") == true)

            // A partial payment is not enough.
            try submitAccepted(replica, RecordPayment(id: "pay_PART", invoiceId: "inv_ONE", amount: 4_000, method: .bankTransfer))
            try assertRefusalWritesNothing(replica, CloseCustomer(id: "cus_ACME", baseVersion: 0), code: .notAllowed, field: "id")

            try submitAccepted(replica, RecordPayment(id: "pay_REST", invoiceId: "inv_ONE", amount: 6_000, method: .bankTransfer))
            try submitAccepted(replica, CloseCustomer(id: "cus_ACME", baseVersion: 0))
            #expect(try Customer.require("cus_ACME", in: replica.db).status == .closed)
        }
    }

    @Test func closeRefusals() throws {
        try withTestReplica { replica in
            try seedCustomer(replica, id: "cus_GONE", status: .closed)
            try assertRefusalWritesNothing(replica, CloseCustomer(id: "cus_NOBODY", baseVersion: 0), code: .notFound, field: "id")
            try assertRefusalWritesNothing(replica, CloseCustomer(id: "cus_GONE", baseVersion: 0), code: .notAllowed, field: "id")
        }
    }

    @Test func aSuspendedCustomerCanBeClosed() throws {
        try withTestReplica { replica in
            try seedCustomer(replica, status: .suspended)
            try submitAccepted(replica, CloseCustomer(id: "cus_ACME", baseVersion: 0))
            #expect(try Customer.require("cus_ACME", in: replica.db).status == .closed)
        }
    }

    // MARK: reading

    @Test func listSortsByNameAndFiltersByStatus() throws {
        try withTestReplica { replica in
            try seedCustomer(replica, id: "cus_B", name: "beta")
            try seedCustomer(replica, id: "cus_A", name: "Alpha", status: .suspended)
            try seedCustomer(replica, id: "cus_C", name: "Gamma")
            #expect(try Customer.list(in: replica.db).map(\.id) == ["cus_A", "cus_B", "cus_C"])
            #expect(try Customer.list(in: replica.db, status: .active).map(\.id) == ["cus_B", "cus_C"])
            #expect(throws: MutationRefusal.self) { try Customer.require("cus_NONE", in: replica.db) }
        }
    }
}
