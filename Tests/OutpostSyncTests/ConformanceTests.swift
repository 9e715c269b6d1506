import Foundation
import Testing
import OutpostModel
import OutpostStore
@testable import OutpostSync

/// The conformance vectors in `sync/`: every example validates against its
/// schema (with `JSONSchemaValidator`) and round-trips through the codec; every
/// invalid vector is rejected by both, with the expected error code; and
/// PROTOCOL.md, the schemas and the code agree on the catalogue, the error
/// codes, the limits and the digest.
@Suite("Conformance")
struct ConformanceTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let syncDirectory = repository.appendingPathComponent("sync")
    static let examplesDirectory = syncDirectory.appendingPathComponent("examples")
    static let invalidDirectory = examplesDirectory.appendingPathComponent("invalid")
    static let schemaDirectory = syncDirectory.appendingPathComponent("schema")

    /// Every message of protocol 1 has a schema of this name.
    static let schemaNames = ["push-request", "push-response", "pull-request", "pull-response", "digest-request", "digest-response", "account-request", "account-response", "error"]

    static func jsonFiles(in directory: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
    }

    static let exampleFiles = jsonFiles(in: examplesDirectory)
    static let invalidFiles = jsonFiles(in: invalidDirectory)

    static func read(_ url: URL) throws -> JSONValue {
        try JSONParser.parse(Array(try Data(contentsOf: url)))
    }

    static func validator(_ schema: String) throws -> JSONSchemaValidator {
        try JSONSchemaValidator(contentsOf: schemaDirectory.appendingPathComponent("\(schema).schema.json"))
    }

    /// `<schema>.<case>.json` → schema.
    static func schemaName(of file: String) -> String { String(file.prefix { $0 != "." }) }

    // MARK: The codecs

    /// Decodes with the codec for `schema` and encodes again. Throws the codec's `SyncError`.
    static func roundTrip(_ schema: String, _ value: JSONValue) throws(SyncError) -> JSONValue {
        switch schema {
        case "push-request": return try PushRequest(json: value).json
        case "push-response": return try PushResponse(json: value).json
        case "pull-request": return try PullRequest(json: value).json
        case "pull-response": return try PullResponse(json: value).json
        case "digest-request":
            // What NodeExchange reads of it, and what ReplicaSync.verify sends.
            let reader = try MessageReader(value, "digest request")
            try reader.checkProtocol()
            return .object(["protocol": .integer(SyncProtocol.version)])
        case "digest-response":
            // There is no codec type for it: what ReplicaSync.verify reads, written the way NodeExchange writes it.
            let reader = try MessageReader(value, "digest response")
            try reader.checkProtocol()
            let cursor = try reader.integer("cursor")
            var digests: [String: TableDigest] = [:]
            for (table, entry) in try reader.object("digests") {
                guard let rows = entry["rows"]?.integerValue, let digest = entry["digest"]?.integerValue else {
                    throw SyncError(.malformed, "digest response: digest of \(table) needs rows and digest")
                }
                digests[table] = TableDigest(rows: rows, digest: digest)
            }
            return .object([
                "protocol": .integer(SyncProtocol.version), "cursor": .integer(cursor),
                "digests": .object(digests.mapValues { .object(["rows": .integer($0.rows), "digest": .integer($0.digest)]) }),
            ])
        case "account-request":
            // What NodeExchange reads of it, and what `AccountResponse.fetch` sends.
            let reader = try MessageReader(value, "account request")
            try reader.checkProtocol()
            return AccountResponse.request
        case "account-response": return try AccountResponse(json: value).json
        case "error":
            // `SyncError(json:)` answers nil for a body that is not an error; the vectors call that `malformed`.
            guard let error = SyncError(json: value) else { throw SyncError(.malformed, "not an error body") }
            return error.json
        default:
            throw SyncError(.notFound, "no codec for \(schema)")
        }
    }

    // MARK: Examples

    @Test("example validates and round-trips", arguments: exampleFiles)
    func example(_ file: String) throws {
        let schema = Self.schemaName(of: file)
        #expect(Self.schemaNames.contains(schema), "\(file) is not named <schema>.<case>.json after a known schema")
        let value = try Self.read(Self.examplesDirectory.appendingPathComponent(file))
        let failures = try Self.validator(schema).validate(value)
        #expect(failures.isEmpty, "\(file) does not validate against \(schema).schema.json: \(failures)")
        let encoded = try Self.roundTrip(schema, value)
        #expect(encoded == value, "\(file) changes in a round trip:\n\(value.serialized)\n\(encoded.serialized)")
        // The bytes Outpost writes parse back to the same value.
        #expect(try JSONValue(parsing: encoded.serialized) == value)
    }

    /// The node writes pull pages with its own fast writer, splicing the change log's stored row
    /// text in; the bytes must be exactly what JSONWriter writes for the same value.
    @Test(arguments: exampleFiles.filter { $0.hasPrefix("pull-response.") })
    func pullPagesAsTheNodeWritesThem(_ file: String) throws {
        let value = try Self.read(Self.examplesDirectory.appendingPathComponent(file))
        let page = try PullResponse(json: value)
        #expect(page.serialized == value.serialized)
        let fromLog = page.changes.map { change in
            Change(version: change.version, table: change.table, id: change.id, operation: change.operation,
                   rowText: change.row.map { JSONValue.object($0).serialized })
        }
        let served = PullResponse(cursor: page.cursor, more: page.more, changes: fromLog, reset: page.reset, snapshotAfter: page.snapshotAfter,
                                  snapshotTables: page.snapshotTables, digests: page.digests)
        #expect(served.serialized == value.serialized, "\(file): the node's writer differs from JSONWriter")
    }

    @Test func everySchemaHasExamplesAndLoads() throws {
        #expect(Self.exampleFiles.count >= Self.schemaNames.count)
        for schema in Self.schemaNames {
            _ = try Self.validator(schema)
            #expect(Self.exampleFiles.contains { Self.schemaName(of: $0) == schema }, "no example for \(schema)")
            #expect(Self.invalidFiles.contains { Self.schemaName(of: $0) == schema }, "no invalid vector for \(schema)")
        }
        let schemaFiles = Self.jsonFiles(in: Self.schemaDirectory)
        #expect(Set(schemaFiles) == Set(Self.schemaNames.map { "\($0).schema.json" }), "unexpected files in sync/schema: \(schemaFiles)")
    }

    // MARK: Invalid vectors

    @Test("invalid vector is rejected by schema and codec", arguments: invalidFiles)
    func invalid(_ file: String) throws {
        let parts = file.split(separator: ".")
        try #require(parts.count >= 4, "\(file) is not named <schema>.<code>.<case>.json")
        let schema = String(parts[0])
        let expected = try #require(SyncError.Code(rawValue: String(parts[1])), "\(file): \(parts[1]) is not an error code")
        #expect(Self.schemaNames.contains(schema))
        let value = try Self.read(Self.invalidDirectory.appendingPathComponent(file))
        #expect(!(try Self.validator(schema).isValid(value)), "\(file) validates against \(schema).schema.json")
        do {
            let decoded = try Self.roundTrip(schema, value)
            Issue.record("\(file) is accepted by the codec: \(decoded.serialized.prefix(200))")
        } catch {
            #expect(error.code == expected, "\(file): the codec answers \(error)")
        }
    }

    // MARK: Errors

    @Test func errorExamplesCoverEveryCodeAndProtocolMDListsTheirStatus() throws {
        let protocolText = try String(contentsOf: Self.syncDirectory.appendingPathComponent("PROTOCOL.md"), encoding: .utf8)
        let lines = protocolText.split(separator: "\n")
        for code in SyncError.Code.allCases {
            let file = "error.\(code.rawValue).json"
            #expect(Self.exampleFiles.contains(file), "no example \(file)")
            if Self.exampleFiles.contains(file) {
                let value = try Self.read(Self.examplesDirectory.appendingPathComponent(file))
                #expect(SyncError(json: value)?.code == code)
            }
            let status = SyncError(code, "").httpStatus
            #expect(lines.contains { $0.hasPrefix("| `\(code.rawValue)` | \(status) |") },
                    "PROTOCOL.md has no error table row \"| `\(code.rawValue)` | \(status) |\"")
        }
        let schema = try Self.validator("error").root
        let codes = schema["properties"]?["error"]?["properties"]?["code"]?["enum"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(Set(codes) == Set(SyncError.Code.allCases.map(\.rawValue)))
    }

    // MARK: The mutation catalogue

    /// `push-request.every-mutation.json`: one of each mutation, every optional argument given.
    static func everyMutation() throws -> [(name: String, args: JSONValue)] {
        let value = try read(examplesDirectory.appendingPathComponent("push-request.every-mutation.json"))
        return (value["mutations"]?.arrayValue ?? []).map { ($0["name"]?.stringValue ?? "", $0["args"] ?? .null) }
    }

    @Test func pushExamplesCoverTheCatalogueAndDecodeAsMutations() throws {
        let names = MutationCatalogue.all.map { $0.name }
        #expect(try Self.everyMutation().map(\.name) == names, "push-request.every-mutation.json lists the catalogue in order")
        for file in Self.exampleFiles where Self.schemaName(of: file) == "push-request" {
            let request = try PushRequest(json: try Self.read(Self.examplesDirectory.appendingPathComponent(file)))
            for mutation in request.mutations {
                // The node decodes args with the mutation's own Codable; Outpost encodes them back the same.
                let decoded = try MutationCatalogue.decode(name: mutation.name, version: mutation.version, args: mutation.args.serialized)
                #expect(try JSONValue(parsing: try MutationCatalogue.encode(decoded)) == mutation.args, "\(file): \(mutation.name) args do not round-trip")
            }
        }
    }

    /// The schema's args of each mutation match its struct: the members are exactly
    /// those Outpost writes, and a member is required exactly when leaving it out makes the node's decoder fail.
    @Test func schemaArgsMatchTheMutationStructs() throws {
        let defs = try Self.validator("push-request").root["$defs"]?.objectValue ?? [:]
        for (name, args) in try Self.everyMutation() {
            let definition = try #require(defs["args." + name], "push-request.schema.json has no args.\(name)")
            let properties = Set(definition["properties"]?.objectValue?.keys.map { $0 } ?? [])
            let required = Set(definition["required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            let members = try #require(args.objectValue)
            #expect(properties == Set(members.keys), "\(name): schema members \(properties.sorted()) vs encoded \(members.keys.sorted())")
            let type = try #require(MutationCatalogue.all.first { $0.name == name })
            #expect(defs["mutation." + name]?["properties"]?["version"]?["const"] == .integer(Int64(type.version)))
            for key in members.keys.sorted() {
                var without = members
                without[key] = nil
                let decodes = (try? MutationCatalogue.decode(name: name, version: type.version, args: JSONValue.object(without).serialized)) != nil
                #expect(decodes == !required.contains(key), "\(name).\(key): schema says \(required.contains(key) ? "required" : "optional"), the decoder \(decodes ? "does not need it" : "needs it")")
            }
        }
        let branches = defs["mutation"]?["oneOf"]?.arrayValue?.compactMap { $0["$ref"]?.stringValue } ?? []
        #expect(branches == MutationCatalogue.all.map { "#/$defs/mutation." + $0.name })
    }

    @Test func protocolMDListsEveryMutationWithItsArgs() throws {
        let text = try String(contentsOf: Self.syncDirectory.appendingPathComponent("PROTOCOL.md"), encoding: .utf8)
        let rows = text.split(separator: "\n").filter { $0.hasPrefix("| `") }
        let args = Dictionary(try Self.everyMutation().map { ($0.name, $0.args) }, uniquingKeysWith: { a, _ in a })
        for type in MutationCatalogue.all {
            let row = rows.first { $0.hasPrefix("| `\(type.name)` |") }
            #expect(row != nil, "PROTOCOL.md's mutation catalogue has no row for \(type.name)")
            for key in args[type.name]?.objectValue?.keys.sorted() ?? [] {
                #expect(row?.contains("`\(key)`") == true, "PROTOCOL.md's row for \(type.name) does not list \(key)")
            }
        }
    }

    // MARK: Limits and digests

    @Test func schemasCarryTheProtocolLimits() throws {
        let push = try Self.validator("push-request").root
        #expect(push["properties"]?["mutations"]?["maxItems"] == .integer(Int64(SyncProtocol.maximumPushMutations)))
        let pull = try Self.validator("pull-request").root
        #expect(pull["properties"]?["max_bytes"]?["minimum"] == .integer(Int64(SyncProtocol.minimumPageBytes)))
        #expect(pull["properties"]?["max_bytes"]?["maximum"] == .integer(Int64(SyncProtocol.maximumPageBytes)))
        #expect(push["properties"]?["protocol"]?["const"] == .integer(SyncProtocol.version))
        let tables = try Self.validator("pull-response").root["$defs"]?["table"]?["enum"]
        #expect(tables == .array(Schema.replicatedTables.map { .string($0) }))
        // Lists of tables hold each table at most once.
        let most = JSONValue.integer(Int64(Schema.replicatedTables.count))
        #expect(try Self.validator("pull-response").root["properties"]?["reset"]?["maxItems"] == most)
        #expect(try Self.validator("pull-response").root["properties"]?["snapshot_tables"]?["maxItems"] == most)
        #expect(pull["properties"]?["snapshot_tables"]?["maxItems"] == most)
        let text = try String(contentsOf: Self.syncDirectory.appendingPathComponent("PROTOCOL.md"), encoding: .utf8)
        for limit in [SyncProtocol.maximumRequestBytes, SyncProtocol.maximumPushMutations, SyncProtocol.defaultPageBytes,
                      SyncProtocol.maximumPageBytes, SyncProtocol.minimumPageBytes, StdioFraming.maximumHeaderBytes] {
            #expect(text.contains(String(limit)), "PROTOCOL.md does not state the limit \(limit)")
        }
    }

    /// A snapshot row written straight from its columns is the text the generic writer makes of the same row.
    @Test func rowTextWrittenFromColumnsMatchesTheGenericWriter() throws {
        let columns = ["name", "id", "total", "note", "rate", "closed_at"]
        let values: [SQLValue] = [.text("Zürich \"AG\"\n"), .text("cus_A"), .integer(-1250), .text(""), .real(0.25), .null]
        var text = ""
        JSONWriter.writeRow(columns: columns, values: values, order: JSONWriter.sortedOrder(of: columns), into: &text)
        let generic = JSONValue.object(Dictionary(uniqueKeysWithValues: zip(columns, values.map(\.json)))).serialized
        #expect(text == generic)
    }

    /// Every kind of value hashes as PROTOCOL.md spells it: FNV-1a over `name=`, a tag and the value's text, then 0x1F.
    @Test func digestOfEveryKindMatchesTheSpelledOutBytes() throws {
        func fnv(_ bytes: [UInt8]) -> Int64 {
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in bytes { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
            return Int64(bitPattern: h)
        }
        for value in [Int64.min, Int64.max, -1, 0, 9, 10, -10, 1_234_567_890_123] {
            #expect(RowDigest.hash(["n": .integer(value)]) == fnv(Array("n=I\(value)".utf8) + [0x1f]), "\(value)")
        }
        #expect(RowDigest.hash(["r": .real(2.5)]) == fnv(Array("r=R2.5".utf8) + [0x1f]))
        #expect(RowDigest.hash(["b": .blob([0, 255, 7])]) == fnv(Array("b=B".utf8) + [0, 255, 7, 0x1f]))
        #expect(RowDigest.hash(["t": .text("Zürich")]) == fnv(Array("t=TZürich".utf8) + [0x1f]))
        #expect(RowDigest.hash(["a": .null, "z": .text("")]) == fnv(Array("a=N".utf8) + [0x1f] + Array("z=T".utf8) + [0x1f]))
    }

    /// The worked digest example in PROTOCOL.md, computed by `RowDigest`.
    @Test func digestKnownAnswers() throws {
        let first: [String: SQLValue] = ["id": .text("cus_A"), "name": .text("Zürich AG"), "tax_id": .null, "total": .integer(-1250), "version": .integer(7)]
        let second: [String: SQLValue] = ["id": .text("cus_B"), "name": .text(""), "tax_id": .text("DE1"), "total": .integer(0), "version": .integer(8)]
        #expect(RowDigest.hash([:]) == -3_750_763_034_362_895_579)
        #expect(RowDigest.hash(first) == -2_258_708_284_364_348_688)
        #expect(RowDigest.hash(second) == -4_337_315_316_609_795_626)
        #expect(RowDigest.hash(first) &+ RowDigest.hash(second) == -6_596_023_600_974_144_314)
        let text = try String(contentsOf: Self.syncDirectory.appendingPathComponent("PROTOCOL.md"), encoding: .utf8)
        for number in ["-3750763034362895579", "-2258708284364348688", "-4337315316609795626", "-6596023600974144314"] {
            #expect(text.contains(number), "PROTOCOL.md does not show \(number)")
        }
    }
}
