import Foundation
import OutpostModel
import OutpostSystem

/// What the last finished build of a site directory was made from
/// (`.outpost-site-state`): the point in the replica's change journal it saw,
/// the business date, and fingerprints of everything that shows on every page.
///
/// The next build reads it to choose its way: the changes since that point
/// alone when nothing else moved, the page fingerprints otherwise. A build
/// removes the file when it starts and writes it only when it has finished,
/// so a build that was interrupted leaves no state, and the build after it
/// checks every file (`--full`) rather than trust what it half did.
struct SiteState: Equatable {
    static let fileName = ".outpost-site-state"
    static let header = "outpost-site-state 1"

    /// The journal position the build's data included.
    var journal: Int64
    var today: BusinessDate
    /// The chrome, formatting and theme the pages were rendered with.
    var look: ContentHash

    static func url(in directory: URL) -> URL { directory.appendingPathComponent(fileName) }

    static func load(from directory: URL) -> SiteState? {
        guard let text = try? String(contentsOf: url(in: directory), encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n").map(String.init)
        guard lines.count == 4, lines[0] == header, let journal = Int64(lines[1]), let today = BusinessDate(lines[2]),
              let look = ContentHash(hex: lines[3][...]) else { return nil }
        return SiteState(journal: journal, today: today, look: look)
    }

    static func remove(from directory: URL) {
        unlink(url(in: directory).path)
    }

    func write(to directory: URL) throws {
        let text = [SiteState.header, String(journal), today.description, look.description].joined(separator: "\n") + "\n"
        let path = SiteState.url(in: directory).path, temporary = path + ".tmp-outpost"
        guard LocalFiles.create(temporary, contents: Array(text.utf8)), rename(temporary, path) == 0 else {
            throw SiteBuildError.cannotWrite(SiteState.fileName, errno: errno)
        }
    }
}
