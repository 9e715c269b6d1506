import Foundation
import OutpostModel
import OutpostSystem

/// A provisioner that runs an operator's command for each order — the integration point for a real vendor API.
///
/// The command runs as `/bin/sh -c COMMAND` with the order as JSON on stdin
/// (`ProvisioningRequest.json`, with an `idempotency_key` that stays the same
/// for the order across resubmits: the vendor call must honour it) and
/// `OUTPOST_RESELLER`, `OUTPOST_ORDER_ID`, `OUTPOST_ORDER_NUMBER` and
/// `OUTPOST_IDEMPOTENCY_KEY` in its environment. It answers with its exit status
/// and one JSON object on stdout:
///
/// - exit 0 and `{"status": "completed"}`, optionally with `license_key`,
///   `expires_on`, `issued_on`, `registered_on` (`YYYY-MM-DD`): completed;
/// - `{"status": "failed", "reason": "…"}`, or any non-zero exit: failed, with
///   the reason (or the last line of stderr) shown on the order and the last
///   lines of stderr kept in the operations log;
/// - no answer within the time limit: the hook's process group is killed and the order fails.
public struct HookProvisioner: Provisioner {
    public static let defaultTimeLimit: TimeInterval = 60

    public let command: String
    public let timeLimit: TimeInterval
    /// The environment the hook inherits (the node's own, by default).
    public let environment: [String: String]

    public init(command: String, timeLimit: TimeInterval = Self.defaultTimeLimit,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.command = command
        self.timeLimit = timeLimit
        self.environment = environment
    }

    public func provision(_ request: ProvisioningRequest) -> ProvisioningAnswer {
        var environment = self.environment
        environment["OUTPOST_RESELLER"] = request.resellerId
        environment["OUTPOST_ORDER_ID"] = request.order.id
        environment["OUTPOST_ORDER_NUMBER"] = request.order.number ?? ""
        environment["OUTPOST_IDEMPOTENCY_KEY"] = request.idempotencyKey
        let process = HookProcess(command: command, environment: environment, timeLimit: timeLimit)
        let result: HookProcess.Result
        do {
            result = try process.run(input: request.json.serialized + "\n")
        } catch {
            return .failed(reason: "hook could not run: \(error)")
        }
        let answer = Self.answer(from: result, timeLimit: timeLimit)
        // The reason is one line; the operations log keeps the end of what the hook said on stderr as well.
        if case .failed(let reason, _) = answer { return .failed(reason: reason, errorOutput: OperationLog.errorTail(result.stderr)) }
        return answer
    }

    /// Reads the hook's exit status and stdout as an answer.
    static func answer(from result: HookProcess.Result, timeLimit: TimeInterval) -> ProvisioningAnswer {
        let output = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let parsed = output.isEmpty ? nil : try? JSONValue(parsing: output)
        let object = parsed?.objectValue
        let reason = object?["reason"]?.stringValue.map(Self.clipped).flatMap { $0.isEmpty ? nil : $0 }
        switch result.termination {
        case .timedOut:
            return .failed(reason: "hook did not answer within \(Self.seconds(timeLimit)) and was killed")
        case .signalled(let signal):
            return .failed(reason: reason ?? "hook was killed by signal \(signal)")
        case .exited(let status) where status != 0:
            return .failed(reason: reason ?? lastLine(result.stderr).map { "hook exited with status \(status): \($0)" }
                ?? "hook exited with status \(status)")
        case .exited:
            break
        }
        guard !output.isEmpty else { return .failed(reason: "hook exited with status 0 but printed no answer; expected {\"status\": \"completed\"}") }
        guard let object else {
            return .failed(reason: "hook answer is not a JSON object: \(clipped(output))")
        }
        switch object["status"]?.stringValue {
        case "completed":
            var details = ProvisioningDetails()
            if let value = object["license_key"], value != .null {
                guard let key = value.stringValue?.trimmingCharacters(in: .whitespaces), !key.isEmpty, key.count <= 200 else {
                    return .failed(reason: "hook answer: license_key must be a non-empty text of at most 200 characters")
                }
                details.licenseKey = key
            }
            let dates: [(String, WritableKeyPath<ProvisioningDetails, BusinessDate?>)] = [
                ("expires_on", \.expiresOn), ("issued_on", \.issuedOn), ("registered_on", \.registeredOn),
            ]
            for (field, path) in dates {
                guard let value = object[field], value != .null else { continue }
                guard let text = value.stringValue, let date = BusinessDate(text) else {
                    return .failed(reason: "hook answer: \(field) must be a date like 2027-01-31")
                }
                details[keyPath: path] = date
            }
            return .completed(details)
        case "failed":
            return .failed(reason: reason ?? "hook reported failure without a reason")
        default:
            return .failed(reason: "hook answer needs \"status\": \"completed\" or \"failed\", got \(clipped(output))")
        }
    }

    private static func lastLine(_ text: String) -> String? {
        text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.last { !$0.isEmpty }.map(clipped)
    }

    /// Reasons are shown in tables and pages: one line, bounded.
    private static func clipped(_ text: String) -> String {
        let line = text.split(whereSeparator: \.isNewline).joined(separator: " ").trimmingCharacters(in: .whitespaces)
        return line.count > 300 ? String(line.prefix(300)) + "…" : line
    }

    private static func seconds(_ interval: TimeInterval) -> String {
        interval == interval.rounded() ? "\(Int(interval)) s" : "\(interval) s"
    }
}
