import OutpostModel
import OutpostStore

/// A list's CSV: every row, written from the replica.
///
/// A long list (`PagedList.csvPeriod`) is cut into one file per day
/// (`CSVPeriod`), each written whole from the replica when a row in it
/// changes, and listed with its rows and size on the list's CSV page
/// (`SitePath.csvIndex`); a short one is a single file beside its pages. A
/// file holds the rows of its day in number order (then id), each row with
/// the customer's name beside its id and a payment's invoice number beside
/// the invoice's id. Which days a build must write is the caller's to say
/// (`write(periods:in:)`); `periods(of:in:)` finds the days of given rows.
struct ListCSV {
    let list: PagedList

    init(_ list: PagedList) {
        self.list = list
    }

    /// Where each CSV field comes from: a visible column's cell, or one of the list's extra fields.
    enum Source: Equatable {
        case cell(Int)
        case extra(Int)
    }

    /// The CSV's columns: the id first, then the visible columns not skipped, each followed by the
    /// extra field named after it (`Customer id` right after `Customer`), then the other extra fields.
    static func layout(columns: [String], skipped: Set<Int>, extras: [String]) -> [(title: String, source: Source)] {
        var layout: [(title: String, source: Source)] = extras.isEmpty ? [] : [(extras[0], .extra(0))]
        var rest = Array(extras.enumerated().dropFirst())
        for (index, title) in columns.enumerated() where !skipped.contains(index) {
            layout.append((title, .cell(index)))
            if let beside = rest.firstIndex(where: { $0.element == title + " id" }) {
                layout.append((rest[beside].element, .extra(rest[beside].offset)))
                rest.remove(at: beside)
            }
        }
        return layout + rest.map { ($0.element, .extra($0.offset)) }
    }

    var layout: [(title: String, source: Source)] {
        ListCSV.layout(columns: list.columns.map(\.title), skipped: list.csvSkipped, extras: list.csvExtraHeader)
    }

    var header: [String] { layout.map(\.title) }

    /// One row's record, in `layout`'s order.
    func record(_ row: Row, _ format: SiteFormat) throws -> [String] {
        let cells = try list.cells(row), extra = try list.csvExtra(row)
        return layout.map { column in
            switch column.source {
            case .cell(let index): return index < cells.count ? cells[index].csv(format) : ""
            case .extra(let index): return index < extra.count ? extra[index] : ""
            }
        }
    }

    /// Where the list's tables link for their CSV: the page of its files, or its one file.
    var link: String? {
        guard let path = list.csvPath else { return nil }
        return list.csvPeriod == nil ? path : SitePath.csvIndex(list.directory)
    }

    /// The rows as a query over the list's select (as `r`), with each row's period as `csv_period`, in
    /// file order; `periods` limits it to those days (bound as the last argument).
    private func query(limited: Bool) -> String {
        let period = list.csvPeriod!
        let inner = list.select + (list.filter.map { " WHERE " + $0 } ?? "")
        return "SELECT r.*, \(period.sql) AS csv_period FROM (\(inner)) AS r"
            + (limited ? " WHERE \(period.sql) IN (SELECT value FROM json_each(?))" : "")
            + " ORDER BY csv_period, \(period.order)"
    }

    // MARK: Writing

    /// Writes every file of the list (a full or fingerprint build); a file whose bytes did not change is
    /// not written again, and a day's file that no longer has rows goes.
    func writeAll(in context: BuildContext) throws {
        guard let csvPath = list.csvPath else { return }
        guard list.csvPeriod != nil else {
            let writer = try CSVWriter(path: csvPath, output: context.output, header: header)
            try context.forEachRow(list.select + (list.filter.map { " WHERE " + $0 } ?? "") + " ORDER BY " + list.idColumn, list.arguments) {
                try writer.write(try record($0, context.format))
            }
            try writer.finish(into: context.output)
            return
        }
        let old = try files(in: context)
        let new = try write(query(limited: false), list.arguments, in: context)
        for period in Set(old.keys).subtracting(new.keys) { try context.output.remove(SitePath.csvFile(list.directory, period: period)) }
        try finish(new, in: context)
    }

    /// Writes the files of `periods` again from the replica (a day without rows any more loses its file)
    /// and the page listing the files; with nil, every file. `rowsAdded` is how many rows the list gained
    /// (negative: lost) with the change: when the files' counts moved by another number, a row moved away
    /// from a day not in `periods` (its date changed), and every file is written again.
    func write(periods: Set<String>?, rowsAdded: Int, in context: BuildContext) throws {
        guard list.csvPath != nil else { return }
        guard list.csvPeriod != nil, let periods else { return try writeAll(in: context) }
        guard !periods.isEmpty else { return }
        var files = try files(in: context)
        let rowsBefore = files.values.reduce(0) { $0 + $1.rows }
        let written = try write(query(limited: true), list.arguments + [SQLValue.jsonArray(periods)], in: context)
        for period in periods.sorted() {
            if let file = written[period] {
                files[period] = file
            } else if files.removeValue(forKey: period) != nil {
                try context.output.remove(SitePath.csvFile(list.directory, period: period))
            }
        }
        guard files.values.reduce(0, { $0 + $1.rows }) == rowsBefore + rowsAdded else { return try writeAll(in: context) }
        try finish(files, in: context)
    }

