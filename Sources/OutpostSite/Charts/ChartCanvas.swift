import OutpostModel

/// The theme's chart colours: CSS custom properties, each with a fallback so
/// a chart still reads when the theme does not define them.
///
/// Variables the theme may define (light and dark):
/// - `--chart-1` … `--chart-6`: series colours, in order (series 7 reuses `--chart-1`);
/// - `--chart-text`: axis labels, legend and empty-state text (falls back to `currentColor`);
/// - `--chart-grid`: grid lines;
/// - `--chart-axis`: the zero line.
///
/// Classes for further styling: `chart`, `chart-bar` / `chart-line`,
/// `chart-empty`, `chart-grid`, `chart-axis`, `chart-legend`, `chart-labels`,
/// `chart-series`, and `chart-data` on the companion table.
public enum ChartPalette {
    /// The series colour variables, in order, with their fallbacks.
    public static let series: [(variable: String, fallback: String)] = [
        ("--chart-1", "#2563eb"), ("--chart-2", "#16a34a"), ("--chart-3", "#d97706"),
        ("--chart-4", "#9333ea"), ("--chart-5", "#dc2626"), ("--chart-6", "#0891b2"),
    ]

    /// `var(--chart-N, #fallback)` for series `index` (0-based).
    public static func color(_ index: Int) -> String {
        let entry = series[index % series.count]
        return "var(\(entry.variable), \(entry.fallback))"
    }

    static let text = "var(--chart-text, currentColor)"
    static let grid = "var(--chart-grid, #d0d5dd)"
    static let axis = "var(--chart-axis, #667085)"
}

/// The drawing surface both chart kinds share: a fixed viewBox (the SVG
/// scales to its container; no pixel size), the value axis with nice ticks,
/// the category bands, the legend and the empty state. Coordinates are
/// integers in hundredths of a viewBox unit, written by `ChartNumber.fixed`.
struct ChartCanvas {
    static let width: Int64 = 640
    static let height: Int64 = 320
    /// Roughly how wide one character of the 12-unit label font is.
    static let characterWidth: Int64 = 7
    /// Values beyond ±2⁶⁰ are drawn at the edge of the axis.
    static let limit: Int64 = 1 << 60

    let content: ChartContent
    let axisMinimum: Int64
    let axisMaximum: Int64
    let step: Int64
    /// Plot area, hundredths.
    let left: Int64
    let right: Int64
    let top: Int64
    let bottom: Int64

    /// A canvas whose value axis spans `minimum … maximum` (zero is always included).
    init(content: ChartContent, minimum: Int64, maximum: Int64) {
        self.content = content
        // Far beyond any amount, and small enough that the axis arithmetic never overflows.
        let low = max(-Self.limit, min(0, minimum))
        let high = min(Self.limit, max(0, maximum))
        let (span, overflow) = high.subtractingReportingOverflow(low)
        let step = ChartNumber.niceStep(span: overflow ? Int64.max / 2 : max(1, span), ticks: 4)
        self.step = step
        axisMinimum = ChartNumber.floor(low, to: step)
        let top = ChartNumber.ceil(high, to: step)
        axisMaximum = top == axisMinimum ? axisMinimum + step : top
        // Room on the left for the longest tick label.
        var widest = 0
        var tick = axisMinimum
        while tick <= axisMaximum {
            widest = max(widest, content.format.axis(tick).count)
            tick += step
        }
        left = min(200, max(40, 12 + Int64(widest) * Self.characterWidth)) * 100
        right = (Self.width - 12) * 100
        let rows = Self.legendLayout(content, left: left, right: right).map(\.row).max().map { $0 + 1 } ?? 0
        self.top = (content.series.count > 1 ? 16 + 24 * Int64(min(rows, 4)) : 16) * 100
        bottom = (Self.height - 36) * 100
    }

