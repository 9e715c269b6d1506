import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Drives Debian's headless Chromium over the DevTools protocol, for browser tests.
///
/// Chromium is started with `--remote-debugging-pipe`: it reads commands on
/// its fd 3 and writes replies and events on its fd 4, each message one JSON
/// object ended by a NUL byte (no WebSocket, no port). One page is opened and
/// attached in flat mode, so every command after that carries its
/// `sessionId`. Calls are synchronous: a command is written, then messages
/// are read (events kept in `events`) until its reply comes, with a time limit.
public final class HeadlessChromium {
    /// The Chromium to run: `OUTPOST_CHROMIUM`, else `chromium` or `chromium-browser` in /usr/bin; nil when there is none.
    public static let executable: String? = {
        var candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        if let override = ProcessInfo.processInfo.environment["OUTPOST_CHROMIUM"] { candidates.insert(override, at: 0) }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// What went wrong talking to the browser.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    /// Every event received so far, oldest first (`method`, `params`).
    public private(set) var events: [(method: String, params: [String: Any])] = []

    private let pid: pid_t
    private let toBrowser: Int32
    private let fromBrowser: Int32
    private let profile: URL
    private var buffer: [UInt8] = []
    private var nextId = 1
    private var session: String?
    private var closed = false

    /// Starts Chromium with a fresh profile and opens a blank page.
    public init(executable: String = HeadlessChromium.executable ?? "/usr/bin/chromium") throws {
        profile = FileManager.default.temporaryDirectory.appendingPathComponent("outpost-chromium-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
        var commands: [Int32] = [0, 0], replies: [Int32] = [0, 0]
        guard pipe(&commands) == 0, pipe(&replies) == 0 else { throw Failure("pipe failed: errno \(errno)") }
        let arguments = [executable, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                         "--no-default-browser-check", "--disable-extensions", "--disable-background-networking", "--mute-audio",
                         "--remote-debugging-pipe", "--user-data-dir=" + profile.path, "--window-size=1280,900", "about:blank"]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // The child reads commands on fd 3 and writes on fd 4; its stdio goes nowhere (Chromium is chatty on stderr).
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, commands[0], 3)
        posix_spawn_file_actions_adddup2(&actions, replies[1], 4)
        for fd in [commands[0], commands[1], replies[0], replies[1]] where fd > 4 { posix_spawn_file_actions_addclose(&actions, fd) }
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, executable, &actions, nil, &argv, environ)
        Glibc.close(commands[0])
        Glibc.close(replies[1])
        guard status == 0 else {
            Glibc.close(commands[1]); Glibc.close(replies[0])
            throw Failure("could not start \(executable): \(String(cString: strerror(status)))")
        }
        pid = child
        toBrowser = commands[1]
        fromBrowser = replies[0]
        // Writing to a browser that died must fail with EPIPE, not kill the test process.
        signal(SIGPIPE, SIG_IGN)
        do {
            let target = try send("Target.createTarget", ["url": "about:blank"], inSession: false)
            guard let targetId = target["targetId"] as? String else { throw Failure("no targetId in \(target)") }
            let attached = try send("Target.attachToTarget", ["targetId": targetId, "flatten": true], inSession: false)
            guard let sessionId = attached["sessionId"] as? String else { throw Failure("no sessionId in \(attached)") }
            session = sessionId
            for domain in ["Page", "Runtime", "Log"] { _ = try send(domain + ".enable") }
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    /// Sends a command and returns its result; a protocol error is thrown.
    @discardableResult
    public func send(_ method: String, _ params: [String: Any] = [:], inSession: Bool = true, timeLimit: TimeInterval = 60) throws -> [String: Any] {
        let id = nextId
        nextId += 1
        var message: [String: Any] = ["id": id, "method": method, "params": params]
        if inSession, let session { message["sessionId"] = session }
        var bytes = [UInt8](try JSONSerialization.data(withJSONObject: message))
        bytes.append(0)
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { write(toBrowser, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw Failure("the browser stopped reading (\(method)): errno \(errno)") }
            written += count
        }
        let deadline = Date().addingTimeInterval(timeLimit)
        while true {
            let reply = try nextMessage(until: deadline, waitingFor: method)
            guard (reply["id"] as? Int) == id else { continue }
            if let error = reply["error"] as? [String: Any] { throw Failure("\(method): \(error["message"] ?? error)") }
            return reply["result"] as? [String: Any] ?? [:]
        }
    }

    /// Reads until an event `method` arrives after `index` in `events` (0: any so far), and returns its params.
    @discardableResult
    public func waitForEvent(_ method: String, after index: Int = 0, timeLimit: TimeInterval = 60) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeLimit)
        var seen = index
        while true {
            while seen < events.count {
                if events[seen].method == method { return events[seen].params }
                seen += 1
            }
            _ = try nextMessage(until: deadline, waitingFor: method)
        }
    }

