import Foundation
import OutpostModel
import OutpostTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A command killed with SIGKILL at random moments, as a crash or a power cut would stop it.
enum RandomKills {
    /// Starts `outpost arguments…` again and again, killing each run after a random 20 ms to `within`,
    /// until one finishes by itself or `attempts` were killed; `afterKill` looks at what each kill left.
    /// Returns how many were killed.
    static func run(_ arguments: [String], environment: [String: String], in directory: URL, random: RandomSource,
                    within microseconds: Int = 320_000, attempts: Int = 8, afterKill: () throws -> Void = {}) throws -> Int {
        var killed = 0
        for _ in 0..<attempts {
            let running = try OutpostBinary.start(arguments, environment: environment, in: directory)
            usleep(UInt32(20_000 + random.next(below: microseconds - 20_000)))
            guard running.process.isRunning else {
                _ = running.wait()
                break
            }
            killed += 1
            running.signal(SIGKILL)
            _ = running.wait()
            try afterKill()
        }
        return killed
    }
}
