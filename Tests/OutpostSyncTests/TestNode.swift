import Foundation
import Testing
import OutpostTestSupport

/// The node most end-to-end tests start from: `node` in the test's directory, the built-in plans, reseller
/// `acme`, and a token for its user anna in the file `token`.
enum TestNode {
    /// The environment the commands run with: a fixed clock and `OUTPOST_NODE`.
    static func environment(_ dir: TemporaryDirectory, node: String? = nil) -> [String: String] {
        ["OUTPOST_NOW": "2026-03-02T09:00:00Z", "OUTPOST_NODE": node ?? dir.path("node")]
    }

    /// Makes the node at `node` (default: `node` in `dir`) with the `outpost` commands a person would run.
    /// With a `database`, the node lives there (`node init --store`); keep it for as long as the node is used.
    static func make(_ dir: TemporaryDirectory, at node: String? = nil, plans: Bool = true, database: TestDatabase? = nil) throws {
        let node = node ?? dir.path("node")
        let env = environment(dir, node: node)
        func outpost(_ arguments: [String]) throws -> OutpostBinary.Result { try OutpostBinary.run(arguments, environment: env, in: dir.url) }
        #expect(try outpost(["node", "init", node] + (database.map { ["--store", $0.connectionString] } ?? [])).status == 0)
        if plans { #expect(try outpost(["node", "plans", "import", "--builtin"]).status == 0) }
        #expect(try outpost(["node", "reseller", "add", "acme", "--name", "Acme"]).status == 0)
        try outpost(["node", "token", "issue", "--reseller", "acme", "--user", "anna"]).stdout.write(toFile: dir.path("token"), atomically: false, encoding: .utf8)
    }
}
