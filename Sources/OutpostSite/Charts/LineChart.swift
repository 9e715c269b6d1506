import OutpostModel

/// A line chart for monthly series, drawn at build time as inline SVG, with its data table.
///
/// One point per category (month) at the middle of its band, a polyline per
/// series, and a dot per point carrying a `<title>` tooltip. Colours come
/// from `ChartPalette`'s CSS variables; labels are escaped by construction.
///
///     let chart = LineChart(title: "Revenue, last 12 months", categoryTitle: "Month",
///                           categories: series.map(\.month.label),
///                           series: [ChartSeries("Invoiced", series.map(\.invoiced)),
///                                    ChartSeries("Collected", series.map(\.collected))],
///                           format: .money(currency))
public struct LineChart: Sendable {
    var content: ChartContent

    public init(title: String, categoryTitle: String, categories: [String], series: [ChartSeries], format: ChartValueFormat = .count) {
        content = ChartContent(title: title, categoryTitle: categoryTitle, categories: categories, series: series, format: format)
    }

    /// The chart with each category linked to `links` (relative to the page; nil: no link).
    func linked(_ links: [String?]) -> LineChart {
        var chart = self
        chart.content.links = links
        return chart
    }

    /// The chart: `<svg role="img" aria-label="…">` with a `<title>`; an empty state when there is nothing to draw.
    public func svg() -> Node {
        guard !content.isEmpty else { return ChartCanvas.empty(content, kind: "chart-line") }
        var low: Int64 = 0
        var high: Int64 = 0
        for series in content.series.indices {
            for category in content.categories.indices {
                let value = content.value(series, category)
                low = min(low, value)
                high = max(high, value)
            }
        }
        let canvas = ChartCanvas(content: content, minimum: low, maximum: high)
        var marks: [Node] = []
        for series in content.series.indices {
            var points: [String] = []
            var dots: [Node] = []
            for category in content.categories.indices {
                let band = canvas.band(category)
                let x = ChartNumber.fixed(band.start + band.width / 2)
                let y = ChartNumber.fixed(canvas.y(content.value(series, category)))
                points.append(x + "," + y)
                dots.append(.element("circle", [Attribute("cx", x), Attribute("cy", y), Attribute("r", "3.50")],
                                     [canvas.tooltip(series: series, category: category)]))
            }
            let color = ChartPalette.color(series)
            marks.append(.element("g", [Attribute("class", "chart-series-\(series % ChartPalette.series.count + 1)")], [
                .element("polyline", [Attribute("points", points.joined(separator: " ")), Attribute("fill", "none"),
                                      Attribute("stroke", color), Attribute("stroke-width", "2"),
                                      Attribute("stroke-linejoin", "round")]),
                .element("g", [Attribute("fill", color)], dots),
            ]))
        }
        return canvas.svg(kind: "chart-line", marks: marks)
    }

    /// The same numbers as a table (`th scope="col"` headers, a row per category).
    public func table() -> Node {
        content.table(withTotal: false)
    }

    /// `<figure class="chart-figure">` holding the chart and its table.
    public func figure() -> Node {
        .element("figure", [Attribute("class", "chart-figure")], [svg(), table()])
    }
}
