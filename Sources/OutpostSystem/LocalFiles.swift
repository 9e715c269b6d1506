import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Small file operations done with POSIX calls.
public enum LocalFiles {
    /// The mode of every file Outpost keeps for itself (databases, locks, tokens, site build state, the
    /// outbox): its owner's alone. Only the published pages are for others to read.
    public static let ownerOnly: mode_t = 0o600
    /// The mode of a directory that holds nothing for others (a node, a backup's parts, the site's row indexes).
    public static let ownerOnlyDirectory: mode_t = 0o700

    /// Creates (or empties) a file holding `contents`, with permissions `mode` (its owner's alone unless told).
    ///
    /// `FileManager.createFile` writes atomically on Linux and leaves a
    /// `TemporaryDirectory.*` behind in /tmp every time; this does not.
    @discardableResult
    public static func create(_ path: String, contents: [UInt8] = [], mode: mode_t = ownerOnly) -> Bool {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        return contents.withUnsafeBytes { writeAll(descriptor, $0) } == nil
    }

    /// Makes the directory `path`, and missing parents, for its owner alone; one that exists keeps its mode.
    public static func createPrivateDirectory(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: Int(ownerOnlyDirectory)])
    }

    /// Those of `paths` that exist and that other users may read or write (any group or other bit), with
    /// their permission bits: what `status` and `node status` warn about.
    public static func openToOthers(_ paths: [String]) -> [(path: String, mode: mode_t)] {
        paths.compactMap { path in
            var status = stat()
            guard lstat(path, &status) == 0, status.st_mode & 0o077 != 0 else { return nil }
            return (path, status.st_mode & 0o777)
        }
    }

    /// Puts the finished file `temporary` in the place of `target`, atomically: a reader of `target`
    /// sees the old file or the new one, never neither. `nil` when done, else the failing `errno`.
    ///
    /// Where the target exists, the two are swapped (`renameat2` with `RENAME_EXCHANGE`) and the old
    /// file, now under the temporary name, is unlinked. A plain rename over an existing file makes
    /// ext4 (with its default `auto_da_alloc`) start writing the new file's data to disk there and
    /// then, inside the call: about a tenth of an incremental site build. Swapped, the data goes
    /// to disk with the kernel's ordinary writeback, as every other write does; neither way syncs.
    public static func replace(_ temporary: String, _ target: String) -> Int32? {
        #if canImport(Glibc)
        if let exchange = renameExchange {
            if exchange(AT_FDCWD, temporary, AT_FDCWD, target, 2 /* RENAME_EXCHANGE */) == 0 {
                unlink(temporary)
                return nil
            }
            // No file at `target` yet, or a file system without the swap (a network share may say EINVAL,
            // EPERM or EOPNOTSUPP): a plain rename, whose error (a missing temporary file) is the one told.
        }
        #endif
        return rename(temporary, target) == 0 ? nil : errno
    }

    #if canImport(Glibc)
    /// glibc's `renameat2`, looked up at run time: Swift's Glibc module does not declare it.
    private typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
    private static let renameExchange: RenameAt2? = dlsym(nil, "renameat2").map { unsafeBitCast($0, to: RenameAt2.self) }
    #endif

    /// Reserves disk blocks for the first `bytes` of a file about to be written, without changing its size
    /// (`fallocate` with `FALLOC_FL_KEEP_SIZE`): ext4 then writes into blocks it already has instead of
    /// reserving them page by page, about a third quicker for a big copy. Best effort: a file system
    /// without it (a network share) just writes as usual.
    public static func reserve(_ descriptor: Int32, bytes: Int64) {
        #if canImport(Glibc)
        guard bytes > 0, let allocate = fallocate else { return }
        _ = allocate(descriptor, 1 /* FALLOC_FL_KEEP_SIZE */, 0, bytes)
        #endif
    }

    #if canImport(Glibc)
    /// glibc's `fallocate`, looked up at run time like `renameat2`.
    private typealias Fallocate = @convention(c) (Int32, Int32, Int64, Int64) -> Int32
    private static let fallocate: Fallocate? = dlsym(nil, "fallocate").map { unsafeBitCast($0, to: Fallocate.self) }
    #endif

    /// Appends `count` bytes of `input` from `offset` to `output` (at its current position), inside the
    /// kernel where it can (`copy_file_range`), else through a buffer; `nil` when done, else the `errno`.
    /// `chunk` bounds each request (tests make it small to see many short copies); `inKernel` false
    /// takes the buffer throughout.
    public static func copyRange(_ input: Int32, offset: Int64, count: Int64, to output: Int32,
                                 chunk: Int = 1 << 30, inKernel: Bool = true) -> Int32? {
        var source = offset
        var left = count
        #if canImport(Glibc)
        if inKernel, let copy = copyFileRange {
            while left > 0 {
                // The kernel moves `source` on by what it copied.
                let copied = copy(input, &source, output, nil, Int(min(left, Int64(max(1, chunk)))), 0)
                if copied < 0 {
                    if errno == EINTR { continue }
                    break  // not across these file systems: the buffer below goes on from `source`
                }
                if copied == 0 { return EIO }  // the input ended early
                left -= Int64(copied)
            }
        }
        #endif
        guard left > 0 else { return nil }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: min(1 << 20, max(1, chunk)), alignment: 16)
        defer { buffer.deallocate() }
        while left > 0 {
            let read = pread(input, buffer.baseAddress!, Int(min(left, Int64(buffer.count))), off_t(source))
            if read < 0 {
                if errno == EINTR { continue }
                return errno
            }
            if read == 0 { return EIO }
            if let code = writeAll(output, UnsafeRawBufferPointer(rebasing: buffer[0..<read])) { return code }
            source += Int64(read)
            left -= Int64(read)
        }
        return nil
    }

    #if canImport(Glibc)
    /// glibc's `copy_file_range`, looked up at run time like `renameat2`.
    private typealias CopyFileRange = @convention(c) (Int32, UnsafeMutablePointer<Int64>?, Int32, UnsafeMutablePointer<Int64>?, Int, UInt32) -> Int
    private static let copyFileRange: CopyFileRange? = dlsym(nil, "copy_file_range").map { unsafeBitCast($0, to: CopyFileRange.self) }
    #endif

    /// Writes all of `bytes` to a blocking descriptor, going on after interrupted and short writes;
    /// `nil` when done, else the `errno` of the write that failed.
    public static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? {
        var offset = 0
        while offset < bytes.count {
            let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return errno
            }
            offset += written
        }
        return nil
    }
}
