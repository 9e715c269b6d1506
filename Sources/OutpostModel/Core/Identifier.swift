/// Makes entity ids where the entity is born, also offline: a type prefix and
/// a time-ordered random part, `cus_01JD5Z…` (ULID layout: 48 bits of
/// milliseconds, 80 random bits, Crockford base 32).
public struct IdentifierFactory: Sendable {
    private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)
    private let clock: any Clock
    private let random: RandomSource
    private let last = LastMillisecond()

    public init(clock: any Clock, random: RandomSource = RandomSource()) {
        self.clock = clock
        self.random = random
    }

    /// A new id with the given prefix (`cus`, `ord`, …).
    ///
    /// Ids from one factory sort in the order they were made: the time part
    /// never repeats or goes back, even with a pinned clock.
    public func make(_ prefix: String) -> String {
        let millis = UInt64(max(0, last.advance(to: clock.nowMilliseconds())))
        var bytes: [UInt8] = []
        bytes.reserveCapacity(26)
        for shift in stride(from: 45, through: 0, by: -5) {
            bytes.append(Self.alphabet[Int((millis >> UInt64(shift)) & 31)])
        }
        let high = random.next()
        let low = random.next()
        for index in 0..<16 {
            let source = index < 12 ? high >> UInt64(index * 5) : low >> UInt64((index - 12) * 5)
            bytes.append(Self.alphabet[Int(source & 31)])
        }
        return prefix + "_" + String(decoding: bytes, as: UTF8.self)
    }

    /// Whether `text` looks like an id with this prefix.
    public static func isValid(_ text: String, prefix: String) -> Bool {
        guard text.hasPrefix(prefix + "_") else { return false }
        let body = text.utf8.dropFirst(prefix.utf8.count + 1)
        return (1...64).contains(body.count) && body.allSatisfy { byte in
            (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || byte == 45 || byte == 95
        }
    }
}

/// The last time part handed out, so ids made in the same millisecond still increase.
private final class LastMillisecond: @unchecked Sendable {
    // @unchecked: `value` is only touched under `lock`.
    private var value: Int64 = 0
    private let lock = Mutex()

    func advance(to now: Int64) -> Int64 {
        lock.withLock {
            value = max(now, value + 1)
            return value
        }
    }
}

/// A source of 64-bit random numbers: the system's, or a seeded SplitMix64 for deterministic fixtures.
public final class RandomSource: @unchecked Sendable {
    // @unchecked: the mutable state is guarded by `lock`.
    private var state: UInt64
    private let seeded: Bool
    private let lock = Mutex()

    /// System randomness.
    public init() {
        self.state = 0
        self.seeded = false
    }

    /// A reproducible sequence from a seed.
    public init(seed: UInt64) {
        self.state = seed
        self.seeded = true
    }

    public func next() -> UInt64 {
        guard seeded else { return UInt64.random(in: .min ... .max) }
        return lock.withLock {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// A number in `0..<bound`.
    public func next(below bound: Int) -> Int {
        precondition(bound > 0)
        return Int(next() % UInt64(bound))
    }
}
