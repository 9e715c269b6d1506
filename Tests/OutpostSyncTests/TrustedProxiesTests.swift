import Testing
import OutpostSync

/// Who the client is behind a proxy: `X-Forwarded-For` counts only from a trusted proxy, read from the right.
@Suite("Trusted proxies and X-Forwarded-For")
struct TrustedProxiesTests {
    let proxies = TrustedProxies(["127.0.0.1", "::1", "10.0.0.5"])

    @Test("from a trusted proxy, the rightmost address that is not a trusted proxy is the client")
    func rightmostUntrusted() {
        #expect(proxies.client(connectedFrom: "127.0.0.1", forwardedFor: ["198.51.100.7"]) == "198.51.100.7")
        // The client wrote the first address itself; nginx appended the second.
        #expect(proxies.client(connectedFrom: "127.0.0.1", forwardedFor: ["203.0.113.9, 198.51.100.7"]) == "198.51.100.7")
        // Two proxies of ours in a row, and the header given twice.
        #expect(proxies.client(connectedFrom: "::1", forwardedFor: ["203.0.113.9", "2001:db8::2 , 10.0.0.5"]) == "2001:db8::2")
        // Only proxies of ours: the first of them is as far as we can see.
        #expect(proxies.client(connectedFrom: "127.0.0.1", forwardedFor: ["10.0.0.5"]) == "10.0.0.5")
        #expect(proxies.client(connectedFrom: "127.0.0.1", forwardedFor: []) == "127.0.0.1")
    }

    @Test("from anyone else, or past something that is not an address, the header is not believed")
    func untrustedOrGarbage() {
        #expect(proxies.client(connectedFrom: "192.0.2.1", forwardedFor: ["198.51.100.7"]) == "192.0.2.1")
        #expect(proxies.client(connectedFrom: "127.0.0.1", forwardedFor: ["unknown"]) == "127.0.0.1")
        #expect(proxies.client(connectedFrom: "127.0.0.1", forwardedFor: ["198.51.100.7, evil\" peer=1.2.3.4"]) == "127.0.0.1")
        #expect(TrustedProxies().client(connectedFrom: "127.0.0.1", forwardedFor: ["198.51.100.7"]) == "127.0.0.1")
    }

    @Test("--trusted-proxy takes numeric addresses only, and says which one is wrong")
    func parsing() throws {
        #expect(try TrustedProxies.parse("127.0.0.1, ::1").addresses == ["127.0.0.1", "::1"])
        #expect(throws: TrustedProxies.Invalid.self) { try TrustedProxies.parse("nginx.local") }
        #expect(throws: TrustedProxies.Invalid.self) { try TrustedProxies.parse(" , ") }
        do {
            _ = try TrustedProxies.parse("127.0.0.1,10.0.0.300")
            Issue.record("10.0.0.300 was accepted")
        } catch {
            #expect(error.message.contains("'10.0.0.300'"))
        }
    }
}
