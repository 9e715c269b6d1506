import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The hostile clients of `HostileClientsBenchmark`: threads that each run a client's loop until told to stop,
/// and what they counted. `start` returns how to stop them; stopping waits for every thread and sums up.
final class HostileClients<Counts: Sendable>: @unchecked Sendable {
    // @unchecked: `stopping` and `counts` are only read and written under `lock`.
    private let lock = NSLock()
    private var stopping = false
    private var counts: Counts
    private let done = DispatchGroup()

    init(_ counts: Counts) {
        self.counts = counts
    }

    /// Runs `loop` on a thread of its own; it should return soon after `isStopping` turns true.
    func spawn(_ loop: @escaping @Sendable () -> Void) {
        done.enter()
        Thread { [self] in
            loop()
            done.leave()
        }.start()
    }

    var isStopping: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopping
    }

    func count(_ change: (inout Counts) -> Void) {
        lock.lock()
        change(&counts)
        lock.unlock()
    }

    /// Tells every loop to stop, waits for them, and returns the counts.
    func stop() -> Counts {
        lock.lock()
        stopping = true
        lock.unlock()
        done.wait()
        lock.lock()
        defer { lock.unlock() }
        return counts
    }

    /// A blocking (or non-blocking) TCP connection to the node on loopback from `source`: all of 127.0.0.0/8 is
    /// loopback on Linux, so one process can be many client addresses.
    static func connect(port: Int, from source: String, blocking: Bool) -> Int32? {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        for (call, host, port) in [(bind, source, 0), (Glibc.connect, "127.0.0.1", port)] as [((Int32, UnsafePointer<sockaddr>, socklen_t) -> Int32, String, Int)] {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr(host)
            let status = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { call(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard status == 0 else {
                close(descriptor)
                return nil
            }
        }
        if !blocking { _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL, 0) | O_NONBLOCK) }
        return descriptor
    }

    // MARK: The three kinds

    /// Slow clients: each sends its request a byte a second, half of them a head, half (with a valid token) a body;
    /// one cut off by the node connects again, so `count` stay open. They come from 25 loopback addresses, so that
    /// the per-address cap (64) lets them all in and they really hold connections. Counts the reconnections.
    static func slow(count: Int, port: Int, token: String) throws -> () -> String where Counts == Int {
        let bodyBytes = 4096
        let padding = String(repeating: "a", count: bodyBytes - 1)
        let requests = [Array("POST /v1/pull HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: \(padding)\r\n\r\n".utf8),
                        Array("POST /v1/pull HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\nContent-Length: \(bodyBytes)\r\n\r\n{\(padding)".utf8)]
        @Sendable func source(_ index: Int) -> String { "127.0.1.\(1 + index % 25)" }
        var sockets: [(descriptor: Int32, sent: Int)] = []
        for index in 0..<count {
            guard let descriptor = connect(port: port, from: source(index), blocking: false) else {
                throw BenchmarkFailure("slow client \(index) cannot connect: \(String(cString: strerror(errno)))")
            }
            // A slow body's head goes at once; only its body trickles.
            let head = index % 2 == 1 ? requests[1].count - bodyBytes : 0
            let sent = requests[1].withUnsafeBytes { send(descriptor, $0.baseAddress!, head, Int32(MSG_NOSIGNAL)) }
            sockets.append((descriptor, max(0, sent)))
        }
        let clients = HostileClients<Int>(0)
        let driver = Owned(sockets)
        clients.spawn {
            var sockets = driver.value
            while !clients.isStopping {
                for index in sockets.indices {
                    let bytes = requests[index % 2]
                    let sent = sockets[index].sent < bytes.count
                        ? bytes.withUnsafeBytes { send(sockets[index].descriptor, $0.baseAddress! + sockets[index].sent, 1, Int32(MSG_NOSIGNAL)) } : 0
                    if sent > 0 { sockets[index].sent += 1; continue }
                    // Cut off (or done): connect again, so that the node keeps `count` slow clients.
                    close(sockets[index].descriptor)
                    if let descriptor = connect(port: port, from: source(index), blocking: false) {
                        sockets[index] = (descriptor, 0)
                        clients.count { $0 += 1 }
                    }
                }
                usleep(1_000_000)
            }
            sockets.forEach { close($0.descriptor) }
        }
        return { "\(clients.stop()) slow clients were cut off and reconnected during the syncs" }
    }

    /// Clients without a token, each sending a 16 MiB body again and again from its own thread and address.
    /// Counts the requests and the bytes they got sent.
    static func largeBodies(count: Int, port: Int) -> () -> String where Counts == LargeBodyCounts {
        let body = [UInt8](repeating: 0x20, count: 16 * 1024 * 1024)
        let head = Array("POST /v1/push HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(body.count)\r\n\r\n".utf8)
        let clients = HostileClients<LargeBodyCounts>(LargeBodyCounts())
        for index in 0..<count {
            clients.spawn {
                while !clients.isStopping {
                    guard let descriptor = connect(port: port, from: "127.0.2.\(1 + index % 200)", blocking: true) else {
                        usleep(100_000)
                        continue
                    }
                    var timeout = timeval(tv_sec: 2, tv_usec: 0)
                    _ = setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                    var sent = 0
                    for part in [head, body] {
                        var offset = 0
                        while offset < part.count, !clients.isStopping {
                            let count = part.withUnsafeBytes { send(descriptor, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
                            guard count > 0 else { break }
                            offset += count
                        }
                        sent += offset
                        if offset < part.count { break }
                    }
                    close(descriptor)
                    clients.count { $0.requests += 1; $0.bytes += sent }
                }
            }
        }
        return {
            let counts = clients.stop()
            return "\(counts.requests) requests sent \(counts.bytes / (1024 * 1024)) MiB before the node cut them off"
        }
    }

    /// Another reseller's clients pulling from cursor 0 again and again, each on a fresh connection.
    /// Counts the pulls served and the others (503 past the reseller's bound).
    static func pullFlood(count: Int, port: Int, token: String) -> () -> String where Counts == PullFloodCounts {
        let body = #"{"protocol":1,"replica":"rep_01JFLOOD000000000000000000","cursor":0}"#
        let request = Array(("POST /v1/pull HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\nConnection: close\r\n"
                             + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)").utf8)
        let clients = HostileClients<PullFloodCounts>(PullFloodCounts())
        for index in 0..<count {
            clients.spawn {
                var answer = [UInt8](repeating: 0, count: 64 * 1024)
                while !clients.isStopping {
                    guard let descriptor = connect(port: port, from: "127.0.3.\(1 + index % 200)", blocking: true) else {
                        usleep(10_000)
                        continue
                    }
                    _ = request.withUnsafeBytes { send(descriptor, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }
                    var statusLine: [UInt8] = []
                    while true {
                        let count = answer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress!, $0.count, 0) }
                        guard count > 0 else { break }
                        if statusLine.count < 12 { statusLine += answer[0..<min(count, 12 - statusLine.count)] }
                    }
                    close(descriptor)
                    let served = String(decoding: statusLine, as: UTF8.self).hasPrefix("HTTP/1.1 200")
                    clients.count { if served { $0.served += 1 } else { $0.refused += 1 } }
                }
            }
        }
        return {
            let counts = clients.stop()
            return "the other reseller had \(counts.served) pulls served and \(counts.refused) answered otherwise (503 past its bound)"
        }
    }
}

/// What the large-body clients got done.
struct LargeBodyCounts: Sendable {
    var requests = 0
    var bytes = 0
}

/// How the flooding reseller's pulls were answered.
struct PullFloodCounts: Sendable {
    var served = 0
    var refused = 0
}
