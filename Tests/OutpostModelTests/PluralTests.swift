import Testing
import OutpostModel

@Suite("Plural: counts with their noun in the right number")
struct PluralTests {
    @Test func zeroOneAndMany() {
        #expect(Plural.count(0, "change") == "no changes")
        #expect(Plural.count(1, "conflict") == "1 conflict")
        #expect(Plural.count(3, "open conflict") == "3 open conflicts")
        #expect(Plural.count(2, "entry", "entries") == "2 entries")
        #expect(Plural.sentence(0, "change") == "No changes")
        #expect(Plural.sentence(1, "change") == "1 change")
    }
}
