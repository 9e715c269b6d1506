import OutpostModel

/// How the site writes money, dates and percentages: for the reseller's
/// currency, unambiguous (ISO dates, UTC times), with negative and zero
/// amounts marked so they look intentional.
struct SiteFormat: Sendable {
    let currency: Currency

    /// `1,234.50 EUR`.
    func moneyText(_ units: Int64) -> String { Money.formatted(units, currency: currency) }

    /// Money in a span classed `neg` or `zero` when it is so.
    func money(_ units: Int64) -> Node {
        let kind = units < 0 ? "money neg" : units == 0 ? "money zero" : "money"
        return H.span(moneyText(units), [Attribute("class", kind)])
    }

    /// The plain decimal for CSV (`-1234.50`): what spreadsheets read.
    func csvMoney(_ units: Int64) -> String { Money(minorUnits: units, currency: currency).decimalString }

    /// A business date as stored (`2026-11-24`, ISO 8601), or a dash when there is none.
    static func date(_ text: String?) -> String {
        guard let text, !text.isEmpty else { return "—" }
        return text
    }

    /// A UTC instant as `2026-11-24 17:00 UTC`.
    static func timestamp(_ text: String?) -> String {
        guard let text, let instant = Timestamp(text) else { return text ?? "—" }
        let full = instant.description
        return String(full.prefix(10)) + " " + String(full.dropFirst(11).prefix(5)) + " UTC"
    }

    /// `25.00%`, `33.33%`, `-4.50%`; a dash when unknown. Always two decimals, so the
    /// figures of one column line up and read alike ("20.00%" beside "20.03%", not "20%").
    static func percent(_ basisPoints: Int?) -> String {
        guard let basisPoints else { return "—" }
        let magnitude = basisPoints.magnitude
        let fraction = magnitude % 100
        return (basisPoints < 0 ? "-" : "") + "\(magnitude / 100).\(fraction < 10 ? "0" : "")\(fraction)%"
    }

    /// `bank_transfer` → `bank transfer`.
    static func words(_ code: String) -> String { String(code.map { $0 == "_" ? " " : $0 }) }
}
