import Foundation
import OutpostModel
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The output directory of a site build: decides which files to rewrite,
/// writes them atomically, and removes files that no longer belong.
///
/// A manifest (`.outpost-manifest` in the directory) records for every file
/// the fingerprint of its inputs and of its bytes. A page whose inputs are
/// unchanged is not even rendered; a file whose bytes are unchanged is not
/// written, so mirrors and rsync copy only real changes. Every write goes to a
/// temporary name in the same directory and is renamed over the old file
/// (rename(2) is atomic), and stale files are removed only after every new
/// file is in place, so a file server never serves a half-written site.
///
/// Pages render and are written on worker threads while the build thread
/// reads the next rows from SQLite: a page's bytes depend only on its own
/// model, so the order they land in changes nothing but the time it takes.
/// The bookkeeping they share (the new manifest, the lists of written files,
/// the directories made) is guarded by `guardLock`; the last build's manifest
/// (`previous`) is only ever touched by the build thread.
final class SiteOutput: @unchecked Sendable {
    /// What the last build recorded about one file.
    struct Entry: Sendable {
        var inputs: ContentHash?
        /// nil when not known (a CSV an incremental build patched): compared with the file on disk.
        var output: ContentHash?
        /// Produced again by this build (what is left unseen is stale).
        var seen = false
    }

    static let manifestName = ".outpost-manifest"
    /// What incremental builds changed since the manifest was last written whole: lines like the
    /// manifest's, appended, a later line for a path replacing an earlier one (`removed` for a file that went).
    static let deltaName = ".outpost-manifest-delta"

    static let manifestHeader = "outpost-site-manifest 3"

    let directory: URL
    let full: Bool
    /// An incremental build from the change journal: the manifest is neither read nor rewritten;
    /// what this build writes and removes is appended to the delta.
    let patching: Bool
    /// Files to remove when the build ends, and files this build produced (patching builds).
    private var removals: Set<String> = []
    private var producedPaths: Set<String> = []
    /// The last build's manifest, keyed by a fingerprint of the path: 100,000
    /// customers make close to a million files, and 16-byte keys keep this
    /// table small. Paths of stale files are read back from the old manifest.
    private var previous: [ContentHash: Entry]
    /// The new manifest, streamed to a temporary file in production order.
    private let manifest: CSVWriter
    private var createdDirectories: Set<String> = []
    private var writtenFiles: [String] = []
    private var writtenTotal = 0
    /// Whether `written` lists paths (tests) or only `writtenCount` is kept.
    private let listsWritten: Bool
    private var unchangedFiles = 0
    /// Guards the manifest writer, `nextTicket`, `waitingLines`, `createdDirectories`, `writtenFiles`, `writtenTotal`, `unchangedFiles` and `renderFailure`.
    private let guardLock = NSLock()
    private let renderQueue = DispatchQueue(label: "outpost.site.render", attributes: .concurrent)
    private let rendering = DispatchGroup()
    /// Bounds the pages rendered ahead of the build thread (and so the memory they hold).
    private let renderSlots = DispatchSemaphore(value: 64)
    private var renderFailure: (any Error)?
    /// Manifest places handed out (build thread only), the next one to write, and lines finished ahead of it.
    private var ticketsIssued = 0
    private var nextTicket = 0
    private var waitingLines: [Int: String] = [:]

    /// Files written, sorted by path (when listed).
    var written: [String] { guardLock.withLock { writtenFiles.sorted() } }
    /// How many files were written.
    var writtenCount: Int { guardLock.withLock { writtenTotal } }
    /// Files left as they were.
    var unchanged: Int { guardLock.withLock { unchangedFiles } }
    /// Held for the whole build: two builds into one directory would trip over each other's temporary files.
    /// Let go by `close()`, not left to `deinit`: the workers' last references may outlive the build by a moment.
    private var lock: FileLock?

