/// One client connection: reads requests one after another (keep-alive, pipelining), answers each in
/// order, and closes on `Connection: close`, a framing error, a timeout, or shutdown.
struct HTTPConnection {
    let socket: Socket
    let peer: String
    let server: HTTPServer

    private var configuration: HTTPServer.Configuration { server.configuration }

    func run() {
        var buffer: [UInt8] = []
        let accepted = Deadline.now()
        var first = true
        while true {
            // Wait for the next request: for the first, within the read timeout of connecting (a client
            // that connects and says nothing is a slow client); later ones within the idle timeout.
            // Shutdown ends the wait; a request already arriving is served.
            let waitDeadline = first ? Deadline.after(seconds: configuration.readTimeout) : Deadline.after(seconds: configuration.idleTimeout)
            Self.dropLeadingEmptyLines(&buffer)
            while buffer.isEmpty {
                if !first, server.isStopping { return socket.close() }
                switch socket.read(into: &buffer, deadline: waitDeadline, wake: server.wakeDescriptor) {
                case .bytes: Self.dropLeadingEmptyLines(&buffer)
                case .closed, .woken, .timedOut: return socket.close()
                }
            }
            let started = first ? accepted : Deadline.now()
            guard serveOne(&buffer, started: started) else { return }
            first = false
        }
    }

    /// Reads, answers and logs one request; `false` once the connection is closed.
    private func serveOne(_ buffer: inout [UInt8], started: Deadline) -> Bool {
        // The head: request line and fields, within the read timeout and the size limit.
        let requestDeadline = Deadline(uptimeNanoseconds: started.uptimeNanoseconds
                                       + UInt64(max(0, configuration.requestTimeout) * 1_000_000_000))
        let headDeadline = min(requestDeadline, Deadline(uptimeNanoseconds: started.uptimeNanoseconds
                                                         + UInt64(max(0, configuration.readTimeout) * 1_000_000_000)))
        var scanned = 0
        var headEnd = HTTPRequestHead.end(in: buffer, from: 0, scannedTo: &scanned)
        while headEnd == nil {
            if buffer.count > configuration.maximumHeadBytes { return fail(Self.headTooLarge(configuration), started: started) }
            switch socket.read(into: &buffer, limit: 16 * 1024, deadline: headDeadline) {
            case .bytes: headEnd = HTTPRequestHead.end(in: buffer, from: 0, scannedTo: &scanned)
            case .closed, .woken: socket.close(); return false
            case .timedOut: return fail(Self.timeout(seconds: min(configuration.readTimeout, configuration.requestTimeout)), started: started)
            }
        }
        let end = headEnd!
        guard end <= configuration.maximumHeadBytes else { return fail(Self.headTooLarge(configuration), started: started) }
        let head: HTTPRequestHead
        do {
            head = try HTTPRequestHead.parse(buffer[0..<end])
        } catch {
            return fail(error, started: started)
        }
        // Behind a trusted proxy the client is the one it names; the socket's peer otherwise.
        let client = configuration.trustedProxies.client(connectedFrom: peer, forwardedFor: head.values("x-forwarded-for"))

        // The body's length: Content-Length only; chunked bodies are not accepted (RFC 9112 §6.3 lets a server
        // require a length with 411). Both at once is how requests are smuggled past proxies: refused.
        let lengths = head.values("content-length")
        if !head.values("transfer-encoding").isEmpty {
            if !lengths.isEmpty { return fail(.badRequest("a request must not have both Transfer-Encoding and Content-Length"), head: head, peer: client, started: started) }
            return fail(HTTPError(status: 411, .malformed, "chunked request bodies are not accepted; send Content-Length"),
                        head: head, peer: client, started: started)
        }
        var length = 0
        if let text = lengths.first {
            guard lengths.allSatisfy({ $0 == text }), (1...19).contains(text.utf8.count), text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                  let value = Int(text) else {
                return fail(.badRequest("Content-Length must be one decimal number"), head: head, peer: client, started: started)
            }
            length = value
        }
        guard length <= configuration.maximumBodyBytes else {
            // Answered without reading the body; the connection cannot be reused.
            return fail(HTTPError(status: 413, .tooLarge,
                                  "the request body of \(length) bytes is larger than the \(configuration.maximumBodyBytes) this node reads"),
                        head: head, peer: client, started: started)
        }
        // Whether and how the request is served is decided on its head, for every route, before any room is set
        // aside for its body: an unknown path, a wrong method or a missing token never has its body read, and
        // neither has a body sent where none is taken, however large it says it is. Such a request that announced
        // a body is answered and its connection closed; one without a body is answered like any other.
        let admission = server.responder.admit(head, peer: client)
        switch admission {
        case .refuse(let refusal) where length > 0:
            return refuse(refusal, head: head, peer: client, started: started)
        case .serveWithoutBody where length > 0:
            return fail(HTTPError(status: 413, .tooLarge, "\(head.method.prefix(20)) \(head.path.prefix(200)) takes no request body"),
                        head: head, peer: client, started: started)
        case .serveWithBody, .serveWithoutBody, .refuse:
            break
        }
        // Bodies held at once are bounded, all connections together: past that, 503 before this one is read.
        guard server.reserveBody(length) else {
            return refuse(HTTPServer.unavailable("the node is reading other requests' bodies; try again shortly"), head: head, peer: client, started: started)
        }
        defer { server.releaseBody(length) }
        let expectations = head.values("expect")
        if !expectations.isEmpty {
            guard expectations.allSatisfy({ $0.lowercased() == "100-continue" }) else {
                return fail(HTTPError(status: 417, .malformed, "only 'Expect: 100-continue' is understood"), head: head, peer: client, started: started)
            }
            // curl (URLSession on Linux) waits for this before sending a larger body.
            if head.minorVersion >= 1, length > 0, buffer.count < end + length,
               !socket.write(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8), deadline: .after(seconds: configuration.writeTimeout)) {
                socket.close()
                return false
            }
        }

