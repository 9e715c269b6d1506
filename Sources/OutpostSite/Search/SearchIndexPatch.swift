import Foundation

/// A change to one entity's entry in the search index.
struct SearchChange: Sendable {
    /// The entity's id; its entry's keys hold it, so the entry sits in the id's bucket.
    var id: String
    /// The path of the entity's entry as the index has it now (its page); the new entry may carry another.
    var path: String
    /// The entry it has now; nil when it is gone.
    var entry: SearchEntry?
}

/// Why the search index could not be patched; a full build writes it afresh.
enum SearchIndexPatchError: Error, Equatable, CustomStringConvertible {
    /// A file of the index is not laid out as `SearchBucketFile` writes one.
    case malformedBucket(String)
    /// A line of a bucket is not laid out as `SearchEntry.line` writes one.
    case malformedLine(String)
    /// An entry found in its id's bucket is missing from another bucket its words name.
    case missingEntry(path: String, file: String)
    /// The id has no word that makes a bucket, so its entry cannot be found.
    case idHasNoBucket(String)
    /// The new entry's keys do not hold its id, so a later patch could not find it.
    case idNotInKeys(id: String, path: String)

    var description: String {
        switch self {
        case .malformedBucket(let file): return "search/\(file) is not a file of the search index; rebuild the site in full"
        case .malformedLine(let line): return "a search index entry is malformed (\(line)); rebuild the site in full"
        case let .missingEntry(path, file): return "search/\(file) lacks the entry of \(path) that its other buckets have; rebuild the site in full"
        case .idHasNoBucket(let id): return "\(id) has no word to file a search entry under"
        case let .idNotInKeys(id, path): return "the search entry of \(path) does not hold its id \(id) among its keys"
        }
    }
}

/// Changes a few entries of the search index in place of rebuilding it.
///
/// Each file is read once, every change applied to it, and its new bytes
/// returned once; they equal what `SearchIndexWriter` writes for the same
/// entries, because lines come from `SearchEntry.line` and are kept in
/// `SearchEntry.precedes` order. An entity's old entry is found through its
/// id: the id is among the entry's words, so the entry is in the file of the
/// id's bucket, found there by its path; its words name the other buckets.
/// A renamed or new customer so rewrites only the files of its buckets. When
/// the entry count crosses a power of two the file count changes
/// (`SearchKey.fileCount`) and every file is written anew.
enum SearchIndexPatch {
    /// Applies `changes` in order. `read(fileName)` gives the bytes of
    /// `search/<fileName>`, nil when there is none. The result maps each
    /// file whose bytes change to its new bytes, or to nil when it is left
    /// empty and must go.
    static func apply(_ changes: [SearchChange], read: (String) throws -> [UInt8]?) throws -> [String: [UInt8]?] {
        guard let countsBytes = try read(SearchKey.countsFileName) else { throw SearchIndexPatchError.malformedBucket(SearchKey.countsFileName) }
        let counts = try SearchBucketFile.readCounts(countsBytes)
        var entries = counts.entries
        var files: [Int: File] = [:]
        func file(_ number: Int) throws -> File {
            if let loaded = files[number] { return loaded }
            let loaded = try File(number: number, bytes: read(SearchKey.fileName(number)))
            files[number] = loaded
            return loaded
        }
        for change in changes {
            guard let idBucket = SearchEntry.buckets(of: SearchKey.tokens(change.id)).first else { throw SearchIndexPatchError.idHasNoBucket(change.id) }
            let idFile = SearchKey.fileNumber(idBucket, files: counts.files)
            let path = Array(change.path.utf8)
            // Take the old entry out of every file its buckets are in.
            if let index = try file(idFile).index(ofPath: path) {
                let line = Array(try file(idFile).line(index))
                let numbers = Set(try SearchEntry.buckets(ofLine: line[...]).map { SearchKey.fileNumber($0, files: counts.files) })
                for number in numbers.sorted() {
                    guard try file(number).remove(path: path, line: line) else {
                        throw SearchIndexPatchError.missingEntry(path: change.path, file: SearchKey.fileName(number))
                    }
                }
                entries -= 1
            }
            // File the new one.
            guard let entry = change.entry, let line = entry.line else { continue }
            guard line.buckets.contains(idBucket) else { throw SearchIndexPatchError.idNotInKeys(id: change.id, path: entry.path) }
            if try file(idFile).insert(line) { entries += 1 }
            for number in line.files(counts.files) where number != idFile { _ = try file(number).insert(line) }
        }
        var result: [String: [UInt8]?] = [:]
        let fileCount = SearchKey.fileCount(entries: entries)
        if fileCount == counts.files {
            for (number, file) in files where file.changed {
                let name = SearchKey.fileName(number)
                if file.lines.isEmpty {
                    if file.existed { result.updateValue(nil, forKey: name) }
                } else {
                    let bytes = file.bytes()
                    if bytes != file.original { result.updateValue(bytes, forKey: name) }
                }
            }
        } else {
            // Every entry once, in order, then into its files under the new count.
            var all: [(path: [UInt8], line: [UInt8])] = []
            for number in 0..<counts.files {
                let file = try file(number)
                for index in file.lines.indices { all.append((try file.path(index), Array(file.line(index)))) }
            }
            all.sort { SearchEntry.precedes(path: $0.path, line: $0.line, path: $1.path, line: $1.line) }
            var grouped: [Int: [[UInt8]]] = [:]
            var previous: [UInt8]? = nil
            for item in all where item.line != previous {
                previous = item.line
                let numbers = Set(try SearchEntry.buckets(ofLine: item.line[...]).map { SearchKey.fileNumber($0, files: fileCount) })
                for number in numbers { grouped[number, default: []].append(item.line) }
            }
            for number in 0..<max(fileCount, counts.files) {
                let old = try file(number)
                let name = SearchKey.fileName(number)
                if let lines = grouped[number] {
                    let bytes = SearchBucketFile.file(number, lines: lines)
                    if !old.existed || bytes != old.original { result.updateValue(bytes, forKey: name) }
                } else if old.existed {
                    result.updateValue(nil, forKey: name)
                }
            }
        }
        let newCounts = SearchBucketFile.counts(files: fileCount, entries: entries)
        if newCounts != countsBytes { result.updateValue(newCounts, forKey: SearchKey.countsFileName) }
        return result
    }

