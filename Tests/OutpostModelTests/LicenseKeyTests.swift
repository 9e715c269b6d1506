import Testing
import OutpostModel

@Suite("License keys as pages show them")
struct LicenseKeyTests {
    @Test("only the last four letters or digits are shown; a key of four or fewer shows none")
    func masked() {
        #expect(LicenseKey.masked("ABCDE-FGHIJ-KLMNO-PQRST-U3F9A") == "••••-3F9A")
        #expect(LicenseKey.masked("OFFICE-LTSC-0001") == "••••-0001")
        #expect(LicenseKey.masked("1-2-3-4-5") == "••••-2345")
        #expect(LicenseKey.masked("AB-CD") == "••••")
        #expect(LicenseKey.masked("") == "••••")
    }
}
