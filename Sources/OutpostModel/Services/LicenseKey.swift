/// How a license key may be shown: in full only on the laptop (`outpost license show`), everywhere else —
/// dashboards, CSVs, lists — as its last four characters, since a published page is read by everyone who
/// can reach the file server.
public enum LicenseKey {
    /// `••••-3F9A` for `ABCDE-…-33F9A`: enough to tell keys apart, not enough to use one.
    public static func masked(_ key: String) -> String {
        let characters = key.filter { $0.isLetter || $0.isNumber }
        // A key of four characters or fewer would be shown whole by its last four: show none of it.
        guard characters.count > 4 else { return "••••" }
        return "••••-" + String(characters.suffix(4))
    }
}