    /// Opens `url` and waits for its load event.
    public func open(_ url: URL) throws {
        let mark = events.count
        let result = try send("Page.navigate", ["url": url.absoluteString])
        if let error = result["errorText"] as? String { throw Failure("could not open \(url): \(error)") }
        try waitForEvent("Page.loadEventFired", after: mark)
    }

    /// Runs `expression` in the page (awaiting a promise) and returns its value as JSON would have it.
    @discardableResult
    public func evaluate(_ expression: String, timeLimit: TimeInterval = 60) throws -> Any? {
        let result = try send("Runtime.evaluate", ["expression": expression, "awaitPromise": true, "returnByValue": true], timeLimit: timeLimit)
        if let details = result["exceptionDetails"] as? [String: Any] {
            let exception = (details["exception"] as? [String: Any])?["description"] ?? details["text"] ?? details
            throw Failure("the page threw: \(exception)")
        }
        return (result["result"] as? [String: Any])?["value"]
    }

    /// Waits until `expression` is true in the page, evaluating it every 50 ms.
    public func waitUntil(_ expression: String, timeLimit: TimeInterval = 20) throws {
        let deadline = Date().addingTimeInterval(timeLimit)
        while Date() < deadline {
            if try evaluate("!!(" + expression + ")") as? Bool == true { return }
            usleep(50_000)
        }
        throw Failure("timed out waiting for \(expression)")
    }

    /// Sends a key press (`ArrowDown`, `Enter`…) to the focused element.
    public func press(_ key: String) throws {
        let codes: [String: Int] = ["ArrowDown": 40, "ArrowUp": 38, "Enter": 13, "Escape": 27, "Tab": 9]
        var params: [String: Any] = ["key": key, "code": key, "windowsVirtualKeyCode": codes[key] ?? 0]
        if key == "Enter" { params["text"] = "\r" }
        params["type"] = "keyDown"
        try send("Input.dispatchKeyEvent", params)
        params["type"] = "keyUp"
        params["text"] = nil
        try send("Input.dispatchKeyEvent", params)
    }

    /// Uncaught exceptions, console errors and error log entries since event `index`, as text.
    public func errors(after index: Int = 0) -> [String] {
        events[index...].compactMap { event -> String? in
            switch event.method {
            case "Runtime.exceptionThrown":
                let details = event.params["exceptionDetails"] as? [String: Any] ?? [:]
                return "exception: \((details["exception"] as? [String: Any])?["description"] ?? details["text"] ?? "")"
            case "Runtime.consoleAPICalled" where (event.params["type"] as? String) == "error":
                let args = (event.params["args"] as? [[String: Any]] ?? []).map { "\($0["value"] ?? $0["description"] ?? "")" }
                return "console.error: " + args.joined(separator: " ")
            case "Log.entryAdded":
                let entry = event.params["entry"] as? [String: Any] ?? [:]
                guard (entry["level"] as? String) == "error" else { return nil }
                return "log: \(entry["text"] ?? "") \(entry["url"] ?? "")"
            default:
                return nil
            }
        }
    }

    /// Closes the browser and removes its profile.
    public func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(toBrowser)  // Chromium exits when its command pipe closes.
        Glibc.close(fromBrowser)
        var status: Int32 = 0
        for _ in 0..<100 {
            if waitpid(pid, &status, WNOHANG) != 0 { try? FileManager.default.removeItem(at: profile); return }
            usleep(50_000)
        }
        kill(pid, SIGKILL)
        waitpid(pid, &status, 0)
        try? FileManager.default.removeItem(at: profile)
    }

    /// The next whole message; events are kept in `events` as they pass.
    private func nextMessage(until deadline: Date, waitingFor method: String) throws -> [String: Any] {
        while true {
            if let end = buffer.firstIndex(of: 0) {
                let data = Data(buffer[..<end])
                buffer.removeSubrange(...end)
                guard let message = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { continue }
                if let event = message["method"] as? String {
                    events.append((event, message["params"] as? [String: Any] ?? [:]))
                }
                return message
            }
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { throw Failure("no answer from the browser in time (waiting for \(method))") }
            var poller = pollfd(fd: fromBrowser, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(min(left, 1) * 1000) + 1)
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            let count = chunk.withUnsafeMutableBytes { read(fromBrowser, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw Failure("the browser closed its pipe (waiting for \(method))") }
            buffer.append(contentsOf: chunk[..<count])
        }
    }
}
