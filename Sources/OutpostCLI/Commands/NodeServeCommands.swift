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
        arguments: [.init("DIR", "the node directory")],
        options: [
            .init("listen", value: "HOST:PORT", "the address to listen on (default 127.0.0.1:8740; port 0 picks a free port)"),
            .init("read-timeout", value: "SECONDS", "how long a client may take to send a request (default 10)"),
            .init("idle-timeout", value: "SECONDS", "how long an idle keep-alive connection stays open (default 30)"),
            LogFormat.option,
        ],
        discussion: """
            Routes: POST /v1/push, /v1/pull, /v1/digest and /v1/account with 'Authorization: Bearer TOKEN' (the token decides
            the reseller); GET /health; GET /metrics in the Prometheus text format.

            Prints 'Listening on http://HOST:PORT/' to standard error once bound, then one line per request:
            method, path, status, bytes, ms, run id (X-Outpost-Run), reseller, peer. Tokens are never logged.
            With --log-format json every line is a JSON object with those fields plus time, level and event
            (node.listening with the url, http.request, node.stopping, node.stopped).
            Requests are limited to 16 KiB of headers and 16 MiB of body. SIGTERM or SIGINT stops accepting,
            finishes the requests in flight and exits 0.
            """,
        usesReplica: false,
        run: { invocation, session in
            let directory = URL(fileURLWithPath: invocation.argument(0))
            var address = ListenAddress.default
            if let text = invocation.value("listen") {
                do {
                    address = try ListenAddress.parse(text)
                } catch {
                    throw CommandFailure(.dataError, "--listen: \(error)")
                }
            }
            let readTimeout = try seconds(invocation, "read-timeout", default: 10)
            let idleTimeout = try seconds(invocation, "idle-timeout", default: 30)
            let log = RequestLog(format: try LogFormat.chosen(invocation), clock: session.clock)
            let node: Node
            do {
                node = try Node.open(directory, clock: session.clock)
            } catch let error as Node.OpenError {
                throw CommandFailure(.config, error.description)
            }

            let service = NodeHTTPService(node: NodeQueue(node: node), log: log)
            let server = HTTPServer(configuration: .init(address: address, readTimeout: readTimeout, idleTimeout: idleTimeout),
                                    responder: service)
            // Signals become events on a queue of their own (the main thread waits below), so the handler
            // may do anything, not just what is async-signal-safe.
            let signals = DispatchQueue(label: "outpost.node.signals")
            let sources = [SIGTERM, SIGINT].map { number in
                _ = signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: signals)
                source.setEventHandler {
                    let name = number == SIGTERM ? "SIGTERM" : "SIGINT"
                    log.notice("node.stopping", "Stopping (\(name)): finishing requests in flight.", [("signal", .string(name))])
                    server.stop()
                }
                source.resume()
                return source
            }
            defer { sources.forEach { $0.cancel() } }

            let bound: ListenAddress
            do {
                bound = try server.start()
            } catch {
                throw CommandFailure(.tempFail, "\(error)")
            }
            log.notice("node.listening", "Listening on \(bound.url)", [("url", .string(bound.url))])
            // Requests in flight get their read and write timeouts to finish, and a little more.
            let drained = server.waitUntilStopped(drainTimeout: readTimeout + 30 + 5)
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
}
