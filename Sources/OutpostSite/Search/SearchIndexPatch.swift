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
    /// A bucket file is not laid out as `SearchBucketFile` writes one.
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
        case .malformedBucket(let file): return "search/\(file) is not a search bucket file; rebuild the site in full"
        case .malformedLine(let line): return "a search index entry is malformed (\(line)); rebuild the site in full"
        case let .missingEntry(path, file): return "search/\(file) lacks the entry of \(path) that its other buckets have; rebuild the site in full"
        case .idHasNoBucket(let id): return "\(id) has no word to file a search entry under"
        case let .idNotInKeys(id, path): return "the search entry of \(path) does not hold its id \(id) among its keys"
        }
    }
}

/// Changes a few entries of the search index in place of rebuilding it.
///
/// Each bucket file is read once, every change applied to it, and its new
/// bytes returned once; they equal what `SearchIndexWriter` writes for the
/// same entries, because lines come from `SearchEntry.line` and are kept in
/// `SearchEntry.precedes` order. An entity's old entry is found through its
/// id: the id is among the entry's words, so the entry is in the id's
/// bucket, found there by its path; its words name the other buckets.
enum SearchIndexPatch {
    /// Applies `changes` in order. `read(fileName)` gives the bytes of
    /// `search/<fileName>`, nil when there is none. The result maps each
    /// bucket file whose bytes change to its new bytes, or to nil when the
    /// bucket is left empty and its file must go.
    static func apply(_ changes: [SearchChange], read: (String) throws -> [UInt8]?) throws -> [String: [UInt8]?] {
        var buckets: [String: Bucket] = [:]
        func bucket(_ name: String) throws -> Bucket {
            if let loaded = buckets[name] { return loaded }
            let loaded = try Bucket(name: name, bytes: read(SearchKey.fileName(name)))
            buckets[name] = loaded
            return loaded
        }
        for change in changes {
            guard let idBucket = SearchEntry.buckets(of: SearchKey.tokens(change.id)).first else { throw SearchIndexPatchError.idHasNoBucket(change.id) }
            let path = Array(change.path.utf8)
            // Take the old entry out of every bucket its words name.
            if let index = try bucket(idBucket).index(ofPath: path) {
                let line = Array(try bucket(idBucket).line(index))
                let tokens = String(decoding: try SearchLine.field(4, of: line[...]), as: UTF8.self).split(separator: " ").map(String.init)
                for name in SearchEntry.buckets(of: tokens) {
                    guard try bucket(name).remove(path: path, line: line) else {
                        throw SearchIndexPatchError.missingEntry(path: change.path, file: SearchKey.fileName(name))
                    }
                }
            }
            // File the new one.
            guard let entry = change.entry, let line = entry.line else { continue }
            guard line.buckets.contains(idBucket) else { throw SearchIndexPatchError.idNotInKeys(id: change.id, path: entry.path) }
            for name in line.buckets { try bucket(name).insert(line) }
        }
        var result: [String: [UInt8]?] = [:]
        for (name, bucket) in buckets where bucket.changed {
            let file = SearchKey.fileName(name)
            if bucket.lines.isEmpty {
                if bucket.existed { result.updateValue(nil, forKey: file) }
            } else {
                let bytes = bucket.file()
                if bytes != bucket.original { result.updateValue(bytes, forKey: file) }
            }
        }
        return result
    }

    /// A bucket being patched: the file as read, and its lines, old ones as ranges of it.
    private final class Bucket {
        enum Line {
            case old(Range<Int>)
            case new(SearchEntry.Line)
        }

        let name: String
        let original: [UInt8]
        let existed: Bool
        var lines: [Line]
        var changed = false

        init(name: String, bytes: [UInt8]?) throws {
            self.name = name
            existed = bytes != nil
            original = bytes ?? []
            lines = try bytes.map { try SearchBucketFile.lines(of: $0, bucket: name).map(Line.old) } ?? []
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

        func insert(_ line: SearchEntry.Line) throws {
            let index = try lowerBound(path: line.path, line: line.bytes)
            if index < lines.count, self.line(index).elementsEqual(line.bytes) { return }
            lines.insert(.new(line), at: index)
            changed = true
        }

        func file() -> [UInt8] {
            var bytes = SearchBucketFile.head(name)
            bytes.reserveCapacity(original.count + 4096)
            for index in lines.indices {
                if index > 0 { bytes.append(contentsOf: SearchBucketFile.separator) }
                bytes.append(contentsOf: line(index))
            }
            bytes.append(contentsOf: SearchBucketFile.tail)
            return bytes
        }
    }
}