    /// A file being patched: the file as read, and its lines, old ones as ranges of it.
    private final class File {
        enum Line {
            case old(Range<Int>)
            case new(SearchEntry.Line)
        }

        let number: Int
        let original: [UInt8]
        let existed: Bool
        var lines: [Line]
        var changed = false

        init(number: Int, bytes: [UInt8]?) throws {
            self.number = number
            existed = bytes != nil
            original = bytes ?? []
            lines = try bytes.map { try SearchBucketFile.lines(of: $0, number: number).map(Line.old) } ?? []
        }

        func line(_ index: Int) -> ArraySlice<UInt8> {
            switch lines[index] {
            case .old(let range): return original[range]
            case .new(let line): return line.bytes[...]
            }
        }

        func path(_ index: Int) throws -> [UInt8] {
            switch lines[index] {
            case .old(let range): return try SearchLine.field(3, of: original[range])
            case .new(let line): return line.path
            }
        }

        /// The first line not ordered before (`path`, `line`); an empty `line` finds the first line of `path`.
        func lowerBound(path: [UInt8], line: some Collection<UInt8>) throws -> Int {
            var low = 0, high = lines.count
            while low < high {
                let middle = (low + high) / 2
                if SearchEntry.precedes(path: try self.path(middle), line: self.line(middle), path: path, line: line) {
                    low = middle + 1
                } else {
                    high = middle
                }
            }
            return low
        }

        func index(ofPath path: [UInt8]) throws -> Int? {
            let index = try lowerBound(path: path, line: EmptyCollection())
            guard index < lines.count, try self.path(index) == path else { return nil }
            return index
        }

        func remove(path: [UInt8], line: [UInt8]) throws -> Bool {
            let index = try lowerBound(path: path, line: line)
            guard index < lines.count, self.line(index).elementsEqual(line) else { return false }
            lines.remove(at: index)
            changed = true
            return true
        }

        /// Files `line`; false when the file has it already.
        func insert(_ line: SearchEntry.Line) throws -> Bool {
            let index = try lowerBound(path: line.path, line: line.bytes)
            if index < lines.count, self.line(index).elementsEqual(line.bytes) { return false }
            lines.insert(.new(line), at: index)
            changed = true
            return true
        }

        func bytes() -> [UInt8] {
            SearchBucketFile.file(number, lines: lines.indices.lazy.map { self.line($0) }, capacity: original.count + 4096)
        }
    }
}
