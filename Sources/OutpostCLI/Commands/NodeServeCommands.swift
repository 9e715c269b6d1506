/// `node serve`: the node over HTTP (commands added with the HTTP transport).
enum NodeServeCommands {
    static let all: [CommandSpec] = []
}
