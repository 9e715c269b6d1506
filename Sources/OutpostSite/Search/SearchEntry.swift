/// One entry of the search index, and its line in a bucket file.
///
/// A line is `["kind","label","detail","path","tokens"]`, every field a
/// string literal from `SearchKey.appendJSString`, so a line never holds a
/// raw newline. The writer and `SearchIndexPatch` both make lines here and
/// order them with `precedes`, so a patched bucket is byte-identical to a
/// rebuilt one.
struct SearchEntry: Equatable, Sendable {
    /// `customer`, `order`…
    var kind: String
    /// What it is called.
    var label: String
    /// A detail line shown under the label.
    var detail: String
    /// Where it lives, from the site root; unique per entry.
    var path: String
    /// The words that find it; they must include the entity's id for `SearchIndexPatch` to find it again.
    var keys: [String]

    /// An entry ready to file: its line and the buckets it goes in.
    struct Line {
        let bytes: [UInt8]
        /// The UTF-8 bytes of `path`: the sort key.
        let path: [UInt8]
        /// Bucket names, each once, in token order; empty when every word is a stop word.
        let buckets: [String]

        /// The files (numbers) it lies in when the index has `files` files, each once, ascending.
        func files(_ files: Int) -> [Int] { Set(buckets.map { SearchKey.fileNumber($0, files: files) }).sorted() }
    }

    /// The words of `keys`, each once, in order.
    var tokens: [String] {
        var tokens: [String] = []
        for key in keys { for token in SearchKey.tokens(key) where !tokens.contains(token) { tokens.append(token) } }
        return tokens
    }

    /// Its line, or nil when it has no words (such an entry is not indexed).
    var line: Line? {
        let tokens = tokens
        guard !tokens.isEmpty else { return nil }
        var bytes: [UInt8] = Array("[".utf8)
        for (index, field) in [kind, label, detail, path, tokens.joined(separator: " ")].enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            SearchKey.appendJSString(field, to: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
        return Line(bytes: bytes, path: Array(path.utf8), buckets: SearchEntry.buckets(kind: kind, label: label, tokens: tokens))
    }

    /// The buckets of an entry with these words: one per distinct bucket of a word that is not a stop word.
    static func buckets(of tokens: [String]) -> [String] {
        var buckets: [String] = []
        for token in tokens where !SearchKey.isStopWord(token) && !SearchKey.isSingleLetter(token) {
            let bucket = SearchKey.bucket(token)
            if !buckets.contains(bucket) { buckets.append(bucket) }
        }
        return buckets
    }

    /// Kinds whose names are found by a word from their middle too ("ade" finds "Nova Jade"): few
    /// enough that every three-letter piece of their names can be a bucket.
    static let foundMidWord: Set<String> = ["customer", "plan"]

    /// The buckets of an entry: those of its words (`buckets(of:)`), and for a kind found mid-word
    /// every three-letter piece of each word of its label that is not a stop word.
    static func buckets(kind: String, label: String, tokens: [String]) -> [String] {
        var buckets = buckets(of: tokens)
        guard foundMidWord.contains(kind) else { return buckets }
        for token in SearchKey.tokens(label) where !SearchKey.isStopWord(token) && !SearchKey.isIdentifier(Substring(token)) {
            for piece in SearchKey.trigrams(token) where !buckets.contains(piece) { buckets.append(piece) }
        }
        return buckets
    }

    /// The buckets of a line written by `line`, read back from its kind, label and words.
    static func buckets(ofLine line: ArraySlice<UInt8>) throws(SearchIndexPatchError) -> [String] {
        let text = { (index: Int) throws(SearchIndexPatchError) -> String in String(decoding: try SearchLine.field(index, of: line), as: UTF8.self) }
        return buckets(kind: try text(0), label: try text(1), tokens: try text(4).split(separator: " ").map(String.init))
    }

    /// The order of lines in a file: by path (UTF-8 bytes), then by the whole line, so the order is total.
    static func precedes(path a: some Collection<UInt8>, line lineA: some Collection<UInt8>,
                         path b: some Collection<UInt8>, line lineB: some Collection<UInt8>) -> Bool {
        if a.elementsEqual(b) { return lineA.lexicographicallyPrecedes(lineB) }
        return a.lexicographicallyPrecedes(b)
    }
}

/// Reading fields back out of a line written by `SearchEntry.line`.
enum SearchLine {
    /// The decoded UTF-8 bytes of field `index` (0 kind … 4 tokens) of `line`.
    static func field(_ index: Int, of line: ArraySlice<UInt8>) throws(SearchIndexPatchError) -> [UInt8] {
        var position = line.startIndex
        guard position < line.endIndex, line[position] == UInt8(ascii: "[") else { throw .malformedLine(String(decoding: line.prefix(200), as: UTF8.self)) }
        position += 1
        var field = 0
        while true {
            guard position < line.endIndex, line[position] == UInt8(ascii: "\"") else { break }
            position += 1
            var decoded: [UInt8] = []
            let wanted = field == index
            while position < line.endIndex, line[position] != UInt8(ascii: "\"") {
                let byte = line[position]
                if byte != UInt8(ascii: "\\") {
                    if wanted { decoded.append(byte) }
                    position += 1
                    continue
                }
                guard position + 1 < line.endIndex else { break }
                let escaped = line[position + 1]
                if escaped == UInt8(ascii: "u") {
                    guard position + 6 <= line.endIndex, let value = UInt32(String(decoding: line[(position + 2)..<(position + 6)], as: UTF8.self), radix: 16),
                          let scalar = Unicode.Scalar(value) else { break }
                    if wanted { decoded.append(contentsOf: String(Character(scalar)).utf8) }
                    position += 6
                } else {
                    if wanted { decoded.append(escaped) }
                    position += 2
                }
            }
            guard position < line.endIndex else { break }
            position += 1  // the closing quote
            if wanted { return decoded }
            field += 1
            guard position < line.endIndex, line[position] == UInt8(ascii: ",") else { break }
            position += 1
        }
        throw .malformedLine(String(decoding: line.prefix(200), as: UTF8.self))
    }
}
