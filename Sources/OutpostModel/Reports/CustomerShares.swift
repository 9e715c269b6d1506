import OutpostStore

/// The reports' figures, split by customer.
///
/// Almost every figure of the home page and the money reports is a sum over customers: MRR, invoiced
/// and credited per month, payments per month and method, receivables. A customer's **share** of a
/// figure is its named amounts (`FigureAmounts`) under a key (`FigureKey`: a month, a month and payment
/// method, …). The reseller's figure under a key is the sum of every customer's share under it.
/// Nothing is rounded per customer: where a definition rounds (revenue margins, once per month, plan,
/// price and cost group), the key is that group, the shares hold the amounts before rounding, and the
/// report rounds the sums. So shares summed in any order give exactly what one query over every row gives.
///
/// Some figures are **items** instead (`ItemKey`): one share per overdue invoice, or per subscription,
/// domain or certificate expiring soon, in the order the home page lists them.
///
/// The reseller's own purchases (`Customer.ownAccountId`) have no shares: they are not revenue, margin
/// or sales from customers, so every figure leaves them out here, once.
///
/// `CustomerShares.InMemory` sums every share in memory; the reports' `compute(in:asOf:…)` use it. A
/// site build keeps the shares and their sums in its cache, and when some customers change, takes
/// their old shares out of the sums and puts in their new ones from `shares(…, customers:)`: a payment
/// then costs a few indexed queries, not a pass over every invoice.
///
/// Shares depend on `asOf` (what is overdue, which months count): they are worked out again whole when it moves.
public enum CustomerShares {
    /// The figures, by the name the site cache stores them under. Listed in the order they are worked out.
    public enum Kind: String, CaseIterable, Sendable {
        case paying, active, invoiced, credited, payments, lines, creditLines, receivables, monthEndReceivables
        case sales, plans, newCustomers, customerEvents, mrrMovements
        case overdue, expiringSubscriptions, expiringDomains, expiringCertificates

        /// Whether each share is an item of a list (summing them only counts them).
        public var isItems: Bool {
            switch self {
            case .overdue, .expiringSubscriptions, .expiringDomains, .expiringCertificates: return true
            default: return false
            }
        }

        /// Whether its keys are months (their stored form starts with `YYYY-MM`).
        var isMonthly: Bool {
            switch self {
            case .invoiced, .credited, .payments, .lines, .creditLines, .sales, .newCustomers, .customerEvents, .mrrMovements: return true
            default: return false
            }
        }
    }

    /// One customer's share of a figure, in the stored form (what the site cache keeps).
    public struct Share: Sendable, Equatable {
        public let customer: String
        public let kind: Kind
        /// The key's stored form (`FigureKey.stored`).
        public let key: String
        /// The amounts' stored form (`FigureAmounts.stored`).
        public let amounts: [Int64]

        public init(customer: String, kind: Kind, key: String, amounts: [Int64]) {
            self.customer = customer
            self.kind = kind
            self.key = key
            self.amounts = amounts
        }
    }

    /// The sum of the shares under one key, in the stored form.
    public struct Sum: Sendable, Equatable {
        /// How many shares were summed.
        public var shares: Int
        public var amounts: [Int64]

        public init(shares: Int = 0, amounts: [Int64] = []) {
            self.shares = shares
            self.amounts = amounts
        }

        /// Adds (`sign` 1) or takes out (`sign` −1) a share's amounts; overflow is an error, never wrapped.
        public mutating func add(_ share: [Int64], sign: Int64 = 1) throws {
            shares += Int(sign)
            if amounts.count < share.count { amounts += Array(repeating: 0, count: share.count - amounts.count) }
            for (index, value) in share.enumerated() {
                let (product, overflow) = value.multipliedReportingOverflow(by: sign)
                guard !overflow else { throw ReportError.overflow("a total") }
                amounts[index] = try ReportMath.add(amounts[index], product)
            }
        }
    }

