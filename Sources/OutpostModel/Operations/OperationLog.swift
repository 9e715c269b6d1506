/// The node's log of its back-office runs (Operations), as every replica receives it: what provisioning,
/// the billing run, notices and login imports did, run by run and order by order.
///
/// The node writes it (`OperationRecorder` in the sync module) in the transaction of the work each entry
/// records; replicas only read it (`OperationRun.recent`, the Operations page).
public enum OperationLog {
    /// Runs kept whatever their age: the newest this many.
    public static let keptRuns = 500
    /// Runs kept whatever their number: those started in the last this many days.
    public static let keptDays = 90
    /// At most this many last lines of a hook's standard error are kept with its failure…
    public static let errorOutputLines = 20
    /// …and at most this many bytes of them: the log is replicated to every laptop.
    public static let errorOutputBytes = 2048

    /// The back-office job a run was.
    public enum Kind: String, CaseIterable, Sendable, Codable {
        /// `outpost node provision` (and `node resubmit`).
        case provision
        /// `outpost node bill`, the renewal run.
        case bill
        /// `outpost node notify`.
        case notify
        /// `outpost node logins import`.
        case loginsImport = "logins_import"

        /// What people call the job.
        public var title: String {
            switch self {
            case .provision: return "Provisioning"
            case .bill: return "Billing run"
            case .notify: return "Notices"
            case .loginsImport: return "Login import"
            }
        }

        /// Reads a kind as a user types it: `provision`, `bill`, `notify`, `logins` (or `logins_import`).
        public init?(typed text: String) {
            let word = text.lowercased()
            if word == "logins" { self = .loginsImport } else if let kind = Kind(rawValue: word) { self = kind } else { return nil }
        }
    }

    /// What a run did with one order, subscription, notice or import.
    public enum Outcome: String, CaseIterable, Sendable, Codable {
        /// Provisioned, renewed, ended or imported.
        case completed
        /// Tried and not done (a hook's failure, an answer the node could not apply); can be resubmitted.
        case failed
        /// Not tried: the node would not complete the order as things stand.
        case refused
        /// Put back in the provisioning queue (`node resubmit`).
        case retried
        /// A notice handed over and recorded.
        case sent
        /// A notice that could not go out as things are (the customer has no usable e-mail).
        case skipped
    }

    /// The end of a command's standard error as the log keeps it: its last `errorOutputLines` lines and at most
    /// `errorOutputBytes` bytes, cut at a character boundary; trailing blank lines dropped. Control characters
    /// but tabs go (a terminal's escapes in a page, a replica or a terminal are trouble, and XML forbids most).
    public static func errorTail(_ text: String) -> String {
        let printable = String(String.UnicodeScalarView(text.unicodeScalars.filter { scalar in
            scalar == "\n" || scalar == "\t" || !(scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value))
        }))
        var lines = printable.split(separator: "\n", omittingEmptySubsequences: false)
        while let last = lines.last, last.allSatisfy(\.isWhitespace) { lines.removeLast() }
        var tail = lines.suffix(errorOutputLines).map(redacted).joined(separator: "\n")
        while tail.utf8.count > errorOutputBytes {
            // Drop whole characters from the front until it fits.
            tail = String(tail.dropFirst(max(1, (tail.utf8.count - errorOutputBytes) / 4)))
        }
        return tail
    }

    /// Words after which a command's output usually carries a credential (`Authorization: Bearer …`,
    /// `api_key=…`, `curl -v`'s headers): the rest of such a line is replaced, because the log is replicated
    /// to every laptop and rendered on the published dashboards. A heuristic, not a promise: the README asks
    /// hooks never to print secrets.
    static let credentialWords = ["authorization", "bearer", "password", "passwd", "secret", "token", "api_key", "api-key", "apikey"]

    /// `line` with everything after its first credential word replaced by `[redacted]`.
    static func redacted(_ line: Substring) -> String {
        let hits = credentialWords.compactMap { line.range(of: $0, options: .caseInsensitive) }
        guard let first = hits.min(by: { $0.lowerBound < $1.lowerBound }) else { return String(line) }
        return line[..<first.upperBound] + " [redacted]"
    }
}
