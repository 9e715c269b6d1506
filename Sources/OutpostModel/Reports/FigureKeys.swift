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

/// What a tally report (`TallyReport`) counts besides the month: an order's type, a payment's method.
public protocol TallyCategory: CaseIterable, Hashable, Sendable, RawRepresentable where RawValue == String, AllCases == [Self] {
    /// The column a figure's row holds it in (`type`, `method`).
    static var column: String { get }
    /// What it is, for people: `an order type`, `a payment method`.
    static var noun: String { get }
    /// Its column's title in a report (`Order type`, `Method`), and the title of the count of things (`Orders`, `Payments`).
    static var title: String { get }
    static var countTitle: String { get }
    /// The figure that counts things of a month under it (`Figures.sales`, `Figures.payments`).
    static var figure: Figure<CategoryKey<Self>, Tally> { get }
}

/// Things of a month under one category: orders of one type (`SalesKey`), payments by one method (`PaymentKey`).
public struct CategoryKey<Category: TallyCategory>: FigureKey {
    public let month: ReportMonth
    public let category: Category

    public init(month: ReportMonth, category: Category) {
        self.month = month
        self.category = category
    }

    /// The `month` column and the category's (`Category.column`).
    public init(row: Row) throws {
        month = try ReportMonth(row: row)
        let text = try row.string(Category.column)
        guard let category = Category(rawValue: text) else { throw RowDecodingError(column: Category.column, expected: Category.noun, found: .text(text)) }
        self.category = category
    }

    public var stored: String { month.stored + String(tab) + category.rawValue }

    public init?(stored: String) {
        let fields = stored.split(separator: tab, omittingEmptySubsequences: false)
        guard fields.count == 2, let month = ReportMonth(stored: String(fields[0])), let category = Category(rawValue: String(fields[1])) else { return nil }
        self.init(month: month, category: category)
    }
}

/// Completed payments of a month by one method.
public typealias PaymentKey = CategoryKey<Payment.Method>
/// Orders of a month of one type.
public typealias SalesKey = CategoryKey<Order.OrderType>

extension Payment.Method: TallyCategory {
    public static let column = "method"
    public static let noun = "a payment method"
    public static let title = "Method"
    public static let countTitle = "Payments"
    public static var figure: Figure<PaymentKey, Tally> { Figures.payments }
}

extension Order.OrderType: TallyCategory {
    public static let column = "type"
    public static let noun = "an order type"
    public static let title = "Order type"
    public static let countTitle = "Orders"
    public static var figure: Figure<SalesKey, Tally> { Figures.sales }
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
