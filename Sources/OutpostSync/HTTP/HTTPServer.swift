import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A small HTTP/1.1 server on POSIX sockets: one thread accepts, each connection is served on a thread of its
/// own, every wait is bounded by a timeout, and `stop()` drains requests in flight. Connections are capped in
/// all and per client address, and request bodies held at once are capped too: past a cap the answer is an
/// immediate 503 with `Retry-After`, never a wait.
///
///     let server = HTTPServer(configuration: .init(address: .default), responder: service)
///     let address = try server.start()       // bound; port 0 becomes the real port
///     …                                      // a signal handler calls server.stop()
///     server.waitUntilStopped(drainTimeout: 30)
public final class HTTPServer: @unchecked Sendable {
    // @unchecked: `stopping`, `openConnections`, `connectionsByPeer` and `bufferedBodyBytes` are only read and written under `lock`. The descriptors
    // are written once in `start()`, before the accept thread and any connection exist (Thread.start and
    // DispatchQueue.async order those writes before every later read), and never change afterwards.

    /// Limits and timeouts. Tests use short timeouts.
    public struct Configuration: Sendable {
        public var address: ListenAddress
        /// Seconds a client has for a request's head, and at most between two reads of its body.
        public var readTimeout: Double
        /// Seconds a client has for a whole request, head and body, however it trickles them: a client sending
        /// a byte every few seconds is cut off here rather than holding its connection for ever.
        public var requestTimeout: Double
        /// Seconds an idle keep-alive connection waits for the next request.
        public var idleTimeout: Double
        /// Seconds a client has to take a response.
        public var writeTimeout: Double
        /// The request line and header fields together (RFC 9112 leaves the limit to the server).
        public var maximumHeadBytes: Int
        public var maximumBodyBytes: Int
        /// Connections served at once; more are answered 503 with `Retry-After` at once.
        public var maximumConnections: Int
        /// Connections served at once from one client address, so that one client cannot take them all;
        /// more from it are answered 503 at once. A trusted proxy is not limited: it speaks for many clients.
        public var maximumConnectionsPerPeer: Int
        /// Request bodies held in memory at once, all connections together; a request whose body would pass
        /// it is answered 503 before its body is read.
        public var maximumBufferedBodyBytes: Int
        /// Proxies whose `X-Forwarded-For` names the client.
        public var trustedProxies: TrustedProxies

        public init(address: ListenAddress, readTimeout: Double = 10, requestTimeout: Double = 60, idleTimeout: Double = 30,
                    writeTimeout: Double = 30, maximumHeadBytes: Int = 16 * 1024, maximumBodyBytes: Int = SyncProtocol.maximumRequestBytes,
                    maximumConnections: Int = 1024, maximumConnectionsPerPeer: Int = 64,
                    maximumBufferedBodyBytes: Int = 4 * SyncProtocol.maximumRequestBytes, trustedProxies: TrustedProxies = TrustedProxies()) {
            self.address = address
            self.readTimeout = readTimeout
            self.requestTimeout = requestTimeout
            self.idleTimeout = idleTimeout
            self.writeTimeout = writeTimeout
            self.maximumHeadBytes = maximumHeadBytes
            self.maximumBodyBytes = maximumBodyBytes
            self.maximumConnections = maximumConnections
            self.maximumConnectionsPerPeer = maximumConnectionsPerPeer
            self.maximumBufferedBodyBytes = maximumBufferedBodyBytes
            self.trustedProxies = trustedProxies
        }
    }

    /// The server could not listen.
    public struct StartError: Error, Sendable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    public let configuration: Configuration
    let responder: any HTTPResponder

    private let lock = NSLock()
    private var stopping = false
    private var started = false
    private var openConnections = 0
    private var connectionsByPeer: [String: Int] = [:]
    private var bufferedBodyBytes = 0
    private var listener: Int32 = -1
    /// A pipe whose read end becomes readable, for good, once `stop()` is called: every idle wait polls it.
    private var wakeRead: Int32 = -1
    private var wakeWrite: Int32 = -1
    /// The accept thread and every connection.
    private let running = DispatchGroup()
    private let stopRequested = DispatchSemaphore(value: 0)

    public init(configuration: Configuration, responder: any HTTPResponder) {
        self.configuration = configuration
        self.responder = responder
    }

    // MARK: Starting and stopping

