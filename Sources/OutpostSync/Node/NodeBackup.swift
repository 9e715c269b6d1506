import Foundation
import OutpostModel
import OutpostStore
import OutpostSystem

/// `outpost node backup` and `restore`: every database of a node, each copied
/// consistently with SQLite's online backup API while the node serves, in one file.
///
/// The file: a first line `outpost-node-backup 1`, then per database a header
/// line `{"length":N,"name":"tenants/acme.sqlite"}` and N bytes.
public enum NodeBackup {
    static let magic = "outpost-node-backup 1"

    /// A backup or restore that cannot be done, and why.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// Writes a backup of `node` to `file` (through a temporary name, renamed when complete); returns the databases it holds.
    @discardableResult
    public static func backup(_ node: Node, to file: URL) throws -> [String] {
        guard let registry = node.registry as? Database else {
            throw Failure(message: "this node keeps its state in PostgreSQL: back it up with PostgreSQL's own tools "
                          + "(pg_dump, or continuous archiving for point-in-time recovery), not with outpost node backup")
        }
        let scratch = file.deletingLastPathComponent().appendingPathComponent(".\(file.lastPathComponent).parts-\(getpid())")
        try? FileManager.default.removeItem(at: scratch)
        try LocalFiles.createPrivateDirectory(scratch.appendingPathComponent("tenants").path)
        defer { try? FileManager.default.removeItem(at: scratch) }
        var names = [Node.registryName]
        try registry.backup(to: scratch.appendingPathComponent(Node.registryName).path)
        for reseller in try node.resellers() {
            let name = "tenants/\(reseller.id).sqlite"
            try node.tenant(reseller.id).sqliteDatabase().backup(to: scratch.appendingPathComponent(name).path)
            names.append(name)
        }
        let partial = file.deletingLastPathComponent().appendingPathComponent(".\(file.lastPathComponent).partial")
        guard LocalFiles.create(partial.path, contents: Array((magic + "\n").utf8), mode: 0o600),
              let handle = FileHandle(forWritingAtPath: partial.path) else {
            throw Failure(message: "cannot write \(file.path)")
        }
        // The throwing FileHandle calls: the older ones end the process on a write error (a full disk),
        // which would leave the partial file and the scratch copies behind.
        do {
            try handle.seekToEnd()
            for name in names {
                let data = try Data(contentsOf: scratch.appendingPathComponent(name))
                let header = JSONValue.object(["name": .string(name), "length": .integer(Int64(data.count))]).serialized + "\n"
                try handle.write(contentsOf: Data(header.utf8))
                try handle.write(contentsOf: data)
            }
            try handle.synchronize()
            try handle.close()
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(at: partial)
            throw Failure(message: "cannot write \(file.path): \(error.localizedDescription)")
        }
        guard rename(partial.path, file.path) == 0 else { throw Failure(message: "cannot move the backup into \(file.path)") }
        return names
    }

    /// Restores a backup into `directory` (which must not exist or be empty), then checks every database.
    @discardableResult
    public static func restore(from file: URL, to directory: URL, clock: any Clock) throws -> Node {
        let contents = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        guard contents.isEmpty else { throw Failure(message: "\(directory.path) is not empty; restore into a new directory") }
        guard let data = FileManager.default.contents(atPath: file.path) else { throw Failure(message: "cannot read \(file.path)") }
        let bytes = [UInt8](data)
        var index = 0
        func line() -> String? {
            guard let end = bytes[index...].firstIndex(of: 0x0A) else { return nil }
            defer { index = end + 1 }
            return String(decoding: bytes[index..<end], as: UTF8.self)
        }
        guard line() == magic else { throw Failure(message: "\(file.path) is not an Outpost node backup") }
        try LocalFiles.createPrivateDirectory(directory.path)
        try LocalFiles.createPrivateDirectory(directory.appendingPathComponent("tenants").path)
        var restored: [String] = []
        while index < bytes.count {
            guard let header = line(), let json = try? JSONValue(parsing: header), let name = json["name"]?.stringValue,
                  let length = json["length"]?.integerValue, length >= 0, index + Int(length) <= bytes.count else {
                throw Failure(message: "\(file.path) is damaged after \(restored.count) database(s)")
            }
            // Only the node's own file names: nothing can be written outside the directory.
            let tenant = name.hasPrefix("tenants/") && name.hasSuffix(".sqlite")
                && Node.validResellerId(String(name.dropFirst("tenants/".count).dropLast(".sqlite".count)))
            guard name == Node.registryName || tenant else { throw Failure(message: "\(file.path) holds an unexpected file \(name)") }
            guard LocalFiles.create(directory.appendingPathComponent(name).path, contents: Array(bytes[index..<(index + Int(length))]), mode: 0o600) else {
                throw Failure(message: "cannot write \(name) in \(directory.path)")
            }
            index += Int(length)
            restored.append(name)
        }
        guard restored.contains(Node.registryName) else { throw Failure(message: "\(file.path) holds no node registry") }
        let node = try Node.open(directory, clock: clock)
        for reseller in try node.resellers() {
            let db = try node.tenant(reseller.id).sqliteDatabase()
            guard try db.integrityCheck() == ["ok"] else { throw Failure(message: "the restored database of \(reseller.id) is damaged") }
        }
        return node
    }
}
