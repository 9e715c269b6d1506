import CSQLite
import Foundation
import OutpostStore
import Testing

@Suite("Statement: bindings, errors, cache, reuse")
struct StatementTests {
    /// A table whose column has no type affinity, so values keep the storage class they were bound with.
    private func valuesTable() throws -> Database {
        let db = try Database.inMemory()
        try db.executeScript("CREATE TABLE v(id INTEGER PRIMARY KEY, value)")
        return db
    }

    /// Stores `value`, reads it back, and returns it with SQLite's `typeof` and `length`.
    private func roundTrip(_ value: any SQLBindable, in db: Database) throws -> (value: SQLValue, type: String, length: Int64?) {
        try db.execute("DELETE FROM v")
        try db.execute("INSERT INTO v(id, value) VALUES (?, ?)", [1, value])
        let row = try #require(try db.row("SELECT value, typeof(value) AS type, length(value) AS length FROM v WHERE id = ?", [1]))
        return (row["value"], try row.string("type"), try row.optionalInt64("length"))
    }

    static let tenKilobytes = String(repeating: "0123456789", count: 1024)

    @Test func aJSONArrayBindsAListOfAnyLengthAsOneParameter() throws {
        let db = try Database.inMemory()
        let texts = ["cus_02", "cus_01", "quote \" and \\ backslash", "line\nbreak\u{1}", "Ünïcödé 🙂", ""]
        var back: [String] = []
        try db.forEachRow("SELECT value FROM json_each(?)", [SQLValue.jsonArray(texts)]) { back.append(try $0.string("value")) }
        #expect(back == texts.sorted())
        #expect(try db.scalar("SELECT count(*) FROM json_each(?)", [SQLValue.jsonArray([String]())])?.int64 == 0)
    }

    static let roundTripValues: [SQLValue] = [
        .null,
        .integer(0),
        .integer(-1),
        .integer(Int64.min),
        .integer(Int64.max),
        .real(3.141592653589793),
        .real(-2.5e-300),
        .real(Double.greatestFiniteMagnitude),
        .real(Double.leastNonzeroMagnitude),
        .text(""),
        .text("emoji 👩‍👩‍👧‍👦 🚀 é ñ ☃︎"),
        .text("it's \"quoted\" with 'single' and `back` quotes"),
        .text("<script>alert('x')</script>"),
        .text("مرحبا بالعالم"),
        .text("שלום עולם"),
        .text("mixed: abc مرحبا 123 שלום"),
        .text("line\nbreak\ttab\\backslash %_ wildcards ?1 :name @x $y"),
        .text(tenKilobytes),
        .blob([0x00]),
        .blob([0x00, 0x01, 0x00, 0xFF, 0x00, 0x7F, 0x00]),
        .blob(Array(repeating: 0, count: 4096)),
        .blob((0...255).map(UInt8.init)),
    ]

    @Test(arguments: roundTripValues)
    func valueRoundTripsWithItsStorageClass(_ value: SQLValue) throws {
        let db = try valuesTable()
        let stored = try roundTrip(value, in: db)
        #expect(stored.value == value)
        switch value {
        case .null: #expect(stored.type == "null")
        case .integer: #expect(stored.type == "integer")
        case .real: #expect(stored.type == "real")
        case .text(let text):
            #expect(stored.type == "text")
            #expect(stored.length == Int64(text.unicodeScalars.count))
        case .blob(let bytes):
            #expect(stored.type == "blob")
            #expect(stored.length == Int64(bytes.count))
        }
    }

    @Test func tenKilobyteStringIsStoredWhole() throws {
        let db = try valuesTable()
        let stored = try roundTrip(Self.tenKilobytes, in: db)
        #expect(stored.length == 10240)
        #expect(stored.value.string == Self.tenKilobytes)
        // Found by equality on the bound value, too.
        #expect(try db.integers("SELECT id FROM v WHERE value = ?", [Self.tenKilobytes]) == [1])
    }

