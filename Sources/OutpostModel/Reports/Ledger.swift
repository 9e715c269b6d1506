import OutpostStore

/// The reports' figures, split by customer.
///
/// Almost every figure of the home page and the money reports is a sum over
/// customers: MRR, invoiced and credited per month, payments per month and
/// method, receivables per bucket. A customer's share of a figure is a
/// **part**: a few integers under a key (a month, a month and payment
/// method, …). The reseller's figure under a key is the sum of every
/// customer's part under it. Nothing is rounded per customer: where a
/// definition rounds (revenue margins, once per month, plan, price and cost
/// group), the key is that group, the parts hold the amounts before
/// rounding, and the report rounds the sums. So parts summed in any order
/// give exactly what one query over every row gives.
///
/// Some figures are **items** instead: one part per overdue invoice, or per
/// subscription, domain or certificate expiring soon, keyed so that key
/// order is the order the home page lists them in.
///
/// The reseller's own purchases (`Customer.ownAccountId`) have no parts: they are
/// not revenue, margin or sales from customers, so every figure leaves them out here, once.
///
/// `Ledger.Memory` sums every part in memory; the reports' `compute(in:asOf:…)`
/// use it. A site build keeps the parts and their sums beside the site, and
/// when some customers change, takes their old parts out of the sums and puts
/// in their new ones from `parts(…, customers:)`: a payment then costs a few
/// indexed queries, not a pass over every invoice.
///
/// Parts depend on `asOf` (what is overdue, which months count): they are
/// worked out again whole when it moves.
public enum Ledger {
    /// What a part adds to. Values are listed in order.
    public enum Figure: String, CaseIterable, Sendable {
        /// Key `""`: 1 for a paying customer (one with an active subscription). Its MRR is in `plans`.
        case paying
        /// Key `""`: 1 for an active customer (status `active`, created on or before `asOf`).
        case active
        /// Key `YYYY-MM`: subtotals and totals of issued invoices by issue date.
        case invoiced
        /// Key `YYYY-MM`: subtotals and totals of credit notes on issued invoices, by the credit note's date.
        case credited
        /// Key `YYYY-MM method`: completed payments by date received and method: how many, and their amount.
        case payments
        /// Key `YYYY-MM⇥plan⇥price⇥cost` (empty plan, price and cost: no subscription): invoice line amounts.
        case lines
        /// Key as `lines`: credit notes spread over their invoice's lines.
        case creditLines
        /// Key `""`: receivables current, 1–30, 31–60, 61–90 and 90+ days past due, open invoices, and 1:
        /// the customer owes something (overdue invoices are counted as `overdue` items).
        case receivables
        /// Key `YYYY-MM type`: orders placed and not refused (`SalesReport`): how many, and their total.
        case sales
        /// Key plan id: the plan's `RecurringRevenue` values, then active subscriptions expiring within 30, 60
        /// and 90 days, then renewing within them (`SubscriptionsReport`).
        case plans
        /// Key `YYYY-MM`: 1 in the month the customer was created.
        case newCustomers
        /// Key `YYYY-MM`: 1 when the customer churned in the month, 1 when it was reactivated (`CustomerDynamicsReport`).
        case customerEvents
        /// Key `YYYY-MM movement` (new, expansion, contraction, churn): MRR moved by completed orders.
        case mrrMovements
        /// Items, key `due date⇥invoice id`: an overdue invoice's outstanding amount.
        case overdue
        /// Items, key `period end⇥id`: an active subscription ending within 30 days that does not renew.
        case expiringSubscriptions
        /// Items, key `expires on⇥name⇥id`: an active domain expiring within 30 days that does not renew.
        case expiringDomains
        /// Items, key `expires on⇥id`: an issued certificate expiring within 30 days that does not renew.
        case expiringCertificates

        /// Whether each part is an item of a list (summing them only counts them).
        public var isItems: Bool {
            switch self {
            case .overdue, .expiringSubscriptions, .expiringDomains, .expiringCertificates: return true
            default: return false
            }
        }
    }

