import OutpostModel
import OutpostStore

/// The Operations section: what the node's back office did, as its operations log replicated it — every
/// outcome, newest first (`operations/`), and the runs with their counts and invoiced totals (`operations/runs/`).
enum OperationsPages {
    static let eventsDirectory = "operations"
    static let runsDirectory = "operations/runs"

    static func lists(_ context: BuildContext) -> [PagedList] { [events(context), runs(context)] }

    /// Where the node's Operations and this laptop's Billing part, said on both pages.
    static let intro: Block = .paragraph("""
        The node is Operations: it provisions orders (built in, or through the operator's hook), runs the billing run, \
        sends notices and imports customer logins, and logs each run here. This laptop and its dashboards are Billing: \
        customers, orders, invoices and payments, changed here and synced. The node keeps the newest \(OperationLog.keptRuns) \
        runs and every run of the last \(OperationLog.keptDays) days.
        """)

    /// The section's two lists, the one shown marked current.
    static func sections(current directory: String) -> Block {
        .links([eventsDirectory, runsDirectory].map { ($0 + "/index.html", $0 == eventsDirectory ? "Every outcome" : "Runs", $0 == directory) },
               label: "Operations")
    }

    static func events(_ context: BuildContext) -> PagedList {
        PagedList(
            directory: eventsDirectory, title: "Operations", section: .operations,
            intro: [intro, sections(current: eventsDirectory), .paragraph("""
                What each run did to each order, subscription, notice or import, newest first. A failed hook shows the last \
                \(OperationLog.errorOutputLines) lines of its standard error; a failed order can be resubmitted on the node \
                (outpost node order resubmit ORDER).
                """)],
            columns: [Column("When"), Column("Job"), Column("Subject"), Column("Customer"), Column("Outcome"), Column("Invoiced", numeric: true),
                      Column("Details")],
            empty: "The node has logged no back-office run yet (or this laptop has not synced since).",
            select: """
                SELECT e.id, e.at, r.kind, e.subject, e.subject_id, e.subject_label, e.customer_id, c.name AS customer_name, e.outcome,
                       e.message, e.error_output, e.invoices, e.amount
                FROM operation_event e JOIN operation_run r ON r.id = e.run_id LEFT JOIN customer c ON c.id = e.customer_id
                """,
            idColumn: "e.id", order: "e.at DESC, e.id DESC",
            key: { [.descending($0["at"].string ?? ""), .descending($0["id"].string ?? "")] },
            csvName: "operations.csv", csvPeriod: CSVPeriod(column: "at", order: "r.at, r.id"), csvExtraHeader: ["Id", "Customer id", "Subject id"],
            cells: { row in
                let customerId = row["customer_id"].string
                let label = row["subject_label"].string ?? ""
                let subject: Cell
                let subjectId = row["subject_id"].string ?? ""
                switch (row["subject"].string, customerId) {
                case ("notice", _) where subjectId.hasPrefix("inv_"):
                    subject = .link(SitePath.invoice(subjectId), label)
                case ("order", let customer?), ("subscription", let customer?), ("notice", let customer?):
                    // Orders, subscriptions and the services notices are about are rows of the customer's page.
                    subject = .link(SitePath.onCustomer(customer, subjectId), label)
                default:
                    subject = .text(label)
                }
                var details = row["message"].string ?? ""
                if let invoices = row["invoices"].string, !invoices.isEmpty { details += (details.isEmpty ? "" : "; ") + invoices }
                return [.timestamp(row["at"].string), .text(OperationLog.Kind(rawValue: row["kind"].string ?? "")?.title ?? ""), subject,
                        customerId.map { .link(SitePath.customer($0), row["customer_name"].string ?? $0) } ?? .text(""),
                        .status(row["outcome"].string ?? ""), row["amount"].int64.map(Cell.money) ?? .blank,
                        .output(details, row["error_output"].string ?? "")]
            },
            csvExtra: { [$0["id"].string ?? "", $0["customer_id"].string ?? "", $0["subject_id"].string ?? ""] })
    }

    static func runs(_ context: BuildContext) -> PagedList {
        PagedList(
            directory: runsDirectory, title: "Operations runs", section: .operations,
            intro: [intro, sections(current: runsDirectory), .paragraph("Each back-office run on the node, newest first: what it did, and for billing runs the invoices it issued.")],
            columns: [Column("Started"), Column("Job"), Column("Last outcome"), Column("Outcomes"), Column("Invoices issued", numeric: true),
                      Column("Invoiced", numeric: true)],
            empty: "The node has logged no back-office run yet (or this laptop has not synced since).",
            select: "SELECT * FROM operation_run", idColumn: "id", order: "started_at DESC, id DESC",
            key: { [.descending($0["started_at"].string ?? ""), .descending($0["id"].string ?? "")] },
            csvName: "runs.csv",
            cells: { row in
                [.timestamp(row["started_at"].string), .text(OperationLog.Kind(rawValue: row["kind"].string ?? "")?.title ?? ""),
                 .timestamp(row["finished_at"].string), .text(OperationRun.summary(of: row)), .number(row["invoices"].int64 ?? 0),
                 .money(row["invoiced_total"].int64 ?? 0)]
            })
    }
}
