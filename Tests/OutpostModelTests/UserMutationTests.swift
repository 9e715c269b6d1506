import OutpostModel
import OutpostStore
import Testing

@Suite("user.* mutations (panel users)")
struct UserMutationTests {
    func create(_ id: String = "usr_CARL", username: String = "carl", name: String = "Carl Clerk",
                email: String = "carl@reseller.example", role: String = "manager") -> CreateUser {
        CreateUser(id: id, username: username, name: name, email: email, role: role)
    }

    // MARK: user.create

    @Test("create writes every field", arguments: PanelUser.Role.allCases)
    func createWritesEveryField(role: PanelUser.Role) throws {
        try withTestReplica { replica in
            let entry = try submitAccepted(replica, create(username: "carl", name: "  Carl Clerk ", role: role.rawValue))
            let user = try PanelUser.require("usr_CARL", in: replica.db)
            #expect(user.id == "usr_CARL")
            #expect(user.username == "carl")
            #expect(user.name == "Carl Clerk")
            #expect(user.email == "carl@reseller.example")
            #expect(user.role == role)
            #expect(user.createdAt == testNow)
            #expect(user.version == 0)
            #expect(entry.args == #"{"email":"carl@reseller.example","id":"usr_CARL","name":"  Carl Clerk ","role":"\#(role.rawValue)","username":"carl"}"#)
        }
    }

    @Test("awkward display names are kept exactly", arguments: awkwardTexts)
    func createStoresTextExactly(text: String) throws {
        try withTestReplica { replica in
            try submitAccepted(replica, create(name: text))
            #expect(try PanelUser.require("usr_CARL", in: replica.db).name == text)
        }
    }

    @Test func createRefusals() throws {
        try withTestReplica { replica in
            try seedPanelUser(replica, id: "usr_ADA", username: "ada", role: .admin)
            try assertRefusalWritesNothing(replica, create("cus_CARL"), code: .invalid, field: "id")
            try assertRefusalWritesNothing(replica, create(username: "Carl"), code: .invalid, field: "username")
            try assertRefusalWritesNothing(replica, create(username: "carl@home"), code: .invalid, field: "username")
            try assertRefusalWritesNothing(replica, create(name: ""), code: .invalid, field: "name")
            try assertRefusalWritesNothing(replica, create(name: String(repeating: "c", count: 10_240)), code: .invalid, field: "name")
            try assertRefusalWritesNothing(replica, create(name: "Carl\u{0}"), code: .invalid, field: "name")
            try assertRefusalWritesNothing(replica, create(email: ""), code: .invalid, field: "email")
            try assertRefusalWritesNothing(replica, create(email: "carl at reseller"), code: .invalid, field: "email")
            try assertRefusalWritesNothing(replica, create(role: "root"), code: .invalid, field: "role")
            try assertRefusalWritesNothing(replica, create(role: "Admin"), code: .invalid, field: "role")
            try assertRefusalWritesNothing(replica, create("usr_OTHER", username: "ada"), code: .duplicate, field: "username")
        }
    }

    @Test func createRefusesATakenId() throws {
        try withTestReplica { replica in
            try seedPanelUser(replica, id: "usr_ADA", username: "ada", role: .admin)
            // Same id, new username: must be a refusal, not a database error.
            try assertRefusalWritesNothing(replica, create("usr_ADA", username: "carl"), code: .duplicate, field: "id")
        }
    }

    // MARK: user.update

    @Test func updateChangesNameEmailAndRole() throws {
        try withTestReplica { replica in
            try seedPanelUser(replica, id: "usr_ADA", username: "ada", role: .admin)
            try seedPanelUser(replica, id: "usr_BEN", username: "ben", role: .viewer)
            var update = UpdateUser(id: "usr_BEN", baseVersion: 0)
            update.name = "Ben Billing"
            update.email = "ben@billing.example"
            update.role = "billing"
            let entry = try submitAccepted(replica, update)
            let user = try PanelUser.require("usr_BEN", in: replica.db)
            #expect(user.name == "Ben Billing")
            #expect(user.email == "ben@billing.example")
            #expect(user.role == .billing)
            #expect(user.username == "ben")
            #expect(entry.args == #"{"base_version":0,"email":"ben@billing.example","id":"usr_BEN","name":"Ben Billing","role":"billing"}"#)
        }
    }