    /// Every share of `kinds` as of `asOf`, monthly figures from the first day of `since` (every month
    /// of the data when nil) through `asOf`; with `customers`, only those customers' shares.
    public static func shares(in db: Database, asOf: BusinessDate, since: ReportMonth?, customers: Set<String>? = nil,
                              kinds: [Kind] = Kind.allCases, _ body: (Share) throws -> Void) throws {
        let fromText = since?.firstDay.description ?? "0000-01-01"
        let throughText = asOf.description
        let endText = asOf.adding(days: 1).description
        let nextDay = endText
        let window: [any SQLBindable] = [asOf.description, asOf.adding(days: ResellerSummary.Attention.expiryWindowDays).description]
        let dates: [any SQLBindable] = [fromText, throughText]
        for kind in kinds {
            var arguments: [any SQLBindable] = []
            /// ` AND column IN (the customers)` when only some customers' shares are asked for, bound after `arguments`.
            func only(_ column: String) -> String {
                customers == nil ? "" : " AND \(column) IN (SELECT value FROM json_each(?\(arguments.count + 1)))"
            }
            let sql: String
            switch kind {
            case .paying:
                arguments = [nextDay]
                sql = """
                    SELECT s.customer_id AS customer, 1 AS customers
                    FROM subscription s WHERE \(RecurringRevenue.condition)\(only("s.customer_id")) GROUP BY s.customer_id
                    """
            case .active:
                arguments = [nextDay]
                sql = "SELECT id AS customer, 1 AS customers FROM customer WHERE status = 'active' AND created_at < ?1\(only("id"))"
            case .invoiced:
                arguments = dates
                sql = """
                    SELECT customer_id AS customer, substr(issue_date, 1, 7) AS month, count(*) AS count, sum(subtotal) AS subtotal, sum(total) AS total
                    FROM invoice WHERE status = 'issued' AND issue_date BETWEEN ?1 AND ?2\(only("customer_id")) GROUP BY 1, 2
                    """
            case .credited:
                arguments = dates
                sql = """
                    SELECT i.customer_id AS customer, substr(c.issue_date, 1, 7) AS month, count(*) AS count,
                           sum(c.subtotal) AS subtotal, sum(c.total) AS total
                    FROM credit_note c JOIN invoice i ON i.id = c.invoice_id
                    WHERE i.status = 'issued' AND c.issue_date BETWEEN ?1 AND ?2\(only("i.customer_id")) GROUP BY 1, 2
                    """
            case .payments:
                arguments = dates
                sql = """
                    SELECT customer_id AS customer, substr(received_on, 1, 7) AS month, method, count(*) AS count, sum(amount) AS amount
                    FROM payment WHERE status = 'completed' AND received_on BETWEEN ?1 AND ?2\(only("customer_id")) GROUP BY 1, 2, 3
                    """
            case .lines:
                arguments = dates
                sql = """
                    SELECT i.customer_id AS customer, \(lineGroup("i.issue_date")), sum(l.amount) AS amount
                    FROM invoice i JOIN invoice_line l ON l.invoice_id = i.id
                    LEFT JOIN subscription s ON s.id = l.subscription_id
                    WHERE i.status = 'issued' AND i.issue_date BETWEEN ?1 AND ?2\(only("i.customer_id")) GROUP BY 1, 2, 3, 4, 5
                    """
            case .creditLines:
                // A credit note is spread over its invoice's lines in proportion to their amounts, rounded per line.
                arguments = dates
                let share = ReportSQL.roundedDivision("c.subtotal * l.amount", "i.subtotal")
                sql = """
                    SELECT i.customer_id AS customer, \(lineGroup("c.issue_date")),
                           sum(CASE WHEN l.amount = i.subtotal THEN c.subtotal ELSE \(share) END) AS amount
                    FROM credit_note c JOIN invoice i ON i.id = c.invoice_id
                    JOIN invoice_line l ON l.invoice_id = i.id
                    LEFT JOIN subscription s ON s.id = l.subscription_id
                    WHERE i.status = 'issued' AND i.subtotal > 0 AND c.issue_date BETWEEN ?1 AND ?2\(only("i.customer_id")) GROUP BY 1, 2, 3, 4, 5
                    """
            case .sales:
                // `+status`: nearly every order qualifies, so scan rather than walk `orders_by_status`.
                arguments = [fromText, endText]
                sql = """
                    SELECT customer_id AS customer, substr(placed_at, 1, 7) AS month, type, count(*) AS count, sum(total) AS amount
                    FROM orders
                    WHERE +status IN ('queued', 'submitted', 'provisioning', 'completed') AND placed_at >= ?1 AND placed_at < ?2\(only("customer_id"))
                    GROUP BY 1, 2, 3
                    """
            case .plans:
                func window(_ name: String, _ days: String, renewing: Bool) -> String {
                    let rule = renewing ? "s.auto_renew = 1 AND s.cancel_at_period_end = 0" : "(s.auto_renew = 0 OR s.cancel_at_period_end = 1)"
                    return "sum(CASE WHEN s.period_end BETWEEN ?2 AND \(days) AND \(rule) THEN 1 ELSE 0 END) AS \(name)"
                }
                let windows = [false, true].flatMap { renewing in
                    [("30", "?3"), ("60", "?4"), ("90", "?5")].map { window((renewing ? "renewing" : "expiring") + $0, $1, renewing: renewing) }
                }.joined(separator: ",\n")
                arguments = [nextDay, asOf.description, asOf.adding(days: 30).description, asOf.adding(days: 60).description,
                             asOf.adding(days: 90).description]
                sql = """
                    SELECT s.customer_id AS customer, s.plan_id AS plan, \(RecurringRevenue.columns), \(windows)
                    FROM subscription s JOIN plan p ON p.id = s.plan_id
                    WHERE \(RecurringRevenue.condition)\(only("s.customer_id"))
                    GROUP BY 1, 2
                    """
            case .newCustomers:
                arguments = [fromText, endText]
                sql = """
                    SELECT id AS customer, substr(created_at, 1, 7) AS month, 1 AS customers FROM customer
                    WHERE created_at >= ?1 AND created_at < ?2\(only("id"))
                    """
            case .customerEvents:
                try customerEvents(in: db, asOf: asOf, since: since, customers: customers, body)
                continue
            case .mrrMovements:
                // `+o.status`: a scan of all orders beats walking `orders_by_status` for the bulk of them.
                arguments = [fromText, endText]
                let monthlyAmount = ReportSQL.monthly("l.quantity * l.unit_price", periodColumn: "p.billing_period")
                func moved(_ name: String, _ condition: String) -> String {
                    "sum(CASE WHEN \(condition) THEN \(monthlyAmount) ELSE 0 END) AS \(name)"
                }
                sql = """
                    SELECT o.customer_id AS customer, substr(o.placed_at, 1, 7) AS month,
                           \(moved("new_mrr", "o.type IN ('sales', 'transfer')")),
                           \(moved("expansion_mrr", "o.type = 'change' AND l.quantity > 0")),
                           \(moved("contraction_mrr", "o.type = 'change' AND l.quantity <= 0")),
                           \(moved("churn_mrr", "o.type = 'cancellation'"))
                    FROM orders o JOIN order_line l ON l.order_id = o.id JOIN plan p ON p.id = l.plan_id
                    WHERE +o.status = 'completed' AND o.type IN ('sales', 'transfer', 'change', 'cancellation')
                      AND o.placed_at >= ?1 AND o.placed_at < ?2\(only("o.customer_id"))
                    GROUP BY 1, 2
                    """
            case .receivables:
                arguments = AgingBuckets.arguments(asOf: asOf)
                sql = """
                    WITH open AS (\(ReportSQL.openInvoices)\(only("i.customer_id")))
                    SELECT customer_id AS customer, \(AgingBuckets.sumColumns), count(*) AS open_invoices, 1 AS customers_owing
                    FROM open WHERE outstanding > 0 GROUP BY customer_id
                    """
            case .monthEndReceivables:
                arguments = [ReportMonth(asOf).firstDay.adding(days: -1).description]
                sql = """
                    WITH open AS (\(ReportSQL.openInvoices)\(only("i.customer_id")))
                    SELECT customer_id AS customer, sum(outstanding) AS outstanding,
                           sum(CASE WHEN due_date < ?1 THEN outstanding ELSE 0 END) AS overdue
                    FROM open WHERE outstanding > 0 GROUP BY customer_id
                    """
            case .overdue:
                arguments = [asOf.description]
                sql = """
                    WITH open AS (\(ReportSQL.openInvoices)\(only("i.customer_id")))
                    SELECT customer_id AS customer, due_date AS date, '' AS name, id
                    FROM open WHERE outstanding > 0 AND due_date < ?1
                    """
            case .expiringSubscriptions:
                arguments = window
                sql = """
                    SELECT x.customer_id AS customer, x.period_end AS date, '' AS name, x.id AS id
                    FROM \(Expiring.subscriptions.from) WHERE \(Expiring.subscriptions.condition)\(only("x.customer_id"))
                    """
            case .expiringDomains:
                arguments = window
                sql = """
                    SELECT x.customer_id AS customer, x.expires_on AS date, x.name AS name, x.id AS id
                    FROM \(Expiring.domains.from) WHERE \(Expiring.domains.condition)\(only("x.customer_id"))
                    """
            case .expiringCertificates:
                arguments = window
                sql = """
                    SELECT x.customer_id AS customer, x.expires_on AS date, '' AS name, x.id AS id
                    FROM \(Expiring.certificates.from) WHERE \(Expiring.certificates.condition)\(only("x.customer_id"))
                    """
            }
            if let customers { arguments.append(SQLValue.jsonArray(customers)) }
            let read = reader(kind)
            try db.forEachRow(sql, arguments) { row in
                let customer = try row.string("customer")
                // The reseller's own purchases are no customer's: they add to no figure.
                guard customer != Customer.ownAccountId else { return }
                let (key, amounts) = try read(row)
                try body(Share(customer: customer, kind: kind, key: key, amounts: amounts))
            }
        }
    }

