import Foundation
import OutpostModel

/// A plain-text e-mail as RFC 5322 text, built so that no value can add a header.
///
/// - Header values are cleaned of control characters first (CR and LF above
///   all), so a customer name cannot end its header and start another.
/// - Non-ASCII `Subject` text and display names become RFC 2047 encoded-words
///   (`=?utf-8?B?…?=`, lines of at most 76 characters, never splitting a
///   character); lines are folded at spaces (RFC 5322 §2.2.3).
/// - Addresses are written in ASCII: an internationalized domain in Punycode
///   (RFC 3492); a local part that is not an ASCII dot-atom has no ASCII form,
///   so `Mailbox` refuses it.
/// - The body is UTF-8 in quoted-printable (RFC 2045 §6.7), lines of at most
///   76 characters, safe over any mail transport.
/// - Every line ends in CRLF.
public struct MailMessage: Sendable, Equatable {
    /// A display name and an address in its ASCII form.
    public struct Mailbox: Sendable, Equatable {
        public let name: String
        public let address: String

        /// `nil` when the address has no ASCII form usable in a header.
        public init?(name: String, address: String) {
            guard let ascii = MailMessage.asciiAddress(address) else { return nil }
            self.name = name
            self.address = ascii
        }
    }

    public let from: Mailbox
    public let to: Mailbox
    public let subject: String
    public let date: Timestamp
    /// The Message-ID without angle brackets: `left@domain`, ASCII.
    public let messageId: String
    /// More headers (name, value), after the standard ones.
    public let extraHeaders: [Header]
    public let body: String

    public struct Header: Sendable, Equatable {
        public let name: String
        public let value: String

        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(from: Mailbox, to: Mailbox, subject: String, date: Timestamp, messageId: String, extraHeaders: [Header] = [], body: String) {
        self.from = from
        self.to = to
        self.subject = subject
        self.date = date
        self.messageId = messageId
        self.extraHeaders = extraHeaders
        self.body = body
    }

    /// The whole message, CRLF line endings.
    public var text: String {
        var headers = [
            Self.header("Date", Self.rfc5322Date(date)),
            Self.header("From", Self.mailbox(from)),
            Self.header("To", Self.mailbox(to)),
            Self.header("Subject", Self.unstructured(subject)),
            Self.header("Message-ID", "<" + Self.clean(messageId).filter { $0 != " " } + ">"),
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: quoted-printable",
        ]
        for extra in extraHeaders { headers.append(Self.header(extra.name, Self.unstructured(extra.value))) }
        return headers.joined(separator: "\r\n") + "\r\n\r\n" + Self.quotedPrintable(body)
    }

    // MARK: Headers

    /// Control characters (CR, LF, tabs, C1, line and paragraph separators) become spaces; runs of spaces one; trimmed.
    static func clean(_ text: String) -> String {
        var result = String.UnicodeScalarView()
        var lastWasSpace = true
        for scalar in text.unicodeScalars {
            let control = scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
            if control || scalar == " " {
                if !lastWasSpace { result.append(" ") }
                lastWasSpace = true
            } else {
                result.append(scalar)
                lastWasSpace = false
            }
        }
        var cleaned = String(result)
        if cleaned.hasSuffix(" ") { cleaned.removeLast() }
        return cleaned
    }

    /// `Name: value`, folded before a word that would take the line past 78 characters.
    static func header(_ name: String, _ value: String) -> String {
        var lines: [String] = []
        var line = name + ":"
        for word in value.split(separator: " ", omittingEmptySubsequences: true) {
            if line.utf8.count + 1 + word.utf8.count > 78, line != name + ":" {
                lines.append(line)
                line = ""
            }
            line += " " + word
        }
        lines.append(line)
        return lines.joined(separator: "\r\n")
    }

    /// Text that may go into a header as it is: printable ASCII in words short enough to fold.
    static func isPlain(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F } && !text.split(separator: " ").contains { $0.utf8.count > 70 }
            && !text.contains("=?")
    }

    /// An unstructured value (`Subject`): as it is when plain, else encoded-words.
    static func unstructured(_ text: String) -> String {
        let cleaned = clean(text)
        return isPlain(cleaned) ? cleaned : encodedWords(cleaned).joined(separator: " ")
    }

    /// `"Display Name" <address>` (a quoted string, or encoded-words when not plain); the bare address without a name.
    static func mailbox(_ mailbox: Mailbox) -> String {
        var name = clean(mailbox.name)
        if name.count > 200 { name = String(name.prefix(200)) + "…" }
        guard !name.isEmpty else { return mailbox.address }
        let phrase = isPlain(name)
            ? "\"" + name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
            : encodedWords(name).joined(separator: " ")
        return phrase + " <" + mailbox.address + ">"
    }

