/// An ISO 4217 currency and how many minor-unit digits it has.
public struct Currency: Hashable, Sendable, CustomStringConvertible {
    /// The three-letter code, `EUR`.
    public let code: String
    /// Digits after the decimal point: 2 for EUR, 0 for JPY, 3 for KWD.
    public let minorDigits: Int

    /// A currency by its ISO 4217 code; `nil` for codes Outpost does not know.
    public init?(code: String) {
        guard let digits = Self.known[code] else { return nil }
        self.code = code
        self.minorDigits = digits
    }

    public var description: String { code }

    /// Minor units in one major unit (100 for EUR).
    public var scale: Int64 {
        var value: Int64 = 1
        for _ in 0..<minorDigits { value *= 10 }
        return value
    }

    /// The codes resellers use, with their minor digits (ISO 4217).
    static let known: [String: Int] = [
        "EUR": 2, "USD": 2, "GBP": 2, "CHF": 2, "SEK": 2, "NOK": 2, "DKK": 2, "PLN": 2,
        "CZK": 2, "HUF": 2, "RON": 2, "BGN": 2, "TRY": 2, "CAD": 2, "AUD": 2, "NZD": 2,
        "SGD": 2, "HKD": 2, "INR": 2, "ZAR": 2, "BRL": 2, "MXN": 2, "AED": 2, "ILS": 2,
        "JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "KWD": 3, "BHD": 3, "OMR": 3, "TND": 3,
    ]

    /// All known codes, sorted.
    public static var knownCodes: [String] { known.keys.sorted() }
}