    /// The vertical position of `value`, hundredths.
    func y(_ value: Int64) -> Int64 {
        let clamped = min(max(value, axisMinimum), axisMaximum)
        return bottom - ChartNumber.scale(clamped - axisMinimum, bottom - top, axisMaximum - axisMinimum)
    }

    /// Category `index`'s band: where it starts and how wide it is, hundredths.
    func band(_ index: Int) -> (start: Int64, width: Int64) {
        let count = Int64(max(1, content.categories.count))
        let start = left + ChartNumber.scale(Int64(index), right - left, count)
        let end = left + ChartNumber.scale(Int64(index) + 1, right - left, count)
        return (start, end - start)
    }

    /// The `<svg>` root: title, grid and value axis, `marks` (bars or lines), category labels, legend.
    func svg(kind: String, marks: [Node]) -> Node {
        Self.root(kind: kind, summary: content.summary, children: [.element("title", [], [.text(content.title)])]
                  + [grid()] + [.element("g", [Attribute("class", "chart-series")], marks)] + [labels()] + legend())
    }

    /// The intentional empty state: the frame and a sentence, no axes.
    static func empty(_ content: ChartContent, kind: String) -> Node {
        root(kind: kind + " chart-empty", summary: content.summary, children: [
            .element("title", [], [.text(content.title)]),
            .element("rect", [Attribute("x", "0.50"), Attribute("y", "0.50"), Attribute("width", ChartNumber.fixed(width * 100 - 100)),
                              Attribute("height", ChartNumber.fixed(height * 100 - 100)), Attribute("fill", "none"),
                              Attribute("stroke", ChartPalette.grid), Attribute("stroke-dasharray", "4 4")]),
            .element("text", [Attribute("x", ChartNumber.fixed(width * 50)), Attribute("y", ChartNumber.fixed(height * 50)),
                              Attribute("text-anchor", "middle"), Attribute("dominant-baseline", "middle"),
                              Attribute("font-size", "14"), Attribute("fill", ChartPalette.text)],
                     [.text("No data for this period")]),
        ])
    }

    /// A chart is an image (`role="img"`) unless its labels link to the months they name: an image may not hold
    /// links (axe's nested-interactive), and HTML allows an `<svg>` no role but `img` (the Nu validator refuses
    /// `figure`, `group`, `none`), so such a chart keeps its implicit graphics-document role, its summary still
    /// its label, inside the page's `<figure>`.
    private static func root(kind: String, summary: String, children: [Node]) -> Node {
        let role = children.contains { $0.holdsLink } ? [] : [Attribute("role", "img")]
        return .element("svg", [
            Attribute("xmlns", "http://www.w3.org/2000/svg"),
            Attribute("viewBox", "0 0 \(width) \(height)"),
            Attribute("class", "chart \(kind)"),
        ] + role + [
            Attribute("aria-label", summary),
            Attribute("font-size", "12"),
        ], children)
    }

    private func grid() -> Node {
        var nodes: [Node] = []
        var tick = axisMinimum
        while tick <= axisMaximum {
            let y = ChartNumber.fixed(y(tick))
            nodes.append(.element("line", [
                Attribute("x1", ChartNumber.fixed(left)), Attribute("y1", y), Attribute("x2", ChartNumber.fixed(right)), Attribute("y2", y),
                Attribute("class", tick == 0 ? "chart-axis" : "chart-grid"),
                Attribute("stroke", tick == 0 ? ChartPalette.axis : ChartPalette.grid), Attribute("stroke-width", "1"),
            ]))
            nodes.append(.element("text", [
                Attribute("x", ChartNumber.fixed(left - 600)), Attribute("y", y), Attribute("text-anchor", "end"),
                Attribute("dominant-baseline", "middle"), Attribute("fill", ChartPalette.text),
            ], [.text(content.format.axis(tick))]))
            tick += step
        }
        return .element("g", [Attribute("class", "chart-grid")], nodes)
    }

