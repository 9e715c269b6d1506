import Foundation
import Testing
import OutpostTestSupport
import OutpostTestThreads

/// `status --max-age` is read whether or not `--check` is given: a mistyped limit in a monitoring
/// line is refused (65) naming the option and the form, never silently accepted.
@Suite("status --max-age", .ownThreads)
struct StatusMaxAgeTests {
    let dir: TemporaryDirectory

    init() throws {
        dir = try TemporaryDirectory("outpost-status-max-age")
    }

    func outpost(_ arguments: [String]) throws -> OutpostBinary.Result {
        try OutpostBinary.run(arguments + ["--replica", dir.path("r")], environment: ["OUTPOST_NOW": "2026-02-07T08:00:00Z"], in: dir.url)
    }

    @Test("a duration that is not one is refused with and without --check; a good one is accepted")
    func maxAgeIsAlwaysChecked() throws {
        try #require(OutpostBinary.url != nil, "the outpost binary is built")
        #expect(try outpost(["init"]).status == 0)
        for bad in ["2x", "h", "-1h", "1.5h", "99999999999999999d"] {
            for check in [[], ["--check"]] {
                let refused = try outpost(["status", "--max-age", bad] + check)
                #expect(refused.status == 65, "--max-age \(bad) \(check): \(refused.stdout) \(refused.stderr)")
                #expect(refused.stderr.contains("--max-age '\(bad)' is not a duration") && refused.stderr.contains("30m, 2h or 1d"), "\(refused.stderr)")
                #expect(refused.stdout.isEmpty, "nothing else is printed: \(refused.stdout)")
            }
        }
        let fine = try outpost(["status", "--max-age", "2h"])
        #expect(fine.status == 0, "\(fine.stderr)")
        #expect(fine.stdout.contains("Last sync: never"))
    }
}