    /// One customer's share of a figure.
    public struct Part: Sendable, Equatable {
        public let customer: String
        public let figure: Figure
        public let key: String
        public let values: [Int64]

        public init(customer: String, figure: Figure, key: String, values: [Int64]) {
            self.customer = customer
            self.figure = figure
            self.key = key
            self.values = values
        }
    }

    /// The sum of the parts under one key.
    public struct Sum: Sendable, Equatable {
        /// How many parts were summed.
        public var parts: Int
        public var values: [Int64]

        public init(parts: Int = 0, values: [Int64] = []) {
            self.parts = parts
            self.values = values
        }

        /// The `index`th value; 0 when there is none.
        public subscript(index: Int) -> Int64 { index < values.count ? values[index] : 0 }

        /// Adds (`sign` 1) or takes out (`sign` −1) a part's values; overflow is an error, never wrapped.
        public mutating func add(_ part: [Int64], sign: Int64 = 1) throws {
            parts += Int(sign)
            try addValues(part, sign: sign)
        }

        /// Adds another sum (its parts and values).
        public mutating func add(_ other: Sum) throws {
            parts += other.parts
            try addValues(other.values, sign: 1)
        }

        private mutating func addValues(_ other: [Int64], sign: Int64) throws {
            if values.count < other.count { values += Array(repeating: 0, count: other.count - values.count) }
            for (index, value) in other.enumerated() {
                let (product, overflow) = value.multipliedReportingOverflow(by: sign)
                guard !overflow else { throw ReportError.overflow("a total") }
                values[index] = try ReportMath.add(values[index], product)
            }
        }
    }

    /// The character between the fields of a key.
    public static let separator = "\t"

