import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif
import OutpostTestSupport
import OutpostTestThreads

/// A replica on a disk that fills up: every command says the disk is full and exits 74, and once there is
/// room again nothing is lost. The disk is a small tmpfs mounted for the test, which needs root.
@Suite("A full disk", .ownThreads)
struct DiskFullTests {
    /// Why the test cannot mount its tmpfs here; `nil` when it can.
    static let cannotMount: String? = {
        guard getuid() == 0 else { return "mounting a small tmpfs needs root (uid \(getuid()))" }
        guard let probe = try? TemporaryDirectory("outpost-tmpfs-probe") else { return "no temporary directory" }
        let point = probe.path("disk")
        try? FileManager.default.createDirectory(atPath: point, withIntermediateDirectories: true)
        guard run("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", point]) == 0 else { return "mount -t tmpfs failed (no CAP_SYS_ADMIN in this container?)" }
        _ = run("/bin/umount", [point])
        return nil
    }()

    @discardableResult
    static func run(_ program: String, _ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? ProcessLauncher.run(process)) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }

    @Test(.enabled(if: cannotMount == nil, "\(cannotMount ?? "")"), .timeLimit(.minutes(20)))
    func everyCommandSaysTheDiskIsFullAndNothingIsLost() throws {
        let dir = try TemporaryDirectory("outpost-disk-full")
        let disk = dir.path("disk")
        try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
        #expect(Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", disk]) == 0)
        defer { Self.run("/bin/umount", ["-l", disk]) }
        let env = TestNode.environment(dir)
        func outpost(_ arguments: [String]) throws -> OutpostBinary.Result { try OutpostBinary.run(arguments, environment: env, in: dir.url) }
        try TestNode.make(dir, plans: false)
        let replica = disk + "/r"
        #expect(try outpost(["init", "--replica", replica, "--node", dir.path("node"), "--reseller", "acme", "--token-file", dir.path("token")]).status == 0)
        #expect(try outpost(["customer", "add", "--replica", replica, "--name", "Contoso"]).status == 0)

        // Fill the disk to the last block.
        let filler = disk + "/filler"
        Self.run("/bin/dd", ["if=/dev/zero", "of=\(filler)", "bs=4096"])
        var stats = statvfs()
        #expect(statvfs(disk, &stats) == 0 && stats.f_bavail == 0, "the disk is full")

        for command in [["customer", "list"], ["customer", "add", "--name", "Fabrikam"], ["sync", "--no-site"], ["status", "--check"]] {
            let result = try outpost(command + ["--replica", replica])
            #expect(result.status == 74, "\(command): \(result.stderr)")
            #expect(result.stderr.contains("the disk holding \(replica) is full"), "\(command): \(result.stderr)")
            #expect(!result.stderr.contains("PRAGMA"), "no SQL in the message: \(result.stderr)")
        }

        // Room again: everything that was there still is, and work goes on.
        try FileManager.default.removeItem(atPath: filler)
        let listed = try outpost(["customer", "list", "--replica", replica, "--json"])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.contains("Contoso") && !listed.stdout.contains("Fabrikam"))
        #expect(try outpost(["customer", "add", "--replica", replica, "--name", "Fabrikam"]).status == 0)
        #expect(try outpost(["sync", "--replica", replica, "--no-site"]).status == 0)
    }
}
