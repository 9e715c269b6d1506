/// An instant in UTC, to the second, written as ISO 8601 (`2026-01-31T10:00:00Z`).
public struct Timestamp: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let secondsSinceEpoch: Int64

    public init(secondsSinceEpoch: Int64) {
        self.secondsSinceEpoch = secondsSinceEpoch
    }

    /// Parses `YYYY-MM-DDTHH:MM:SSZ` (also with a fraction, which is dropped); `nil` otherwise.
    public init?(_ text: String) {
        var body = Substring(text)
        guard body.hasSuffix("Z"), body.count >= 20 else { return nil }
        body = body.dropLast()
        if let dot = body.firstIndex(of: ".") {
            let fraction = body[body.index(after: dot)...]
            guard !fraction.isEmpty, fraction.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            body = body[..<dot]
        }
        let utf8 = body.utf8
        guard utf8.count == 19,
              let date = BusinessDate(String(body.prefix(10))),
              body[body.index(body.startIndex, offsetBy: 10)] == "T",
              body[body.index(body.startIndex, offsetBy: 13)] == ":",
              body[body.index(body.startIndex, offsetBy: 16)] == ":",
              let hour = CivilCalendar.digits(utf8, 11, 2), hour < 24,
              let minute = CivilCalendar.digits(utf8, 14, 2), minute < 60,
              let second = CivilCalendar.digits(utf8, 17, 2), second < 60 else { return nil }
        self.secondsSinceEpoch = Int64(date.daysSinceEpoch) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }

    /// The UTC calendar date of this instant.
    public var date: BusinessDate {
        BusinessDate(daysSinceEpoch: Int(secondsSinceEpoch >= 0 ? secondsSinceEpoch / 86_400 : (secondsSinceEpoch - 86_399) / 86_400))
    }

    public var description: String {
        let day = date
        let seconds = Int(secondsSinceEpoch - Int64(day.daysSinceEpoch) * 86_400)
        return "\(day)T\(CivilCalendar.pad(seconds / 3600, 2)):\(CivilCalendar.pad(seconds / 60 % 60, 2)):\(CivilCalendar.pad(seconds % 60, 2))Z"
    }

    public func adding(seconds: Int64) -> Timestamp { Timestamp(secondsSinceEpoch: secondsSinceEpoch + seconds) }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.secondsSinceEpoch < rhs.secondsSinceEpoch }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Timestamp(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an ISO 8601 UTC timestamp: \(text)"))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
