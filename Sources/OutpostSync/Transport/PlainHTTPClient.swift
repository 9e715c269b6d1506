import Foundation
#if canImport(Glibc)
import Glibc
#endif
import OutpostModel

/// A minimal HTTP/1.1 client for `http://` and `https://` nodes: one kept-alive connection,
/// `Content-Length` bodies, every wait bounded by the timeout; TLS through `TLSStream`. It asks for gzip
/// (`Accept-Encoding: gzip`) and inflates a gzip answer, never past the largest answer it takes at all.
///
/// Why not URLSession: on Linux, Foundation's URLSession spins (a zero-timeout
/// poll loop) while it waits for an answer, taking a whole core from the node
/// on the same 2-core machine; and it cannot be told to trust a private CA.
final class PlainHTTPClient {
    let host: String
    let port: Int
    let timeout: Double
    /// How `https://` is spoken; `nil` for plain `http://`.
    let tls: TLSSettings?
    private var socket: Socket?
    private var stream: TLSStream?

    /// TLS for an `https://` node: the CA file to trust instead of the system's store, if any.
    struct TLSSettings {
        var caFile: String?
    }

    /// The open connection, plain or TLS: reads and writes go through it alike.
    private enum Connection {
        case plain(Socket)
        case tls(TLSStream)

        func read(into buffer: inout [UInt8], deadline: Deadline) -> Socket.ReadResult {
            switch self {
            case .plain(let socket): return socket.read(into: &buffer, deadline: deadline)
            case .tls(let stream): return stream.read(into: &buffer, deadline: deadline)
            }
        }

        func write(_ bytes: [UInt8], deadline: Deadline) -> Bool {
            switch self {
            case .plain(let socket): return socket.write(bytes, deadline: deadline)
            case .tls(let stream): return stream.write(bytes, deadline: deadline)
            }
        }
    }

    init(host: String, port: Int, timeout: Double, tls: TLSSettings? = nil) {
        self.host = host
        self.port = port
        self.timeout = timeout
        self.tls = tls
    }

    deinit {
        drop()
    }

    /// The largest answer body taken, as sent and once inflated: four times the largest page (PROTOCOL.md 3.2).
    static let maximumAnswerBytes = SyncProtocol.maximumPageBytes * 4

    /// One answer: its status, its body (inflated when it came gzip-coded) and how many body bytes crossed the wire.
    struct Answer {
        var status: Int
        var body: [UInt8]
        var wireBytes: Int
    }

    /// POSTs `body` to `path`; returns the answer.
    func post(path: String, headers: [(String, String)], body: [UInt8]) throws -> Answer {
        // An IPv6 literal goes in brackets (RFC 9110 7.2, the URI's host form).
        let hostField = host.contains(":") ? "[\(host)]" : host
        var head = "POST \(path) HTTP/1.1\r\nHost: \(hostField):\(port)\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n"
        head += "Accept-Encoding: gzip\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        let request = Array(head.utf8) + body
        // A kept-alive connection the node closed meanwhile fails before any answer byte:
        // send again once on a new connection (pushes are idempotent by seq, pulls by cursor).
        for attempt in 0..<2 {
            let fresh = socket == nil
            let connection = try connected()
            let deadline = Deadline.after(seconds: timeout)
            guard connection.write(request, deadline: deadline) else {
                drop()
                if !fresh, attempt == 0 { continue }
                throw TransportError(.unavailable, "cannot send to the node at \(host):\(port)")
            }
            switch try readResponse(connection, deadline: deadline) {
            case .answer(let answer, let keepAlive):
                if !keepAlive { drop() }
                return answer
            case .closedBeforeAnswer:
                drop()
                if !fresh, attempt == 0 { continue }
                throw TransportError(.unavailable, "the node at \(host):\(port) closed the connection without answering")
            }
        }
        throw TransportError(.unavailable, "the node at \(host):\(port) did not answer")
    }

    private enum Outcome {
        case answer(Answer, keepAlive: Bool)
        case closedBeforeAnswer
    }

