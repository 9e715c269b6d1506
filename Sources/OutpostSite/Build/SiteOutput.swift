import Foundation
import OutpostModel
import OutpostSystem
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The output directory of one site build: decides which files to write,
/// hands rendering to worker threads, and removes what no longer belongs.
///
/// The site cache (`SiteCache`) records for every file the fingerprint of its
/// inputs and of its bytes. A page whose inputs are unchanged is not even
/// rendered; a file whose bytes are unchanged is not written, so mirrors and
/// rsync copy only real changes. Files are written atomically (`SiteFiles`),
/// and stale files are removed only after every new file is in place, so a
/// file server never serves a half-written site. What was written and removed
/// is noted as it goes (`BuildRecord`).
///
/// Pages render and are written on worker threads while the build thread
/// reads the next rows from SQLite: a page's bytes depend only on its own
/// model, so the order they land in changes nothing but the time it takes.
/// The last build's records (`previous`) and the cache are only ever touched
/// by the build thread.
final class SiteOutput: @unchecked Sendable {
    /// What the last build recorded about one file, and whether this build produced it again.
    struct Entry: Sendable {
        var record: SiteCache.FileRecord
        var seen = false
    }

    let directory: URL
    let full: Bool
    /// An incremental build from the change feed: only the files it touches are looked up in the
    /// cache, and only the files it marks (`remove`) can go.
    let patching: Bool
    let files: SiteFiles
    let cache: SiteCache
    let record: BuildRecord
    /// Files to remove when the build ends, and files this build produced (patching builds); under `guardLock`.
    private var removals: Set<String> = []
    private var producedPaths: Set<String> = []
    /// The last build's records, keyed by a fingerprint of the path: 100,000 customers make close to
    /// a million files, and 16-byte keys keep this table small. Build thread only.
    private var previous: [ContentHash: Entry] = [:]
    /// Guards `removals`, `producedPaths` and `renderFailure`.
    private let guardLock = NSLock()
    private let renderQueue = DispatchQueue(label: "outpost.site.render", attributes: .concurrent)
    private let rendering = DispatchGroup()
    /// Bounds the pages rendered ahead of the build thread (and so the memory they hold).
    private let renderSlots = DispatchSemaphore(value: 64)
    private var renderFailure: (any Error)?
    /// Held for the whole build: two builds into one directory would trip over each other's temporary files.
    /// Let go by `close()`, not left to `deinit`: the workers' last references may outlive the build by a moment.
    private var lock: FileLock?

    /// Files written, sorted by path (when listed).
    var written: [String] { record.written }
    /// How many files were written.
    var writtenCount: Int { record.writtenCount }
    /// How many bytes those files hold.
    var writtenBytes: Int { record.writtenBytes }
    /// Files left as they were.
    var unchanged: Int { record.unchanged }

    /// Makes the output and cache directories and takes the site's build lock (kept beside its cache).
    static func claim(_ location: SiteCache.Location) throws -> FileLock {
        do {
            try FileManager.default.createDirectory(at: location.output, withIntermediateDirectories: true)
            // The cache holds the reseller's rows: for its owner alone, like the replica.
            try LocalFiles.createPrivateDirectory(location.directory.deletingLastPathComponent().path)
            try LocalFiles.createPrivateDirectory(location.directory.path)
        } catch {
            throw SiteBuildError.cannotWrite(location.directory.path, errno: EACCES)
        }
        do {
            return try FileLock.acquire(location.lock.path)
        } catch .cannotOpen(_, let code) {
            throw SiteBuildError.cannotWrite(location.lock.path, errno: code)
        } catch .busy {
            throw SiteBuildError.busy(location.output.path)
        }
    }

