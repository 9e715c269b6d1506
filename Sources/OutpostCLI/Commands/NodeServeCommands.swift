import Foundation
import OutpostModel
import OutpostSync
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `node serve`: the node over HTTP, for `http://` replicas (and `https://` behind a TLS proxy).
enum NodeServeCommands {
    static let all: [CommandSpec] = [serve]

    static let serve = CommandSpec(
        ["node", "serve"], "serve the node over HTTP/1.1 until SIGTERM or SIGINT (put a TLS proxy in front for https://)",
        arguments: [.init("DIR", optional: true, "the node directory (or --node DIR, or $OUTPOST_NODE, as for every node command)")],
        options: [
            NodeCommands.nodeOption,
            .init("listen", value: "HOST:PORT", "the address to listen on (default 127.0.0.1:8740; port 0 picks a free port)"),
            .init("read-timeout", value: "SECONDS", "how long a client may take to send a request's head, and to send more of its body (default 10)"),
            .init("request-timeout", value: "SECONDS", "how long a client may take to send a whole request, head and body (default 60)"),
            .init("idle-timeout", value: "SECONDS", "how long an idle keep-alive connection stays open (default 30)"),
            .init("max-connections", value: "N", "connections served at once; more are answered 503 at once (default 1024)"),
            .init("max-connections-per-peer", value: "N", "connections served at once from one client address (default 64; trusted proxies are not limited)"),
            .init("max-requests-per-reseller", value: "N", "one reseller's requests in the node at once; more are answered 503 (default 32)"),
            .init("body-memory", value: "MIB", "request bodies held in memory at once, all clients together; more waits with 503 (default 64)"),
            .init("trusted-proxy", value: "ADDR,…", "proxies whose X-Forwarded-For names the client (numeric addresses, such as 127.0.0.1)"),
            .init("metrics-listen", value: "HOST:PORT", "serve GET /metrics on this address only, not on --listen"),
            .init("store-connections", value: "N", "on a PostgreSQL node: database connections exchanges share (default 8; one more checks tokens)"),
            .init("statement-timeout", value: "SECONDS", "on a PostgreSQL node: end a statement that runs longer, answering 503 (default 30)"),
            LogFormat.option,
        ],
        discussion: """
            Routes: POST /v1/push, /v1/pull, /v1/digest and /v1/account with 'Authorization: Bearer TOKEN' (the token decides
            the reseller); GET /health; GET /metrics in the Prometheus text format (on --metrics-listen instead, when given).

            Prints 'Listening on http://HOST:PORT/' to standard error once bound, then one line per request:
            method, path, status, bytes, ms, run id (X-Outpost-Run), reseller, peer. Tokens are never logged.
            With --log-format json every line is a JSON object with those fields plus time, level and event
            (node.listening with the url, http.request, node.stopping, node.stopped).
            Behind a proxy, name it with --trusted-proxy: the peer logged is then the client its X-Forwarded-For
            names, and the proxy is not held to --max-connections-per-peer; the header is ignored from anyone else.

            Requests are limited to 16 KiB of headers and 16 MiB of body. The token is checked on the head: a request
            without a valid one is answered 401 and its body never read. A client that trickles a request is cut off
            with 408 after --request-timeout. When the node is full (--max-connections, --max-connections-per-peer,
            --body-memory, --max-requests-per-reseller) it answers 503 with Retry-After at once, and replicas try again.
            Different resellers' exchanges run side by side; one reseller's run one at a time, in order. SIGTERM or SIGINT stops
            accepting, finishes the requests in flight and exits 0.

            On a PostgreSQL node (node init --store) exchanges share --store-connections connections, whichever reseller they
            are for, plus one that checks tokens and one that watches for other processes' changes: keep the sum over all node processes
            below the server's max_connections.
            A request that finds no connection free within 5 seconds, or a database that cannot be reached (connect_timeout
            5 s unless the connection string says otherwise) or runs a statement past --statement-timeout, is answered 503
            with Retry-After. After the database restarts or fails over, each connection reconnects at its next use; the
            syncs in flight fail (the replica exits 75 and succeeds when it tries again). Several node serve processes, on one
            machine or several, may serve one PostgreSQL node behind a load balancer. What a process keeps for itself (the
            tokens it checked, each reseller's head and digests, to answer a sync with nothing to do without asking the
            database) it checks every 0.2 s against every reseller's published head and the revoked tokens, forgets
            what moved (a token revoke is also notified, and forgotten at once), and keeps nothing while those checks fail.
            """,
        usesReplica: false,
        run: { invocation, session in
            let directory = try NodeCommands.nodeDirectory(invocation, session)
            var address = ListenAddress.default
            if let text = invocation.value("listen") {
                do {
                    address = try ListenAddress.parse(text)
                } catch {
                    throw CommandFailure(.dataError, "--listen: \(error)")
                }
            }
            var metricsAddress: ListenAddress?
            if let text = invocation.value("metrics-listen") {
                do {
                    metricsAddress = try ListenAddress.parse(text)
                } catch {
                    throw CommandFailure(.dataError, "--metrics-listen: \(error)")
                }
            }
            var configuration = HTTPServer.Configuration(address: address)
            configuration.readTimeout = try seconds(invocation, "read-timeout", default: configuration.readTimeout)
            configuration.requestTimeout = try seconds(invocation, "request-timeout", default: configuration.requestTimeout)
            configuration.idleTimeout = try seconds(invocation, "idle-timeout", default: configuration.idleTimeout)
            configuration.maximumConnections = try count(invocation, "max-connections", default: configuration.maximumConnections)
            configuration.maximumConnectionsPerPeer = try count(invocation, "max-connections-per-peer",
                                                                default: configuration.maximumConnectionsPerPeer)
            let bodyMemory = try count(invocation, "body-memory", default: configuration.maximumBufferedBodyBytes / (1024 * 1024))
            guard bodyMemory * 1024 * 1024 >= configuration.maximumBodyBytes else {
                throw CommandFailure(.dataError, "--body-memory \(bodyMemory) is less than one request body may be (\(configuration.maximumBodyBytes / (1024 * 1024)) MiB)")
            }
            configuration.maximumBufferedBodyBytes = bodyMemory * 1024 * 1024
            if let text = invocation.value("trusted-proxy") {
                do {
                    configuration.trustedProxies = try TrustedProxies.parse(text)
                } catch {
                    throw CommandFailure(.dataError, "--trusted-proxy: \(error)")
                }
            }
            let log = RequestLog(format: try LogFormat.chosen(invocation), clock: session.clock)
            let storeConnections = try count(invocation, "store-connections", default: NodeQueue.defaultStoreConnections)
            let statementTimeout = try seconds(invocation, "statement-timeout", default: NodeQueue.defaultStatementTimeout)
            let node: Node
            do {
                node = try Node.open(directory, clock: session.clock)
            } catch let error as Node.OpenError {
                throw CommandFailure(.config, error.description)
            }

            let perReseller = try count(invocation, "max-requests-per-reseller", default: NodeQueue.defaultMaximumRequestsPerReseller)
            let queue = NodeQueue(node: node, maximumRequestsPerReseller: perReseller,
                                  storeConnections: storeConnections, statementTimeout: statementTimeout)
            let service = NodeHTTPService(node: queue, log: log, servesMetrics: metricsAddress == nil)
            let server = HTTPServer(configuration: configuration, responder: service)
            let metricsServer = metricsAddress.map { address in
                HTTPServer(configuration: .init(address: address, maximumConnections: 16, maximumConnectionsPerPeer: 16),
                           responder: MetricsHTTPService(metrics: service.metrics, log: log))
            }
            let servers = [server] + (metricsServer.map { [$0] } ?? [])
            // Each connection holds a descriptor: let the node use as many as its hard limit allows.
            HTTPServer.raiseDescriptorLimit()
            // Signals become events on a queue of their own (the main thread waits below), so the handler
            // may do anything, not just what is async-signal-safe.
            let signals = DispatchQueue(label: "outpost.node.signals")
            let sources = [SIGTERM, SIGINT].map { number in
                _ = signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: signals)
                source.setEventHandler {
                    let name = number == SIGTERM ? "SIGTERM" : "SIGINT"
                    log.notice("node.stopping", "Stopping (\(name)): finishing requests in flight.", [("signal", .string(name))])
                    servers.forEach { $0.stop() }
                }
                source.resume()
                return source
            }
            defer { sources.forEach { $0.cancel() } }

            let bound: ListenAddress
            do {
                bound = try server.start()
                if let metricsServer {
                    let metricsBound = try metricsServer.start()
                    log.notice("node.metrics", "Metrics on \(metricsBound.url)metrics", [("url", .string(metricsBound.url + "metrics"))])
                }
            } catch {
                servers.forEach { $0.stop() }
                throw CommandFailure(.tempFail, "\(error)")
            }
            log.notice("node.listening", "Listening on \(bound.url)", [("url", .string(bound.url))])
            // Requests in flight get their request and write timeouts to finish, and a little more.
            let drainTimeout = configuration.requestTimeout + configuration.writeTimeout + 5
            var drained = server.waitUntilStopped(drainTimeout: drainTimeout)
            if let metricsServer { drained = metricsServer.waitUntilStopped(drainTimeout: 5) && drained }
            log.notice("node.stopped", drained ? "Stopped." : "Stopped with connections still open after the drain timeout.",
                       level: drained ? "info" : "warning", [("drained", .bool(drained))])
        })

    /// A positive number of seconds (decimals allowed).
    static func seconds(_ invocation: Invocation, _ option: String, default value: Double) throws -> Double {
        guard let text = invocation.value(option) else { return value }
        guard let seconds = Double(text), seconds.isFinite, seconds > 0, seconds <= 86_400 else {
            throw CommandFailure(.dataError, "--\(option) '\(text)' is not a number of seconds (such as 10 or 0.5)")
        }
        return seconds
    }

    /// A positive whole number.
    static func count(_ invocation: Invocation, _ option: String, default value: Int) throws -> Int {
        guard let text = invocation.value(option) else { return value }
        let count = try OptionValue.integer(text, option: option)
        guard count > 0 else { throw CommandFailure(.dataError, "--\(option) '\(text)' must be at least 1") }
        return count
    }
}
