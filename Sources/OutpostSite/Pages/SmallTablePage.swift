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
        var records = [columns.map(\.title) + csvExtraHeader]
        for (index, row) in rows.enumerated() {
            records.append(row.map { $0.csv(context.format) } + (index < csvExtra.count ? csvExtra[index] : []))
        }
        try context.output.file(csvPath, text: CSVRecord.document(records))
        try context.emit(PageModel(path: path, title: title, section: section,
                                   blocks: intro + [.table(columns: columns, rows: rows, empty: empty, csv: csvPath)] + outro))
    }
}
