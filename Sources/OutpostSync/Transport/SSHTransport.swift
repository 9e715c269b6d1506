import Foundation
#if canImport(Glibc)
import Glibc
#endif
import OutpostModel
import OutpostSystem

/// `ssh://[user@]host[:port]/path`: runs `ssh [-p port] host outpost node exchange '/path'` and speaks the
/// framing over its stdin/stdout, like git.
public final class SSHTransport: WireTransport {
    public let destination: String
    /// Given to ssh as `-p`; `nil`: ssh's own default (its config, else 22).
    public let port: Int?
    public let path: String
    /// The ssh program and its options (`ssh -o BatchMode=yes`); tests put a local stand-in here.
    public let command: [String]
    let token: String?
    public private(set) var bytesReceived = 0
    private var process: Process?
    private var input: FileHandle?
    private var output: FileHandle?
    /// ssh's standard error (its own messages and the remote command's), in an unlinked temporary file: read
    /// only when something fails, and a file never fills up and blocks ssh the way an unread pipe would.
    private var errors: UnsafeMutablePointer<FILE>?

    /// How much of the end of ssh's standard error a failure quotes.
    static let quotedErrorBytes = 2048

    public init(destination: String, port: Int? = nil, path: String, token: String?, command: [String] = ["ssh", "-o", "BatchMode=yes"]) {
        self.destination = destination
        self.port = port
        self.path = path
        self.token = token
        self.command = command
    }

    deinit {
        try? input?.close()
        process?.waitUntilExit()
        if let errors { fclose(errors) }
    }

    var location: String { NodeLocation.ssh(destination: destination, port: port, path: path).description }

    /// The command line the remote shell runs. ssh joins its arguments with spaces and hands the result to the
    /// user's shell on the host, so the path goes in POSIX single quotes: `;`, `$(…)` or a space in it stay
    /// part of the path.
    static func remoteCommand(path: String) -> String {
        "outpost node exchange " + shellQuoted(path)
    }

    /// `text` as one word for a POSIX shell: in single quotes, each `'` written as `'\''`.
    static func shellQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }

    /// The arguments after the ssh program and its options.
    var arguments: [String] {
        (port.map { ["-p", String($0)] } ?? []) + [destination, Self.remoteCommand(path: path)]
    }

    private func start() throws {
        guard process == nil else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command + arguments
        let stdin = Pipe()
        let stdout = Pipe()
        // Our ends stay ours: a program started later (a publish command, a hook) must not inherit them and keep
        // ssh's input open. The child's own copies on 0 and 1 are made by dup2, which clears the flag.
        for handle in [stdin.fileHandleForReading, stdin.fileHandleForWriting, stdout.fileHandleForReading, stdout.fileHandleForWriting] {
            _ = fcntl(handle.fileDescriptor, F_SETFD, FD_CLOEXEC)
        }
        process.standardInput = stdin
        process.standardOutput = stdout
        if errors == nil, let file = tmpfile() {
            _ = fcntl(fileno(file), F_SETFD, FD_CLOEXEC)
            errors = file
        }
        if let errors { process.standardError = FileHandle(fileDescriptor: fileno(errors), closeOnDealloc: false) }
        do {
            try process.run()
        } catch {
            throw TransportError(.configuration, "cannot start \(command.first ?? "ssh"): \(error.localizedDescription)")
        }
        self.process = process
        self.input = stdin.fileHandleForWriting
        self.output = stdout.fileHandleForReading
    }

    /// The end of what ssh wrote on standard error, printable; empty when it wrote nothing.
    func errorText() -> String {
        guard let errors else { return "" }
        let descriptor = fileno(errors)
        let size = lseek(descriptor, 0, SEEK_END)
        guard size > 0 else { return "" }
        let start = max(0, Int(size) - Self.quotedErrorBytes)
        var bytes = [UInt8](repeating: 0, count: Int(size) - start)
        let count = pread(descriptor, &bytes, bytes.count, off_t(start))
        return HookProcess.printable(String(decoding: bytes.prefix(max(0, count)), as: UTF8.self))
    }

    /// Why the connection gave no answer, from ssh's exit status and its own words.
    func failure() -> TransportError {
        try? input?.close()
        process?.waitUntilExit()
        let code = process?.terminationStatus ?? -1
        let said = errorText()
        let detail = said.isEmpty ? "" : ": \(said)"
        let target = "ssh to \(destination)\(port.map { " port \($0)" } ?? "")"
        // ssh exits 255 for its own failures; anything else is the remote command's status.
        if code == 255 {
            // A refused key or password stays refused: waiting until --timeout would not help.
            if said.contains("Permission denied") {
                return TransportError(.notAllowed, "\(target) was refused (exit 255)\(detail)")
            }
            if said.contains("Host key verification failed") || said.contains("REMOTE HOST IDENTIFICATION HAS CHANGED") {
                return TransportError(.configuration, "\(target): the host key is not trusted (exit 255)\(detail)")
            }
            return TransportError(.unavailable, "\(target) failed (exit 255)\(detail)")
        }
        return TransportError(.configuration, "no answer over ssh from \(destination) (exit \(code))\(detail); is outpost installed there and \(path) a node?")
    }

    func send(_ operation: NodeExchange.Operation, _ body: JSONValue) throws -> (Int, [UInt8]) {
        try start()
        guard let input, let output else { throw TransportError(.unavailable, "ssh is not running") }
        let bytes = Array(body.serialized.utf8)
        var header: [String: JSONValue] = ["op": .string(operation.rawValue), "length": .integer(Int64(bytes.count))]
        if let token { header["token"] = .string(token) }
        do {
            try input.write(contentsOf: Data((JSONValue.object(header).serialized + "\n").utf8) + Data(bytes))
        } catch {
            throw failure()
        }
        guard let answer = try StdioFraming.readHeader(output), let status = answer["status"]?.integerValue,
              let length = answer["length"]?.integerValue, (0...Int64(SyncProtocol.maximumPageBytes * 4)).contains(length) else {
            throw failure()
        }
        let response = StdioFraming.read(output, count: Int(length))
        guard response.count == Int(length) else { throw TransportError(.unavailable, "the ssh connection closed mid-answer") }
        bytesReceived += response.count
        return (Int(status), response)
    }
}
