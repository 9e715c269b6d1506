import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A throwaway PostgreSQL cluster for the tests and outpost-bench: `initdb` into a temporary directory, started on a Unix
/// socket in that directory (no TCP port, so no clash with anything else on the machine), shared by
/// the whole test process and stopped when it exits.
///
/// PostgreSQL refuses to run as root; when the tests do, the cluster runs as `nobody` (through
/// `setpriv`, or `runuser`) in a directory owned by it. Where PostgreSQL is not installed, or cannot
/// be started, `unavailableReason` says why and the tests that need it skip with that reason.
public final class PostgresCluster: @unchecked Sendable {
    // @unchecked: every property is a constant set in `init`.

    /// The superuser the cluster is made with (`initdb -U`); trusted on its socket.
    public static let user = "outpost"

    /// The cluster's directory: `data/`, the socket, the server's log.
    public let directory: URL
    /// The server's version line (`postgres (PostgreSQL) 15.5 …`).
    public let version: String
    private let binaries: URL
    private let runAs: [String]
    private let fsync: Bool

    /// The cluster of this test process, started on first use; `nil` when it cannot be had.
    public static let shared: PostgresCluster? = {
        switch start() {
        case .success(let cluster):
            return cluster
        case .failure(let reason):
            FileHandle.standardError.write(Data("PostgreSQL tests skipped: \(reason.description)\n".utf8))
            startFailure = reason.description
            return nil
        }
    }()

    /// Why PostgreSQL tests skip here, or `nil` when the cluster is running.
    public static var unavailableReason: String? {
        shared == nil ? (startFailure ?? "PostgreSQL could not be started") : nil
    }

    nonisolated(unsafe) private static var startFailure: String?

    /// A libpq connection string (key=value) for `database` on this cluster's socket.
    public func connectionString(database: String = "postgres", options: String? = nil) -> String {
        var text = "host=\(directory.path) port=5432 user=\(Self.user) dbname=\(database)"
        if let options { text += " options='\(options)'" }
        return text
    }

