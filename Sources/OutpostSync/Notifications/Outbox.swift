import Foundation
import OutpostModel
import OutpostSystem
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A directory of `.eml` files, one per notice, written so that a reader never
/// sees half a message and a crash never loses or doubles one.
///
/// A message is first written to `.NAME.tmp` (hidden from anything that picks
/// up `*.eml`) and flushed to disk; the caller then records the notice in the
/// database; only then is the file renamed to `NAME` (rename(2) is atomic) and
/// the directory flushed. A run that crashes before the record leaves a
/// temporary file the next run deletes (the notice is still due and is made
/// again); one that crashes after it leaves a temporary file the next run
/// renames into place (`recover`). The name is derived from the notice's key,
/// so making a notice again replaces its file rather than adding one.
struct Outbox {
    let directory: URL

    /// Checks the directory exists and can be written to, before anything else happens.
    init(_ directory: URL) throws {
        self.directory = directory.standardizedFileURL
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: self.directory.path, isDirectory: &isDirectory) else {
            throw NotificationError(.cannotWrite, "the outbox \(self.directory.path) does not exist; create it first")
        }
        guard isDirectory.boolValue else { throw NotificationError(.cannotWrite, "the outbox \(self.directory.path) is not a directory") }
        guard access(self.directory.path, W_OK | X_OK) == 0 else {
            throw NotificationError(.cannotWrite, "the outbox \(self.directory.path) is not writable: \(String(cString: strerror(errno)))")
        }
    }

    static func temporaryName(_ name: String) -> String { "." + name + ".tmp" }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Writes the message under its temporary name and flushes it.
    func stage(_ text: String, name: String) throws {
        let path = path(Self.temporaryName(name))
        // A notice names a customer and what they owe: for the node's owner (and the mailer run as them) alone.
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, LocalFiles.ownerOnly)
        guard descriptor >= 0 else { throw failure("cannot create \(path)") }
        defer { close(descriptor) }
        if let code = Array(text.utf8).withUnsafeBytes({ LocalFiles.writeAll(descriptor, $0) }) {
            let error = failure("cannot write \(path)", code: code)
            unlink(path)
            throw error
        }
        guard fsync(descriptor) == 0 else {
            let error = failure("cannot flush \(path)")
            unlink(path)
            throw error
        }
        // The staged name must survive a power cut too: once the notice is recorded, the next run finds it here.
        flushDirectory()
    }

    private func flushDirectory() {
        let descriptor = open(directory.path, O_RDONLY | O_CLOEXEC)
        if descriptor >= 0 {
            _ = fsync(descriptor)
            close(descriptor)
        }
    }

    /// Renames the staged message into place and flushes the directory.
    func publish(_ name: String) throws {
        guard rename(path(Self.temporaryName(name)), path(name)) == 0 else { throw failure("cannot rename into \(path(name))") }
        flushDirectory()
    }

    /// Drops a staged message that was not recorded.
    func discard(_ name: String) {
        unlink(path(Self.temporaryName(name)))
    }

    /// Finishes what a crashed run left: a staged message that was recorded is
    /// renamed into place, one that was not is deleted. Other files are left alone.
    func recover(isRecorded: (String) throws -> Bool?) throws -> (published: Int, discarded: Int) {
        var published = 0, discarded = 0
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for entry in entries.sorted() where entry.hasPrefix(".") && entry.hasSuffix(".eml.tmp") {
            let name = String(entry.dropFirst().dropLast(4))
            // `nil`: not one of ours (no such reseller); leave it.
            guard let recorded = try isRecorded(name) else { continue }
            if recorded {
                try publish(name)
                published += 1
            } else {
                discard(name)
                discarded += 1
            }
        }
        return (published, discarded)
    }

    private func failure(_ what: String, code: Int32 = errno) -> NotificationError {
        NotificationError(.cannotWrite, "\(what): \(String(cString: strerror(code)))")
    }
}
