import Foundation
import OutpostModel
import OutpostStore
import Testing

@Suite("portal.* mutations")
struct CustomerPortalMutationTests {
    @Test func keysAreRandomBase32Of130Bits() {
        let keys = (0..<200).map { _ in CustomerPortal.makeKey() }
        #expect(Set(keys).count == keys.count, "no two keys alike")
        for key in keys {
            #expect(key.count == CustomerPortal.keyLength && CustomerPortal.keyLength * 5 >= 128)
            #expect(key.allSatisfy { ("a"..."z").contains($0) || ("2"..."7").contains($0) }, "\(key)")
        }
    }

    @Test func enableRenewAndDisable() throws {
        try withTestReplica { replica in
            try seedCustomer(replica)
            let first = CustomerPortal.makeKey()
            try submitAccepted(replica, EnablePortal(customerId: "cus_ACME", key: first))
            let enabled = try #require(try CustomerPortal.find(customerId: "cus_ACME", in: replica.db))
            #expect(enabled.key == first && enabled.enabledAt == testNow && enabled.path == "portals/\(first)/index.html")

            let second = CustomerPortal.makeKey()
            try submitAccepted(replica, RenewPortal(customerId: "cus_ACME", key: second))
            let renewed = try #require(try CustomerPortal.find(customerId: "cus_ACME", in: replica.db))
            #expect(renewed.key == second && renewed.enabledAt == enabled.enabledAt, "a renewal keeps the day it was enabled")

            try submitAccepted(replica, DisablePortal(customerId: "cus_ACME"))
            #expect(try CustomerPortal.find(customerId: "cus_ACME", in: replica.db) == nil)
        }
    }

    @Test func badInputIsRefusedAndWritesNothing() throws {
        try withTestReplica { replica in
            try seedCustomer(replica)
            try seedCustomer(replica, id: "cus_OTHER", name: "Other Ltd")
            try seedCustomer(replica, id: "cus_GONE", name: "Gone AG", status: .closed)
            try assertRefusalWritesNothing(replica, EnablePortal(customerId: "cus_NOPE", key: CustomerPortal.makeKey()), code: .notFound, field: "customer_id")
            let closed = try assertRefusalWritesNothing(replica, EnablePortal(customerId: "cus_GONE", key: CustomerPortal.makeKey()),
                                                        code: .notAllowed, field: "customer_id")
            #expect(closed?.message.contains("closed") == true)
            // Keys the laptop did not make with makeKey: too short, upper case, a derived-looking id.
            for key in ["short", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "cus_acme0000000000000000000", "abcdefghijklmnopqrstuvwxy1"] {
                try assertRefusalWritesNothing(replica, EnablePortal(customerId: "cus_ACME", key: key), code: .invalid, field: "key")
            }
            try assertRefusalWritesNothing(replica, RenewPortal(customerId: "cus_ACME", key: CustomerPortal.makeKey()), code: .notAllowed, field: "customer_id")
            try assertRefusalWritesNothing(replica, DisablePortal(customerId: "cus_ACME"), code: .notAllowed, field: "customer_id")

            let key = CustomerPortal.makeKey()
            try submitAccepted(replica, EnablePortal(customerId: "cus_ACME", key: key))
            try assertRefusalWritesNothing(replica, EnablePortal(customerId: "cus_ACME", key: CustomerPortal.makeKey()), code: .duplicate, field: "customer_id")
            // Two portals never share a directory.
            try assertRefusalWritesNothing(replica, EnablePortal(customerId: "cus_OTHER", key: key), code: .duplicate, field: "key")
            try assertRefusalWritesNothing(replica, RenewPortal(customerId: "cus_ACME", key: key), code: .duplicate, field: "key")
        }
    }

    @Test func closingACustomerDisablesItsPortal() throws {
        try withTestReplica { replica in
            try seedCustomer(replica)
            try submitAccepted(replica, EnablePortal(customerId: "cus_ACME", key: CustomerPortal.makeKey()))
            let customer = try Customer.require("cus_ACME", in: replica.db)
            let entry = try submitAccepted(replica, CloseCustomer(id: "cus_ACME", baseVersion: customer.version))
            #expect(try CustomerPortal.find(customerId: "cus_ACME", in: replica.db) == nil)
            #expect(entry.changes.contains { $0.table == "customer_portal" && $0.after == nil }, "the portal's row goes with the close")
            // Reopening does not bring the old address back.
            try submitAccepted(replica, ActivateCustomer(id: "cus_ACME", baseVersion: try Customer.require("cus_ACME", in: replica.db).version))
            #expect(try CustomerPortal.find(customerId: "cus_ACME", in: replica.db) == nil)
        }
    }
}
