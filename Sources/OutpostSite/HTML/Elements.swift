/// Short constructors for the elements pages use, so page code reads like the page.
public enum H {
    public static func el(_ name: String, _ attributes: [Attribute] = [], _ children: Node...) -> Node {
        .element(name, attributes, children)
    }

    public static func el(_ name: String, _ attributes: [Attribute] = [], children: [Node]) -> Node {
        .element(name, attributes, children)
    }

    public static func text(_ value: String) -> Node { .text(value) }

    /// `<a href="…">text</a>` with a relative link.
    public static func link(_ href: String, _ label: String, _ attributes: [Attribute] = []) -> Node {
        .element("a", [Attribute("href", href)] + attributes, [.text(label)])
    }

    public static func p(_ text: String, _ attributes: [Attribute] = []) -> Node { .element("p", attributes, [.text(text)]) }
    public static func h1(_ text: String) -> Node { .element("h1", [], [.text(text)]) }
    public static func h2(_ text: String, _ attributes: [Attribute] = []) -> Node { .element("h2", attributes, [.text(text)]) }
    public static func span(_ text: String, _ attributes: [Attribute] = []) -> Node { .element("span", attributes, [.text(text)]) }
    public static func td(_ text: String, _ attributes: [Attribute] = []) -> Node { .element("td", attributes, [.text(text)]) }
    public static func td(_ node: Node, _ attributes: [Attribute] = []) -> Node { .element("td", attributes, [node]) }
    /// A column header, `scope="col"`.
    public static func th(_ text: String, _ attributes: [Attribute] = []) -> Node {
        .element("th", [Attribute("scope", "col")] + attributes, [.text(text)])
    }
    /// A row header, `scope="row"`.
    public static func rowHeader(_ node: Node) -> Node { .element("th", [Attribute("scope", "row")], [node]) }
}
