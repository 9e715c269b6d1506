/// The shared rules for field values, each refusing with a message that names the field.
public enum FieldRules {
    /// A required human text (a name): trimmed, not empty, no control characters, at most `maximum` characters.
    public static func requiredText(_ value: String, field: String, maximum: Int = 200) throws -> String {
        let text = value.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { throw MutationRefusal.invalid(field, "\(field) must not be empty") }
        return try optionalText(text, field: field, maximum: maximum)
    }

    /// An optional human text: may be empty; otherwise as `requiredText`.
    public static func optionalText(_ value: String, field: String, maximum: Int = 200) throws -> String {
        let text = value.trimmingCharacters(in: .whitespaces)
        guard text.unicodeScalars.count <= maximum else {
            throw MutationRefusal.invalid(field, "\(field) is too long (\(text.unicodeScalars.count) characters; at most \(maximum))")
        }
        guard !text.unicodeScalars.contains(where: { $0.value < 0x20 || ($0.value >= 0x7f && $0.value < 0xa0) }) else {
            throw MutationRefusal.invalid(field, "\(field) must not contain control characters such as line breaks")
        }
        return text
    }

    /// A multi-line text (an address): line breaks allowed, other control characters not.
    public static func multilineText(_ value: String, field: String, maximum: Int = 500) throws -> String {
        let text = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.unicodeScalars.count <= maximum else {
            throw MutationRefusal.invalid(field, "\(field) is too long (\(text.unicodeScalars.count) characters; at most \(maximum))")
        }
        guard !text.unicodeScalars.contains(where: { ($0.value < 0x20 && $0 != "\n") || ($0.value >= 0x7f && $0.value < 0xa0) }) else {
            throw MutationRefusal.invalid(field, "\(field) must not contain control characters")
        }
        return text
    }

