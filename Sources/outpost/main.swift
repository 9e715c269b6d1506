import Foundation
import OutpostCLI

// A peer that goes away (ssh, an HTTP client, a closed stdout) must surface as
// an error where it is written, not kill the process.
signal(SIGPIPE, SIG_IGN)

let session: Session
do {
    session = try Session.process()
} catch {
    FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
    exit(ExitCode.config.rawValue)
}
exit(Outpost.run(Array(CommandLine.arguments.dropFirst()), session: session))