    /// How a row of `kind` becomes a share's stored key and amounts: through the figure's own types.
    private static func reader(_ kind: Kind) -> (Row) throws -> (String, [Int64]) {
        func read<K, A>(_ figure: Figure<K, A>) -> (Row) throws -> (String, [Int64]) {
            { row in (try K(row: row).stored, try A(row: row).stored) }
        }
        switch kind {
        case .paying: return read(Figures.paying)
        case .active: return read(Figures.active)
        case .invoiced: return read(Figures.invoiced)
        case .credited: return read(Figures.credited)
        case .payments: return read(Figures.payments)
        case .lines: return read(Figures.lines)
        case .creditLines: return read(Figures.creditLines)
        case .receivables: return read(Figures.receivables)
        case .monthEndReceivables: return read(Figures.monthEndReceivables)
        case .sales: return read(Figures.sales)
        case .plans: return read(Figures.plans)
        case .newCustomers: return read(Figures.newCustomers)
        case .customerEvents: return read(Figures.customerEvents)
        case .mrrMovements: return read(Figures.mrrMovements)
        case .overdue: return read(Figures.overdue)
        case .expiringSubscriptions: return read(Figures.expiringSubscriptions)
        case .expiringDomains: return read(Figures.expiringDomains)
        case .expiringCertificates: return read(Figures.expiringCertificates)
        }
    }

