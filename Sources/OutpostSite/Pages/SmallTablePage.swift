/// A single page holding a short table (settings-sized data) and its CSV beside it.
struct SmallTablePage {
    let path: String
    let title: String
    let section: Section
    var intro: [Block] = []
    let columns: [Column]
    let rows: [[Cell]]
    let empty: String
    /// CSV path from the site root.
    let csvPath: String
    var csvExtraHeader: [String] = []
    var csvExtra: [[String]] = []
    var outro: [Block] = []

    func build(in context: BuildContext) throws {
        try Self.writeCSV(csvPath, columns: columns, rows: rows, extraHeader: csvExtraHeader, extra: csvExtra, in: context)
        try context.emit(PageModel(path: path, title: title, section: section,
                                   blocks: intro + [.table(columns: columns, rows: rows, empty: empty, csv: csvPath)] + outro))
    }

    /// Writes a short table's CSV: the visible cells as the CSV shows them, then `extra` per row under `extraHeader`.
    static func writeCSV(_ path: String, columns: [Column], rows: [[Cell]], extraHeader: [String] = [], extra: [[String]] = [],
                         in context: BuildContext) throws {
        var records = [columns.map(\.title) + extraHeader]
        for (index, row) in rows.enumerated() {
            records.append(row.map { $0.csv(context.format) } + (index < extra.count ? extra[index] : []))
        }
        try context.output.file(path, text: CSVRecord.document(records))
    }
}
