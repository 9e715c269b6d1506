import OutpostStore

/// One back-office run on the node as the operations log recorded it, with what it did to each thing it touched.
public struct OperationRun: Sendable, Equatable, Encodable {
    /// What the run did to one order, subscription, notice or import.
    public struct Event: Sendable, Equatable, Encodable {
        public let id: String
        public let at: String
        /// `order`, `subscription`, `notice` or `login_import`.
        public let subject: String
        public let subjectId: String
        /// What people call it: the order's number, the subscription's plan, the notice's kind and entity.
        public let subjectLabel: String
        public let customerId: String?
        public let customerName: String?
        public let outcome: OperationLog.Outcome
        public let message: String
        /// The last lines of a hook's standard error, for a hook that failed; empty otherwise.
        public let errorOutput: String
        /// Invoices issued for it.
        public let invoices: [String]
        /// What those invoices add up to, in minor units of `currency`.
        public let amount: Int64?
        public let currency: String
    }

    public let id: String
    public let kind: OperationLog.Kind
    public let startedAt: String
    /// When its latest event was recorded.
    public let finishedAt: String
    /// How many events had each outcome.
    public let counts: [String: Int64]
    public let invoices: Int64
    public let invoicedTotal: Int64
    public let currency: String
    public let events: [Event]

    /// The newest `limit` runs (of `kind`, or all), newest first, each with its events in the order they happened.
    public static func recent(kind: OperationLog.Kind?, limit: Int, in db: any SQLDatabase) throws -> [OperationRun] {
        let runs = try db.rows("""
            SELECT * FROM operation_run WHERE (? IS NULL OR kind = ?) ORDER BY started_at DESC, id DESC LIMIT ?
            """, [kind?.rawValue, kind?.rawValue, limit])
        return try runs.map { row in
            let id = try row.string("id")
            let events = try db.rows("""
                SELECT e.*, c.name AS customer_name FROM operation_event e LEFT JOIN customer c ON c.id = e.customer_id
                WHERE e.run_id = ? ORDER BY e.at, e.id
                """, [id]).map { event in
                Event(id: try event.string("id"), at: try event.string("at"), subject: try event.string("subject"),
                      subjectId: try event.string("subject_id"), subjectLabel: try event.string("subject_label"),
                      customerId: try event.optionalString("customer_id"), customerName: try event.optionalString("customer_name"),
                      outcome: OperationLog.Outcome(rawValue: try event.string("outcome")) ?? .failed, message: try event.string("message"),
                      errorOutput: try event.string("error_output"),
                      invoices: try event.string("invoices").split(separator: " ").map(String.init),
                      amount: try event.optionalInt64("amount"), currency: try event.string("currency"))
            }
            var counts: [String: Int64] = [:]
            for outcome in OperationLog.Outcome.allCases {
                let count = try row.int64(outcome.rawValue)
                if count > 0 { counts[outcome.rawValue] = count }
            }
            return OperationRun(id: id, kind: OperationLog.Kind(rawValue: try row.string("kind")) ?? .provision,
                                startedAt: try row.string("started_at"), finishedAt: try row.string("finished_at"), counts: counts,
                                invoices: try row.int64("invoices"), invoicedTotal: try row.int64("invoiced_total"),
                                currency: try row.string("currency"), events: events)
        }
    }

    /// The counts in words, in the order of `OperationLog.Outcome`: `2 completed, 1 failed`.
    public var summary: String { Self.words { counts[$0.rawValue] } }

    /// The counts of a run row (`operation_run`) in words, as `summary` says them, for pages that read rows.
    public static func summary(of row: Row) -> String { words { row[$0.rawValue].int64 } }

    private static func words(_ count: (OperationLog.Outcome) -> Int64?) -> String {
        let parts = OperationLog.Outcome.allCases.compactMap { outcome in count(outcome).flatMap { $0 > 0 ? "\($0) \(outcome.rawValue)" : nil } }
        return parts.isEmpty ? "nothing done" : parts.joined(separator: ", ")
    }
}
