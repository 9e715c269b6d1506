import Foundation
import OutpostModel
import Testing

@Suite("BusinessDate")
struct BusinessDateTests {
    @Test("valid dates parse and print back", arguments: [
        "2026-01-31", "2024-02-29", "2000-02-29", "1970-01-01", "1969-12-31", "0001-01-01", "9999-12-31", "2026-12-31",
    ])
    func roundTrips(text: String) throws {
        let date = try #require(BusinessDate(text))
        #expect(date.description == text)
    }

    @Test("invalid dates are refused", arguments: [
        "2026-02-30", "2025-02-29", "1900-02-29", "2026-04-31", "2026-13-01", "2026-00-10", "2026-01-00",
        "2026-1-01", "2026-01-1", "26-01-01", "2026/01/31", "2026-01-31T00:00:00Z", " 2026-01-31", "",
        "abcd-ef-gh", "0000-01-01", "２０２６-01-01", "2026-01-3a",
    ])
    func refuses(text: String) {
        #expect(BusinessDate(text) == nil)
    }

    @Test func partsAndEpoch() throws {
        #expect(BusinessDate(daysSinceEpoch: 0).description == "1970-01-01")
        #expect(day("1970-01-02").daysSinceEpoch == 1)
        #expect(day("1969-12-31").daysSinceEpoch == -1)
        let parts = day("2026-01-31").parts
        #expect(parts.year == 2026 && parts.month == 1 && parts.day == 31)
        #expect(BusinessDate(year: 2024, month: 2, day: 29) == day("2024-02-29"))
        #expect(BusinessDate(year: 2026, month: 2, day: 29) == nil)
        #expect(BusinessDate(year: 2026, month: 0, day: 1) == nil)
    }

    @Test("months are added clamped to the month's last day", arguments: [
        ("2026-01-31", 1, "2026-02-28"),
        ("2024-01-31", 1, "2024-02-29"),
        ("2026-01-15", 1, "2026-02-15"),
        ("2026-03-31", 1, "2026-04-30"),
        ("2026-12-15", 1, "2027-01-15"),
        ("2026-01-31", 12, "2027-01-31"),   // annual
        ("2024-02-29", 12, "2025-02-28"),   // annual from a leap day
        ("2023-02-28", 12, "2024-02-28"),
        ("2026-03-31", -1, "2026-02-28"),
        ("2026-01-15", -1, "2025-12-15"),
        ("2026-01-31", 0, "2026-01-31"),
        ("2026-01-31", 25, "2028-02-29"),
    ])
    func addingMonths(start: String, months: Int, expected: String) {
        #expect(day(start).adding(months: months).description == expected)
    }

    @Test func addingDaysAndDistance() {
        #expect(day("2026-01-31").adding(days: 1).description == "2026-02-01")
        #expect(day("2024-02-28").adding(days: 1).description == "2024-02-29")
        #expect(day("2026-03-01").adding(days: -1).description == "2026-02-28")
        #expect(day("2026-01-01").days(until: day("2026-12-31")) == 364)
        #expect(day("2024-01-01").days(until: day("2025-01-01")) == 366)
        #expect(day("2026-02-14").days(until: day("2026-01-15")) == -30)
        #expect(day("2026-02-14").startOfMonth.description == "2026-02-01")
    }

    @Test func ordersChronologically() {
        #expect(day("2025-12-31") < day("2026-01-01"))
        #expect(!(day("2026-01-01") < day("2026-01-01")))
        #expect([day("2026-03-01"), day("2024-02-29"), day("2026-01-31")].sorted().map(\.description)
                == ["2024-02-29", "2026-01-31", "2026-03-01"])
    }

    @Test func codableAsText() throws {
        let data = try JSONEncoder().encode([day("2026-01-31")])
        #expect(String(decoding: data, as: UTF8.self) == #"["2026-01-31"]"#)
        #expect(try JSONDecoder().decode([BusinessDate].self, from: data) == [day("2026-01-31")])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([BusinessDate].self, from: Data(#"["2026-02-30"]"#.utf8))
        }
    }
}

@Suite("Timestamp")
struct TimestampTests {
    @Test("round trips", arguments: [
        "2026-01-31T10:00:00Z", "1970-01-01T00:00:00Z", "1969-12-31T23:59:59Z", "2024-02-29T23:59:59Z", "9999-12-31T23:59:59Z",
    ])
    func roundTrips(text: String) throws {
        let instant = try #require(Timestamp(text))
        #expect(instant.description == text)
    }

    @Test func fractionIsDropped() throws {
        let instant = try #require(Timestamp("2026-01-31T10:00:00.987654Z"))
        #expect(instant.description == "2026-01-31T10:00:00Z")
        #expect(instant == Timestamp("2026-01-31T10:00:00Z"))
    }

