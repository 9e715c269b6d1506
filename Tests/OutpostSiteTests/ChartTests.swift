import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import OutpostModel
@testable import OutpostSite
import Testing

/// Parses rendered markup as XML (the site is polyglot XHTML5), failing the test when it is not well-formed.
private func parse(_ node: Node, sourceLocation: SourceLocation = #_sourceLocation) throws -> XMLElement {
    let markup = node.render()
    do {
        let document = try XMLDocument(xmlString: markup, options: [])
        return try #require(document.rootElement(), sourceLocation: sourceLocation)
    } catch {
        Issue.record("not well-formed XML: \(error)\n\(markup)", sourceLocation: sourceLocation)
        throw error
    }
}

/// Every element below `element` (depth first, document order), itself included.
private func descendants(_ element: XMLElement) -> [XMLElement] {
    [element] + (element.children ?? []).compactMap { $0 as? XMLElement }.flatMap(descendants)
}

private func elements(_ root: XMLElement, _ name: String) -> [XMLElement] {
    descendants(root).filter { $0.localName == name }
}

private func attribute(_ element: XMLElement, _ name: String) -> String? {
    // By name: FoundationXML's attribute(forName:) misses attributes of elements in a default namespace (SVG's).
    element.attributes?.first { $0.name == name || $0.localName == name }?.stringValue
}

private let euro = Currency(code: "EUR")!

@Suite("Charts")
struct ChartTests {
    let months = ["Jan 2026", "Feb 2026", "Mar 2026"]

