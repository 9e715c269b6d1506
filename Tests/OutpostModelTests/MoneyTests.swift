import OutpostModel
import Testing

@Suite("Money and Currency")
struct MoneyTests {
    let eur = Currency(code: "EUR")!
    let jpy = Currency(code: "JPY")!
    let kwd = Currency(code: "KWD")!

    // MARK: parse

    @Test("EUR amounts parse exactly", arguments: [
        ("12.34", Int64(1_234)), ("12", 1_200), ("0.5", 50), ("0", 0), ("0.00", 0), ("00012.30", 1_230),
        ("  7.05\t", 705), ("1000000", 100_000_000),
        (".5", 50), // a bare fraction is read as 0.5
        ("92233720368547758.07", .max),
    ])
    func parsesEUR(text: String, minorUnits: Int64) throws {
        let money = try Money.parse(text, currency: eur)
        #expect(money.minorUnits == minorUnits)
        #expect(money.currency == eur)
    }

    @Test("EUR amounts refused", arguments: [
        ("12.345", Money.ParseError.tooManyDecimals("12.345", allowed: 2)),
        ("-1", .negative("-1")),
        ("-0.01", .negative("-0.01")),
        ("abc", .notANumber("abc")),
        ("1e9", .notANumber("1e9")),
        ("", .empty),
        ("   ", .empty),
        ("1,000", .notANumber("1,000")),
        ("1 000", .notANumber("1 000")),
        ("+5", .notANumber("+5")),
        ("5.", .notANumber("5.")),
        (".", .notANumber(".")),
        ("1.2.3", .notANumber("1.2.3")),
        ("١٢", .notANumber("١٢")),
        ("12.3a", .notANumber("12.3a")),
        ("99999999999999999999", .tooLarge("99999999999999999999")),
        ("92233720368547758.08", .tooLarge("92233720368547758.08")),
    ])
    func refusesEUR(text: String, error: Money.ParseError) {
        #expect(throws: error) { try Money.parse(text, currency: eur) }
    }

    @Test func yenHasNoMinorUnit() throws {
        #expect(try Money.parse("100", currency: jpy).minorUnits == 100)
        #expect(throws: Money.ParseError.tooManyDecimals("1.5", allowed: 0)) { try Money.parse("1.5", currency: jpy) }
        #expect(Money.ParseError.tooManyDecimals("1.5", allowed: 0).description.contains("no minor unit"))
    }

    @Test func dinarHasThreeDecimals() throws {
        #expect(try Money.parse("1.234", currency: kwd).minorUnits == 1_234)
        #expect(try Money.parse("1.5", currency: kwd).minorUnits == 1_500)
        #expect(try Money.parse("2", currency: kwd).minorUnits == 2_000)
        #expect(throws: Money.ParseError.tooManyDecimals("1.2345", allowed: 3)) { try Money.parse("1.2345", currency: kwd) }
    }

    @Test func parseErrorsExplainThemselves() {
        #expect(Money.ParseError.empty.description == "an amount is required")
        #expect(Money.ParseError.notANumber("x").description.contains("'x'"))
        #expect(Money.ParseError.tooManyDecimals("1.234", allowed: 2).description.contains("more than 2 decimals"))
    }

    // MARK: formatting

    @Test("formatted for people", arguments: [
        (Int64(123_456), "EUR", "1,234.56 EUR"),
        (-99, "EUR", "-0.99 EUR"),
        (0, "EUR", "0.00 EUR"),
        (5, "EUR", "0.05 EUR"),
        (100_000_000, "EUR", "1,000,000.00 EUR"),
        (-123_456_789, "USD", "-1,234,567.89 USD"),
        (1_234_567, "JPY", "1,234,567 JPY"),
        (1_234_567, "KWD", "1,234.567 KWD"),
        (.max, "EUR", "92,233,720,368,547,758.07 EUR"),
        (.min, "EUR", "-92,233,720,368,547,758.08 EUR"),
    ])
    func formatted(units: Int64, code: String, text: String) throws {
        let currency = try #require(Currency(code: code))
        #expect(Money(minorUnits: units, currency: currency).formatted == text)
        #expect(Money.formatted(units, currency: currency) == text)
    }

    @Test func decimalStringReadsBack() throws {
        for units: Int64 in [0, 1, 50, 1_234, 100_000, 9_999_999, .max] {
            for currency in [eur, jpy, kwd] {
                let money = Money(minorUnits: units, currency: currency)
                #expect(try Money.parse(money.decimalString, currency: currency) == money)
            }
        }
        #expect(Money(minorUnits: -123_450, currency: eur).decimalString == "-1234.50")
        #expect(Money(minorUnits: 123_456, currency: eur).decimalString == "1234.56")
    }

    @Test func comparesByAmount() {
        #expect(Money(minorUnits: 1, currency: eur) < Money(minorUnits: 2, currency: eur))
        #expect(Money(minorUnits: 1, currency: eur) != Money(minorUnits: 1, currency: jpy))
    }

    // MARK: Currency

    @Test func currenciesKnowTheirMinorDigits() {
        #expect(eur.minorDigits == 2)
        #expect(eur.scale == 100)
        #expect(jpy.minorDigits == 0)
        #expect(jpy.scale == 1)
        #expect(kwd.minorDigits == 3)
        #expect(kwd.scale == 1_000)
        #expect(eur.description == "EUR")
    }

    @Test func unknownCurrenciesAreRefused() {
        #expect(Currency(code: "EUX") == nil)
        #expect(Currency(code: "eur") == nil)
        #expect(Currency(code: "") == nil)
    }

    @Test func knownCodesAreSortedThreeLetterCodes() {
        let codes = Currency.knownCodes
        #expect(codes == codes.sorted())
        #expect(codes.contains("EUR") && codes.contains("USD") && codes.contains("JPY"))
        #expect(codes.allSatisfy { $0.count == 3 && $0.allSatisfy(\.isUppercase) })
    }
}
