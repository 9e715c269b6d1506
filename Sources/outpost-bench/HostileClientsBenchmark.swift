import Foundation
import OutpostModel
import OutpostStore
import OutpostSync
#if canImport(Glibc)
import Glibc
#endif

/// Issue 14 §2: 20 replicas syncing at once over HTTP, unloaded, then while 500 slow clients hold connections open
/// (half trickling a head, half a body), then while 190 clients without a token each send 16 MiB bodies over and over,
/// then while another reseller floods the node with pulls.
/// Each phase serves a fresh node in a child process, so the node's peak memory (`VmHWM`) is that phase's own.
struct HostileClientsBenchmark {
    let syncs: Int
    let slowClients: Int
    let largeBodyClients: Int
    let floodClients: Int

    func run() throws -> String {
        // 500 slow sockets, their node-side twins and the large-body clients need more than the usual 1024 descriptors.
        HTTPServer.raiseDescriptorLimit()
        _ = signal(SIGPIPE, SIG_IGN)
        let unloaded = try phase("unloaded") { _, _ in { "" } }
        let slow = try phase("\(slowClients) slow clients") { port, tokens in try SlowClients(count: slowClients, port: port, token: tokens.syncing).start() }
        let large = try phase("\(largeBodyClients) × 16 MiB unauthenticated") { port, _ in try LargeBodyClients(count: largeBodyClients, port: port).start() }
        let flood = try phase("another reseller's \(floodClients) flooding clients") { port, tokens in
            PullFlood(count: floodClients, port: port, token: tokens.flooding).start()
        }
        return [unloaded, slow, large, flood].map { result in
            String(format: "http-hostile %@: %d/%d syncs ok, all done in %.0f ms (%.1f× unloaded), each median %.0f ms, max %.0f ms; node peak memory %.0f MB, CPU %.1f s, %d connections open%@",
                   result.name, result.succeeded, syncs, result.wall * 1000, result.wall / unloaded.wall, result.median * 1000, result.max * 1000,
                   result.nodePeakMB, result.nodeCPU, result.connectionsOpen, result.note.isEmpty ? "" : "; " + result.note)
        }.joined(separator: "\n")
    }

    struct PhaseResult {
        let name: String
        let succeeded: Int
        let median: Double
        let max: Double
        /// From the first sync's start to the last one's end.
        let wall: Double
        let nodePeakMB: Double
        /// Seconds of CPU the node used while the load ran (user and system).
        let nodeCPU: Double
        /// The node's own count (`outpost_http_connections_open`) while the load ran.
        let connectionsOpen: Int
        let note: String
    }

    /// Serves a fresh node, prepares the replicas, starts the load (`load` returns how to stop it), then times
    /// the syncs, all at once, while the load runs.
    /// The syncing reseller's token, and another reseller's.
    struct Tokens {
        let syncing: String
        let flooding: String
    }

