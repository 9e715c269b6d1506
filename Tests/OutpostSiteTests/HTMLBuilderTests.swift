import Testing
@testable import OutpostSite

@Suite("The HTML builder")
struct HTMLBuilderTests {
    @Test("links keep relative references and http(s)/mailto; every other scheme becomes #, however it is disguised")
    func linksAreSafe() {
        let kept = ["../customers/cus_1.html#sub_2", "index.html", "#main", "page-2.html?x=a:b", "a/b:c", "?q=1:2",
                    "https://example.com/x", "HTTP://EXAMPLE.COM", "mailto:it@example.com", ""]
        for href in kept {
            #expect(Attribute("href", href).value == href, "\(href)")
        }
        let refused = ["javascript:alert(1)", "  JavaScript:alert(1)", "java\tscript:alert(1)", "data:text/html,<script>",
                       "vbscript:x", "\njavascript:x", "file:///etc/passwd"]
        for href in refused {
            #expect(Attribute("href", href).value == "#", "\(href)")
            #expect(Attribute("src", href).value == "#", "\(href)")
        }
        // Attributes that are not URLs are never touched.
        #expect(Attribute("title", "javascript:alert(1)").value == "javascript:alert(1)")
    }

    @Test("void elements close themselves; others get an end tag even when empty; text and attributes are escaped")
    func rendering() {
        #expect(H.el("br").render() == "<br/>")
        #expect(H.el("td").render() == "<td></td>")
        #expect(H.el("path", [Attribute("d", "M0 0")]).render() == "<path d=\"M0 0\"/>")
        #expect(H.span("<b>&\"'", [Attribute("title", "a\"<>&")]).render()
                == "<span title=\"a&quot;&lt;&gt;&amp;\">&lt;b&gt;&amp;&quot;&#39;</span>")
    }
}
