import Foundation
import OutpostStore
import Testing

/// The same cases against SQLite and PostgreSQL through `SQLDatabase`: what the node's code may rely
/// on, whichever store it holds.
@Suite("SQLDatabase conformance, SQLite and PostgreSQL", .timeLimit(.minutes(20)))
struct StoreConformanceTests {
    /// A table with one column per value kind; the blob column's type is the one statement that differs.
    private func valuesTable(_ db: any SQLDatabase) throws {
        let blobType = db.dialect == .sqlite ? "BLOB" : "BYTEA"
        try db.executeScript("CREATE TABLE v (id INTEGER PRIMARY KEY, i BIGINT, r DOUBLE PRECISION, t TEXT, b \(blobType))")
    }

    private func numbersTable(_ db: any SQLDatabase) throws {
        try db.executeScript("CREATE TABLE n (x INTEGER PRIMARY KEY, label TEXT NOT NULL UNIQUE)")
    }

    private func numbers(_ db: any SQLDatabase) throws -> [Int64] {
        try db.rows("SELECT x FROM n ORDER BY x").map { try $0.int64("x") }
    }

    @Test("integers, reals, text, blobs and NULL come back as they were bound", arguments: StoreKind.runnable)
    func valuesRoundTrip(kind: StoreKind) throws {
        let store = try kind.open()
        let db = store.db
        try valuesTable(db)
        let cases: [(Int64, Double, String, [UInt8])] = [
            (0, 0, "", []),
            (Int64.max, 1.0 / 3.0, "Zürich Dental AG — ✓ 𝄞 日本語", [0, 255, 0, 1, 0x5c, 0x78]),
            (Int64.min, -2.5e300, "it's \"quoted\" ? and -- not a comment", Array(0...255)),
            (-1, 0.1, "line\nbreak\ttab", [0x00]),
        ]
        for (index, value) in cases.enumerated() {
            try db.execute("INSERT INTO v (id, i, r, t, b) VALUES (?, ?, ?, ?, ?)",
                           [index, value.0, value.1, value.2, SQLValue.blob(value.3)])
        }
        let rows = try db.rows("SELECT i, r, t, b FROM v ORDER BY id")
        #expect(rows.count == cases.count)
        for (row, value) in zip(rows, cases) {
            #expect(row["i"] == .integer(value.0))
            #expect(row["r"] == .real(value.1))
            #expect(row["t"] == .text(value.2))
            #expect(row["b"] == .blob(value.3))
        }
        // Values bound straight into a SELECT come back as the same kinds.
        #expect(try db.scalar("SELECT ?", [Int64(42)]) == .integer(42))
        #expect(try db.scalar("SELECT ?", ["Grüße"]) == .text("Grüße"))
        #expect(try db.scalar("SELECT ?", [2.5]) == .real(2.5))
        #expect(try db.scalar("SELECT ?", [SQLValue.blob([1, 2, 3])]) == .blob([1, 2, 3]))
    }

    @Test("NULL is bound and read back in every column, and `?` inside a literal is text", arguments: StoreKind.runnable)
    func nullsAndLiterals(kind: StoreKind) throws {
        let store = try kind.open()
        let db = store.db
        try valuesTable(db)
        let none: String? = nil
        try db.execute("INSERT INTO v (id, i, r, t, b) VALUES (?, ?, ?, ?, ?)", [1, SQLValue.null, SQLValue.null, none, SQLValue.null])
        let row = try #require(try db.row("SELECT i, r, t, b FROM v WHERE id = ?", [1]))
        #expect(row.values == [.null, .null, .null, .null])
        #expect(try db.scalar("SELECT count(*) FROM v WHERE t IS NULL AND b IS NULL") == .integer(1))
        let literal = try #require(try db.row("SELECT '?' AS mark, ? AS bound, 'a ''?'' b' AS quoted", ["x"]))
        #expect(literal.values == [.text("?"), .text("x"), .text("a '?' b")])
    }

    @Test("counts and sums are integers, averages reals, an empty result nil", arguments: StoreKind.runnable)
    func aggregatesAndEmptyResults(kind: StoreKind) throws {
        let store = try kind.open()
        let db = store.db
        try numbersTable(db)
        for x in [1, 2, 4] { try db.execute("INSERT INTO n (x, label) VALUES (?, ?)", [x, "n\(x)"]) }
        let row = try #require(try db.row("SELECT count(*) AS c, sum(x) AS s, avg(x) AS a, max(label) AS m FROM n"))
        #expect(row["c"] == .integer(3))
        #expect(row["s"] == .integer(7))
        #expect(row["a"].isReal(close: 7.0 / 3.0))
        #expect(row["m"] == .text("n4"))
        #expect(try db.row("SELECT x FROM n WHERE x > ?", [10]) == nil)
        #expect(try db.scalar("SELECT x FROM n WHERE x > ?", [10]) == nil)
        var seen: [Int64] = []
        try db.forEachRowWhile("SELECT x FROM n ORDER BY x", []) { row in
            seen.append(try row.int64("x"))
            return seen.count < 2
        }
        #expect(seen == [1, 2])
        try db.execute("UPDATE n SET label = label || ? WHERE x < ?", ["!", 3])
        #expect(db.changes == 2)
        #expect(try db.rows("SELECT label FROM n ORDER BY x").map { try $0.string("label") } == ["n1!", "n2!", "n4"])
    }

