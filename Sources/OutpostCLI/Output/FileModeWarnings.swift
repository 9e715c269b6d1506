import OutpostModel
import OutpostSystem

/// The warning `status` and `node status` give about Outpost's own files that other users may read or
/// write: Outpost creates them for their owner alone, but an older version, a copy or a `chmod` may have
/// opened them since.
enum FileModeWarnings {
    /// The warning for those of `paths` open to others (none when all are private): each file with its
    /// mode, then the one command that closes them all.
    static func lines(for paths: [String]) -> [String] {
        let open = LocalFiles.openToOthers(paths)
        guard !open.isEmpty else { return [] }
        return ["Warning: \(open.count) file(s) holding the reseller's data or secrets are open to other users:"]
            + open.map { "  \($0.path) (mode \(String($0.mode, radix: 8)))" }
            + ["Make them private with: chmod go-rwx " + open.map { "'\($0.path)'" }.joined(separator: " ")]
    }

    /// Prints the warning for `paths` on standard error (so `--json` output stays one document).
    static func print(for paths: [String], to session: Session) {
        for line in lines(for: paths) { session.printError(line) }
    }
}