    /// Every part of `figures` as of `asOf`, monthly figures over the `months` months ending with
    /// `asOf`'s; with `customers`, only those customers' parts.
    public static func parts(in db: Database, asOf: BusinessDate, months: Int, customers: Set<String>? = nil,
                             figures: [Figure] = Figure.allCases, _ body: (Part) throws -> Void) throws {
        let period = ReportPeriod(asOf: asOf, months: months)
        let nextDay = asOf.adding(days: 1).description
        let window: [any SQLBindable] = [asOf.description, asOf.adding(days: ResellerSummary.Attention.expiryWindowDays).description]
        let dates: [any SQLBindable] = [period.fromText, period.throughText]
        for figure in figures {
            let (sql, arguments): (String, [any SQLBindable])
            // `?S` is the customers, bound after the query's own arguments.
            switch figure {
            case .paying:
                (sql, arguments) = ("""
                    SELECT s.customer_id AS customer, '' AS key, 1 AS paying
                    FROM subscription s WHERE \(RecurringRevenue.condition) AND s.customer_id IN ?S GROUP BY s.customer_id
                    """, [nextDay])
            case .active:
                (sql, arguments) = ("""
                    SELECT id AS customer, '' AS key, 1 AS active FROM customer WHERE status = 'active' AND created_at < ?1 AND id IN ?S
                    """, [nextDay])
            case .invoiced:
                (sql, arguments) = ("""
                    SELECT customer_id AS customer, substr(issue_date, 1, 7) AS key, sum(subtotal) AS subtotal, sum(total) AS total
                    FROM invoice WHERE status = 'issued' AND issue_date BETWEEN ?1 AND ?2 AND customer_id IN ?S GROUP BY 1, 2
                    """, dates)
            case .credited:
                (sql, arguments) = ("""
                    SELECT i.customer_id AS customer, substr(c.issue_date, 1, 7) AS key, sum(c.subtotal) AS subtotal, sum(c.total) AS total
                    FROM credit_note c JOIN invoice i ON i.id = c.invoice_id
                    WHERE i.status = 'issued' AND c.issue_date BETWEEN ?1 AND ?2 AND i.customer_id IN ?S GROUP BY 1, 2
                    """, dates)
            case .payments:
                (sql, arguments) = ("""
                    SELECT customer_id AS customer, substr(received_on, 1, 7) || ' ' || method AS key, count(*) AS payments, sum(amount) AS amount
                    FROM payment WHERE status = 'completed' AND received_on BETWEEN ?1 AND ?2 AND customer_id IN ?S GROUP BY 1, 2
                    """, dates)
            case .lines:
                (sql, arguments) = ("""
                    SELECT i.customer_id AS customer, \(lineKey("i.issue_date")) AS key, sum(l.amount) AS amount
                    FROM invoice i JOIN invoice_line l ON l.invoice_id = i.id
                    LEFT JOIN subscription s ON s.id = l.subscription_id
                    WHERE i.status = 'issued' AND i.issue_date BETWEEN ?1 AND ?2 AND i.customer_id IN ?S GROUP BY 1, 2
                    """, dates)
            case .creditLines:
                // A credit note is spread over its invoice's lines in proportion to their amounts, rounded per line.
                let share = ReportSQL.roundedDivision("c.subtotal * l.amount", "i.subtotal")
                (sql, arguments) = ("""
                    SELECT i.customer_id AS customer, \(lineKey("c.issue_date")) AS key,
                           sum(CASE WHEN l.amount = i.subtotal THEN c.subtotal ELSE \(share) END) AS amount
                    FROM credit_note c JOIN invoice i ON i.id = c.invoice_id
                    JOIN invoice_line l ON l.invoice_id = i.id
                    LEFT JOIN subscription s ON s.id = l.subscription_id
                    WHERE i.status = 'issued' AND i.subtotal > 0 AND c.issue_date BETWEEN ?1 AND ?2 AND i.customer_id IN ?S GROUP BY 1, 2
                    """, dates)
            case .sales:
                // `+status`: nearly every order qualifies, so scan rather than walk `orders_by_status`.
                (sql, arguments) = ("""
                    SELECT customer_id AS customer, substr(placed_at, 1, 7) || ' ' || type AS key, count(*) AS orders, sum(total) AS amount
                    FROM orders
                    WHERE +status IN ('queued', 'submitted', 'provisioning', 'completed') AND placed_at >= ?1 AND placed_at < ?2
                      AND customer_id IN ?S
                    GROUP BY 1, 2
                    """, [period.fromText, period.endText])
            case .plans:
                func window(_ name: String, _ days: String, renewing: Bool) -> String {
                    let rule = renewing ? "s.auto_renew = 1 AND s.cancel_at_period_end = 0" : "(s.auto_renew = 0 OR s.cancel_at_period_end = 1)"
                    return "sum(CASE WHEN s.period_end BETWEEN ?2 AND \(days) AND \(rule) THEN 1 ELSE 0 END) AS \(name)"
                }
                let windows = [false, true].flatMap { renewing in
                    [("30", "?3"), ("60", "?4"), ("90", "?5")].map { window((renewing ? "renewing" : "expiring") + $0, $1, renewing: renewing) }
                }.joined(separator: ",\n")
                (sql, arguments) = ("""
                    SELECT s.customer_id AS customer, s.plan_id AS key, \(RecurringRevenue.columns), \(windows)
                    FROM subscription s JOIN plan p ON p.id = s.plan_id
                    WHERE \(RecurringRevenue.condition) AND s.customer_id IN ?S
                    GROUP BY 1, 2
                    """, [nextDay, asOf.description, asOf.adding(days: 30).description, asOf.adding(days: 60).description,
                          asOf.adding(days: 90).description])
            case .newCustomers:
                (sql, arguments) = ("""
                    SELECT id AS customer, substr(created_at, 1, 7) AS key, 1 AS new FROM customer
                    WHERE created_at >= ?1 AND created_at < ?2 AND id IN ?S
                    """, [period.fromText, period.endText])
            case .customerEvents:
                try customerEvents(in: db, asOf: asOf, period: period, customers: customers, body)
                continue
            case .mrrMovements:
                // `+o.status`: a scan of all orders beats walking `orders_by_status` for the bulk of them.
                let monthlyAmount = ReportSQL.monthly("l.quantity * l.unit_price", periodColumn: "p.billing_period")
                (sql, arguments) = ("""
                    SELECT o.customer_id AS customer,
                           substr(o.placed_at, 1, 7) || ' ' || CASE WHEN o.type IN ('sales', 'transfer') THEN 'new'
                                WHEN o.type = 'cancellation' THEN 'churn'
                                WHEN l.quantity > 0 THEN 'expansion'
                                ELSE 'contraction' END AS key,
                           sum(\(monthlyAmount)) AS amount
                    FROM orders o JOIN order_line l ON l.order_id = o.id JOIN plan p ON p.id = l.plan_id
                    WHERE +o.status = 'completed' AND o.type IN ('sales', 'transfer', 'change', 'cancellation')
                      AND o.placed_at >= ?1 AND o.placed_at < ?2 AND o.customer_id IN ?S
                    GROUP BY 1, 2
                    """, [period.fromText, period.endText])
            case .receivables:
                (sql, arguments) = ("""
                    WITH open AS (\(ReportSQL.openInvoices) AND i.customer_id IN ?S)
                    SELECT customer_id AS customer, '' AS key, \(AgingBuckets.sumColumns), count(*) AS invoices, 1 AS owing
                    FROM open WHERE outstanding > 0 GROUP BY customer_id
                    """, AgingBuckets.arguments(asOf: asOf))
            case .overdue:
                (sql, arguments) = ("""
                    WITH open AS (\(ReportSQL.openInvoices) AND i.customer_id IN ?S)
                    SELECT customer_id AS customer, due_date || char(9) || id AS key, outstanding
                    FROM open WHERE outstanding > 0 AND due_date < ?1
                    """, [asOf.description])
            case .expiringSubscriptions:
                (sql, arguments) = ("""
                    SELECT x.customer_id AS customer, x.period_end || char(9) || x.id AS key
                    FROM \(Expiring.subscriptions.from) WHERE \(Expiring.subscriptions.condition) AND x.customer_id IN ?S
                    """, window)
            case .expiringDomains:
                (sql, arguments) = ("""
                    SELECT x.customer_id AS customer, x.expires_on || char(9) || x.name || char(9) || x.id AS key
                    FROM \(Expiring.domains.from) WHERE \(Expiring.domains.condition) AND x.customer_id IN ?S
                    """, window)
            case .expiringCertificates:
                (sql, arguments) = ("""
                    SELECT x.customer_id AS customer, x.expires_on || char(9) || x.id AS key
                    FROM \(Expiring.certificates.from) WHERE \(Expiring.certificates.condition) AND x.customer_id IN ?S
                    """, window)
            }
            // Every customer: the scope condition goes; some: it names the bound list.
            let scoped = customers.map { _ in sql.replacingOccurrences(of: "IN ?S", with: "IN (SELECT value FROM json_each(?\(arguments.count + 1)))") }
                ?? sql.replacingOccurrences(of: #" AND [a-z._]+ IN \?S"#, with: "", options: .regularExpression)
            let bound = arguments + (customers.map { [SQLValue.jsonArray($0)] } ?? [])
            try db.forEachRow(scoped, bound) { row in
                let customer = try row.string("customer")
                // The reseller's own purchases are no customer's: they add to no figure.
                guard customer != Customer.ownAccountId else { return }
                var values: [Int64] = []
                values.reserveCapacity(row.values.count - 2)
                for index in 2..<row.values.count {
                    switch row[index] {
                    case .null: values.append(0)
                    case .integer(let value): values.append(value)
                    case .real: throw ReportError.overflow(figure.rawValue)
                    case let other: throw RowDecodingError(column: row.columns[index], expected: "integer", found: other)
                    }
                }
                try body(Part(customer: customer, figure: figure, key: try row.string("key"), values: values))
            }
        }
    }

    /// Each customer's churn and reactivation months (`CustomerDynamicsReport`), from its subscriptions' lifetimes.
    private static func customerEvents(in db: Database, asOf: BusinessDate, period: ReportPeriod, customers: Set<String>?,
                                       _ body: (Part) throws -> Void) throws {
        let months = Set(period.months)
        var customer: String?
        var closedOn: BusinessDate?
        var lives: [SubscriptionLife] = []
        func flush() throws {
            guard let customer, customer != Customer.ownAccountId else { return }
            let (churns, returns) = SubscriptionLife.events(lives, closedOn: closedOn, asOf: asOf)
            let churned = Set(churns.map(ReportMonth.init)).intersection(months)
            let reactivated = Set(returns.map(ReportMonth.init)).intersection(months)
            for month in churned.union(reactivated).sorted() {
                try body(Part(customer: customer, figure: .customerEvents, key: month.description,
                              values: [churned.contains(month) ? 1 : 0, reactivated.contains(month) ? 1 : 0]))
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
            """, [period.endText] + (customers.map { [SQLValue.jsonArray($0)] } ?? [])) { row in
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

    /// `month⇥plan⇥price⇥cost` of an invoice line (`l`) and its subscription (`s`), dated by `date`.
    private static func lineKey(_ date: String) -> String {
        "substr(\(date), 1, 7) || char(9) || coalesce(s.plan_id, '') || char(9) || coalesce(s.unit_price, '') || char(9) || coalesce(s.unit_cost, '')"
    }

    /// The id an item's key ends with.
    public static func itemId(_ key: String) -> String {
        guard let tab = key.lastIndex(of: Character(separator)) else { return key }
        return String(key[key.index(after: tab)...])
    }

    /// The fields of a key.
    public static func fields(_ key: String) -> [Substring] {
        key.split(separator: Character(separator), omittingEmptySubsequences: false)
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

    /// Every part summed in memory: what a report computed on its own uses.
    public final class Memory: LedgerTotals {
        public let asOf: BusinessDate
        public let months: [ReportMonth]
        private var sums: [Figure: [String: Sum]] = [:]
        private var items: [Figure: [String]] = [:]

        /// The sums of `figures` (a report asks for those it shows; the others stay empty).
        public init(in db: Database, asOf: BusinessDate, months: Int, figures: [Figure] = Figure.allCases) throws {
            self.asOf = asOf
            self.months = ReportPeriod(asOf: asOf, months: months).months
            try Ledger.parts(in: db, asOf: asOf, months: months, figures: figures) { part in
                if part.figure.isItems {
                    items[part.figure, default: []].append(part.key)
                } else {
                    try sums[part.figure, default: [:]][part.key, default: Sum()].add(part.values)
                }
            }
            for figure in items.keys { items[figure]!.sort() }
        }

        public func sums(_ figure: Figure) -> [String: Sum] { sums[figure] ?? [:] }

        public func items(_ figure: Figure, first limit: Int) -> (count: Int, keys: [String]) {
            let all = items[figure] ?? []
            return (all.count, Array(all.prefix(max(0, limit))))
        }
    }
}

/// The sums of the ledger's parts, wherever they are kept.
public protocol LedgerTotals {
    /// The business date the parts are as of.
    var asOf: BusinessDate { get }
    /// The months the monthly figures cover, oldest first (ending with `asOf`'s).
    var months: [ReportMonth] { get }
    /// A figure's sums, by key (keys without parts are absent).
    func sums(_ figure: Ledger.Figure) throws -> [String: Ledger.Sum]
    /// An item figure's first `limit` keys in key order, and how many items it has.
    func items(_ figure: Ledger.Figure, first limit: Int) throws -> (count: Int, keys: [String])
}

extension LedgerTotals {
    /// A figure's sum under `key` (zero when nothing adds to it).
    func sum(_ figure: Ledger.Figure, _ key: String = "") throws -> Ledger.Sum {
        try sums(figure)[key] ?? Ledger.Sum()
    }

    /// The last `count` months of the ledger's period.
    func months(_ count: Int) -> [ReportMonth] { Array(months.suffix(count)) }
}
