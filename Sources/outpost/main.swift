import Foundation
import OutpostCLI

// A peer that goes away (ssh, an HTTP client, a closed stdout) must surface as
// an error where it is written, not kill the process.
signal(SIGPIPE, SIG_IGN)

// Stopping signals arrive whatever mask the parent left blocked (a test runner, some supervisors):
// a sync stopped with SIGTERM or Ctrl-C must stop, and stop its publish command with it.
var stopping = sigset_t()
sigemptyset(&stopping)
for number in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&stopping, number) }
pthread_sigmask(SIG_UNBLOCK, &stopping, nil)

let session: Session
do {
    session = try Session.process()
} catch {
    FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
    exit(ExitCode.config.rawValue)
}
exit(Outpost.run(Array(CommandLine.arguments.dropFirst()), session: session))
