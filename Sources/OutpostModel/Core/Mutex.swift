import Foundation

/// A small lock around a closure (Foundation's `NSLock`; `Synchronization.Mutex` needs newer macOS).
final class Mutex: @unchecked Sendable {
    // @unchecked: NSLock is thread-safe; the class adds no state of its own.
    private let lock = NSLock()

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}
