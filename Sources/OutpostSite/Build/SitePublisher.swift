import Foundation
import OutpostModel
import OutpostSystem

/// Publishes a rendered site to a directory on a file server (a mounted share):
/// every new or changed file through a temporary name and a rename, files that no
/// longer belong removed last — a reader of the share never sees a half-written page.
public enum SitePublisher {
    /// Why publishing failed; the rendered site and the sync are untouched by it.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// What a publish did.
    public struct Report: Sendable, Equatable {
        public let copied: Int
        public let removed: Int
    }

    public static func publish(site: URL, to destination: URL) throws -> Report {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: destination.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw Failure(message: "the publish directory \(destination.path) does not exist")
        }
        guard manager.isWritableFile(atPath: destination.path) else {
            throw Failure(message: "the publish directory \(destination.path) is not writable")
        }
        let source = files(under: site)
        var copied = 0
        for path in source.keys.sorted() {
            let from = site.appendingPathComponent(path)
            let to = destination.appendingPathComponent(path)
            guard let bytes = manager.contents(atPath: from.path) else { continue }
            if manager.contents(atPath: to.path) == bytes { continue }
            do {
                try manager.createDirectory(at: to.deletingLastPathComponent(), withIntermediateDirectories: true)
                let temporary = to.deletingLastPathComponent().appendingPathComponent(".\(to.lastPathComponent).publishing")
                try bytes.write(to: temporary)
                if let code = LocalFiles.replace(temporary.path, to.path) {
                    throw Failure(message: "cannot move \(path) into place: \(String(cString: strerror(code)))")
                }
                copied += 1
            } catch let failure as Failure {
                throw failure
            } catch {
                throw Failure(message: "cannot write \(path) in \(destination.path): \(error.localizedDescription)")
            }
        }
        var removed = 0
        for path in files(under: destination).keys.sorted() where source[path] == nil {
            try? manager.removeItem(at: destination.appendingPathComponent(path))
            removed += 1
        }
        return Report(copied: copied, removed: removed)
    }

    /// Regular files below a directory, by relative path (hidden bookkeeping files and directories left out).
    static func files(under root: URL) -> [String: Bool] {
        var result: [String: Bool] = [:]
        let base = root.standardizedFileURL.path + "/"
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles]) else { return [:] }
        for case let url as URL in walker {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true, !url.lastPathComponent.hasPrefix(".") else { continue }
            result[String(url.standardizedFileURL.path.dropFirst(base.count))] = true
        }
        return result
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// The files the builds of a site wrote and removed since it was last published, by path from the
/// site root, as the site cache noted them (`BuildRecord`): what a publish step has to copy and
/// delete, so it need not walk the whole tree. A later note for a path replaces an earlier one, so
/// a file written and then removed again is only in `removed`.
public struct UnpublishedFiles: Sendable, Equatable {
    public let changed: [String]
    public let removed: [String]

    /// Reads the lists kept for `site`, rendered from the replica in `replica`.
    public static func load(replica: URL, site: URL) throws -> UnpublishedFiles {
        let cache = try SiteCache(SiteCache.Location(replica: replica, output: site))
        let (changed, removed) = try cache.unpublished()
        return UnpublishedFiles(changed: changed, removed: removed)
    }

    /// Writes both lists, one path a line, beside the site's cache (never into the site); returns the two files.
    public func write(replica: URL, site: URL) throws -> (changed: URL, removed: URL) {
        let directory = SiteCache.Location(replica: replica, output: site).directory
        let changedFile = directory.appendingPathComponent("changed-files"), removedFile = directory.appendingPathComponent("removed-files")
        for (file, paths) in [(changedFile, changed), (removedFile, removed)] {
            let text = paths.map { $0 + "\n" }.joined()
            guard LocalFiles.create(file.path + ".tmp", contents: Array(text.utf8)), rename(file.path + ".tmp", file.path) == 0 else {
                throw SiteBuildError.cannotWrite(file.path, errno: errno)
            }
        }
        return (changedFile, removedFile)
    }

    /// Forgets the lists: everything in them was published.
    public static func published(replica: URL, site: URL) throws {
        try SiteCache(SiteCache.Location(replica: replica, output: site)).published()
    }
}