    /// An e-mail address: `local@domain.tld`, no spaces, at most 254 characters.
    public static func email(_ value: String, field: String = "email", required: Bool) throws -> String {
        let text = value.trimmingCharacters(in: .whitespaces)
        if text.isEmpty {
            if required { throw MutationRefusal.invalid(field, "\(field) must not be empty") }
            return ""
        }
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        let valid = parts.count == 2 && !parts[0].isEmpty && parts[0].count <= 64 && text.count <= 254
            && !text.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" || $0 == "," || $0 == ";" || $0 == "\"" })
            && isHostname(String(parts[1]), allowIDN: true) && parts[1].contains(".")
        guard valid else {
            throw MutationRefusal.invalid(field, "\(field) '\(text)' is not a valid e-mail address (expected name@example.com)")
        }
        return text
    }

    /// A login name: lowercase letters, digits, `.`, `_`, `-`, starting with a letter or digit, 1–64 characters.
    public static func username(_ value: String, field: String = "username") throws -> String {
        let text = value.trimmingCharacters(in: .whitespaces)
        let bytes = Array(text.utf8)
        let valid = (1...64).contains(bytes.count) && isLowerAlnum(bytes[0])
            && bytes.allSatisfy { isLowerAlnum($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
        guard valid else {
            throw MutationRefusal.invalid(field, "\(field) '\(text)' must be 1-64 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit")
        }
        return text
    }

    /// An ISO 3166 alpha-2 country code (`DE`); empty allowed when not required.
    public static func country(_ value: String, field: String = "country") throws -> String {
        let text = value.trimmingCharacters(in: .whitespaces).uppercased()
        if text.isEmpty { return "" }
        guard text.utf8.count == 2, text.utf8.allSatisfy({ $0 >= 65 && $0 <= 90 }) else {
            throw MutationRefusal.invalid(field, "\(field) '\(value)' must be a two-letter ISO 3166 code such as DE or FR")
        }
        return text
    }

    /// A phone number: digits, spaces and `+ - ( ) .`, at most 32 characters.
    public static func phone(_ value: String, field: String = "phone") throws -> String {
        let text = value.trimmingCharacters(in: .whitespaces)
        guard text.count <= 32, text.allSatisfy({ ($0.isASCII && $0.isNumber) || " +-().".contains($0) }) else {
            throw MutationRefusal.invalid(field, "\(field) '\(text)' may contain only digits, spaces and + - ( ) . (at most 32)")
        }
        return text
    }

    /// A registrable domain name: ASCII labels (IDNs in punycode), letters/digits/hyphens, a letter TLD.
    public static func domainName(_ value: String, field: String = "domain") throws -> String {
        let text = value.trimmingCharacters(in: .whitespaces).lowercased()
        let trimmed = text.hasSuffix(".") ? String(text.dropLast()) : text
        guard isHostname(trimmed, allowIDN: false), trimmed.contains(".") else {
            let hint = trimmed.unicodeScalars.contains(where: { !$0.isASCII }) ? "; write internationalized names in punycode (xn--…)" : ""
            throw MutationRefusal.invalid(field, "\(field) '\(value)' is not a valid domain name (expected example.com)\(hint)")
        }
        return trimmed
    }

    /// An SSL certificate's common name: a host name, or a wildcard `*.example.com`.
    public static func commonName(_ value: String, field: String = "common_name") throws -> String {
        let text = value.trimmingCharacters(in: .whitespaces).lowercased()
        let host = text.hasPrefix("*.") ? String(text.dropFirst(2)) : text
        guard !text.isEmpty else { throw MutationRefusal.invalid(field, "\(field) is required for SSL certificate plans") }
        guard isHostname(host, allowIDN: false), host.contains(".") else {
            throw MutationRefusal.invalid(field, "\(field) '\(value)' is not a valid host name (expected www.example.com or *.example.com)")
        }
        return text
    }

    /// An integer within a range, named in the refusal.
    public static func range<T: BinaryInteger>(_ value: T, _ range: ClosedRange<T>, field: String) throws -> T {
        guard range.contains(value) else {
            throw MutationRefusal.invalid(field, "\(field) must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
        }
        return value
    }

    /// A markup in basis points, refused in the percent people type (`--markup 2000 is above 1000%`), not in basis points.
    public static func markup(_ basisPoints: Int, field: String = "--markup") throws -> Int {
        // Negative first: `Pricing.percent` takes the magnitude, which `Int.min` has not.
        guard basisPoints >= 0 else {
            throw MutationRefusal.invalid("markup", "\(field) is negative; a markup is 0 to \(Pricing.percent(Pricing.maximumMarkup)) on cost")
        }
        guard basisPoints <= Pricing.maximumMarkup else {
            let typed = String(Pricing.percent(basisPoints).dropLast())  // `2000%` without its sign: what was typed
            throw MutationRefusal.invalid("markup", "\(field) \(typed) is above \(Pricing.percent(Pricing.maximumMarkup)), the most a price is marked up on cost")
        }
        return basisPoints
    }

    /// An id with the expected prefix.
    public static func id(_ value: String, prefix: String, field: String) throws -> String {
        guard IdentifierFactory.isValid(value, prefix: prefix) else {
            throw MutationRefusal.invalid(field, "\(field) '\(value)' is not a valid id (expected \(prefix)_…)")
        }
        return value
    }

    /// A value of a closed set (`role`, `status`).
    public static func oneOf<E: RawRepresentable & CaseIterable>(_ value: String, _: E.Type, field: String) throws -> E where E.RawValue == String {
        guard let parsed = E(rawValue: value) else {
            let choices = E.allCases.map(\.rawValue).joined(separator: ", ")
            throw MutationRefusal.invalid(field, "\(field) '\(value)' must be one of: \(choices)")
        }
        return parsed
    }

    package static func isHostname(_ text: String, allowIDN: Bool) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 253 else { return false }
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            let bytes = Array(label.utf8)
            guard (1...63).contains(bytes.count), bytes.first != UInt8(ascii: "-"), bytes.last != UInt8(ascii: "-") else { return false }
            let ok = bytes.allSatisfy { isLowerAlnum($0) || ($0 >= 65 && $0 <= 90) || $0 == UInt8(ascii: "-") || (allowIDN && $0 >= 0x80) }
            guard ok else { return false }
        }
        guard let tld = labels.last else { return false }
        return tld.utf8.count >= 2 && (tld.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 65 && $0 <= 90) || (allowIDN && $0 >= 0x80) } || tld.hasPrefix("xn--"))
    }

    private static func isLowerAlnum(_ byte: UInt8) -> Bool { (byte >= 97 && byte <= 122) || (byte >= 48 && byte <= 57) }
}

import Foundation
