import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif
import OutpostModel
import OutpostStore
import OutpostTestSupport
import OutpostTestThreads

/// Every node command run through the built binary against a node on PostgreSQL (issue 16): `node init --store`,
/// a second machine with `--existing`, the password refusal, backup and restore refused, two copies of one job,
/// and PostgreSQL restarted under `node serve`. Each test has a database of its own on the shared cluster.
@Suite("Node commands on a PostgreSQL store", .ownThreads, .enabled(if: PostgresCluster.unavailableReason == nil, "\(PostgresCluster.unavailableReason ?? "")"),
       .timeLimit(.minutes(20)))
struct NodeStoreCommandTests {
    static let now = "2026-03-02T09:00:00Z"

    /// A fresh database on `cluster`; returns its libpq connection string (trusted socket, no password).
    static func freshDatabase(on cluster: PostgresCluster) throws -> String {
        // The name is ours (hex), so it may stand in the statement.
        let database = "cli_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let admin = try PostgresDatabase(PostgresConnectionString(cluster.connectionString()))
        try admin.executeScript("CREATE DATABASE \(database)")
        return cluster.connectionString(database: database)
    }

    /// A test's directory, its database, and `outpost` run with a fixed clock.
    final class Place: @unchecked Sendable {
        // @unchecked: constants set in init.
        let dir: TemporaryDirectory
        let store: String
        var node: String { dir.path("node") }

        init(cluster: PostgresCluster? = PostgresCluster.shared) throws {
            dir = try TemporaryDirectory("outpost-pgcli")
            store = try NodeStoreCommandTests.freshDatabase(on: try #require(cluster))
        }

        func outpost(_ arguments: [String], _ environment: [String: String] = [:], at now: String = NodeStoreCommandTests.now) throws -> OutpostBinary.Result {
            try OutpostBinary.run(arguments, environment: ["OUTPOST_NOW": now, "OUTPOST_REPLICA": dir.path("r")].merging(environment) { $1 }, in: dir.url)
        }

        @discardableResult
        func require(_ arguments: [String], _ environment: [String: String] = [:], at now: String = NodeStoreCommandTests.now,
                     sourceLocation: SourceLocation = #_sourceLocation) throws -> OutpostBinary.Result {
            let result = try outpost(arguments, environment, at: now)
            try #require(result.status == 0, "outpost \(arguments.joined(separator: " ")): \(result.stderr)", sourceLocation: sourceLocation)
            return result
        }

        /// A node on the database (or, `onPostgres` false, of SQLite files) with the built-in plans, reseller acme
        /// and anna's token in the file `token`.
        func makeNode(onPostgres: Bool = true) throws {
            try require(["node", "init", node] + (onPostgres ? ["--store", store] : []))
            try require(["node", "plans", "import", "--builtin", "--node", node])
            try require(["node", "reseller", "add", "acme", "--name", "Acme Cloud", "--node", node])
            let issued = try require(["node", "token", "issue", "--reseller", "acme", "--user", "anna", "--node", node])
            try issued.stdout.write(toFile: dir.path("token"), atomically: false, encoding: .utf8)
        }

        func mode(_ path: String) throws -> Int {
            try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        }
    }

    @Test func aStoreWithAPasswordIsRefusedBeforeAnythingIsWritten() throws {
        let place = try Place()
        let withPassword = "postgresql://outpost:hunter2-secret@localhost/whatever"
        let refused = try place.outpost(["node", "init", place.node, "--store", withPassword])
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("OUTPOST_NODE_STORE") && refused.stderr.contains("~/.pgpass") && refused.stderr.contains("PGPASSFILE"))
        #expect(!refused.stderr.contains("hunter2") && !refused.stdout.contains("hunter2"))
        #expect(!FileManager.default.fileExists(atPath: place.node))
        // The same in key=value form.
        let keywords = try place.outpost(["node", "init", place.node, "--store", place.store + " password=hunter2-secret"])
        #expect(keywords.status == 64)
        #expect(!keywords.stderr.contains("hunter2"))
        // --store and OUTPOST_NODE_STORE naming different stores: refused, nothing written.
        let differ = try place.outpost(["node", "init", place.node, "--store", place.store], ["OUTPOST_NODE_STORE": place.store + " application_name=other"])
        #expect(differ.status == 64, "\(differ.stderr)")
        #expect(differ.stderr.contains("differ"))
        #expect(!FileManager.default.fileExists(atPath: place.node))
    }

