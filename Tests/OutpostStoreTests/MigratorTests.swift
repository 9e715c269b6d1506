import CSQLite
import Foundation
import OutpostStore
import Testing

/// Records which steps ran, from inside `@Sendable` step closures.
private final class StepLog: @unchecked Sendable {
    private let lock = NSLock()
    private var names: [String] = []

    func record(_ name: String) {
        lock.lock()
        defer { lock.unlock() }
        names.append(name)
    }

    var recorded: [String] {
        lock.lock()
        defer { lock.unlock() }
        return names
    }
}

@Suite("Migrator")
struct MigratorTests {
    /// Three steps, each depending on the one before, none idempotent.
    private func threeSteps(_ log: StepLog) -> Migrator {
        var migrator = Migrator()
        migrator.register("create accounts") { db in
            log.record("create accounts")
            try db.executeScript("CREATE TABLE accounts(id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        }
        migrator.register("add email") { db in
            log.record("add email")
            try db.executeScript("ALTER TABLE accounts ADD COLUMN email TEXT")
        }
        migrator.register("create invoices") { db in
            log.record("create invoices")
            try db.executeScript("""
                CREATE TABLE invoices(
                    id INTEGER PRIMARY KEY,
                    account_id INTEGER NOT NULL REFERENCES accounts(id)
                )
                """)
        }
        return migrator
    }

    @Test func stepsApplyInOrderAndSetUserVersion() throws {
        let db = try Database.inMemory()
        let log = StepLog()
        let migrator = threeSteps(log)
        #expect(migrator.latestVersion == 3)
        #expect(migrator.steps.map(\.version) == [1, 2, 3])
        #expect(migrator.steps.map(\.name) == ["create accounts", "add email", "create invoices"])
        #expect(try db.userVersion() == 0)

        let applied = try migrator.migrate(db)
        #expect(applied == ["create accounts", "add email", "create invoices"])
        #expect(log.recorded == applied)
        #expect(try db.userVersion() == 3)
        #expect(try db.scalar("PRAGMA user_version") == .integer(3))
        #expect(!db.isInTransaction)
        // Every step's schema is there (the email column needed step 1 first).
        try db.execute("INSERT INTO accounts(id, name, email) VALUES (?, ?, ?)", [1, "Ada", "ada@example.com"])
        try db.execute("INSERT INTO invoices(account_id) VALUES (?)", [1])
        #expect(try db.foreignKeyViolations().isEmpty)
    }

    @Test func migratingTwiceIsANoOp() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("twice.sqlite").path
            let log = StepLog()
            let migrator = threeSteps(log)
            do {
                let db = try Database(path: path)
                #expect(try migrator.migrate(db).count == 3)
                try db.execute("INSERT INTO accounts(name, email) VALUES (?, ?)", ["Grace", "grace@example.com"])
                // Second run on the same connection.
                #expect(try migrator.migrate(db) == [])
            }
            // And on a fresh connection to the same file.
            let db = try Database(path: path)
            #expect(try migrator.migrate(db) == [])
            #expect(log.recorded.count == 3)
            #expect(try db.userVersion() == 3)
            let row = try #require(try db.row("SELECT name, email FROM accounts"))
            #expect(try row.string("name") == "Grace")
            #expect(try row.optionalString("email") == "grace@example.com")
            #expect(try db.count("accounts") == 1)
        }
    }

    @Test func onlyNewStepsRunOnAnOlderDatabase() throws {
        let db = try Database.inMemory()
        let log = StepLog()
        var old = Migrator()
        old.register("one") { db in log.record("one"); try db.executeScript("CREATE TABLE one(x)") }
        #expect(try old.migrate(db) == ["one"])
        try db.execute("INSERT INTO one(x) VALUES (?)", [1])

        var new = old
        new.register("two") { db in log.record("two"); try db.executeScript("CREATE TABLE two(y)") }
        #expect(try new.migrate(db) == ["two"])
        #expect(log.recorded == ["one", "two"])
        #expect(try db.userVersion() == 2)
        #expect(try db.count("one") == 1)
        #expect(try db.tableExists("two"))
    }

    @Test func emptyMigratorDoesNothing() throws {
        let db = try Database.inMemory()
        let migrator = Migrator()
        #expect(migrator.latestVersion == 0)
        #expect(try migrator.migrate(db) == [])
        #expect(try db.userVersion() == 0)
    }

    @Test func throwingStepRollsBackOnlyItself() throws {
        let db = try Database.inMemory()
        let log = StepLog()
        let boom = Boom()
        var migrator = Migrator()
        migrator.register("one") { db in
            log.record("one")
            try db.executeScript("CREATE TABLE one(x); INSERT INTO one(x) VALUES (1)")
        }
        migrator.register("two") { db in
            log.record("two")
            try db.executeScript("CREATE TABLE two(y)")
            try db.execute("INSERT INTO one(x) VALUES (?)", [2])
            throw boom
        }
        migrator.register("three") { db in
            log.record("three")
            try db.executeScript("CREATE TABLE three(z)")
        }

        let thrown = try #require(throws: Boom.self) { try migrator.migrate(db) }
        #expect(thrown == boom)
        #expect(log.recorded == ["one", "two"])
        #expect(try db.userVersion() == 1)
        #expect(!db.isInTransaction)
        #expect(try db.tableExists("one"))
        #expect(try db.integers("SELECT x FROM one") == [1])
        #expect(try !db.tableExists("two"))
        #expect(try !db.tableExists("three"))

        // A fixed migrator resumes from the failed step.
        var fixed = Migrator()
        fixed.register("one") { _ in log.record("one again") }
        fixed.register("two fixed") { db in
            log.record("two fixed")
            try db.executeScript("CREATE TABLE two(y)")
        }
        fixed.register("three") { db in
            log.record("three")
            try db.executeScript("CREATE TABLE three(z)")
        }
        #expect(try fixed.migrate(db) == ["two fixed", "three"])
        #expect(log.recorded == ["one", "two", "two fixed", "three"])
        #expect(try db.userVersion() == 3)
    }

