import OutpostStore

/// Outstanding receivables split by how long they are past due.
///
/// Days past due = `asOf − due_date`: 0 or less is `current` (not yet due, or
/// due today), then 1–30, 31–60, 61–90, and 91 or more (`over90`).
public struct AgingBuckets: Sendable, Equatable, Codable {
    /// Not yet past due (days past due ≤ 0).
    public var current: Int64 = 0
    /// 1–30 days past due.
    public var days1to30: Int64 = 0
    /// 31–60 days past due.
    public var days31to60: Int64 = 0
    /// 61–90 days past due.
    public var days61to90: Int64 = 0
    /// 91 days or more past due.
    public var over90: Int64 = 0

    public init() {}

    public init(current: Int64, days1to30: Int64, days31to60: Int64, days61to90: Int64, over90: Int64) {
        self.current = current
        self.days1to30 = days1to30
        self.days31to60 = days31to60
        self.days61to90 = days61to90
        self.over90 = over90
    }

    /// Everything outstanding.
    public var total: Int64 { current + days1to30 + days31to60 + days61to90 + over90 }

    /// Everything past due (days past due ≥ 1).
    public var overdue: Int64 { days1to30 + days31to60 + days61to90 + over90 }

    /// The five amounts in display order, with their labels (`Current`, `1–30 days`, …).
    public var labelled: [(label: String, amount: Int64)] {
        zip(Self.labels, [current, days1to30, days31to60, days61to90, over90]).map { ($0, $1) }
    }

    /// Bucket labels in display order.
    public static let labels = ["Current", "1–30 days", "31–60 days", "61–90 days", "90+ days"]

    /// The bucket name of `daysPastDue`, one of `labels`.
    public static func label(daysPastDue: Int) -> String {
        switch daysPastDue {
        case ...0: return labels[0]
        case 1...30: return labels[1]
        case 31...60: return labels[2]
        case 61...90: return labels[3]
        default: return labels[4]
        }
    }

    /// SQL: the five conditional sums over `outstanding` by `due_date`, given
    /// parameters ?1 = asOf, ?2 = asOf − 30, ?3 = asOf − 60, ?4 = asOf − 90
    /// (dates as `YYYY-MM-DD` text compare in calendar order).
    static let sumColumns = """
        sum(CASE WHEN due_date >= ?1 THEN outstanding ELSE 0 END) AS current,
        sum(CASE WHEN due_date < ?1 AND due_date >= ?2 THEN outstanding ELSE 0 END) AS days1to30,
        sum(CASE WHEN due_date < ?2 AND due_date >= ?3 THEN outstanding ELSE 0 END) AS days31to60,
        sum(CASE WHEN due_date < ?3 AND due_date >= ?4 THEN outstanding ELSE 0 END) AS days61to90,
        sum(CASE WHEN due_date < ?4 THEN outstanding ELSE 0 END) AS over90
        """

    /// The bound parameters `sumColumns` expects.
    static func arguments(asOf: BusinessDate) -> [any SQLBindable] {
        [asOf.description, asOf.adding(days: -30).description, asOf.adding(days: -60).description, asOf.adding(days: -90).description]
    }

    init(row: Row) throws {
        current = try ReportSQL.integer(row, "current")
        days1to30 = try ReportSQL.integer(row, "days1to30")
        days31to60 = try ReportSQL.integer(row, "days31to60")
        days61to90 = try ReportSQL.integer(row, "days61to90")
        over90 = try ReportSQL.integer(row, "over90")
    }
}
