import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A point on the monotonic clock by which a socket operation must be done.
struct Deadline: Sendable, Comparable {
    let uptimeNanoseconds: UInt64

    static func now() -> Deadline { Deadline(uptimeNanoseconds: DispatchTime.now().uptimeNanoseconds) }

    static func after(seconds: Double) -> Deadline {
        let nanoseconds = UInt64(max(0, min(seconds, 86_400)) * 1_000_000_000)
        return Deadline(uptimeNanoseconds: DispatchTime.now().uptimeNanoseconds + nanoseconds)
    }

    /// Milliseconds left, rounded up so a poll never wakes just before the deadline; 0 once it has passed.
    var remainingMilliseconds: Int32 {
        let now = DispatchTime.now().uptimeNanoseconds
        guard uptimeNanoseconds > now else { return 0 }
        return Int32(min((uptimeNanoseconds - now + 999_999) / 1_000_000, UInt64(Int32.max)))
    }

    /// Seconds elapsed since this point.
    var elapsedSeconds: Double {
        Double(DispatchTime.now().uptimeNanoseconds &- uptimeNanoseconds) / 1_000_000_000
    }

    static func < (lhs: Deadline, rhs: Deadline) -> Bool { lhs.uptimeNanoseconds < rhs.uptimeNanoseconds }
}

/// A non-blocking socket descriptor and the few POSIX calls the server makes on it.
///
/// Every wait is a `poll(2)` bounded by a deadline, so a client that stops
/// sending or reading only ever holds its own connection, and only until then.
struct Socket: Sendable {
    let descriptor: Int32

    /// What a read came back with.
    enum ReadResult: Equatable {
        /// This many bytes were appended.
        case bytes(Int)
        /// The peer closed its side (or reset the connection).
        case closed
        /// Nothing arrived before the deadline.
        case timedOut
        /// The server began shutting down while nothing had arrived.
        case woken
    }

    /// Appends what is available (at most `limit` bytes) to `buffer`, waiting until `deadline`.
    /// When `wake` becomes readable before any data, returns `.woken`.
    func read(into buffer: inout [UInt8], limit: Int = 64 * 1024, deadline: Deadline, wake: Int32? = nil) -> ReadResult {
        precondition(limit > 0)
        while true {
            let start = buffer.count
            buffer.append(contentsOf: repeatElement(0, count: limit))
            let count = buffer.withUnsafeMutableBytes { raw in
                recv(descriptor, raw.baseAddress! + start, limit, 0)
            }
            let error = errno
            buffer.removeLast(limit - max(count, 0))
            if count > 0 { return .bytes(count) }
            if count == 0 { return .closed }
            switch error {
            case EINTR:
                continue
            case EAGAIN, EWOULDBLOCK:
                switch wait(for: Int16(POLLIN), deadline: deadline, wake: wake) {
                case .ready: continue
                case .timedOut: return .timedOut
                case .woken: return .woken
                }
            default:
                return .closed
            }
        }
    }

    /// Writes all of `bytes` before `deadline`; `false` when the peer went away or stopped reading.
    func write(_ bytes: [UInt8], deadline: Deadline) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { raw in
                send(descriptor, raw.baseAddress! + offset, raw.count - offset, Socket.sendFlags)
            }
            if count > 0 {
                offset += count
                continue
            }
            let error = errno
            guard count < 0, error == EINTR || error == EAGAIN || error == EWOULDBLOCK else { return false }
            if error != EINTR, wait(for: Int16(POLLOUT), deadline: deadline, wake: nil) != .ready { return false }
        }
        return true
    }

    /// Linux: no SIGPIPE for a peer that has gone (the server also ignores the signal, for macOS).
    #if os(Linux)
    static let sendFlags = Int32(MSG_NOSIGNAL)
    #else
    static let sendFlags: Int32 = 0
    #endif

    enum WaitResult { case ready, timedOut, woken }

    /// Polls for `events` until `deadline`; readiness of the socket wins over `wake`.
    func wait(for events: Int16, deadline: Deadline, wake: Int32?) -> WaitResult {
        var fds = [pollfd(fd: descriptor, events: events, revents: 0)]
        if let wake { fds.append(pollfd(fd: wake, events: Int16(POLLIN), revents: 0)) }
        while true {
            let timeout = deadline.remainingMilliseconds
            if timeout == 0 { return .timedOut }
            let ready = poll(&fds, nfds_t(fds.count), timeout)
            if ready < 0 {
                if errno == EINTR { continue }
                return .timedOut
            }
            if ready == 0 { continue }  // re-checks the deadline: poll may return early
            if fds[0].revents != 0 { return .ready }  // including POLLHUP/POLLERR: the next call reports them
            if fds.count > 1, fds[1].revents != 0 { return .woken }
        }
    }

    /// Stops sending, then reads and discards what the peer still sends (a bounded amount, briefly) before closing,
    /// so that unread request bytes do not turn the close into a reset that destroys the error response just sent.
    func closeAfterDraining(seconds: Double = 1, limit: Int = 256 * 1024) {
        _ = shutdown(descriptor, Int32(SHUT_WR))
        let deadline = Deadline.after(seconds: seconds)
        var discarded = 0
        var scratch: [UInt8] = []
        scratch.reserveCapacity(16 * 1024)
        while discarded < limit {
            scratch.removeAll(keepingCapacity: true)
            guard case .bytes(let count) = read(into: &scratch, limit: 16 * 1024, deadline: deadline) else { break }
            discarded += count
        }
        close()
    }

    func close() {
        _ = systemClose(descriptor)
    }

    /// Sets `O_NONBLOCK` and `FD_CLOEXEC`.
    static func configure(_ descriptor: Int32) {
        let flags = fcntl(descriptor, F_GETFL, 0)
        _ = fcntl(descriptor, F_SETFL, flags | O_NONBLOCK)
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
    }

    /// The numeric host of a socket address (`127.0.0.1`, `::1`).
    static func numericHost(_ address: UnsafePointer<sockaddr>, length: socklen_t) -> String {
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        guard getnameinfo(address, length, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0 else { return "-" }
        return String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// `close(2)`, under a name that does not collide with `Socket.close()`.
func systemClose(_ descriptor: Int32) -> Int32 {
    #if canImport(Glibc)
    Glibc.close(descriptor)
    #else
    Darwin.close(descriptor)
    #endif
}
