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
