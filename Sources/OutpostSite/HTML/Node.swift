import Foundation

/// A piece of an HTML (polyglot XHTML5) document: elements, text, and nothing else.
///
/// Text and attribute values are always escaped when rendered; there is no
/// way to put data into markup unescaped. The only unescaped output is
/// `Node.trusted`, for constant strings compiled into Outpost (the theme's
/// inline script), and its argument is a `StaticString` so data cannot reach it.
public struct Node: Sendable {
    indirect enum Kind: Sendable {
        case element(name: String, attributes: [Attribute], children: [Node])
        case text(String)
        case trusted(String)
        /// Markup this module rendered from nodes earlier (a page's chrome, reused).
        case rendered(String)
        case fragment([Node])
    }

    let kind: Kind

    /// An element with attributes (rendered in the order given) and children.
    public static func element(_ name: String, _ attributes: [Attribute] = [], _ children: [Node] = []) -> Node {
        precondition(Node.isName(name), "not an element name: \(name)")
        return Node(kind: .element(name: name, attributes: attributes, children: children))
    }

    /// Text, escaped when rendered.
    public static func text(_ value: String) -> Node { Node(kind: .text(value)) }

    /// Several nodes side by side.
    public static func fragment(_ nodes: [Node]) -> Node { Node(kind: .fragment(nodes)) }

    /// Nothing.
    public static var empty: Node { Node(kind: .fragment([])) }

    /// Markup written by us, not data: a compile-time constant only.
    public static func trusted(_ markup: StaticString) -> Node { Node(kind: .trusted(markup.description)) }

    /// The same markup, rendered once now and reused wherever the node is
    /// placed again (the navigation every page at one depth shares). Only a
    /// node can be pre-rendered, so the escaping guarantee is unchanged.
    static func prerendered(_ node: Node) -> Node { Node(kind: .rendered(node.render())) }

    /// The document text.
    public func render() -> String {
        var out = ""
        render(into: &out)
        return out
    }

    /// Appends the document text to `out`.
    public func render(into out: inout String) {
        switch kind {
        case .text(let value):
            Escape.text(value, into: &out)
        case .trusted(let markup), .rendered(let markup):
            out += markup
        case .fragment(let nodes):
            for node in nodes { node.render(into: &out) }
        case let .element(name, attributes, children):
            out.append("<")
            out.append(name)
            for attribute in attributes {
                out.append(" ")
                out.append(attribute.name)
                out.append("=\"")
                Escape.attribute(attribute.value, into: &out)
                out.append("\"")
            }
            if children.isEmpty, Node.isVoid(name) {
                out.append("/>")
                return
            }
            out.append(">")
            for child in children { child.render(into: &out) }
            out.append("</")
            out.append(name)
            out.append(">")
        }
    }

    /// Elements that never have content; written `<br/>` so the page is also well-formed XML.
    static func isVoid(_ name: String) -> Bool {
        switch name {
        case "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr",
             "circle", "ellipse", "line", "path", "polygon", "polyline", "rect", "stop", "use":
            return true
        default:
            return false
        }
    }

    static func isName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 45 || $0 == 58 }
    }
}

/// One attribute. URLs in `href`/`src`/`action` are checked: only relative
/// references and http(s)/mailto survive; anything else (`javascript:`) becomes `#`.
public struct Attribute: Sendable {
    public let name: String
    public let value: String

    public init(_ name: String, _ value: String) {
        precondition(Node.isName(name), "not an attribute name: \(name)")
        self.name = name
        self.value = Attribute.isURL(name) ? Attribute.safeURL(value) : value
    }

    static func isURL(_ name: String) -> Bool {
        switch name {
        case "href", "src", "action", "xlink:href", "formaction", "poster": return true
        default: return false
        }
    }

    static func safeURL(_ value: String) -> String {
        // A scheme needs a colon before any '/', '?' or '#'. Relative links
        // (nearly every link of the site) have none and are kept as they are
        // without the slower look below; trimming and lowercasing cannot
        // change which of these characters comes first.
        guard let first = value.utf8.first(where: { $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }),
              first == UInt8(ascii: ":") else { return value }
        let trimmed = value.trimmingCharacters(in: .whitespaces).lowercased()
        guard let colon = trimmed.firstIndex(of: ":") else { return value }
        // A colon after the first '/', '?' or '#' is not a scheme separator.
        if let slash = trimmed.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }), slash < colon { return value }
        let scheme = trimmed[..<colon]
        return ["http", "https", "mailto"].contains(String(scheme)) ? value : "#"
    }
}

/// Escaping for HTML text and attribute values: `& < > " '` always, including `&` of what looks like an entity.
public enum Escape {
    public static func text(_ value: String, into out: inout String) {
        // Every character that needs escaping (or dropping) is ASCII, so the
        // UTF-8 bytes can be scanned and clean runs copied whole: most text
        // has nothing to escape and is appended in one piece.
        var value = value
        value.withUTF8 { bytes in
            var runStart = 0
            for index in 0..<bytes.count {
                let byte = bytes[index]
                let replacement: String?
                switch byte {
                case UInt8(ascii: "&"): replacement = "&amp;"
                case UInt8(ascii: "<"): replacement = "&lt;"
                case UInt8(ascii: ">"): replacement = "&gt;"
                case UInt8(ascii: "\""): replacement = "&quot;"
                case UInt8(ascii: "'"): replacement = "&#39;"
                // XML 1.0 forbids most C0 controls; drop them rather than emit an unparsable page.
                case 0..<0x20 where byte != 0x0a && byte != 0x09 && byte != 0x0d: replacement = ""
                default: continue
                }
                if runStart < index { out += String(decoding: UnsafeBufferPointer(rebasing: bytes[runStart..<index]), as: UTF8.self) }
                out += replacement!
                runStart = index + 1
            }
            if runStart == 0 {
                out += String(decoding: bytes, as: UTF8.self)
            } else if runStart < bytes.count {
                out += String(decoding: UnsafeBufferPointer(rebasing: bytes[runStart...]), as: UTF8.self)
            }
        }
    }

    public static func attribute(_ value: String, into out: inout String) {
        text(value, into: &out)
    }

    /// Escaped text as a new string.
    public static func text(_ value: String) -> String {
        var out = ""
        text(value, into: &out)
        return out
    }
}
