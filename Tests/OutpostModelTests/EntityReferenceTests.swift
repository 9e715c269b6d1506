import OutpostModel
import OutpostStore
import Testing

/// Finding an entity from what a person typed: id, number, id prefix, name, name prefix, slug — and
/// refusing to guess when the text fits several.
@Suite("EntityReference")
struct EntityReferenceTests {
    /// Customers with names that share prefixes (and a `%`/`_` name), the test catalog, invoices with numbers.
    static func seeded(_ body: (Replica) throws -> Void) throws {
        try withTestReplica { (replica: Replica) throws in
            try seedCatalog(replica)
            try seedCustomer(replica, id: "cus_01AAAA", name: "Contoso GmbH")
            try seedCustomer(replica, id: "cus_01AABB", name: "Contoso AG")
            try seedCustomer(replica, id: "cus_02CCCC", name: "Fabrikam 100%_off")
            try seedCustomer(replica, id: "cus_03DDDD", name: "Fabrikam Holding")
            try seedInvoice(replica, id: "inv_01XYZ", number: "INV-000045", customerId: "cus_01AAAA")
            try seedInvoice(replica, id: "inv_02XYZ", number: "INV-000046", customerId: "cus_01AABB")
            try body(replica)
        }
    }

    static func resolve(_ kind: EntityReference.Kind, _ text: String, in replica: Replica) throws -> String {
        try EntityReference(kind, text).resolve(in: replica.db, field: "--x")
    }

    static func failure(_ kind: EntityReference.Kind, _ text: String, in replica: Replica) -> EntityReference.Failure? {
        do {
            _ = try resolve(kind, text, in: replica)
            return nil
        } catch let failure as EntityReference.Failure {
            return failure
        } catch {
            return nil
        }
    }

    @Test("a customer is found by id, unique id prefix, exact name in any case, and unique name prefix")
    func customerByEveryKey() throws {
        try Self.seeded { (replica: Replica) throws in
            #expect(try Self.resolve(.customer, "cus_01AABB", in: replica) == "cus_01AABB")
            #expect(try Self.resolve(.customer, "cus_02", in: replica) == "cus_02CCCC")
            #expect(try Self.resolve(.customer, "contoso gmbh", in: replica) == "cus_01AAAA")
            #expect(try Self.resolve(.customer, "Contoso A", in: replica) == "cus_01AABB")
            #expect(try Self.resolve(.customer, "  Fabrikam H  ", in: replica) == "cus_03DDDD")
        }
    }

    @Test("an exact name wins over a longer name it is the prefix of")
    func exactNameBeforePrefix() throws {
        try withTestReplica { (replica: Replica) throws in
            try seedCustomer(replica, id: "cus_A", name: "Acme")
            try seedCustomer(replica, id: "cus_B", name: "Acme Holding")
            #expect(try Self.resolve(.customer, "ACME", in: replica) == "cus_A")
            #expect(try Self.resolve(.customer, "acme h", in: replica) == "cus_B")
        }
    }

    @Test("ambiguous text lists every candidate with id and name, and is a usage problem")
    func ambiguousListsCandidates() throws {
        try Self.seeded { (replica: Replica) throws in
            let failure = try #require(Self.failure(.customer, "Contoso", in: replica))
            #expect(failure.isAmbiguous)
            guard case .ambiguous(let candidates, let total) = failure.reason else { Issue.record("not ambiguous"); return }
            #expect(total == 2)
            #expect(candidates.map(\.id).sorted() == ["cus_01AAAA", "cus_01AABB"])
            #expect(failure.description.contains("cus_01AAAA  Contoso GmbH"))
            #expect(failure.description.contains("cus_01AABB  Contoso AG"))
            // An id prefix two customers share is ambiguous too.
            #expect(Self.failure(.customer, "cus_01AA", in: replica)?.isAmbiguous == true)
        }
    }

