import CSQLite
import Foundation
import OutpostStore
import Testing

@Suite("Transactions and savepoints")
struct TransactionTests {
    private func numbersTable() throws -> Database {
        let db = try Database.inMemory()
        try db.executeScript("CREATE TABLE n(x INTEGER PRIMARY KEY)")
        return db
    }

    private func insert(_ x: Int, into db: Database) throws {
        try db.execute("INSERT INTO n(x) VALUES (?)", [x])
    }

    private func numbers(_ db: Database) throws -> [Int64] {
        try db.integers("SELECT x FROM n ORDER BY x")
    }

    // MARK: Top level

    @Test func commitsWhenTheBodyReturns() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("commit.sqlite").path
            let db = try Database(path: path)
            let observer = try Database(path: path)
            try db.executeScript("CREATE TABLE n(x INTEGER PRIMARY KEY)")

            var insideTransaction = false
            let result = try db.transaction { () throws -> String in
                insideTransaction = db.isInTransaction
                try insert(1, into: db)
                try insert(2, into: db)
                // Not visible to another connection before commit.
                #expect(try observer.count("n") == 0)
                return "done"
            }
            #expect(result == "done")
            #expect(insideTransaction)
            #expect(!db.isInTransaction)
            #expect(try numbers(db) == [1, 2])
            // Committed to the file: another connection sees it.
            #expect(try numbers(observer) == [1, 2])
        }
    }

    @Test func rollsBackAndRethrowsTheSameErrorWhenTheBodyThrows() throws {
        let db = try numbersTable()
        try insert(1, into: db)
        let boom = Boom()
        let thrown = try #require(throws: Boom.self) {
            try db.transaction {
                try insert(2, into: db)
                try insert(3, into: db)
                #expect(try db.count("n") == 3)
                throw boom
            }
        }
        #expect(thrown == boom)
        #expect(!db.isInTransaction)
        #expect(try numbers(db) == [1])
    }

    @Test func rollsBackWhenAStatementInTheBodyFails() throws {
        let db = try numbersTable()
        let error = try #require(throws: DatabaseError.self) {
            try db.transaction {
                try insert(1, into: db)
                try insert(1, into: db)
            }
        }
        #expect(error.extendedCode == 1555) // SQLITE_CONSTRAINT_PRIMARYKEY
        #expect(!db.isInTransaction)
        #expect(try db.count("n") == 0)
    }

    @Test(arguments: [Database.TransactionKind.deferred, .immediate, .exclusive])
    func everyKindCommitsAndRollsBack(_ kind: Database.TransactionKind) throws {
        try withTemporaryDirectory { dir in
            let db = try Database(path: dir.appendingPathComponent("kind.sqlite").path)
            try db.executeScript("CREATE TABLE n(x INTEGER PRIMARY KEY)")
            try db.transaction(kind) { try insert(1, into: db) }
            #expect(throws: Boom.self) {
                try db.transaction(kind) {
                    try insert(2, into: db)
                    throw Boom()
                }
            }
            #expect(!db.isInTransaction)
            #expect(try numbers(db) == [1])
        }
    }

    @Test func failedCommitRollsBackAndThrows() throws {
        let db = try Database.inMemory()
        try db.executeScript("""
            CREATE TABLE parent(id INTEGER PRIMARY KEY);
            CREATE TABLE child(id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id));
            """)
        // Deferred foreign keys are only checked at COMMIT, which then fails.
        let error = try #require(throws: DatabaseError.self) {
            try db.transaction {
                try db.executeScript("PRAGMA defer_foreign_keys = ON")
                try db.execute("INSERT INTO child(parent_id) VALUES (?)", [42])
            }
        }
        #expect(error.extendedCode == 787)
        #expect(error.sql == "COMMIT TRANSACTION")
        #expect(!db.isInTransaction)
        #expect(try db.count("child") == 0)
    }

    // MARK: Nesting

    @Test func innerFailureCaughtByOuterKeepsOnlyOuterWrites() throws {
        let db = try numbersTable()
        let boom = Boom()
        try db.transaction {
            try insert(1, into: db)
            let thrown = try #require(throws: Boom.self) {
                try db.transaction {
                    #expect(db.isInTransaction)
                    try insert(2, into: db)
                    #expect(try numbers(db) == [1, 2])
                    throw boom
                }
            }
            #expect(thrown == boom)
            // Still inside the outer transaction, with its write intact.
            #expect(db.isInTransaction)
            #expect(try numbers(db) == [1])
            try insert(3, into: db)
        }
        #expect(!db.isInTransaction)
        #expect(try numbers(db) == [1, 3])
    }

    @Test func outerFailureAfterSuccessfulInnerDiscardsEverything() throws {
        let db = try numbersTable()
        try insert(100, into: db)
        #expect(throws: Boom.self) {
            try db.transaction {
                try insert(1, into: db)
                try db.transaction {
                    try insert(2, into: db)
                }
                #expect(try numbers(db) == [1, 2, 100])
                throw Boom()
            }
        }
        #expect(!db.isInTransaction)
        #expect(try numbers(db) == [100])
    }

    @Test func threeLevelsWithTheMiddleOneFailing() throws {
        let db = try numbersTable()
        try db.transaction {
            try insert(1, into: db)
            #expect(throws: Boom.self) {
                try db.transaction {
                    try insert(2, into: db)
                    // The innermost level succeeds and is released into the middle one…
                    try db.transaction {
                        try insert(3, into: db)
                    }
                    #expect(try numbers(db) == [1, 2, 3])
                    // …then the middle one fails, taking the innermost's work with it.
                    throw Boom()
                }
            }
            #expect(try numbers(db) == [1])
            try insert(4, into: db)
            // Savepoint names are reused correctly after the failure.
            try db.transaction {
                try insert(5, into: db)
                try db.transaction { try insert(6, into: db) }
            }
        }
        #expect(!db.isInTransaction)
        #expect(try numbers(db) == [1, 4, 5, 6])
    }

    @Test func threeLevelsWithTheInnermostFailingAndTheMiddleCatching() throws {
        let db = try numbersTable()
        let value = try db.transaction { () throws -> Int in
            try insert(1, into: db)
            try db.transaction {
                try insert(2, into: db)
                #expect(throws: Boom.self) {
                    try db.transaction {
                        try insert(3, into: db)
                        throw Boom()
                    }
                }
                try insert(4, into: db)
            }
            return 7
        }
        #expect(value == 7)
        #expect(try numbers(db) == [1, 2, 4])
    }

    @Test func savepointOutsideATransactionCommitsAndRollsBack() throws {
        let db = try numbersTable()
        try db.savepoint { try insert(1, into: db) }
        #expect(!db.isInTransaction)
        #expect(throws: Boom.self) {
            try db.savepoint {
                try insert(2, into: db)
                throw Boom()
            }
        }
        #expect(!db.isInTransaction)
        #expect(try numbers(db) == [1])
    }

    /// When a top-level savepoint cannot be released (the release is the
    /// commit, and a deferred foreign key fails), the savepoint should be
    /// rolled back rather than leaving the connection inside a transaction.
    @Test func savepointWhoseReleaseFailsDoesNotLeaveATransactionOpen() throws {
        let db = try Database.inMemory()
        try db.executeScript("""
            CREATE TABLE parent(id INTEGER PRIMARY KEY);
            CREATE TABLE child(id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);
            """)
        let error = try #require(throws: DatabaseError.self) {
            try db.savepoint {
                try db.execute("INSERT INTO child(parent_id) VALUES (?)", [42])
            }
        }
        #expect(error.extendedCode == 787)
        #expect(!db.isInTransaction)
        #expect(try db.count("child") == 0)
    }

    // MARK: Two connections

    @Test func secondWriterIsBusyWhileTheFirstHoldsAnImmediateTransaction() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("busy.sqlite").path
            let a = try Database(path: path)
            try a.executeScript("CREATE TABLE n(x INTEGER PRIMARY KEY)")
            let b = try Database(path: path, busyTimeoutMilliseconds: 100)

            try a.transaction(.immediate) {
                try insert(1, into: a)

                let clock = ContinuousClock()
                let start = clock.now
                let error = try #require(throws: DatabaseError.self) {
                    try b.execute("INSERT INTO n(x) VALUES (?)", [2])
                }
                let waited = clock.now - start
                #expect(error.isBusy, "\(error)")
                #expect(error.code == SQLITE_BUSY)
                #expect(error.sql == "INSERT INTO n(x) VALUES (?)")
                // The busy timeout was honoured, not skipped.
                #expect(waited >= .milliseconds(80))

                // A transaction on B cannot start either, and leaves nothing open.
                let beginError = try #require(throws: DatabaseError.self) {
                    try b.transaction { try insert(3, into: b) }
                }
                #expect(beginError.isBusy)
                #expect(!b.isInTransaction)

                // WAL: B still reads, from the last committed state.
                #expect(try b.count("n") == 0)
            }
            #expect(!a.isInTransaction)

            // After A commits, B writes and sees A's row.
            try insert(2, into: b)
            #expect(try numbers(b) == [1, 2])
            #expect(try numbers(a) == [1, 2])
        }
    }
}