    @Test("a wrong number of arguments is refused before anything runs", arguments: StoreKind.runnable)
    func argumentCountIsChecked(kind: StoreKind) throws {
        let store = try kind.open()
        let db = store.db
        try numbersTable(db)
        #expect(throws: (any Error).self) { try db.execute("INSERT INTO n (x, label) VALUES (?, ?)", [1]) }
        #expect(try numbers(db) == [])
    }

    @Test("a transaction commits when its body returns and rolls back, rethrowing, when it throws", arguments: StoreKind.runnable)
    func transactionsCommitAndRollBack(kind: StoreKind) throws {
        let store = try kind.open()
        let db = store.db
        try numbersTable(db)
        let result = try db.transaction { () throws -> String in
            #expect(db.isInTransaction)
            try db.execute("INSERT INTO n (x, label) VALUES (?, ?)", [1, "one"])
            return "kept"
        }
        #expect(result == "kept")
        #expect(!db.isInTransaction)
        let boom = Boom()
        let thrown = try #require(throws: Boom.self) {
            try db.transaction {
                try db.execute("INSERT INTO n (x, label) VALUES (?, ?)", [2, "two"])
                #expect(try numbers(db) == [1, 2])
                throw boom
            }
        }
        #expect(thrown == boom)
        #expect(!db.isInTransaction)
        #expect(try numbers(db) == [1])
    }

    @Test("a nested transaction is a savepoint: it rolls back alone and the outer one commits", arguments: StoreKind.runnable)
    func savepointsRollBackAlone(kind: StoreKind) throws {
        let store = try kind.open()
        let db = store.db
        try numbersTable(db)
        try db.transaction {
            try db.execute("INSERT INTO n (x, label) VALUES (?, ?)", [1, "one"])
            _ = try? db.transaction {
                try db.execute("INSERT INTO n (x, label) VALUES (?, ?)", [2, "two"])
                throw Boom()
            }
            try db.savepoint {
                try db.execute("INSERT INTO n (x, label) VALUES (?, ?)", [3, "three"])
            }
            #expect(db.isInTransaction)
        }
        #expect(try numbers(db) == [1, 3])
    }

    @Test("a failed statement inside a savepoint is undone there and the transaction goes on", arguments: StoreKind.runnable)
    func failedStatementInASavepoint(kind: StoreKind) throws {
        let store = try kind.open()
        let db = store.db
        try numbersTable(db)
        try db.transaction {
            try db.execute("INSERT INTO n (x, label) VALUES (?, ?)", [1, "one"])
            let duplicate = try #require(storeFailure {
                try db.savepoint { try db.execute("INSERT INTO n (x, label) VALUES (?, ?)", [2, "one"]) }
            })
            #expect(duplicate.kind == .uniqueViolation, "\(duplicate)")
            try db.execute("INSERT INTO n (x, label) VALUES (?, ?)", [3, "three"])
        }
        #expect(try numbers(db) == [1, 3])
    }

    @Test("a statement run later is seen by the next read, and its error fails the next statement that waits, then the transaction",
          arguments: StoreKind.runnable)
    func statementsRunLater(kind: StoreKind) throws {
        let store = try kind.open()
        let db = store.db
        try numbersTable(db)
        try db.transaction {
            for x in 1...300 { try db.executeLater("INSERT INTO n (x, label) VALUES (?, ?)", [x, "n\(x)"]) }
            #expect(try db.scalar("SELECT count(*) FROM n")?.int64 == 300, "more than the pipeline holds at once, all in order")
        }
        #expect(try numbers(db).count == 300)
        // A duplicate label sent without waiting: on PostgreSQL the next query throws it, on SQLite the statement itself.
        let duplicate = try #require(storeFailure {
            try db.transaction {
                try db.executeLater("INSERT INTO n (x, label) VALUES (?, ?)", [301, "n1"])
                try db.executeLater("INSERT INTO n (x, label) VALUES (?, ?)", [302, "n302"])
                _ = try db.scalar("SELECT count(*) FROM n")
            }
        })
        #expect(duplicate.kind == .uniqueViolation, "\(duplicate)")
        #expect(duplicate.description.contains("INSERT INTO n"), "the error names the statement that failed: \(duplicate)")
        #expect(try db.scalar("SELECT max(x) FROM n")?.int64 == 300, "nothing of the failed transaction stays")
        // A failure at the commit: the last statement before it was sent without waiting.
        let atCommit = try #require(storeFailure {
            try db.transaction { try db.executeLater("INSERT INTO n (x, label) VALUES (?, ?)", [303, "n2"]) }
        })
        #expect(atCommit.kind == .uniqueViolation, "\(atCommit)")
        // Inside a savepoint: SQLite throws at once and the savepoint undoes it; on PostgreSQL the answer may come
        // after the savepoint ended, and then the whole transaction fails with it (what `executeLater` promises).
        var inSavepoint: (any StoreFailure)?
        let inTransaction = storeFailure {
            try db.transaction {
                inSavepoint = storeFailure {
                    try db.savepoint { try db.executeLater("INSERT INTO n (x, label) VALUES (?, ?)", [304, "n3"]) }
                }
                try db.executeLater("INSERT INTO n (x, label) VALUES (?, ?)", [305, "n305"])
            }
        }
        switch kind {
        case .sqlite:
            #expect(inSavepoint?.kind == .uniqueViolation && inTransaction == nil)
            #expect(try db.scalar("SELECT max(x) FROM n")?.int64 == 305)
        case .postgresql:
            #expect(inSavepoint == nil && inTransaction?.kind == .uniqueViolation, "\(String(describing: inTransaction))")
            #expect(try db.scalar("SELECT max(x) FROM n")?.int64 == 300)
        }
    }

    @Test("a statement whose table changed shape since it was first run still runs (PostgreSQL prepares each statement once)",
          arguments: StoreKind.runnable)
    func statementAfterTheTableChanged(kind: StoreKind) throws {
        let store = try kind.open()
        let db = store.db
        try numbersTable(db)
        try db.execute("INSERT INTO n (x, label) VALUES (?, ?)", [1, "one"])
        #expect(try db.row("SELECT * FROM n WHERE x = ?", [1])?.columns == ["x", "label"])
        try db.executeScript("ALTER TABLE n ADD COLUMN note TEXT NOT NULL DEFAULT 'new'")
        let row = try #require(try db.row("SELECT * FROM n WHERE x = ?", [1]))
        #expect(row.columns == ["x", "label", "note"])
        #expect(try row.string("note") == "new")
    }

    @Test("unique and other constraint violations are told apart", arguments: StoreKind.runnable)
    func constraintKinds(kind: StoreKind) throws {
        let store = try kind.open()
        let db = store.db
        try numbersTable(db)
        try db.execute("INSERT INTO n (x, label) VALUES (?, ?)", [1, "one"])
        let unique = try #require(storeFailure { try db.execute("INSERT INTO n (x, label) VALUES (?, ?)", [1, "uno"]) })
        #expect(unique.kind == .uniqueViolation, "\(unique)")
        let missing: String? = nil
        let notNull = try #require(storeFailure { try db.execute("INSERT INTO n (x, label) VALUES (?, ?)", [2, missing]) })
        #expect(notNull.kind == .constraintViolation, "\(notNull)")
        let badSQL = try #require(storeFailure { try db.execute("SELECT nothing FROM nowhere") })
        #expect(badSQL.kind == .other)
        #expect(badSQL.description.contains("SELECT nothing FROM nowhere"), "the error names the statement: \(badSQL)")
        #expect(try numbers(db) == [1])
    }

    @Test("the reseller counter hands out 1, 2, 3 inside transactions; a rolled-back version is handed out again", arguments: StoreKind.runnable)
    func resellerCounter(kind: StoreKind) throws {
        let store = try kind.open()
        let db = store.db
        try db.executeScript(ResellerCounter.createTable)
        try ResellerCounter.register("acme", in: db)
        try ResellerCounter.register("globex", in: db)
        try ResellerCounter.register("acme", in: db)  // again: keeps its version
        #expect(try db.transaction { try ResellerCounter.next(for: "acme", in: db) } == 1)
        #expect(try db.transaction { try ResellerCounter.next(for: "acme", in: db) } == 2)
        _ = try? db.transaction {
            #expect(try ResellerCounter.next(for: "acme", in: db) == 3)
            throw Boom()
        }
        #expect(try db.transaction { try ResellerCounter.next(for: "acme", in: db) } == 3, "no gap after a rollback")
        #expect(try db.transaction { try ResellerCounter.next(for: "globex", in: db) } == 1, "each reseller counts alone")
        #expect(try ResellerCounter.current(for: "acme", in: db) == 3)
        #expect(throws: ResellerCounter.Failure.outsideTransaction(reseller: "acme")) { try ResellerCounter.next(for: "acme", in: db) }
        #expect(throws: ResellerCounter.Failure.unknownReseller("initech")) {
            try db.transaction { try ResellerCounter.next(for: "initech", in: db) }
        }
    }
}

/// The store's error a body threw, or `nil` when it threw none (or another kind of error).
func storeFailure(_ body: () throws -> Void) -> (any StoreFailure)? {
    do {
        try body()
        return nil
    } catch let failure as any StoreFailure {
        return failure
    } catch {
        return nil
    }
}

extension SQLValue {
    /// Whether this is a real within a rounding error of `expected`.
    func isReal(close expected: Double) -> Bool {
        guard case .real(let value) = self else { return false }
        return abs(value - expected) < 1e-9
    }
}
