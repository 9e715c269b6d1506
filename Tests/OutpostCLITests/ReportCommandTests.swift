import Foundation
import OutpostCLI
import Testing

/// `outpost report …` and `outpost summary`: the dashboards' figures in the
/// terminal, from the same code on the same replica, never different.
@Suite("outpost end to end: reports in the terminal", .timeLimit(.minutes(20)))
struct ReportCommandTests {
    /// The CSV the dashboards publish for each report, and the command line that prints it.
    static let reports: [(csv: String, arguments: [String])] = [
        ("sales.csv", ["report", "sales"]), ("revenue.csv", ["report", "revenue"]), ("revenue-by-plan.csv", ["report", "revenue", "--by-plan"]),
        ("customers.csv", ["report", "customers"]), ("aging.csv", ["report", "aging"]), ("payments.csv", ["report", "payments"]),
        ("subscriptions.csv", ["report", "subscriptions"]),
    ]

    @Test("every report's CSV in the terminal is byte for byte the one the site publishes beside the report")
    func terminalEqualsPages() throws {
        let sandbox = try FixtureTests.generated("reports")
        defer { sandbox.remove() }
        let site = sandbox.root.appendingPathComponent("site")
        _ = try sandbox.ok(["site", "build", "--out", site.path])
        let commands = Set(Outpost.commands.filter { $0.path.first == "report" }.map(\.name))
        #expect(Set(Self.reports.map { $0.arguments.prefix(2).joined(separator: " ") }) == commands, "every report is compared")
        for report in Self.reports {
            let published = try String(contentsOf: site.appendingPathComponent("reports/" + report.csv), encoding: .utf8)
            let printed = try sandbox.ok(report.arguments + ["--csv"]).stdout
            #expect(printed == published, "\(report.arguments.joined(separator: " ")) --csv differs from reports/\(report.csv)")
            #expect(published.split(separator: "\r\n").count > 2, "reports/\(report.csv) has figures to compare")
            // The text table and JSON carry the same rows.
            let json = try #require(try sandbox.ok(report.arguments + ["--json"]).json() as? [String: Any])
            let rows = try #require(json["rows"] as? [[String]])
            #expect(rows.count == published.split(separator: "\r\n").count - 1)
            let text = try sandbox.ok(report.arguments).stdout
            #expect(text.split(separator: "\n").count == rows.count + 2, "a title, a header and one line per row")
        }
    }

    @Test("summary prints the home page's figures")
    func summaryMatchesHome() throws {
        let sandbox = try FixtureTests.generated("summary")
        defer { sandbox.remove() }
        let site = sandbox.root.appendingPathComponent("site")
        _ = try sandbox.ok(["site", "build", "--out", site.path])
        let home = try String(contentsOf: site.appendingPathComponent("index.html"), encoding: .utf8)
        let text = try sandbox.ok(["summary"]).stdout
        for figure in ["MRR", "ARR", "Outstanding receivables", "Overdue receivables"] {
            let line = try #require(text.split(separator: "\n").first { $0.hasPrefix(figure + " ") }, "\(figure) in \(text)")
            let value = line.dropFirst(figure.count).trimmingCharacters(in: .whitespaces)
            #expect(home.contains(value), "the home page shows \(figure) \(value)")
        }
        let json = try #require(try sandbox.ok(["summary", "--json"]).json() as? [String: Any])
        #expect(json["mrr"] is Int && json["currency"] as? String != nil)
    }

    @Test("periods: --from after --to, a month that is not one, a future month and --from on a report of one day are refused")
    func badPeriods() throws {
        let sandbox = try FixtureTests.generated("report-periods")
        defer { sandbox.remove() }
        let later = sandbox.run(["report", "revenue", "--from", "2025-10", "--to", "2025-03"])
        #expect(later.status == 65 && later.stderr.contains("--from 2025-10 is after --to 2025-03"), "\(later)")
        let malformed = sandbox.run(["report", "sales", "--from", "2026-13"])
        #expect(malformed.status == 65 && malformed.stderr.contains("is not a month"), "\(malformed)")
        let future = sandbox.run(["report", "sales", "--to", "2099-01"])
        #expect(future.status == 65 && future.stderr.contains("is after the data's month"), "\(future)")
        let snapshot = sandbox.run(["report", "aging", "--from", "2026-01"])
        #expect(snapshot.status == 64, "\(snapshot)")
        let both = sandbox.run(["report", "sales", "--csv", "--json"])
        #expect(both.status == 64, "\(both)")
        // A period of its own: three months, each present.
        let three = try #require(try sandbox.ok(["report", "payments", "--from", "2025-08", "--to", "2025-10", "--json"]).json() as? [String: Any])
        let months = Set((three["rows"] as? [[String]] ?? []).map { $0[0] })
        #expect(months == ["2025-08", "2025-09", "2025-10"])
    }
}
