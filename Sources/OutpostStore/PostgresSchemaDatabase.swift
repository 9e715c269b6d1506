/// One schema of a PostgreSQL connection: every statement runs with `search_path` set to it.
///
/// A PostgreSQL node keeps its registry and each reseller in schemas of their own. Rather than one connection per
/// reseller (a thousand resellers would need a thousand connections per process, past `max_connections`), one
/// connection serves them all in turn: each view points `search_path` at its schema before a statement, and skips
/// the `SET` when the connection already points there. Not `Sendable`, like the connection it shares: one owner
/// uses the connection and all its views.
public final class PostgresSchemaDatabase: SQLDatabase {
    /// The connection shared by every schema's view.
    public let connection: PostgresDatabase
    /// The schema, a plain identifier (`outpost_node`, `reseller_acme`) chosen by the node, never input.
    public let schema: String

    init(connection: PostgresDatabase, schema: String) {
        self.connection = connection
        self.schema = schema
    }

    public var dialect: SQLDialect { .postgresql }

    public func execute(_ sql: String, _ arguments: [any SQLBindable]) throws {
        try connection.use(schema: schema)
        try connection.execute(sql, arguments)
    }

    public func executeLater(_ sql: String, _ arguments: [any SQLBindable]) throws {
        try connection.use(schema: schema)
        try connection.executeLater(sql, arguments)
    }

    public func executeScript(_ sql: String) throws {
        try connection.use(schema: schema)
        try connection.executeScript(sql)
    }

    public func rows(_ sql: String, _ arguments: [any SQLBindable]) throws -> [Row] {
        try connection.use(schema: schema)
        return try connection.rows(sql, arguments)
    }

    public func row(_ sql: String, _ arguments: [any SQLBindable]) throws -> Row? {
        try connection.use(schema: schema)
        return try connection.row(sql, arguments)
    }

    public func scalar(_ sql: String, _ arguments: [any SQLBindable]) throws -> SQLValue? {
        try connection.use(schema: schema)
        return try connection.scalar(sql, arguments)
    }

    public func forEachRow(_ sql: String, _ arguments: [any SQLBindable], _ body: (Row) throws -> Void) throws {
        try connection.use(schema: schema)
        try connection.forEachRow(sql, arguments, body)
    }

    public func forEachRowWhile(_ sql: String, _ arguments: [any SQLBindable], _ body: (Row) throws -> Bool) throws {
        try connection.use(schema: schema)
        try connection.forEachRowWhile(sql, arguments, body)
    }

    public var changes: Int { connection.changes }

    public var isInTransaction: Bool { connection.isInTransaction }

    // The SET comes before BEGIN: a search_path set outside the transaction survives its rollback.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try connection.use(schema: schema)
        return try connection.transaction(body)
    }

    public func savepoint<T>(_ body: () throws -> T) throws -> T {
        try connection.use(schema: schema)
        return try connection.savepoint(body)
    }

    public func readTransaction<T>(_ body: () throws -> T) throws -> T {
        try connection.use(schema: schema)
        return try connection.readTransaction(body)
    }
}
