import OutpostModel
/// Small text helpers for fake business data: slugs, e-mail local parts and
/// per-country conventions (legal forms, calling codes, VAT numbers).
enum FixtureText {
    /// Lower-case ASCII letters and digits, words joined by `-`: `Nordic Granite` → `nordic-granite`.
    /// Apostrophes vanish (`O'Sullivan` → `osullivan`); at most `maximum` characters, never ending in `-`.
    static func slug(_ text: String, maximum: Int = 40) -> String {
        var bytes: [UInt8] = []
        var pendingHyphen = false
        for byte in text.utf8 {
            switch byte {
            case 65...90, 97...122, 48...57:
                if pendingHyphen, !bytes.isEmpty { bytes.append(45) }
                pendingHyphen = false
                bytes.append(byte >= 65 && byte <= 90 ? byte + 32 : byte)
            case UInt8(ascii: "'"), UInt8(ascii: "."):
                continue
            default:
                pendingHyphen = true
            }
            if bytes.count >= maximum { break }
        }
        while bytes.last == 45 { bytes.removeLast() }
        return bytes.isEmpty ? "company" : String(decoding: bytes, as: UTF8.self)
    }

    /// A name as an e-mail local part or username piece: lower-case letters and digits only (`de Jong` → `dejong`).
    static func localPart(_ text: String) -> String {
        let bytes = text.utf8.compactMap { byte -> UInt8? in
            switch byte {
            case 65...90: return byte + 32
            case 97...122, 48...57: return byte
            default: return nil
            }
        }
        return bytes.isEmpty ? "user" : String(decoding: bytes, as: UTF8.self)
    }

    /// Legal forms usual in a country, in preference order.
    static func legalForms(country: String) -> [String] {
        switch country {
        case "DE": return ["GmbH", "GmbH", "AG", "KG"]
        case "AT": return ["GmbH", "AG"]
        case "CH": return ["AG", "GmbH"]
        case "FR": return ["SARL", "SAS", "S.A."]
        case "NL": return ["BV", "BV", "NV"]
        case "BE": return ["BV", "NV", "S.A."]
        case "GB", "IE": return ["Ltd", "Ltd", "PLC"]
        case "IT": return ["S.r.l.", "S.p.A."]
        case "ES": return ["S.L.", "S.A."]
        case "PT": return ["Lda.", "S.A."]
        case "SE": return ["AB"]
        case "FI": return ["Oy"]
        case "DK": return ["ApS", "A/S"]
        case "PL": return ["Sp. z o.o."]
        case "CZ": return ["s.r.o."]
        default: return []
        }
    }

    /// The international calling code of a country (`+49`).
    static func callingCode(country: String) -> String {
        switch country {
        case "DE": return "+49"
        case "AT": return "+43"
        case "CH": return "+41"
        case "FR": return "+33"
        case "NL": return "+31"
        case "BE": return "+32"
        case "GB": return "+44"
        case "IE": return "+353"
        case "IT": return "+39"
        case "ES": return "+34"
        case "PT": return "+351"
        case "SE": return "+46"
        case "FI": return "+358"
        case "DK": return "+45"
        case "PL": return "+48"
        case "CZ": return "+420"
        case "NO": return "+47"
        case "LU": return "+352"
        default: return "+44"
        }
    }

    /// The country's own TLD for company domains, when it has a usual one.
    static func countryTLD(country: String) -> String? {
        switch country {
        case "GB": return "co.uk"
        case "DE", "FR", "NL", "IT", "ES", "SE", "AT", "BE", "CH", "FI", "DK", "PL", "PT", "CZ", "IE":
            return country.lowercased()
        default: return nil
        }
    }

    /// Digits of a VAT number after the country prefix.
    static func vatDigits(country: String) -> Int {
        switch country {
        case "FR", "IT": return 11
        case "NL", "SE": return 12
        case "DK", "FI": return 8
        case "BE": return 10
        default: return 9
        }
    }

    /// `value` with leading zeros to `width` digits.
    static func digits(_ value: Int, width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}
