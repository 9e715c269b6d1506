import Foundation
import OutpostModel
import OutpostStore
import OutpostSystem

/// The central node: a directory with `node.sqlite` (resellers, tokens, the
/// catalog) and one database per reseller under `tenants/`; or the same in a
/// PostgreSQL database: the registry in the schema `outpost_node`, each reseller
/// in a schema of its own (`reseller_ID`), reached through its own connection.
public final class Node {
    public static let registryName = "node.sqlite"

    /// The node's directory: a SQLite node's databases; on PostgreSQL, the local files not yet
    /// kept in the database (the notify lock).
    public let directory: URL
    public let clock: any Clock
    let registry: any SQLDatabase
    /// Where the resellers' databases are.
    let store: Store
    private var tenants: [String: Tenant] = [:]

    /// Where a node keeps its state.
    enum Store {
        /// `node.sqlite` and `tenants/ID.sqlite` in the node's directory.
        case sqlite
        /// One PostgreSQL database: the registry and each reseller in schemas of their own.
        case postgresql(PostgresConnectionString)
    }

    /// Where the node lives, for people: its directory, or the PostgreSQL database (host and database, never
    /// the password) its `store` file names.
    public var location: String {
        switch store {
        case .sqlite: return directory.path
        case .postgresql(let location): return location.display
        }
    }

    /// Ends any statement of this node object's PostgreSQL connection after `seconds` (`statement_timeout`, kept
    /// across reconnects); nothing for a SQLite node, whose waits are its busy timeout.
    public func limitStatements(toSeconds seconds: Double) throws {
        try connection?.limitStatements(toSeconds: seconds)
    }

    /// The PostgreSQL database the node lives in, or `nil` for a SQLite node.
    public var postgresStore: PostgresConnectionString? {
        if case .postgresql(let location) = store { return location }
        return nil
    }

    /// The PostgreSQL schema holding the registry.
    static let registrySchema = "outpost_node"

    /// Why a node directory cannot be used.
    public enum OpenError: Error, Sendable, CustomStringConvertible {
        case missing(String)
        case notANode(String, reason: String)
        case alreadyExists(String)

        public var description: String {
            switch self {
            case .missing(let path): return "no node at \(path); create one with: outpost node init \(path)"
            case let .notANode(path, reason): return "\(path) is not an Outpost node: \(reason)"
            case .alreadyExists(let path): return "a node already exists at \(path)"
            }
        }
    }

