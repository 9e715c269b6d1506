import OutpostModel
import Testing

@Suite("IdentifierFactory and RandomSource")
struct IdentifierTests {
    static let crockford = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")

    /// The milliseconds encoded in an id's first ten characters.
    static func millis(of id: String, prefix: String) -> UInt64? {
        var value: UInt64 = 0
        for character in id.dropFirst(prefix.count + 1).prefix(10) {
            guard let digit = crockford.firstIndex(of: character) else { return nil }
            value = value << 5 | UInt64(digit)
        }
        return value
    }

    func factory(_ instant: String, seed: UInt64 = 42) -> IdentifierFactory {
        IdentifierFactory(clock: FixedClock(Timestamp(instant)!), random: RandomSource(seed: seed))
    }

    @Test("prefix, underscore and 26 Crockford characters", arguments: ["cus", "ord", "oln", "pay", "usr", "cu", "rep"])
    func shape(prefix: String) {
        let id = factory("2026-01-31T10:00:00Z").make(prefix)
        #expect(id.hasPrefix(prefix + "_"))
        let body = id.dropFirst(prefix.count + 1)
        #expect(body.count == 26)
        #expect(body.allSatisfy { Self.crockford.contains($0) })
        #expect(!body.contains { "ILOU".contains($0) })
        #expect(IdentifierFactory.isValid(id, prefix: prefix))
    }

    @Test func timePartEncodesTheClockMilliseconds() throws {
        let id = factory("2026-01-31T10:00:00Z").make("cus")
        let millis = try #require(Self.millis(of: id, prefix: "cus"))
        #expect(millis / 1_000 == 1_769_853_600)
    }

    @Test func seededSourcesGiveIdenticalSequences() {
        let a = factory("2026-01-31T10:00:00Z", seed: 42)
        let b = factory("2026-01-31T10:00:00Z", seed: 42)
        let first = (0..<20).map { _ in a.make("cus") }
        let second = (0..<20).map { _ in b.make("cus") }
        #expect(first == second)
        #expect(Set(first).count == 20, "no repeats within a sequence")
        let other = (0..<20).map { _ in factory("2026-01-31T10:00:00Z", seed: 43).make("cus") }
        #expect(other != first)
    }

    @Test func randomSourceIsDeterministicWhenSeeded() {
        let a = RandomSource(seed: 7)
        let b = RandomSource(seed: 7)
        let xs = (0..<10).map { _ in a.next() }
        #expect(xs == (0..<10).map { _ in b.next() })
        #expect(Set(xs).count == 10)
        let c = RandomSource(seed: 7)
        for _ in 0..<1_000 {
            #expect((0..<6).contains(c.next(below: 6)))
        }
    }

    @Test func unseededSourcesDiffer() {
        let a = IdentifierFactory(clock: FixedClock(testNow))
        let b = IdentifierFactory(clock: FixedClock(testNow))
        #expect(a.make("cus") != b.make("cus"))
    }

    @Test func idsMadeLaterSortAfterEarlierOnes() {
        // Different seeds on purpose: the order must come from the time part alone.
        let early = factory("2026-01-31T10:00:00Z", seed: 1)
        let later = factory("2026-01-31T10:00:01Z", seed: 2)
        let muchLater = factory("2027-06-01T00:00:00Z", seed: 3)
        let earlyIds = (0..<50).map { _ in early.make("cus") }
        let laterIds = (0..<50).map { _ in later.make("cus") }
        let muchLaterIds = (0..<50).map { _ in muchLater.make("cus") }
        #expect(earlyIds.max()! < laterIds.min()!)
        #expect(laterIds.max()! < muchLaterIds.min()!)
        let shuffled = (muchLaterIds + earlyIds + laterIds).shuffled()
        #expect(shuffled.sorted() == (earlyIds.sorted() + laterIds.sorted() + muchLaterIds.sorted()))
    }

    @Test("valid ids", arguments: [
        ("cus_01JD5ZQ8X3V7K2M4N6P8R0T2W4", "cus"), ("cus_a", "cus"), ("cus_ACME", "cus"), ("ord_x-y_z", "ord"),
        ("cus_" + String(repeating: "A", count: 64), "cus"),
    ])
    func valid(text: String, prefix: String) {
        #expect(IdentifierFactory.isValid(text, prefix: prefix))
    }

    @Test("invalid ids", arguments: [
        ("cus_", "cus"), ("cus", "cus"), ("ord_01JD", "cus"), ("cus01JD", "cus"), ("cus_01 JD", "cus"), ("cus_01JD!", "cus"),
        ("cus_Café", "cus"), ("cus_" + String(repeating: "A", count: 65), "cus"), ("CUS_01JD", "cus"), ("", "cus"),
        ("cust_01JD", "cus"),
    ])
    func invalid(text: String, prefix: String) {
        #expect(!IdentifierFactory.isValid(text, prefix: prefix))
    }
}
