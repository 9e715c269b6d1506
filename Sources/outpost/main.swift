import Foundation
import OutpostCLI

let session: Session
do {
    session = try Session.process()
} catch {
    FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
    exit(ExitCode.config.rawValue)
}
exit(Outpost.run(Array(CommandLine.arguments.dropFirst()), session: session))