    private func labels() -> Node {
        let count = content.categories.count
        let bandWidth = max(1, (right - left) / Int64(max(1, count)))
        // A label too wide for its band breaks at its last space (`Jan` over `2026`); when even
        // that does not fit, only every n-th category is labelled (the table lists them all).
        func width(_ text: Substring) -> Int64 { (Int64(text.count) * Self.characterWidth + 8) * 100 }
        let lines = content.categories.map { category -> [Substring] in
            let whole = Substring(category)
            guard width(whole) > bandWidth, let space = category.lastIndex(of: " ") else { return [whole] }
            return [category[..<space], category[category.index(after: space)...]]
        }
        let widest = lines.flatMap { $0 }.map(width).max() ?? 0
        let every = Int(max(1, (widest + bandWidth - 1) / bandWidth))
        var nodes: [Node] = []
        for (index, parts) in lines.enumerated() where index % every == 0 {
            let band = band(index)
            let x = ChartNumber.fixed(band.start + band.width / 2)
            let children: [Node] = parts.count == 1
                ? [.text(String(parts[0]))]
                : parts.enumerated().map { offset, part in
                    .element("tspan", [Attribute("x", x), Attribute("dy", offset == 0 ? "0.00" : "13.00")], [.text(String(part))])
                }
            let label: Node = .element("text", [
                Attribute("x", x), Attribute("y", ChartNumber.fixed(bottom + 1_600)),
                Attribute("text-anchor", "middle"), Attribute("fill", ChartPalette.text),
            ], children)
            // A category with a page of its own (a month's invoices, orders or payments) links to it.
            if let href = content.link(index) {
                nodes.append(.element("a", [Attribute("href", href)], [label]))
            } else {
                nodes.append(label)
            }
        }
        return .element("g", [Attribute("class", "chart-labels")], nodes)
    }

    /// Where each legend entry goes: left to right, wrapping to a new row past the plot's right edge.
    static func legendLayout(_ content: ChartContent, left: Int64, right: Int64) -> [(x: Int64, row: Int)] {
        guard content.series.count > 1 else { return [] }
        var result: [(x: Int64, row: Int)] = []
        var x = left
        var row = 0
        for series in content.series {
            let width = (30 + Int64(series.name.count) * characterWidth) * 100
            if x > left, x + width > right {
                row += 1
                x = left
            }
            result.append((x, row))
            x += width
        }
        return result
    }

    private func legend() -> [Node] {
        let layout = Self.legendLayout(content, left: left, right: right)
        guard !layout.isEmpty else { return [] }
        var nodes: [Node] = []
        for (index, series) in content.series.enumerated() {
            let (x, row) = layout[index]
            let y = Int64(row) * 2_400
            nodes.append(.element("rect", [
                Attribute("x", ChartNumber.fixed(x)), Attribute("y", ChartNumber.fixed(1_000 + y)), Attribute("width", "12.00"),
                Attribute("height", "12.00"), Attribute("fill", ChartPalette.color(index)),
            ]))
            nodes.append(.element("text", [
                Attribute("x", ChartNumber.fixed(x + 1_800)), Attribute("y", ChartNumber.fixed(1_600 + y)),
                Attribute("dominant-baseline", "middle"), Attribute("fill", ChartPalette.text),
            ], [.text(series.name)]))
        }
        return [.element("g", [Attribute("class", "chart-legend")], nodes)]
    }

    /// `Category — Series: value`, the tooltip of one mark.
    func tooltip(series: Int, category: Int) -> Node {
        let name = content.series.count > 1 ? " — \(content.series[series].name)" : ""
        return .element("title", [], [.text("\(content.categories[category])\(name): \(content.format.value(content.value(series, category)))")])
    }
}

extension Node {
    /// Whether this node is or holds a link (`<a>`).
    var holdsLink: Bool {
        switch kind {
        case let .element(name, _, children): return name == "a" || children.contains { $0.holdsLink }
        case .fragment(let nodes): return nodes.contains { $0.holdsLink }
        case .text, .trusted, .rendered: return false
        }
    }
}