    @Test func initWritesTheStoreFileAndASecondMachineServesTheSameNode() throws {
        let place = try Place()
        // From the environment, the password may be there: it lands in DIR/store (0600) and in no output.
        let created = try place.require(["node", "init", place.node], ["OUTPOST_NODE_STORE": place.store])
        #expect(created.stdout.contains("Created node on postgresql://"))
        #expect(try String(contentsOfFile: place.dir.path("node/store"), encoding: .utf8) == place.store + "\n")
        #expect(try place.mode(place.dir.path("node/store")) == 0o600)
        #expect(try place.mode(place.node) == 0o700)
        #expect(!FileManager.default.fileExists(atPath: place.dir.path("node/node.sqlite")))
        try place.require(["node", "reseller", "add", "acme", "--name", "Acme Cloud", "--node", place.node])

        // A second machine: without --existing refused, and told to add it; with it, only DIR/store is written.
        let again = try place.outpost(["node", "init", place.dir.path("second"), "--store", place.store])
        #expect(again.status == 73)
        #expect(again.stderr.contains("already holds a node") && again.stderr.contains("--existing"))
        #expect(!FileManager.default.fileExists(atPath: place.dir.path("second/store")))
        try place.require(["node", "init", place.dir.path("second"), "--store", place.store, "--existing"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: place.dir.path("second")) == ["store"])
        let list = try place.require(["node", "reseller", "list", "--node", place.dir.path("second"), "--json"])
        #expect(list.stdout.contains("\"id\":\"acme\"") || list.stdout.contains("\"id\" : \"acme\""))

        // --existing on a database without a node: refused, nothing written.
        let empty = try NodeStoreCommandTests.freshDatabase(on: try #require(PostgresCluster.shared))
        let none = try place.outpost(["node", "init", place.dir.path("third"), "--store", empty, "--existing"])
        #expect(none.status == 78, "\(none.stderr)")
        #expect(!FileManager.default.fileExists(atPath: place.dir.path("third/store")))
    }

    @Test func everyNodeCommandWorksOnPostgres() throws {
        let place = try Place()
        try place.makeNode()
        let node = place.node
        // Catalog: a plan added and edited.
        try place.require(["node", "plan", "add", "pln_test-seat", "--name", "Test seat", "--vendor", "Test", "--cost", "2.00", "--node", node])
        try place.require(["node", "plan", "edit", "pln_test-seat", "--cost", "2.50", "--node", node])
        // Tokens: listed, a second one revoked.
        let second = try place.require(["node", "token", "issue", "--reseller", "acme", "--user", "bert", "--node", node])
        let secondId = try #require(second.stderr.split(separator: " ").first { $0.hasPrefix("tok_") }.map(String.init))
        try place.require(["node", "token", "revoke", secondId, "--node", node])
        let tokens = try place.require(["node", "token", "list", "--reseller", "acme", "--node", node])
        #expect(tokens.stdout.contains("anna") && tokens.stdout.contains("revoked"))

        // A replica over HTTP: a customer, two orders; one provisioned, one failed by its hook and resubmitted.
        let serve = try Serve([node, "--listen", "127.0.0.1:0", "--store-connections", "2"], place: place)
        defer { serve.stop() }
        let url = serve.url
        try place.require(["init", "--node", url, "--reseller", "acme", "--token-file", place.dir.path("token")])
        try place.require(["sync", "--no-site", "--quiet"])
        let added = try place.require(["customer", "add", "--name", "Zürich Dental AG", "--email", "it@zuerich-dental.example", "--json"])
        let customer = try #require(try JSONValue(parsing: added.stdout)["id"]?.stringValue)
        try place.require(["settings", "set", "--email", "billing@acme.example"])
        try place.require(["order", "place", "--customer", customer, "--plan", "pln_test-seat", "--quantity", "3"])
        try place.require(["sync", "--no-site", "--quiet"])
        let failed = try place.outpost(["node", "provision", node, "--hook", "cat >/dev/null; exit 3"])
        #expect(failed.status == 1, "\(failed.stderr)")
        let resubmitted = try place.require(["node", "order", "resubmit", "ORD-000001", "--node", node])
        #expect(resubmitted.stdout.contains("Resubmitted"))
        let provisioned = try place.require(["node", "provision", node, "--builtin"])
        #expect(provisioned.stdout.contains("1 completed, 0 failed"))
        let billed = try place.require(["node", "bill", node, "--through", "2026-04-05"], at: "2026-04-01T06:00:00Z")
        #expect(billed.stdout.contains("1 renewed"))
        try FileManager.default.createDirectory(atPath: place.dir.path("outbox"), withIntermediateDirectories: false)
        let notified = try place.require(["node", "notify", node, "--outbox", place.dir.path("outbox")], at: "2026-04-01T06:00:00Z")
        #expect(notified.status == 0)
        // Invoices corrected on the node: the renewal's credited, the first voided.
        let credited = try place.require(["node", "invoice", "credit", "INV-000002", "--reason", "goodwill", "--amount", "1.00", "--node", node])
        #expect(credited.stdout.contains("Credit note CRN-"))
        let voided = try place.require(["node", "invoice", "void", "INV-000001", "--reason", "issued twice", "--node", node])
        #expect(voided.stdout.contains("is void"))
        let compacted = try place.require(["node", "compact", node])
        #expect(compacted.stdout.contains("acme: removed"))
        try place.require(["sync", "--no-site", "--quiet"])
        let verify = try place.outpost(["verify"])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(try place.require(["invoice", "list"]).stdout.contains("INV-000002"))

        // Status names the store, never its password, and counts what happened.
        let status = try place.require(["node", "status", node, "--json"])
        #expect(status.stdout.contains("\"acme\""))
        let text = try place.require(["node", "status", node])
        #expect(text.stdout.contains("Store: PostgreSQL postgresql://"))
        #expect(!text.stderr.contains("readable by others"))

        // node exchange (the far end of ssh://) speaks to the same database: a digest through stdin/stdout.
        let exchange = try place.outpost(["node", "exchange", node])
        #expect(exchange.status == 0, "\(exchange.stderr)")
    }

    @Test func backupAndRestoreOnPostgresSayWhatToUseInstead() throws {
        let place = try Place()
        try place.makeNode()
        let backup = try place.outpost(["node", "backup", place.node, "--to", place.dir.path("node.backup")])
        #expect(backup.status == 69)
        #expect(backup.stderr.contains("pg_dump") && backup.stderr.contains("pg_restore") && backup.stderr.contains("WAL"))
        #expect(!FileManager.default.fileExists(atPath: place.dir.path("node.backup")))
        // Restoring over the PostgreSQL node's directory, or with OUTPOST_NODE_STORE set: refused alike.
        try place.require(["node", "init", place.dir.path("lite")])
        try place.require(["node", "backup", place.dir.path("lite"), "--to", place.dir.path("lite.backup")])
        let over = try place.outpost(["node", "restore", place.dir.path("lite.backup"), "--to", place.node])
        #expect(over.status == 69)
        #expect(over.stderr.contains("pg_restore"))
        let intoStore = try place.outpost(["node", "restore", place.dir.path("lite.backup"), "--to", place.dir.path("restored")],
                                          ["OUTPOST_NODE_STORE": place.store])
        #expect(intoStore.status == 69)
        #expect(!FileManager.default.fileExists(atPath: place.dir.path("restored")))
        #expect(try place.outpost(["node", "backup", "--help"]).stdout.contains("pg_dump"))
    }

    @Test(arguments: [true, false])
    func twoCopiesOfProvisionNeverRunAtOnce(onPostgres: Bool) throws {
        let place = try Place()
        try place.makeNode(onPostgres: onPostgres)
        // On PostgreSQL a second directory serving the same node: the lock is the database's, not a machine's.
        var second = place.node
        if onPostgres {
            second = place.dir.path("second")
            try place.require(["node", "init", second, "--store", place.store, "--existing"])
        }
        try place.require(["init", "--node", place.node, "--reseller", "acme", "--token-file", place.dir.path("token")])
        try place.require(["sync", "--no-site", "--quiet"])
        let added = try place.require(["customer", "add", "--name", "Contoso", "--json"])
        let customer = try #require(try JSONValue(parsing: added.stdout)["id"]?.stringValue)
        try place.require(["order", "place", "--customer", customer, "--plan", "pln_m365-business-basic-m", "--quantity", "2"])
        try place.require(["sync", "--no-site", "--quiet"])
        // The first run's hook says it has started, then waits for the test to let it finish.
        let started = place.dir.path("started"), release = place.dir.path("release")
        let hook = "cat >/dev/null; touch \(started); while [ ! -e \(release) ]; do sleep 0.1; done; echo '{\"status\": \"completed\"}'"
        let first = try OutpostBinary.start(["node", "provision", place.node, "--hook", hook], environment: ["OUTPOST_NOW": NodeStoreCommandTests.now],
                                            in: place.dir.url)
        var waited = 0
        while !FileManager.default.fileExists(atPath: started) && waited < 600 { usleep(100_000); waited += 1 }
        #expect(FileManager.default.fileExists(atPath: started), "the first provision's hook never ran")
        let refused = try place.outpost(["node", "provision", second, "--builtin"])
        #expect(refused.status == 75)
        #expect(refused.stderr.contains("another outpost node provision is running"))
        let notify = try place.outpost(["node", "notify", second, "--outbox", place.dir.path(".")])
        #expect(notify.status == 0, "another job is not held back by provision's lock: \(notify.stderr)")
        #expect(FileManager.default.createFile(atPath: release, contents: Data()))
        let done = first.wait(timeLimit: 120)
        #expect(done.status == 0, "\(done.stderr)")
        #expect(done.stdout.contains("1 completed, 0 failed"))
        // Once it finished, the next run goes ahead.
        #expect(try place.outpost(["node", "provision", second, "--builtin"]).status == 0)
    }

    @Test func postgresRestartedUnderServeFailsTheSyncInFlightAndTheRetrySucceeds() throws {
        let cluster: PostgresCluster
        switch PostgresCluster.startPrivate() {
        case .success(let started): cluster = started
        case .failure(let reason):
            Issue.record("a private PostgreSQL cluster could not be started: \(reason)")
            return
        }
        defer { cluster.stop() }
        let place = try Place(cluster: cluster)
        try place.makeNode()
        let serve = try Serve([place.node, "--listen", "127.0.0.1:0"], place: place)
        defer { serve.stop() }
        let url = serve.url
        try place.require(["init", "--node", url, "--reseller", "acme", "--token-file", place.dir.path("token")])
        try place.require(["sync", "--no-site", "--quiet"])
        try place.require(["customer", "add", "--name", "Before the restart"])
        try place.require(["sync", "--no-site", "--quiet"])

        // The database goes away while the replica syncs: the sync fails with 75 and keeps its queue.
        let stopped = cluster.control(["-m", "fast", "-w", "stop"])
        try #require(stopped.status == 0, "\(stopped.output)")
        try place.require(["customer", "add", "--name", "During the restart"])
        let during = try place.outpost(["sync", "--no-site", "--timeout", "4"])
        #expect(during.status == 75, "\(during.stderr)")
        #expect(!during.stderr.contains(place.store))
        #expect(during.stderr.contains("cannot reach its database"), "not \"busy\": \(during.stderr)")
        // What the replica met: 503 with Retry-After, at once rather than a hang.
        let port = try #require(Int(serve.url.split(separator: ":").last?.trimmingCharacters(in: CharacterSet(charactersIn: "/")) ?? ""))
        let token = try String(contentsOfFile: place.dir.path("token"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let connection = try RawConnection(port: port)
        try connection.send(ServedNode.post("/v1/pull", body: ServedNode.pullBody(), token: token))
        let answer = try connection.readResponse(timeout: 20)
        #expect(answer.status == 503, "\(answer.text)")
        #expect(answer.headers["retry-after"] == "1")

        // The database is back: the same serve process reconnects, and the retry succeeds.
        let restarted = cluster.restart()
        try #require(restarted.status == 0, "\(restarted.output)")
        let retry = try place.outpost(["sync", "--no-site", "--timeout", "60"])
        #expect(retry.status == 0, "\(retry.stderr)")
        let verify = try place.outpost(["verify"])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(serve.process.isRunning, "node serve must not have exited")
        let customers = try place.require(["customer", "list"]).stdout
        #expect(customers.contains("Before the restart") && customers.contains("During the restart"))
    }

    /// `node serve` started with its standard error in a file of the test's directory, which it reads for the URL.
    final class Serve: @unchecked Sendable {
        // @unchecked: used from the test's thread only.
        let process: Process
        let log: String
        private(set) var url = ""

        init(_ arguments: [String], place: Place) throws {
            log = place.dir.path("serve-\(UUID().uuidString).log")
            close(open(log, O_WRONLY | O_CREAT | O_TRUNC, 0o644))
            process = Process()
            guard let binary = OutpostBinary.url else { throw OutpostBinary.NotBuilt() }
            process.executableURL = binary
            process.arguments = ["node", "serve"] + arguments
            process.environment = OutpostBinary.environment(["OUTPOST_NOW": NodeStoreCommandTests.now])
            process.currentDirectoryURL = place.dir.url
            process.standardOutput = FileHandle.nullDevice
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            process.standardInput = FileHandle.nullDevice
            try ProcessLauncher.run(process)
            for _ in 0..<600 {
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                if let line = text.split(separator: "\n").first(where: { $0.contains("Listening on ") }), let range = line.range(of: "http://") {
                    url = String(line[range.lowerBound...]).trimmingCharacters(in: .whitespaces)
                    return
                }
                guard process.isRunning else { break }
                usleep(100_000)
            }
            stop()
            throw ServeFailed(output: (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
        }

        func stop() {
            if process.isRunning { kill(process.processIdentifier, SIGTERM) }
            let deadline = Date().addingTimeInterval(30)
            while process.isRunning, Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
    }

    struct ServeFailed: Error, CustomStringConvertible {
        let output: String
        var description: String { "node serve did not start listening: \(output)" }
    }
}
