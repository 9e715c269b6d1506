/// Brings a database's schema up to date, one numbered step at a time.
///
/// The version reached is `PRAGMA user_version`. Each step runs in its own
/// immediate transaction together with the version bump and a foreign-key
/// check (as GRDB's migrator does), so a failed step leaves the previous
/// version intact, and running the migrator again is a no-op.
public struct Migrator: Sendable {
    /// One schema step.
    public struct Step: Sendable {
        public let version: Int
        public let name: String
        public let migrate: @Sendable (Database) throws -> Void

        public init(version: Int, name: String, migrate: @escaping @Sendable (Database) throws -> Void) {
            self.version = version
            self.name = name
            self.migrate = migrate
        }
    }

    public private(set) var steps: [Step] = []

    public init() {}

    /// Adds a step; versions must increase by one from 1.
    public mutating func register(_ name: String, _ migrate: @escaping @Sendable (Database) throws -> Void) {
        steps.append(Step(version: steps.count + 1, name: name, migrate: migrate))
    }

    /// The version the last step reaches.
    public var latestVersion: Int { steps.last?.version ?? 0 }

    /// Applies the steps the database has not reached yet; returns their names.
    @discardableResult
    public func migrate(_ db: Database) throws -> [String] {
        let current = try db.userVersion()
        guard current <= latestVersion else {
            throw MigrationError.newerThanCode(database: current, code: latestVersion)
        }
        var applied: [String] = []
        for step in steps where step.version > current {
            try db.transaction(.immediate) {
                try step.migrate(db)
                let violations = try db.foreignKeyViolations()
                guard violations.isEmpty else {
                    throw MigrationError.foreignKeyViolations(step: step.name, violations: violations)
                }
                try db.setUserVersion(step.version)
            }
            applied.append(step.name)
        }
        return applied
    }
}

/// Why a migration could not run.
public enum MigrationError: Error, Sendable, CustomStringConvertible {
    /// The file was written by a newer Outpost.
    case newerThanCode(database: Int, code: Int)
    /// A step left rows pointing at missing parents.
    case foreignKeyViolations(step: String, violations: [String])

    public var description: String {
        switch self {
        case let .newerThanCode(database, code):
            return "the database has schema version \(database), newer than this outpost's \(code); upgrade outpost"
        case let .foreignKeyViolations(step, violations):
            return "migration \(step) left foreign key violations: \(violations.joined(separator: ", "))"
        }
    }
}
