import OutpostStore

/// "My reseller status": the home page's financial summary and what needs attention.
///
/// Definitions (see `Reports.swift` for the shared ones):
/// - `mrr`, `arr`, `mrrCost`, `mrrMargin`: `RecurringRevenue` of active subscriptions.
/// - `revenueThisMonth` / `revenueThisYear`: invoiced excluding tax, net of
///   credit notes (`MonthlyRevenue.invoiced`), from the first of `asOf`'s
///   month / year through `asOf`.
/// - `collectedThisMonth`: completed payments received this month through `asOf` (including tax).
/// - `outstanding` / `overdue`: receivables (`ReceivablesAgingReport`); overdue
///   is everything at least one day past due.
/// - `activeCustomers`: customers with status `active`; `payingCustomers`:
///   customers with at least one active subscription.
public struct ResellerSummary: Sendable, Equatable {
    public let asOf: BusinessDate
    public let currency: Currency
    /// Monthly recurring revenue.
    public let mrr: Money
    /// Annual recurring revenue: MRR × 12.
    public let arr: Money
    /// What the MRR's subscriptions cost per month.
    public let mrrCost: Money
    /// MRR margin: (price − cost) × quantity per month.
    public let mrrMargin: Money
    /// Margin on MRR, basis points; `nil` when MRR is zero.
    public let mrrMarginBp: Int?
    /// Invoiced this month (excluding tax), net of credit notes.
    public let revenueThisMonth: Money
    /// Invoiced this calendar year (excluding tax), net of credit notes.
    public let revenueThisYear: Money
    /// Completed payments received this month (including tax).
    public let collectedThisMonth: Money
    /// Everything customers owe (including tax).
    public let outstanding: Money
    /// The part of `outstanding` that is past due.
    public let overdue: Money
    public let activeCustomers: Int
    public let payingCustomers: Int
    public let activeSubscriptions: Int
    /// The 12 months ending with `asOf`'s month, oldest first.
    public let revenueSeries: [MonthlyRevenue]
    /// Receivables by days past due.
    public let aging: AgingBuckets
    public let attention: Attention

    /// Computes the summary; each "needs attention" list keeps its first `attentionLimit` items (its `count` is complete).
    public static func compute(in db: Database, asOf: BusinessDate, attentionLimit: Int = 10) throws -> ResellerSummary {
        let currency = try ReportSQL.currency(in: db)
        func money(_ units: Int64) -> Money { Money(minorUnits: units, currency: currency) }
        let nextDay = asOf.adding(days: 1).description
        let recurring = try RecurringRevenue.compute(in: db, asOf: asOf)
        let paying = try db.scalar("""
            SELECT count(DISTINCT s.customer_id) FROM subscription s WHERE \(RecurringRevenue.condition)
            """, [nextDay])?.int64 ?? 0
        let active = try db.scalar("SELECT count(*) FROM customer WHERE status = 'active' AND created_at < ?1", [nextDay])?.int64 ?? 0

        let series = try MonthlyRevenue.series(in: db, period: ReportPeriod(asOf: asOf, months: 12))
        let thisMonth = series.last ?? MonthlyRevenue(month: ReportMonth(asOf))
        // January … asOf's month is the tail of the 12-month series.
        let thisYear = try series.suffix(asOf.parts.month).reduce(Int64(0)) { try ReportMath.add($0, $1.invoiced) }

        let (aging, overdueInvoices) = try AgingBuckets.compute(in: db, asOf: asOf)
        let attention = try Attention.compute(in: db, asOf: asOf, limit: attentionLimit, currency: currency,
                                              overdueInvoices: overdueInvoices)
        return ResellerSummary(
            asOf: asOf, currency: currency, mrr: money(recurring.amount), arr: money(recurring.annual), mrrCost: money(recurring.cost),
            mrrMargin: money(recurring.margin), mrrMarginBp: recurring.marginBp, revenueThisMonth: money(thisMonth.invoiced),
            revenueThisYear: money(thisYear), collectedThisMonth: money(thisMonth.collected), outstanding: money(aging.total),
            overdue: money(aging.overdue), activeCustomers: Int(active), payingCustomers: Int(paying),
            activeSubscriptions: recurring.subscriptions, revenueSeries: series, aging: aging, attention: attention)
    }
}

extension ResellerSummary {
    /// CSV of the 12-month series: `Month, Invoiced (EUR), Invoiced incl. tax (EUR), Collected (EUR)`.
    public var revenueCSVHeader: [String] {
        ["Month", "Invoiced (\(currency.code))", "Invoiced incl. tax (\(currency.code))", "Collected (\(currency.code))"]
    }

    /// One line per month of `revenueSeries`.
    public var revenueCSVRows: [[String]] {
        revenueSeries.map { m in
            [m.month.description] + [m.invoiced, m.invoicedIncludingTax, m.collected].map { Money.decimalString($0, digits: currency.minorDigits) }
        }
    }

