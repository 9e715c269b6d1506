import OutpostModel

/// How a chart writes its numbers: in tooltips and the data table (`value`) and on the axis (`axis`).
public struct ChartValueFormat: Sendable {
    public let value: @Sendable (Int64) -> String
    public let axis: @Sendable (Int64) -> String

    public init(value: @escaping @Sendable (Int64) -> String, axis: (@Sendable (Int64) -> String)? = nil) {
        self.value = value
        self.axis = axis ?? value
    }

    /// Whole numbers, grouped: `1,234`.
    public static let count = ChartValueFormat(value: { ChartNumber.grouped($0) })

    /// Money in minor units of `currency`: `1,234.50 EUR`; the axis drops zero minor digits (`1,000 EUR`).
    public static func money(_ currency: Currency) -> ChartValueFormat {
        ChartValueFormat(
            value: { Money.formatted($0, currency: currency) },
            axis: { units in
                let scale = currency.scale
                guard units % scale == 0 else { return Money.formatted(units, currency: currency) }
                return ChartNumber.grouped(units / scale) + " " + currency.code
            })
    }
}
