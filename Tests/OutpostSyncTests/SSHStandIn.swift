import Foundation
import OutpostTestSupport

/// A local stand-in for `ssh`, for `--ssh-command`: it does what ssh does with its arguments — skips the
/// options, takes the destination, joins the rest with spaces and runs it with `sh -c` (as sshd hands the
/// command to the user's shell) — here, with the built `outpost` first on `PATH`. Each call's arguments are
/// appended to `log`, one line each.
struct SSHStandIn {
    let path: String
    let log: String

    /// `before` runs first in the script (it may print to stderr and `exit 255`, as ssh does when it fails);
    /// `cutsAfterFirstAnswer`: the first call drops the connection after answering one request.
    init(in dir: TemporaryDirectory, name: String = "fake-ssh", before: String = "", cutsAfterFirstAnswer: Bool = false) throws {
        guard let binary = OutpostBinary.url else { throw Missing() }
        let bin = dir.path("ssh-bin")
        if !FileManager.default.fileExists(atPath: bin + "/outpost") {
            try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: bin + "/outpost", withDestinationPath: binary.path)
        }
        path = dir.path(name)
        log = dir.path(name + ".log")
        // The first call of a cutting stand-in passes one request (header line, then `length` bytes) to the
        // remote command, which answers it and sees the end of its input; then the connection drops (255).
        let cut = cutsAfterFirstAnswer ? """
            if [ ! -e "\(path).cut" ]; then
                : > "\(path).cut"
                IFS= read -r header
                length=$(printf '%s' "$header" | sed 's/.*"length":\\([0-9]*\\).*/\\1/')
                { printf '%s\\n' "$header"; head -c "$length"; } | PATH="\(bin):$PATH" sh -c "$*"
                exit 255
            fi
            """ : ""
        try """
        #!/bin/sh
        echo "$@" >> "\(log)"
        \(before)
        while [ $# -gt 0 ]; do
            case "$1" in
                -o|-p|-i|-l) shift 2 ;;
                -*) shift ;;
                *) break ;;
            esac
        done
        shift
        \(cut)
        PATH="\(bin):$PATH" exec sh -c "$*"
        """.write(toFile: path, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
    }

    struct Missing: Error, CustomStringConvertible {
        var description: String { "the outpost executable was not found; run swift build first" }
    }

    /// What the stand-in was called with so far.
    func calls() -> [String] {
        ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }
}