    /// Each customer's churn and reactivation months (`CustomerDynamicsReport`), from its subscriptions' lifetimes.
    private static func customerEvents(in db: Database, asOf: BusinessDate, since: ReportMonth?, customers: Set<String>?,
                                       _ body: (Share) throws -> Void) throws {
        let last = ReportMonth(asOf)
        var customer: String?
        var closedOn: BusinessDate?
        var lives: [SubscriptionLife] = []
        func flush() throws {
            guard let customer, customer != Customer.ownAccountId else { return }
            let (churns, returns) = SubscriptionLife.events(lives, closedOn: closedOn, asOf: asOf)
            func counted(_ month: ReportMonth) -> Bool { month <= last && since.map { month >= $0 } ?? true }
            let churned = Set(churns.map(ReportMonth.init)).filter(counted)
            let reactivated = Set(returns.map(ReportMonth.init)).filter(counted)
            for month in churned.union(reactivated).sorted() {
                var events = CustomerEvents()
                events.churned = churned.contains(month) ? 1 : 0
                events.reactivated = reactivated.contains(month) ? 1 : 0
                try body(Share(customer: customer, kind: .customerEvents, key: month.stored, amounts: events.stored))
            }
            lives.removeAll(keepingCapacity: true)
        }
        // One customer at a time (ordered by customer), so memory stays one customer's worth: its subscriptions,
        // and one row without any for a closed customer that never had one. The unary `+`
        // keeps SQLite from reaching the orders through `orders_by_status` (most orders are completed)
        // instead of `orders_by_subscription`: a `+` term cannot use an index (sqlite.org/optoverview.html).
        let subscriptionScope = customers == nil ? "" : " AND s.customer_id IN (SELECT value FROM json_each(?2))"
        let closedScope = customers == nil ? "" : " AND c.id IN (SELECT value FROM json_each(?2))"
        try db.forEachRow("""
            SELECT s.customer_id AS customer_id, substr(s.created_at, 1, 10) AS started_on,
                   CASE WHEN s.status IN ('cancelled', 'expired') THEN coalesce(
                       (SELECT min(substr(o.placed_at, 1, 10)) FROM orders o
                        WHERE o.subscription_id = s.id AND +o.type = 'cancellation' AND +o.cancel_mode = 'now' AND +o.status = 'completed'),
                       s.period_end) END AS ended_on,
                   (SELECT substr(c.closed_at, 1, 10) FROM customer c WHERE c.id = s.customer_id) AS closed_on
            FROM subscription s
            WHERE s.created_at < ?1\(subscriptionScope)
            UNION ALL
            SELECT c.id, NULL, NULL, substr(c.closed_at, 1, 10) FROM customer c
            WHERE c.closed_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM subscription s WHERE s.customer_id = c.id AND s.created_at < ?1)\(closedScope)
            ORDER BY 1
            """, [asOf.adding(days: 1).description] + (customers.map { [SQLValue.jsonArray($0)] } ?? [])) { row in
            let id = try row.string("customer_id")
            if id != customer {
                try flush()
                customer = id
                closedOn = try row.optionalString("closed_on").flatMap(BusinessDate.init)
            }
            guard let started = try row.optionalString("started_on"), let start = BusinessDate(started) else { return }
            lives.append(SubscriptionLife(start: start, end: try row.optionalString("ended_on").flatMap(BusinessDate.init)))
        }
        try flush()
    }

