/// An amount of money as an integer count of minor units (cents). Never `Double`.
public struct Money: Hashable, Sendable, Comparable {
    public let minorUnits: Int64
    public let currency: Currency

    public init(minorUnits: Int64, currency: Currency) {
        self.minorUnits = minorUnits
        self.currency = currency
    }

    public static func < (lhs: Money, rhs: Money) -> Bool { lhs.minorUnits < rhs.minorUnits }

    /// Why a decimal string is not an amount.
    public enum ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        case empty
        case notANumber(String)
        case negative(String)
        case tooManyDecimals(String, allowed: Int)
        case tooLarge(String)

        public var description: String {
            switch self {
            case .empty: return "an amount is required"
            case .notANumber(let text): return "'\(text)' is not an amount; write digits with an optional decimal point, like 12.34"
            case .negative(let text): return "'\(text)' is negative; amounts must be zero or more"
            case let .tooManyDecimals(text, allowed):
                return allowed == 0 ? "'\(text)' has decimals; this currency has no minor unit" : "'\(text)' has more than \(allowed) decimals"
            case .tooLarge(let text): return "'\(text)' is too large"
            }
        }
    }

    /// Reads a decimal string (`12.34`, `12`, `0.5`) exactly, digit by digit — never through `Double`.
    ///
    /// Refuses signs, exponents, grouping separators and more decimals than
    /// the currency has, so `12.345` EUR is an error, not a rounding.
    public static func parse(_ text: String, currency: Currency) throws(ParseError) -> Money {
        let trimmed = text.trimmingASCIIWhitespace()
        guard !trimmed.isEmpty else { throw .empty }
        if trimmed.hasPrefix("-") { throw .negative(text) }
        let parts = trimmed.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count <= 2, !parts[0].isEmpty || (parts.count == 2 && !parts[1].isEmpty) else { throw .notANumber(text) }
        let whole = parts[0]
        let fraction = parts.count == 2 ? parts[1] : ""
        guard whole.utf8.allSatisfy(isDigit), fraction.utf8.allSatisfy(isDigit), !(parts.count == 2 && fraction.isEmpty) else {
            throw .notANumber(text)
        }
        guard fraction.count <= currency.minorDigits else { throw .tooManyDecimals(text, allowed: currency.minorDigits) }
        var value: Int64 = 0
        let digits = whole + fraction + String(repeating: "0", count: currency.minorDigits - fraction.count)
        for byte in digits.utf8 {
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(Int64(byte - 48))
            guard !overflow1, !overflow2 else { throw .tooLarge(text) }
            value = sum
        }
        return Money(minorUnits: value, currency: currency)
    }

    /// The amount as a plain decimal (`-1234.50`), as it is read back by `parse`.
    public var decimalString: String { Money.decimalString(minorUnits, digits: currency.minorDigits) }

    /// For people: grouped, with the currency code (`1,234.50 EUR`, `-0.99 EUR`).
    public var formatted: String { Money.formatted(minorUnits, currency: currency) }

    static func decimalString(_ units: Int64, digits: Int, grouping: Bool = false) -> String {
        let negative = units < 0
        let magnitude = units.magnitude
        var scale: UInt64 = 1
        for _ in 0..<digits { scale *= 10 }
        var whole = String(magnitude / scale)
        if grouping {
            var grouped = ""
            for (index, character) in whole.reversed().enumerated() {
                if index > 0, index % 3 == 0 { grouped.append(",") }
                grouped.append(character)
            }
            whole = String(grouped.reversed())
        }
        var text = (negative ? "-" : "") + whole
        if digits > 0 {
            let fraction = String(magnitude % scale)
            text += "." + String(repeating: "0", count: digits - fraction.count) + fraction
        }
        return text
    }

    /// `formatted` for an amount stored with its ISO 4217 code; a code Outpost does not know
    /// (a damaged row) shows the bare minor units rather than a guess at the currency.
    public static func formatted(_ units: Int64, currencyCode: String) -> String {
        guard let currency = Currency(code: currencyCode) else { return "\(units) \(currencyCode) minor units" }
        return formatted(units, currency: currency)
    }

    /// Formats minor units of a currency for people.
    public static func formatted(_ units: Int64, currency: Currency) -> String {
        decimalString(units, digits: currency.minorDigits, grouping: true) + " " + currency.code
    }
}

private func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }

extension StringProtocol {
    func trimmingASCIIWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}
