import Foundation
import Testing
import OutpostTestSupport
import OutpostTestThreads

/// The deployment examples in sync/deploy are real: systemd accepts the units.
@Suite("Deployment examples", .ownThreads)
struct DeployExamplesTests {
    static let deploy = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("sync/deploy")
    static let analyzer = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(.enabled(if: analyzer != nil, "systemd-analyze is not installed here; the units are not verified"))
    func systemdVerifiesTheUnits() throws {
        let binary = try #require(OutpostBinary.url, "the outpost binary is built")
        let dir = try TemporaryDirectory("outpost-units")
        let units = ["outpost-node.service", "outpost-sync.service", "outpost-sync.timer", "outpost-notify.service", "outpost-notify.timer"]
        for unit in units {
            // verify checks that ExecStart's program exists: point it at the built binary.
            let text = try String(contentsOf: Self.deploy.appendingPathComponent(unit), encoding: .utf8)
            #expect(text.contains("/usr/local/bin/outpost") || unit.hasSuffix(".timer"))
            try text.replacingOccurrences(of: "/usr/local/bin/outpost", with: binary.path)
                .write(toFile: dir.path(unit), atomically: false, encoding: .utf8)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.analyzer!)
        process.arguments = ["verify"] + units
        process.currentDirectoryURL = dir.url
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try ProcessLauncher.run(process)
        let complaints = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(complaints)")
        #expect(!complaints.contains("Unknown"), "\(complaints)")
    }

    @Test func theCommandLinesInTheExamplesParse() throws {
        // Every outpost command line in the examples is one the parser accepts.
        let scratch = try TemporaryDirectory("outpost-help")
        for file in ["outpost-node.service", "outpost-sync.service", "outpost-notify.service", "crontab.txt"] {
            let text = try String(contentsOf: Self.deploy.appendingPathComponent(file), encoding: .utf8)
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                guard let start = line.range(of: "/usr/local/bin/outpost ") else { continue }
                let words = line[start.upperBound...].split(separator: " ").map { String($0).replacingOccurrences(of: "\"", with: "") }
                let result = try OutpostBinary.run(words + ["--help"], in: scratch.url)
                #expect(result.status == 0, "\(file): outpost \(words.joined(separator: " ")): \(result.stderr)")
            }
        }
    }
}
