import OutpostModel
import OutpostStore
import Testing

@Suite("MutationCatalogue")
struct MutationCatalogueTests {
    /// One instance of every catalogued mutation, with optional fields set so they are encoded too.
    static let samples: [any Mutation] = {
        var update = UpdateCustomer(id: "cus_A", baseVersion: 3)
        update.name = "Alpha"
        update.postalCode = "10115"
        var place = PlaceOrder(id: "ord_A", lineId: "oln_A", customerId: "cus_A", planId: "pln_domain", quantity: 2)
        place.domainName = "example.com"
        place.transfer = true
        var payment = RecordPayment(id: "pay_A", invoiceId: "inv_A", amount: 1_234, method: .directDebit)
        payment.receivedOn = "2026-01-30"
        var settings = UpdateSettings(baseVersion: 2)
        settings.notifyInvoiceDue = "7,1"
        settings.taxRateBp = 1_900
        var user = UpdateUser(id: "usr_A", baseVersion: 1)
        user.role = "viewer"
        var customerUser = UpdateCustomerUser(id: "cu_A", baseVersion: 1)
        customerUser.email = "a@example.com"
        return [
            CreateCustomer(id: "cus_A", name: "Alpha"), update, SuspendCustomer(id: "cus_A", baseVersion: 1),
            ActivateCustomer(id: "cus_A", baseVersion: 1), CloseCustomer(id: "cus_A", baseVersion: 1),
            CreateCustomerUser(id: "cu_A", customerId: "cus_A", username: "a", name: "A", email: "a@example.com"), customerUser,
            DeleteCustomerUser(id: "cu_A", baseVersion: 1),
            CreateUser(id: "usr_A", username: "a", name: "A", email: "a@example.com", role: "admin"), user,
            DeleteUser(id: "usr_A", baseVersion: 1),
            place, ChangeOrder(id: "ord_B", lineId: "oln_B", subscriptionId: "sub_A", quantity: 3, baseVersion: 4),
            CancelOrder(id: "ord_C", lineId: "oln_C", subscriptionId: "sub_A", when: .periodEnd, baseVersion: 4),
            payment, CreditInvoice(id: "crn_A", invoiceId: "inv_A", reason: "goodwill", lines: [.init(id: "cnl_A", invoiceLineId: "inl_A", amount: 500)]),
            SetMarkup(planId: "pln_a", markupBp: 3_333, baseVersion: 0), settings,
            ResolveConflict(id: "cfl_A", keep: .value, value: "+4930111"),
            EnablePortal(customerId: "cus_A", key: "abcdefghijklmnopqrstuvwxyz"), RenewPortal(customerId: "cus_A", key: "234567abcdefghijklmnopqrst"),
            DisablePortal(customerId: "cus_A"),
        ]
    }()

    @Test func namesAreUniqueAndEveryMutationHasASample() {
        let names = MutationCatalogue.all.map { $0.name }
        #expect(Set(names).count == names.count)
        #expect(names == Self.samples.map { type(of: $0).name })
        #expect(names == [
            "customer.create", "customer.update", "customer.suspend", "customer.activate", "customer.close",
            "customer_user.create", "customer_user.update", "customer_user.delete",
            "user.create", "user.update", "user.delete",
            "order.place", "order.change", "order.cancel",
            "payment.record", "invoice.credit", "price.set_markup", "settings.update", "conflict.resolve",
            "portal.enable", "portal.renew", "portal.disable",
        ])
        #expect(MutationCatalogue.all.allSatisfy { $0.version == 1 })
    }

    @Test func argumentsRoundTripAsCanonicalJSON() throws {
        for sample in Self.samples {
            let mutationType = type(of: sample)
            let json = try MutationCatalogue.encode(sample)
            let decoded = try MutationCatalogue.decode(name: mutationType.name, version: mutationType.version, args: json)
            #expect(try MutationCatalogue.encode(decoded) == json, "\(mutationType.name)")
            #expect(!json.contains(" "), "\(mutationType.name) has no insignificant whitespace")
            // snake_case keys, sorted
            let keys = try #require(try JSONKeys.top(json), "\(mutationType.name)")
            #expect(keys == keys.sorted(), "\(mutationType.name) keys are sorted")
            #expect(keys.allSatisfy { $0 == $0.lowercased() }, "\(mutationType.name) keys are snake_case")
        }
    }

    @Test func updatesCarryTheirBaseVersion() throws {
        for sample in Self.samples where type(of: sample).name.hasSuffix(".update") || type(of: sample).name.hasSuffix(".delete") {
            #expect(try MutationCatalogue.encode(sample).contains(#""base_version":"#), "\(type(of: sample).name)")
        }
    }

    @Test func unknownNamesAndVersionsAreRefused() {
        #expect(throws: MutationCatalogue.UnknownMutation.self) {
            try MutationCatalogue.decode(name: "customer.delete", version: 1, args: "{}")
        }
        #expect(throws: MutationCatalogue.UnknownMutation.self) {
            try MutationCatalogue.decode(name: "customer.create", version: 2, args: #"{"id":"cus_A","name":"A"}"#)
        }
    }

    @Test func malformedArgumentsFailToDecode() {
        #expect(throws: (any Error).self) {
            try MutationCatalogue.decode(name: "customer.create", version: 1, args: #"{"id":"cus_A"}"#)
        }
        #expect(throws: (any Error).self) {
            try MutationCatalogue.decode(name: "order.place", version: 1, args: "not json")
        }
    }

    @Test func refusalsEncodeWithStableCodes() throws {
        let refusal = MutationRefusal(.notAllowed, field: "id", "customer is closed")
        #expect(refusal.description == "customer is closed")
        #expect(MutationRefusal.Code.notFound.rawValue == "not_found")
        #expect(MutationRefusal.Code.notAllowed.rawValue == "not_allowed")
        #expect(MutationRefusal.Code.invalid.rawValue == "invalid")
        #expect(MutationRefusal.Code.duplicate.rawValue == "duplicate")
    }
}

import Foundation

/// The top-level keys of a JSON object, in the order they appear in the text.
enum JSONKeys {
    static func top(_ json: String) throws -> [String]? {
        guard let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return nil }
        // Find each key's position in the text; keys are unique in canonical output.
        let positions = object.keys.compactMap { key -> (String, String.Index)? in
            guard let range = json.range(of: "\"\(key)\":") else { return nil }
            return (key, range.lowerBound)
        }
        guard positions.count == object.count else { return nil }
        return positions.sorted { $0.1 < $1.1 }.map(\.0)
    }
}