    private func phase(_ name: String, load: (Int, Tokens) throws -> () -> String) throws -> PhaseResult {
        let root = try scratch("hostile")
        defer { try? FileManager.default.removeItem(at: root) }
        let clock = FixedClock(Timestamp("2026-03-02T09:00:00Z")!)
        let tokens: Tokens
        do {
            let node = try Node.create(at: root.appendingPathComponent("node"), clock: clock)
            try node.upsertPlans(try Catalog.plans())
            try node.addReseller(id: "bench", name: "Bench", currency: "EUR")
            try node.addReseller(id: "flood", name: "Flood", currency: "EUR")
            tokens = Tokens(syncing: try node.issueToken(resellerId: "bench", username: "bench").token,
                            flooding: try node.issueToken(resellerId: "flood", username: "flood").token)
        }
        let token = tokens.syncing
        let child = try NodeServeChild(node: root.appendingPathComponent("node"))
        defer { child.stop() }
        let url = URL(string: "http://127.0.0.1:\(child.port)/")!
        var replicas: [(Replica, ReplicaSync)] = []
        for index in 0..<syncs {
            let replica = try Replica.create(root.appendingPathComponent("replica-\(index)"), clock: clock)
            let sync = ReplicaSync(replica: replica, transport: HTTPTransport(baseURL: url, token: token, timeout: 60))
            _ = try sync.pull()
            for customer in 0..<20 { try replica.submit(CreateCustomer(id: replica.ids.make("cus"), name: "Customer \(index)-\(customer)")) }
            replicas.append((replica, sync))
        }
        let cpuBefore = try Self.cpuSeconds(pid: child.pid)
        let stopLoad = try load(child.port, tokens)
        // Let the load settle: every slow client connected and stalled, the large bodies flowing.
        usleep(1_500_000)
        let times = SyncTimes()
        let group = DispatchGroup()
        let started = DispatchTime.now().uptimeNanoseconds
        for (index, (_, sync)) in replicas.enumerated() {
            // @unchecked Sendable box: each ReplicaSync is used by exactly one of these threads.
            let owned = Owned(sync)
            group.enter()
            Thread {
                let started = DispatchTime.now().uptimeNanoseconds
                let report = try? owned.value.sync(runId: "run_bench_\(index)")
                times.add(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9, ok: report?.push.sent == 20)
                group.leave()
            }.start()
        }
        group.wait()
        let wall = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let connectionsOpen = try Self.connectionsOpen(port: child.port)
        let nodeCPU = try Self.cpuSeconds(pid: child.pid) - cpuBefore
        let note = stopLoad()
        let peak = try SiteBuildChild.highWaterKB(process: String(child.pid))
        let sorted = times.values.sorted()
        return PhaseResult(name: name, succeeded: times.succeeded, median: sorted[sorted.count / 2], max: sorted.last!, wall: wall,
                           nodePeakMB: Double(peak) / 1024, nodeCPU: nodeCPU, connectionsOpen: connectionsOpen, note: note)
    }

    /// User and system CPU seconds of a process (`/proc/PID/stat` fields 14 and 15, in clock ticks).
    static func cpuSeconds(pid: Int32) throws -> Double {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
        guard let close = stat.lastIndex(of: ")") else { throw BenchmarkFailure("unreadable /proc/\(pid)/stat") }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else {
            throw BenchmarkFailure("unreadable /proc/\(pid)/stat")
        }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// `outpost_http_connections_open` from the node's `/metrics` (this request's own connection included).
    static func connectionsOpen(port: Int) throws -> Int {
        let text = try String(contentsOf: URL(string: "http://127.0.0.1:\(port)/metrics")!, encoding: .utf8)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("outpost_http_connections_open ") }),
              let count = Int(line.split(separator: " ")[1]) else { throw BenchmarkFailure("no outpost_http_connections_open in /metrics") }
        return count
    }
}

/// Times of the syncs, gathered from their threads.
private final class SyncTimes: @unchecked Sendable {
    // @unchecked: `values` and `succeeded` are only touched under `lock`.
    private let lock = NSLock()
    private(set) var values: [Double] = []
    private(set) var succeeded = 0

    func add(_ seconds: Double, ok: Bool) {
        lock.lock()
        values.append(seconds)
        if ok { succeeded += 1 }
        lock.unlock()
    }
}

/// Hands a non-Sendable value to the one thread that uses it.
private struct Owned<Value>: @unchecked Sendable {
    // @unchecked: the value is moved to one thread and used only there.
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// `outpost-bench --serve-node DIR`: the node served over HTTP with the server's default limits, in a process
/// of its own; it prints its port and serves until its standard input closes.
final class NodeServeChild {
    static let flag = "--serve-node"
    let process = Process()
    let input = Pipe()
    let port: Int
    var pid: Int32 { process.processIdentifier }

    init(node: URL) throws {
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        process.arguments = [Self.flag, node.path]
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        var line = Data()
        while !line.contains(0x0A) {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw BenchmarkFailure("the node child ended before it listened") }
            line += chunk
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw BenchmarkFailure("the node child printed no port")
        }
        self.port = port
    }

    /// Closes the child's input and waits for it to finish.
    func stop() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    /// The child's side.
    static func childMain(_ arguments: [String]) throws {
        guard arguments.count == 1 else { throw BenchmarkFailure("usage: outpost-bench \(flag) NODE") }
        HTTPServer.raiseDescriptorLimit()
        let node = try Node.open(URL(fileURLWithPath: arguments[0]), clock: SystemClock())
        let service = NodeHTTPService(node: NodeQueue(node: node), log: RequestLog(write: { _ in }))
        let server = HTTPServer(configuration: .init(address: try ListenAddress.parse("127.0.0.1:0")), responder: service)
        let bound = try server.start()
        FileHandle.standardOutput.write(Data("\(bound.port)\n".utf8))
        Thread {
            while FileHandle.standardInput.availableData.count > 0 {}
            server.stop()
        }.start()
        server.waitUntilStopped(drainTimeout: 5)
    }
}