    @Test("refused", arguments: [
        "2026-01-31T10:00:00", "2026-01-31T10:00:00+01:00", "2026-01-31 10:00:00Z", "2026-01-31T24:00:00Z",
        "2026-01-31T10:60:00Z", "2026-01-31T10:00:60Z", "2026-02-30T10:00:00Z", "2026-01-31T10:00:00.Z",
        "2026-01-31T10:00:00.1aZ", "2026-01-31T10:00Z", "2026-01-31", "", "Z", "2026-01-31t10:00:00Z",
    ])
    func refuses(text: String) {
        #expect(Timestamp(text) == nil)
    }

    @Test func epochArithmetic() {
        #expect(Timestamp(secondsSinceEpoch: 0).description == "1970-01-01T00:00:00Z")
        #expect(Timestamp(secondsSinceEpoch: -1).description == "1969-12-31T23:59:59Z")
        #expect(Timestamp(secondsSinceEpoch: -1).date.description == "1969-12-31")
        #expect(Timestamp(secondsSinceEpoch: -86_400).date.description == "1969-12-31")
        #expect(Timestamp(secondsSinceEpoch: -86_401).date.description == "1969-12-30")
        #expect(testNow.secondsSinceEpoch == 1_769_853_600)
        #expect(testNow.date == day("2026-01-31"))
        #expect(testNow.adding(seconds: 14 * 3600).description == "2026-02-01T00:00:00Z")
        #expect(testNow < testNow.adding(seconds: 1))
    }

    @Test func codableAsText() throws {
        let data = try JSONEncoder().encode([testNow])
        #expect(String(decoding: data, as: UTF8.self) == #"["2026-01-31T10:00:00Z"]"#)
        #expect(try JSONDecoder().decode([Timestamp].self, from: data) == [testNow])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([Timestamp].self, from: Data(#"["2026-01-31T10:00:00"]"#.utf8))
        }
    }

    @Test func clocks() {
        #expect(FixedClock(testNow).now() == testNow)
        // The system clock is after this code was written.
        #expect(SystemClock().now() > Timestamp("2025-01-01T00:00:00Z")!)
    }
}

@Suite("Proration")
struct ProrationTests {
    // A 30-day period: 2026-01-15 up to 2026-02-14.
    let start = day("2026-01-15")
    let end = day("2026-02-14")

    @Test func halfAPeriod() {
        #expect(Proration.amount(1_000, from: day("2026-01-30"), periodStart: start, periodEnd: end) == 500)
        #expect(Proration.amount(-1_000, from: day("2026-01-30"), periodStart: start, periodEnd: end) == -500)
    }

    @Test func wholeAndNothing() {
        #expect(Proration.amount(1_000, from: start, periodStart: start, periodEnd: end) == 1_000)
        #expect(Proration.amount(1_000, from: end, periodStart: start, periodEnd: end) == 0)
        // Before the period starts: never more than the full amount.
        #expect(Proration.amount(1_000, from: day("2025-12-01"), periodStart: start, periodEnd: end) == 1_000)
    }

    @Test func zeroLengthPeriodIsZero() {
        #expect(Proration.amount(1_000, from: start, periodStart: start, periodEnd: start) == 0)
        // A reversed period too.
        #expect(Proration.amount(1_000, from: start, periodStart: end, periodEnd: start) == 0)
    }

    @Test func dateAfterPeriodEndIsZero() {
        #expect(Proration.amount(1_000, from: day("2026-03-01"), periodStart: start, periodEnd: end) == 0)
        #expect(Proration.amount(-1_000, from: day("2026-03-01"), periodStart: start, periodEnd: end) == 0)
    }

    @Test func roundsHalfAwayFromZero() {
        // 100 × 10/30 = 33.33 → 33; 100 × 20/30 = 66.67 → 67
        #expect(Proration.amount(100, from: day("2026-02-04"), periodStart: start, periodEnd: end) == 33)
        #expect(Proration.amount(100, from: day("2026-01-25"), periodStart: start, periodEnd: end) == 67)
        // 1 × 15/30 = 0.5 → 1, and −0.5 → −1
        #expect(Proration.amount(1, from: day("2026-01-30"), periodStart: start, periodEnd: end) == 1)
        #expect(Proration.amount(-1, from: day("2026-01-30"), periodStart: start, periodEnd: end) == -1)
        // 6250 × 14/30 = 2916.67 → 2917 (the cancellation case)
        #expect(Proration.amount(6_250, from: day("2026-01-31"), periodStart: start, periodEnd: end) == 2_917)
    }

    @Test func largeAmountsDoNotOverflow() {
        let big = Int64.max / 2
        #expect(Proration.amount(big, from: day("2026-01-30"), periodStart: start, periodEnd: end) == (big + 1) / 2)
        #expect(Proration.amount(.max, from: start, periodStart: start, periodEnd: end) == .max)
    }
}
