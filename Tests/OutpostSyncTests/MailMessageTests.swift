import Foundation
import Testing
import OutpostModel
@testable import OutpostSync

/// The RFC 5322 writer behind `node notify`: encoded-words, folding, quoted-printable, addresses, dates.
@Suite("Mail message")
struct MailMessageTests {
    func message(subject: String, name: String = "Zürich Dental AG", body: String = "Hello\n") throws -> ParsedMail {
        let from = try #require(MailMessage.Mailbox(name: "Acme Cloud", address: "billing@acme.example"))
        let to = try #require(MailMessage.Mailbox(name: name, address: "it@zuerich-dental.example"))
        return ParsedMail(MailMessage(from: from, to: to, subject: subject, date: Timestamp("2026-02-24T06:00:00Z")!,
                                      messageId: "abc@acme.example", body: body).text)
    }

    @Test("long non-ASCII subjects become encoded-words on lines of at most 76 characters that never split a character")
    func encodedWords() throws {
        let subject = String(repeating: "Ärger mit Ümläüten und 👩‍💻 Emoji, ", count: 6) + "שלום"
        let mail = try message(subject: subject)
        #expect(mail.decoded("Subject") == MailMessage.clean(subject))
        let raw = try #require(mail.raw.components(separatedBy: "\r\n\r\n").first)
        for line in raw.components(separatedBy: "\r\n") {
            #expect(line.utf8.count <= 76, "\(line)")
            #expect(line.utf8.allSatisfy { $0 < 0x80 })
        }
        for word in MailMessage.encodedWords(subject) {
            #expect(word.count <= 75)
            let payload = word.dropFirst("=?utf-8?B?".count).dropLast(2)
            #expect(String(data: try #require(Data(base64Encoded: String(payload))), encoding: .utf8) != nil, "each word is whole UTF-8")
        }
        // Plain ASCII stays readable, folded at spaces; text that looks like an encoded-word is encoded itself.
        let plain = try message(subject: String(repeating: "Invoice INV-000045 reminder ", count: 5))
        #expect(plain.header("Subject") == String(repeating: "Invoice INV-000045 reminder ", count: 5).trimmingCharacters(in: .whitespaces))
        #expect(try message(subject: "=?utf-8?B?SGk=?=").decoded("Subject") == "=?utf-8?B?SGk=?=")
    }

    @Test("display names are quoted or encoded, and nothing in them can start a header")
    func displayNames() throws {
        #expect(try message(subject: "s", name: "O'Brien \"Partners\" \\ Co").header("To") == #""O'Brien \"Partners\" \\ Co" <it@zuerich-dental.example>"#)
        let hostile = try message(subject: "Hi\r\nBcc: a@example.com", name: "Evil\nCc: b@example.com\u{2028}\u{85}")
        #expect(hostile.headers.map(\.name) == ["Date", "From", "To", "Subject", "Message-ID", "MIME-Version", "Content-Type", "Content-Transfer-Encoding"])
        #expect(hostile.header("Subject") == "Hi Bcc: a@example.com")
        #expect(hostile.header("To") == "\"Evil Cc: b@example.com\" <it@zuerich-dental.example>")
        #expect(try message(subject: "s", name: "").header("To") == "it@zuerich-dental.example")
    }

    @Test("the body is quoted-printable: lines of at most 76 characters that decode to the text, CRLF line ends")
    func quotedPrintable() throws {
        let body = "Grüße,\n" + String(repeating: "a=b ", count: 40) + "\ntrailing space \n\tTab\n.\n" + String(repeating: "€", count: 30) + "\n"
        let encoded = MailMessage.quotedPrintable(body)
        for line in encoded.components(separatedBy: "\r\n") { #expect(line.utf8.count <= 76, "\(line)") }
        #expect(ParsedMail.quotedPrintable(encoded) == body.replacingOccurrences(of: "\n", with: "\r\n"))
        #expect(encoded.contains("trailing space=20\r\n"), "a space before a line break is encoded")
        #expect(encoded.hasPrefix("Gr=C3=BC=C3=9Fe,\r\n"))
        #expect(encoded.contains("a=3Db "))
        #expect(encoded.utf8.allSatisfy { $0 < 0x80 })
        #expect(MailMessage.quotedPrintable("no newline") == "no newline\r\n")
    }

    @Test("addresses in ASCII: internationalized domains in Punycode, unusable local parts refused")
    func addresses() {
        #expect(Punycode.encode("münchen") == "mnchen-3ya")
        #expect(Punycode.encode("bücher") == "bcher-kva")
        #expect(Punycode.encode("例え") == "r8jz45g")
        #expect(MailMessage.asciiAddress("it@Zürich.Example") == "it@xn--zrich-kva.example")
        // A decomposed ü (u + U+0308) is the same name as the composed one.
        #expect(MailMessage.asciiAddress("it@Zu\u{0308}rich.Example") == "it@xn--zrich-kva.example")
        #expect(MailMessage.asciiAddress("o'brien+notices@example.com") == "o'brien+notices@example.com")
        #expect(MailMessage.asciiAddress("jürgen@example.com") == nil)
        #expect(MailMessage.asciiAddress("a b@example.com") == nil)
        #expect(MailMessage.asciiAddress("a@example.com>\r\nBcc: x@y.z") == nil)
        #expect(MailMessage.asciiAddress("a..b@example.com") == nil)
        #expect(MailMessage.asciiAddress("a@localhost") == nil)
        #expect(MailMessage.asciiAddress("nobody") == nil)
    }

    @Test("dates as RFC 5322 says, with the weekday", arguments: [
        ("1970-01-01T00:00:00Z", "Thu, 01 Jan 1970 00:00:00 +0000"),
        ("2026-02-24T06:00:00Z", "Tue, 24 Feb 2026 06:00:00 +0000"),
        ("2026-03-01T23:59:59Z", "Sun, 01 Mar 2026 23:59:59 +0000"),
        ("2028-02-29T12:00:00Z", "Tue, 29 Feb 2028 12:00:00 +0000"),
        ("1969-12-31T08:00:00Z", "Wed, 31 Dec 1969 08:00:00 +0000"),
    ])
    func dates(instant: String, expected: String) {
        #expect(MailMessage.rfc5322Date(Timestamp(instant)!) == expected)
    }
}
