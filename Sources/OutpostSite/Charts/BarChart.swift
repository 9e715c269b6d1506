import OutpostModel

/// A bar chart drawn at build time as inline SVG, with its data table.
///
/// One band per category; several series sit side by side (`grouped`) or on
/// top of each other (`stacked`, positives up and negatives down from zero).
/// Colours come from `ChartPalette`'s CSS variables. Every label is text in
/// the node tree, so it is escaped by construction.
///
///     let chart = BarChart(title: "Receivables aging", categoryTitle: "Days past due",
///                          categories: AgingBuckets.labels,
///                          series: [ChartSeries("Outstanding", [b.current, b.days1to30, …])],
///                          format: .money(currency))
///     page += [chart.svg(), chart.table()]   // or chart.figure()
public struct BarChart: Sendable {
    public enum Layout: Sendable {
        case grouped, stacked
    }

    var content: ChartContent
    public let layout: Layout

    public init(title: String, categoryTitle: String, categories: [String], series: [ChartSeries],
                layout: Layout = .grouped, format: ChartValueFormat = .count) {
        content = ChartContent(title: title, categoryTitle: categoryTitle, categories: categories, series: series, format: format)
        self.layout = layout
    }

    /// The chart with each category linked to `links` (relative to the page; nil: no link).
    func linked(_ links: [String?]) -> BarChart {
        var chart = self
        chart.content.links = links
        return chart
    }

    /// The chart: `<svg role="img" aria-label="…">` with a `<title>`; an empty state when there is nothing to draw.
    public func svg() -> Node {
        guard !content.isEmpty else { return ChartCanvas.empty(content, kind: "chart-bar") }
        let categories = content.categories.indices
        let seriesIndices = content.series.indices
        var low: Int64 = 0
        var high: Int64 = 0
        for category in categories {
            var up: Int64 = 0
            var down: Int64 = 0
            for series in seriesIndices {
                let value = content.value(series, category)
                switch layout {
                case .grouped:
                    low = min(low, value)
                    high = max(high, value)
                case .stacked:
                    if value >= 0 { up = up &+ value } else { down = down &+ value }
                }
            }
            low = min(low, down)
            high = max(high, up)
        }
        let canvas = ChartCanvas(content: content, minimum: low, maximum: high)
        var marks: [Node] = []
        for series in seriesIndices {
            var bars: [Node] = []
            for category in categories {
                let value = content.value(series, category)
                guard value != 0 else { continue }
                let band = canvas.band(category)
                let x: Int64
                let width: Int64
                let from: Int64
                let to: Int64
                switch layout {
                case .grouped:
                    let group = band.width * 8 / 10
                    width = group / Int64(content.series.count)
                    x = band.start + (band.width - group) / 2 + width * Int64(series)
                    from = 0
                    to = value
                case .stacked:
                    width = band.width * 6 / 10
                    x = band.start + (band.width - width) / 2
                    // Sum of the earlier series of the same sign.
                    var base: Int64 = 0
                    for earlier in 0..<series {
                        let other = content.value(earlier, category)
                        if (other >= 0) == (value >= 0) { base = base &+ other }
                    }
                    from = base
                    to = base &+ value
                }
                let y1 = canvas.y(from)
                let y2 = canvas.y(to)
                bars.append(.element("rect", [
                    Attribute("x", ChartNumber.fixed(x)), Attribute("y", ChartNumber.fixed(min(y1, y2))),
                    Attribute("width", ChartNumber.fixed(max(0, width))), Attribute("height", ChartNumber.fixed(abs(y2 - y1))),
                ], [canvas.tooltip(series: series, category: category)]))
            }
            marks.append(.element("g", [Attribute("class", "chart-series-\(series % ChartPalette.series.count + 1)"),
                                        Attribute("fill", ChartPalette.color(series))], bars))
        }
        return canvas.svg(kind: "chart-bar", marks: marks)
    }

    /// The same numbers as a table (`th scope="col"` headers, a row per category; stacked charts add a total column).
    public func table() -> Node {
        content.table(withTotal: layout == .stacked && content.series.count > 1)
    }

    /// `<figure class="chart-figure">` holding the chart and its table.
    public func figure() -> Node {
        .element("figure", [Attribute("class", "chart-figure")], [svg(), table()])
    }
}
