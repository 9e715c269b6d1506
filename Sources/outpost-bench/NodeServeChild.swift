import Foundation
import OutpostModel
import OutpostSync
#if canImport(Glibc)
import Glibc
#endif

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