    /// The `month`, `plan`, `price` and `cost` columns of an invoice line (`l`) and its subscription (`s`), dated by `date`.
    private static func lineGroup(_ date: String) -> String {
        "substr(\(date), 1, 7) AS month, s.plan_id AS plan, s.unit_price AS price, s.unit_cost AS cost"
    }

    /// The months the figures cover: from `since` (or the first month any monthly figure has a sum in,
    /// and at least 12 months back) through `asOf`'s month.
    public static func coveredMonths(asOf: BusinessDate, since: ReportMonth?, sums: [Kind: [String: Sum]]) -> [ReportMonth] {
        let last = ReportMonth(asOf)
        var first = since ?? last.adding(months: -11)
        if since == nil {
            for (kind, byKey) in sums where kind.isMonthly {
                for key in byKey.keys {
                    if let month = ReportMonth(stored: String(key.prefix(7))), month < first { first = month }
                }
            }
        }
        let count = (last.year - first.year) * 12 + last.month - first.month + 1
        return ReportMonth.range(endingWith: last, count: max(1, count))
    }

    /// What the home page lists as ending soon and not renewing: `x` is the subscription, domain or
    /// certificate; `?1` … `?2` the window.
    enum Expiring {
        /// The table(s) and the condition.
        typealias Source = (from: String, condition: String)