    @Test func textIsFoundByEqualityOnTheBoundValue() throws {
        let db = try valuesTable()
        let texts = ["👩‍👩‍👧‍👦", "مرحبا", "שלום", "<script>", "a'b\"c"]
        for (i, text) in texts.enumerated() {
            try db.execute("INSERT INTO v(id, value) VALUES (?, ?)", [i + 1, text])
        }
        for (i, text) in texts.enumerated() {
            #expect(try db.integers("SELECT id FROM v WHERE value = ?", [text]) == [Int64(i + 1)])
        }
    }

    @Test func swiftTypesBindAsTheirStorageClass() throws {
        let db = try valuesTable()
        #expect(try roundTrip(true, in: db).value == .integer(1))
        #expect(try roundTrip(false, in: db).value == .integer(0))
        #expect(try roundTrip(true, in: db).type == "integer")
        #expect(try roundTrip(42, in: db).value == .integer(42))
        #expect(try roundTrip(Int.min, in: db).value == .integer(Int64(Int.min)))
        #expect(try roundTrip(Int64.max, in: db).value == .integer(.max))
        #expect(try roundTrip(0.5, in: db).value == .real(0.5))
        #expect(try roundTrip("text", in: db).value == .text("text"))

        let none: String? = nil
        let nilStored = try roundTrip(none, in: db)
        #expect(nilStored.value == .null)
        #expect(nilStored.type == "null")
        let noInt: Int? = nil
        #expect(try roundTrip(noInt, in: db).value == .null)
        let some: Int? = 7
        #expect(try roundTrip(some, in: db).value == .integer(7))
        let someText: String? = "present"
        #expect(try roundTrip(someText, in: db).value == .text("present"))
    }

    @Test func boolBindsAsZeroAndOne() throws {
        let db = try Database.inMemory()
        try db.executeScript("CREATE TABLE flags(id INTEGER PRIMARY KEY, on_ INTEGER NOT NULL)")
        try db.execute("INSERT INTO flags(id, on_) VALUES (?, ?)", [1, true])
        try db.execute("INSERT INTO flags(id, on_) VALUES (?, ?)", [2, false])
        #expect(try db.integers("SELECT id FROM flags WHERE on_ = 1") == [1])
        #expect(try db.integers("SELECT id FROM flags WHERE on_ = 0") == [2])
        #expect(try db.integers("SELECT on_ FROM flags ORDER BY id") == [1, 0])
        #expect(try db.integers("SELECT id FROM flags WHERE on_ = ?", [true]) == [1])
    }

    @Test func optionalNilBindsNull() throws {
        let db = try Database.inMemory()
        let missing: Int64? = nil
        #expect(try db.scalar("SELECT ? IS NULL", [missing]) == .integer(1))
        #expect(try db.scalar("SELECT typeof(?)", [missing]) == .text("null"))
        #expect(try db.scalar("SELECT typeof(?)", [SQLValue.null]) == .text("null"))
        let present: Int64? = 3
        #expect(try db.scalar("SELECT ? IS NULL", [present]) == .integer(0))
    }

    /// An empty blob is a zero-length BLOB value, not NULL.
    @Test func emptyBlobIsNotNull() throws {
        let db = try valuesTable()
        let stored = try roundTrip(SQLValue.blob([]), in: db)
        #expect(stored.type == "blob")
        #expect(stored.value == .blob([]))
    }

    @Test func wrongArgumentCountThrowsRangeErrorNamingTheSQL() throws {
        let db = try Database.inMemory()
        let sql = "SELECT ? + ?"
        for arguments in [[], [1], [1, 2, 3]] as [[any SQLBindable]] {
            let error = try #require(throws: DatabaseError.self) { _ = try db.rows(sql, arguments) }
            #expect(error.code == 25) // SQLITE_RANGE
            #expect(error.extendedCode == SQLITE_RANGE)
            #expect(error.sql == sql)
            #expect(error.description.contains(sql))
            #expect(error.message.contains("\(arguments.count)"))
        }
        // No parameters, but an argument given.
        let error = try #require(throws: DatabaseError.self) { try db.execute("SELECT 1", [1]) }
        #expect(error.code == SQLITE_RANGE)
        #expect(error.sql == "SELECT 1")
        // The right count still works on the same cached statement.
        #expect(try db.scalar(sql, [2, 3]) == .integer(5))
    }

