import OutpostStore
import Testing

@Suite("Row and SQLValue accessors", .timeLimit(.minutes(20)))
struct RowTests {
    private func sampleRow() throws -> Row {
        let db = try Database.inMemory()
        return try #require(try db.row("""
            SELECT 42 AS id, 'Ada' AS name, NULL AS nickname, 1 AS active, 0 AS archived,
                   2.5 AS score, X'00FF' AS data, -7 AS balance
            """))
    }

    @Test func typedAccessorsReadTheirType() throws {
        let row = try sampleRow()
        #expect(try row.int64("id") == 42)
        #expect(try row.int("balance") == -7)
        #expect(try row.string("name") == "Ada")
        #expect(try row.optionalString("name") == "Ada")
        #expect(try row.optionalString("nickname") == nil)
        #expect(try row.optionalInt64("id") == 42)
        #expect(try row.optionalInt64("nickname") == nil)
        #expect(try row.bool("active") == true)
        #expect(try row.bool("archived") == false)
        #expect(row["score"] == .real(2.5))
        #expect(row["data"] == .blob([0x00, 0xFF]))
    }

    @Test func subscriptsByNameAndPosition() throws {
        let row = try sampleRow()
        #expect(row.columns == ["id", "name", "nickname", "active", "archived", "score", "data", "balance"])
        #expect(row[0] == .integer(42))
        #expect(row[1] == .text("Ada"))
        #expect(row["name"] == row[1])
        #expect(row.value(ifPresent: "name") == .text("Ada"))
        #expect(row.value(ifPresent: "nickname") == .null)
        #expect(row.value(ifPresent: "no_such_column") == nil)
        #expect(row.dictionary["id"] == .integer(42))
        #expect(row.dictionary.count == 8)
    }

    @Test func wrongTypeThrowsRowDecodingError() throws {
        let row = try sampleRow()

        let textAsInt = try #require(throws: RowDecodingError.self) { _ = try row.int64("name") }
        #expect(textAsInt.column == "name")
        #expect(textAsInt.expected == "integer")
        #expect(textAsInt.found == .text("Ada"))
        #expect(textAsInt.description.contains("name"))

        let intAsText = try #require(throws: RowDecodingError.self) { _ = try row.string("id") }
        #expect(intAsText.column == "id")
        #expect(intAsText.found == .integer(42))

        let nullAsText = try #require(throws: RowDecodingError.self) { _ = try row.string("nickname") }
        #expect(nullAsText.found == .null)

        let nullAsInt = try #require(throws: RowDecodingError.self) { _ = try row.int("nickname") }
        #expect(nullAsInt.column == "nickname")

        let realAsOptionalInt = try #require(throws: RowDecodingError.self) { _ = try row.optionalInt64("score") }
        #expect(realAsOptionalInt.found == .real(2.5))

        let intAsOptionalText = try #require(throws: RowDecodingError.self) { _ = try row.optionalString("id") }
        #expect(intAsOptionalText.expected == "text or null")

        let textAsBool = try #require(throws: RowDecodingError.self) { _ = try row.bool("name") }
        #expect(textAsBool.column == "name")

        let missing = try #require(throws: RowDecodingError.self) { _ = try row.string("no_such_column") }
        #expect(missing.column == "no_such_column")
        #expect(missing.description.contains("id, name, nickname"))
        let missingInt = try #require(throws: RowDecodingError.self) { _ = try row.optionalInt64("no_such_column") }
        #expect(missingInt.column == "no_such_column")
    }

    /// A misspelt column read by name stops the program with a message naming it and the row's columns, instead of
    /// reading as an empty value. Run in a child process (an exit test), since it ends the process.
    @Test func anUnknownColumnByNameStopsTheProgramNamingTheColumns() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let row = Row(columns: ["id", "name"], values: [.integer(1), .text("Ada")])
            _ = row["nmae"]
        }
        let message = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(message.contains(#"Row has no column "nmae"; its columns are "id", "name""#))
    }

    @Test func rowsFromDifferentQueriesCompareByValue() throws {
        let db = try Database.inMemory()
        let a = try db.row("SELECT 1 AS x, 'y' AS y")
        let b = try db.row("SELECT 1 AS x, 'y' AS y ")
        #expect(a != nil)
        #expect(a == b)
        #expect(a == Row(columns: ["x", "y"], values: [.integer(1), .text("y")]))
    }

    @Test func sqlValueAccessors() {
        #expect(SQLValue.integer(5).int64 == 5)
        #expect(SQLValue.text("5").int64 == nil)
        #expect(SQLValue.text("t").string == "t")
        #expect(SQLValue.integer(1).string == nil)
        #expect(SQLValue.null.isNull)
        #expect(!SQLValue.blob([]).isNull)
        #expect(!SQLValue.text("").isNull)
    }
}