    /// A node command that cannot be carried out (unknown reseller, bad id…).
    public struct AdminError: Error, Sendable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
        init(_ message: String) { self.message = message }
    }

    /// On a process serving a PostgreSQL node, the tokens and quiet-pull answers it may keep (set by `NodeQueue`
    /// before any tenant is opened).
    var changeWatch: NodeChangeWatch?

    /// A PostgreSQL node's one connection: the registry and every reseller's schema are views of it
    /// (`PostgresSchemaDatabase`), so a node object holds one connection however many resellers it serves.
    let connection: PostgresDatabase?

    private init(directory: URL, registry: any SQLDatabase, store: Store = .sqlite, connection: PostgresDatabase? = nil, clock: any Clock) {
        self.directory = directory
        self.registry = registry
        self.store = store
        self.connection = connection
        self.clock = clock
    }

    static let registryMigrator: Migrator = {
        var migrator = Migrator()
        migrator.register("v1: resellers, tokens, catalog") { db in
            try db.executeScript("""
                CREATE TABLE node_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
                INSERT INTO node_meta (key, value) VALUES ('format', 'outpost-node');
                CREATE TABLE reseller (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    currency TEXT NOT NULL,
                    created_at TEXT NOT NULL
                ) STRICT;
                CREATE TABLE token (
                    id TEXT PRIMARY KEY,
                    reseller_id TEXT NOT NULL REFERENCES reseller (id),
                    username TEXT NOT NULL,
                    hash TEXT NOT NULL UNIQUE,
                    created_at TEXT NOT NULL,
                    revoked_at TEXT
                ) STRICT;
                CREATE TABLE catalog_plan (
                    id TEXT PRIMARY KEY,
                    plan TEXT NOT NULL
                ) STRICT;
                """)
        }
        migrator.register("v2: token expiry and last use") { db in
            // Both empty for tokens issued before: they never expire, and have not been seen used since.
            try db.executeScript("ALTER TABLE token ADD COLUMN expires_at TEXT; ALTER TABLE token ADD COLUMN last_used_at TEXT")
        }
        return migrator
    }()

    /// The file in a PostgreSQL node's directory holding the connection string of the database the node
    /// lives in (its owner's alone: it may hold a password). `Node.open(DIR)` opens that database when it is there.
    public static let storeFileName = "store"

    /// Creates a node in `directory` (made when missing).
    public static func create(at directory: URL, clock: any Clock) throws -> Node {
        let file = directory.appendingPathComponent(registryName)
        try requireNoNode(in: directory)
        // Nothing in a node is for other users: its directories are its owner's alone, as its files are.
        try LocalFiles.createPrivateDirectory(directory.path)
        try LocalFiles.createPrivateDirectory(directory.appendingPathComponent("tenants").path)
        let db = try Database(path: file.path)
        try registryMigrator.migrate(db)
        return Node(directory: directory, registry: db, clock: clock)
    }

    /// Opens an existing node: the PostgreSQL database `DIR/store` names when that file is there, else the
    /// SQLite node in the directory.
    public static func open(_ directory: URL, clock: any Clock) throws -> Node {
        if let store = try storeLocation(of: directory) { return try open(directory, store: store, clock: clock) }
        let file = directory.appendingPathComponent(registryName)
        guard FileManager.default.fileExists(atPath: file.path) else {
            if FileManager.default.fileExists(atPath: directory.path) {
                throw OpenError.notANode(directory.path, reason: "it has no \(registryName)")
            }
            throw OpenError.missing(directory.path)
        }
        do {
            // Look before writing: a file that is not a node must stay exactly as it is.
            let probe = try Database(path: file.path, mode: .readOnly)
            guard try probe.scalar("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'node_meta'") != nil else {
                throw OpenError.notANode(directory.path, reason: "\(registryName) holds no node registry")
            }
            let db = try Database(path: file.path, mode: .readWrite)
            try registryMigrator.migrate(db)
            guard try db.scalar("SELECT value FROM node_meta WHERE key = 'format'")?.string == "outpost-node" else {
                throw OpenError.notANode(directory.path, reason: "\(registryName) is not a node registry")
            }
            return Node(directory: directory, registry: db, clock: clock)
        } catch let error as DatabaseError where error.isNotADatabase || error.code == 1 {
            throw OpenError.notANode(directory.path, reason: "\(registryName) is not an Outpost node database (\(error.message))")
        }
    }

    /// Creates a node whose state lives in the PostgreSQL database `store` names; `directory` (made when
    /// missing, for its owner alone) gets the connection string in `DIR/store`, so every other command
    /// opens the node with `Node.open(DIR)`. A database that already holds a node is refused
    /// (`alreadyExists` naming the store): a second machine serving it uses `attach`.
    public static func create(at directory: URL, store: PostgresConnectionString, clock: any Clock) throws -> Node {
        try requireNoNode(in: directory)
        let db = try PostgresDatabase(store)
        if try holdsNode(db) { throw OpenError.alreadyExists(store.display) }
        try LocalFiles.createPrivateDirectory(directory.path)
        try db.executeScript("CREATE SCHEMA IF NOT EXISTS \(registrySchema)")
        let registry = db.schema(registrySchema)
        try PostgreSQLSchema.create(from: registryMigrator, in: registry)
        try PublishedHeads.prepare(in: registry)
        try writeStoreFile(store, in: directory)
        return Node(directory: directory, registry: registry, store: .postgresql(store), connection: db, clock: clock)
    }

    /// Lets `directory` (made when missing) serve a node that already lives in the PostgreSQL database
    /// `store` names: checks the node is there, then writes only `DIR/store`. How a second machine
    /// serves the same node (`outpost node init DIR --store URI --existing`).
    public static func attach(at directory: URL, store: PostgresConnectionString, clock: any Clock) throws -> Node {
        try requireNoNode(in: directory)
        let node = try open(directory, store: store, clock: clock)
        try LocalFiles.createPrivateDirectory(directory.path)
        try writeStoreFile(store, in: directory)
        return node
    }

    /// The store `directory/store` names, or `nil` when the directory has no such file (a SQLite node, or none).
    public static func storeLocation(of directory: URL) throws -> PostgresConnectionString? {
        let file = directory.appendingPathComponent(storeFileName)
        guard FileManager.default.fileExists(atPath: file.path) else { return nil }
        do {
            return try PostgresConnectionString.fromFile(file.path)
        } catch {
            throw OpenError.notANode(directory.path, reason: error.description)
        }
    }

    /// Refuses a directory that already holds a node of either kind.
    private static func requireNoNode(in directory: URL) throws {
        for name in [registryName, storeFileName] where FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path) {
            throw OpenError.alreadyExists(directory.path)
        }
    }

    /// Whether the database holds a node registry.
    private static func holdsNode(_ db: PostgresDatabase) throws -> Bool {
        try db.scalar("SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = 'node_meta'", [registrySchema]) != nil
    }

    /// Writes `DIR/store` for its owner alone (0600), through a temporary file renamed into place, so a
    /// crash leaves either no node in the directory or a whole connection string.
    private static func writeStoreFile(_ store: PostgresConnectionString, in directory: URL) throws {
        let file = directory.appendingPathComponent(storeFileName).path
        let temporary = directory.appendingPathComponent(".\(storeFileName).tmp").path
        guard LocalFiles.create(temporary, contents: Array((store.connectionText + "\n").utf8), mode: LocalFiles.ownerOnly),
              rename(temporary, file) == 0 else {
            try? FileManager.default.removeItem(atPath: temporary)
            throw AdminError("cannot write \(file): \(String(cString: strerror(errno)))")
        }
    }

    /// Opens a node kept in the PostgreSQL database `store` names.
    public static func open(_ directory: URL, store: PostgresConnectionString, clock: any Clock) throws -> Node {
        let db = try PostgresDatabase(store)
        guard try holdsNode(db) else {
            throw OpenError.notANode(store.display, reason: "it holds no node registry (schema \(registrySchema))")
        }
        let registry = db.schema(registrySchema)
        try PostgreSQLSchema.create(from: registryMigrator, in: registry)
        guard try registry.scalar("SELECT value FROM node_meta WHERE key = 'format'")?.string == "outpost-node" else {
            throw OpenError.notANode(store.display, reason: "its \(registrySchema) schema is not a node registry")
        }
        if try registry.scalar("SELECT to_regclass(?)", ["\(registrySchema).reseller_head"]) == .null { try PublishedHeads.prepare(in: registry) }
        return Node(directory: directory, registry: registry, store: .postgresql(store), connection: db, clock: clock)
    }

    /// The PostgreSQL schema of a reseller: its id is lowercase letters, digits and hyphens, so with
    /// hyphens as underscores it is a plain identifier, and no two ids share one.
    static func tenantSchema(_ resellerId: String) -> String {
        precondition(validResellerId(resellerId), "not a reseller id: \(resellerId)")
        return "reseller_" + resellerId.replacingOccurrences(of: "-", with: "_")
    }

    // MARK: Resellers

    /// Reseller ids name files: lowercase letters, digits and hyphens.
    static func validResellerId(_ id: String) -> Bool {
        (1...40).contains(id.utf8.count) && id.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 }
            && id.first != "-"
    }

    /// Adds a reseller with its own database, the catalog and its settings.
    public func addReseller(id: String, name: String, currency: String) throws {
        guard Self.validResellerId(id) else {
            throw AdminError("reseller id '\(id)' must be 1-40 lowercase letters, digits or hyphens")
        }
        let name = try FieldRules.requiredText(name, field: "name")
        guard Currency(code: currency.uppercased()) != nil else { throw AdminError("currency '\(currency)' is not a known ISO 4217 code") }
        guard try registry.scalar("SELECT 1 FROM reseller WHERE id = ?", [id]) == nil else {
            throw AdminError("reseller \(id) already exists")
        }
        try registry.execute("INSERT INTO reseller (id, name, currency, created_at) VALUES (?, ?, ?, ?)",
                             [id, name, currency.uppercased(), clock.now().description])
        let tenant = try self.tenant(id)
        let plans = try catalog()
        try tenant.record(now: clock.now()) { context in
            try context.update("settings", id: "settings", [("company_name", name), ("currency", currency.uppercased())])
            for plan in plans { try plan.upsert(in: context) }
        }
    }

    /// All resellers: id, name, currency.
    public func resellers() throws -> [(id: String, name: String, currency: String)] {
        try registry.rows("SELECT id, name, currency FROM reseller ORDER BY id").map {
            (try $0.string("id"), try $0.string("name"), try $0.string("currency"))
        }
    }

    /// The reseller's database (opened once per node object).
    public func tenant(_ resellerId: String) throws -> Tenant {
        if let tenant = tenants[resellerId] { return tenant }
        // Another connection of this serving process found the reseller and readied its schema: nothing to check
        // again (resellers are never removed, schemas never dropped). Saves a pool's connections five round trips
        // each per reseller when they first serve it.
        let readied = changeWatch?.isReadied(resellerId) ?? false
        guard Self.validResellerId(resellerId) else { throw AdminError("no reseller \(resellerId) on this node") }
        if !readied, try registry.scalar("SELECT 1 FROM reseller WHERE id = ?", [resellerId]) == nil {
            throw AdminError("no reseller \(resellerId) on this node")
        }
        let db: any SQLDatabase
        switch store {
        case .sqlite:
            let file = try Database(path: directory.appendingPathComponent("tenants/\(resellerId).sqlite").path)
            try Schema.migrate(file)
            db = file
        case .postgresql:
            let connection = self.connection!
            let schema = Self.tenantSchema(resellerId)
            let view = connection.schema(schema)
            if !readied {
                try connection.executeScript("CREATE SCHEMA IF NOT EXISTS \(schema)")
                try PostgreSQLSchema.create(from: Schema.migrator, in: view)
            }
            db = view
        }
        if !readied {
            try db.transaction { try RowDigest.prepare(in: db) }
            try Tenant.prepareCounter(for: resellerId, in: db)
            changeWatch?.noteReadied(resellerId)
        }
        let tenant = Tenant(resellerId: resellerId, db: db, clock: clock, changeWatch: changeWatch)
        tenants[resellerId] = tenant
        return tenant
    }

    /// The node's own files that exist: the registry, each reseller's database (with their -wal and
    /// -shm), the store file of a PostgreSQL node, the jobs' lock files. All are for the node's owner alone (`node status` checks their modes).
    public func privateFiles() throws -> [String] {
        var databases: [String] = []
        if case .sqlite = store { databases = [Self.registryName] + (try resellers()).map { "tenants/\($0.id).sqlite" } }
        let names = databases.flatMap { name in ["", "-wal", "-shm"].map { name + $0 } } + [Self.storeFileName] + NodeJobLock.Job.allCases.map { "\($0.rawValue).lock" }
        return names.map { directory.appendingPathComponent($0).path }.filter { FileManager.default.fileExists(atPath: $0) }
    }

    /// One reseller's standing on the node, for `outpost node status`.
    public struct ResellerStatus: Sendable, Codable, Equatable {
        public let id: String
        public let name: String
        /// The change log's head and horizon.
        public let head: Int64
        public let horizon: Int64
        public let logEntries: Int64
        public let replicas: Int64
        public let verdicts: Int64
        public let refused: Int64
        public let openOrders: Int64
        /// Orders completed at the vendor that the node could not apply: a person must settle each (`node order resubmit`).
        public let ordersToSettle: Int64
        public let activeTokens: Int64
        /// The newest login event (an authenticated exchange), if any.
        public let lastExchange: String?
    }

    public func status() throws -> [ResellerStatus] {
        try resellers().map { reseller in
            let db = try tenant(reseller.id).db
            func count(_ sql: String) throws -> Int64 { try db.scalar(sql)?.int64 ?? 0 }
            return ResellerStatus(
                id: reseller.id, name: reseller.name, head: try ChangeLog.head(in: db), horizon: try tenant(reseller.id).horizon(),
                logEntries: try count("SELECT count(*) FROM change_log"), replicas: try count("SELECT count(DISTINCT replica_id) FROM verdict"),
                verdicts: try count("SELECT count(*) FROM verdict"), refused: try count("SELECT count(*) FROM verdict WHERE status = 'refused'"),
                openOrders: try count("SELECT count(*) FROM orders WHERE status IN ('submitted', 'provisioning')"),
                ordersToSettle: try count("SELECT count(*) FROM orders WHERE status = 'failed' AND vendor_answer IS NOT NULL"),
                activeTokens: Int64(try tokens(resellerId: reseller.id).filter { $0.state == .active }.count),
                lastExchange: try db.scalar("SELECT max(at) FROM login_event")?.string)
        }
    }

    // MARK: Tokens

    /// Issues a bearer token for a reseller's user, working until `expiresAt` (always when `nil`); returns
    /// (token id, token). Only the token's hash is kept.
    public func issueToken(resellerId: String, username: String, expiresAt: Timestamp? = nil) throws -> (id: String, token: String) {
        guard try registry.scalar("SELECT 1 FROM reseller WHERE id = ?", [resellerId]) != nil else {
            throw AdminError("no reseller \(resellerId) on this node")
        }
        let username = try FieldRules.username(username, field: "user")
        if let expiresAt, !(clock.now() < expiresAt) {
            throw AdminError("the expiry \(expiresAt) is not in the future; give a later one")
        }
        // Stored as text, an expiry must read back as a time (years up to 9999), or the token would count as expired.
        if let expiresAt, Timestamp(expiresAt.description) != expiresAt {
            throw AdminError("the expiry \(expiresAt) is too far away; give one before the year 10000, or none")
        }
        var generator = SystemRandomNumberGenerator()
        let secret = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        let token = "opt_" + secret
        let id = IdentifierFactory(clock: clock).make("tok")
        try registry.execute("INSERT INTO token (id, reseller_id, username, hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                             [id, resellerId, username, SHA256.hex(token), clock.now().description, expiresAt?.description])
        return (id, token)
    }

    /// Revokes a token by its id; later requests with it get 401.
    public func revokeToken(id: String) throws {
        guard try registry.scalar("SELECT 1 FROM token WHERE id = ? AND revoked_at IS NULL", [id]) != nil else {
            throw AdminError("no active token \(id)")
        }
        try registry.transaction {
            try registry.execute("UPDATE token SET revoked_at = ? WHERE id = ?", [clock.now().description, id])
            // Processes serving a PostgreSQL node forget the tokens they checked as soon as this commits
            // (`NodeChangeWatch`). Revocations are rare: the lock PostgreSQL takes for a notifying commit costs nothing here.
            if registry.dialect == .postgresql { try registry.execute("SELECT pg_notify(?, '')", [Self.tokensChannel]) }
        }
    }

    /// The PostgreSQL channel a change to a token notifies (`NodeChangeWatch`).
    static let tokensChannel = "outpost_tokens_changed"

    /// One issued token as `node token list` shows it: whose, when made, until when, last used. Never the token or its hash.
    public struct TokenRecord: Sendable, Codable, Equatable {
        public let id: String
        public let resellerId: String
        public let username: String
        public let createdAt: String
        public let expiresAt: String?
        /// To the minute: a token in steady use is written down at most once a minute.
        public let lastUsedAt: String?
        public let revokedAt: String?
        public let state: TokenState
    }

    /// Whether a token still works.
    public enum TokenState: String, Sendable, Codable {
        case active, expired, revoked
    }

    /// The node's tokens (of one reseller when given), oldest first.
    public func tokens(resellerId: String? = nil) throws -> [TokenRecord] {
        if let resellerId, try registry.scalar("SELECT 1 FROM reseller WHERE id = ?", [resellerId]) == nil {
            throw AdminError("no reseller \(resellerId) on this node")
        }
        let now = clock.now()
        let sql = "SELECT id, reseller_id, username, created_at, expires_at, last_used_at, revoked_at FROM token"
            + " WHERE CAST(?1 AS TEXT) IS NULL OR reseller_id = ?1 ORDER BY created_at, id"  // typed: PostgreSQL cannot guess a bare NULL's type
        return try registry.rows(sql, [resellerId]).map { row in
            let expiresAt = try row.optionalString("expires_at"), revokedAt = try row.optionalString("revoked_at")
            let state: TokenState = revokedAt != nil ? .revoked : Self.hasExpired(expiresAt, now: now) ? .expired : .active
            return TokenRecord(id: try row.string("id"), resellerId: try row.string("reseller_id"), username: try row.string("username"),
                               createdAt: try row.string("created_at"), expiresAt: expiresAt, lastUsedAt: try row.optionalString("last_used_at"),
                               revokedAt: revokedAt, state: state)
        }
    }

    /// Whether a token with expiry `expiresAt` (stored text; never when `nil`) no longer works at `now`.
    static func hasExpired(_ expiresAt: String?, now: Timestamp) -> Bool {
        guard let expiresAt else { return false }
        // An expiry that does not read as a time is no promise of access: the token is taken as expired.
        return Timestamp(expiresAt).map { !(now < $0) } ?? true
    }

    /// The reseller and user a token belongs to; `unauthorized` for unknown, revoked or expired tokens.
    /// Every transport (HTTP, the local path, `node exchange` over ssh) comes through here.
    public func authenticate(_ token: String?) throws -> (resellerId: String, username: String) {
        guard let token, token.hasPrefix("opt_"), token.utf8.count == 68 else {
            throw SyncError(.unauthorized, "a valid bearer token is required")
        }
        let hash = SHA256.hex(token)
        let (kept, ticket) = changeWatch?.token(hash: hash) ?? (nil, nil)
        guard let found = try kept ?? readToken(hash: hash) else {
            throw SyncError(.unauthorized, "the token is unknown or revoked")
        }
        if kept == nil, let ticket { changeWatch?.keep(found, hash: hash, ticket: ticket) }
        let now = clock.now()
        if let expiresAt = found.expiresAt, Self.hasExpired(expiresAt, now: now) {
            throw SyncError(.unauthorized, "the token \(found.id) expired at \(expiresAt); ask the node's operator for a new one (outpost node token issue)")
        }
        // Last use to the minute: a write per request would make every exchange queue on the registry's lock.
        // Best effort: a busy registry must not turn away a valid token (the next use writes it).
        // Asked only when the row read says it is due: most exchanges then cost one statement here, not two.
        let minuteAgo = now.adding(seconds: -60).description
        if found.lastUsedAt.map({ $0 < minuteAgo }) ?? true {
            if (try? registry.execute("UPDATE token SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)",
                                      [now.description, found.id, minuteAgo])) != nil {
                changeWatch?.noteUse(hash: hash, at: now.description)
            }
        }
        return (found.resellerId, found.username)
    }

    /// An unrevoked token's row, by the hash of the token.
    private func readToken(hash: String) throws -> NodeChangeWatch.KeptToken? {
        guard let row = try registry.row("SELECT id, reseller_id, username, expires_at, last_used_at FROM token WHERE hash = ? AND revoked_at IS NULL",
                                         [hash]) else { return nil }
        return NodeChangeWatch.KeptToken(id: try row.string("id"), resellerId: try row.string("reseller_id"), username: try row.string("username"),
                                         expiresAt: try row.optionalString("expires_at"), lastUsedAt: try row.optionalString("last_used_at"))
    }

    // MARK: Catalog

    /// The catalog every reseller sees.
    public func catalog() throws -> [Plan] {
        try registry.rows("SELECT plan FROM catalog_plan ORDER BY id").map { row in
            try JSONDecoder().decode(Plan.self, from: Data(try row.string("plan").utf8))
        }
    }

    /// Adds or changes plans, in the catalog and in every reseller's database (as logged changes).
    public func upsertPlans(_ plans: [Plan]) throws {
        for plan in plans {
            let text = String(decoding: try JSONEncoder().encode(plan), as: UTF8.self)
            try registry.execute("INSERT INTO catalog_plan (id, plan) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET plan = excluded.plan", [plan.id, text])
        }
        for reseller in try resellers() {
            try tenant(reseller.id).record(now: clock.now()) { context in
                for plan in plans { try plan.upsert(in: context) }
            }
        }
    }
}
