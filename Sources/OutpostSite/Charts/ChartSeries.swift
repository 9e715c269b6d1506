import OutpostModel

/// One named series of a chart: a value per category (month, bucket, …), in minor units or counts.
public struct ChartSeries: Sendable, Equatable {
    /// The legend and table-column name (data: always escaped).
    public let name: String
    /// One value per category; missing values count as zero.
    public let values: [Int64]

    public init(_ name: String, _ values: [Int64]) {
        self.name = name
        self.values = values
    }
}
