import Foundation
import OutpostModel
import OutpostStore

/// `conflicts` and `conflicts resolve`: concurrent edits of the same field, told from this laptop's side, and settling them.
enum ConflictCommands {
    static let all: [CommandSpec] = [list, resolve]

    /// A conflict record as shown: the record's own fields plus what it means from this laptop's side.
    struct View: Encodable {
        let id: String
        let entity: String
        let entityId: String
        let subject: String
        let field: String
        let keptValue: String?
        let keptReplica: String
        let keptUser: String
        let keptAt: String
        let overwrittenValue: String?
        let overwrittenReplica: String
        let overwrittenUser: String
        let overwrittenAt: String
        let reason: String
        let at: String
        /// `lost` (this laptop's edit was overwritten), `kept` (its edit won) or `other` (two other writers).
        let yourSide: String
        let story: String
        let resolvedAt: String?
        let resolvedBy: String?
        let resolution: String?
        let resolvedValue: String?

        init(_ conflict: Conflict, me: String, db: Database) throws {
            id = conflict.id
            entity = conflict.entity
            entityId = conflict.entityId
            subject = try conflict.subject(in: db)
            field = conflict.field
            keptValue = conflict.kept.value
            keptReplica = conflict.kept.replica
            keptUser = conflict.kept.user
            keptAt = conflict.kept.at
            overwrittenValue = conflict.overwritten.value
            overwrittenReplica = conflict.overwritten.replica
            overwrittenUser = conflict.overwritten.user
            overwrittenAt = conflict.overwritten.at
            reason = conflict.reason.rawValue
            at = conflict.at
            yourSide = conflict.lost(by: me) ? "lost" : (!me.isEmpty && conflict.kept.replica == me ? "kept" : "other")
            story = conflict.story(from: me)
            resolvedAt = conflict.resolvedAt
            resolvedBy = conflict.resolvedBy
            resolution = conflict.resolution?.rawValue
            resolvedValue = conflict.resolvedValue
        }
    }

