/// Why a notification run cannot start.
public struct NotificationError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// Another run holds the node's notify lock.
        case busy
        /// The outbox (or the node's lock file) is missing, not a directory, or cannot be written.
        case cannotWrite
    }

    public let kind: Kind
    public let message: String
    public var description: String { message }

    init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }
}

/// A run that went through every reseller but could not finish some of them: what it did, and why the rest failed.
public struct NotificationRunFailure: Error, Sendable, CustomStringConvertible {
    /// The notices of the resellers that went through (sent, skipped or failed one by one).
    public let outcomes: [NotificationOutcome]
    /// The resellers whose run stopped, and why; their notices are tried again on the next run.
    public let failures: [(resellerId: String, reason: String)]

    public var description: String {
        failures.map { "reseller \($0.resellerId): \($0.reason)" }.joined(separator: "; ")
    }
}