        /// Subscriptions of subscription and license plans (domains and certificates are listed as such).
        static let subscriptions: Source = (
            "subscription x JOIN plan p ON p.id = x.plan_id",
            """
            x.status = 'active' AND p.kind IN ('subscription', 'license') AND x.period_end BETWEEN ?1 AND ?2
            AND (x.auto_renew = 0 OR x.cancel_at_period_end = 1)
            """)
        /// A domain renews when it and its subscription (if any) are set to renew.
        static let domains: Source = (
            "domain x LEFT JOIN subscription s ON s.id = x.subscription_id",
            """
            x.status = 'active' AND x.expires_on BETWEEN ?1 AND ?2
            AND (x.auto_renew = 0 OR coalesce(s.auto_renew, 1) = 0 OR coalesce(s.cancel_at_period_end, 0) = 1)
            """)
        /// A certificate renews when its subscription is active, set to auto-renew and not cancelled at period end.
        static let certificates: Source = (
            "ssl_certificate x LEFT JOIN subscription s ON s.id = x.subscription_id",
            """
            x.status = 'issued' AND x.expires_on BETWEEN ?1 AND ?2
            AND NOT (coalesce(s.status, '') = 'active' AND coalesce(s.auto_renew, 0) = 1 AND coalesce(s.cancel_at_period_end, 1) = 0)
            """)
    }

    /// Every share summed in memory: what a report computed on its own uses.
    public final class InMemory: FigureTotals {
        public let asOf: BusinessDate
        public let months: [ReportMonth]
        private let sums: [Kind: [String: Sum]]
        private let items: [Kind: [String]]

        /// The sums of `kinds` over the `months` months ending with `asOf`'s (every month of the data when
        /// nil); a report asks for the kinds it shows, the others stay empty.
        public init(in db: Database, asOf: BusinessDate, months: Int?, kinds: [Kind] = Kind.allCases) throws {
            self.asOf = asOf
            let since = months.map { ReportMonth(asOf).adding(months: -(max(1, $0) - 1)) }
            var sums: [Kind: [String: Sum]] = [:]
            var items: [Kind: [String]] = [:]
            try CustomerShares.shares(in: db, asOf: asOf, since: since, kinds: kinds) { share in
                if share.kind.isItems {
                    items[share.kind, default: []].append(share.key)
                } else {
                    try sums[share.kind, default: [:]][share.key, default: Sum()].add(share.amounts)
                }
            }
            for kind in items.keys { items[kind]!.sort() }
            self.sums = sums
            self.items = items
            self.months = CustomerShares.coveredMonths(asOf: asOf, since: since, sums: sums)
        }

        public func storedSums(_ kind: Kind) -> [String: Sum] { sums[kind] ?? [:] }

        public func storedItems(_ kind: Kind, first limit: Int) -> (count: Int, keys: [String]) {
            let all = items[kind] ?? []
            return (all.count, Array(all.prefix(max(0, limit))))
        }
    }
}

/// A figure: its stored name, the type of its keys and the type of its amounts.
public struct Figure<Key: FigureKey, Amounts: FigureAmounts>: Sendable {
    public let kind: CustomerShares.Kind
}

