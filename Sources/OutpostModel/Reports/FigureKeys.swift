import OutpostStore

/// What a figure's amounts are summed under (a month, a month and payment method, …), read from a
/// share's row by column name.
///
/// The site cache keeps a key as one text (`stored`); that form is written and read here only. Every
/// monthly key's stored text starts with its month (`YYYY-MM`), and an item's sorts as the item does.
public protocol FigureKey: Hashable, Sendable {
    init(row: Row) throws
    /// The stored form.
    var stored: String { get }
    /// A key from its stored form; `nil` when it is not one.
    init?(stored: String)
}

/// The stored key fields are separated by a tab, which sorts before every printable character.
private let tab: Character = "\t"

/// The key of a figure with one sum for the whole reseller (paying customers, receivables).
public struct NoKey: FigureKey {
    public init() {}
    public init(row: Row) throws {}
    public var stored: String { "" }
    public init?(stored: String) { guard stored.isEmpty else { return nil } }
}

extension ReportMonth: FigureKey {
    /// The `month` column (`YYYY-MM`).
    public init(row: Row) throws {
        let text = try row.string("month")
        guard let month = ReportMonth(stored: text) else { throw RowDecodingError(column: "month", expected: "YYYY-MM", found: .text(text)) }
        self = month
    }

    public var stored: String { description }

    public init?(stored: String) {
        guard stored.utf8.count == 7, let month = ReportMonth(stored) else { return nil }
        self = month
    }
}

/// Payments of a month by one method.
public struct PaymentKey: FigureKey {
    public let month: ReportMonth
    public let method: Payment.Method

    public init(month: ReportMonth, method: Payment.Method) {
        self.month = month
        self.method = method
    }

    /// The `month` and `method` columns.
    public init(row: Row) throws {
        month = try ReportMonth(row: row)
        let text = try row.string("method")
        guard let method = Payment.Method(rawValue: text) else { throw RowDecodingError(column: "method", expected: "a payment method", found: .text(text)) }
        self.method = method
    }

    public var stored: String { month.stored + String(tab) + method.rawValue }

    public init?(stored: String) {
        let fields = stored.split(separator: tab, omittingEmptySubsequences: false)
        guard fields.count == 2, let month = ReportMonth(stored: String(fields[0])), let method = Payment.Method(rawValue: String(fields[1])) else { return nil }
        self.init(month: month, method: method)
    }
}

/// Orders of a month of one type.
public struct SalesKey: FigureKey {
    public let month: ReportMonth
    public let type: Order.OrderType

    public init(month: ReportMonth, type: Order.OrderType) {
        self.month = month
        self.type = type
    }

    /// The `month` and `type` columns.
    public init(row: Row) throws {
        month = try ReportMonth(row: row)
        let text = try row.string("type")
        guard let type = Order.OrderType(rawValue: text) else { throw RowDecodingError(column: "type", expected: "an order type", found: .text(text)) }
        self.type = type
    }

    public var stored: String { month.stored + String(tab) + type.rawValue }

    public init?(stored: String) {
        let fields = stored.split(separator: tab, omittingEmptySubsequences: false)
        guard fields.count == 2, let month = ReportMonth(stored: String(fields[0])), let type = Order.OrderType(rawValue: String(fields[1])) else { return nil }
        self.init(month: month, type: type)
    }
}

/// Invoice lines of a month sold under one plan at one price and cost: the group a margin is rounded
/// over (`RevenueReport`). Lines of no subscription have no plan, price or cost.
public struct LineKey: FigureKey {
    public let month: ReportMonth
    public let plan: String?
    public let price: Int64?
    public let cost: Int64?

    /// The `month`, `plan`, `price` and `cost` columns (the last three NULL for a line of no subscription).
    public init(row: Row) throws {
        month = try ReportMonth(row: row)
        plan = try row.optionalString("plan")
        price = try row.optionalInt64("price")
        cost = try row.optionalInt64("cost")
    }

    public var stored: String {
        [month.stored, plan ?? "", price.map(String.init) ?? "", cost.map(String.init) ?? ""].joined(separator: String(tab))
    }

    public init?(stored: String) {
        let fields = stored.split(separator: tab, omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 4, let month = ReportMonth(stored: fields[0]) else { return nil }
        self.month = month
        plan = fields[1].isEmpty ? nil : fields[1]
        price = fields[2].isEmpty ? nil : Int64(fields[2])
        cost = fields[3].isEmpty ? nil : Int64(fields[3])
    }
}

/// One service plan.
public struct PlanKey: FigureKey {
    public let plan: String

    /// The `plan` column.
    public init(row: Row) throws { plan = try row.string("plan") }
    public var stored: String { plan }
    public init?(stored: String) { plan = stored }
}

/// An item of a home-page list: an overdue invoice (by due date), or a subscription, domain or
/// certificate ending soon; listed by date, then name, then id.
public struct ItemKey: FigureKey, Comparable {
    public let date: BusinessDate
    /// The domain name (lists ordered by it after the date); empty otherwise.
    public let name: String
    public let id: String

    /// The `date`, `name` and `id` columns.
    public init(row: Row) throws {
        let text = try row.string("date")
        guard let date = BusinessDate(text) else { throw RowDecodingError(column: "date", expected: "YYYY-MM-DD", found: .text(text)) }
        self.date = date
        name = try row.string("name")
        id = try row.string("id")
    }

    /// Date, name and id between tabs: sorted as text, stored keys come in the items' order.
    public var stored: String { date.description + String(tab) + name + String(tab) + id }

    public init?(stored: String) {
        let fields = stored.split(separator: tab, omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 3, let date = BusinessDate(fields[0]) else { return nil }
        self.date = date
        name = fields[1]
        id = fields[2]
    }

    public static func < (a: ItemKey, b: ItemKey) -> Bool { (a.date, a.name, a.id) < (b.date, b.name, b.id) }
}