        // The body: each read within the read timeout, and all of it within the request timeout.
        buffer.reserveCapacity(end + length)
        while buffer.count < end + length {
            let readDeadline = Deadline.after(seconds: configuration.readTimeout)
            switch socket.read(into: &buffer, deadline: min(readDeadline, requestDeadline)) {
            case .bytes: continue
            case .closed, .woken: socket.close(); return false
            case .timedOut:
                let seconds = readDeadline < requestDeadline ? configuration.readTimeout : configuration.requestTimeout
                return fail(Self.timeout(seconds: seconds), head: head, peer: client, started: started)
            }
        }
        // The body leaves the buffer without a second copy when nothing follows it (no pipelined request), and
        // the buffer starts afresh either way, so its room for the body goes back with the body's budget.
        buffer.removeFirst(end)
        let body: [UInt8]
        if buffer.count == length {
            body = buffer
            buffer = []
        } else {
            body = Array(buffer[..<length])
            buffer = Array(buffer[length...])
        }

        var admitted: (any Sendable)?
        if case .serveWithBody(let note) = admission { admitted = note }
        let request = HTTPRequest(head: head, body: body, peer: client, admitted: admitted)
        let response: HTTPResponse
        if case .refuse(let refusal) = admission {
            response = refusal
        } else {
            response = server.responder.respond(to: request)
        }
        let keepAlive = head.keepAlive && !server.isStopping
        let bytes = response.serialized(keepAlive: keepAlive, minorVersion: head.minorVersion, omitBody: head.method == "HEAD")
        let written = socket.write(bytes, deadline: .after(seconds: configuration.writeTimeout))
        server.responder.answered(HTTPRequestRecord(
            method: head.method, path: head.path, status: response.status, requestBytes: length, responseBytes: response.body.count,
            seconds: started.elapsedSeconds, runId: head.value("x-outpost-run"), resellerId: response.resellerId, peer: client))
        guard written, keepAlive else {
            socket.close()
            return false
        }
        return true
    }

    /// Answers an error, closes the connection, and returns `false`.
    private func fail(_ error: HTTPError, head: HTTPRequestHead? = nil, peer client: String? = nil, started: Deadline) -> Bool {
        refuse(error.response, head: head, peer: client ?? peer, started: started)
    }

    /// Answers a request without reading (the rest of) its body, closes the connection, and returns `false`.
    private func refuse(_ response: HTTPResponse, head: HTTPRequestHead?, peer client: String, started: Deadline) -> Bool {
        let bytes = response.serialized(keepAlive: false, minorVersion: head?.minorVersion ?? 1, omitBody: false)
        _ = socket.write(bytes, deadline: .after(seconds: min(configuration.writeTimeout, 5)))
        server.responder.answered(HTTPRequestRecord(
            method: head?.method, path: head?.path, status: response.status, requestBytes: 0, responseBytes: response.body.count,
            seconds: started.elapsedSeconds, runId: head?.value("x-outpost-run"), resellerId: response.resellerId, peer: client))
        socket.closeAfterDraining()
        return false
    }

    static func headTooLarge(_ configuration: HTTPServer.Configuration) -> HTTPError {
        HTTPError(status: 431, .tooLarge, "the request line and headers are larger than \(configuration.maximumHeadBytes) bytes")
    }

    static func timeout(seconds: Double) -> HTTPError {
        HTTPError(status: 408, .unavailable, "the request did not arrive within \(seconds) seconds")
    }

    /// Empty lines before a request line are ignored (RFC 9112 §2.2), such as a CRLF some clients send after a body.
    static func dropLeadingEmptyLines(_ buffer: inout [UInt8]) {
        let count = buffer.prefix { $0 == 0x0D || $0 == 0x0A }.count
        if count > 0 { buffer.removeFirst(count) }
    }
}
