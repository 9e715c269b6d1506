#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Small file operations done with POSIX calls.
public enum LocalFiles {
    /// Creates (or empties) a file holding `contents`, with permissions `mode`.
    ///
    /// `FileManager.createFile` writes atomically on Linux and leaves a
    /// `TemporaryDirectory.*` behind in /tmp every time; this does not.
    @discardableResult
    public static func create(_ path: String, contents: [UInt8] = [], mode: mode_t = 0o644) -> Bool {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        return contents.withUnsafeBytes { writeAll(descriptor, $0) } == nil
    }

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
