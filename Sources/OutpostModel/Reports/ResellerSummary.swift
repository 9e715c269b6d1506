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
    /// `asOf`'s month: its figures run to `asOf`, not to the month's end.
    public let month: ReportMonth
    /// The figures at the end of (or over) the month before, to show each figure's change.
    public let previous: PreviousMonth

    /// Computes the summary; each "needs attention" list keeps its first `attentionLimit` items (its `count` is complete).
    public static func compute(in db: Database, asOf: BusinessDate, attentionLimit: Int = 10) throws -> ResellerSummary {
        try compute(in: db, totals: try CustomerShares.InMemory(in: db, asOf: asOf, months: 12, kinds: [
            .paying, .plans, .active, .invoiced, .credited, .payments, .receivables, .monthEndReceivables, .overdue,
            .newCustomers, .customerEvents, .mrrMovements, .expiringSubscriptions, .expiringDomains, .expiringCertificates,
        ]), attentionLimit: attentionLimit)
    }

    /// The summary from the customers' summed shares (whose period must end with `asOf`'s month and hold 12 months);
    /// the orders needing attention, the details of the listed items and the sync counts are read from `db`.
    public static func compute(in db: Database, totals: any FigureTotals, attentionLimit: Int = 10) throws -> ResellerSummary {
        let asOf = totals.asOf
        let currency = try ReportSQL.currency(in: db)
        func money(_ units: Int64) -> Money { Money(minorUnits: units, currency: currency) }
        let recurring = try RecurringRevenue.total(totals)
        let series = try MonthlyRevenue.series(totals, months: 12)
        let thisMonth = series.last ?? MonthlyRevenue(month: ReportMonth(asOf))
        // January … asOf's month is the tail of the 12-month series.
        let thisYear = try series.suffix(asOf.parts.month).reduce(Int64(0)) { try ReportMath.add($0, $1.invoiced) }

        let receivables = try totals.total(Figures.receivables)
        let aging = receivables.buckets
        let attention = try Attention.compute(in: db, totals: totals, limit: attentionLimit, currency: currency)
        let month = ReportMonth(asOf)
        let previous = try PreviousMonth.compute(totals, series: series, recurring: recurring, currency: currency)
        return ResellerSummary(
            asOf: asOf, currency: currency, mrr: money(recurring.amount), arr: money(recurring.annual), mrrCost: money(recurring.cost),
            mrrMargin: money(recurring.margin), mrrMarginBp: recurring.marginBp, revenueThisMonth: money(thisMonth.invoiced),
            revenueThisYear: money(thisYear), collectedThisMonth: money(thisMonth.collected), outstanding: money(aging.total),
            overdue: money(aging.overdue), activeCustomers: Int(try totals.total(Figures.active).customers),
            payingCustomers: Int(try totals.total(Figures.paying).customers),
            activeSubscriptions: recurring.subscriptions, revenueSeries: series, aging: aging, attention: attention,
            month: month, previous: previous)
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
    /// - `orders`: customers' orders waiting for provisioning (`queued`, `submitted`,
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

        static func compute(in db: Database, totals: any FigureTotals, limit: Int, currency: Currency) throws -> Attention {
            let asOf = totals.asOf
            let limit = max(0, limit)
            func money(_ units: Int64) -> Money { Money(minorUnits: units, currency: currency) }
            func count(_ sql: String, _ arguments: [any SQLBindable] = []) throws -> Int {
                Int(try db.scalar(sql, arguments)?.int64 ?? 0)
            }

            // Orders: waiting (any date) or failed within the window; customers' only (the reseller's own are on their own page).
            let orderCondition = """
                (o.status IN ('queued', 'submitted', 'provisioning') OR (o.status = 'failed' AND o.placed_at >= ?1 AND o.placed_at < ?2))
                AND o.customer_id <> 'cus_own'
                """
            let orderArguments: [any SQLBindable] = [asOf.adding(days: -failedOrderWindowDays).description, asOf.adding(days: 1).description]
            let orderCount = try count("SELECT count(*) FROM orders o WHERE \(orderCondition)", orderArguments)
            let failed = try count("SELECT count(*) FROM orders o WHERE o.status = 'failed' AND o.placed_at >= ?1 AND o.placed_at < ?2 AND o.customer_id <> 'cus_own'",
                                   orderArguments)
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

            // Overdue invoices (counted with the aging buckets): the figures know which, the replica the rest.
            let overdue = try totals.items(Figures.overdue, first: limit)
            var invoiceItems: [String: InvoiceItem] = [:]
            try db.forEachRow("""
                WITH open AS (\(ReportSQL.openInvoices) AND i.id IN (SELECT value FROM json_each(?2)))
                SELECT open.*, c.name AS customer_name FROM open JOIN customer c ON c.id = open.customer_id
                """, [asOf.description, SQLValue.jsonArray(overdue.keys.map(\.id))]) { row in
                let due = BusinessDate(try row.string("due_date")) ?? asOf
                invoiceItems[try row.string("id")] = InvoiceItem(
                    id: try row.string("id"), number: try row.optionalString("number"), customerId: try row.string("customer_id"),
                    customerName: try row.string("customer_name"), dueDate: due, daysOverdue: due.days(until: asOf),
                    outstanding: money(try row.int64("outstanding")))
            }

            // Expiring within the window and not renewing on their own: the figures' items, in their order.
            func expiring(_ kind: ExpiryItem.Kind, _ figure: Figure<ItemKey, NoAmounts>, _ source: CustomerShares.Expiring.Source,
                          name: String, ends: String) throws -> AttentionList<ExpiryItem> {
                let listed = try totals.items(figure, first: limit)
                var items: [String: ExpiryItem] = [:]
                try db.forEachRow("""
                    SELECT x.id AS id, x.customer_id AS customer_id, cu.name AS customer_name, \(name) AS name, \(ends) AS ends
                    FROM \(source.from) JOIN customer cu ON cu.id = x.customer_id
                    WHERE x.id IN (SELECT value FROM json_each(?1))
                    """, [SQLValue.jsonArray(listed.keys.map(\.id))]) { row in
                    let ends = BusinessDate(try row.string("ends")) ?? asOf
                    items[try row.string("id")] = ExpiryItem(kind: kind, id: try row.string("id"), customerId: try row.string("customer_id"),
                                                             customerName: try row.string("customer_name"), name: try row.string("name"),
                                                             endsOn: ends, daysLeft: asOf.days(until: ends))
                }
                return AttentionList(count: listed.count, items: listed.keys.compactMap { items[$0.id] })
            }
            let subscriptions = try expiring(.subscription, Figures.expiringSubscriptions, CustomerShares.Expiring.subscriptions, name: "p.name", ends: "x.period_end")
            let domains = try expiring(.domain, Figures.expiringDomains, CustomerShares.Expiring.domains, name: "x.name", ends: "x.expires_on")
            let certificates = try expiring(.certificate, Figures.expiringCertificates, CustomerShares.Expiring.certificates, name: "x.common_name", ends: "x.expires_on")

            return Attention(
                orders: AttentionList(count: orderCount, items: orderItems), failedOrders: failed,
                overdueInvoices: AttentionList(count: overdue.count, items: overdue.keys.compactMap { invoiceItems[$0.id] }),
                expiringSubscriptions: subscriptions, expiringDomains: domains, expiringCertificates: certificates,
                rejectedMutations: try count("SELECT count(*) FROM rejected"), conflicts: try count("SELECT count(*) FROM conflict WHERE resolved_at IS NULL"),
                pendingMutations: try count("SELECT count(*) FROM queue"))
        }
    }
}