    private func readResponse(_ connection: Connection, deadline: Deadline) throws -> Outcome {
        var buffer: [UInt8] = []
        var headEnd: Int?
        while headEnd == nil {
            switch connection.read(into: &buffer, deadline: deadline) {
            case .bytes: headEnd = Self.endOfHead(buffer)
            case .closed where buffer.isEmpty: return .closedBeforeAnswer
            case .closed: throw TransportError(.unavailable, "the node closed the connection mid-answer")
            case .timedOut, .woken: drop(); throw TransportError(.unavailable, "no answer from the node at \(host):\(port) within \(Int(timeout)) s")
            }
            if buffer.count > 64 * 1024, headEnd == nil { drop(); throw TransportError(.protocolViolation, "the node's answer head is too long") }
        }
        let head = String(decoding: buffer[..<headEnd!], as: UTF8.self)
        let lines = head.components(separatedBy: "\r\n")
        let statusParts = lines.first?.split(separator: " ") ?? []
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let status = Int(statusParts[1]) else {
            drop()
            throw TransportError(.notANode, "\(host):\(port) is not an Outpost node: its answer is not HTTP/1.1")
        }
        var length: Int?
        var keepAlive = statusParts[0] == "HTTP/1.1"
        var codings: [String] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if name == "content-length" { length = Int(value) }
            if name == "connection" { keepAlive = value.lowercased() != "close" }
            if name == "content-encoding" {
                codings += value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { $0 != "identity" }
            }
        }
        guard let length, length >= 0, length <= Self.maximumAnswerBytes else {
            drop()
            throw TransportError(.notANode, "\(host):\(port) is not an Outpost node: its answer has no usable Content-Length (a node always sends one)")
        }
        var body = Array(buffer[(headEnd! + 4)...])
        while body.count < length {
            switch connection.read(into: &body, deadline: deadline) {
            case .bytes: continue
            case .closed: drop(); throw TransportError(.unavailable, "the node closed the connection mid-answer")
            case .timedOut, .woken: drop(); throw TransportError(.unavailable, "the node's answer stalled")
            }
        }
        body = Array(body.prefix(length))
        switch codings {
        case []:
            return .answer(Answer(status: status, body: body, wireBytes: length), keepAlive: keepAlive)
        case ["gzip"], ["x-gzip"]:
            do {
                return .answer(Answer(status: status, body: try Gzip.decompress(body, limit: Self.maximumAnswerBytes), wireBytes: length), keepAlive: keepAlive)
            } catch {
                drop()
                throw TransportError(.protocolViolation, "the node at \(host):\(port) sent a gzip answer that cannot be read: \(error)")
            }
        default:
            drop()
            throw TransportError(.protocolViolation, "the node at \(host):\(port) answered in a coding this client did not ask for: \(codings.joined(separator: ", "))")
        }
    }

    static func endOfHead(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4) where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index
        }
        return nil
    }

    private func drop() {
        stream = nil
        if let socket { close(socket.descriptor) }
        socket = nil
    }

    private func connected() throws -> Connection {
        if let socket { return stream.map(Connection.tls) ?? .plain(socket) }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var results: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &results) == 0, let first = results else {
            throw TransportError(.unavailable, "cannot resolve the node's host \(host)")
        }
        defer { freeaddrinfo(results) }
        var lastError = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            // Close-on-exec: programs the sync starts later (a publish command) must not inherit the connection.
            let descriptor = Glibc.socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), info.pointee.ai_protocol)
            if descriptor >= 0 {
                var one: Int32 = 1
                setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                if Glibc.connect(descriptor, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 {
                    _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
                    let socket = Socket(descriptor: descriptor)
                    self.socket = socket
                    guard let tls else { return .plain(socket) }
                    do {
                        let stream = try TLSStream.connect(socket, host: host, caFile: tls.caFile, deadline: Deadline.after(seconds: timeout))
                        self.stream = stream
                        return .tls(stream)
                    } catch {
                        drop()
                        throw error
                    }
                }
                lastError = String(cString: strerror(errno))
                close(descriptor)
            }
            entry = info.pointee.ai_next
        }
        throw TransportError(.unavailable, "cannot connect to the node at \(host):\(port): \(lastError)")
    }
}
