import Foundation
import OutpostModel
import OutpostStore
import OutpostFixtures

/// `fixtures generate`: the deterministic demo and scale data set.
enum FixtureCommands {
    static let all: [CommandSpec] = [generate]

    static let generate = CommandSpec(
        ["fixtures", "generate"], "generate a consistent demo data set (same seed, same bytes)",
        options: [
            .init("seed", value: "N", "random seed (default 1)"),
            .init("customers", value: "N", "number of customers (default 100)"),
            .init("as-of", value: "DATE", "the data set's today, YYYY-MM-DD (default 2026-11-24)"),
            .init("out", value: "FILE", "write newline-delimited JSON rows to FILE (- for standard output)"),
            .init("into", value: "DIR", "create a new replica in DIR holding the data set"),
            .init("check", "run the consistency check on the result (with --into)"),
        ],
        discussion: "Give --out or --into. The elapsed time is printed on standard error.",
        usesReplica: false,
        run: { invocation, session in
            let seed = try invocation.value("seed").map { try OptionValue.integer($0, option: "seed") } ?? 1
            let customers = try invocation.value("customers").map { try OptionValue.integer($0, option: "customers") } ?? 100
            guard seed >= 0 else { throw CommandFailure(.dataError, "--seed must be zero or more") }
            guard (1...10_000_000).contains(customers) else { throw CommandFailure(.dataError, "--customers must be between 1 and 10000000") }
            let asOf = BusinessDate(try OptionValue.date(invocation.value("as-of") ?? "2026-11-24", option: "as-of"))!
            let out = invocation.value("out")
            let into = invocation.value("into")
            guard (out == nil) != (into == nil) else {
                throw UsageError(message: "give exactly one of --out FILE (- for standard output) or --into DIR", command: invocation.command.name)
            }
            let generator = FixtureGenerator(seed: UInt64(seed), customers: customers, asOf: asOf)
            let started = DispatchTime.now().uptimeNanoseconds
            func elapsed() -> String {
                String(format: "%.2f s", Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
            }
            if out == "-" {
                // `--out -` is standard output, as for most Unix tools.
                do {
                    _ = try generator.writeNDJSON(to: FileHandle.standardOutput)
                } catch let error as CocoaError where (error.userInfo[NSUnderlyingErrorKey] as? NSError)?.code == Int(EPIPE) {
                    return  // The reader stopped early (`| head`): end quietly, as every read command does.
                }
                session.printError("Generated \(customers) customers (seed \(seed)) to standard output in \(elapsed())")
                return
            }
            if let out {
                let url = URL(fileURLWithPath: out)
                guard FileManager.default.fileExists(atPath: url.deletingLastPathComponent().path) else {
                    throw CommandFailure(.cannotCreate, "cannot write \(out): its directory does not exist")
                }
                do {
                    try generator.writeNDJSON(to: url)
                } catch let error as CocoaError {
                    throw CommandFailure(.cannotCreate, "cannot write \(out): \(error.localizedDescription)")
                }
                session.printError("Generated \(customers) customers (seed \(seed)) into \(out) in \(elapsed())")
                return
            }
            let directory = URL(fileURLWithPath: into!)
            let replica = try Replica.create(directory, clock: FixedClock(Timestamp(secondsSinceEpoch: Int64(asOf.daysSinceEpoch) * 86_400)))
            try generator.write(into: replica.db)
            session.printError("Generated \(customers) customers (seed \(seed)) into replica \(directory.path) in \(elapsed())")
            if invocation.flag("check") {
                let problems = try FixtureConsistency.check(replica.db, asOf: asOf)
                guard problems.isEmpty else {
                    throw CommandFailure(.dataError, "the data set is inconsistent:\n" + problems.joined(separator: "\n"))
                }
                session.printError("Consistency check passed.")
            }
        })
}
