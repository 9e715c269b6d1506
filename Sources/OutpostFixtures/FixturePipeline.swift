import Foundation
import OutpostStore
import OutpostModel

/// One generated row on its way to a sink.
struct FixtureRow: Sendable {
    let table: FixtureTable
    let values: [(String, any SQLBindable)]
    let upsert: Bool
}

/// Runs the generator on a second thread and the sink on the caller's, with
/// a small bounded queue of row batches between them: simulating and
/// rendering (ids, names, text) overlaps with inserting or encoding, and the
/// sink — a database connection — never leaves the thread that owns it.
///
/// The rows reach the sink in exactly the order the generator made them.
enum FixturePipeline {
    static let batchSize = 2_048
    static let queuedBatches = 6

    /// Generates every row into `sink`; returns the row count per table (`FixtureTable.index` order).
    static func run<Sink: FixtureSink>(world: FixtureWorld, numbering: FixtureNumbering, into sink: inout Sink) throws -> [Int] {
        let channel = FixtureRowChannel(capacity: queuedBatches)
        let done = DispatchSemaphore(value: 0)
        let producer = Thread {
            defer { done.signal() }
            do {
                var renderer = FixtureRenderer(world: world, numbering: numbering, sink: BatchingFixtureSink(channel: channel))
                try renderer.run()
                try renderer.sink.flush()
                channel.finish(nil)
            } catch {
                channel.finish(error)
            }
        }
        producer.stackSize = 8 << 20
        producer.start()
        var counts = Array(repeating: 0, count: FixtureTable.allCases.count)
        do {
            var spent: [FixtureRow] = []
            while let batch = try channel.pop(returning: &spent) {
                for row in batch {
                    counts[row.table.index] += 1
                    try sink.emit(row.table, row.values, upsert: row.upsert)
                }
                spent = batch
            }
        } catch {
            channel.cancel()
            done.wait()
            throw error
        }
        done.wait()
        return counts
    }
}

/// The producer's sink: collects rows into batches and queues them.
struct BatchingFixtureSink: FixtureSink {
    let channel: FixtureRowChannel
    private var batch: [FixtureRow] = []

    init(channel: FixtureRowChannel) {
        self.channel = channel
        batch.reserveCapacity(FixturePipeline.batchSize)
    }

    mutating func emit(_ table: FixtureTable, _ values: [(String, any SQLBindable)], upsert: Bool) throws {
        batch.append(FixtureRow(table: table, values: values, upsert: upsert))
        if batch.count >= FixturePipeline.batchSize { try flush() }
    }

    mutating func flush() throws {
        guard !batch.isEmpty else { return }
        try channel.push(batch)
        batch = []
        batch.reserveCapacity(FixturePipeline.batchSize)
    }
}

/// A bounded first-in first-out queue of row batches between two threads.
final class FixtureRowChannel: @unchecked Sendable {
    // @unchecked: every stored property is read and written under `condition`.
    private let condition = NSCondition()
    private var queue: [[FixtureRow]] = []
    private var head = 0
    private var finished = false
    private var failure: (any Error)?
    private var cancelled = false
    private let capacity: Int

    /// The consumer stopped; the producer's next push throws this.
    struct Cancelled: Error {}

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Queues a batch, waiting while the queue is full.
    func push(_ batch: [FixtureRow]) throws {
        var released: [[FixtureRow]] = []
        defer { released.removeAll() }  // outside the lock: freeing the consumer's spent rows is the producer's work
        condition.lock()
        defer { condition.unlock() }
        while queue.count - head >= capacity, !cancelled { condition.wait() }
        if cancelled { throw Cancelled() }
        queue.append(batch)
        swap(&released, &spent)
        condition.broadcast()
    }

    /// Batches the consumer is done with, freed on the producer's thread.
    private var spent: [[FixtureRow]] = []

    /// The next batch, waiting while the queue is empty; `nil` when the producer is done.
    /// `done` is the batch the consumer finished, handed back to be freed by the producer.
    func pop(returning done: inout [FixtureRow]) throws -> [FixtureRow]? {
        condition.lock()
        defer { condition.unlock() }
        if !done.isEmpty {
            spent.append([])
            swap(&spent[spent.count - 1], &done)
        }
        while head == queue.count, !finished { condition.wait() }
        if head < queue.count {
            let batch = queue[head]
            queue[head] = []
            head += 1
            if head >= 64 {
                queue.removeFirst(head)
                head = 0
            }
            condition.broadcast()
            return batch
        }
        if let failure { throw failure }
        return nil
    }

    /// The producer has made its last batch (or failed).
    func finish(_ error: (any Error)?) {
        condition.lock()
        defer { condition.unlock() }
        finished = true
        failure = error
        condition.broadcast()
    }

    /// The consumer gives up; a waiting producer wakes and stops.
    func cancel() {
        condition.lock()
        defer { condition.unlock() }
        cancelled = true
        condition.broadcast()
    }
}
