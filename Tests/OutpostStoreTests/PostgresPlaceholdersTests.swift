import OutpostStore
import Testing

@Suite("? markers become $n for PostgreSQL", .timeLimit(.minutes(20)))
struct PostgresPlaceholdersTests {
    @Test func markersAreNumberedInOrder() {
        let translated = PostgresPlaceholders.translate("INSERT INTO t (a, b, c) VALUES (?, ?, ?)")
        #expect(translated.sql == "INSERT INTO t (a, b, c) VALUES ($1, $2, $3)")
        #expect(translated.parameterCount == 3)
    }

    @Test func markersInsideLiteralsIdentifiersAndCommentsStayText() {
        let sql = """
            SELECT '?', 'it''s ?', "odd?name", x -- why? because
            FROM t /* a ? here */ WHERE y = ? AND z = '?'
            """
        let translated = PostgresPlaceholders.translate(sql)
        #expect(translated.sql == """
            SELECT '?', 'it''s ?', "odd?name", x -- why? because
            FROM t /* a ? here */ WHERE y = $1 AND z = '?'
            """)
        #expect(translated.parameterCount == 1)
    }

    @Test func numberedMarkersFollowSQLitesRule() {
        // A bare ? is one more than the largest number so far (sqlite.org/lang_expr.html#varparam).
        let translated = PostgresPlaceholders.translate("SELECT ?2, ?, ?1, ?")
        #expect(translated.sql == "SELECT $2, $3, $1, $4")
        #expect(translated.parameterCount == 4)
    }

    @Test func textWithoutMarkersIsUnchangedEvenWithNonASCII() {
        let sql = "SELECT 'Zürich — 日本', \"naïve\" FROM t"
        #expect(PostgresPlaceholders.translate(sql).sql == sql)
        #expect(PostgresPlaceholders.translate(sql).parameterCount == 0)
        // An unterminated literal is copied as it is; the server reports it.
        #expect(PostgresPlaceholders.translate("SELECT 'open ?").sql == "SELECT 'open ?")
    }
}
