import Foundation
import OutpostModel

/// This replica's own setup, kept in `replica_meta`: its node, where `sync` renders the dashboards and
/// how it publishes them. Local to the laptop; never synced.
enum ReplicaConfig {
    /// A key of the config, as stored.
    enum Key: String {
        case node
        case resellerId = "reseller_id"
        /// Where `sync` renders the site (default: `site/` in the replica).
        case site
        /// A directory on a mounted file server the site is mirrored into.
        case publish
        /// A command (`/bin/sh -c`) that publishes the site, like an rsync line.
        case publishCommand = "publish_command"
        /// The CA certificates (PEM) an https:// node's certificate is checked against, given to
        /// `init` or `config set` with `--ca-file`, so unattended syncs need no flag.
        case caFile = "ca_file"
    }

    static func value(_ key: Key, of replica: Replica) throws -> String? {
        try replica.db.scalar("SELECT value FROM replica_meta WHERE key = ?", [key.rawValue])?.string
    }

    /// Sets a key, or removes it when `value` is `nil`.
    static func set(_ key: Key, to value: String?, in replica: Replica) throws {
        if let value {
            try replica.db.execute("INSERT INTO replica_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                                   [key.rawValue, value])
        } else {
            try replica.db.execute("DELETE FROM replica_meta WHERE key = ?", [key.rawValue])
        }
    }
}
