/// A calendar date without time or zone (`YYYY-MM-DD`): invoice dates, due dates, billing periods.
public struct BusinessDate: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// Days since 1970-01-01.
    public let daysSinceEpoch: Int

    public init(daysSinceEpoch: Int) {
        self.daysSinceEpoch = daysSinceEpoch
    }

    /// A date from its parts; `nil` when the day does not exist.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
              (1...CivilCalendar.daysInMonth(year: year, month: month)).contains(day) else { return nil }
        self.daysSinceEpoch = CivilCalendar.days(year: year, month: month, day: day)
    }

    /// Parses `YYYY-MM-DD` strictly; `nil` for anything else, including `2026-02-30`.
    public init?(_ text: String) {
        let utf8 = Substring(text).utf8
        guard utf8.count == 10,
              utf8[utf8.index(utf8.startIndex, offsetBy: 4)] == UInt8(ascii: "-"),
              utf8[utf8.index(utf8.startIndex, offsetBy: 7)] == UInt8(ascii: "-"),
              let year = CivilCalendar.digits(utf8, 0, 4),
              let month = CivilCalendar.digits(utf8, 5, 2),
              let day = CivilCalendar.digits(utf8, 8, 2) else { return nil }
        self.init(year: year, month: month, day: day)
    }

    public var parts: (year: Int, month: Int, day: Int) { CivilCalendar.civil(days: daysSinceEpoch) }

    public var description: String {
        let (y, m, d) = parts
        return "\(CivilCalendar.pad(y, 4))-\(CivilCalendar.pad(m, 2))-\(CivilCalendar.pad(d, 2))"
    }

    /// The date `count` days later (earlier when negative).
    public func adding(days count: Int) -> BusinessDate {
        BusinessDate(daysSinceEpoch: daysSinceEpoch + count)
    }

    /// The same day `count` months later, clamped to the month's last day (Jan 31 + 1 month = Feb 28/29).
    public func adding(months count: Int) -> BusinessDate {
        let (y, m, d) = parts
        let total = y * 12 + (m - 1) + count
        let year = total / 12
        let month = total % 12 + 1
        let day = min(d, CivilCalendar.daysInMonth(year: year, month: month))
        return BusinessDate(daysSinceEpoch: CivilCalendar.days(year: year, month: month, day: day))
    }

    /// Whole days from `self` to `other` (positive when `other` is later).
    public func days(until other: BusinessDate) -> Int { other.daysSinceEpoch - daysSinceEpoch }

    /// The first day of this date's month.
    public var startOfMonth: BusinessDate {
        let (y, m, _) = parts
        return BusinessDate(daysSinceEpoch: CivilCalendar.days(year: y, month: m, day: 1))
    }

    public static func < (lhs: BusinessDate, rhs: BusinessDate) -> Bool { lhs.daysSinceEpoch < rhs.daysSinceEpoch }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let date = BusinessDate(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a YYYY-MM-DD date: \(text)"))
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
