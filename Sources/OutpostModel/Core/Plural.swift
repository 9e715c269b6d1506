/// A count with its noun in the right number: "no changes", "1 change", "3 changes".
///
/// Messages read by people say "1 conflict", not "1 conflict(s)".
public enum Plural {
    /// `count` followed by `singular` or `plural` (default: `singular` + "s"); zero reads "no …".
    public static func count(_ count: Int, _ singular: String, _ plural: String? = nil) -> String {
        let many = plural ?? singular + "s"
        switch count {
        case 0: return "no " + many
        case 1: return "1 " + singular
        default: return "\(count) " + many
        }
    }

    /// The same, with a capital first letter, to start a sentence.
    public static func sentence(_ count: Int, _ singular: String, _ plural: String? = nil) -> String {
        let text = Self.count(count, singular, plural)
        return text.prefix(1).uppercased() + text.dropFirst()
    }
}
