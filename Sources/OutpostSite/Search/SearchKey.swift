import Foundation

/// How search text is cut into words and buckets; `site/outpost.js` does the same.
enum SearchKey {
    /// Lower-cased words of letters and digits; numbers lose leading zeros
    /// (`ORD-000123` → `ord`, `123`); an id such as `cus_01jd…` stays whole.
    static func tokens(_ text: String) -> [String] {
        var result: [String] = []
        for word in text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }) {
            if word.utf8.allSatisfy({ $0 < 0x80 }) {
                asciiTokens(word.utf8, into: &result)
                continue
            }
            let word = word.lowercased()[...]
            if isIdentifier(word) {
                result.append(String(word))
                continue
            }
            var current = ""
            for character in word {
                if character.isLetter || character.isNumber {
                    current.append(character)
                } else if !current.isEmpty {
                    result.append(normalized(current))
                    current = ""
                }
            }
            if !current.isEmpty { result.append(normalized(current)) }
        }
        return result
    }

    /// The same rules for a word that is all ASCII (most of them), on bytes.
    private static func asciiTokens(_ word: Substring.UTF8View, into result: inout [String]) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(word.count)
        for byte in word { bytes.append(byte >= 65 && byte <= 90 ? byte + 32 : byte) }
        if isIdentifier(Substring(String(decoding: bytes, as: UTF8.self))) {
            result.append(String(decoding: bytes, as: UTF8.self))
            return
        }
        var start = -1
        func flush(_ end: Int) {
            guard start >= 0 else { return }
            var slice = bytes[start..<end]
            if slice.allSatisfy({ $0 >= 48 && $0 <= 57 }) {
                slice = slice.drop { $0 == 48 }
                result.append(slice.isEmpty ? "0" : String(decoding: slice, as: UTF8.self))
            } else {
                result.append(String(decoding: slice, as: UTF8.self))
            }
            start = -1
        }
        for (index, byte) in bytes.enumerated() {
            let alphanumeric = (byte >= 97 && byte <= 122) || (byte >= 48 && byte <= 57)
            if alphanumeric {
                if start < 0 { start = index }
            } else {
                flush(index)
            }
        }
        flush(bytes.count)
    }

    private static func normalized(_ token: String) -> String {
        guard token.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return token }
        let trimmed = token.drop { $0 == "0" }
        return trimmed.isEmpty ? "0" : String(trimmed)
    }

    /// `cus_01jd2k…`: two to four letters, an underscore, eight or more letters and digits.
    static func isIdentifier(_ word: Substring) -> Bool {
        guard let underscore = word.firstIndex(of: "_") else { return false }
        let prefix = word[..<underscore], rest = word[word.index(after: underscore)...]
        return (2...4).contains(prefix.count) && prefix.allSatisfy { $0 >= "a" && $0 <= "z" }
            && rest.count >= 8 && rest.allSatisfy { ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") }
    }

    /// The bucket of a word: its first three characters (a shorter word is a bucket of its own),
    /// or for an id `#` and its last three. Buckets are many and small; `fileNumber` gathers
    /// them into a bounded number of files.
    static func bucket(_ token: String) -> String {
        if isIdentifier(Substring(token)) { return "#" + String(String.UnicodeScalarView(token.unicodeScalars.suffix(3))) }
        return String(String.UnicodeScalarView(token.unicodeScalars.prefix(3)))
    }

    /// A word of one letter (the `S`, `p` and `A` of `S.p.A.`): found through the entry's other
    /// words, never a bucket of its own (it would hold every such company). A one-digit number is
    /// (`INV-000007` is found by its `7`).
    static func isSingleLetter(_ token: String) -> Bool {
        token.unicodeScalars.count == 1 && !token.unicodeScalars.allSatisfy { $0.properties.numericType != nil }
    }

    /// Words too common to be a bucket of their own (`com` would hold every domain).
    static func isStopWord(_ token: String) -> Bool { stopWords.contains(token) }

    static let stopWords: Set<String> = ["ord", "inv", "crn", "com", "net", "org", "io", "de", "uk", "co", "eu", "fr", "nl", "es", "it",
                                         "the", "and", "of", "ltd", "gmbh", "inc", "llc", "ag", "sa", "bv", "srl", "sl", "oy", "ab", "as",
                                         // Shared mailboxes (info@…, billing@…): found through the rest of the address.
                                         "info", "office", "billing", "accounts", "admin", "contact", "sales", "support", "mail", "hello"]

    /// The three-letter pieces of a word of three letters or more (`jade` → `jad`, `ade`): the
    /// buckets that find a name by a word from its middle ("ade" finds "Nova Jade").
    static func trigrams(_ token: String) -> [String] {
        let scalars = Array(token.unicodeScalars)
        guard scalars.count >= 3 else { return [] }
        var pieces: [String] = []
        for start in 0...(scalars.count - 3) {
            var piece = String.UnicodeScalarView()
            piece.append(contentsOf: scalars[start..<(start + 3)])
            let text = String(piece)
            if !pieces.contains(text) { pieces.append(text) }
        }
        return pieces
    }

    /// How many files the index is cut into for `entries` entries: the largest power of two that is
    /// at most one file per ten entries (the issue's bound; 23,285 files at 2,000 customers before),
    /// and at most 8,192, so `search/` stays a directory a file server lists quickly.
    static func fileCount(entries: Int) -> Int {
        var count = 1
        while count * 2 <= entries / 10 && count * 2 <= 8192 { count *= 2 }
        return count
    }

    /// The file a bucket lies in: FNV-1a (32 bits) of its UTF-8 bytes, modulo the file count.
    /// `site/outpost.js` computes the same with `Math.imul`.
    static func fileNumber(_ bucket: String, files: Int) -> Int {
        var hash: UInt32 = 2_166_136_261
        for byte in bucket.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        return Int(hash % UInt32(files))
    }

    /// The name of file number `number` in `search/`.
    static func fileName(_ number: Int) -> String { "s-\(number).js" }

    /// The file that says how many files there are and how many entries they hold; pages load it first.
    static let countsFileName = "index.js"

    /// A JavaScript string literal that is also safe inside any file: `"`, `\`,
    /// controls, `<`, `>`, `&` and U+2028/9 as `\u` escapes.
    static func appendJSString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out.append(contentsOf: "\\\"".utf8)
            case "\\": out.append(contentsOf: "\\\\".utf8)
            case "<", ">", "&", "\u{2028}", "\u{2029}":
                out.append(contentsOf: unicodeEscape(scalar.value).utf8)
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f {
                    out.append(contentsOf: unicodeEscape(scalar.value).utf8)
                } else {
                    out.append(contentsOf: String(scalar).utf8)
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func unicodeEscape(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "\\u" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
