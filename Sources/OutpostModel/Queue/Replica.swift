import Foundation
import OutpostStore

/// A reseller's local replica: a directory holding `replica.sqlite`.
///
/// Every write goes through `submit`: validate and apply the mutation
/// locally and append it to the queue, in one transaction.
public final class Replica {
    /// The database file's name inside the replica directory.
    public static let databaseName = "replica.sqlite"

    public let directory: URL
    public let db: Database
    public let clock: any Clock
    public let ids: IdentifierFactory

    /// Why a replica could not be opened or created.
    public enum OpenError: Error, Sendable, CustomStringConvertible {
        case missing(String)
        case notADirectory(String)
        case notWritable(String)
        case notAReplica(String, reason: String)
        case alreadyExists(String)

        public var description: String {
            switch self {
            case .missing(let path): return "no replica at \(path); create one with: outpost init --replica \(path)"
            case .notADirectory(let path): return "\(path) is not a directory"
            case .notWritable(let path): return "replica directory \(path) is not writable"
            case let .notAReplica(path, reason): return "\(path) is not an Outpost replica: \(reason)"
            case .alreadyExists(let path): return "a replica already exists at \(path)"
            }
        }
    }

    /// Indexes only a replica reads by: the dashboards' month pages list a month's first invoices, orders
    /// and payments by date (`ReportMonthPages`), which through these reads a day's rows or so and without
    /// them scans each whole table (3 queries of 8 ms for each of 12 months at 5,000 customers, on every
    /// build that moves a figure). Not a schema step: the node never reads by these dates and would only
    /// pay to keep them up to date. Made when missing, on opening.
    static let localIndexes = """
        CREATE INDEX IF NOT EXISTS invoice_by_issue_date ON invoice (issue_date, number);
        CREATE INDEX IF NOT EXISTS orders_by_placed_at ON orders (placed_at);
        CREATE INDEX IF NOT EXISTS payment_by_received_on ON payment (received_on);
        """

    private init(directory: URL, db: Database, clock: any Clock, random: RandomSource) {
        self.directory = directory
        self.db = db
        self.clock = clock
        self.ids = IdentifierFactory(clock: clock, random: random)
    }

    /// Opens an existing replica.
    public static func open(_ directory: URL, clock: any Clock, random: RandomSource = RandomSource()) throws -> Replica {
        let path = directory.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw OpenError.missing(path) }
        guard isDirectory.boolValue else { throw OpenError.notADirectory(path) }
        let file = directory.appendingPathComponent(databaseName).path
        guard FileManager.default.fileExists(atPath: file) else { throw OpenError.missing(path) }
        guard FileManager.default.isWritableFile(atPath: path), FileManager.default.isWritableFile(atPath: file) else {
            throw OpenError.notWritable(path)
        }
        let db: Database
        do {
            // Look before writing: a file that is not a replica must stay exactly as it is.
            let probe = try Database(path: file, mode: .readOnly)
            guard try probe.scalar("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'replica_meta'") != nil else {
                throw OpenError.notAReplica(path, reason: "\(databaseName) holds no replica (empty or another database)")
            }
            db = try Database(path: file, mode: .readWrite)
            try Schema.migrate(db)
            try db.executeScript(localIndexes)
            try SiteChangeFeed.install(on: db)
            guard try db.scalar("SELECT value FROM replica_meta WHERE key = 'replica_id'") != nil else {
                throw OpenError.notAReplica(path, reason: "it has no replica id")
            }
        } catch let error as DatabaseError where error.isNotADatabase {
            throw OpenError.notAReplica(path, reason: "\(databaseName) is not an SQLite database")
        } catch let error as MigrationError {
            throw OpenError.notAReplica(path, reason: error.description)
        }
        return Replica(directory: directory, db: db, clock: clock, random: random)
    }

    /// Creates a replica in `directory` (made when missing; its parent must exist).
    public static func create(_ directory: URL, clock: any Clock, random: RandomSource = RandomSource()) throws -> Replica {
        let path = directory.path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw OpenError.notADirectory(path) }
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent(databaseName).path) {
                throw OpenError.alreadyExists(path)
            }
        } else {
            let parent = directory.deletingLastPathComponent().path
            guard FileManager.default.fileExists(atPath: parent) else { throw OpenError.missing(parent) }
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
            } catch {
                throw OpenError.notWritable(parent)
            }
        }
        guard FileManager.default.isWritableFile(atPath: path) else { throw OpenError.notWritable(path) }
        let db = try Database(path: directory.appendingPathComponent(databaseName).path)
        try Schema.migrate(db)
        try db.executeScript(localIndexes)
        try SiteChangeFeed.install(on: db)
        let replica = Replica(directory: directory, db: db, clock: clock, random: random)
        try db.transaction {
            try db.execute("INSERT INTO replica_meta (key, value) VALUES ('replica_id', ?), ('created_at', ?)",
                           [replica.ids.make("rep"), clock.now().description])
        }
        return replica
    }

    /// This replica's id, sent with every push.
    public func replicaId() throws -> String {
        try db.scalar("SELECT value FROM replica_meta WHERE key = 'replica_id'")?.string ?? ""
    }

    public var queue: LocalQueue { LocalQueue(db: db) }

    /// Validates, applies and queues a mutation in one transaction; returns its seq.
    ///
    /// A refusal (or any error) leaves neither a change nor a queue entry.
    @discardableResult
    public func submit(_ mutation: any Mutation) throws -> Int64 {
        let now = clock.now()
        return try db.transaction {
            let context = MutationContext(db: db, now: now, authority: .replica)
            try mutation.apply(in: context)
            return try queue.append(mutation, createdAt: now, changes: context.changes)
        }
    }

    /// Writes catalog or back-office facts directly (the node's or the fixture generator's), not queued.
    public func applyFacts(_ body: (MutationContext) throws -> Void) throws {
        let now = clock.now()
        try db.transaction {
            try body(MutationContext(db: db, now: now, authority: .node, recordsChanges: false))
        }
    }
}
