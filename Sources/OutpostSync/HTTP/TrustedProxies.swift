#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The proxies (nginx in front of `outpost node serve`) whose `X-Forwarded-For` says who the client is.
///
/// Anyone can send `X-Forwarded-For`, so it counts only on a connection from a trusted proxy, and only the
/// addresses those proxies appended: the list is read from the right, skipping trusted proxies, and the first
/// other address is the client (what nginx's `$proxy_add_x_forwarded_for` appends).
public struct TrustedProxies: Sendable, Equatable {
    /// Numeric addresses, as the server sees its peers (`127.0.0.1`, `::1`).
    public let addresses: Set<String>

    public init(_ addresses: [String] = []) {
        self.addresses = Set(addresses)
    }

    /// A `--trusted-proxy` value that is not a numeric IP address.
    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// Parses a comma-separated list of numeric IPv4 or IPv6 addresses.
    public static func parse(_ text: String) throws(Invalid) -> TrustedProxies {
        let addresses = text.split(separator: ",").map { $0.trimmingSpaces }
        for address in addresses where !isNumericAddress(address) {
            throw Invalid(message: "'\(address)' is not a numeric IP address such as 127.0.0.1 or ::1")
        }
        guard !addresses.isEmpty else { throw Invalid(message: "give at least one numeric IP address, such as 127.0.0.1") }
        return TrustedProxies(addresses)
    }

    public func contains(_ peer: String) -> Bool { addresses.contains(peer) }

    /// The client of a request that arrived from `peer` with these `X-Forwarded-For` values.
    public func client(connectedFrom peer: String, forwardedFor values: [String]) -> String {
        guard contains(peer) else { return peer }
        var client = peer
        for address in values.flatMap({ $0.split(separator: ",") }).map({ $0.trimmingSpaces }).reversed() {
            // Something that is not an address was not written by a proxy of ours: stop at what we know.
            guard Self.isNumericAddress(address) else { break }
            client = address
            if !contains(address) { break }
        }
        return client
    }

    /// Whether `text` is a numeric IPv4 or IPv6 address.
    static func isNumericAddress(_ text: String) -> Bool {
        var scratch = in6_addr()
        return inet_pton(AF_INET, text, &scratch) == 1 || inet_pton(AF_INET6, text, &scratch) == 1
    }
}

private extension Substring {
    var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
