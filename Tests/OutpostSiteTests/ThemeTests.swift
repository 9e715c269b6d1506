import Foundation
import Testing
@testable import OutpostSite
import OutpostTestThreads

@Suite("Theme", .ownThreads)
struct ThemeTests {
    /// `site/` in the source tree.
    static let siteDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("site")

    @Test("embedded theme equals the files in site/ (run site/embed.sh after editing them)")
    func embeddedThemeEqualsTheFiles() throws {
        let files = try Theme.load(from: Self.siteDirectory)
        #expect(Theme.embedded.files.map(\.name) == Theme.fileNames)
        for (embedded, onDisk) in zip(Theme.embedded.files, files.files) {
            #expect(embedded.name == onDisk.name)
            #expect(embedded.bytes == onDisk.bytes, "\(embedded.name) differs from site/\(onDisk.name); run site/embed.sh")
        }
    }

    @Test func aThemeDirectoryOverridesTheEmbeddedOne() throws {
        try withTemporaryDirectory { directory in
            let theme = directory.appendingPathComponent("theme")
            try FileManager.default.createDirectory(at: theme, withIntermediateDirectories: true)
            #expect(throws: SiteBuildError.self) { try Theme.load(from: theme) }
            try Data("body { color: red }\n".utf8).write(to: theme.appendingPathComponent("outpost.css"))
            try Data("// nothing\n".utf8).write(to: theme.appendingPathComponent("outpost.js"))
            let db = try fixtureDatabase(in: directory, customers: 2)
            let site = directory.appendingPathComponent("site")
            try SiteBuilder(db: db, output: site, theme: try Theme.load(from: theme), clock: fixtureClock).build()
            #expect(try String(contentsOf: site.appendingPathComponent("assets/outpost.css"), encoding: .utf8) == "body { color: red }\n")
        }
    }

    @Test func theStylesheetHasDarkModePrintAndFocusRules() throws {
        let css = String(decoding: Theme.embedded.files[0].bytes, as: UTF8.self)
        #expect(css.contains("@media (prefers-color-scheme: dark)"))
        #expect(css.contains("@media print"))
        #expect(css.contains(":focus-visible"))
        for variable in ChartPalette.series.map(\.variable) + ["--chart-text", "--chart-grid", "--chart-axis"] {
            #expect(css.contains(variable + ":"), "the theme defines \(variable) for charts")
        }
        #expect(!css.contains("url(http") && !css.contains("@import"), "no outside assets")
    }
}

@Suite("Building blocks", .ownThreads)
struct BuildingBlockTests {
    @Test func csvQuotesPerRFC4180() {
        let text = CSVRecord.document([["a", "b,c", "say \"hi\"", "two\nlines", "", "=1+1"]])
        #expect(text == "a,\"b,c\",\"say \"\"hi\"\"\",\"two\nlines\",,'=1+1\r\n")
        #expect(CSVParser.parse(text) == [["a", "b,c", "say \"hi\"", "two\nlines", "", "'=1+1"]])
    }

    @Test func searchWordsAndBuckets() {
        #expect(SearchKey.tokens("ORD-000123") == ["ord", "123"])
        #expect(SearchKey.tokens("Café Müller & Söhne GmbH") == ["café", "müller", "söhne", "gmbh"])
        #expect(SearchKey.tokens("cus_01JD2K3M4N5P6Q7R8S9T0VWXYZ") == ["cus_01jd2k3m4n5p6q7r8s9t0vwxyz"])
        #expect(SearchKey.bucket("müller") == "mül")
        #expect(SearchKey.bucket("cus_01jd2k3m4n5p6q7r8s9t0vwxyz") == "#xyz")
        #expect(SearchKey.fileName(SearchKey.fileNumber("mü", files: 8)) == "s-\(SearchKey.fileNumber("mü", files: 8)).js")
        // FNV-1a of the UTF-8 bytes, as site/outpost.js computes it.
        #expect(SearchKey.fileNumber("", files: 1 << 16) == Int(2_166_136_261 % (1 << 16)))
        #expect(SearchKey.fileNumber("a", files: 1 << 16) == Int(0xe40c_292c % (1 << 16)))
        #expect(SearchKey.trigrams("jade") == ["jad", "ade"])
        // One letter is no bucket (S.p.A. would file every such company under "s"); one digit is (INV-000007).
        #expect(SearchEntry.buckets(of: SearchKey.tokens("Rossi S.p.A. INV-000007")) == ["ros", "7"])
        var out: [UInt8] = []
        SearchKey.appendJSString("</script><b>\"\\\u{2028}", to: &out)
        #expect(String(decoding: out, as: UTF8.self) == #""\u003c/script\u003e\u003cb\u003e\"\\\u2028""#)
    }

    @Test func entityIdsCannotNameFilesOutsideTheirDirectory() {
        #expect(SitePath.customer("cus_01ABC") == "customers/BC/cus_01ABC.html")
        for hostile in ["../../etc/passwd", "a/b", "index", "", "x y", ".hidden", String(repeating: "a", count: 100)] {
            // The customers directory, one shard directory, the page; no part empty or hidden.
            let path = SitePath.customer(hostile)
            let parts = path.split(separator: "/", omittingEmptySubsequences: false)
            #expect(parts.count == 3 && parts[0] == "customers" && parts.allSatisfy { !$0.isEmpty && !$0.hasPrefix(".") } && !path.contains(".."),
                    "\(hostile) → \(path)")
        }
    }

    @Test func relativeRootsFollowTheDepth() {
        #expect(Page.root(of: "index.html") == "")
        #expect(Page.root(of: "customers/x.html") == "../")
        #expect(Page.root(of: "users/usr_1/index.html") == "../../")
    }

    @Test func moneyLooksIntentionalWhenNegativeOrZero() {
        let format = SiteFormat(currency: .init(code: "EUR")!)
        #expect(format.money(-123_456).render() == #"<span class="money neg">-1,234.56 EUR</span>"#)
        #expect(format.money(0).render() == #"<span class="money zero">0.00 EUR</span>"#)
        #expect(SiteFormat(currency: .init(code: "JPY")!).moneyText(1_500) == "1,500 JPY")
        #expect(format.csvMoney(-5) == "-0.05")
        #expect(SiteFormat.timestamp("2026-11-24T17:05:09Z") == "2026-11-24 17:05 UTC")
    }
}
