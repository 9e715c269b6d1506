import Foundation
import OutpostSystem
import OutpostModel
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The files of a site directory on disk: read one, write one atomically when
/// its bytes differ, remove one, and tidy the directories a removal emptied.
///
/// Every write goes to a temporary name in the same directory and is renamed
/// over the old file (rename(2) is atomic), so a file server never serves a
/// half-written page. Safe to use from several threads: the only shared state
/// is the set of directories already made, behind a lock.
final class SiteFiles: @unchecked Sendable {
    /// The site root's file system path.
    let rootPath: String
    private let lock = NSLock()
    /// Guarded by `lock`.
    private var createdDirectories: Set<String> = []

    init(root: URL) {
        rootPath = root.standardizedFileURL.path
    }

    func url(_ path: String) -> URL { URL(fileURLWithPath: filePath(path), isDirectory: false) }

    /// The file system path of `path` (from the site root). Built as a string: Foundation's
    /// `appendingPathComponent` looks at the disk to tell files from directories, a `stat` per call.
    func filePath(_ path: String) -> String { rootPath + "/" + path }

    /// Where `path` is written before it is renamed into place: beside it, hidden (a leading dot), so a
    /// mirror or an `rsync --exclude ".*"` taken while a build runs never copies a half-written file.
    static func temporaryPath(for path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." + path + ".tmp-outpost" }
        return path[...slash] + "." + path[path.index(after: slash)...] + ".tmp-outpost"
    }

    /// The bytes of `path` as they are on disk; nil when there is no such file.
    func contents(_ path: String) -> [UInt8]? {
        let fd = open(filePath(path), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { systemClose(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int(status.st_size))
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + offset, $0.count - offset) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return nil }
            offset += count
        }
        return bytes
    }

    /// Whether the file at `path` holds exactly `bytes`.
    func holds(_ path: String, _ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let data = contents(path), data.count == bytes.count else { return false }
        return data.withUnsafeBytes { existing in
            existing.count == 0 || memcmp(existing.baseAddress!, bytes.baseAddress!, bytes.count) == 0
        }
    }

    /// Writes `bytes` to `path` through a temporary file and a rename.
    func write(_ path: String, bytes: UnsafeRawBufferPointer) throws {
        try ensureParent(of: path)
        let temporary = filePath(SiteFiles.temporaryPath(for: path))
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SiteBuildError.cannotWrite(path, errno: errno) }
        if let code = LocalFiles.writeAll(fd, bytes) {
            systemClose(fd)
            unlink(temporary)
            throw SiteBuildError.cannotWrite(path, errno: code)
        }
        systemClose(fd)
        try replace(path, with: temporary)
    }

    /// Renames the finished file `temporary` over `path`.
    func replace(_ path: String, with temporary: String) throws {
        if let code = LocalFiles.replace(temporary, filePath(path)) {
            unlink(temporary)
            throw SiteBuildError.cannotWrite(path, errno: code)
        }
    }

    /// Removes `path`; true when it is gone (also when it was not there).
    func remove(_ path: String) -> Bool {
        unlink(filePath(path)) == 0 || errno == ENOENT
    }

    /// Makes the directory `path` will go in (once per build).
    func ensureParent(of path: String) throws {
        guard let slash = path.lastIndex(of: "/") else { return }
        let parent = String(path[..<slash])
        try lock.withLock {
            guard !createdDirectories.contains(parent) else { return }
            try FileManager.default.createDirectory(atPath: filePath(parent), withIntermediateDirectories: true)
            createdDirectories.insert(parent)
        }
    }

    /// Directories emptied by removing `removed` go too (deepest first).
    func removeEmptiedDirectories(_ removed: [String]) {
        var parents = Set(removed.compactMap { path -> String? in
            guard let slash = path.lastIndex(of: "/") else { return nil }
            return String(path[..<slash])
        })
        while !parents.isEmpty {
            let deepest = parents.max { $0.split(separator: "/").count < $1.split(separator: "/").count }!
            parents.remove(deepest)
            if rmdir(filePath(deepest)) == 0, let slash = deepest.lastIndex(of: "/") { parents.insert(String(deepest[..<slash])) }
        }
    }

    /// The names in the directory `path` (from the site root); none when it is missing.
    func entries(in path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: filePath(path))) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    /// Every file under the directory `path` (ending in `/`, from the site root), by path from the root.
    func files(under path: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: filePath(path)) else { return [] }
        var files: [String] = []
        while let relative = walker.nextObject() as? String {
            if walker.fileAttributes?[.type] as? FileAttributeType == .typeRegular { files.append(path + relative) }
        }
        return files.sorted()
    }
}

/// close(2), named so the call compiles on Linux and macOS alike (and beside methods called `close`).
func systemClose(_ fd: Int32) {
    #if canImport(Glibc)
    _ = Glibc.close(fd)
    #else
    _ = Darwin.close(fd)
    #endif
}
