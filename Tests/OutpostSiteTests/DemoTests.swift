import Foundation
import Testing
import OutpostTestSupport
import OutpostTestThreads

/// `outpost demo`, the README's first command, run as a user would; its site passes the link check.
@Suite("outpost demo", .ownThreads)
struct DemoTests {
    @Test(.timeLimit(.minutes(20)))
    func theDemoBuildsEverythingAndItsSiteHoldsTogether() throws {
        try #require(OutpostBinary.url != nil, "the outpost binary is built")
        let dir = try TemporaryDirectory("outpost-demo")
        let target = dir.url.appendingPathComponent("demo")
        for run in 1...2 {
            // The second run replaces the first one's directory cleanly.
            let result = try OutpostBinary.run(["demo", target.path], environment: ["OUTPOST_NOW": "2026-03-02T09:00:00Z"], in: dir.url)
            #expect(result.status == 0, "run \(run): \(result.stderr)")
            #expect(result.stdout.contains("✓ sync: Ben's order is refused, Anna's later phone edit is kept and Ben is told"))
            #expect(result.stdout.contains("Dashboards: \(target.path)/anna/site/index.html"))
        }
        let site = target.appendingPathComponent("anna/site")
        let files = try siteFiles(site)
        let pages = files.keys.filter { $0.hasSuffix(".html") }.sorted()
        #expect(pages.contains("index.html"))
        try checkEveryPage(of: site, files: files, pages: pages)
        // The story is in the data: a refusal on Ben's replica, a conflict everywhere, invoices from provisioning.
        let rejected = try OutpostBinary.run(["queue", "rejected", "--replica", target.appendingPathComponent("ben").path, "--json"], in: dir.url)
        #expect(rejected.stdout.contains("is suspended"))
        let conflicts = try OutpostBinary.run(["conflicts", "--replica", target.appendingPathComponent("anna").path, "--json"], in: dir.url)
        #expect(conflicts.stdout.contains("\"field\" : \"phone\""))
        let invoices = try OutpostBinary.run(["invoice", "list", "--replica", target.appendingPathComponent("anna").path, "--json"], in: dir.url)
        #expect(invoices.stdout.contains("INV-000001"))
    }

    @Test func theDemoNeverTouchesADirectoryThatIsNotADemo() throws {
        let dir = try TemporaryDirectory("outpost-demo")
        try "keep me\n".write(toFile: dir.path("precious.txt"), atomically: false, encoding: .utf8)
        let result = try OutpostBinary.run(["demo", dir.url.path], in: dir.url)
        #expect(result.status == 73)
        #expect(FileManager.default.fileExists(atPath: dir.path("precious.txt")))
    }
}

/// One binary is all a user copies: the theme and the catalog are inside it.
@Suite("outpost alone", .ownThreads)
struct BinaryAloneTests {
    /// The release build, when there is one: `.ci/run` builds it before the tests.
    static let release: URL? = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let url = root.appendingPathComponent(".build/release/outpost")
        return FileManager.default.isExecutableFile(atPath: url.path) ? url : nil
    }()

    @Test(.timeLimit(.minutes(20)))
    func theBinaryCopiedAloneToAnEmptyDirectoryRunsTheDemo() throws {
        try runsTheDemoAlone(try #require(OutpostBinary.url, "the outpost binary is built"))
    }

    @Test("the release binary, copied alone to an empty directory, runs the demo",
          .enabled(if: release != nil, "no release build here: `swift build -c release --product outpost` makes one (.ci/run does)"),
          .timeLimit(.minutes(20)))
    func theReleaseBinaryCopiedAloneRunsTheDemo() throws {
        try runsTheDemoAlone(try #require(Self.release))
    }

    private func runsTheDemoAlone(_ built: URL) throws {
        let dir = try TemporaryDirectory("outpost-alone")
        let copy = dir.url.appendingPathComponent("outpost")
        try FileManager.default.copyItem(at: built, to: copy)
        // Run from the empty directory, far from the source tree (no fixtures/, no site/ to find).
        let process = Process()
        process.executableURL = copy
        process.arguments = ["demo"]
        process.currentDirectoryURL = dir.url
        process.environment = OutpostBinary.environment(["OUTPOST_NOW": "2026-03-02T09:00:00Z"])
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try ProcessLauncher.run(process)
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
        let index = dir.url.appendingPathComponent("outpost-demo/anna/site/index.html")
        #expect(FileManager.default.fileExists(atPath: index.path))
        #expect(FileManager.default.fileExists(atPath: dir.url.appendingPathComponent("outpost-demo/anna/site/assets/outpost.css").path), "the theme came from inside the binary")
        #expect(text.contains("Dashboards: "))
    }
}