    /// The days the rows `ids` are in (gone rows included, as far as they can be found); nil when a row
    /// is not in the replica any more, so its day is not known: then every file is written again.
    func periods(of ids: Set<String>, in context: BuildContext) throws -> Set<String>? {
        guard let period = list.csvPeriod, !ids.isEmpty else { return [] }
        var found: Set<String> = [], periods: Set<String> = []
        // Without the list's filter (and its arguments): a row that just left the list must leave its day's file too.
        try context.forEachRow("SELECT r.id AS csv_id, \(period.sql) AS csv_period FROM (\(list.select)) AS r WHERE r.id IN (SELECT value FROM json_each(?))",
                               [SQLValue.jsonArray(ids)]) { row in
            if let id = row["csv_id"].string { found.insert(id) }
            if let day = row["csv_period"].string { periods.insert(day) }
        }
        return found.count == ids.count ? periods : nil
    }

    /// What one file holds.
    struct File: Equatable {
        var rows: Int
        var bytes: Int
    }

    /// Streams the query's rows into one file per period; returns the files written (or left as they were).
    private func write(_ sql: String, _ arguments: [any SQLBindable], in context: BuildContext) throws -> [String: File] {
        var files: [String: File] = [:]
        var current: String? = nil
        var bytes: [UInt8] = []
        var rows = 0
        let header = header
        func flush() throws {
            guard let period = current else { return }
            try context.output.file(SitePath.csvFile(list.directory, period: period), bytes: bytes)
            files[period] = File(rows: rows, bytes: bytes.count)
        }
        try context.forEachRow(sql, arguments) { row in
            let period = row["csv_period"].string ?? CSVPeriod.undated
            guard CSVPeriod.isPeriod(period) else { return }
            if period != current {
                try flush()
                current = period
                bytes.removeAll(keepingCapacity: true)
                CSVRecord.append(header, to: &bytes)
                rows = 0
            }
            CSVRecord.append(try record(row, context.format), to: &bytes)
            rows += 1
        }
        try flush()
        return files
    }

    // MARK: The page of files

    /// The list's files as the last build left them (kept in the build's store), by period.
    private func files(in context: BuildContext) throws -> [String: File] {
        var files: [String: File] = [:]
        for line in (try context.lists.meta(metaKey) ?? "").split(separator: "\n") {
            let fields = line.split(separator: "\t")
            guard fields.count == 3, let rows = Int(fields[1]), let bytes = Int(fields[2]) else { continue }
            files[String(fields[0])] = File(rows: rows, bytes: bytes)
        }
        return files
    }

    private var metaKey: String { "csv-files " + list.directory }

    /// Remembers the files and renders the page listing them.
    private func finish(_ files: [String: File], in context: BuildContext) throws {
        try context.lists.setMeta(metaKey, files.sorted { $0.key < $1.key }.map { "\($0.key)\t\($0.value.rows)\t\($0.value.bytes)" }.joined(separator: "\n"))
        try context.emit(ListCSV.page(list: list, files: files))
    }

    /// The page listing a list's files, newest day first.
    static func page(list: PagedList, files: [String: File]) -> PageModel {
        let rows = files.values.reduce(0) { $0 + $1.rows }, bytes = files.values.reduce(0) { $0 + $1.bytes }
        let name = list.title.lowercased()
        let table: [[Cell]] = files.sorted { $0.key > $1.key }.map { period, file in
            [.link(SitePath.csvFile(list.directory, period: period), period), .number(Int64(file.rows)), .number(Int64(file.bytes))]
        }
        return PageModel(path: SitePath.csvIndex(list.directory), title: list.title + " as CSV", section: list.section, blocks: [
            .paragraph("Every row of \(name) as CSV, one file per day (\(list.csvPeriod!.column.replacingOccurrences(of: "_", with: " "))): "
                       + "\(Plural.sentence(rows, "row")) in \(Plural.count(files.count, "file")), \(Plural.count(bytes, "byte")) in all. "
                       + "Each file starts with the same header row, so the files can be joined into one. "
                       + "Within a day rows come in number order, and every row names its customer beside the customer's id."),
            .links([(list.pagePath("index"), list.title, false)], label: "Back to the list"),
            .table(columns: [Column("Day"), Column("Rows", numeric: true), Column("Bytes", numeric: true)], rows: table,
                   caption: "CSV files of " + name, empty: "No rows yet, so no files."),
        ])
    }
}