    @Test("two customers with the same name make that name ambiguous, and their ids still work")
    func duplicateNames() throws {
        try withTestReplica { (replica: Replica) throws in
            try seedCustomer(replica, id: "cus_ONE", name: "Contoso GmbH")
            try seedCustomer(replica, id: "cus_TWO", name: "Contoso GmbH")
            #expect(Self.failure(.customer, "Contoso GmbH", in: replica)?.isAmbiguous == true)
            #expect(try Self.resolve(.customer, "cus_TWO", in: replica) == "cus_TWO")
        }
    }

    @Test("text that names nothing is not ambiguous, and suggests names that contain it")
    func noMatchSuggests() throws {
        try Self.seeded { (replica: Replica) throws in
            let failure = try #require(Self.failure(.customer, "Northwind", in: replica))
            #expect(!failure.isAmbiguous)
            #expect(failure.description == "no customer matches 'Northwind' (--x)")
            let near = try #require(Self.failure(.customer, "Holding", in: replica))
            #expect(near.description.contains("did you mean: Fabrikam Holding (cus_03DDDD)"))
            let typo = try #require(Self.failure(.customer, "Cntoso AG", in: replica))
            #expect(typo.description.hasSuffix("did you mean: Contoso AG (cus_01AABB)"))
        }
    }

    @Test("% and _ in the text are literal characters, not wildcards")
    func wildcardsAreLiteral() throws {
        try Self.seeded { (replica: Replica) throws in
            #expect(Self.failure(.customer, "Fab%", in: replica) != nil)
            #expect(Self.failure(.customer, "cus_%", in: replica) != nil)
            #expect(Self.failure(.customer, "Fabrikam 1_0", in: replica) != nil)
            #expect(try Self.resolve(.customer, "Fabrikam 100%", in: replica) == "cus_02CCCC")
        }
    }

    @Test("an invoice is found by its number in any case and without leading zeros, by id and by id prefix")
    func invoiceByNumber() throws {
        try Self.seeded { (replica: Replica) throws in
            #expect(try Self.resolve(.invoice, "INV-000045", in: replica) == "inv_01XYZ")
            #expect(try Self.resolve(.invoice, "inv-45", in: replica) == "inv_01XYZ")
            #expect(try Self.resolve(.invoice, "INV-0046", in: replica) == "inv_02XYZ")
            #expect(try Self.resolve(.invoice, "inv_02", in: replica) == "inv_02XYZ")
            #expect(Self.failure(.invoice, "INV-000047", in: replica)?.isAmbiguous == false)
            #expect(Self.failure(.invoice, "INV-4x", in: replica) != nil)
            // The prefix needs a few characters after `inv_`: one is not enough.
            #expect(Self.failure(.invoice, "inv_0", in: replica) != nil)
        }
    }

    @Test("a plan is found by id, slug, name and unique name prefix")
    func planBySlugAndName() throws {
        try Self.seeded { (replica: Replica) throws in
            #expect(try Self.resolve(.plan, TestPlan.seats, in: replica) == TestPlan.seats)
            #expect(try Self.resolve(.plan, "seats", in: replica) == TestPlan.seats)
            #expect(try Self.resolve(.plan, "office seats", in: replica) == TestPlan.seats)
            #expect(try Self.resolve(.plan, "Antivirus", in: replica) == TestPlan.license)
            #expect(Self.failure(.plan, "Quantum", in: replica)?.isAmbiguous == false)
        }
    }

    @Test("panel and customer users are found by username; the same username at two customers is ambiguous")
    func usersByUsername() throws {
        try Self.seeded { (replica: Replica) throws in
            try seedPanelUser(replica, id: "usr_ANNA", username: "anna", role: .admin)
            #expect(try Self.resolve(.panelUser, "anna", in: replica) == "usr_ANNA")
            try seedCustomerUser(replica, id: "cu_ONE", customerId: "cus_01AAAA", username: "it")
            try seedCustomerUser(replica, id: "cu_TWO", customerId: "cus_01AABB", username: "it")
            let failure = try #require(Self.failure(.customerUser, "it", in: replica))
            #expect(failure.isAmbiguous)
            #expect(failure.description.contains("cu_ONE  it (Contoso GmbH)"))
        }
    }
}