extension ResellerSummary {
    /// The home page's figures a month earlier, where the replica can tell them: what each figure card compares with.
    ///
    /// - `revenue` and `collected`: the whole previous month (this month's figures run to `asOf`).
    /// - `mrr`: today's MRR less the MRR moved by this month's completed orders (`MRRMovements.net`),
    ///   never below zero; the replica keeps no history of subscriptions, so this is MRR as orders moved it.
    /// - `newCustomers`: customers created this month; the replica keeps no history of statuses, so
    ///   this, not a count of last month's active customers, is what the customer figure compares with.
    /// - `outstanding` and `overdue`: receivables on the previous month's last day.
    /// Figures with no such history (margin, subscriptions, the year's revenue) have none.
    public struct PreviousMonth: Sendable, Equatable {
        public let month: ReportMonth
        public let revenue: Money
        public let collected: Money
        public let mrr: Money
        public let newCustomers: Int
        public let outstanding: Money
        public let overdue: Money

        static func compute(_ totals: any FigureTotals, series: [MonthlyRevenue], recurring: RecurringRevenue,
                            currency: Currency) throws -> PreviousMonth {
            func money(_ units: Int64) -> Money { Money(minorUnits: units, currency: currency) }
            let month = ReportMonth(totals.asOf)
            let before = series.dropLast().last ?? MonthlyRevenue(month: month.adding(months: -1))
            let moved = try totals.sums(Figures.mrrMovements)[month] ?? MRRMovements()
            let new = try totals.sums(Figures.newCustomers)[month]?.customers ?? 0
            let monthEnd = try totals.total(Figures.monthEndReceivables)
            return PreviousMonth(month: month.adding(months: -1), revenue: money(before.invoiced), collected: money(before.collected),
                                 mrr: money(max(0, try ReportMath.add(recurring.amount, -moved.net))),
                                 newCustomers: Int(new),
                                 outstanding: money(monthEnd.outstanding), overdue: money(monthEnd.overdue))
        }
    }
}
