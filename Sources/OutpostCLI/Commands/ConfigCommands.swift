import Foundation
import OutpostModel
import OutpostSync

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

    /// Settings the replica queued while offline that differ from the node's: the first sync applies them, and
    /// the node records a conflict for each field; say so now, while discarding them is still an option.
    static func warnAboutQueuedSettings(_ replica: Replica, account: AccountResponse, session: Session) throws {
        for row in try replica.db.rows("SELECT seq, mutation, args FROM queue WHERE mutation IN (?, ?) ORDER BY seq", [UpdateSettings.name, SetMarkup.name]) {
            let args = try JSONParser.parse(Array(try row.string("args").utf8))
            var differences: [String] = []
            if let name = args["company_name"]?.stringValue, name != account.companyName {
                differences.append("company name '\(name)' (the node has '\(account.companyName)')")
            }
            if let currency = args["currency"]?.stringValue, currency != account.currency {
                differences.append("currency \(currency) (the node has \(account.currency))")
            }
            if args["plan_id"]?.stringValue == nil, let markup = args["markup_bp"]?.integerValue, markup != account.defaultMarkupBp {
                differences.append("default markup \(Pricing.percent(Int(markup))) (the node has \(Pricing.percent(Int(account.defaultMarkupBp))))")
            }
            guard !differences.isEmpty else { continue }
            let seq = try row.int64("seq")
            session.printError("warning: queued #\(seq) \(try row.string("mutation")) sets \(differences.joined(separator: ", ")); the first sync applies it and records a conflict. To take the node's instead: outpost queue discard \(seq)")
        }
    }

    static let show = CommandSpec(
        ["config", "show"], "show this replica's own setup: its node, where sync renders and publishes the dashboards",
        printsJSON: true,
        run: { invocation, session in
            try report(try view(try session.openReplica(invocation)), json: invocation.json, session: session)
        })

    static let set = CommandSpec(
        ["config", "set"], "join a node, or change where sync renders the dashboards and how it publishes them (this replica only)",
        options: [
            .init("node", value: "LOCATION", "join this node (a directory, http(s)://host:port/ or ssh://[user@]host/path), while the replica has exchanged nothing with one"),
            .init("reseller", value: "ID", "the reseller this replica belongs to on the node (with --node)"),
            .init("token-file", value: "FILE", "a file holding the node's bearer token for this user (with --node)"),
            SyncCommands.caFileOption,
            .init("site", value: "DIR", "render the dashboards in DIR (default: site/ in the replica)"),
            .init("publish", value: "DIR", "after each sync, publish the site into DIR, a mounted file server (replaces a publish command)"),
            .init("publish-command", value: "CMD", "after each sync, run CMD to publish the site, like an rsync line (replaces a publish directory)"),
            .init("no-publish", "stop publishing; the site stays where it is rendered"),
        ],
        discussion: """
        Nothing here is queued or sent to the node. How sync publishes, and what a publish command gets,
        is in outpost help sync.
        --node, --reseller and --token-file attach a replica made offline (outpost init without --node) to a node,
        or correct them on a replica that has never exchanged anything with a node (a first sync that failed, say
        against a wrong address, does not count); once it has pulled, or had a change acknowledged or refused,
        its node cannot change (exit 65). The same checks as outpost init --node are made first; a location that
        answers but is not an Outpost node is refused (exit 78). A token kept for the old node is removed when
        no --token-file is given. The work queued offline is pushed on the first sync; settings
        queued offline that differ from the node's are applied then and recorded as conflicts (see outpost conflicts).
        """,
        printsJSON: true,
        run: { invocation, session in
            let publishing = ["publish", "publish-command", "no-publish"].filter { invocation.value($0) != nil || invocation.flag($0) }
            guard publishing.count <= 1 else {
                throw UsageError(message: "give one of --publish DIR, --publish-command CMD or --no-publish", command: invocation.command.name)
            }
            let target = try NodeJoin.target(invocation)
            guard invocation.value("site") != nil || !publishing.isEmpty || target != nil else {
                throw UsageError(message: "nothing to change: give --node LOCATION, --site DIR, --publish DIR, --publish-command CMD or --no-publish",
                                 command: invocation.command.name)
            }
            if let command = invocation.value("publish-command"), command.trimmingCharacters(in: .whitespaces).isEmpty {
                throw UsageError(message: "--publish-command needs a command", command: invocation.command.name)
            }
            let replica = try session.openReplica(invocation)
            if let target {
                if let exchanged = try NodeJoin.exchange(of: replica) {
                    let current = try ReplicaConfig.value(.node, of: replica) ?? "its node"
                    throw CommandFailure(.dataError, "replica \(replica.directory.path) has already synced with \(current) (it \(exchanged)); its node cannot change (make a new replica with outpost init --node)")
                }
                if let account = try NodeJoin.check(target, session: session) {
                    try warnAboutQueuedSettings(replica, account: account, session: session)
                }
            }
            try replica.db.transaction {
                if let target { try NodeJoin.attach(target, to: replica) }
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
