import Foundation
import OutpostModel

/// Makes the transport for a node location.
public enum Transports {
    /// `timeout`: seconds one HTTP request may take; `caFile`: the certificates an `https://` node's must chain to
    /// (`nil`: the system's store).
    public static func make(_ location: NodeLocation, token: String?, clock: any Clock, sshCommand: [String]? = nil,
                            timeout: Double = 30, caFile: String? = nil) throws -> any SyncTransport {
        switch location {
        case .directory(let path):
            return LocalTransport(directory: URL(fileURLWithPath: path), token: token, clock: clock)
        case let .ssh(destination, port, path):
            return SSHTransport(destination: destination, port: port, path: path, token: token, command: sshCommand ?? ["ssh", "-o", "BatchMode=yes"])
        case .http(let url):
            return HTTPTransport(baseURL: url, token: token, timeout: timeout, caFile: caFile)
        }
    }
}