    static let list = CommandSpec(
        ["conflicts"], "list open conflicts (two edits of one field): which value was kept, which overwritten, whose, why",
        options: [.init("all", "include resolved conflicts, with who resolved them and when")],
        discussion: """
        The node keeps the later edit, judged by when each was made on its laptop (an edit stamped later than
        the node's clock when it arrived counts as made at arrival). Each line says it from this laptop's side:
        "your edit … was overwritten by ben's later edit …" or "your edit … was kept over …".
        Settle one with outpost conflicts resolve ID --keep mine|theirs or --value V.
        """,
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let me = try replica.replicaId()
            let conflicts = try Conflict.list(includeResolved: invocation.flag("all"), in: replica.db)
            let views = try conflicts.map { try View($0, me: me, db: replica.db) }
            if invocation.json { return try JSONOutput.print(views, to: session) }
            var table = TextTable("ID", "RECORDED", "ENTITY", "FIELD", "WHAT HAPPENED", "STATE")
            for (conflict, view) in zip(conflicts, views) {
                table.add(conflict.id, conflict.at, view.subject, conflict.field, view.story, conflict.settlement ?? "open")
            }
            session.print(table.render(empty: invocation.flag("all") ? "No conflicts." : "No open conflicts."))
        })

    /// The open conflict `text` names: its full id, or a prefix matched against open conflicts only, as
    /// `EntityReference` matches every entity (several is exit 64 with the candidates). A resolved one
    /// named in full is refused saying who settled it and when.
    static func openConflict(_ text: String, in db: Database) throws -> Conflict {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let row = try db.row("SELECT * FROM conflict WHERE id = ?", [trimmed]) {
            let conflict = try Conflict(row: row)
            guard let resolvedAt = conflict.resolvedAt else { return conflict }
            throw CommandFailure(.dataError, "conflict \(conflict.id) is already resolved by \(conflict.resolver) on \(resolvedAt) (\(conflict.resolutionText)); nothing queued")
        }
        let id: String
        do {
            id = try EntityReference(.openConflict, trimmed).resolve(in: db, field: "ID")
        } catch let failure as EntityReference.Failure where !failure.isAmbiguous {
            throw CommandFailure(.dataError, "\(failure.description); see outpost conflicts (resolved ones: outpost conflicts --all)")
        }
        return try Conflict.find(id, in: db)
    }

    static let resolve = CommandSpec(
        ["conflicts", "resolve"], "settle a conflict: keep your value, theirs, or a new one (queued; the node checks it)",
        arguments: [.init("ID", optional: true, "the open conflict's id or a unique prefix of it (leave out with --all)")],
        options: [
            .init("keep", value: "mine|theirs", "keep this laptop's value or the other writer's"),
            .init("value", value: "V", "set this value instead (checked by the field's own rules)"),
            .init("all", "resolve every open conflict the same way (with --keep; for a reviewed batch)"),
        ],
        discussion: """
        The field is set through the entity's own update, against its current version, so settling never
        conflicts again; the conflict is marked resolved with who and when, leaves outpost status --check,
        and stays in outpost conflicts --all. A prefix is matched against open conflicts only; one that fits
        several is refused (exit 64) with them listed. Resolving one that is already resolved, or that does
        not exist, is refused (exit 65) and nothing is queued.
        """,
        printsJSON: true,
        run: { invocation, session in
            let keep = invocation.value("keep")
            let value = invocation.value("value")
            let all = invocation.flag("all")
            if let keep, keep != "mine", keep != "theirs" {
                throw CommandFailure(.usage, "--keep takes mine or theirs, not '\(keep)'")
            }
            if all, keep == nil { throw CommandFailure(.usage, "--all needs --keep mine|theirs (a value fits one field, not a batch)") }
            guard (keep == nil) != (value == nil) else {
                throw CommandFailure(.usage, "give exactly one of --keep mine|theirs and --value V")
            }
            if all {
                guard invocation.optionalArgument(0) == nil else { throw CommandFailure(.usage, "give an ID or --all, not both") }
            } else if invocation.optionalArgument(0) == nil {
                throw CommandFailure(.usage, "give the conflict's ID (see outpost conflicts), or --all --keep mine|theirs")
            }
            let replica = try session.openReplica(invocation)
            let me = try replica.replicaId()
            let chosen: [Conflict]
            if all {
                chosen = try Conflict.list(in: replica.db)
                guard !chosen.isEmpty else { throw CommandFailure(.dataError, "there are no open conflicts to resolve") }
            } else {
                chosen = [try openConflict(invocation.argument(0), in: replica.db)]
            }
            // Every choice is worked out before anything is queued: a batch is refused whole.
            let mutations = try chosen.map { conflict -> ResolveConflict in
                guard let keep else { return ResolveConflict(id: conflict.id, keep: .value, value: value) }
                let mineKept = conflict.kept.replica == me
                guard mineKept || conflict.lost(by: me) else {
                    throw CommandFailure(.dataError, "conflict \(conflict.id) is between \(conflict.kept.who) and \(conflict.overwritten.who); neither edit was made on this laptop, so --keep \(keep) means nothing: use --value V")
                }
                let keepsKept = (keep == "mine") == mineKept
                return ResolveConflict(id: conflict.id, keep: keepsKept ? .kept : .overwritten)
            }
            var receipts: [WriteReceipt] = []
            for mutation in mutations {
                let seq = try replica.submit(mutation)
                receipts.append(WriteReceipt(queued: seq, mutation: ResolveConflict.name, id: mutation.id))
            }
            if invocation.json { return try JSONOutput.print(receipts, to: session) }
            for (conflict, receipt) in zip(chosen, receipts) {
                session.print("Resolved conflict \(conflict.id) (\(try conflict.subject(in: replica.db)) \(conflict.field)) (queued as #\(receipt.queued) \(receipt.mutation))")
            }
        })
}
