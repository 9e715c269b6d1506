import OutpostModel
import Testing

@Suite("Pricing")
struct PricingTests {
    // MARK: salePrice

    /// (cost, markup bp, expected price): the markups 0 %, 25 %, 33.33 % and 1000 % at the smallest costs.
    @Test("small costs at each markup", arguments: [
        (Int64(0), 0, Int64(0)), (0, 2_500, 0), (0, 3_333, 0), (0, 100_000, 0),
        (1, 0, 1), (1, 2_500, 1), (1, 3_333, 1), (1, 100_000, 11),
        (2, 0, 2), (2, 2_500, 3), (2, 3_333, 3), (2, 100_000, 22),
        (3, 3_333, 4),      // 3.9999 → 4
        (100, 2_500, 125),  // exact
        (100, 3_333, 133),  // 133.33 → 133
        (1_000, 2_500, 1_250),
        (9_999, 3_333, 13_332), // 13331.6667 → 13332
    ])
    func smallCosts(cost: Int64, markup: Int, expected: Int64) throws {
        #expect(try Pricing.salePrice(cost: cost, markup: markup) == expected)
    }

    /// Exact halves round away from zero, just under a half rounds down.
    @Test("exact halves round half away from zero", arguments: [
        (Int64(2), 2_500, Int64(3)),    // 2.5 → 3
        (1, 5_000, 2),                  // 1.5 → 2
        (10, 500, 11),                  // 10.5 → 11
        (6, 2_500, 8),                  // 7.5 → 8
        (1, 4_999, 1),                  // 1.4999 → 1
        (20_002, 2_500, 25_003),        // 25002.5 → 25003
        (-2, 2_500, -3),                // -2.5 → -3
        (-1, 5_000, -2),                // -1.5 → -2
        (-1, 2_500, -1),                // -1.25 → -1
        (-10_002, 2_500, -12_503),      // -12502.5 → -12503 (negative remainder path)
    ])
    func halves(cost: Int64, markup: Int, expected: Int64) throws {
        #expect(try Pricing.salePrice(cost: cost, markup: markup) == expected)
    }

    @Test func negativeCostRoundsHalfAwayFromZero() throws {
        #expect(try Pricing.salePrice(cost: -2, markup: 2_500) == -3)
    }

    @Test func largeAmountsAreExactWithoutOverflow() throws {
        let cost = Int64.max / 11 // 838_488_366_986_797_800
        #expect(cost == 838_488_366_986_797_800)
        #expect(try Pricing.salePrice(cost: cost, markup: 100_000) == 9_223_372_036_854_775_800)
        // 922_337_203_685_477 × 1.25 = 1_152_921_504_606_846.25 → …846
        #expect(try Pricing.salePrice(cost: 922_337_203_685_477, markup: 2_500) == 1_152_921_504_606_846)
        // No markup: the cost itself, even at Int64.max.
        #expect(try Pricing.salePrice(cost: .max, markup: 0) == .max)
        // A large cost whose product with the factor would overflow, but the price does not.
        #expect(try Pricing.salePrice(cost: 7_000_000_000_000_000_000, markup: 3_000) == 9_100_000_000_000_000_000)
    }

    @Test func overflowThrows() {
        do {
            let price = try Pricing.salePrice(cost: .max, markup: 2_500)
            Issue.record("expected an overflow, got \(price)")
        } catch {
            #expect(error.cost == .max)
            #expect(error.markup == 2_500)
        }
        #expect(throws: Pricing.Overflow.self) {
            try Pricing.salePrice(cost: Int64.max / 11 + 1, markup: 100_000)
        }
        #expect(throws: Pricing.Overflow.self) {
            try Pricing.salePrice(cost: .min, markup: 2_500)
        }
    }

    @Test func overflowDescribesItself() {
        #expect(throws: Pricing.Overflow.self) { try Pricing.salePrice(cost: .max, markup: 2_500) }
        do {
            _ = try Pricing.salePrice(cost: .max, markup: 2_500)
        } catch {
            #expect(error.description.contains("2500 basis points"))
        }
    }

    @Test func constants() {
        #expect(Pricing.defaultMarkup == 2_500)
        #expect(Pricing.maximumMarkup == 100_000)
    }

    // MARK: margin

    @Test("margin for a markup", arguments: [
        (2_500, 2_000),     // 25 % markup is a 20 % margin
        (0, 0),
        (10_000, 5_000),    // 100 % → 50 %
        (3_333, 2_500),     // 0.3333 / 1.3333 = 24.998 % → 2500 bp
        (100_000, 9_091),   // 10 / 11 = 90.909 %
        (5_000, 3_333),     // 0.5 / 1.5
    ])
    func marginForMarkup(markup: Int, margin: Int) {
        #expect(Pricing.margin(forMarkup: markup) == margin)
    }

    @Test func marginOnPrice() {
        #expect(Pricing.margin(price: 125, cost: 100) == 2_000)
        #expect(Pricing.margin(price: 100, cost: 100) == 0)
        #expect(Pricing.margin(price: 3, cost: 2) == 3_333)      // 33.333 %
        #expect(Pricing.margin(price: 3, cost: 1) == 6_667)      // 66.667 % rounds up
        #expect(Pricing.margin(price: 80, cost: 100) == -2_500)  // a loss
        #expect(Pricing.margin(price: 0, cost: 0) == nil)
        #expect(Pricing.margin(price: 0, cost: 10) == nil)
        // Large values use full-width arithmetic.
        #expect(Pricing.margin(price: 9_223_372_036_854_775_800, cost: 838_488_366_986_797_800) == 9_091)
    }

    @Test func marginOfEverySalePriceMatchesTheMarkup() throws {
        for markup in [0, 2_500, 5_000, 10_000, 100_000] {
            let price = try Pricing.salePrice(cost: 1_000_000, markup: markup)
            #expect(Pricing.margin(price: price, cost: 1_000_000) == Pricing.margin(forMarkup: markup))
        }
    }

    // MARK: percent text

    @Test("percent formatting", arguments: [
        (2_500, "25%"), (3_333, "33.33%"), (2_550, "25.5%"), (0, "0%"), (5, "0.05%"), (50, "0.5%"),
        (100_000, "1000%"), (1, "0.01%"), (-250, "-2.5%"), (10_001, "100.01%"),
    ])
    func percent(basisPoints: Int, text: String) {
        #expect(Pricing.percent(basisPoints) == text)
    }

    @Test("percent parsing accepts", arguments: [
        ("25", 2_500), ("33.33", 3_333), ("25%", 2_500), ("25.5", 2_550), ("0", 0), ("0.05", 5),
        ("1000", 100_000), (" 25 ", 2_500), ("33.33%", 3_333), ("007", 700),
    ])
    func parsePercentAccepts(text: String, basisPoints: Int) {
        #expect(Pricing.parsePercent(text) == basisPoints)
    }

    @Test("percent parsing refuses", arguments: [
        "-1", "1e3", "12.345", "", "%", "25.", ".5", "25%%", "abc", "+5", "1,5", "2 5", "٢٥", "12345678",
    ])
    func parsePercentRefuses(text: String) {
        #expect(Pricing.parsePercent(text) == nil)
    }

    @Test func percentRoundTrips() {
        for bp in [0, 1, 5, 10, 99, 100, 2_500, 2_550, 3_333, 99_999, 100_000] {
            #expect(Pricing.parsePercent(Pricing.percent(bp)) == bp)
        }
    }
}
