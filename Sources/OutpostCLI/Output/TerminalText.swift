/// Text made safe to show on a terminal: control characters a terminal would obey are shown as escapes.
///
/// A customer name, a refused phone number or a mistyped option reaches the terminal as it was typed or
/// synced; `ESC ] 0 ; … BEL` in it would retitle the window, and other sequences can move the cursor,
/// hide text or (on some terminals) answer back as if typed. Shown escaped (`\x1B]0;…\x07`), the person
/// sees what is really there. Line feeds and tabs are layout and stay; so does a carriage return right
/// before a line feed (a CSV's line end), which does nothing a line feed would not.
enum TerminalText {
    /// `text` with every C0 control (but those kept as layout), DEL and every C1 control written as `\xHH`.
    static func escaped(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        guard scalars.indices.contains(where: { mustEscape(scalars, at: $0) }) else { return text }
        var out = String.UnicodeScalarView()
        for index in scalars.indices {
            guard mustEscape(scalars, at: index) else {
                out.append(scalars[index])
                continue
            }
            let hex = String(scalars[index].value, radix: 16, uppercase: true)
            out.append(contentsOf: ("\\x" + (hex.count < 2 ? "0" : "") + hex).unicodeScalars)
        }
        return String(out)
    }

    private static func mustEscape(_ scalars: [Unicode.Scalar], at index: Int) -> Bool {
        switch scalars[index].value {
        case 0x0A, 0x09: return false
        case 0x0D: return index + 1 == scalars.count || scalars[index + 1] != "\n"
        case 0x00..<0x20, 0x7F...0x9F: return true
        default: return false
        }
    }
}