    /// Makes the directory and takes its build lock: two builds into one directory would trip over each other's files.
    static func claim(_ directory: URL) throws -> FileLock {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw SiteBuildError.cannotWrite(directory.path, errno: EACCES)
        }
        do {
            return try FileLock.acquire(directory.appendingPathComponent(SiteBuilder.lockFileName).path)
        } catch .cannotOpen(_, let code) {
            throw SiteBuildError.cannotWrite(SiteOutput.manifestName + ".lock", errno: code)
        } catch .busy {
            throw SiteBuildError.busy(directory.path)
        }
    }

    /// `lock` is the directory's lock when the caller took it already (`claim`).
    init(directory: URL, full: Bool, patching: Bool = false, listsWritten: Bool = true, lock: FileLock? = nil) throws {
        self.directory = directory.standardizedFileURL
        rootPath = self.directory.path
        self.full = full
        self.patching = patching
        self.listsWritten = listsWritten
        self.lock = try lock ?? SiteOutput.claim(self.directory)
        previous = [:]
        if patching {
            manifest = try CSVWriter(rawPath: SiteOutput.deltaName, temporary: self.directory.appendingPathComponent(SiteOutput.deltaName), append: true)
            return
        }
        manifest = try CSVWriter(rawPath: SiteOutput.manifestName, temporary: self.directory.appendingPathComponent(SiteOutput.manifestName + ".tmp-outpost"))
        manifest.writeLine(SiteOutput.manifestHeader)
        // A full build trusts nothing the last build recorded (every file is compared with the disk)
        // but still reads what it wrote, to remove what no longer belongs.
        let manifestURL = self.directory.appendingPathComponent(SiteOutput.manifestName)
        // About 90 bytes a line: reserving up front avoids rehashing a million entries as the table grows.
        let size = (try? FileManager.default.attributesOfItem(atPath: manifestURL.path)[.size] as? Int) ?? 0
        previous.reserveCapacity(size / 90 + 16)
        let trusted: (Entry?) -> Entry? = { entry in full ? entry.map { _ in Entry(inputs: nil, output: nil) } : entry }
        SiteOutput.readManifest(manifestURL) { path, entry in
            previous[SiteOutput.key(path)] = trusted(entry)
        }
        if !previous.isEmpty {
            SiteOutput.readManifest(self.directory.appendingPathComponent(SiteOutput.deltaName), header: false) { path, entry in
                previous[SiteOutput.key(path)] = trusted(entry)
            }
        }
    }

    /// A file of the last build that no longer belongs: removed when the build ends, after every new file is in place.
    func remove(_ path: String) throws {
        guard patching else { return }
        guardLock.withLock { _ = removals.insert(path) }
    }

    /// The names in the directory `path` (from the site root) as the last build left it; none when it is missing.
    func entries(in path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: filePath(path))) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    /// Every file under the directory `path` (ending in `/`, from the site root) as the last build left it, by path from the root.
    func files(under path: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: filePath(path)) else { return [] }
        var files: [String] = []
        while let relative = walker.nextObject() as? String {
            if walker.fileAttributes?[.type] as? FileAttributeType == .typeRegular { files.append(path + relative) }
        }
        return files.sorted()
    }

    static func key(_ path: String) -> ContentHash {
        var hash = ContentHash()
        hash.add(path)
        return hash
    }

    /// The last build's entry for `path`, marked as produced again.
    private func claim(_ path: String) -> Entry? {
        let key = SiteOutput.key(path)
        guard var entry = previous[key] else { return nil }
        entry.seen = true
        previous[key] = entry
        return entry
    }

    /// A place in the new manifest, taken on the build thread in the order
    /// files are produced, so the manifest is the same for the same data
    /// however the workers finish.
    private func takeTicket() -> Int {
        defer { ticketsIssued += 1 }
        return ticketsIssued
    }

    /// Records a file in the new manifest at its ticket's place; `kept` counts it as left as it was.
    private func record(_ ticket: Int, _ path: String, inputs: ContentHash?, output: ContentHash?, kept: Bool) {
        let line = path + "\t" + (inputs?.description ?? "-") + "\t" + (output?.description ?? "-")
        guardLock.withLock {
            if patching { producedPaths.insert(path) }
            if kept { unchangedFiles += 1 }
            place(ticket, line)
        }
    }

    /// Writes `line` (none for a ticket given back) at its ticket's place in the manifest; under `guardLock`.
    private func place(_ ticket: Int, _ line: String?) {
        guard ticket == nextTicket else {
            waitingLines[ticket] = line ?? ""
            return
        }
        if let line { manifest.writeLine(line) }
        nextTicket += 1
        while let next = waitingLines.removeValue(forKey: nextTicket) {
            if !next.isEmpty { manifest.writeLine(next) }
            nextTicket += 1
        }
    }

    /// Changes the file at `path` on a worker thread: `transform` gets its bytes and gives the new ones,
    /// which are written; when it gives nil (or there is no file) nothing is written and `failed` is called.
    func patchFile(_ path: String, transform: @escaping @Sendable ([UInt8]) -> [UInt8]?, failed: @escaping @Sendable () -> Void) throws {
        try checkRenders()
        let old = claim(path)
        let ticket = takeTicket()
        inBackground { [self] in
            guard let bytes = contents(path).flatMap(transform) else {
                guardLock.withLock { place(ticket, nil) }
                failed()
                return
            }
            try bytes.withUnsafeBytes { try store(path, bytes: $0, inputs: nil, old: old, ticket: ticket, changed: true) }
        }
    }

    /// Swaps bytes in the file at `path` on a worker thread (see `patchFile`): each `old` sequence, which
    /// must be there, becomes its `new` one; `failed` is called when the file lacks one of them.
    func swapBytes(in path: String, _ swaps: [(old: [UInt8], new: [UInt8])], failed: @escaping @Sendable () -> Void) throws {
        let swaps = swaps.filter { $0.old != $0.new }
        guard !swaps.isEmpty else { return }
        try patchFile(path, transform: { bytes in
            var bytes = bytes
            for swap in swaps {
                guard let patched = SiteOutput.replacingAll(swap.old, with: swap.new, in: bytes) else { return nil }
                bytes = patched
            }
            return bytes
        }, failed: failed)
    }

    /// `bytes` with every `target` replaced by `replacement`; nil when there is none.
    static func replacingAll(_ target: [UInt8], with replacement: [UInt8], in bytes: [UInt8]) -> [UInt8]? {
        guard !target.isEmpty, bytes.count >= target.count else { return nil }
        var result: [UInt8] = []
        var copied = 0
        bytes.withUnsafeBytes { haystack in
            target.withUnsafeBytes { needle in
                // memchr to the next place the first byte is, memcmp the rest (glibc's memmem is not exported to Swift).
                var from = 0
                let first = Int32(needle[0])
                while from + needle.count <= haystack.count,
                      let candidate = memchr(haystack.baseAddress! + from, first, haystack.count - needle.count + 1 - from) {
                    let at = haystack.baseAddress!.distance(to: UnsafeRawPointer(candidate))
                    guard memcmp(haystack.baseAddress! + at, needle.baseAddress!, needle.count) == 0 else {
                        from = at + 1
                        continue
                    }
                    if result.isEmpty { result.reserveCapacity(bytes.count + 64) }
                    result.append(contentsOf: haystack[copied..<at])
                    result.append(contentsOf: replacement)
                    copied = at + needle.count
                    from = copied
                }
            }
        }
        guard copied > 0 else { return nil }
        result.append(contentsOf: bytes[copied...])
        return result
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
        let old = claim(path)
        let ticket = takeTicket()
        if let old, old.inputs == inputs {
            record(ticket, path, inputs: inputs, output: old.output, kept: true)
            return
        }
        inBackground { [self] in
            var text = render()
            try text.withUTF8 { try store(path, bytes: UnsafeRawBufferPointer($0), inputs: inputs, old: old, ticket: ticket) }
        }
    }

    private func noteWritten(_ path: String) {
        guardLock.withLock {
            writtenTotal += 1
            if listsWritten { writtenFiles.append(path) }
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
    /// caller knows they do (a patched page or search bucket), which spares reading the old file to
    /// compare, and the file is then written on a worker thread while the caller goes on.
    func file(_ path: String, bytes: [UInt8], changed: Bool = false) throws {
        let old = claim(path)
        let ticket = takeTicket()
        guard changed else {
            try bytes.withUnsafeBytes { try store(path, bytes: $0, inputs: nil, old: old, ticket: ticket) }
            return
        }
        try checkRenders()
        inBackground { [self] in
            try bytes.withUnsafeBytes { try store(path, bytes: $0, inputs: nil, old: old, ticket: ticket, changed: true) }
        }
    }

    /// The bytes of `path` as the last build left them; nil when there is no such file.
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

    /// A file given as text.
    func file(_ path: String, text: String) throws {
        let old = claim(path)
        var text = text
        try text.withUTF8 { try store(path, bytes: UnsafeRawBufferPointer($0), inputs: nil, old: old, ticket: takeTicket()) }
    }

    /// The fingerprint of what `path` was made from at the last build, if it was recorded.
    func previousInputs(_ path: String) -> ContentHash? {
        previous[SiteOutput.key(path)]?.inputs
    }

    /// Keeps `path` as the last build wrote it: its inputs have not changed.
    func keep(_ path: String, inputs: ContentHash) {
        guard let old = claim(path) else { return }
        record(takeTicket(), path, inputs: inputs, output: old.output, kept: true)
    }

    /// A file already written to `temporary` (a streamed CSV): renamed into place when its bytes changed, else dropped.
    func adopt(_ path: String, temporary: URL, output: ContentHash, inputs: ContentHash? = nil) throws {
        let same: Bool
        if let old = claim(path), let recorded = old.output {
            same = recorded == output
        } else {
            same = FileManager.default.contentsEqual(atPath: temporary.path, andPath: filePath(path))
        }
        record(takeTicket(), path, inputs: inputs, output: output, kept: same)
        if same {
            try? FileManager.default.removeItem(at: temporary)
            return
        }
        try ensureParent(of: path)
        if let code = LocalFiles.replace(temporary.path, filePath(path)) { throw SiteBuildError.cannotWrite(path, errno: code) }
        noteWritten(path)
    }

    /// A temporary file beside where `path` will go, for streamed output.
    func temporaryURL(for path: String) throws -> URL {
        try ensureParent(of: path)
        return url(SiteOutput.temporaryPath(for: path))
    }

    private func store(_ path: String, bytes: UnsafeRawBufferPointer, inputs: ContentHash?, old: Entry?, ticket: Int, changed: Bool = false) throws {
        var hash = ContentHash()
        hash.add(Int64(bytes.count))
        hash.add(bytes: bytes)
        // Not in the manifest (a full build, a lost manifest): the file on disk may already be right.
        let same = !changed && (old?.output.map { $0 == hash } ?? existingFileEquals(path, bytes))
        record(ticket, path, inputs: inputs, output: hash, kept: same)
        if same { return }
        try ensureParent(of: path)
        let target = filePath(path)
        let temporary = filePath(SiteOutput.temporaryPath(for: path))
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw SiteBuildError.cannotWrite(path, errno: errno) }
        if let code = LocalFiles.writeAll(fd, bytes) {
            systemClose(fd)
            unlink(temporary)
            throw SiteBuildError.cannotWrite(path, errno: code)
        }
        systemClose(fd)
        if let code = LocalFiles.replace(temporary, target) {
            unlink(temporary)
            throw SiteBuildError.cannotWrite(path, errno: code)
        }
        noteWritten(path)
    }

    private func existingFileEquals(_ path: String, _ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let data = contents(path), data.count == bytes.count else { return false }
        return data.withUnsafeBytes { existing in
            existing.count == 0 || memcmp(existing.baseAddress!, bytes.baseAddress!, bytes.count) == 0
        }
    }

    /// Removes the files of the last build that this one did not produce, then records the manifest.
    func finish() throws -> [String] {
        try waitForRenders()
        if patching { return try finishPatch() }
        var removed: [String] = []
        if previous.values.contains(where: { !$0.seen }) {
            // Stale paths are read back from the manifest and its delta (a path in both is removed once).
            func removeStale(_ path: String) {
                let key = SiteOutput.key(path)
                guard previous[key]?.seen == false else { return }
                previous[key]?.seen = true
                if unlink(filePath(path)) == 0 || errno == ENOENT { removed.append(path) }
            }
            SiteOutput.readManifest(directory.appendingPathComponent(SiteOutput.manifestName)) { path, _ in removeStale(path) }
            SiteOutput.readManifest(directory.appendingPathComponent(SiteOutput.deltaName), header: false) { path, _ in removeStale(path) }
        }
        removed.sort()
        removeEmptiedDirectories(removed)
        previous = [:]
        // The manifest is not part of the published site, but is written the same careful way.
        try manifest.close()
        if let code = LocalFiles.replace(manifest.temporary.path, filePath(SiteOutput.manifestName)) {
            throw SiteBuildError.cannotWrite(SiteOutput.manifestName, errno: code)
        }
        unlink(directory.appendingPathComponent(SiteOutput.deltaName).path)
        return removed
    }

    /// Directories emptied by removing `removed` go too (deepest first).
    private func removeEmptiedDirectories(_ removed: [String]) {
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

    /// Ends a patching build: removes what no longer belongs and appends it all to the delta.
    private func finishPatch() throws -> [String] {
        let removed = removals.subtracting(producedPaths).sorted()
        for path in removed {
            guard unlink(filePath(path)) == 0 || errno == ENOENT else { throw SiteBuildError.cannotWrite(path, errno: errno) }
            manifest.writeLine(path + "\t-\tremoved")
        }
        removeEmptiedDirectories(removed)
        try manifest.close()
        return removed
    }

    func url(_ path: String) -> URL { URL(fileURLWithPath: filePath(path), isDirectory: false) }

    /// The file system path of `path` (from the site root). Built as a string: Foundation's
    /// `appendingPathComponent` looks at the disk to tell files from directories, a `stat` per call.
    func filePath(_ path: String) -> String { rootPath + "/" + path }
    private let rootPath: String

    /// Where `path` is written before it is renamed into place: beside it, hidden (a leading dot), so a
    /// mirror or an `rsync --exclude ".*"` taken while a build runs never copies a half-written file.
    static func temporaryPath(for path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." + path + ".tmp-outpost" }
        return path[...slash] + "." + path[path.index(after: slash)...] + ".tmp-outpost"
    }

    private func ensureParent(of path: String) throws {
        guard let slash = path.lastIndex(of: "/") else { return }
        let parent = String(path[..<slash])
        try guardLock.withLock {
            guard !createdDirectories.contains(parent) else { return }
            try FileManager.default.createDirectory(atPath: filePath(parent), withIntermediateDirectories: true)
            createdDirectories.insert(parent)
        }
    }

    /// Streams a manifest's entries; an unknown or missing manifest has none (everything is rebuilt).
    /// The delta (`header: false`) has no header line, and an entry of nil: a file its build removed.
    static func readManifest(_ url: URL, header: Bool = true, _ body: (String, Entry?) -> Void) {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return }
        defer { try? handle.close() }
        var pending: [UInt8] = []
        var first = header
        var valid = true
        func line(_ bytes: ArraySlice<UInt8>) {
            let text = String(decoding: bytes, as: UTF8.self)
            if first {
                first = false
                valid = text == manifestHeader
                return
            }
            guard valid else { return }
            let parts = text.split(separator: "\t", omittingEmptySubsequences: false)
            guard parts.count == 3 else { return }
            if !header, parts[2] == "removed" {
                body(String(parts[0]), nil)
                return
            }
            let output = ContentHash(hex: parts[2])
            guard output != nil || (!header && parts[2] == "-") else { return }
            body(String(parts[0]), Entry(inputs: ContentHash(hex: parts[1]), output: output))
        }
        while valid, let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            pending.append(contentsOf: chunk)
            var start = pending.startIndex
            while let newline = pending[start...].firstIndex(of: 10) {
                line(pending[start..<newline])
                start = newline + 1
            }
            pending.removeSubrange(..<start)
        }
        // A last line without its newline was cut short by a crash: not trusted.
        if valid, header, !pending.isEmpty { line(pending[...]) }
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

/// close(2), named so the call compiles on Linux and macOS alike (and beside methods called `close`).
func systemClose(_ fd: Int32) {
    #if canImport(Glibc)
    _ = Glibc.close(fd)
    #else
    _ = Darwin.close(fd)
    #endif
}
