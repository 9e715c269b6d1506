import Foundation
import OutpostModel

/// `--json` output: pretty, sorted keys, snake_case — stable for scripts and tests.
enum JSONOutput {
    static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func print<T: Encodable>(_ value: T, to session: Session) throws {
        session.print(try encode(value))
    }
}

/// Formatting of money, percentages and dates for text output.
enum Format {
    static func money(_ units: Int64, _ currency: String) -> String { Money.formatted(units, currencyCode: currency) }

    static func percent(_ basisPoints: Int) -> String { Pricing.percent(basisPoints) }

    static func optionalDate(_ date: BusinessDate?) -> String { date?.description ?? "-" }

    static func yesNo(_ value: Bool) -> String { value ? "yes" : "no" }

    /// A size for people: "512 bytes", "41.3 kB", "12.0 MB" (decimal units, as `du --si` and file managers show).
    static func bytes(_ count: Int) -> String {
        if count < 1000 { return Plural.count(count, "byte") }
        if count < 1_000_000 { return String(format: "%.1f kB", Double(count) / 1000) }
        return String(format: "%.1f MB", Double(count) / 1_000_000)
    }
}
