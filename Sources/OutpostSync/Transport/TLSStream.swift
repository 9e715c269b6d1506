import COpenSSL
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// TLS over a connected non-blocking socket, with OpenSSL: the client side of an `https://` node.
///
/// The peer's certificate must chain to the trusted certificates — the file given with `--ca-file`
/// (`OUTPOST_CA_FILE`), else OpenSSL's default store, which honours `SSL_CERT_FILE` and `SSL_CERT_DIR` — and
/// name the host. Every wait is a `poll(2)` bounded by the request's deadline, as for plain HTTP.
final class TLSStream {
    let socket: Socket
    private let context: OpaquePointer
    private let ssl: OpaquePointer

    private init(socket: Socket, context: OpaquePointer, ssl: OpaquePointer) {
        self.socket = socket
        self.context = context
        self.ssl = ssl
    }

    deinit {
        SSL_free(ssl)
        SSL_CTX_free(context)
    }

    /// Shakes hands over `socket` with the node at `host`; a certificate that is not trusted is `.notAllowed`,
    /// naming the host and OpenSSL's reason.
    static func connect(_ socket: Socket, host: String, caFile: String?, deadline: Deadline) throws -> TLSStream {
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw TransportError(.configuration, "cannot set up TLS: \(lastError())") }
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        if let caFile {
            guard SSL_CTX_load_verify_locations(context, caFile, nil) == 1 else {
                SSL_CTX_free(context)
                throw TransportError(.configuration, "cannot read the CA file \(caFile): \(lastError())")
            }
        } else {
            SSL_CTX_set_default_verify_paths(context)
        }
        guard let ssl = SSL_new(context) else {
            SSL_CTX_free(context)
            throw TransportError(.configuration, "cannot set up TLS: \(lastError())")
        }
        let stream = TLSStream(socket: socket, context: context, ssl: ssl)
        SSL_set_fd(ssl, socket.descriptor)
        // The certificate must name the host: an IP address as an IP, a name as a DNS name (and sent as SNI).
        if isAddress(host) {
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host)
        } else {
            _ = copenssl_set_server_name(ssl, host)
            SSL_set1_host(ssl, host)
        }
        while true {
            ERR_clear_error()
            let result = SSL_connect(ssl)
            if result == 1 { return stream }
            let error = SSL_get_error(ssl, result)
            if error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE {
                let events = Int16(error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT)
                guard socket.wait(for: events, deadline: deadline, wake: nil) == .ready else {
                    throw TransportError(.unavailable, "the TLS handshake with \(host) did not finish in time")
                }
                continue
            }
            let verdict = SSL_get_verify_result(ssl)
            if verdict != X509_V_OK {
                let reason = String(cString: X509_verify_cert_error_string(verdict))
                throw TransportError(.notAllowed, "the TLS certificate of \(host) is not trusted: \(reason)"
                                     + (caFile == nil ? "; if the node's certificate comes from a private CA, give it with --ca-file FILE (or OUTPOST_CA_FILE)" : " (CA file \(caFile!))"))
            }
            let detail = lastError()
            // A protocol error (plain HTTP on that port, no common cipher) stays so: waiting will not help.
            // A closed or reset connection may be a proxy restarting: try again later.
            guard error == SSL_ERROR_SSL else {
                throw TransportError(.unavailable, "the TLS handshake with \(host) failed: \(detail.isEmpty ? "the connection closed" : detail)")
            }
            throw TransportError(.configuration, "the TLS handshake with \(host) failed: \(detail); is it an https:// node on that port?")
        }
    }

    /// Appends what arrives (at most `limit` bytes) to `buffer`, waiting until `deadline`.
    func read(into buffer: inout [UInt8], limit: Int = 64 * 1024, deadline: Deadline) -> Socket.ReadResult {
        while true {
            let start = buffer.count
            buffer.append(contentsOf: repeatElement(0, count: limit))
            ERR_clear_error()
            let count = buffer.withUnsafeMutableBytes { raw in SSL_read(ssl, raw.baseAddress! + start, Int32(limit)) }
            buffer.removeLast(limit - Int(max(count, 0)))
            if count > 0 { return .bytes(Int(count)) }
            let error = SSL_get_error(ssl, count)
            guard error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE else { return .closed }
            switch socket.wait(for: Int16(error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT), deadline: deadline, wake: nil) {
            case .ready: continue
            case .timedOut: return .timedOut
            case .woken: return .woken
            }
        }
    }

    /// Writes all of `bytes` before `deadline`; `false` when the peer went away or stopped reading.
    func write(_ bytes: [UInt8], deadline: Deadline) -> Bool {
        var offset = 0
        while offset < bytes.count {
            ERR_clear_error()
            let count = bytes.withUnsafeBytes { raw in SSL_write(ssl, raw.baseAddress! + offset, Int32(raw.count - offset)) }
            if count > 0 {
                offset += Int(count)
                continue
            }
            let error = SSL_get_error(ssl, count)
            guard error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE,
                  socket.wait(for: Int16(error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT), deadline: deadline, wake: nil) == .ready else { return false }
        }
        return true
    }

    /// Whether `host` is a literal IPv4 or IPv6 address.
    static func isAddress(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    /// OpenSSL's latest error as text; empty when there is none.
    static func lastError() -> String {
        let code = ERR_get_error()
        guard code != 0 else { return "" }
        var text = [CChar](repeating: 0, count: 256)
        text.withUnsafeMutableBufferPointer { ERR_error_string_n(code, $0.baseAddress, $0.count) }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
