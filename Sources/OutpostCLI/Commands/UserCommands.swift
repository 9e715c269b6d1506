import Foundation
import OutpostModel
import OutpostStore

/// `user …`: the reseller's own panel users.
enum UserCommands {
    static let all: [CommandSpec] = [add, edit, delete, list]

    /// A user by id (`usr_…`), unique id prefix or username.
    static func find(_ key: String, in db: Database) throws -> PanelUser {
        try PanelUser.require(EntityReference(.panelUser, key).resolve(in: db, field: "USER"), in: db)
    }

    static let add = CommandSpec(
        ["user", "add"], "add a panel user",
        options: [
            .init("username", value: "NAME", required: true, "login name: lowercase letters, digits, . _ -"),
            .init("name", value: "NAME", required: true, "full name"),
            .init("email", value: "EMAIL", required: true, "e-mail address"),
            .init("role", value: "ROLE", "admin, manager, billing or viewer (default viewer)"),
        ],
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let mutation = CreateUser(id: replica.ids.make("usr"), username: invocation.required("username"), name: invocation.required("name"),
                                      email: invocation.required("email"), role: invocation.value("role") ?? PanelUser.Role.viewer.rawValue)
            try replica.submitAndReport(mutation, id: mutation.id, session: session, json: invocation.json,
                                        summary: "Added user \(mutation.username) (\(mutation.id), \(mutation.role))")
        })

    static let edit = CommandSpec(
        ["user", "edit"], "change a panel user's name, e-mail or role (the last admin stays admin)",
        arguments: [.init("USER", "user id (usr_…) or username")],
        options: [
            .init("name", value: "NAME", "full name"),
            .init("email", value: "EMAIL", "e-mail address"),
            .init("role", value: "ROLE", "admin, manager, billing or viewer"),
        ],
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let user = try find(invocation.argument(0), in: replica.db)
            var mutation = UpdateUser(id: user.id, baseVersion: user.version)
            mutation.name = invocation.value("name")
            mutation.email = invocation.value("email")
            mutation.role = invocation.value("role")
            guard mutation.name != nil || mutation.email != nil || mutation.role != nil else {
                throw UsageError(message: "nothing to change: give --name, --email or --role", command: invocation.command.name)
            }
            try replica.submitAndReport(mutation, id: user.id, session: session, json: invocation.json, summary: "Updated user \(user.username)")
        })

    static let delete = CommandSpec(
        ["user", "delete"], "remove a panel user (never the last admin)",
        arguments: [.init("USER", "user id (usr_…) or username")],
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let user = try find(invocation.argument(0), in: replica.db)
            try replica.submitAndReport(DeleteUser(id: user.id, baseVersion: user.version), id: user.id, session: session,
                                        json: invocation.json, summary: "Deleted user \(user.username)")
        })

    /// A panel user with their recent logins; or a token's user who is no panel user (`user` nil).
    struct UserWithLogins: Encodable {
        let user: PanelUser?
        let username: String
        let lastLogins: [LoginEvent]
    }

    static let list = CommandSpec(
        ["user", "list"], "list panel users with their last login (and token users who are no panel user)",
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let users = try PanelUser.list(in: replica.db).map {
                UserWithLogins(user: $0, username: $0.username, lastLogins: try LoginEvent.list(username: $0.username, in: replica.db, limit: 10))
            }
            // Syncs by a token whose user is no panel user still are logins: listed too, and said so.
            let tokenOnly = try LoginEvent.tokenOnlyUsers(in: replica.db)
            if invocation.json {
                let tokenUsers = try tokenOnly.map { UserWithLogins(user: nil, username: $0.username, lastLogins: try LoginEvent.list(username: $0.username, in: replica.db, limit: 10)) }
                return try JSONOutput.print(users + tokenUsers, to: session)
            }
            var table = TextTable("USERNAME", "NAME", "EMAIL", "ROLE", "LAST LOGIN", "ID")
            for entry in users {
                guard let user = entry.user else { continue }
                let last = entry.lastLogins.first.map { "\($0.at) \($0.result.rawValue) from \($0.source)" } ?? "never"
                table.add(user.username, user.name, user.email, user.role.rawValue, last, user.id)
            }
            for event in tokenOnly {
                table.add(event.username, "(token only, no panel user)", "", "", "\(event.at) \(event.result.rawValue) from \(event.source)", "")
            }
            session.print(table.render(empty: "No users yet. Add one with: outpost user add --username NAME --name NAME --email EMAIL --role admin"))
        })
}