    @Test func stepWithAnSQLErrorRollsBackOnlyItself() throws {
        try withTemporaryDirectory { dir in
            let db = try Database(path: dir.appendingPathComponent("sqlerror.sqlite").path)
            var migrator = Migrator()
            migrator.register("one") { db in try db.executeScript("CREATE TABLE one(x)") }
            migrator.register("two") { db in try db.executeScript("CREATE TABLE two(y)") }
            migrator.register("broken") { db in
                try db.executeScript("CREATE TABLE three(z)")
                try db.execute("INSERT INTO three(z) VALUES (?)", [1])
                try db.execute("INSERT INTO missing_table(z) VALUES (?)", [1])
            }

            let error = try #require(throws: DatabaseError.self) { try migrator.migrate(db) }
            #expect(error.code == SQLITE_ERROR)
            #expect(error.sql == "INSERT INTO missing_table(z) VALUES (?)")
            #expect(try db.userVersion() == 2)
            #expect(!db.isInTransaction)
            #expect(try db.tableExists("one"))
            #expect(try db.tableExists("two"))
            #expect(try !db.tableExists("three"))
        }
    }

    @Test func databaseNewerThanTheCodeIsRefused() throws {
        let db = try Database.inMemory()
        try db.executeScript("CREATE TABLE future(x); PRAGMA user_version = 5")
        let log = StepLog()
        let migrator = threeSteps(log)

        let error = try #require(throws: MigrationError.self) { try migrator.migrate(db) }
        guard case let .newerThanCode(database, code) = error else {
            Issue.record("expected newerThanCode, got \(error)")
            return
        }
        #expect(database == 5)
        #expect(code == 3)
        #expect(error.description.contains("5"))
        #expect(error.description.contains("3"))
        #expect(log.recorded.isEmpty)
        #expect(try db.userVersion() == 5)
        #expect(try !db.tableExists("accounts"))
        #expect(try db.tableExists("future"))
    }

    /// The step defers foreign-key enforcement, so its orphan insert succeeds
    /// and only the migrator's own `foreign_key_check` can catch it (before
    /// COMMIT would): the error is a `MigrationError`, not a `DatabaseError`.
    @Test func stepLeavingForeignKeyViolationsIsRolledBack() throws {
        let db = try Database.inMemory()
        let log = StepLog()
        var migrator = Migrator()
        migrator.register("parents and children") { db in
            log.record("parents and children")
            try db.executeScript("""
                CREATE TABLE parent(id INTEGER PRIMARY KEY);
                CREATE TABLE child(id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id));
                INSERT INTO parent(id) VALUES (1);
                INSERT INTO child(id, parent_id) VALUES (1, 1);
                """)
        }
        migrator.register("orphans") { db in
            log.record("orphans")
            try db.executeScript("PRAGMA defer_foreign_keys = ON")
            try db.executeScript("CREATE TABLE extra(x)")
            try db.execute("INSERT INTO child(id, parent_id) VALUES (?, ?)", [7, 99])
            try db.execute("INSERT INTO child(id, parent_id) VALUES (?, ?)", [8, 98])
        }

        let error = try #require(throws: MigrationError.self) { try migrator.migrate(db) }
        guard case let .foreignKeyViolations(step, violations) = error else {
            Issue.record("expected foreignKeyViolations, got \(error)")
            return
        }
        #expect(step == "orphans")
        #expect(violations.sorted() == ["child(7) -> parent", "child(8) -> parent"])
        #expect(error.description.contains("orphans"))
        #expect(error.description.contains("child(7) -> parent"))

        #expect(log.recorded == ["parents and children", "orphans"])
        #expect(try db.userVersion() == 1)
        #expect(!db.isInTransaction)
        #expect(try db.integers("SELECT id FROM child") == [1])
        #expect(try !db.tableExists("extra"))
        #expect(try db.foreignKeyViolations().isEmpty)
        // defer_foreign_keys ended with the rolled-back transaction.
        #expect(try db.scalar("PRAGMA defer_foreign_keys") == .integer(0))
    }

    /// Same, with the constraint itself declared deferrable, all in the first step.
    @Test func firstStepWithDeferredConstraintOrphansIsRolledBack() throws {
        try withTemporaryDirectory { dir in
            let db = try Database(path: dir.appendingPathComponent("deferred.sqlite").path)
            var migrator = Migrator()
            migrator.register("schema with orphan") { db in
                try db.executeScript("""
                    CREATE TABLE parent(id INTEGER PRIMARY KEY);
                    CREATE TABLE child(
                        id INTEGER PRIMARY KEY,
                        parent_id INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED
                    );
                    INSERT INTO child(id, parent_id) VALUES (3, 404);
                    """)
            }
            let error = try #require(throws: MigrationError.self) { try migrator.migrate(db) }
            guard case let .foreignKeyViolations(step, violations) = error else {
                Issue.record("expected foreignKeyViolations, got \(error)")
                return
            }
            #expect(step == "schema with orphan")
            #expect(violations == ["child(3) -> parent"])
            #expect(try db.userVersion() == 0)
            #expect(try !db.tableExists("parent"))
            #expect(try !db.tableExists("child"))
            #expect(try db.integrityCheck() == ["ok"])
        }
    }
}
