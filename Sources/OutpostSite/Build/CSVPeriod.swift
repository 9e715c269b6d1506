/// How a long list's CSV is cut into one file per day.
///
/// A row belongs to the day of a date it is born with and keeps (an invoice's
/// issue date, a payment's received date, when an order was placed or a
/// customer added), so a new or changed row rewrites its own day's file and
/// nothing else. At 100,000 fixture customers a day holds about 1,000 invoices
/// (150 kB of CSV; a month would hold 30,000, 4.5 MB), so a sync recording 10
/// payments against invoices of 10 different days writes about 1.5 MB of CSV
/// where the whole invoices and payments CSVs, 200 MB, were copied before.
/// The files of a list are listed, with their rows and sizes, on one page
/// (`SitePath.csvIndex`).
struct CSVPeriod: Sendable {
    /// A column of the list's `select` (its name in the result): the date or timestamp whose first ten
    /// characters (`2026-11-24`) name the row's file. It must not change once the row exists: a row whose
    /// date moved would stay in its old day's file as well until the next full build.
    let column: String
    /// The ORDER BY inside a day, over the select's result columns: by number where rows have one.
    let order: String

    /// The file of rows whose date is missing or not a date.
    static let undated = "undated"

    /// The SQL giving a result row's period: its day, or `undated`. The GLOB admits only digits and dashes,
    /// so a period is always a safe file name.
    var sql: String {
        "CASE WHEN r.\(column) GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*' THEN substr(r.\(column), 1, 10) ELSE '\(CSVPeriod.undated)' END"
    }

    /// Whether `period` is one `sql` can give (a day, or `undated`): anything else names no file.
    static func isPeriod(_ period: String) -> Bool {
        if period == undated { return true }
        let bytes = Array(period.utf8)
        guard bytes.count == 10 else { return false }
        return bytes.enumerated().allSatisfy { index, byte in
            index == 4 || index == 7 ? byte == UInt8(ascii: "-") : (48...57).contains(byte)
        }
    }
}
