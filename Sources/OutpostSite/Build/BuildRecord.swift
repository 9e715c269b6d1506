import Foundation

/// What one build produced, wrote and removed: counted (and, for tests, listed)
/// as it goes, and put into the site cache — the record of every file's
/// fingerprints, and the list of files the publish step has not seen yet.
///
/// Pages are written on worker threads, and the cache's connection belongs to
/// the build thread: workers add to the pending notes under a lock, and the
/// build thread moves them into the cache (`flush`).
final class BuildRecord: @unchecked Sendable {
    // @unchecked: every variable below is guarded by `lock`.
    private let lock = NSLock()
    /// Files produced whose record in the cache changes, and whether each was written.
    private var pending: [(path: String, record: SiteCache.FileRecord?, written: Bool)] = []
    private var writtenTotal = 0
    private var writtenByteTotal = 0
    private var unchangedTotal = 0
    private var writtenPaths: [String] = []
    /// Whether `written` lists paths (tests) or only the count is kept (a full build of 100,000
    /// customers writes close to a million files, and their paths would outweigh the build).
    let listsWritten: Bool
    /// After an interrupted build every file produced is noted for publishing: the build that died
    /// may have written some and not lived to note them.
    let publishesEverything: Bool

    init(listsWritten: Bool, publishesEverything: Bool) {
        self.listsWritten = listsWritten
        self.publishesEverything = publishesEverything
    }

    var written: [String] { lock.withLock { writtenPaths.sorted() } }
    var writtenCount: Int { lock.withLock { writtenTotal } }
    var writtenBytes: Int { lock.withLock { writtenByteTotal } }
    var unchanged: Int { lock.withLock { unchangedTotal } }
    /// Notes waiting for the build thread: it flushes when there are many.
    var backlog: Int { lock.withLock { pending.count } }

    /// A file this build produced: `record` is what the cache should now say of it (nil: no change to
    /// the record), `written` whether its bytes (`bytes` of them) were written (else it was left as it was).
    func produced(_ path: String, record: SiteCache.FileRecord?, written: Bool, bytes: Int = 0) {
        lock.withLock {
            if written {
                writtenTotal += 1
                writtenByteTotal += bytes
                if listsWritten { writtenPaths.append(path) }
            } else {
                unchangedTotal += 1
            }
            if record != nil || written || publishesEverything { pending.append((path, record, written || publishesEverything)) }
        }
    }

    /// Moves the pending notes into the cache; on the build thread.
    func flush(into cache: SiteCache) throws {
        let notes = lock.withLock {
            defer { pending = [] }
            return pending
        }
        for note in notes {
            if let record = note.record { try cache.record(note.path, record) }
            if note.written { try cache.unpublished(note.path, removed: false) }
        }
    }

    /// Files of the last build that no longer belong and were removed; on the build thread.
    func removed(_ paths: [String], from cache: SiteCache) throws {
        for path in paths {
            try cache.forget(path)
            try cache.unpublished(path, removed: true)
        }
    }
}
