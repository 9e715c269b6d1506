import Foundation
import Testing
import OutpostTestSupport

/// The test runs' starter of child processes: a start that lost a descriptor to another thread (EBADF) is tried
/// again; other failures are not.
@Suite("Starting child processes")
struct ProcessLauncherTests {
    @Test func aStartThatLostADescriptorIsRecognisedAndOtherFailuresAreNot() {
        // As Foundation reports it: a Cocoa error wrapping the POSIX one (seen in a .ci/run).
        let wrapped = NSError(domain: NSCocoaErrorDomain, code: 256,
                              userInfo: [NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(EBADF))])
        #expect(ProcessLauncher.isClosedDescriptor(wrapped))
        #expect(ProcessLauncher.isClosedDescriptor(NSError(domain: NSPOSIXErrorDomain, code: Int(EBADF))))
        #expect(!ProcessLauncher.isClosedDescriptor(NSError(domain: NSPOSIXErrorDomain, code: Int(ENOENT))))
        #expect(!ProcessLauncher.isClosedDescriptor(NSError(domain: NSCocoaErrorDomain, code: 256)))
    }

    @Test func aProgramStartsAndAMissingOneFailsAtOnce() throws {
        let present = Process()
        present.executableURL = URL(fileURLWithPath: "/bin/sh")
        present.arguments = ["-c", "exit 3"]
        try ProcessLauncher.run(present)
        present.waitUntilExit()
        #expect(present.terminationStatus == 3)

        let missing = Process()
        missing.executableURL = URL(fileURLWithPath: "/nonexistent/outpost-\(UUID().uuidString)")
        #expect(throws: (any Error).self) { try ProcessLauncher.run(missing) }
    }
}