/// Every figure the home page and the reports add up, typed.
public enum Figures {
    /// 1 for a paying customer (one with an active subscription). Its MRR is in `plans`.
    public static let paying = Figure<NoKey, CustomerCount>(kind: .paying)
    /// 1 for an active customer (status `active`, created on or before `asOf`).
    public static let active = Figure<NoKey, CustomerCount>(kind: .active)
    /// Issued invoices by issue month.
    public static let invoiced = Figure<ReportMonth, InvoiceAmounts>(kind: .invoiced)
    /// Credit notes on issued invoices, by the credit note's month.
    public static let credited = Figure<ReportMonth, InvoiceAmounts>(kind: .credited)
    /// Completed payments by month received and method.
    public static let payments = Figure<PaymentKey, Tally>(kind: .payments)
    /// Invoice line amounts by month, plan, price and cost.
    public static let lines = Figure<LineKey, LineAmount>(kind: .lines)
    /// Credit notes spread over their invoice's lines, keyed as `lines`.
    public static let creditLines = Figure<LineKey, LineAmount>(kind: .creditLines)
    /// Receivables by days past due, open invoices, customers owing.
    public static let receivables = Figure<NoKey, ReceivableAmounts>(kind: .receivables)
    /// Receivables on the last day of the month before `asOf`'s.
    public static let monthEndReceivables = Figure<NoKey, MonthEndReceivables>(kind: .monthEndReceivables)
    /// Orders placed and not refused (`SalesReport`), by month and type.
    public static let sales = Figure<SalesKey, Tally>(kind: .sales)
    /// Active subscriptions' MRR and expiry windows, by plan (`SubscriptionsReport`).
    public static let plans = Figure<PlanKey, PlanAmounts>(kind: .plans)
    /// 1 in the month the customer was created.
    public static let newCustomers = Figure<ReportMonth, CustomerCount>(kind: .newCustomers)
    /// Churn and reactivation by month (`CustomerDynamicsReport`).
    public static let customerEvents = Figure<ReportMonth, CustomerEvents>(kind: .customerEvents)
    /// MRR moved by completed orders, by month.
    public static let mrrMovements = Figure<ReportMonth, MRRMovements>(kind: .mrrMovements)
    /// Items: overdue invoices, by due date.
    public static let overdue = Figure<ItemKey, NoAmounts>(kind: .overdue)
    /// Items: active subscriptions ending within 30 days that do not renew.
    public static let expiringSubscriptions = Figure<ItemKey, NoAmounts>(kind: .expiringSubscriptions)
    /// Items: active domains expiring within 30 days that do not renew.
    public static let expiringDomains = Figure<ItemKey, NoAmounts>(kind: .expiringDomains)
    /// Items: issued certificates expiring within 30 days that do not renew.
    public static let expiringCertificates = Figure<ItemKey, NoAmounts>(kind: .expiringCertificates)
}

/// The sums of customers' shares, wherever they are kept (in memory, or the site's cache).
public protocol FigureTotals {
    /// The business date the shares are as of.
    var asOf: BusinessDate { get }
    /// The months the monthly figures cover, oldest first (ending with `asOf`'s).
    var months: [ReportMonth] { get }
    /// A figure's sums in their stored form, by stored key (keys without shares are absent).
    func storedSums(_ kind: CustomerShares.Kind) throws -> [String: CustomerShares.Sum]
    /// An item figure's first `limit` stored keys in order, and how many items it has.
    func storedItems(_ kind: CustomerShares.Kind, first limit: Int) throws -> (count: Int, keys: [String])
}

extension FigureTotals {
    /// A figure's sums by key; a stored form that does not read back is an error.
    public func sums<K, A>(_ figure: Figure<K, A>) throws -> [K: A] {
        var result: [K: A] = [:]
        for (text, sum) in try storedSums(figure.kind) {
            guard let key = K(stored: text), let amounts = A(stored: sum.amounts) else {
                throw ReportError(message: "the site cache holds a \(figure.kind.rawValue) figure it cannot read (\(text)); rebuild the site with --full")
            }
            result[key] = amounts
        }
        return result
    }

    /// A figure with one sum for the whole reseller (zero when nothing adds to it).
    public func total<A>(_ figure: Figure<NoKey, A>) throws -> A {
        try sums(figure)[NoKey()] ?? A()
    }

    /// An item figure's first `limit` items, in order, and how many there are.
    public func items(_ figure: Figure<ItemKey, NoAmounts>, first limit: Int) throws -> (count: Int, keys: [ItemKey]) {
        let found = try storedItems(figure.kind, first: limit)
        let keys = try found.keys.map { text in
            guard let key = ItemKey(stored: text) else {
                throw ReportError(message: "the site cache holds a \(figure.kind.rawValue) item it cannot read (\(text)); rebuild the site with --full")
            }
            return key
        }
        return (found.count, keys)
    }

    /// The last `count` months of the figures' period.
    func months(_ count: Int) -> [ReportMonth] { Array(months.suffix(count)) }
}

extension Dictionary where Value: FigureAmounts {
    /// The amounts summed under new keys (`nil`: left out).
    public func regrouped<New: Hashable>(_ newKey: (Key) -> New?) throws -> [New: Value] {
        var result: [New: Value] = [:]
        for (key, amounts) in self {
            guard let new = newKey(key) else { continue }
            try result[new, default: Value()].add(amounts)
        }
        return result
    }
}
