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
