import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The published tree of a site build: how many files and bytes it holds, per customer, and its largest
/// directory (a file server and rsync slow down on directories of many thousand entries).
struct PublishedTree {
    let root: URL

    struct Counts {
        var files = 0
        /// The files' sizes (what a mirror copies), and the blocks they take on this disk.
        var bytes = 0
        var diskBytes = 0
        var largest = (path: "", entries: 0)
    }

    func counts() throws -> Counts {
        var counts = Counts()
        try walk(root.path, relative: "", into: &counts)
        return counts
    }

    func summary(customers: Int) throws -> String {
        let counts = try counts()
        return String(format: "published tree %d files, %.0f MB (%.0f MB on disk) = %.1f files and %.0f kB per customer; largest directory %@ with %d entries",
                      counts.files, Double(counts.bytes) / 1e6, Double(counts.diskBytes) / 1e6, Double(counts.files) / Double(customers),
                      Double(counts.bytes) / 1e3 / Double(customers), counts.largest.path.isEmpty ? "/" : counts.largest.path, counts.largest.entries)
    }

    private func walk(_ path: String, relative: String, into counts: inout Counts) throws {
        guard let directory = opendir(path) else { throw BenchmarkFailure("cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { closedir(directory) }
        var entries = 0
        var subdirectories: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name == "." || name == ".." { continue }
            entries += 1
            var info = stat()
            guard lstat(path + "/" + name, &info) == 0 else { continue }
            if (info.st_mode & S_IFMT) == S_IFDIR {
                subdirectories.append(name)
            } else {
                counts.files += 1
                counts.bytes += Int(info.st_size)
                counts.diskBytes += Int(info.st_blocks) * 512
            }
        }
        if entries > counts.largest.entries { counts.largest = (relative + "/", entries) }
        for name in subdirectories {
            try walk(path + "/" + name, relative: relative.isEmpty ? name : relative + "/" + name, into: &counts)
        }
    }
}
