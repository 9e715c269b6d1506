import Foundation
import OutpostStore
#if canImport(Glibc)
import Glibc
#endif

/// Hugo's pages per second on pages generated from the same rows as the site: a page per customer (its
/// details, subscriptions and invoices as tables) and a page per invoice (bill-to, lines, totals), with one
/// plain layout — simpler pages than Outpost's, which is what the issue compares against. Hugo (Debian's
/// `hugo`) builds them in a child process, timed from its start to its exit; the ratio printed is Outpost's
/// full build pages/s over Hugo's. Skipped, saying so, when `hugo` is not installed.
///
/// `OUTPOST_BENCH_HUGO_CUSTOMERS` limits the customers (and their invoices) given to Hugo, which keeps
/// every page in memory at once.
struct HugoComparison {
    let replica: any SQLDatabase
    let root: URL
    let outpostPagesPerSecond: Double

    func run() throws -> String {
        guard let hugo = Self.executable() else { return "Hugo: not installed (apt-get install hugo), no ratio" }
        let source = root.appendingPathComponent("hugo")
        try? FileManager.default.removeItem(at: source)
        defer { try? FileManager.default.removeItem(at: source) }
        let limit = count("OUTPOST_BENCH_HUGO_CUSTOMERS", Int.max)
        let generated = try generate(into: source, customers: limit)
        var status: Int32 = 0
        var output = ""
        let elapsed = try seconds {
            (status, output) = try Self.runCapturing(hugo, ["--source", source.path, "--destination", source.appendingPathComponent("public").path])
        }
        guard status == 0 else { throw BenchmarkFailure("hugo failed (wait status \(status)): \(output.suffix(2000))") }
        // Hugo's build table: "Pages            | 123456" — every page it rendered, sections included.
        guard let pagesLine = output.split(separator: "\n").first(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix("Pages") }),
              let pages = Int(pagesLine.split(separator: "|").last?.trimmingCharacters(in: .whitespaces) ?? "") else {
            throw BenchmarkFailure("no page count in hugo's output: \(output.suffix(2000))")
        }
        let perSecond = Double(pages) / elapsed
        return String(format: "Hugo %@ on %d customers and %d invoices: %d pages in %.1f s = %.0f pages/s; Outpost ÷ Hugo = %.2f",
                      Self.version(hugo), generated.customers, generated.invoices, pages, elapsed, perSecond, outpostPagesPerSecond / perSecond)
    }

    /// Writes the Hugo site: its configuration, one layout, and the content files.
    private func generate(into source: URL, customers limit: Int) throws -> (customers: Int, invoices: Int) {
        let content = source.appendingPathComponent("content")
        let layouts = source.appendingPathComponent("layouts/_default")
        try FileManager.default.createDirectory(at: layouts, withIntermediateDirectories: true)
        try """
            baseURL = "/"
            title = "Outpost"
            disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404"]
            relativeURLs = true
            """.write(to: source.appendingPathComponent("hugo.toml"), atomically: true, encoding: .utf8)
        let page = """
            <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{{ .Title }} · {{ .Site.Title }}</title></head>
            <body><header><nav><a href="/">Home</a> <a href="/customers/">Customers</a> <a href="/invoices/">Invoices</a></nav></header>
            <main><h1>{{ .Title }}</h1>{{ .Content }}{{ if .IsNode }}<ul>{{ range first 100 .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>{{ end }}</main>
            <footer>Outpost</footer></body></html>
            """
        for name in ["single.html", "list.html"] { try page.write(to: layouts.appendingPathComponent(name), atomically: true, encoding: .utf8) }

        var customerNames: [String: String] = [:]
        var chosen: [String] = []
        try replica.forEachRow("SELECT id, name FROM customer ORDER BY id", []) { row in
            guard chosen.count < limit else { return }
            let id = try row.string("id")
            chosen.append(id)
            customerNames[id] = try row.string("name")
        }
        var subscriptions: [String: [String]] = [:]
        try replica.forEachRow("""
            SELECT s.customer_id, p.name, s.quantity, s.status, s.period_end, s.unit_price * s.quantity AS price
            FROM subscription s JOIN plan p ON p.id = s.plan_id ORDER BY s.customer_id, s.id
            """, []) { row in
            let customer = try row.string("customer_id")
            guard customerNames[customer] != nil else { return }
            subscriptions[customer, default: []].append("| \(Self.cell(try row.string("name"))) | \(try row.int("quantity")) | \(try row.string("status")) | \(try row.string("period_end")) | \(Self.money(Int64(try row.int("price")))) |")
        }
        var invoicesOf: [String: [String]] = [:]
        var invoices: [(id: String, number: String, customer: String, date: String, due: String, subtotal: Int64, tax: Int64, total: Int64)] = []
        try replica.forEachRow("SELECT id, number, customer_id, issue_date, due_date, subtotal, tax, total FROM invoice ORDER BY id", []) { row in
            let customer = try row.string("customer_id")
            guard customerNames[customer] != nil else { return }
            let id = try row.string("id"), number = row["number"].string ?? id
            invoices.append((id, number, customer, try row.string("issue_date"), try row.string("due_date"),
                             Int64(try row.int("subtotal")), Int64(try row.int("tax")), Int64(try row.int("total"))))
            invoicesOf[customer, default: []].append("| [\(number)](/invoices/\(Self.shard(id))/\(id.lowercased())/) | \(try row.string("issue_date")) | \(Self.money(Int64(try row.int("total")))) |")
        }
        var lines: [String: [String]] = [:]
        try replica.forEachRow("SELECT invoice_id, description, quantity, unit_price, amount FROM invoice_line ORDER BY invoice_id, id", []) { row in
            let invoice = try row.string("invoice_id")
            lines[invoice, default: []].append("| \(Self.cell(try row.string("description"))) | \(try row.int("quantity")) | \(Self.money(Int64(try row.int("unit_price")))) | \(Self.money(Int64(try row.int("amount")))) |")
        }

        let customersDirectory = content.appendingPathComponent("customers")
        try FileManager.default.createDirectory(at: customersDirectory, withIntermediateDirectories: true)
        try "---\ntitle: Customers\n---\n".write(to: customersDirectory.appendingPathComponent("_index.md"), atomically: false, encoding: .utf8)
        for id in chosen {
            var text = "---\ntitle: \(Self.quoted(customerNames[id] ?? id))\n---\n\n## Subscriptions\n\n| Plan | Qty | Status | Period ends | Price |\n|---|--:|---|---|--:|\n"
            text += (subscriptions[id] ?? []).joined(separator: "\n")
            text += "\n\n## Invoices\n\n| Invoice | Issued | Total |\n|---|---|--:|\n" + (invoicesOf[id] ?? []).joined(separator: "\n") + "\n"
            try Self.write(text, to: customersDirectory.appendingPathComponent(id.lowercased() + ".md").path)
        }
        let invoicesDirectory = content.appendingPathComponent("invoices")
        try FileManager.default.createDirectory(at: invoicesDirectory, withIntermediateDirectories: true)
        try "---\ntitle: Invoices\n---\n".write(to: invoicesDirectory.appendingPathComponent("_index.md"), atomically: false, encoding: .utf8)
        var shards = Set<String>()
        for invoice in invoices {
            let shard = Self.shard(invoice.id)
            let directory = invoicesDirectory.appendingPathComponent(shard)
            if shards.insert(shard).inserted { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) }
            var text = "---\ntitle: \(Self.quoted("Invoice " + invoice.number))\n---\n\n"
            text += "Bill to: [\(Self.cell(customerNames[invoice.customer] ?? ""))](/customers/\(invoice.customer.lowercased())/)  \nIssued \(invoice.date), due \(invoice.due)\n\n"
            text += "| Description | Qty | Unit price | Amount |\n|---|--:|--:|--:|\n" + (lines[invoice.id] ?? []).joined(separator: "\n")
            text += "\n\n| | |\n|---|--:|\n| Subtotal | \(Self.money(invoice.subtotal)) |\n| Tax | \(Self.money(invoice.tax)) |\n| Total | \(Self.money(invoice.total)) |\n"
            try Self.write(text, to: directory.appendingPathComponent(invoice.id.lowercased() + ".md").path)
        }
        return (chosen.count, invoices.count)
    }

    /// Invoices in directories by the last two characters of their id, as the site shards them.
    static func shard(_ id: String) -> String { String(id.suffix(2)).lowercased() }

    static func money(_ units: Int64) -> String { String(format: "%.2f", Double(units) / 100) }

    /// A table cell's text: a `|` would end the cell.
    static func cell(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|") }

    /// A YAML string: quoted, its quotes and backslashes escaped.
    static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    static func write(_ text: String, to path: String) throws {
        guard let file = fopen(path, "w") else { throw BenchmarkFailure("cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { fclose(file) }
        var text = text
        text.withUTF8 { _ = fwrite($0.baseAddress, 1, $0.count, file) }
    }

    static func executable() -> String? {
        for directory in ["/usr/bin", "/usr/local/bin"] where FileManager.default.isExecutableFile(atPath: directory + "/hugo") {
            return directory + "/hugo"
        }
        return nil
    }

    static func version(_ hugo: String) -> String {
        let (_, output) = (try? runCapturing(hugo, ["version"])) ?? (1, "")
        return output.split(separator: " ").dropFirst().first.map(String.init) ?? "?"
    }

    /// Runs `executable` with `arguments`, its standard output and error captured; returns its wait status and output.
    static func runCapturing(_ executable: String, _ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