    /// RFC 2047 `B` encoded-words of at most 39 UTF-8 bytes (52 base64 characters, 64 in all, so even after
    /// `Subject: ` a line stays within the 76 characters RFC 2047 §2 allows), split between characters.
    static func encodedWords(_ text: String) -> [String] {
        var words: [String] = []
        var chunk: [UInt8] = []
        func flush() {
            if !chunk.isEmpty { words.append("=?utf-8?B?" + base64(chunk) + "?=") }
            chunk = []
        }
        func add(_ bytes: [UInt8]) {
            if chunk.count + bytes.count > 39 { flush() }
            chunk += bytes
        }
        for character in text {
            let bytes = Array(String(character).utf8)
            if bytes.count <= 39 {
                add(bytes)
            } else {
                // A cluster longer than a word (piled-up combining marks): split between its scalars.
                for scalar in character.unicodeScalars { add(Array(String(scalar).utf8)) }
            }
        }
        flush()
        return words
    }

    static func base64(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let a = bytes[index], b = index + 1 < bytes.count ? bytes[index + 1] : 0, c = index + 2 < bytes.count ? bytes[index + 2] : 0
            out.append(alphabet[Int(a >> 2)])
            out.append(alphabet[Int((a & 0x03) << 4 | b >> 4)])
            out.append(index + 1 < bytes.count ? alphabet[Int((b & 0x0F) << 2 | c >> 6)] : UInt8(ascii: "="))
            out.append(index + 2 < bytes.count ? alphabet[Int(c & 0x3F)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `Mon, 02 Mar 2026 09:00:00 +0000` (RFC 5322 §3.3), in UTC.
    static func rfc5322Date(_ instant: Timestamp) -> String {
        let day = instant.date
        let (year, month, dayOfMonth) = day.parts
        // 1970-01-01 was a Thursday.
        let weekday = ((day.daysSinceEpoch % 7) + 7 + 4) % 7
        let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let time = String(instant.description.dropFirst(11).prefix(8))
        return "\(weekdays[weekday]), \(dayOfMonth < 10 ? "0" : "")\(dayOfMonth) \(months[month - 1]) \(year) \(time) +0000"
    }

    // MARK: Addresses

    /// `local@domain` in ASCII: the local part an RFC 5322 dot-atom, the domain's labels in Punycode where not ASCII.
    static func asciiAddress(_ address: String) -> String? {
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, let domain = asciiDomain(String(parts[1])) else { return nil }
        let local = parts[0]
        let atext = Set("!#$%&'*+-/=?^_`{|}~".utf8)
        guard (1...64).contains(local.utf8.count), !local.hasPrefix("."), !local.hasSuffix("."), !local.contains(".."),
              local.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 46 || atext.contains($0) })
        else { return nil }
        return local + "@" + domain
    }

    /// A host name in ASCII: lower case, non-ASCII labels as `xn--…`.
    static func asciiDomain(_ domain: String) -> String? {
        var labels: [String] = []
        // Composed first (NFC): a decomposed "u" + U+0308 and a "ü" are one name, and Punycode must see the one form.
        for label in domain.precomposedStringWithCanonicalMapping.lowercased().split(separator: ".", omittingEmptySubsequences: false) {
            let ascii: String
            if label.utf8.allSatisfy({ $0 < 0x80 }) {
                ascii = String(label)
            } else {
                guard let encoded = Punycode.encode(String(label)) else { return nil }
                ascii = "xn--" + encoded
            }
            guard (1...63).contains(ascii.utf8.count), !ascii.hasPrefix("-"), !ascii.hasSuffix("-"),
                  ascii.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 122) || $0 == 45 }) else { return nil }
            labels.append(ascii)
        }
        guard labels.count >= 2 else { return nil }
        return labels.joined(separator: ".")
    }

    // MARK: Body

    /// Quoted-printable: printable ASCII as it is (but `=`), the rest as `=XX`; spaces at a line's end encoded;
    /// soft line breaks keep every line at most 76 characters; line breaks become CRLF.
    static func quotedPrintable(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        for line in normalized.split(separator: "\n", omittingEmptySubsequences: false) {
            let bytes = Array(line.utf8)
            var width = 0
            for (index, byte) in bytes.enumerated() {
                let atEnd = index == bytes.count - 1
                let literal = (byte >= 33 && byte <= 126 && byte != 61) || ((byte == 32 || byte == 9) && !atEnd)
                let token: [UInt8] = literal ? [byte] : [61, hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
                if width + token.count > 75 {
                    out += [61, 13, 10]
                    width = 0
                }
                out += token
                width += token.count
            }
            out += [13, 10]
        }
        // The split leaves one line after the final newline: drop its CRLF so the body ends as the text does, plus one CRLF.
        if normalized.hasSuffix("\n") { out.removeLast(2) }
        return String(decoding: out, as: UTF8.self)
    }
}
