import Dispatch

/// A one-line progress display for long pulls and site builds, redrawn in place with `\r`:
///
///     pull  [##########..........]  52%  12,345/23,456 changes
///     site  1,234 pages
///
/// (the second form when the total is not known). Only ever made for a terminal — see
/// `ProgressBar.onTerminal` — so cron mail, log files and pipes never get a `\r`. Redraws are throttled
/// (at most one per `interval`), and `finish()` blanks the line so what is printed next starts clean.
final class ProgressBar {
    let label: String
    let unit: String
    /// The shortest time between two redraws, in seconds.
    let interval: Double
    private let write: (String) -> Void
    private let now: () -> Double
    private var lastDraw: Double?
    /// What is on the line now; empty when nothing is.
    private var shown = ""

    /// A bar writing raw text (no line feeds) to `write`; `now` is a monotonic time in seconds.
    init(_ label: String, unit: String, interval: Double = 0.1, write: @escaping (String) -> Void,
         now: @escaping () -> Double = ProgressBar.uptime) {
        self.label = label
        self.unit = unit
        self.interval = interval
        self.write = write
        self.now = now
    }

    /// Shows `done` (of `total`, when known): at once the first time, then at most once per `interval`.
    func update(_ done: Int, of total: Int? = nil) {
        let time = now()
        if let lastDraw, time - lastDraw < interval { return }
        lastDraw = time
        let text = Self.text(label: label, unit: unit, done: done, total: total)
        guard text != shown else { return }
        // Spaces over whatever the last, longer text left behind; no escape sequences, so a dumb terminal copes.
        write("\r" + text + String(repeating: " ", count: max(0, shown.count - text.count)))
        shown = text
    }

    /// Blanks the line and puts the cursor back at its start; writes nothing when nothing was drawn.
    func finish() {
        guard !shown.isEmpty else { return }
        write("\r" + String(repeating: " ", count: shown.count) + "\r")
        shown = ""
        lastDraw = nil
    }

    /// The line for `done` of `total`: a 20-column bar with the percentage when the total is known, else a count.
    static func text(label: String, unit: String, done: Int, total: Int?, width: Int = 20) -> String {
        let name = label.count < 4 ? label + String(repeating: " ", count: 4 - label.count) : label
        guard let total, total > 0 else { return "\(name)  \(grouped(done)) \(unit)" }
        let fraction = Double(min(max(done, 0), total)) / Double(total)
        let filled = Int(fraction * Double(width))
        let percent = String(Int(fraction * 100))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        return "\(name)  [\(bar)] \(String(repeating: " ", count: 3 - percent.count))\(percent)%  \(grouped(done))/\(grouped(total)) \(unit)"
    }

    /// `12345` as `12,345`.
    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out += "," }
            out.append(digit)
        }
        return value < 0 ? "-" + out : out
    }

    /// Seconds since boot: monotonic, so a clock change cannot stall or rush the redraws.
    static func uptime() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}

extension ProgressBar {
    /// A bar on the session's standard error when it is a terminal and `enabled` (the caller's `--quiet`,
    /// `--log-format json`…); otherwise `nil`, and nothing is ever printed for progress.
    static func onTerminal(_ session: Session, _ label: String, unit: String, enabled: Bool = true) -> ProgressBar? {
        guard enabled, session.stderrIsTerminal else { return nil }
        return ProgressBar(label, unit: unit, write: { session.writeError($0) })
    }
}
