/// `node provision`, `node bill`: the node's back office (commands added with provisioning and billing).
enum BackOfficeCommands {
    static let all: [CommandSpec] = []
}