    /// The first items of a list that may be long, and how long it is.
    public struct AttentionList<Item: Sendable & Equatable>: Sendable, Equatable {
        /// How many there are in all.
        public let count: Int
        /// The first of them (up to the limit asked for), most urgent first.
        public let items: [Item]

        public var isEmpty: Bool { count == 0 }
    }

    /// What needs the reseller's attention on the home page.
    ///
    /// - `orders`: orders waiting for provisioning (`queued`, `submitted`,
    ///   `provisioning`) and orders that `failed` in the last 30 days, oldest first.
    /// - `overdueInvoices`: invoices with something outstanding at least one day past due, oldest due date first.
    /// - `expiringSubscriptions`, `expiringDomains`, `expiringCertificates`: ending
    ///   within 30 days (`asOf` … `asOf + 30`, inclusive) and **not** renewing on
    ///   their own, soonest first. A subscription renews when `auto_renew` and
    ///   not `cancel_at_period_end` (subscriptions of subscription and license
    ///   plans; domain and SSL plans are listed through their domain and
    ///   certificate). A domain renews when it and its subscription (if any) are
    ///   set to renew; a certificate renews when its subscription is active, set
    ///   to auto-renew and not cancelled at period end.
    /// - `rejectedMutations`, `conflicts`, `pendingMutations`: rows of the replica's
    ///   `rejected`, `conflict` and `queue` tables.
    public struct Attention: Sendable, Equatable {
        /// An order that failed or waits for provisioning.
        public struct OrderItem: Sendable, Equatable {
            public let id: String
            /// `ORD-000123`; `nil` while pending.
            public let number: String?
            public let customerId: String
            public let customerName: String
            public let type: Order.OrderType
            public let status: Order.Status
            public let placedAt: Timestamp
            public let total: Money
            public let statusReason: String
        }

        /// An invoice past its due date with something outstanding.
        public struct InvoiceItem: Sendable, Equatable {
            public let id: String
            /// `INV-000045`; `nil` while pending.
            public let number: String?
            public let customerId: String
            public let customerName: String
            public let dueDate: BusinessDate
            public let daysOverdue: Int
            public let outstanding: Money
        }

        /// A subscription, domain or certificate that ends soon and will not renew on its own.
        public struct ExpiryItem: Sendable, Equatable {
            public enum Kind: String, Sendable, Equatable, CaseIterable {
                case subscription, domain, certificate
            }

            public let kind: Kind
            public let id: String
            public let customerId: String
            public let customerName: String
            /// The plan name, domain name or certificate common name.
            public let name: String
            public let endsOn: BusinessDate
            public let daysLeft: Int
        }

        /// Days ahead an expiry is listed.
        public static let expiryWindowDays = 30
        /// Days back a failed order stays listed.
        public static let failedOrderWindowDays = 30

        public let orders: AttentionList<OrderItem>
        /// How many of `orders.count` failed (the rest are waiting).
        public let failedOrders: Int
        public let overdueInvoices: AttentionList<InvoiceItem>
        public let expiringSubscriptions: AttentionList<ExpiryItem>
        public let expiringDomains: AttentionList<ExpiryItem>
        public let expiringCertificates: AttentionList<ExpiryItem>
        public let rejectedMutations: Int
        public let conflicts: Int
        /// Local changes not yet acknowledged by the node.
        public let pendingMutations: Int

        /// Whether nothing needs attention.
        public var isEmpty: Bool {
            orders.isEmpty && overdueInvoices.isEmpty && expiringSubscriptions.isEmpty && expiringDomains.isEmpty
                && expiringCertificates.isEmpty && rejectedMutations == 0 && conflicts == 0
        }