    @Test func theLastAdminCannotBeDemoted() throws {
        try withTestReplica { replica in
            try seedPanelUser(replica, id: "usr_ADA", username: "ada", role: .admin)
            try seedPanelUser(replica, id: "usr_BEN", username: "ben", role: .manager)
            for role in ["manager", "billing", "viewer"] {
                var update = UpdateUser(id: "usr_ADA", baseVersion: 0)
                update.role = role
                let refusal = try assertRefusalWritesNothing(replica, update, code: .notAllowed, field: "role")
                #expect(refusal?.message.contains("last admin") == true)
            }
            // Other changes to the last admin are fine.
            var rename = UpdateUser(id: "usr_ADA", baseVersion: 0)
            rename.name = "Ada Lovelace"
            rename.role = "admin"
            try submitAccepted(replica, rename)
            #expect(try PanelUser.require("usr_ADA", in: replica.db).name == "Ada Lovelace")
        }
    }

    @Test func anAdminCanBeDemotedWhenAnotherRemains() throws {
        try withTestReplica { replica in
            try seedPanelUser(replica, id: "usr_ADA", username: "ada", role: .admin)
            try seedPanelUser(replica, id: "usr_BEN", username: "ben", role: .manager)
            var promote = UpdateUser(id: "usr_BEN", baseVersion: 0)
            promote.role = "admin"
            try submitAccepted(replica, promote)
            var demote = UpdateUser(id: "usr_ADA", baseVersion: 0)
            demote.role = "viewer"
            try submitAccepted(replica, demote)
            #expect(try PanelUser.require("usr_ADA", in: replica.db).role == .viewer)
            // Now Ben is the last admin.
            var demoteBen = UpdateUser(id: "usr_BEN", baseVersion: 0)
            demoteBen.role = "viewer"
            try assertRefusalWritesNothing(replica, demoteBen, code: .notAllowed, field: "role")
        }
    }

    @Test func updateRefusals() throws {
        try withTestReplica { replica in
            try seedPanelUser(replica, id: "usr_ADA", username: "ada", role: .admin)
            try seedPanelUser(replica, id: "usr_BEN", username: "ben", role: .viewer)
            var missing = UpdateUser(id: "usr_NOBODY", baseVersion: 0)
            missing.name = "X"
            try assertRefusalWritesNothing(replica, missing, code: .notFound, field: "id")
            var name = UpdateUser(id: "usr_BEN", baseVersion: 0)
            name.name = "Ben\nBen"
            try assertRefusalWritesNothing(replica, name, code: .invalid, field: "name")
            var email = UpdateUser(id: "usr_BEN", baseVersion: 0)
            email.email = "ben@localhost"
            try assertRefusalWritesNothing(replica, email, code: .invalid, field: "email")
            var role = UpdateUser(id: "usr_BEN", baseVersion: 0)
            role.role = "god"
            try assertRefusalWritesNothing(replica, role, code: .invalid, field: "role")
        }
    }

    // MARK: user.delete

    @Test func theLastAdminCannotBeDeleted() throws {
        try withTestReplica { replica in
            try seedPanelUser(replica, id: "usr_ADA", username: "ada", role: .admin)
            try seedPanelUser(replica, id: "usr_BEN", username: "ben", role: .manager)
            let refusal = try assertRefusalWritesNothing(replica, DeleteUser(id: "usr_ADA", baseVersion: 0), code: .notAllowed, field: "id")
            #expect(refusal?.message.contains("last admin") == true)
        }
    }

    @Test func deleteANonAdminAndThenASecondAdmin() throws {
        try withTestReplica { replica in
            try seedPanelUser(replica, id: "usr_ADA", username: "ada", role: .admin)
            try seedPanelUser(replica, id: "usr_ALF", username: "alf", role: .admin)
            try seedPanelUser(replica, id: "usr_BEN", username: "ben", role: .viewer)
            let before = try #require(try row(replica, "panel_user", "usr_BEN"))
            let entry = try submitAccepted(replica, DeleteUser(id: "usr_BEN", baseVersion: 0))
            #expect(try row(replica, "panel_user", "usr_BEN") == nil)
            #expect(entry.changes.first?.before == before.dictionary)
            #expect(entry.changes.first?.after == nil)

            try submitAccepted(replica, DeleteUser(id: "usr_ALF", baseVersion: 0))
            #expect(try PanelUser.list(in: replica.db).map(\.username) == ["ada"])
            try assertRefusalWritesNothing(replica, DeleteUser(id: "usr_ADA", baseVersion: 0), code: .notAllowed, field: "id")
        }
    }

    @Test func deleteRefusesAnUnknownUser() throws {
        try withTestReplica { replica in
            try assertRefusalWritesNothing(replica, DeleteUser(id: "usr_NOBODY", baseVersion: 0), code: .notFound, field: "id")
        }
    }
}
