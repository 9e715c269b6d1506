import Foundation
import Testing

/// A fresh, uniquely named directory under the system temporary directory.
///
/// Removed when the object goes away (or earlier, with `remove()`), so every
/// test that touches the file system gets its own files and leaves nothing behind.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("OutpostStoreTests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// The path of `name` inside this directory.
    func path(_ name: String) -> String {
        url.appendingPathComponent(name).path
    }

    /// Deletes the directory and everything in it; safe to call twice.
    func remove() {
        try? FileManager.default.removeItem(at: url)
    }

    deinit {
        remove()
    }
}

/// Runs `body` with a fresh temporary directory that is removed afterwards,
/// whether `body` returns or throws.
func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    return try body(directory.url)
}

@Suite("TemporaryDirectory helper")
struct TemporaryDirectoryTests {
    struct Marker: Error {}

    @Test func directoryExistsInsideAndIsRemovedAfter() throws {
        let seen = try withTemporaryDirectory { url -> URL in
            var isDirectory: ObjCBool = false
            #expect(FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory))
            #expect(isDirectory.boolValue)
            try Data("x".utf8).write(to: url.appendingPathComponent("file"))
            return url
        }
        #expect(!FileManager.default.fileExists(atPath: seen.path))
    }

    @Test func directoryIsRemovedWhenBodyThrows() throws {
        var seen: URL?
        #expect(throws: Marker.self) {
            try withTemporaryDirectory { url in
                seen = url
                try Data("x".utf8).write(to: url.appendingPathComponent("file"))
                throw Marker()
            }
        }
        let url = try #require(seen)
        #expect(!FileManager.default.fileExists(atPath: url.path))
    }

    @Test func eachDirectoryIsUniqueAndDeinitRemovesIt() throws {
        var first: TemporaryDirectory? = try TemporaryDirectory()
        let second = try TemporaryDirectory()
        let firstURL = try #require(first).url
        #expect(firstURL != second.url)
        first = nil
        #expect(!FileManager.default.fileExists(atPath: firstURL.path))
        #expect(FileManager.default.fileExists(atPath: second.url.path))
    }
}
