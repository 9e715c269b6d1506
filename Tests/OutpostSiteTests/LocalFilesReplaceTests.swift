import Foundation
import OutpostModel
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `LocalFiles.replace`, which every file a site build writes goes through.
@Suite("Replacing a file atomically")
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
}