    @Test func barChartIsAccessibleScalableSVG() throws {
        let chart = BarChart(title: "Revenue", categoryTitle: "Month", categories: months,
                             series: [ChartSeries("Invoiced", [120_000, 0, 45_050]), ChartSeries("Collected", [100_000, 20_000, 0])],
                             format: .money(euro))
        let svg = try parse(chart.svg())
        #expect(svg.localName == "svg")
        #expect(attribute(svg, "xmlns") == "http://www.w3.org/2000/svg" || svg.uri == "http://www.w3.org/2000/svg")
        #expect(attribute(svg, "viewBox") == "0 0 640 320")
        #expect(attribute(svg, "role") == "img")
        #expect(attribute(svg, "width") == nil && attribute(svg, "height") == nil)
        let label = try #require(attribute(svg, "aria-label"))
        #expect(label.contains("Revenue") && label.contains("Invoiced") && label.contains("Jan 2026 to Mar 2026"))
        // The first child is the title.
        let first = try #require(svg.children?.first as? XMLElement)
        #expect(first.localName == "title")
        #expect(first.stringValue == "Revenue")
        // One bar per non-zero value, each with a tooltip, coloured by theme variables.
        let series = elements(svg, "g").filter { attribute($0, "class") == "chart-series" }
        let bars = elements(try #require(series.first), "rect")
        #expect(bars.count == 4)
        #expect(bars.allSatisfy { ($0.children?.first as? XMLElement)?.localName == "title" })
        #expect(elements(svg, "title").contains { $0.stringValue == "Mar 2026 — Invoiced: 450.50 EUR" })
        let fills = elements(svg, "g").compactMap { attribute($0, "fill") }
        #expect(fills.contains("var(--chart-1, #2563eb)") && fills.contains("var(--chart-2, #16a34a)"))
        // Legend for two series; axis labels in whole euros.
        #expect(elements(svg, "text").contains { $0.stringValue == "Collected" })
        #expect(elements(svg, "text").contains { $0.stringValue == "1,000 EUR" })
    }

    @Test func coordinatesAreFixedDecimalsAndHandComputed() throws {
        // One series 100 and 200: axis 0…200 in steps of 50; plot from y=16 to y=284, x from 40 to 628.
        let chart = BarChart(title: "Orders", categoryTitle: "Month", categories: ["A", "B"], series: [ChartSeries("Orders", [100, 200])])
        let svg = try parse(chart.svg())
        let bars = elements(svg, "rect")
        #expect(bars.count == 2)
        // Band width 294, bars 80 % of it (235.20) centred: x = 40 + 29.40.
        #expect(bars.map { attribute($0, "x") } == ["69.40", "363.40"])
        #expect(bars.map { attribute($0, "width") } == ["235.20", "235.20"])
        #expect(bars.map { attribute($0, "y") } == ["150.00", "16.00"])
        #expect(bars.map { attribute($0, "height") } == ["134.00", "268.00"])
        // Every coordinate has exactly two decimals: no Double description noise.
        let numeric = try Regex("^-?[0-9]+\\.[0-9]{2}$")
        for element in descendants(svg) {
            for name in ["x", "y", "width", "height", "x1", "x2", "y1", "y2", "cx", "cy", "r"] {
                guard let value = attribute(element, name) else { continue }
                #expect(value.wholeMatch(of: numeric) != nil, "\(element.localName ?? "") \(name)=\(value)")
            }
        }
        #expect(elements(svg, "text").map(\.stringValue).contains("150"))
    }

    @Test func stackedBarsGoUpAndDownFromZero() throws {
        let chart = BarChart(title: "MRR movements", categoryTitle: "Month", categories: ["Jan"],
                             series: [ChartSeries("New", [300]), ChartSeries("Expansion", [100]), ChartSeries("Churn", [-200])],
                             layout: .stacked, format: .count)
        let svg = try parse(chart.svg())
        let bars = elements(svg, "rect").filter { $0.children?.isEmpty == false }
        #expect(bars.count == 3)
        // Axis −200…400 (step 200): zero sits at 40 + 244 × 4/6 = 202.67.
        let zero = elements(svg, "line").first { attribute($0, "class") == "chart-axis" }
        #expect(zero.flatMap { attribute($0, "y1") } == "202.67")
        // New from zero up, expansion stacked on it, churn from zero down.
        #expect(bars.map { attribute($0, "y") } == ["80.67", "40.00", "202.67"])
        #expect(bars.map { attribute($0, "height") } == ["122.00", "40.67", "81.33"])
        // The table adds a total column.
        let table = try parse(chart.table())
        #expect(elements(table, "th").filter { attribute($0, "scope") == "col" }.map(\.stringValue) == ["Month", "New", "Expansion", "Churn", "Total"])
        #expect(elements(table, "td").map(\.stringValue) == ["300", "100", "-200", "200"])
    }

    @Test func lineChartDrawsOnePolylinePerSeries() throws {
        let chart = LineChart(title: "Revenue, last 12 months", categoryTitle: "Month", categories: months,
                              series: [ChartSeries("Invoiced", [1_000, -500, 2_500]), ChartSeries("Collected", [0, 800, 900])],
                              format: .money(euro))
        let svg = try parse(chart.svg())
        #expect(attribute(svg, "class") == "chart chart-line")
        let lines = elements(svg, "polyline")
        #expect(lines.count == 2)
        #expect(lines.map { attribute($0, "points")?.split(separator: " ").count } == [3, 3])
        #expect(lines.map { attribute($0, "stroke") } == ["var(--chart-1, #2563eb)", "var(--chart-2, #16a34a)"])
        #expect(elements(svg, "circle").count == 6)
        #expect(elements(svg, "title").contains { $0.stringValue == "Feb 2026 — Invoiced: -5.00 EUR" })
        let table = try parse(chart.table())
        #expect(elements(table, "caption").first?.stringValue == "Revenue, last 12 months")
        #expect(elements(table, "th").filter { attribute($0, "scope") == "row" }.map(\.stringValue) == months)
        #expect(elements(table, "td").map(\.stringValue) == ["10.00 EUR", "0.00 EUR", "-5.00 EUR", "8.00 EUR", "25.00 EUR", "9.00 EUR"])
    }

    @Test func hostileLabelsAreEscapedAndSurviveIntact() throws {
        let hostile = [#"<script>alert(1)</script>"#, #""><img src=x onerror=alert(1)>"#, "Tom & Jerry's \"Bar\"", "שלום 👩‍💻 &amp;"]
        let bar = BarChart(title: hostile[0], categoryTitle: hostile[1], categories: hostile, series: [ChartSeries(hostile[2], [1, 2, 3, 4]),
                                                                                                    ChartSeries(hostile[3], [4, 3, 2, 1])])
        let line = LineChart(title: hostile[3], categoryTitle: hostile[0], categories: hostile, series: [ChartSeries(hostile[1], [1, 2, 3, 4])])
        for (node, title) in [(bar.figure(), hostile[0]), (line.figure(), hostile[3])] {
            let markup = node.render()
            #expect(!markup.contains("<script"))
            #expect(!markup.contains("<img"))
            #expect(markup.contains("&amp;amp;"))
            let root = try parse(node)
            let texts = descendants(root).filter { ($0.children ?? []).allSatisfy { $0.kind == .text } }.compactMap(\.stringValue)
            for text in hostile { #expect(texts.contains(text), "\(text) shown as text") }
            #expect(descendants(root).allSatisfy { !["script", "img"].contains($0.localName ?? "") })
            let svg = try #require(elements(root, "svg").first)
            let label = try #require(attribute(svg, "aria-label"))
            #expect(label.hasPrefix(title))
        }
    }

    @Test func outputIsDeterministic() throws {
        func make() -> String {
            let series = (0..<12).map { Int64($0 * 12_345 - 40_000) }
            return BarChart(title: "t", categoryTitle: "m", categories: (1...12).map { "M\($0)" }, series: [ChartSeries("a", series)],
                            format: .money(euro)).figure().render()
                + LineChart(title: "t", categoryTitle: "m", categories: (1...12).map { "M\($0)" },
                            series: [ChartSeries("a", series), ChartSeries("b", series.reversed())]).figure().render()
        }
        let first = make()
        #expect(first == make())
        #expect(Data(first.utf8) == Data(make().utf8))
    }

    @Test func emptySeriesRendersAnIntentionalEmptyState() throws {
        let empties: [Node] = [
            BarChart(title: "Sales", categoryTitle: "Month", categories: [], series: []).svg(),
            BarChart(title: "Sales", categoryTitle: "Month", categories: months, series: [ChartSeries("Orders", [0, 0, 0])]).svg(),
            LineChart(title: "Sales", categoryTitle: "Month", categories: months, series: []).svg(),
        ]
        for node in empties {
            let svg = try parse(node)
            #expect(attribute(svg, "class")?.contains("chart-empty") == true)
            #expect(attribute(svg, "role") == "img")
            #expect(attribute(svg, "aria-label") == "Sales: no data for this period.")
            #expect(elements(svg, "text").map(\.stringValue) == ["No data for this period"])
            #expect(elements(svg, "polyline").isEmpty)
        }
        let table = try parse(BarChart(title: "Sales", categoryTitle: "Month", categories: [], series: []).table())
        #expect(elements(table, "td").map(\.stringValue) == ["No data for this period."])
        #expect(elements(table, "th").map { attribute($0, "scope") } == ["col"])
        // All-zero months still list their zeros in the table.
        let zeros = try parse(BarChart(title: "Sales", categoryTitle: "Month", categories: months, series: [ChartSeries("Orders", [0, 0, 0])]).table())
        #expect(elements(zeros, "td").map(\.stringValue) == ["0", "0", "0"])
    }

    @Test func numberFormattingUsesIntegersOnly() {
        #expect(ChartNumber.fixed(0) == "0.00")
        #expect(ChartNumber.fixed(5) == "0.05")
        #expect(ChartNumber.fixed(-1_234) == "-12.34")
        #expect(ChartNumber.grouped(-1_234_567) == "-1,234,567")
        #expect(ChartNumber.grouped(999) == "999")
        #expect(ChartNumber.niceStep(span: 200, ticks: 4) == 50)
        #expect(ChartNumber.niceStep(span: 1_000_001, ticks: 4) == 500_000)
        #expect(ChartNumber.niceStep(span: Int64.max, ticks: 4) > 0)
        #expect(ChartNumber.scale(1, 2, 3) == 1)          // 0.667 → 1
        #expect(ChartNumber.scale(-1, 1, 2) == -1)        // −0.5 → −1 (half away from zero)
        #expect(ChartValueFormat.money(euro).axis(150_000) == "1,500 EUR")
        #expect(ChartValueFormat.money(euro).axis(150_050) == "1,500.50 EUR")
        // Huge values still draw inside the frame.
        let huge = BarChart(title: "h", categoryTitle: "m", categories: ["a", "b"], series: [ChartSeries("x", [Int64.max / 2, Int64.min / 2])])
        #expect((try? parse(huge.svg())) != nil)
    }
}

@Suite("Report charts")
struct ReportChartTests {
    @Test func agingChartHasFiveBucketsWithTheirAmounts() throws {
        let buckets = AgingBuckets(current: 11_000, days1to30: 5_700, days31to60: 8_000, days61to90: 13_000, over90: 5_000)
        let chart = ReportCharts.aging(buckets, currency: euro)
        let table = try parse(chart.table())
        #expect(elements(table, "th").filter { attribute($0, "scope") == "row" }.map(\.stringValue)
                == ["Current", "1–30 days", "31–60 days", "61–90 days", "90+ days"])
        #expect(elements(table, "td").map(\.stringValue) == ["110.00 EUR", "57.00 EUR", "80.00 EUR", "130.00 EUR", "50.00 EUR"])
        #expect(elements(try parse(chart.svg()), "rect").filter { $0.children?.isEmpty == false }.count == 5)
    }

    @Test func wordsForCodes() {
        #expect(ReportCharts.words("bank_transfer") == "Bank transfer")
        #expect(ReportCharts.words("card") == "Card")
    }
}

@Suite("Chart labels")
struct ChartLabelTests {
    @Test func monthLabelsTooWideForTheirBandBreakIntoTwoLines() throws {
        let months = ReportMonth.range(endingWith: ReportMonth(year: 2026, month: 11)!, count: 12).map(\.label)
        let chart = LineChart(title: "Revenue", categoryTitle: "Month", categories: months, series: [ChartSeries("Invoiced", Array(1...12))])
        let svg = try parse(chart.svg())
        let labels = elements(svg, "g").first { attribute($0, "class") == "chart-labels" }
        let texts = elements(try #require(labels), "text")
        #expect(texts.count == 12)
        #expect(texts.first.map { elements($0, "tspan").map(\.stringValue) } == ["Dec", "2025"])
        #expect(texts.last.map { elements($0, "tspan").map(\.stringValue) } == ["Nov", "2026"])
    }

    @Test func labelsThatCannotFitAreThinnedOut() throws {
        let categories = (1...24).map { "Category-\($0)" }
        let chart = BarChart(title: "Many", categoryTitle: "C", categories: categories, series: [ChartSeries("n", Array(repeating: 1, count: 24))])
        let svg = try parse(chart.svg())
        let labels = try #require(elements(svg, "g").first { attribute($0, "class") == "chart-labels" })
        let shown = elements(labels, "text").compactMap(\.stringValue)
        #expect(shown.count < 24 && shown.count >= 4)
        #expect(shown.first == "Category-1")
        // The table still has every category.
        #expect(elements(try parse(chart.table()), "th").filter { attribute($0, "scope") == "row" }.count == 24)
    }
}

@Suite("Chart legend")
struct ChartLegendTests {
    @Test func longLegendsWrapOntoASecondRowAboveThePlot() throws {
        let names = (1...6).map { "A rather long series name \($0)" }
        let chart = BarChart(title: "Wide", categoryTitle: "M", categories: ["x"], series: names.map { ChartSeries($0, [1]) }, layout: .stacked)
        let svg = try parse(chart.svg())
        let legend = try #require(elements(svg, "g").first { attribute($0, "class") == "chart-legend" })
        let rows = Set(elements(legend, "text").compactMap { attribute($0, "y") })
        #expect(rows.count > 1)
        // Every legend entry starts inside the viewBox, and the plot starts below the last legend row.
        #expect(elements(legend, "rect").allSatisfy { Double(attribute($0, "x") ?? "") ?? 999 < 640 })
        let gridTop = elements(svg, "line").compactMap { attribute($0, "y1") }.compactMap(Double.init).min() ?? 0
        #expect(gridTop > rows.compactMap(Double.init).max() ?? 0)
    }
}
