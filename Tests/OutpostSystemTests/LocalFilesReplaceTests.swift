import Foundation
import OutpostSystem
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `LocalFiles.replace`, which every file a site build writes goes through.
@Suite("Replacing a file atomically", .timeLimit(.minutes(20)))
struct LocalFilesReplaceTests {
    static func text(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    @Test func aNewFileTakesTheOldOnesPlaceAndTheTemporaryNameIsGone() throws {
        try withTemporaryDirectory { (directory: URL) throws in
            let target = directory.appendingPathComponent("page.html").path
            let temporary = directory.appendingPathComponent(".page.html.tmp-outpost").path
            #expect(LocalFiles.create(target, contents: Array("old".utf8)))
            // A reader that opened the old file before the swap keeps reading the old bytes.
            let reader = open(target, O_RDONLY)
            #expect(reader >= 0)
            defer { close(reader) }
            #expect(LocalFiles.create(temporary, contents: Array("new".utf8)))
            #expect(LocalFiles.replace(temporary, target) == nil)
            #expect(try Self.text(target) == "new")
            #expect(!FileManager.default.fileExists(atPath: temporary))
            var buffer = [UInt8](repeating: 0, count: 8)
            let count = read(reader, &buffer, buffer.count)
            #expect(Array(buffer.prefix(max(count, 0))) == Array("old".utf8))
        }
    }

    @Test func withNoFileThereItIsAPlainRename() throws {
        try withTemporaryDirectory { (directory: URL) throws in
            let target = directory.appendingPathComponent("fresh.html").path
            let temporary = directory.appendingPathComponent(".fresh.html.tmp-outpost").path
            #expect(LocalFiles.create(temporary, contents: Array("first".utf8)))
            #expect(LocalFiles.replace(temporary, target) == nil)
            #expect(try Self.text(target) == "first")
            #expect(!FileManager.default.fileExists(atPath: temporary))
        }
    }

    @Test func aMissingTemporaryFileIsAnErrorAndTheTargetStays() throws {
        try withTemporaryDirectory { (directory: URL) throws in
            let target = directory.appendingPathComponent("kept.html").path
            #expect(LocalFiles.create(target, contents: Array("kept".utf8)))
            #expect(LocalFiles.replace(directory.appendingPathComponent("nothing").path, target) == ENOENT)
            #expect(try Self.text(target) == "kept")
        }
    }

    /// `LocalFiles.copyRange`, which copies the unchanged stretches of a patched CSV: every byte lands
    /// once and in order, however short the kernel's (or the buffer's) copies are.
    @Test(arguments: [(1, true), (7, true), (4096, true), (1 << 30, true), (5, false), (1 << 20, false)])
    func copyRangeAppendsExactlyTheRangeAskedFor(chunk: Int, inKernel: Bool) throws {
        try withTemporaryDirectory { (directory: URL) throws in
            let bytes = (0..<20_000).map { UInt8(truncatingIfNeeded: $0 * 7 + $0 / 251) }
            let source = directory.appendingPathComponent("source").path, copy = directory.appendingPathComponent("copy").path
            #expect(LocalFiles.create(source, contents: bytes))
            let input = open(source, O_RDONLY), output = open(copy, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            defer { close(input) }
            #expect(LocalFiles.copyRange(input, offset: 0, count: 100, to: output, chunk: chunk, inKernel: inKernel) == nil)
            #expect(LocalFiles.copyRange(input, offset: 12_345, count: 6_000, to: output, chunk: chunk, inKernel: inKernel) == nil)
            #expect(LocalFiles.copyRange(input, offset: 150, count: 0, to: output, chunk: chunk, inKernel: inKernel) == nil)
            // Past the end of the source: an error, not a short file passed off as whole.
            #expect(LocalFiles.copyRange(input, offset: 19_990, count: 20, to: output, chunk: chunk, inKernel: inKernel) == EIO)
            close(output)
            let copied: [UInt8] = Array(try Data(contentsOf: URL(fileURLWithPath: copy)))
            let expected: [UInt8] = Array(bytes[0..<100]) + Array(bytes[12_345..<18_345])
            #expect(Array(copied.prefix(6_100)) == expected)
        }
    }
}
