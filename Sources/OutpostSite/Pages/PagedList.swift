import OutpostStore

/// A list of rows split into pages of a fixed size, with every row in a CSV beside it.
///
/// Pages are `DIR/index.html`, `DIR/page-2.html`, …; the CSV is `DIR/NAME.csv`.
/// Rows stream from the query: at most one page of rows is held at a time,
/// so a list of 100,000 customers costs the same memory as a list of 100.
struct PagedList {
    static let pageSize = 100

    /// Directory from the site root: `customers`, `users/usr_…`.
    let directory: String
    let title: String
    let section: Section
    /// Shown above the table on every page.
    var intro: [Block] = []
    let columns: [Column]
    /// What an empty list says.
    let empty: String
    /// The rows, in page order.
    let sql: String
    var arguments: [any SQLBindable] = []
    /// How many rows `sql` returns.
    let countSQL: String
    var countArguments: [any SQLBindable] = []
    /// CSV file name inside `directory`.
    let csvName: String
    /// Where the CSV beside the pages is, when it is not `directory/csvName` (a report's own CSV).
    var csvLink: String? = nil
    /// Extra CSV columns (ids) after the visible ones.
    var csvExtraHeader: [String] = []
    let cells: (Row) throws -> [Cell]
    var csvExtra: (Row) throws -> [String] = { _ in [] }
    /// Called for every row (the search index).
    var observe: (Row) throws -> Void = { _ in }
    /// Shown below the table on every page.
    var outro: [Block] = []

    static func pagePath(_ directory: String, _ page: Int) -> String {
        page == 1 ? directory + "/index.html" : directory + "/page-\(page).html"
    }

    /// Builds every page and the CSV from the query; returns the number of rows.
    @discardableResult
    func build(in context: BuildContext) throws -> Int {
        let total = Int(try context.db.scalar(countSQL, countArguments)?.int64 ?? 0)
        var pass = 0
        return try build(in: context, total: total) { sink in
            pass += 1
            try context.forEachRow(sql, arguments) { row in
                if pass == 1 { try observe(row) }
                try sink(try cells(row), try csvExtra(row))
            }
        }
    }

    /// Builds every page from rows a closure streams (cells and extra CSV fields), `total` of them.
    ///
    /// The CSV is fingerprinted from its rows like a page. On an incremental
    /// build it is not written while the pages stream; only if its rows
    /// changed does `source` run a second time to write it, so an unchanged
    /// 100,000-row CSV costs no disk writes.
    @discardableResult
    func build(in context: BuildContext, total: Int, writesCSV: Bool = true,
               rows source: (_ sink: ([Cell], [String]) throws -> Void) throws -> Void) throws -> Int {
        let pageCount = max(1, (total + Self.pageSize - 1) / Self.pageSize)
        let csvPath = csvLink ?? directory + "/" + csvName
        let header = columns.map(\.title) + csvExtraHeader
        let previousCSV = writesCSV ? context.output.previousInputs(csvPath) : nil
        var csv = writesCSV && previousCSV == nil ? try CSVWriter(path: csvPath, output: context.output, header: header) : nil
        var csvInputs = ContentHash()
        csvInputs.add(header.count)
        for title in header { csvInputs.add(title) }
        var rows: [[Cell]] = []
        rows.reserveCapacity(Self.pageSize)
        var page = 1
        var count = 0
        try source { cells, extra in
            let record = cells.map { $0.csv(context.format) } + extra
            csvInputs.add(record.count)
            for field in record { csvInputs.add(field) }
            try csv?.write(record)
            rows.append(cells)
            count += 1
            if rows.count == Self.pageSize {
                try emit(page: page, of: pageCount, rows: rows, firstRow: count - rows.count + 1, csvPath: csvPath, in: context)
                rows.removeAll(keepingCapacity: true)
                page += 1
            }
        }
        // The last, partial page; or the only page of an empty list. A count
        // that moved under us (it cannot inside the build's read transaction)
        // would only leave fewer pages.
        if !rows.isEmpty || count == 0 {
            try emit(page: page, of: max(page, pageCount), rows: rows, firstRow: count - rows.count + 1, csvPath: csvPath, in: context)
        }
        guard writesCSV else { return count }
        if let previousCSV, previousCSV == csvInputs {
            context.output.keep(csvPath, inputs: csvInputs)
        } else {
            if csv == nil {
                let writer = try CSVWriter(path: csvPath, output: context.output, header: header)
                try source { cells, extra in try writer.write(cells.map { $0.csv(context.format) } + extra) }
                csv = writer
            }
            try csv?.finish(into: context.output, inputs: csvInputs)
        }
        return count
    }

    private func emit(page: Int, of pageCount: Int, rows: [[Cell]], firstRow: Int, csvPath: String, in context: BuildContext) throws {
        var blocks = intro
        if pageCount > 1 {
            blocks.append(.paragraph("Page \(page) of \(pageCount): rows \(firstRow) to \(firstRow + rows.count - 1), \(Self.pageSize) per page. The CSV holds every row.", tone: "page-note"))
        }
        let navigation = pageCount > 1 ? Block.links(pageLinks(page, pageCount), label: "Pages of " + title.lowercased()) : nil
        if let navigation { blocks.append(navigation) }
        blocks.append(.table(columns: columns, rows: rows, caption: nil, id: nil, empty: empty, csv: csvPath))
        if let navigation { blocks.append(navigation.relabelled("Pages of " + title.lowercased() + " (end of page)")) }
        blocks += outro
        let heading = pageCount > 1 && page > 1 ? title + " — page \(page)" : title
        try context.emit(PageModel(path: Self.pagePath(directory, page), title: heading, section: section, blocks: blocks))
    }

    /// First, previous, a window around the current page, next, last.
    private func pageLinks(_ page: Int, _ count: Int) -> [(href: String, label: String, current: Bool)] {
        var links: [(href: String, label: String, current: Bool)] = []
        if page > 1 { links.append((Self.pagePath(directory, page - 1), "← Previous", false)) }
        var numbers = Set([1, count])
        for n in max(1, page - 3)...min(count, page + 3) { numbers.insert(n) }
        for n in numbers.sorted() {
            links.append((Self.pagePath(directory, n), n == page ? "\(n) (this page)" : "\(n)", n == page))
        }
        if page < count { links.append((Self.pagePath(directory, page + 1), "Next →", false)) }
        return links
    }
}

extension Block {
    /// The same links block under another accessible name (two navs on one page need different names).
    func relabelled(_ label: String) -> Block {
        if case .links(let links, _) = self { return .links(links, label: label) }
        return self
    }
}