/// A non-blocking TCP connection to the node on loopback from a chosen source address.
private func connectSocket(port: Int, from source: String, blocking: Bool) -> Int32? {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { return nil }
    var local = sockaddr_in()
    local.sin_family = sa_family_t(AF_INET)
    local.sin_addr.s_addr = inet_addr(source)
    var remote = sockaddr_in()
    remote.sin_family = sa_family_t(AF_INET)
    remote.sin_port = in_port_t(UInt16(port).bigEndian)
    remote.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &local) { localPointer in
        withUnsafePointer(to: &remote) { remotePointer in
            localPointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } == 0
                && remotePointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } == 0
        }
    }
    guard connected else {
        close(descriptor)
        return nil
    }
    if !blocking { _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL, 0) | O_NONBLOCK) }
    return descriptor
}

/// Slow clients: each sends its request a byte a second, half of them a head, half (with a valid token) a body;
/// one cut off by the node reconnects, so `count` stay open. They come from 25 loopback addresses, so that the
/// per-address cap (64) lets them all in and they really hold connections.
private final class SlowClients: @unchecked Sendable {
    // @unchecked: `stopping` and `reconnects` are only touched under `lock`; the sockets only by the driver thread.
    let count: Int
    let port: Int
    let token: String
    private let lock = NSLock()
    private var stopping = false
    private var reconnects = 0
    private let done = DispatchSemaphore(value: 0)

    init(count: Int, port: Int, token: String) {
        self.count = count
        self.port = port
        self.token = token
    }

    static let bodyBytes = 4096

    /// The request client `index` sends: a slow head (even) or a slow body (odd).
    func request(_ index: Int) -> [UInt8] {
        let padding = String(repeating: "a", count: Self.bodyBytes - 1)
        if index.isMultiple(of: 2) { return Array("POST /v1/pull HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: \(padding)\r\n\r\n".utf8) }
        return Array("POST /v1/pull HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\nContent-Length: \(Self.bodyBytes)\r\n\r\n{\(padding)".utf8)
    }

    func start() throws -> () -> String {
        var sockets: [(descriptor: Int32, sent: Int)] = []
        for index in 0..<count {
            guard let descriptor = connectSocket(port: port, from: "127.0.1.\(1 + index % 25)", blocking: false) else {
                throw BenchmarkFailure("slow client \(index) cannot connect: \(String(cString: strerror(errno)))")
            }
            sockets.append((descriptor, 0))
        }
        // For the slow bodies, the head goes at once; the body trickles.
        for index in sockets.indices where !index.isMultiple(of: 2) {
            let bytes = request(index)
            let head = bytes.count - Self.bodyBytes
            sockets[index].sent = bytes.withUnsafeBytes { max(0, send(sockets[index].descriptor, $0.baseAddress!, head, Int32(MSG_NOSIGNAL))) }
        }
        let driver = Owned(sockets)
        Thread { [self] in
            var sockets = driver.value
            while !isStopping {
                for index in sockets.indices {
                    let bytes = request(index)
                    let sent = sockets[index].sent < bytes.count
                        ? bytes.withUnsafeBytes { send(sockets[index].descriptor, $0.baseAddress! + sockets[index].sent, 1, Int32(MSG_NOSIGNAL)) } : 0
                    if sent > 0 { sockets[index].sent += 1; continue }
                    // Cut off (or done): connect again, so that the node keeps `count` slow clients.
                    close(sockets[index].descriptor)
                    if let descriptor = connectSocket(port: port, from: "127.0.1.\(1 + index % 25)", blocking: false) {
                        sockets[index] = (descriptor, 0)
                        noteReconnect()
                    }
                }
                usleep(1_000_000)
            }
            sockets.forEach { close($0.descriptor) }
            done.signal()
        }.start()
        return { [self] in
            lock.lock()
            stopping = true
            let reconnects = self.reconnects
            lock.unlock()
            done.wait()
            return "\(reconnects) slow clients were cut off and reconnected during the syncs"
        }
    }

