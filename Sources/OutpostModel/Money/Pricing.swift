/// Markup and margin, in basis points (`2500` = 25 %).
///
/// Markup is on cost, margin is on price: 25 % markup on a cost of 100 gives
/// a price of 125, whose margin is 25 / 125 = 20 %.
public enum Pricing {
    /// The largest markup the price manager accepts: 1000 %.
    public static let maximumMarkup = 100_000
    /// The setup wizard's default markup: 25 %.
    public static let defaultMarkup = 2_500

    /// A price could not be computed without overflowing 64-bit minor units.
    public struct Overflow: Error, Equatable, Sendable, CustomStringConvertible {
        public let cost: Int64
        public let markup: Int
        public var description: String { "the price of cost \(cost) at markup \(markup) basis points is too large" }
    }

    /// Sale price = cost × (10000 + markup) / 10000, rounded half away from zero to the minor unit.
    ///
    /// The one place prices are computed. Exact for every `Int64` cost: the
    /// cost is split into `q × 10000 + r` so no intermediate product overflows
    /// unless the result itself does.
    public static func salePrice(cost: Int64, markup: Int) throws(Overflow) -> Int64 {
        let factor = Int64(10_000 + markup)
        let (quotient, remainder) = cost.quotientAndRemainder(dividingBy: 10_000)
        // remainder × factor is small (|r| < 10⁴, factor ≤ 1.1 × 10⁵).
        let tail = remainder * factor
        var (tailUnits, tailRest) = tail.quotientAndRemainder(dividingBy: 10_000)
        if tailRest.magnitude * 2 >= 10_000 {
            tailUnits += tail < 0 ? -1 : 1
            tailRest = 0
        }
        let (head, overflow1) = quotient.multipliedReportingOverflow(by: factor)
        let (price, overflow2) = head.addingReportingOverflow(tailUnits)
        guard !overflow1, !overflow2 else { throw Overflow(cost: cost, markup: markup) }
        return price
    }

    /// Margin on price in basis points, rounded half away from zero; `nil` when the price is zero.
    public static func margin(price: Int64, cost: Int64) -> Int? {
        guard price != 0 else { return nil }
        let profit = (price - cost).multipliedFullWidth(by: 10_000)
        let (q, r) = price.dividingFullWidth((high: profit.high, low: profit.low))
        let rounded = r.magnitude * 2 >= price.magnitude ? q + ((r < 0) != (price < 0) ? -1 : 1) : q
        return Int(rounded)
    }

    /// The margin a markup gives: markup / (1 + markup), in basis points (2500 → 2000).
    public static func margin(forMarkup markup: Int) -> Int {
        let denominator = 10_000 + markup
        return (markup * 10_000 * 2 + denominator) / (2 * denominator)
    }

    /// `2500` → `25%`, `3333` → `33.33%`.
    public static func percent(_ basisPoints: Int) -> String {
        let sign = basisPoints < 0 ? "-" : ""
        let magnitude = abs(basisPoints)
        let fraction = magnitude % 100
        let whole = "\(sign)\(magnitude / 100)"
        if fraction == 0 { return whole + "%" }
        if fraction % 10 == 0 { return "\(whole).\(fraction / 10)%" }
        return "\(whole).\(fraction < 10 ? "0" : "")\(fraction)%"
    }

    /// Reads `25`, `25%`, `33.33` as basis points, exactly; `nil` for anything else (signs, 3 decimals, exponents).
    public static func parsePercent(_ text: String) -> Int? {
        var body = text.trimmingASCIIWhitespace()
        if body.hasSuffix("%") { body.removeLast() }
        let parts = body.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count <= 2, !parts[0].isEmpty, parts[0].count <= 7,
              parts[0].allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        var fraction = parts.count == 2 ? String(parts[1]) : ""
        guard fraction.count <= 2, fraction.allSatisfy({ $0.isASCII && $0.isNumber }), !(parts.count == 2 && fraction.isEmpty) else { return nil }
        while fraction.count < 2 { fraction += "0" }
        guard let whole = Int(parts[0]), let hundredths = Int(fraction) else { return nil }
        return whole * 100 + hundredths
    }
}

