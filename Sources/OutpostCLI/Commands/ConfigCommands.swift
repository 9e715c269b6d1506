import Foundation
import OutpostModel

/// `config show|set`: this replica's own setup — where `sync` renders and publishes the dashboards.
/// Unlike `settings`, nothing here is queued or synced; it stays on this laptop.
enum ConfigCommands {
    static let all: [CommandSpec] = [show, set]

    struct View: Encodable {
        let replica: String
        let node: String?
        let reseller: String?
        let site: String
        let publish: String?
        let publishCommand: String?
    }

    static func view(_ replica: Replica) throws -> View {
        View(replica: replica.directory.path, node: try ReplicaConfig.value(.node, of: replica),
             reseller: try ReplicaConfig.value(.resellerId, of: replica), site: try SyncCommands.siteOutput(replica).path,
             publish: try ReplicaConfig.value(.publish, of: replica), publishCommand: try ReplicaConfig.value(.publishCommand, of: replica))
    }

    static func report(_ view: View, json: Bool, session: Session) throws {
        if json { return try JSONOutput.print(view, to: session) }
        session.print("Replica:  \(view.replica)")
        session.print("Node:     \(view.node ?? "(none: not attached)")\(view.reseller.map { ", reseller \($0)" } ?? "")")
        session.print("Site:     \(view.site)")
        if let directory = view.publish { session.print("Publish:  into \(directory)") }
        if let command = view.publishCommand { session.print("Publish:  by running \(command)") }
        if view.publish == nil, view.publishCommand == nil { session.print("Publish:  no (the site stays where it is rendered)") }
    }

    static let show = CommandSpec(
        ["config", "show"], "show this replica's own setup: its node, where sync renders and publishes the dashboards",
        printsJSON: true,
        run: { invocation, session in
            try report(try view(try session.openReplica(invocation)), json: invocation.json, session: session)
        })

    static let set = CommandSpec(
        ["config", "set"], "change where sync renders the dashboards and how it publishes them (this replica only)",
        options: [
            .init("site", value: "DIR", "render the dashboards in DIR (default: site/ in the replica)"),
            .init("publish", value: "DIR", "after each sync, publish the site into DIR, a mounted file server (replaces a publish command)"),
            .init("publish-command", value: "CMD", "after each sync, run CMD to publish the site, like an rsync line (replaces a publish directory)"),
            .init("no-publish", "stop publishing; the site stays where it is rendered"),
        ],
        discussion: """
        Nothing here is queued or sent to the node. How sync publishes, and what a publish command gets,
        is in outpost help sync. The node and the reseller are set once, by outpost init.
        """,
        printsJSON: true,
        run: { invocation, session in
            let publishing = ["publish", "publish-command", "no-publish"].filter { invocation.value($0) != nil || invocation.flag($0) }
            guard publishing.count <= 1 else {
                throw UsageError(message: "give one of --publish DIR, --publish-command CMD or --no-publish", command: invocation.command.name)
            }
            guard invocation.value("site") != nil || !publishing.isEmpty else {
                throw UsageError(message: "nothing to change: give --site DIR, --publish DIR, --publish-command CMD or --no-publish",
                                 command: invocation.command.name)
            }
            if let command = invocation.value("publish-command"), command.trimmingCharacters(in: .whitespaces).isEmpty {
                throw UsageError(message: "--publish-command needs a command", command: invocation.command.name)
            }
            let replica = try session.openReplica(invocation)
            try replica.db.transaction {
                if let site = invocation.value("site") {
                    try ReplicaConfig.set(.site, to: URL(fileURLWithPath: site).path, in: replica)
                }
                if !publishing.isEmpty {
                    // One publish step at a time: setting one form removes the other.
                    try ReplicaConfig.set(.publish, to: invocation.value("publish").map { URL(fileURLWithPath: $0).path }, in: replica)
                    try ReplicaConfig.set(.publishCommand, to: invocation.value("publish-command"), in: replica)
                }
            }
            try report(try view(replica), json: invocation.json, session: session)
        })
}
