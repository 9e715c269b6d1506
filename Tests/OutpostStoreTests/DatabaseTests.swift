import CSQLite
import Foundation
import OutpostStore
import Testing

@Suite("Database: opening, pragmas, errors, checks")
struct DatabaseTests {
    // MARK: Opening

    @Test func fileBackedDatabaseUsesWALAndForeignKeys() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("outpost.sqlite").path
            let db = try Database(path: path)
            #expect(db.path == path)
            #expect(FileManager.default.fileExists(atPath: path))
            #expect(try db.scalar("PRAGMA journal_mode") == .text("wal"))
            #expect(try db.scalar("PRAGMA foreign_keys") == .integer(1))
            // synchronous = FULL is 2: a commit has reached the disk when it returns (PROTOCOL.md 6.6).
            #expect(try db.scalar("PRAGMA synchronous") == .integer(2))
            #expect(!db.isInTransaction)
        }
    }

    @Test func commitsWithoutDiskSyncGoBackToFullAfterwardsAlsoWhenTheBodyFails() throws {
        try withTemporaryDirectory { dir in
            let db = try Database(path: dir.appendingPathComponent("runs.sqlite").path)
            try db.executeScript("CREATE TABLE run (x TEXT)")
            let inside = try db.withoutDiskSync {
                try db.execute("INSERT INTO run VALUES ('a')")
                return try db.scalar("PRAGMA synchronous")
            }
            #expect(inside == .integer(1), "NORMAL inside")
            #expect(try db.scalar("PRAGMA synchronous") == .integer(2), "FULL after")
            struct Failed: Error {}
            #expect(throws: Failed.self) { try db.withoutDiskSync { throw Failed() } }
            #expect(try db.scalar("PRAGMA synchronous") == .integer(2), "FULL after a failure")
            #expect(try db.scalar("SELECT count(*) FROM run") == .integer(1))
        }
    }

    @Test func sqliteDoesNotCountItsMemory() throws {
        // Counting takes a global mutex on every allocation; `Database` turns it off before SQLite starts, so the
        // count stays at zero however much a connection allocates.
        let db = try Database(path: ":memory:")
        try db.executeScript("CREATE TABLE t (x TEXT); INSERT INTO t SELECT hex(randomblob(1000)) FROM (SELECT 1 UNION SELECT 2 UNION SELECT 3)")
        #expect(try db.scalar("SELECT count(*) FROM t") == .integer(3))
        #expect(sqlite3_memory_used() == 0)
    }

    @Test func aNewDatabaseAndItsWALAndSharedMemoryFilesAreTheOwnersAlone() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("private.sqlite").path
            let db = try Database(path: path)
            try db.executeScript("CREATE TABLE customer (name TEXT); INSERT INTO customer VALUES ('Contoso')")
            // While the connection is open, SQLite keeps the -wal and -shm files beside the database.
            for file in [path, path + "-wal", path + "-shm"] {
                let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
                #expect(mode == 0o600, "\(file): \(String(mode ?? -1, radix: 8))")
            }
            withExtendedLifetime(db) {}
        }
    }

    @Test func foreignKeyViolationThrowsConstraintError() throws {
        try withTemporaryDirectory { dir in
            let db = try Database(path: dir.appendingPathComponent("fk.sqlite").path)
            try db.executeScript("""
                CREATE TABLE parent(id INTEGER PRIMARY KEY);
                CREATE TABLE child(id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent(id));
                INSERT INTO parent(id) VALUES (1);
                """)
            // A child of an existing parent is fine…
            try db.execute("INSERT INTO child(parent_id) VALUES (?)", [1])
            // …an orphan is refused.
            let sql = "INSERT INTO child(parent_id) VALUES (?)"
            let error = try #require(throws: DatabaseError.self) {
                try db.execute(sql, [999])
            }
            #expect(error.isConstraintViolation)
            #expect(error.extendedCode == 787) // SQLITE_CONSTRAINT_FOREIGNKEY
            #expect(error.code == SQLITE_CONSTRAINT)
            #expect(error.sql == sql)
            #expect(!error.isBusy)
            #expect(!error.isNotADatabase)
            #expect(try db.count("child") == 1)
        }
    }

    @Test func fileThatIsNotSQLiteThrowsNotADatabase() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("garbage.sqlite").path
            let garbage = String(repeating: "this is not an SQLite database, just some text. ", count: 8)
            #expect(garbage.utf8.count > 100)
            try Data(garbage.utf8).write(to: URL(fileURLWithPath: path))

            for mode in [Database.Mode.readWriteCreate, .readWrite, .readOnly] {
                let error = try #require(throws: DatabaseError.self) {
                    _ = try Database(path: path, mode: mode)
                }
                #expect(error.isNotADatabase, "mode \(mode): \(error)")
                #expect(error.code == SQLITE_NOTADB)
                #expect(!error.message.isEmpty)
            }
            // The file was not touched by the failed opens.
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(garbage.utf8))
        }
    }

    @Test func pathInMissingDirectoryThrows() throws {
        try withTemporaryDirectory { dir in
            let missing = dir.appendingPathComponent("no/such/directory", isDirectory: true)
            let path = missing.appendingPathComponent("outpost.sqlite").path
            let error = try #require(throws: DatabaseError.self) {
                _ = try Database(path: path)
            }
            #expect(error.code == SQLITE_CANTOPEN)
            #expect(error.message.contains(path))
            #expect(!FileManager.default.fileExists(atPath: missing.path))
        }
    }

    @Test func readWriteModeDoesNotCreateAMissingFile() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("absent.sqlite").path
            let error = try #require(throws: DatabaseError.self) {
                _ = try Database(path: path, mode: .readWrite)
            }
            #expect(error.code == SQLITE_CANTOPEN)
            #expect(!FileManager.default.fileExists(atPath: path))

            #expect(throws: DatabaseError.self) {
                _ = try Database(path: path, mode: .readOnly)
            }
            #expect(!FileManager.default.fileExists(atPath: path))
        }
    }

    @Test func readOnlyModeReadsButRefusesWrites() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("ro.sqlite").path
            do {
                let writer = try Database(path: path)
                try writer.executeScript("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT)")
                try writer.execute("INSERT INTO t(name) VALUES (?)", ["kept"])
            }
            let reader = try Database(path: path, mode: .readOnly)
            #expect(try reader.row("SELECT name FROM t")?.string("name") == "kept")

            let error = try #require(throws: DatabaseError.self) {
                try reader.execute("INSERT INTO t(name) VALUES (?)", ["refused"])
            }
            #expect(error.code == SQLITE_READONLY)
            #expect(error.sql == "INSERT INTO t(name) VALUES (?)")
            #expect(throws: DatabaseError.self) {
                try reader.executeScript("CREATE TABLE other(x)")
            }
            #expect(throws: DatabaseError.self) {
                try reader.transaction { try reader.execute("DELETE FROM t") }
            }
            #expect(!reader.isInTransaction)
            #expect(try reader.count("t") == 1)
            #expect(try !reader.tableExists("other"))
        }
    }

    @Test func readWriteModeOpensAnExistingFile() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("rw.sqlite").path
            do {
                let db = try Database(path: path)
                try db.executeScript("CREATE TABLE t(x)")
                try db.execute("INSERT INTO t(x) VALUES (?)", [1])
            }
            let db = try Database(path: path, mode: .readWrite)
            try db.execute("INSERT INTO t(x) VALUES (?)", [2])
            #expect(try db.integers("SELECT x FROM t ORDER BY x") == [1, 2])
        }
    }

    @Test func dataPersistsAcrossReopen() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("persist.sqlite").path
            do {
                let db = try Database(path: path)
                try db.executeScript("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
                try db.execute("INSERT INTO t(name) VALUES (?)", ["alpha"])
                try db.execute("INSERT INTO t(name) VALUES (?)", ["beta"])
            }
            let db = try Database(path: path)
            let names = try db.rows("SELECT name FROM t ORDER BY id").map { try $0.string("name") }
            #expect(names == ["alpha", "beta"])
        }
    }

    @Test func inMemoryDatabaseIsPrivateAndUsable() throws {
        let first = try Database.inMemory()
        let second = try Database.inMemory()
        #expect(first.path == ":memory:")
        #expect(try first.scalar("PRAGMA foreign_keys") == .integer(1))
        #expect(try first.scalar("PRAGMA journal_mode") == .text("memory"))
        try first.executeScript("CREATE TABLE t(x)")
        try first.execute("INSERT INTO t(x) VALUES (?)", [1])
        #expect(try first.count("t") == 1)
        #expect(try !second.tableExists("t"))
    }

    // MARK: Errors

    @Test func syntaxErrorCarriesCodeMessageAndSQL() throws {
        let db = try Database.inMemory()
        let sql = "SELEC 1 FROM nowhere"
        for run in [
            { try db.execute(sql) },
            { _ = try db.rows(sql) },
            { _ = try db.scalar(sql) },
            { try db.executeScript(sql) },
        ] as [() throws -> Void] {
            let error = try #require(throws: DatabaseError.self) { try run() }
            #expect(error.code == 1) // SQLITE_ERROR
            #expect(error.extendedCode == SQLITE_ERROR)
            #expect(error.sql == sql)
            #expect(!error.message.isEmpty)
            #expect(error.message.contains("syntax error"))
            #expect(error.description.contains(sql))
            #expect(error.description.contains(error.message))
        }
    }

    @Test func missingTableErrorNamesTheTable() throws {
        let db = try Database.inMemory()
        let sql = "SELECT * FROM no_such_table WHERE id = ?"
        let error = try #require(throws: DatabaseError.self) { _ = try db.rows(sql, [1]) }
        #expect(error.code == SQLITE_ERROR)
        #expect(error.message.contains("no_such_table"))
        #expect(error.sql == sql)
    }

    @Test func constraintViolationsHaveExtendedCodes() throws {
        let db = try Database.inMemory()
        try db.executeScript("""
            CREATE TABLE t(
                id INTEGER PRIMARY KEY,
                email TEXT NOT NULL UNIQUE,
                age INTEGER CHECK (age >= 0)
            );
            CREATE TABLE k(code TEXT PRIMARY KEY);
            """)
        let insert = "INSERT INTO t(email, age) VALUES (?, ?)"
        try db.execute(insert, ["a@example.com", 30])

        let unique = try #require(throws: DatabaseError.self) { try db.execute(insert, ["a@example.com", 31]) }
        #expect(unique.isConstraintViolation)
        #expect(unique.extendedCode == 2067) // SQLITE_CONSTRAINT_UNIQUE
        #expect(unique.sql == insert)
        #expect(unique.message.contains("t.email"))
        #expect(unique.description.contains(insert))

        let notNull = try #require(throws: DatabaseError.self) { try db.execute(insert, [String?.none, 1]) }
        #expect(notNull.extendedCode == 1299) // SQLITE_CONSTRAINT_NOTNULL

        let check = try #require(throws: DatabaseError.self) { try db.execute(insert, ["b@example.com", -1]) }
        #expect(check.extendedCode == 275) // SQLITE_CONSTRAINT_CHECK

        try db.execute("INSERT INTO k(code) VALUES (?)", ["x"])
        let primaryKey = try #require(throws: DatabaseError.self) { try db.execute("INSERT INTO k(code) VALUES (?)", ["x"]) }
        #expect(primaryKey.extendedCode == 1555) // SQLITE_CONSTRAINT_PRIMARYKEY

        #expect(try db.count("t") == 1)
        #expect(try db.count("k") == 1)
    }

    @Test func moreThanOneStatementIsRefusedByExecute() throws {
        let db = try Database.inMemory()
        try db.executeScript("CREATE TABLE t(x)")
        let sql = "INSERT INTO t(x) VALUES (1); INSERT INTO t(x) VALUES (2)"
        let error = try #require(throws: DatabaseError.self) { try db.execute(sql) }
        #expect(error.code == SQLITE_MISUSE)
        #expect(error.sql == sql)
        #expect(try db.count("t") == 0)
        // A trailing semicolon and whitespace are not a second statement.
        try db.execute("INSERT INTO t(x) VALUES (?);  \n", [3])
        #expect(try db.integers("SELECT x FROM t") == [3])
    }

    @Test func executeScriptRunsEveryStatement() throws {
        let db = try Database.inMemory()
        try db.executeScript("""
            CREATE TABLE a(x);
            CREATE TABLE b(y);
            INSERT INTO a(x) VALUES (1), (2);
            INSERT INTO b(y) SELECT x * 10 FROM a;
            """)
        #expect(try db.integers("SELECT y FROM b ORDER BY y") == [10, 20])
    }

    @Test func changesCountsRowsOfTheLastStatement() throws {
        let db = try Database.inMemory()
        try db.executeScript("CREATE TABLE t(x); INSERT INTO t(x) VALUES (1), (2), (3), (4)")
        try db.execute("UPDATE t SET x = x + 10 WHERE x > ?", [1])
        #expect(db.changes == 3)
        try db.execute("DELETE FROM t WHERE x = ?", [99])
        #expect(db.changes == 0)
        try db.execute("DELETE FROM t")
        #expect(db.changes == 4)
    }

    // MARK: Checks

    @Test func integrityCheckIsOKOnASoundDatabase() throws {
        try withTemporaryDirectory { dir in
            let db = try Database(path: dir.appendingPathComponent("check.sqlite").path)
            try db.executeScript("""
                CREATE TABLE parent(id INTEGER PRIMARY KEY, name TEXT UNIQUE);
                CREATE TABLE child(id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id));
                CREATE INDEX child_parent ON child(parent_id);
                """)
            for i in 1...50 {
                try db.execute("INSERT INTO parent(id, name) VALUES (?, ?)", [i, "p\(i)"])
                try db.execute("INSERT INTO child(parent_id) VALUES (?)", [i])
            }
            #expect(try db.integrityCheck() == ["ok"])
            #expect(try db.foreignKeyViolations() == [])
        }
    }

    @Test func foreignKeyViolationsListsOrphans() throws {
        let db = try Database.inMemory()
        try db.executeScript("""
            CREATE TABLE parent(id INTEGER PRIMARY KEY);
            CREATE TABLE child(id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id));
            INSERT INTO parent(id) VALUES (1);
            INSERT INTO child(id, parent_id) VALUES (10, 1);
            PRAGMA foreign_keys = OFF;
            INSERT INTO child(id, parent_id) VALUES (11, 2);
            INSERT INTO child(id, parent_id) VALUES (12, 3);
            PRAGMA foreign_keys = ON;
            """)
        #expect(try db.foreignKeyViolations().sorted() == ["child(11) -> parent", "child(12) -> parent"])
        #expect(try db.integrityCheck() == ["ok"])
    }
}
