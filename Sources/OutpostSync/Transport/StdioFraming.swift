import Foundation
import OutpostModel

/// The framing of the protocol over a byte stream (SSH, `outpost node exchange`):
/// a header line of JSON, then exactly `length` bytes of body — like HTTP, minus HTTP.
///
///     request:  {"op":"push","token":"opt_…","length":123}\n<123 bytes>
///     response: {"status":200,"length":456}\n<456 bytes>
public enum StdioFraming {
    /// The longest header line accepted.
    public static let maximumHeaderBytes = 4096

    /// Reads exactly `count` bytes, or fewer at end of input.
    static func read(_ handle: FileHandle, count: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        while bytes.count < count {
            let chunk = handle.readData(ofLength: count - bytes.count)
            if chunk.isEmpty { break }
            bytes.append(contentsOf: chunk)
        }
        return bytes
    }

    /// Reads one header line; `nil` at a clean end of input.
    static func readHeader(_ handle: FileHandle) throws -> JSONValue? {
        var line: [UInt8] = []
        while true {
            let byte = handle.readData(ofLength: 1)
            if byte.isEmpty {
                if line.isEmpty { return nil }
                throw SyncError(.malformed, "the stream ended inside a header")
            }
            if byte[0] == 0x0A { break }
            line.append(byte[0])
            if line.count > maximumHeaderBytes { throw SyncError(.tooLarge, "header line longer than \(maximumHeaderBytes) bytes") }
        }
        do {
            return try JSONParser.parse(line)
        } catch {
            throw SyncError(.malformed, "the header line is not JSON: \(error.description)")
        }
    }

    static func write(_ handle: FileHandle, header: JSONValue, body: [UInt8]) {
        handle.write(Data((header.serialized + "\n").utf8) + Data(body))
    }

    /// Serves requests from `input` until it ends: `outpost node exchange DIR`, the far end of the ssh transport.
    public static func serve(node: Node, input: FileHandle, output: FileHandle, source: String) {
        let exchange = NodeExchange(node: node)
        while true {
            let header: JSONValue
            do {
                guard let next = try readHeader(input) else { return }
                header = next
            } catch let error as SyncError {
                let outcome = NodeExchange.failure(error, resellerId: nil)
                write(output, header: .object(["status": .integer(Int64(outcome.status)), "length": .integer(Int64(outcome.body.count))]), body: outcome.body)
                return
            } catch {
                return
            }
            guard let operation = header["op"]?.stringValue, let length = header["length"]?.integerValue,
                  (0...Int64(SyncProtocol.maximumRequestBytes)).contains(length) else {
                let outcome = NodeExchange.failure(SyncError(.malformed, "the header needs 'op' and a 'length' of at most \(SyncProtocol.maximumRequestBytes)"), resellerId: nil)
                write(output, header: .object(["status": .integer(Int64(outcome.status)), "length": .integer(Int64(outcome.body.count))]), body: outcome.body)
                return
            }
            let body = read(input, count: Int(length))
            guard body.count == Int(length) else { return }
            let outcome = exchange.handle(operation: operation, body: body, token: header["token"]?.stringValue, source: source)
            write(output, header: .object(["status": .integer(Int64(outcome.status)), "length": .integer(Int64(outcome.body.count))]), body: outcome.body)
        }
    }
}

/// `ssh://[user@]host/path`: runs `ssh host outpost node exchange /path` and speaks the framing over its stdin/stdout, like git.
public final class SSHTransport: WireTransport {
    public let destination: String
    public let path: String
    /// The ssh program and its options (`ssh -o BatchMode=yes`); tests put a local stand-in here.
    public let command: [String]
    let token: String?
    public private(set) var bytesReceived = 0
    private var process: Process?
    private var input: FileHandle?
    private var output: FileHandle?

    public init(destination: String, path: String, token: String?, command: [String] = ["ssh", "-o", "BatchMode=yes"]) {
        self.destination = destination
        self.path = path
        self.token = token
        self.command = command
    }

    deinit {
        try? input?.close()
        process?.waitUntilExit()
    }

    var location: String { "ssh://\(destination)\(path)" }

    private func start() throws {
        guard process == nil else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command + [destination, "outpost", "node", "exchange", path]
        let stdin = Pipe()
        let stdout = Pipe()
        // Our ends stay ours: a program started later (a publish command, a hook) must not inherit them and keep
        // ssh's input open. The child's own copies on 0 and 1 are made by dup2, which clears the flag.
        for handle in [stdin.fileHandleForReading, stdin.fileHandleForWriting, stdout.fileHandleForReading, stdout.fileHandleForWriting] {
            _ = fcntl(handle.fileDescriptor, F_SETFD, FD_CLOEXEC)
        }
        process.standardInput = stdin
        process.standardOutput = stdout
        do {
            try process.run()
        } catch {
            throw TransportError(.configuration, "cannot start \(command.first ?? "ssh"): \(error.localizedDescription)")
        }
        self.process = process
        self.input = stdin.fileHandleForWriting
        self.output = stdout.fileHandleForReading
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
            throw TransportError(.unavailable, "the ssh connection to \(destination) closed: \(error.localizedDescription)")
        }
        guard let answer = try StdioFraming.readHeader(output), let status = answer["status"]?.integerValue,
              let length = answer["length"]?.integerValue, (0...Int64(SyncProtocol.maximumPageBytes * 4)).contains(length) else {
            process?.waitUntilExit()
            let code = process?.terminationStatus ?? -1
            throw TransportError(code == 255 ? .unavailable : .configuration,
                                 "no answer over ssh from \(destination) (ssh exited with \(code)); is outpost installed there and \(path) a node?")
        }
        let response = StdioFraming.read(output, count: Int(length))
        guard response.count == Int(length) else { throw TransportError(.unavailable, "the ssh connection closed mid-answer") }
        bytesReceived += response.count
        return (Int(status), response)
    }
}
