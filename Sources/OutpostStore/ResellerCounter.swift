/// Gap-free change-log versions per reseller, in commit order, on either store.
///
/// A sequence is not enough on a concurrent database: two transactions take 7 and 8, the one with 8
/// commits first, and a pull of `version > 6` in between returns 8 and moves its cursor past 7 for good.
/// A counter row per reseller, updated inside the transaction that writes the change, gives 8 only
/// after 7's transaction has committed or rolled back — the row lock makes that reseller's writers
/// take turns until commit, while other resellers' rows (and writers) are untouched. On SQLite the
/// write transaction already serialises everything; the same statements run on both.
public enum ResellerCounter {
    /// The table, in the SQL both stores speak.
    public static let createTable = """
        CREATE TABLE IF NOT EXISTS reseller_counter (
            reseller TEXT PRIMARY KEY,
            version BIGINT NOT NULL DEFAULT 0 CHECK (version >= 0)
        )
        """

    /// The counter was used outside its rules.
    public enum Failure: Error, Sendable, CustomStringConvertible, Equatable {
        /// `next` was called outside a transaction, where the version would be free before the write commits.
        case outsideTransaction(reseller: String)
        /// No counter row: the reseller was never registered.
        case unknownReseller(String)

        public var description: String {
            switch self {
            case .outsideTransaction(let reseller):
                return "the next version of reseller \(reseller) must be taken inside the transaction that writes it"
            case .unknownReseller(let reseller):
                return "reseller \(reseller) has no version counter; it was never registered on this node"
            }
        }
    }

    /// Adds the reseller's counter at `version` (0 for a new reseller; the log's head for one whose log
    /// predates its counter); a reseller already registered keeps its version.
    public static func register(_ reseller: String, startingAt version: Int64 = 0, in db: any SQLDatabase) throws {
        try db.execute("INSERT INTO reseller_counter (reseller, version) VALUES (?, ?) ON CONFLICT (reseller) DO NOTHING", [reseller, version])
    }

    /// The reseller's next version, taken inside the caller's transaction; it is the caller's until
    /// that transaction ends, and the next writer for this reseller waits for it.
    public static func next(for reseller: String, in db: any SQLDatabase) throws -> Int64 {
        guard db.isInTransaction else { throw Failure.outsideTransaction(reseller: reseller) }
        let value = try db.scalar("UPDATE reseller_counter SET version = version + 1 WHERE reseller = ? RETURNING version", [reseller])
        guard let version = value?.int64 else { throw Failure.unknownReseller(reseller) }
        return version
    }

    /// Makes the reseller's other writers wait until the caller's transaction ends, from its start: on
    /// PostgreSQL, whose transactions otherwise run side by side (READ COMMITTED), so that everything
    /// a push reads to decide — the next order number, a customer's balance — is what the previous
    /// push committed. SQLite's write transaction already holds the file's one write lock.
    public static func serialiseWriters(for reseller: String, in db: any SQLDatabase) throws {
        guard db.dialect == .postgresql else { return }
        _ = try lock(for: reseller, in: db)
    }

    /// Locks the reseller's counter row until the caller's transaction ends (as `serialiseWriters`) and returns
    /// its version: the last one handed out. A writer that takes many versions in one transaction counts on
    /// from it in memory and stores the last with `store` before it commits — one statement per transaction
    /// instead of one per version (PostgreSQL keeps every version of a row updated in one transaction until
    /// it ends, so thousands of updates of the one row get slower as they go).
    public static func lock(for reseller: String, in db: any SQLDatabase) throws -> Int64 {
        guard db.isInTransaction else { throw Failure.outsideTransaction(reseller: reseller) }
        guard let version = try db.scalar("SELECT version FROM reseller_counter WHERE reseller = ? FOR UPDATE", [reseller])?.int64 else {
            throw Failure.unknownReseller(reseller)
        }
        return version
    }

    /// Stores the last version a writer holding the row's lock (`lock`) handed out.
    public static func store(_ version: Int64, for reseller: String, in db: any SQLDatabase) throws {
        guard db.isInTransaction else { throw Failure.outsideTransaction(reseller: reseller) }
        try db.execute("UPDATE reseller_counter SET version = ? WHERE reseller = ?", [version, reseller])
        guard db.changes == 1 else { throw Failure.unknownReseller(reseller) }
    }

    /// The reseller's last version handed out (committed, as seen by this connection); `nil` when unregistered.
    public static func current(for reseller: String, in db: any SQLDatabase) throws -> Int64? {
        try db.scalar("SELECT version FROM reseller_counter WHERE reseller = ?", [reseller])?.int64
    }
}
