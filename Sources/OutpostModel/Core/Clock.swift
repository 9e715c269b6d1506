/// Where code gets "now" from, so tests, fixtures and rendered sites are reproducible.
public protocol Clock: Sendable {
    /// The current instant.
    func now() -> Timestamp
    /// Milliseconds since 1970, for ordering ids made within one second.
    func nowMilliseconds() -> Int64
}

extension Clock {
    public func nowMilliseconds() -> Int64 { now().secondsSinceEpoch * 1000 }
}

/// The system's real-time clock.
public struct SystemClock: Clock {
    public init() {}

    public func now() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(secondsSinceEpoch: Int64(spec.tv_sec))
    }

    public func nowMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}

/// A clock pinned to one instant (`OUTPOST_NOW`, tests, re-applying a queued mutation).
public struct FixedClock: Clock {
    public let instant: Timestamp

    public init(_ instant: Timestamp) {
        self.instant = instant
    }

    public func now() -> Timestamp { instant }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