    /// Binds, listens and starts accepting. Returns the address actually bound (port 0 becomes the real port).
    @discardableResult
    public func start() throws(StartError) -> ListenAddress {
        lock.lock()
        defer { lock.unlock() }
        precondition(!started, "an HTTPServer starts once")
        // A client that disconnects mid-response must be an error on that write, not a signal that ends the node.
        _ = signal(SIGPIPE, SIG_IGN)
        let (descriptor, port) = try Self.listen(on: configuration.address)
        var pipeEnds: [Int32] = [-1, -1]
        guard pipe(&pipeEnds) == 0 else {
            _ = systemClose(descriptor)
            throw StartError(message: "cannot create the shutdown pipe: \(String(cString: strerror(errno)))")
        }
        pipeEnds.forEach(Socket.configure)
        listener = descriptor
        wakeRead = pipeEnds[0]
        wakeWrite = pipeEnds[1]
        started = true
        if stopping { wake() }
        running.enter()
        let thread = Thread { [self] in
            acceptLoop()
            running.leave()
        }
        thread.name = "outpost.http.accept"
        thread.start()
        return ListenAddress(host: configuration.address.host, port: port)
    }

    /// Stops accepting and closes idle connections; requests in flight are finished. Safe from any thread, more than once.
    /// Before `start()` (a signal during startup), the server stops as soon as it has started.
    public func stop() {
        lock.lock()
        let first = !stopping
        stopping = true
        if first, started { wake() }
        lock.unlock()
        if first { stopRequested.signal() }
    }

