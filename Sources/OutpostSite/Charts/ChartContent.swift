import OutpostModel

/// What bar and line charts share: the categories, the series and how numbers read.
struct ChartContent: Sendable {
    let title: String
    let categoryTitle: String
    let categories: [String]
    let series: [ChartSeries]
    let format: ChartValueFormat
    /// Per category, where its rows are listed (relative to the page), or none.
    var links: [String?] = []

    /// Where category `index`'s rows are listed, if anywhere.
    func link(_ index: Int) -> String? { index < links.count ? links[index] : nil }

    func value(_ series: Int, _ category: Int) -> Int64 {
        let values = self.series[series].values
        return category < values.count ? values[category] : 0
    }

    /// Nothing to draw: no categories, no series, or every value zero.
    var isEmpty: Bool {
        categories.isEmpty || series.isEmpty || series.allSatisfy { $0.values.prefix(categories.count).allSatisfy { $0 == 0 } }
    }

    /// The text alternative: what the chart shows, and where its numbers are.
    var summary: String {
        guard !isEmpty else { return "\(title): no data for this period." }
        let names = series.map(\.name).joined(separator: ", ")
        let range = categories.count == 1 ? categories[0] : "\(categories[0]) to \(categories[categories.count - 1])"
        return "\(title): \(names), \(range). The numbers are in the table next to this chart."
    }

    /// The companion data table: a column per series (and a total when `withTotal`), a row per category.
    func table(withTotal: Bool) -> Node {
        var header: [Node] = [H.th(categoryTitle)] + series.map { H.th($0.name) }
        if withTotal { header.append(H.th("Total")) }
        var body: [Node] = []
        for (index, category) in categories.enumerated() {
            let name: Node = link(index).map { .element("a", [Attribute("href", $0)], [.text(category)]) } ?? .text(category)
            var cells: [Node] = [H.rowHeader(name)]
            var total: Int64 = 0
            for seriesIndex in series.indices {
                let value = value(seriesIndex, index)
                total = total &+ value
                cells.append(H.td(format.value(value), [Attribute("class", "num")]))
            }
            if withTotal { cells.append(H.td(format.value(total), [Attribute("class", "num")])) }
            body.append(.element("tr", [], cells))
        }
        if categories.isEmpty || series.isEmpty {
            body.append(.element("tr", [], [.element("td", [Attribute("colspan", String(max(1, header.count))), Attribute("class", "empty")],
                                                      [.text("No data for this period.")])]))
        }
        return .element("table", [Attribute("class", "chart-data")], [
            .element("caption", [], [.text(title)]),
            .element("thead", [], [.element("tr", [], header)]),
            .element("tbody", [], body),
        ])
    }
}