    /// `full` trusts no record (every file is compared with the disk); `lock` is the site's lock when
    /// the caller took it already (`claim`).
    init(cache: SiteCache, full: Bool, patching: Bool = false, listsWritten: Bool = true, lock: FileLock? = nil) throws {
        directory = cache.location.output
        files = SiteFiles(root: directory)
        self.cache = cache
        self.full = full
        self.patching = patching
        record = BuildRecord(listsWritten: listsWritten, publishesEverything: cache.interrupted)
        self.lock = try lock ?? SiteOutput.claim(cache.location)
        guard !patching else { return }
        // A full build trusts nothing the last build recorded but still reads it, to remove what no longer belongs.
        try cache.forEachFile { path, record in
            previous[SiteOutput.key(path)] = Entry(record: full ? SiteCache.FileRecord() : record)
        }
    }

    /// A file of the last build that no longer belongs: removed when the build ends, after every new file is in place.
    func remove(_ path: String) throws {
        guard patching else { return }
        guardLock.withLock { _ = removals.insert(path) }
    }

    /// The names in the directory `path` (from the site root) as the last build left it; none when it is missing.
    func entries(in path: String) -> [String] { files.entries(in: path) }

    /// Every file under the directory `path` (ending in `/`, from the site root) as the last build left it, by path from the root.
    func files(under path: String) -> [String] { files.files(under: path) }

    /// The bytes of `path` as the last build left them; nil when there is no such file.
    func contents(_ path: String) -> [UInt8]? { files.contents(path) }

    func url(_ path: String) -> URL { files.url(path) }

    static func key(_ path: String) -> ContentHash {
        var hash = ContentHash()
        hash.add(path)
        return hash
    }

    /// The last build's record of `path`, marked as produced again; build thread only.
    private func claim(_ path: String) throws -> SiteCache.FileRecord? {
        if patching {
            guardLock.withLock { _ = producedPaths.insert(path) }
            return try cache.file(path)
        }
        let key = SiteOutput.key(path)
        guard var entry = previous[key] else { return nil }
        entry.seen = true
        previous[key] = entry
        return entry.record
    }

    /// Moves the notes of finished files into the cache now and then, so they do not pile up in memory.
    private func flushNow() throws {
        if record.backlog >= 4096 { try record.flush(into: cache) }
    }

    /// Runs `work` on a worker thread, at most 64 at a time (bounding the memory pages in flight hold);
    /// its first failure is rethrown by the build thread's next call, or by `waitForRenders`.
    private func inBackground(_ work: @escaping @Sendable () throws -> Void) {
        renderSlots.wait()
        rendering.enter()
        renderQueue.async { [self] in
            defer {
                renderSlots.signal()
                rendering.leave()
            }
            do {
                try work()
            } catch {
                guardLock.withLock { if renderFailure == nil { renderFailure = error } }
            }
        }
    }

    /// A page made from `inputs`: rendered only when its inputs changed since
    /// the last build, on a worker thread while the caller goes on.
    func page(_ path: String, inputs: ContentHash, render: @escaping @Sendable () -> String) throws {
        try checkRenders()
        try flushNow()
        let old = try claim(path)
        if let old, old.inputs == inputs, old.output != nil {
            record.produced(path, record: nil, written: false)
            return
        }
        inBackground { [self] in
            var text = render()
            try text.withUTF8 { try store(path, bytes: UnsafeRawBufferPointer($0), inputs: inputs, old: old) }
        }
    }

    /// Rethrows the first failure of a page written in the background.
    private func checkRenders() throws {
        if let failure = guardLock.withLock({ renderFailure }) { throw failure }
    }

    /// Waits for every page handed to the workers; rethrows the first failure.
    func waitForRenders() throws {
        rendering.wait()
        try checkRenders()
    }

    /// Ends the build: waits for the workers and lets go of the directory's lock, so the next build can start at once.
    func close() {
        rendering.wait()
        lock = nil
    }

    /// A file given by its bytes: written when they differ from the last build's; `changed` when the
    /// caller knows they do (a patched search bucket), which spares reading the old file to compare,
    /// and the file is then written on a worker thread while the caller goes on.
    func file(_ path: String, bytes: [UInt8], changed: Bool = false) throws {
        try flushNow()
        let old = try claim(path)
        guard changed else {
            try bytes.withUnsafeBytes { try store(path, bytes: $0, inputs: nil, old: old) }
            return
        }
        try checkRenders()
        inBackground { [self] in
            try bytes.withUnsafeBytes { try store(path, bytes: $0, inputs: nil, old: old, changed: true) }
        }
    }