        static func compute(in db: Database, asOf: BusinessDate, limit: Int, currency: Currency, overdueInvoices overdueCount: Int) throws -> Attention {
            let limit = max(0, limit)
            func money(_ units: Int64) -> Money { Money(minorUnits: units, currency: currency) }
            func count(_ sql: String, _ arguments: [any SQLBindable] = []) throws -> Int {
                Int(try db.scalar(sql, arguments)?.int64 ?? 0)
            }

            // Orders: waiting (any date) or failed within the window.
            let orderCondition = """
                (o.status IN ('queued', 'submitted', 'provisioning') OR (o.status = 'failed' AND o.placed_at >= ?1 AND o.placed_at < ?2))
                """
            let orderArguments: [any SQLBindable] = [asOf.adding(days: -failedOrderWindowDays).description, asOf.adding(days: 1).description]
            let orderCount = try count("SELECT count(*) FROM orders o WHERE \(orderCondition)", orderArguments)
            let failed = try count("SELECT count(*) FROM orders o WHERE o.status = 'failed' AND o.placed_at >= ?1 AND o.placed_at < ?2", orderArguments)
            var orderItems: [OrderItem] = []
            try db.forEachRow("""
                SELECT o.id, o.number, o.customer_id, c.name AS customer_name, o.type, o.status, o.placed_at, o.total, o.status_reason
                FROM orders o JOIN customer c ON c.id = o.customer_id
                WHERE \(orderCondition) ORDER BY o.placed_at, o.id LIMIT ?3
                """, orderArguments + [limit]) { row in
                orderItems.append(OrderItem(
                    id: try row.string("id"), number: try row.optionalString("number"), customerId: try row.string("customer_id"),
                    customerName: try row.string("customer_name"),
                    type: Order.OrderType(rawValue: try row.string("type")) ?? .sales,
                    status: Order.Status(rawValue: try row.string("status")) ?? .queued,
                    placedAt: Timestamp(try row.string("placed_at")) ?? Timestamp(secondsSinceEpoch: 0),
                    total: money(try row.int64("total")), statusReason: try row.string("status_reason")))
            }

            // Overdue invoices (counted with the aging buckets).
            var invoiceItems: [InvoiceItem] = []
            try db.forEachRow("""
                WITH open AS (\(ReportSQL.openInvoices))
                SELECT open.*, c.name AS customer_name FROM open JOIN customer c ON c.id = open.customer_id
                WHERE outstanding > 0 AND due_date < ?1 ORDER BY due_date, open.id LIMIT ?2
                """, [asOf.description, limit]) { row in
                let due = BusinessDate(try row.string("due_date")) ?? asOf
                invoiceItems.append(InvoiceItem(
                    id: try row.string("id"), number: try row.optionalString("number"), customerId: try row.string("customer_id"),
                    customerName: try row.string("customer_name"), dueDate: due, daysOverdue: due.days(until: asOf),
                    outstanding: money(try row.int64("outstanding"))))
            }

            // Expiring within the window and not renewing on their own.
            let window: [any SQLBindable] = [asOf.description, asOf.adding(days: expiryWindowDays).description]
            func expiring(_ kind: ExpiryItem.Kind, from: String, condition: String, name: String, ends: String, order: String) throws -> AttentionList<ExpiryItem> {
                let total = try count("SELECT count(*) FROM \(from) WHERE \(condition)", window)
                var items: [ExpiryItem] = []
                try db.forEachRow("""
                    SELECT x.id AS id, x.customer_id AS customer_id, cu.name AS customer_name, \(name) AS name, \(ends) AS ends
                    FROM \(from) JOIN customer cu ON cu.id = x.customer_id
                    WHERE \(condition) ORDER BY \(ends), \(order) LIMIT ?3
                    """, window + [limit]) { row in
                    let ends = BusinessDate(try row.string("ends")) ?? asOf
                    items.append(ExpiryItem(kind: kind, id: try row.string("id"), customerId: try row.string("customer_id"),
                                            customerName: try row.string("customer_name"), name: try row.string("name"),
                                            endsOn: ends, daysLeft: asOf.days(until: ends)))
                }
                return AttentionList(count: total, items: items)
            }
            let subscriptions = try expiring(
                .subscription, from: "subscription x JOIN plan p ON p.id = x.plan_id",
                condition: """
                    x.status = 'active' AND p.kind IN ('subscription', 'license') AND x.period_end BETWEEN ?1 AND ?2
                    AND (x.auto_renew = 0 OR x.cancel_at_period_end = 1)
                    """,
                name: "p.name", ends: "x.period_end", order: "x.id")
            let domains = try expiring(
                .domain, from: "domain x LEFT JOIN subscription s ON s.id = x.subscription_id",
                condition: """
                    x.status = 'active' AND x.expires_on BETWEEN ?1 AND ?2
                    AND (x.auto_renew = 0 OR coalesce(s.auto_renew, 1) = 0 OR coalesce(s.cancel_at_period_end, 0) = 1)
                    """,
                name: "x.name", ends: "x.expires_on", order: "x.name")
            let certificates = try expiring(
                .certificate, from: "ssl_certificate x LEFT JOIN subscription s ON s.id = x.subscription_id",
                condition: """
                    x.status = 'issued' AND x.expires_on BETWEEN ?1 AND ?2
                    AND NOT (coalesce(s.status, '') = 'active' AND coalesce(s.auto_renew, 0) = 1 AND coalesce(s.cancel_at_period_end, 1) = 0)
                    """,
                name: "x.common_name", ends: "x.expires_on", order: "x.id")

            return Attention(
                orders: AttentionList(count: orderCount, items: orderItems), failedOrders: failed,
                overdueInvoices: AttentionList(count: overdueCount, items: invoiceItems),
                expiringSubscriptions: subscriptions, expiringDomains: domains, expiringCertificates: certificates,
                rejectedMutations: try count("SELECT count(*) FROM rejected"), conflicts: try count("SELECT count(*) FROM conflict"),
                pendingMutations: try count("SELECT count(*) FROM queue"))
        }
    }
}
