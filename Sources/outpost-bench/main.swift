import Foundation
import OutpostModel
import OutpostStore
import OutpostSync
#if canImport(Glibc)
import Glibc
#endif

// outpost-bench: the performance scenarios of the issues, one line each.
// Run in release: swift run -c release outpost-bench [scenario…]
// Each scenario runs in its own process so its peak memory is its own.

let scenarios: [String: () throws -> String] = [
    // These four run on SQLite and then on PostgreSQL (OUTPOST_BENCH_POSTGRES, or a throwaway cluster): BenchStore.swift.
    "pull-apply": { PullApplyBenchmark(changes: count("OUTPOST_BENCH_CHANGES", 1_000_000)).run() },
    "push-http": { PushBenchmark(mutations: count("OUTPOST_BENCH_MUTATIONS", 10_000)).run() },
    "noop-sync-http": {
        NoopSyncBenchmark(resellers: count("OUTPOST_BENCH_RESELLERS", 1_000), replicas: count("OUTPOST_BENCH_REPLICAS", 50),
                          syncsPerReplica: count("OUTPOST_BENCH_SYNCS_PER_REPLICA", 20)).run()
    },
    "first-sync-http": { FirstSyncBenchmark(customers: count("OUTPOST_BENCH_RESELLER_CUSTOMERS", 5_000)).run() },
    "site": { try SiteBenchmark(customers: count("OUTPOST_BENCH_CUSTOMERS", 100_000)).run() },
    "push-local": { try LocalPushBenchmark(mutations: count("OUTPOST_BENCH_MUTATIONS", 10_000)).run() },
    "http-hostile": {
        try HostileClientsBenchmark(syncs: count("OUTPOST_BENCH_SYNCS", 20), slowClients: count("OUTPOST_BENCH_SLOW_CLIENTS", 500),
                                    largeBodyClients: count("OUTPOST_BENCH_LARGE_BODIES", 190),
                                    floodClients: count("OUTPOST_BENCH_FLOOD_CLIENTS", 16)).run()
    },
]

func count(_ variable: String, _ fallback: Int) -> Int {
    ProcessInfo.processInfo.environment[variable].flatMap(Int.init) ?? fallback
}

/// Peak resident memory of this process since it started or since `resetPeakMemory()`, in MB (`VmHWM`).
func peakMemoryMB() -> Double {
    Double((try? highWaterKB()) ?? 0) / 1024
}

/// A process's peak resident memory in kB (`VmHWM` in /proc/PROCESS/status): this one's by default.
func highWaterKB(process: String = "self") throws -> Int {
    let status = try String(contentsOfFile: "/proc/\(process)/status", encoding: .utf8)
    guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kB = Int(line.dropFirst("VmHWM:".count).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "") else {
        throw BenchmarkFailure("no VmHWM in /proc/\(process)/status")
    }
    return kB
}

/// Starts the peak over at what is resident now (Linux: writing 5 to /proc/self/clear_refs), so a scenario's second
/// store reports its own peak, not the first store's. Memory freed before is handed back to the system first
/// (`malloc_trim`): glibc keeps freed heap resident, and the PostgreSQL pull after the SQLite one in one run
/// reported 731 MB, the SQLite run's leftovers, where run alone it peaked at 84 MB.
func resetPeakMemory() {
    // malloc_trim is glibc's (malloc.h, which the Glibc module does not bring in): looked up by name.
    typealias Trim = @convention(c) (Int) -> Int32
    if let trim = dlsym(nil, "malloc_trim") { _ = unsafeBitCast(trim, to: Trim.self)(0) }
    try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func scratch(_ name: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("outpost-bench-\(name)-\(getpid())")
    try? FileManager.default.removeItem(at: url)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

let arguments = Array(CommandLine.arguments.dropFirst())
// Child processes of the scenarios: a site build, a served node.
let children: [String: ([String]) throws -> Void] = [SiteBuildChild.flag: SiteBuildChild.childMain, NodeServeChild.flag: NodeServeChild.childMain]
if let flag = arguments.first, let childMain = children[flag] {
    do {
        try childMain(Array(arguments.dropFirst()))
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("\(flag): \(error)\n".utf8))
        exit(1)
    }
}
if arguments.count == 1, let scenario = scenarios[arguments[0]] {
    do {
        print(try scenario())
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("\(arguments[0]): \(error)\n".utf8))
        exit(1)
    }
}
let chosen = arguments.isEmpty ? scenarios.keys.sorted() : arguments
var failed = false
for name in chosen {
    guard scenarios[name] != nil else {
        FileHandle.standardError.write(Data("unknown scenario \(name); known: \(scenarios.keys.sorted().joined(separator: ", "))\n".utf8))
        exit(64)
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    process.arguments = [name]
    try process.run()
    process.waitUntilExit()
    failed = failed || process.terminationStatus != 0
}
exit(failed ? 1 : 0)