    /// A file given as text.
    func file(_ path: String, text: String) throws {
        try flushNow()
        let old = try claim(path)
        var text = text
        try text.withUTF8 { try store(path, bytes: UnsafeRawBufferPointer($0), inputs: nil, old: old) }
    }

    /// The fingerprint of what `path` was made from at the last build, if it was recorded.
    func previousInputs(_ path: String) -> ContentHash? {
        if patching { return (try? cache.file(path))??.inputs }
        return previous[SiteOutput.key(path)]?.record.inputs
    }

    /// Keeps `path` as the last build wrote it: its inputs have not changed.
    func keep(_ path: String, inputs: ContentHash) {
        guard (try? claim(path)) != nil else { return }
        record.produced(path, record: nil, written: false)
    }

    /// A file already written to `temporary` (a streamed CSV): renamed into place when its bytes changed, else dropped.
    func adopt(_ path: String, temporary: URL, output: ContentHash, inputs: ContentHash? = nil) throws {
        try flushNow()
        let old = try claim(path)
        let same: Bool
        if let recorded = old?.output {
            same = recorded == output
        } else {
            same = FileManager.default.contentsEqual(atPath: temporary.path, andPath: files.filePath(path))
        }
        let new = SiteCache.FileRecord(inputs: inputs, output: output)
        if same {
            try? FileManager.default.removeItem(at: temporary)
            record.produced(path, record: new == old ? nil : new, written: false)
            return
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: temporary.path)[.size] as? Int) ?? 0
        try files.ensureParent(of: path)
        try files.replace(path, with: temporary.path)
        record.produced(path, record: new, written: true, bytes: size)
    }

    /// A temporary file beside where `path` will go, for streamed output.
    func temporaryURL(for path: String) throws -> URL {
        try files.ensureParent(of: path)
        return files.url(SiteFiles.temporaryPath(for: path))
    }

    /// Writes `bytes` unless the file already holds them; notes what it did.
    private func store(_ path: String, bytes: UnsafeRawBufferPointer, inputs: ContentHash?, old: SiteCache.FileRecord?, changed: Bool = false) throws {
        var hash = ContentHash()
        hash.add(Int64(bytes.count))
        hash.add(bytes: bytes)
        // Not recorded (a full build, a new cache) or its bytes unknown: the file on disk may already be right.
        let same = !changed && (old?.output.map { $0 == hash } ?? files.holds(path, bytes))
        if !same { try files.write(path, bytes: bytes) }
        let new = SiteCache.FileRecord(inputs: inputs, output: hash)
        record.produced(path, record: new == old ? nil : new, written: !same, bytes: bytes.count)
    }

    /// Removes the files of the last build that this one did not produce; returns them, sorted.
    func finish() throws -> [String] {
        try waitForRenders()
        try record.flush(into: cache)
        var removed: [String] = []
        if patching {
            let stale = guardLock.withLock { removals.subtracting(producedPaths) }
            for path in stale.sorted() {
                guard files.remove(path) else { throw SiteBuildError.cannotWrite(path, errno: errno) }
                removed.append(path)
            }
        } else if previous.values.contains(where: { !$0.seen }) {
            for path in try cache.paths() where previous[SiteOutput.key(path)]?.seen == false {
                if files.remove(path) { removed.append(path) }
            }
        }
        try record.removed(removed, from: cache)
        files.removeEmptiedDirectories(removed)
        previous = [:]
        return removed
    }
}

/// Why a site build failed.
public enum SiteBuildError: Error, Sendable, CustomStringConvertible {
    case cannotWrite(String, errno: Int32)
    case theme(String)
    /// Another build is writing into the same directory.
    case busy(String)

    public var description: String {
        switch self {
        case .busy(let path): return "another site build is writing to \(path); try again when it has finished"
        case let .cannotWrite(path, code): return "cannot write \(path): \(String(cString: strerror(code)))"
        case .theme(let message): return message
        }
    }
}
