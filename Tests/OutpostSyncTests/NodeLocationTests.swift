import Foundation
import Testing
@testable import OutpostSync

/// Reading `--node` locations, and what the ssh transport makes of one.
@Suite("node locations")
struct NodeLocationTests {
    @Test func anSSHLocationKeepsItsPortAndPath() throws {
        #expect(try NodeLocation.parse("ssh://anna@node.example:2222/srv/outpost") == .ssh(destination: "anna@node.example", port: 2222, path: "/srv/outpost"))
        #expect(try NodeLocation.parse("ssh://node.example/srv/my node") == .ssh(destination: "node.example", port: nil, path: "/srv/my node"))
        #expect(try NodeLocation.parse("ssh://anna@node.example:2222/srv/outpost").description == "ssh://anna@node.example:2222/srv/outpost")
        for bad in ["ssh://node.example:0/srv", "ssh://node.example:65536/srv", "ssh://node.example:/srv", "ssh://node.example:ssh/srv",
                    "ssh://-oProxyCommand=x/srv", "ssh://node.example/srv\nrm", "ssh://node.example/"] {
            #expect(throws: NodeLocation.Invalid.self, "\(bad)") { try NodeLocation.parse(bad) }
        }
    }

    @Test func thePathIsOneWordForTheRemoteShell() {
        #expect(SSHTransport.remoteCommand(path: "/srv/outpost") == "outpost node exchange '/srv/outpost'")
        #expect(SSHTransport.shellQuoted("/a b;touch x") == "'/a b;touch x'")
        #expect(SSHTransport.shellQuoted("it's $(here)") == #"'it'\''s $(here)'"#)
        let transport = SSHTransport(destination: "anna@node.example", port: 2222, path: "/srv/outpost", token: nil)
        #expect(transport.arguments == ["-p", "2222", "anna@node.example", "outpost node exchange '/srv/outpost'"])
    }
}