    /// Makes the shutdown pipe readable, for good. Called under `lock`.
    private func wake() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    /// Whether `stop()` was called: responses then close their connection.
    public var isStopping: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopping
    }

    /// Blocks until `stop()` is called, then until every connection has finished or `drainTimeout` passed.
    /// Returns `false` when connections were still open at the timeout.
    @discardableResult
    public func waitUntilStopped(drainTimeout: Double) -> Bool {
        stopRequested.wait()
        stopRequested.signal()  // let other waiters through too
        guard running.wait(timeout: .now() + drainTimeout) == .success else { return false }
        lock.lock()
        defer { lock.unlock() }
        if wakeRead >= 0 {
            _ = systemClose(wakeRead)
            _ = systemClose(wakeWrite)
            wakeRead = -1
            wakeWrite = -1
        }
        return true
    }

    /// The descriptor every idle wait polls to notice shutdown.
    var wakeDescriptor: Int32 { wakeRead }

    // MARK: Accepting

    /// Runs on its own thread until `stop()`.
    private func acceptLoop() {
        var fds = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
        while true {
            fds[0].revents = 0
            fds[1].revents = 0
            let ready = poll(&fds, nfds_t(fds.count), -1)
            if ready < 0 {
                if errno == EINTR { continue }
                break
            }
            if fds[1].revents != 0 { break }
            if fds[0].revents != 0 { acceptPending() }
        }
        // Stop accepting at once: new clients are refused, not left waiting in the backlog.
        _ = systemClose(listener)
    }

    /// Accepts every connection waiting in the backlog.
    private func acceptPending() {
        while true {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let descriptor = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(listener, $0, &length) }
            }
            if descriptor < 0 {
                switch errno {
                case EINTR, ECONNABORTED: continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    // Out of descriptors: back off instead of spinning; the client waits in the backlog.
                    usleep(50_000)
                    return
                default: return  // EAGAIN: the backlog is empty
                }
            }
            Socket.configure(descriptor)
            var noDelay: Int32 = 1
            _ = setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
            let peer = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Socket.numericHost($0, length: length) }
            }
            serve(Socket(descriptor: descriptor), peer: peer)
        }
    }

    private func serve(_ socket: Socket, peer: String) {
        guard let refusal = admit(peer) else {
            running.enter()
            responder.connectionOpened()
            // One thread per connection, made here rather than taken from libdispatch's pool: a connection
            // waiting in poll() on a slow client holds its thread, and the pool's threads are few (measured: 50
            // stalled clients on a concurrent queue took 12 s to all start on 2 CPUs). `maximumConnections`
            // bounds the threads; a blocked one costs its stack's touched pages, not a CPU.
            let thread = Thread { [self] in
                HTTPConnection(socket: socket, peer: peer, server: self).run()
                lock.lock()
                openConnections -= 1
                connectionsByPeer[peer, default: 1] -= 1
                if connectionsByPeer[peer] == 0 { connectionsByPeer[peer] = nil }
                lock.unlock()
                responder.connectionClosed()
                running.leave()
            }
            thread.name = "outpost.http.connection"
            thread.start()
            return
        }
        // Full: say so at once, so the client retries later instead of waiting in the backlog.
        let response = Self.unavailable(refusal)
        _ = socket.write(response.serialized(keepAlive: false, minorVersion: 1, omitBody: false), deadline: .after(seconds: 0.05))
        socket.close()
        responder.answered(HTTPRequestRecord(method: nil, path: nil, status: 503, requestBytes: 0, responseBytes: response.body.count,
                                             seconds: 0, runId: nil, resellerId: nil, peer: peer))
    }

    /// Counts a new connection from `peer` in, or says why it cannot be served now.
    private func admit(_ peer: String) -> String? {
        lock.lock()
        defer { lock.unlock() }
        guard openConnections < configuration.maximumConnections else {
            return "the node is serving \(configuration.maximumConnections) connections; try again shortly"
        }
        let fromPeer = connectionsByPeer[peer, default: 0]
        guard fromPeer < configuration.maximumConnectionsPerPeer || configuration.trustedProxies.contains(peer) else {
            return "\(peer) already has \(configuration.maximumConnectionsPerPeer) connections open; try again shortly"
        }
        openConnections += 1
        connectionsByPeer[peer] = fromPeer + 1
        return nil
    }

    /// Sets aside room for a request body of `bytes`; `false` when the bodies being read already fill the budget.
    func reserveBody(_ bytes: Int) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard bufferedBodyBytes + bytes <= configuration.maximumBufferedBodyBytes else { return false }
        bufferedBodyBytes += bytes
        return true
    }

    /// Gives back what `reserveBody` set aside, once the request is answered.
    func releaseBody(_ bytes: Int) {
        lock.lock()
        bufferedBodyBytes -= bytes
        lock.unlock()
    }

    /// 503 with `Retry-After`: the node is too busy for this request now, not broken.
    static func unavailable(_ message: String) -> HTTPResponse {
        var response = HTTPError(status: 503, .unavailable, message).response
        response.fields.append(("Retry-After", "1"))
        return response
    }

    /// Raises this process's soft limit on open descriptors to its hard limit: every connection holds one, and the
    /// usual soft limit of 1024 is below `maximumConnections` plus the node's databases.
    public static func raiseDescriptorLimit() {
        var limit = rlimit()
        #if canImport(Glibc)
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #else
        let resource = RLIMIT_NOFILE
        #endif
        guard getrlimit(resource, &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(resource, &limit)
    }

    // MARK: Listening

    #if canImport(Glibc)
    private static let streamType = Int32(SOCK_STREAM.rawValue)
    #else
    private static let streamType = SOCK_STREAM
    #endif

    /// A listening, non-blocking socket for the address, and the port it got.
    private static func listen(on address: ListenAddress) throws(StartError) -> (Int32, Int) {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = streamType
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(address.host, String(address.port), &hints, &list)
        guard resolved == 0, let list else {
            throw StartError(message: "cannot listen on \(address): host '\(address.host)' cannot be resolved (\(String(cString: gai_strerror(resolved))))")
        }
        defer { freeaddrinfo(list) }
        var reason = "no usable address"
        var candidate: UnsafeMutablePointer<addrinfo>? = list
        while let info = candidate {
            candidate = info.pointee.ai_next
            let descriptor = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            guard descriptor >= 0 else {
                reason = String(cString: strerror(errno))
                continue
            }
            var reuse: Int32 = 1
            _ = setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
            guard bind(descriptor, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0, systemListen(descriptor, 128) == 0 else {
                reason = String(cString: strerror(errno))
                _ = systemClose(descriptor)
                continue
            }
            Socket.configure(descriptor)
            return (descriptor, boundPort(descriptor) ?? address.port)
        }
        throw StartError(message: "cannot listen on \(address): \(reason)")
    }

    private static func boundPort(_ descriptor: Int32) -> Int? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard status == 0 else { return nil }
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) } }
        case AF_INET6:
            return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) } }
        default:
            return nil
        }
    }
}

/// `listen(2)`, under a name that does not collide with `HTTPServer.listen(on:)`.
private func systemListen(_ descriptor: Int32, _ backlog: Int32) -> Int32 {
    #if canImport(Glibc)
    Glibc.listen(descriptor, backlog)
    #else
    Darwin.listen(descriptor, backlog)
    #endif
}
