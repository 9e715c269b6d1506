import OutpostModel
import OutpostStore
import Testing

@Suite("customer_user.* mutations")
struct CustomerUserMutationTests {
    func create(_ id: String = "cu_BOB", customerId: String = "cus_ACME", username: String = "bob",
                name: String = "Bob Builder", email: String = "bob@acme.example", role: String? = nil) -> CreateCustomerUser {
        var mutation = CreateCustomerUser(id: id, customerId: customerId, username: username, name: name, email: email)
        if let role { mutation.role = role }
        return mutation
    }

    // MARK: customer_user.create

    @Test func createWritesEveryField() throws {
        try withTestReplica { replica in
            try seedCustomer(replica)
            let entry = try submitAccepted(replica, create(username: " bob.builder-2 ", name: " Bob Builder ", role: "billing"))
            let user = try CustomerUser.require("cu_BOB", in: replica.db)
            #expect(user.id == "cu_BOB")
            #expect(user.customerId == "cus_ACME")
            #expect(user.username == "bob.builder-2")
            #expect(user.name == "Bob Builder")
            #expect(user.email == "bob@acme.example")
            #expect(user.role == .billing)
            #expect(user.createdAt == testNow)
            #expect(user.version == 0)
            #expect(entry.args == #"{"customer_id":"cus_ACME","email":"bob@acme.example","id":"cu_BOB","name":" Bob Builder ","role":"billing","username":" bob.builder-2 "}"#)
            #expect(entry.changes.map(\.table) == ["customer_user"])
        }
    }

    @Test func roleDefaultsToUser() throws {
        try withTestReplica { replica in
            try seedCustomer(replica)
            try submitAccepted(replica, create())
            #expect(try CustomerUser.require("cu_BOB", in: replica.db).role == .user)
        }
    }

    @Test("awkward display names are kept exactly", arguments: awkwardTexts)
    func createStoresTextExactly(text: String) throws {
        try withTestReplica { replica in
            try seedCustomer(replica)
            try submitAccepted(replica, create(name: text))
            #expect(try CustomerUser.require("cu_BOB", in: replica.db).name == text)
        }
    }

    @Test func sameUsernameUnderAnotherCustomerIsFine() throws {
        try withTestReplica { replica in
            try seedCustomer(replica, id: "cus_ACME")
            try seedCustomer(replica, id: "cus_OTHER", name: "Other")
            try submitAccepted(replica, create("cu_ONE", customerId: "cus_ACME"))
            try submitAccepted(replica, create("cu_TWO", customerId: "cus_OTHER"))
            #expect(try CustomerUser.list(customerId: nil, in: replica.db).map(\.id) == ["cu_ONE", "cu_TWO"])
            #expect(try CustomerUser.list(customerId: "cus_OTHER", in: replica.db).map(\.id) == ["cu_TWO"])
        }
    }

    @Test func createRefusals() throws {
        try withTestReplica { replica in
            try seedCustomer(replica, id: "cus_ACME")
            try seedCustomer(replica, id: "cus_GONE", name: "Gone", status: .closed)
            try seedCustomerUser(replica, id: "cu_ANNA", customerId: "cus_ACME", username: "anna")

            try assertRefusalWritesNothing(replica, create("usr_BOB"), code: .invalid, field: "id")
            try assertRefusalWritesNothing(replica, create(customerId: "cus_NOBODY"), code: .notFound, field: "customer_id")
            try assertRefusalWritesNothing(replica, create(customerId: "cus_GONE"), code: .notAllowed, field: "customer_id")
            try assertRefusalWritesNothing(replica, create(username: "Bob"), code: .invalid, field: "username")
            try assertRefusalWritesNothing(replica, create(username: "bob smith"), code: .invalid, field: "username")
            try assertRefusalWritesNothing(replica, create(username: ".bob"), code: .invalid, field: "username")
            try assertRefusalWritesNothing(replica, create(username: ""), code: .invalid, field: "username")
            try assertRefusalWritesNothing(replica, create(username: String(repeating: "b", count: 65)), code: .invalid, field: "username")
            try assertRefusalWritesNothing(replica, create(name: ""), code: .invalid, field: "name")
            try assertRefusalWritesNothing(replica, create(name: String(repeating: "n", count: 10_240)), code: .invalid, field: "name")
            try assertRefusalWritesNothing(replica, create(name: "Bob\nBuilder"), code: .invalid, field: "name")
            try assertRefusalWritesNothing(replica, create(email: ""), code: .invalid, field: "email")
            try assertRefusalWritesNothing(replica, create(email: "bob"), code: .invalid, field: "email")
            try assertRefusalWritesNothing(replica, create(role: "owner"), code: .invalid, field: "role")
            try assertRefusalWritesNothing(replica, create(username: "anna"), code: .duplicate, field: "username")
        }
    }

