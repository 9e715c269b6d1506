/// The period of one row of a monthly report: a calendar month, a quarter or a year.
///
/// A quarter's or a year's figures are the sums of its months' figures.
public struct ReportSpan: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// How long a span is.
    public enum Kind: String, CaseIterable, Sendable {
        case month, quarter, year

        /// Months in one span.
        public var length: Int {
            switch self {
            case .month: 1
            case .quarter: 3
            case .year: 12
            }
        }

        /// `Month`, `Quarter`, `Year`: a report's first column.
        public var title: String { rawValue.prefix(1).uppercased() + rawValue.dropFirst() }
    }

    public let kind: Kind
    /// Its first month.
    public let first: ReportMonth

    /// The span of `kind` that `month` falls in.
    public init(_ kind: Kind, containing month: ReportMonth) {
        self.kind = kind
        switch kind {
        case .month: first = month
        case .quarter: first = ReportMonth(year: month.year, month: (month.month - 1) / 3 * 3 + 1)!
        case .year: first = ReportMonth(year: month.year, month: 1)!
        }
    }

    /// One month.
    public init(month: ReportMonth) { self.init(.month, containing: month) }

    /// Its months, oldest first.
    public var months: [ReportMonth] { (0..<kind.length).map { first.adding(months: $0) } }

    /// Its last month.
    public var last: ReportMonth { first.adding(months: kind.length - 1) }

    /// Whether `month` is one of its months.
    public func contains(_ month: ReportMonth) -> Bool { first <= month && month <= last }

    /// The month it is, when it is one.
    public var month: ReportMonth? { kind == .month ? first : nil }

    /// `2026-01`, `2026-Q1` or `2026`: a report's CSV and file names.
    public var description: String {
        switch kind {
        case .month: first.description
        case .quarter: "\(first.description.prefix(4))-Q\((first.month - 1) / 3 + 1)"
        case .year: String(first.description.prefix(4))
        }
    }

    /// `Jan 2026`, `Q1 2026` or `2026`: chart axes and table rows.
    public var label: String {
        switch kind {
        case .month: first.label
        case .quarter: "Q\((first.month - 1) / 3 + 1) \(first.year)"
        case .year: String(first.year)
        }
    }

    /// The spans of `kind` that `months` fall in, oldest first, each once.
    public static func covering(_ months: [ReportMonth], by kind: Kind) -> [ReportSpan] {
        var seen = Set<ReportSpan>()
        return months.sorted().map { ReportSpan(kind, containing: $0) }.filter { seen.insert($0).inserted }
    }

    public static func < (a: ReportSpan, b: ReportSpan) -> Bool { (a.first, a.kind.length) < (b.first, b.kind.length) }
}