    /// The cluster could not be had, and why.
    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
    }

    private init(directory: URL, version: String, binaries: URL, runAs: [String], fsync: Bool) {
        self.fsync = fsync
        self.directory = directory
        self.version = version
        self.binaries = binaries
        self.runAs = runAs
    }

    // MARK: Starting and stopping

    /// A cluster of the caller's own, for a test that stops or restarts the server (the shared one serves every
    /// other test meanwhile). The caller stops it with `stop()` at its end; it is also stopped when the process exits.
    /// `fsync: true` keeps commits durable (the benchmarks: a push is acknowledged only once its commit is on disk).
    public static func startPrivate(fsync: Bool = false) -> Result<PostgresCluster, Unavailable> {
        start(fsync: fsync)
    }

    private static func start(fsync: Bool = false) -> Result<PostgresCluster, Unavailable> {
        guard let binaries = findBinaries() else {
            return .failure(Unavailable(description: "initdb and pg_ctl were not found (install Debian's postgresql package)"))
        }
        var runAs: [String] = []
        var owner: (uid: uid_t, gid: gid_t)?
        if geteuid() == 0 {
            // PostgreSQL will not run as root ("root" execution of the PostgreSQL server is not permitted).
            guard let nobody = getpwnam("nobody") else {
                return .failure(Unavailable(description: "the tests run as root and there is no user nobody to run PostgreSQL as"))
            }
            owner = (nobody.pointee.pw_uid, nobody.pointee.pw_gid)
            if let setpriv = executable("setpriv") {
                runAs = [setpriv, "--reuid=\(nobody.pointee.pw_uid)", "--regid=\(nobody.pointee.pw_gid)", "--clear-groups", "--"]
            } else if let runuser = executable("runuser") {
                runAs = [runuser, "-u", "nobody", "--"]
            } else {
                return .failure(Unavailable(description: "the tests run as root and neither setpriv nor runuser is here to run PostgreSQL as nobody"))
            }
        }
        stopAbandonedOnce(binaries: binaries, runAs: runAs)
        var template = Array("/tmp/outpost-pg-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            return .failure(Unavailable(description: "cannot make a temporary directory: \(String(cString: strerror(errno)))"))
        }
        let directory = URL(fileURLWithPath: String(cString: made))
        if let owner {
            guard chown(directory.path, owner.uid, owner.gid) == 0 else {
                return .failure(Unavailable(description: "cannot give \(directory.path) to nobody: \(String(cString: strerror(errno)))"))
            }
        }
        // Which process owns this cluster: a later run stops the server of one whose owner died without
        // its atexit (a test run killed by a timeout or kill -9), instead of leaving it running for good.
        try? String(getpid()).write(to: directory.appendingPathComponent("owner.pid"), atomically: true, encoding: .utf8)
        let versionRun = run([binaries.appendingPathComponent("postgres").path, "--version"], runAs: [], in: directory)
        let cluster = PostgresCluster(directory: directory, version: versionRun.output.trimmingCharacters(in: .whitespacesAndNewlines),
                                      binaries: binaries, runAs: runAs, fsync: fsync)
        let data = directory.appendingPathComponent("data").path
        let initdb = cluster.run(["initdb", "-D", data, "-U", user, "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"])
        guard initdb.status == 0 else {
            try? FileManager.default.removeItem(at: directory)
            return .failure(Unavailable(description: "initdb failed (\(initdb.status)): \(initdb.output.suffix(600))"))
        }
        let options = serverOptions(directory, fsync: fsync)
        let log = directory.appendingPathComponent("server.log").path
        let started = cluster.run(["pg_ctl", "-D", data, "-l", log, "-w", "-t", "120", "-o", options, "start"])
        guard started.status == 0 else {
            let serverLog = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(at: directory)
            return .failure(Unavailable(description: "pg_ctl start failed (\(started.status)): \(started.output.suffix(300)) \(serverLog.suffix(600))"))
        }
        clustersLock.lock()
        running.append(cluster)
        if running.count == 1 { atexit { PostgresCluster.stopAllAtExit() } }
        clustersLock.unlock()
        return .success(cluster)
    }

    nonisolated(unsafe) private static var abandonedChecked = false

    /// Once per process, before its first cluster: stops and removes `/tmp/outpost-pg-*` clusters whose owner
    /// process (`owner.pid`) is gone. Their servers would otherwise hold memory and disk until the machine restarts.
    private static func stopAbandonedOnce(binaries: URL, runAs: [String]) {
        clustersLock.lock()
        defer { clustersLock.unlock() }
        guard !abandonedChecked else { return }
        abandonedChecked = true
        let temporary = URL(fileURLWithPath: "/tmp")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? []
        for name in names where name.hasPrefix("outpost-pg-") {
            let directory = temporary.appendingPathComponent(name)
            guard let text = try? String(contentsOf: directory.appendingPathComponent("owner.pid"), encoding: .utf8),
                  let owner = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)),
                  kill(owner, 0) != 0 && errno == ESRCH else { continue }
            let data = directory.appendingPathComponent("data")
            if FileManager.default.fileExists(atPath: data.appendingPathComponent("postmaster.pid").path) {
                _ = run([binaries.appendingPathComponent("pg_ctl").path, "-D", data.path, "-m", "immediate", "-w", "stop"],
                        runAs: runAs, in: directory)
            }
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// Clusters started by this process and not yet stopped: stopped at exit.
    nonisolated(unsafe) private static var running: [PostgresCluster] = []
    private static let clustersLock = NSLock()

    private static func stopAllAtExit() {
        clustersLock.lock()
        let clusters = running
        clustersLock.unlock()
        clusters.forEach { $0.stop() }
    }

    /// Stops the server at once (nothing in it needs keeping) and removes its directory.
    public func stop() {
        Self.clustersLock.lock()
        Self.running.removeAll { $0 === self }
        Self.clustersLock.unlock()
        _ = run(["pg_ctl", "-D", directory.appendingPathComponent("data").path, "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(at: directory)
    }

    /// Starts the server again after `control(["stop", …])`, with the options it was first started with.
    public func restart() -> (status: Int32, output: String) {
        let data = directory.appendingPathComponent("data").path
        return run(["pg_ctl", "-D", data, "-l", directory.appendingPathComponent("server.log").path, "-w", "-t", "120",
                    "-o", Self.serverOptions(directory, fsync: fsync), "start"])
    }

    /// No TCP (listen_addresses empty): the socket in the cluster's own directory is the only way in.
    /// fsync off unless asked: a throwaway cluster need not survive a power loss, and the shared disk is spared.
    private static func serverOptions(_ directory: URL, fsync: Bool) -> String {
        "-k \(directory.path) -c listen_addresses='' -c fsync=\(fsync ? "on" : "off") -c max_connections=200"
    }

    /// Runs the server's control commands (`pg_ctl stop -m fast`, `restart`…) as the cluster's owner;
    /// for tests of what happens when PostgreSQL goes away. Returns the exit status and output.
    public func control(_ arguments: [String]) -> (status: Int32, output: String) {
        let result = run(["pg_ctl", "-D", directory.appendingPathComponent("data").path] + arguments)
        return (result.status, result.output)
    }

    private func run(_ arguments: [String]) -> (status: Int32, output: String) {
        var command = arguments
        command[0] = binaries.appendingPathComponent(command[0]).path
        return Self.run(command, runAs: runAs, in: directory)
    }

    /// Runs a command to its end, its output in a file; `posix_spawn`, not Foundation's `Process`.
    ///
    /// `pg_ctl start` leaves the server running, and the server keeps every descriptor it inherited.
    /// Foundation's `Process` waits for a socket it gives the child to close, so it would wait for the
    /// server's end; and any descriptor another test had open at that moment would stay open in the
    /// server for the whole run. So the child gets stdin, stdout and stderr only (closefrom 3).
    private static func run(_ command: [String], runAs: [String], in directory: URL) -> (status: Int32, output: String) {
        let full = runAs + command
        let output = directory.appendingPathComponent(".command-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: output) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // glibc 2.34's closefrom and 2.29's chdir actions; Swift's Glibc module does not declare them.
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        typealias ChangeDirectory = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
        if let closeFrom = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") {
            _ = unsafeBitCast(closeFrom, to: CloseFrom.self)(&actions, 3)
        }
        if let changeDirectory = dlsym(nil, "posix_spawn_file_actions_addchdir_np") {
            _ = directory.path.withCString { unsafeBitCast(changeDirectory, to: ChangeDirectory.self)(&actions, $0) }
        }
        let environment = ["PATH=/usr/bin:/bin", "LC_ALL=C", "TZ=UTC"]
        let argv = full.map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, full[0], &actions, nil, argv, envp)
        guard rc == 0 else { return (-1, "cannot run \(full[0]): \(String(cString: strerror(rc)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        // WIFEXITED / WEXITSTATUS are macros: exited normally when the low 7 bits are 0.
        return ((status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f), text)
    }

    /// The directory holding initdb, pg_ctl and postgres: PATH first, then Debian's /usr/lib/postgresql/N/bin (newest).
    private static func findBinaries() -> URL? {
        if let pgCtl = executable("pg_ctl") {
            let directory = URL(fileURLWithPath: pgCtl).resolvingSymlinksInPath().deletingLastPathComponent()
            if FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("initdb").path),
               FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("postgres").path) {
                return directory
            }
        }
        let root = URL(fileURLWithPath: "/usr/lib/postgresql")
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []).compactMap(Int.init).sorted(by: >)
        for version in versions {
            let directory = root.appendingPathComponent("\(version)/bin")
            if FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("pg_ctl").path),
               FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("initdb").path) {
                return directory
            }
        }
        return nil
    }

    private static func executable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
        for directory in path.split(separator: ":") + ["/usr/sbin", "/sbin"] {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
