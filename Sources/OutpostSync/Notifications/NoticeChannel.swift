import Foundation

/// Where `outpost node notify` hands its messages.
public enum NoticeChannel: Sendable {
    /// An `.eml` file per notice in a directory (a spool another program picks up).
    case outbox(URL)
    /// Each message piped to a command reading it as `sendmail -t` does (recipients from its headers).
    case sendmail(command: String, environment: [String: String], timeLimit: TimeInterval)

    /// The default sendmail command: recipients from the headers; a line holding one dot does not end the message.
    public static let defaultSendmailCommand = "sendmail -t -i"

    /// Stored in `notification.channel`.
    var name: String {
        switch self {
        case .outbox: return "outbox"
        case .sendmail: return "sendmail"
        }
    }
}
