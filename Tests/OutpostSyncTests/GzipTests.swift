import Foundation
import Testing
@testable import OutpostSync
import OutpostTestSupport
import OutpostSystem
import OutpostTestThreads

/// `Gzip` through the system's zlib: round trips, gzip(1) reads what it writes and the other way round, damaged
/// input is an error, and a bomb stops at the bound instead of being inflated.
@Suite("gzip: round trip, damage, bomb", .ownThreads, .timeLimit(.minutes(20)))
struct GzipTests {
    /// Sync-like JSON: many similar rows, as a pull page holds.
    static let page: [UInt8] = {
        var text = #"{"protocol":1,"changes":["#
        for index in 0..<3_000 {
            if index > 0 { text += "," }
            text += #"{"entity":"customer","id":"cus_\#(index)","op":"upsert","row":{"name":"Customer \#(index) GmbH","city":"Berlin","email":"it\#(index)@example.com"}}"#
        }
        return Array((text + "]}").utf8)
    }()

    @Test("a page of JSON round-trips and shrinks; so do bytes that do not compress")
    func roundTrip() throws {
        let packed = Gzip.compress(Self.page)
        #expect(packed.count * 4 < Self.page.count, "JSON rows shrink at least four-fold: \(Self.page.count) → \(packed.count)")
        #expect(Array(packed.prefix(2)) == [0x1F, 0x8B], "a gzip member starts with its magic number")
        #expect(try Gzip.decompress(packed, limit: Self.page.count) == Self.page, "exactly at the bound is allowed")

        var generator = SystemRandomNumberGenerator()
        let noise = (0..<100_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        #expect(try Gzip.decompress(Gzip.compress(noise), limit: 1 << 20) == noise)
    }

    @Test("empty input: compressed it is a valid empty member; an empty body is not gzip at all")
    func emptyInput() throws {
        let packed = Gzip.compress([])
        #expect(!packed.isEmpty)
        #expect(try Gzip.decompress(packed, limit: 0) == [])
        #expect(throws: Gzip.Failure.truncated) { try Gzip.decompress([], limit: 100) }
    }

    @Test("gzip(1) reads what Gzip writes, and Gzip reads what gzip(1) writes, several members included")
    func interoperatesWithGzipTool() throws {
        let tool = try #require(["/usr/bin/gzip", "/bin/gzip"].first { FileManager.default.isExecutableFile(atPath: $0) }, "gzip(1) is installed")
        func gzip(_ arguments: [String], _ input: [UInt8]) throws -> [UInt8] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = arguments
            let stdin = Pipe()
            let stdout = Pipe()
            process.standardInput = stdin
            process.standardOutput = stdout
            try ProcessLauncher.run(process)
            // Written on another thread, so neither pipe can fill up while the other waits.
            let writer = Thread { stdin.fileHandleForWriting.write(Data(input)); try? stdin.fileHandleForWriting.close() }
            writer.start()
            let output = stdout.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "gzip \(arguments)")
            return Array(output)
        }
        #expect(try gzip(["-dc"], Gzip.compress(Self.page)) == Self.page)
        let first = Array(Self.page.prefix(5_000))
        let second = Array(Self.page.dropFirst(5_000))
        let members = try gzip(["-c", "-9"], first) + (try gzip(["-c", "-1"], second))
        #expect(try Gzip.decompress(members, limit: Self.page.count) == Self.page)
    }

    @Test("truncated, damaged, trailing garbage and not gzip at all: errors that say so")
    func damagedInput() throws {
        let packed = Gzip.compress(Self.page)
        #expect(throws: Gzip.Failure.truncated) { try Gzip.decompress(Array(packed.dropLast(4)), limit: 1 << 24) }
        #expect(throws: Gzip.Failure.truncated) { try Gzip.decompress(Array(packed.prefix(packed.count / 2)), limit: 1 << 24) }
        #expect(throws: Gzip.Failure.truncated) { try Gzip.decompress(Array(packed.prefix(5)), limit: 1 << 24) }

        var damaged = packed
        damaged[packed.count / 2] ^= 0xFF
        let failure = #expect(throws: Gzip.Failure.self) { try Gzip.decompress(damaged, limit: 1 << 24) }
        if case .corrupt(let message)? = failure { #expect(!message.isEmpty) } else { Issue.record("a flipped byte is .corrupt, got \(String(describing: failure))") }

        var checksum = packed
        checksum[packed.count - 6] ^= 0x01  // inside the CRC-32 of the trailer
        #expect(throws: Gzip.Failure.corrupt("incorrect data check")) { try Gzip.decompress(checksum, limit: 1 << 24) }

        let notGzip = #expect(throws: Gzip.Failure.self) { try Gzip.decompress(Array(#"{"protocol":1}"#.utf8), limit: 1 << 24) }
        #expect(notGzip?.description.contains("not gzip") == true, "\(String(describing: notGzip))")
        #expect(throws: Gzip.Failure.self) { try Gzip.decompress(packed + Array("garbage".utf8), limit: 1 << 24) }
    }

    @Test("a bomb (1 GiB of zeros in about 1 MB) is refused at the transport's bound without inflating it")
    func bombStopsAtTheBound() throws {
        // 1,024 members of 1 MiB of zeros each: about 1 MB that inflates to 1 GiB (RFC 1952 allows members one
        // after another, and gunzip reads them all).
        let member = Gzip.compress([UInt8](repeating: 0, count: 1 << 20), level: 9)  // as a bomb maker would
        var bomb: [UInt8] = []
        bomb.reserveCapacity(member.count * 1_024)
        for _ in 0..<1_024 { bomb += member }
        #expect(bomb.count < 2 << 20, "the bomb is small: \(bomb.count) bytes")

        let limit = PlainHTTPClient.maximumAnswerBytes
        let before = Self.peakResidentBytes()
        #expect(throws: Gzip.Failure.tooLarge(limit: limit)) { try Gzip.decompress(bomb, limit: limit) }
        let grew = Self.peakResidentBytes() - before
        // At most the bound (32 MiB) and the copies made while its room doubles; never the gigabyte.
        #expect(grew < 256 << 20, "the peak resident size grew by \(grew >> 20) MiB")
        #expect(Gzip.Failure.tooLarge(limit: limit).description.contains("more than \(limit) bytes"))

        // One member too: 4 MiB of zeros against a 1 MiB bound.
        #expect(throws: Gzip.Failure.tooLarge(limit: 1 << 20)) { try Gzip.decompress(Gzip.compress([UInt8](repeating: 0, count: 4 << 20)), limit: 1 << 20) }
    }

    @Test("Accept-Encoding: gzip, x-gzip and * with a weight above 0; q=0 and other codings are plain")
    func acceptEncoding() throws {
        func accepts(_ fields: [String]) throws -> Bool {
            let text = "POST /v1/pull HTTP/1.1\r\nHost: x\r\n" + fields.map { "Accept-Encoding: \($0)\r\n" }.joined() + "\r\n"
            return try HTTPRequestHead.parse(ArraySlice(Array(text.utf8))).acceptsGzip
        }
        for yes in [["gzip"], ["GZip"], ["x-gzip"], ["br, gzip;q=0.5"], ["deflate", "gzip"], ["*"], ["br;q=1, *;q=0.1"], ["gzip ; q=1.0"]] {
            #expect(try accepts(yes), "\(yes)")
        }
        for no in [[], ["identity"], ["br, deflate"], ["gzip;q=0"], ["gzip;q=0.000"], ["*;q=0"], ["gzip;q=0, *"], [""]] {
            #expect(try !accepts(no), "\(no)")
        }
    }

    /// The process's peak resident size so far (`VmHWM`), in bytes.
    static func peakResidentBytes() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }
}