    @Test func bindingsAreClearedBetweenRuns() throws {
        let db = try Database.inMemory()
        #expect(try db.scalar("SELECT ?", ["first"]) == .text("first"))
        #expect(try db.scalar("SELECT ?", [SQLValue.null]) == .null)
        #expect(try db.scalar("SELECT ?", [2]) == .integer(2))
    }

    @Test func injectionAttemptIsStoredAsPlainText() throws {
        let db = try Database.inMemory()
        try db.executeScript("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT)")
        let attack = "x'); DROP TABLE t; --"
        try db.execute("INSERT INTO t(name) VALUES (?)", [attack])
        try db.execute("INSERT INTO t(name) VALUES (?)", ["second"])

        #expect(try db.tableExists("t"))
        #expect(try db.count("t") == 2)
        let stored = try #require(try db.row("SELECT name FROM t WHERE id = 1"))
        #expect(try stored.string("name") == attack)

        // A classic WHERE bypass matches nothing.
        #expect(try db.rows("SELECT * FROM t WHERE name = ?", ["' OR '1'='1"]).isEmpty)
        #expect(try db.integers("SELECT id FROM t WHERE name = ?", [attack]) == [1])
    }

    @Test func rowAndScalarReturnNilWhenThereIsNoRow() throws {
        let db = try Database.inMemory()
        try db.executeScript("CREATE TABLE t(x)")
        #expect(try db.row("SELECT x FROM t") == nil)
        #expect(try db.scalar("SELECT x FROM t") == nil)
        #expect(try db.rows("SELECT x FROM t").isEmpty)
        try db.execute("INSERT INTO t(x) VALUES (?)", [SQLValue.null])
        // A NULL value is a row, and not the same as no row.
        #expect(try db.scalar("SELECT x FROM t") == .null)
    }

    @Test func columnNamesFollowTheSelect() throws {
        let db = try Database.inMemory()
        let statement = try db.cachedStatement("SELECT 1 AS one, 'two' AS two, NULL AS three")
        #expect(statement.columnNames == ["one", "two", "three"])
        #expect(statement.sql == "SELECT 1 AS one, 'two' AS two, NULL AS three")
        let row = try #require(try db.row(statement.sql))
        #expect(row.columns == ["one", "two", "three"])
        #expect(row.values == [.integer(1), .text("two"), .null])
    }

    @Test func forEachRowVisitsEveryRowInOrder() throws {
        let db = try Database.inMemory()
        try db.executeScript("CREATE TABLE t(x); INSERT INTO t(x) VALUES (3), (1), (2)")
        var seen: [Int64] = []
        try db.forEachRow("SELECT x FROM t WHERE x >= ? ORDER BY x", [1]) { seen.append(try $0.int64("x")) }
        #expect(seen == [1, 2, 3])
    }

    // MARK: Cache

    @Test func sameSQLReturnsTheSameStatement() throws {
        let db = try Database.inMemory()
        let first = try db.cachedStatement("SELECT 1")
        let second = try db.cachedStatement("SELECT 1")
        let other = try db.cachedStatement("SELECT 2")
        #expect(first === second)
        #expect(first !== other)
        // Convenience methods go through the same cache.
        _ = try db.scalar("SELECT 1")
        #expect(try db.cachedStatement("SELECT 1") === first)
    }

    @Test func failedPreparationIsNotCached() throws {
        let db = try Database.inMemory()
        #expect(throws: DatabaseError.self) { _ = try db.rows("SELECT * FROM later") }
        try db.executeScript("CREATE TABLE later(x); INSERT INTO later(x) VALUES (1)")
        #expect(try db.integers("SELECT * FROM later") == [1])
    }

    @Test func statementIsReusableAfterAStepError() throws {
        let db = try Database.inMemory()
        try db.executeScript("CREATE TABLE t(x UNIQUE)")
        let sql = "INSERT INTO t(x) VALUES (?)"
        try db.execute(sql, [1])
        let error = try #require(throws: DatabaseError.self) { try db.execute(sql, [1]) }
        #expect(error.extendedCode == 2067)
        try db.execute(sql, [2])
        #expect(try db.integers("SELECT x FROM t ORDER BY x") == [1, 2])
        #expect(!db.isInTransaction)
    }

