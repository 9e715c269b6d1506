import Foundation
import Testing

/// A task executor with threads of its own, for tests that block: they wait for a child process, build a
/// site, or sleep through a server's timeout.
///
/// Swift Testing runs every test on Swift's cooperative pool, one thread per core: two on a two-core machine.
/// A test that blocks holds one of those threads for as long as it blocks, so with two such tests running,
/// every other test of the run, quick ones included, waits — and a time limit counts that wait (in one
/// clean-clone run, 344 tests "took" over 450 s, one a unit test of a chart). Run under `.ownThreads`, a
/// test's synchronous work happens here instead, and the cooperative threads stay free for the rest.
public final class OwnThreadsExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked: `jobs` is only touched under `condition`.

    /// How many tests block at once. More than the cores: most of a blocking test's time is spent waiting for
    /// a child process or a timeout, and the CPU work is the children's. Four keeps two cores busy without
    /// piling up children that each need memory and a turn.
    public static let threadCount = 4

    /// The executor every `.ownThreads` test runs on.
    public static let shared = OwnThreadsExecutor(threads: threadCount)

    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []

    private init(threads: Int) {
        for index in 0..<threads {
            let thread = Thread { [unowned self] in self.work() }
            thread.name = "outpost-test-\(index)"
            thread.start()
        }
    }

    public func enqueue(_ job: UnownedJob) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func work() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}

/// Runs a test (every test of a suite) on `OwnThreadsExecutor`'s threads instead of the cooperative pool.
public struct OwnThreadsTrait: TestTrait, SuiteTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func scopeProvider(for test: Test, testCase: Test.Case?) -> Self? {
        // A suite's scope would be entered once around all its tests; each test (case) takes its own.
        testCase == nil ? nil : self
    }

    public func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        try await withTaskExecutorPreference(OwnThreadsExecutor.shared) { try await function() }
    }
}

extension Trait where Self == OwnThreadsTrait {
    /// For tests that block a thread for long: child processes, site builds, waits for timeouts.
    public static var ownThreads: Self { OwnThreadsTrait() }
}