    private var isStopping: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopping
    }

    private func noteReconnect() {
        lock.lock()
        reconnects += 1
        lock.unlock()
    }
}

/// Clients without a token, each sending a 16 MiB body again and again from its own thread.
private final class LargeBodyClients: @unchecked Sendable {
    // @unchecked: `stopping`, `requests` and `bytesSent` are only touched under `lock`; `body` is never written.
    let count: Int
    let port: Int
    let body = [UInt8](repeating: 0x20, count: 16 * 1024 * 1024)
    private let lock = NSLock()
    private var stopping = false
    private var requests = 0
    private var bytesSent = 0
    private let done = DispatchGroup()

    init(count: Int, port: Int) {
        self.count = count
        self.port = port
    }

    func start() throws -> () -> String {
        let head = Array("POST /v1/push HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(body.count)\r\n\r\n".utf8)
        for index in 0..<count {
            done.enter()
            Thread { [self] in
                while !isStopping {
                    guard let descriptor = connectSocket(port: port, from: "127.0.2.\(1 + index % 200)", blocking: true) else {
                        usleep(100_000)
                        continue
                    }
                    var timeout = timeval(tv_sec: 2, tv_usec: 0)
                    _ = setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                    var sent = 0
                    for part in [head, body] {
                        var offset = 0
                        while offset < part.count, !isStopping {
                            let count = part.withUnsafeBytes { send(descriptor, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
                            guard count > 0 else { break }
                            offset += count
                        }
                        sent += offset
                        if offset < part.count { break }
                    }
                    close(descriptor)
                    note(sent)
                }
                done.leave()
            }.start()
        }
        return { [self] in
            lock.lock()
            stopping = true
            let summary = "\(requests) requests sent \(bytesSent / (1024 * 1024)) MiB before the node cut them off"
            lock.unlock()
            done.wait()
            return summary
        }
    }

    private var isStopping: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopping
    }

    private func note(_ bytes: Int) {
        lock.lock()
        requests += 1
        bytesSent += bytes
        lock.unlock()
    }
}

/// Another reseller's clients pulling from cursor 0 again and again, each on a fresh connection.
private final class PullFlood: @unchecked Sendable {
    // @unchecked: `stopping`, `served` and `refused` are only touched under `lock`.
    let count: Int
    let port: Int
    let token: String
    private let lock = NSLock()
    private var stopping = false
    private var served = 0
    private var refused = 0
    private let done = DispatchGroup()

    init(count: Int, port: Int, token: String) {
        self.count = count
        self.port = port
        self.token = token
    }

    func start() -> () -> String {
        let body = #"{"protocol":1,"replica":"rep_01JFLOOD000000000000000000","cursor":0}"#
        let request = Array(("POST /v1/pull HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\nConnection: close\r\n"
                             + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)").utf8)
        for index in 0..<count {
            done.enter()
            Thread { [self] in
                var answer = [UInt8](repeating: 0, count: 64 * 1024)
                while !isStopping {
                    guard let descriptor = connectSocket(port: port, from: "127.0.3.\(1 + index % 200)", blocking: true) else {
                        usleep(10_000)
                        continue
                    }
                    _ = request.withUnsafeBytes { send(descriptor, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }
                    var first: [UInt8] = []
                    while true {
                        let count = answer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress!, $0.count, 0) }
                        guard count > 0 else { break }
                        if first.count < 12 { first += answer[0..<min(count, 12 - first.count)] }
                    }
                    close(descriptor)
                    note(ok: String(decoding: first, as: UTF8.self).hasPrefix("HTTP/1.1 200"))
                }
                done.leave()
            }.start()
        }
        return { [self] in
            lock.lock()
            stopping = true
            let summary = "the other reseller had \(served) pulls served and \(refused) answered otherwise (503 past its bound)"
            lock.unlock()
            done.wait()
            return summary
        }
    }

    private var isStopping: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopping
    }

    private func note(ok: Bool) {
        lock.lock()
        if ok { served += 1 } else { refused += 1 }
        lock.unlock()
    }
}