    @Test func statementThatThrowsMidIterationIsResetAndReusable() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("reuse.sqlite").path
            let db = try Database(path: path)
            let other = try Database(path: path)
            try db.executeScript("CREATE TABLE t(id INTEGER PRIMARY KEY); INSERT INTO t(id) VALUES (1), (2), (3)")

            let sql = "SELECT id FROM t ORDER BY id"
            let statement = try db.cachedStatement(sql)
            let boom = Boom()
            var seen: [Int64] = []
            let thrown = try #require(throws: Boom.self) {
                try db.forEachRow(sql) { row in
                    seen.append(try row.int64("id"))
                    throw boom
                }
            }
            #expect(thrown == boom)
            #expect(seen == [1])
            #expect(!db.isInTransaction)

            // The interrupted read holds no snapshot: a write from another
            // connection is visible to this one right away…
            try other.execute("INSERT INTO t(id) VALUES (?)", [4])
            #expect(try db.count("t") == 4)

            // …and the same statement runs again from the first row.
            #expect(try db.cachedStatement(sql) === statement)
            #expect(try db.integers(sql) == [1, 2, 3, 4])
            #expect(!db.isInTransaction)

            // The connection can still write and checkpoint everything.
            try db.execute("INSERT INTO t(id) VALUES (?)", [5])
            let checkpoint = try #require(try db.row("PRAGMA wal_checkpoint(TRUNCATE)"))
            #expect(checkpoint[0] == .integer(0)) // not busy
        }
    }

    /// Control for the test above: a statement left un-reset *does* pin a
    /// snapshot, so that test would notice if `forEachRow` forgot to reset.
    @Test func unresetStatementPinsASnapshot() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("control.sqlite").path
            let db = try Database(path: path)
            let other = try Database(path: path)
            try db.executeScript("CREATE TABLE t(id INTEGER PRIMARY KEY); INSERT INTO t(id) VALUES (1), (2), (3)")
            let statement = try db.cachedStatement("SELECT id FROM t ORDER BY id")
            try statement.bind([])
            #expect(try statement.step())
            try other.execute("INSERT INTO t(id) VALUES (?)", [4])
            #expect(try db.count("t") == 3)
            statement.reset()
            #expect(try db.count("t") == 4)
        }
    }

    @Test func throwInsideTransactionIterationLeavesNoTransaction() throws {
        let db = try Database.inMemory()
        try db.executeScript("CREATE TABLE t(id INTEGER PRIMARY KEY); INSERT INTO t(id) VALUES (1), (2)")
        #expect(throws: Boom.self) {
            try db.transaction {
                try db.execute("INSERT INTO t(id) VALUES (?)", [3])
                try db.forEachRow("SELECT id FROM t") { _ in throw Boom() }
            }
        }
        #expect(!db.isInTransaction)
        #expect(try db.integers("SELECT id FROM t ORDER BY id") == [1, 2])
    }

    /// Running the same SQL again from inside a `forEachRow` body over that
    /// SQL must not disturb the outer iteration. Handing back
    /// the statement being iterated would make the inner run reset the outer loop.
    @Test func nestedUseOfTheSameSQLDoesNotDisturbTheOuterIteration() throws {
        let db = try Database.inMemory()
        try db.executeScript("CREATE TABLE t(id INTEGER PRIMARY KEY); INSERT INTO t(id) VALUES (1), (2), (3)")
        let sql = "SELECT id FROM t ORDER BY id"
        var outer: [Int64] = []
        var inner: [[Int64]] = []
        struct Runaway: Error {}
        try db.forEachRow(sql) { row in
            outer.append(try row.int64("id"))
            guard outer.count <= 10 else { throw Runaway() }
            inner.append(try db.integers(sql))
        }
        #expect(outer == [1, 2, 3])
        #expect(inner == [[1, 2, 3], [1, 2, 3], [1, 2, 3]])
    }
}