    @Test func createRefusesATakenId() throws {
        try withTestReplica { replica in
            try seedCustomer(replica)
            try seedCustomerUser(replica, id: "cu_ANNA", username: "anna")
            // Same id, different username: must be a refusal, not a database error.
            try assertRefusalWritesNothing(replica, create("cu_ANNA", username: "bob"), code: .duplicate, field: "id")
        }
    }

    // MARK: customer_user.update

    @Test func updateChangesNameEmailAndRole() throws {
        try withTestReplica { replica in
            try seedCustomer(replica)
            try seedCustomerUser(replica, id: "cu_ANNA", role: .admin)
            var update = UpdateCustomerUser(id: "cu_ANNA", baseVersion: 0)
            update.name = "Anna Schmidt"
            update.role = "user"
            let entry = try submitAccepted(replica, update)
            let user = try CustomerUser.require("cu_ANNA", in: replica.db)
            #expect(user.name == "Anna Schmidt")
            #expect(user.email == "anna@acme.example")
            #expect(user.role == .user)
            #expect(user.username == "anna")
            #expect(entry.args.contains(#""base_version":0"#))
            #expect(entry.changes.first?.changedColumns == ["name", "role"])
        }
    }

    @Test func updateRefusals() throws {
        try withTestReplica { replica in
            try seedCustomer(replica)
            try seedCustomerUser(replica, id: "cu_ANNA")
            var missing = UpdateCustomerUser(id: "cu_NOBODY", baseVersion: 0)
            missing.name = "X"
            try assertRefusalWritesNothing(replica, missing, code: .notFound, field: "id")
            var name = UpdateCustomerUser(id: "cu_ANNA", baseVersion: 0)
            name.name = " "
            try assertRefusalWritesNothing(replica, name, code: .invalid, field: "name")
            var email = UpdateCustomerUser(id: "cu_ANNA", baseVersion: 0)
            email.email = "anna@"
            try assertRefusalWritesNothing(replica, email, code: .invalid, field: "email")
            var emptyEmail = UpdateCustomerUser(id: "cu_ANNA", baseVersion: 0)
            emptyEmail.email = ""
            try assertRefusalWritesNothing(replica, emptyEmail, code: .invalid, field: "email")
            var role = UpdateCustomerUser(id: "cu_ANNA", baseVersion: 0)
            role.role = "superuser"
            try assertRefusalWritesNothing(replica, role, code: .invalid, field: "role")
        }
    }

    // MARK: customer_user.delete

    @Test func deleteRemovesTheRowAndKeepsItsImage() throws {
        try withTestReplica { replica in
            try seedCustomer(replica)
            try seedCustomerUser(replica, id: "cu_ANNA")
            let before = try #require(try row(replica, "customer_user", "cu_ANNA"))
            let entry = try submitAccepted(replica, DeleteCustomerUser(id: "cu_ANNA", baseVersion: 0))
            #expect(try row(replica, "customer_user", "cu_ANNA") == nil)
            #expect(entry.changes.count == 1)
            #expect(entry.changes.first?.before == before.dictionary)
            #expect(entry.changes.first?.after == nil)
        }
    }

    @Test func deleteRefusesAnUnknownUser() throws {
        try withTestReplica { replica in
            try assertRefusalWritesNothing(replica, DeleteCustomerUser(id: "cu_NOBODY", baseVersion: 0), code: .notFound, field: "id")
        }
    }
}
