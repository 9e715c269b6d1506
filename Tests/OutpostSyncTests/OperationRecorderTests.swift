import Foundation
import Testing
import OutpostModel
import OutpostStore
@testable import OutpostSync
import OutpostTestThreads

/// The operations log on the node: one entry per outcome, written with the work (so a refusal or a rehearsal
/// leaves exactly what was done), each run its own, old runs pruned, a hook's stderr kept bounded.
@Suite("Operations log", .ownThreads)
struct OperationRecorderTests {
    func count(_ sql: String, _ office: BackOfficeFixture) throws -> Int64 {
        try office.tenant.db.scalar(sql)?.int64 ?? -1
    }

    @Test("an order the node refuses leaves exactly one refused event and the hook is never called; a rerun is a new run")
    func refusedOrderIsLoggedOnce() throws {
        let office = try BackOfficeFixture(now: "2026-02-01T09:00:00Z")
        defer { office.remove() }
        let customer = try office.addCustomer("Contoso Dental GmbH")
        let order = try office.placeOrder(customer: customer, plan: "pln_m365-business-basic-m", quantity: 10)
        let version = try Customer.require(customer, in: office.tenant.db).version
        try office.push(SuspendCustomer(id: customer, baseVersion: version))
        let marker = office.directory.appendingPathComponent("called").path
        let hook = try office.script("hook.sh", "cat > /dev/null; touch '\(marker)'; echo '{\"status\": \"completed\"}'")

        let outcomes = try office.provision(with: HookProvisioner(command: hook))
        #expect(outcomes.first?.status == .failed)
        #expect(!FileManager.default.fileExists(atPath: marker), "the vendor is never called for a refused order")
        let events = try office.tenant.db.rows("SELECT * FROM operation_event")
        #expect(events.count == 1)
        #expect(events.first?["outcome"].string == "refused")
        #expect(events.first?["subject_id"].string == order)
        #expect(events.first?["message"].string == (try office.order(order).statusReason), "the event says what the order says")
        #expect(try count("SELECT refused FROM operation_run", office) == 1)
        // Nothing waiting: no run. Resubmitted and refused again: two more runs, one event each.
        _ = try office.provision(with: HookProvisioner(command: hook))
        #expect(try count("SELECT count(*) FROM operation_run", office) == 1)
        _ = try office.node.resubmit(order: order, resellerId: BackOfficeFixture.reseller)
        _ = try office.provision(with: HookProvisioner(command: hook))
        #expect(try count("SELECT count(*) FROM operation_run", office) == 3)
        #expect(try office.tenant.db.rows("SELECT outcome FROM operation_event ORDER BY at, rowid").map { try $0.string("outcome") }
                == ["refused", "retried", "refused"])
    }

    @Test("a dry run of provisioning or billing logs nothing")
    func rehearsalsLogNothing() throws {
        let office = try BackOfficeFixture(now: "2026-02-01T09:00:00Z")
        defer { office.remove() }
        let customer = try office.addCustomer("Contoso Dental GmbH")
        _ = try office.placeOrder(customer: customer, plan: "pln_m365-business-basic-m", quantity: 10)
        _ = try office.node.rehearseProvisioning(resellerId: BackOfficeFixture.reseller, hook: nil)
        #expect(try count("SELECT count(*) FROM operation_run", office) == 0)
        _ = try office.provision()
        #expect(try count("SELECT completed FROM operation_run", office) == 1)
        try office.setNow("2026-03-01T06:00:00Z")
        let rehearsed = try office.node.rehearseBilling(through: try #require(BusinessDate("2026-03-01")), resellerId: BackOfficeFixture.reseller)
        #expect(rehearsed.count == 1)
        #expect(try count("SELECT count(*) FROM operation_run WHERE kind = 'bill'", office) == 0)
        #expect(try count("SELECT count(*) FROM operation_event", office) == 1)
    }

    @Test("starting a run drops the runs older than 90 days beyond the newest 500, events first, as logged deletes")
    func oldRunsArePruned() throws {
        let office = try BackOfficeFixture(now: "2026-06-01T09:00:00Z")
        defer { office.remove() }
        // 501 runs from January (each with an event) and 2 from last week.
        try office.tenant.db.transaction {
            for index in 0..<503 {
                let started = index < 501 ? String(format: "2026-01-01T%02d:%02d:00Z", index / 60, index % 60) : "2026-05-2\(index - 500)T06:00:00Z"
                let run = String(format: "opr_%04d", index)
                try office.tenant.db.execute("INSERT INTO operation_run (id, kind, started_at, finished_at, sent) VALUES (?, 'notify', ?, ?, 1)",
                                             [run, started, started])
                try office.tenant.db.execute("""
                    INSERT INTO operation_event (id, run_id, at, subject, outcome) VALUES (?, ?, ?, 'notice', 'sent')
                    """, [String(format: "ope_%04d", index), run, started])
            }
        }
        let customer = try office.addCustomer("Contoso Dental GmbH")
        _ = try office.placeOrder(customer: customer, plan: "pln_m365-business-basic-m", quantity: 1)
        _ = try office.provision()
        #expect(try count("SELECT count(*) FROM operation_run", office) == Int64(OperationLog.keptRuns))
        // The four oldest went; the recent two stay whatever the count.
        #expect(try office.tenant.db.rows("SELECT id FROM operation_run WHERE id < 'opr_0004'").isEmpty)
        #expect(try count("SELECT count(*) FROM operation_run WHERE id IN ('opr_0004', 'opr_0501', 'opr_0502')", office) == 3)
        #expect(try count("SELECT count(*) FROM operation_event WHERE run_id < 'opr_0004'", office) == 0)
        #expect(try count("SELECT count(*) FROM change_log WHERE entity IN ('operation_run', 'operation_event') AND op = 'delete'", office) == 8,
                "replicas are told")
    }

    @Test("a hook's stderr is kept as its last 20 lines, at most 2 KiB cut between characters, without control characters")
    func errorTailIsBounded() {
        let lines = (1...30).map { "line \($0)" }.joined(separator: "\n") + "\n\n"
        let tail = OperationLog.errorTail(lines)
        #expect(tail.split(separator: "\n").first == "line 11")
        #expect(tail.hasSuffix("line 30"))
        let wide = String(repeating: "ü€", count: 2_000)
        let kept = OperationLog.errorTail(wide)
        #expect(kept.utf8.count <= OperationLog.errorOutputBytes && kept.utf8.count > OperationLog.errorOutputBytes - 8)
        #expect(wide.hasSuffix(kept))
        #expect(OperationLog.errorTail("\u{1B}[31mred\u{1B}[0m\tdone\r\n") == "[31mred[0m\tdone")
        #expect(OperationLog.errorTail("") == "")
        // Credentials a verbose hook prints are not replicated and published.
        let verbose = "> POST /api/orders HTTP/1.1\n> Authorization: Bearer sk_live_4242\ncurl -d api_key=abc123 https://vendor.example\ndone"
        let shown = OperationLog.errorTail(verbose)
        #expect(!shown.contains("sk_live_4242") && !shown.contains("abc123"), "\(shown)")
        #expect(shown == "> POST /api/orders HTTP/1.1\n> Authorization [redacted]\ncurl -d api_key [redacted]\ndone")
    }
}
