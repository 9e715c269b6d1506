import Testing
import OutpostModel

/// The validator itself: every keyword with an instance that passes and one that fails,
/// so the conformance tests cannot pass because the validator checks nothing.
@Suite("JSONSchemaValidator")
struct JSONSchemaValidatorTests {
    func validator(_ schema: String) throws -> JSONSchemaValidator {
        try JSONSchemaValidator(schema: try JSONValue(parsing: schema))
    }

    /// Asserts that `pass` validates and `fail` does not, failing on `keyword`.
    func check(_ schema: String, pass: [String], fail: [(String, String)], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let v = try validator(schema)
        for text in pass {
            let failures = v.validate(try JSONValue(parsing: text))
            #expect(failures.isEmpty, "\(text) should pass \(schema): \(failures)", sourceLocation: sourceLocation)
        }
        for (text, keyword) in fail {
            let failures = v.validate(try JSONValue(parsing: text))
            #expect(!failures.isEmpty, "\(text) should fail \(schema)", sourceLocation: sourceLocation)
            #expect(failures.contains { $0.keyword == keyword }, "\(text) should fail on \(keyword): \(failures)", sourceLocation: sourceLocation)
        }
    }

    @Test func type() throws {
        try check(#"{"type":"string"}"#, pass: [#""a""#], fail: [("1", "type"), ("null", "type")])
        try check(#"{"type":"integer"}"#, pass: ["1", "-9223372036854775808", "2.0"], fail: [("1.5", "type"), (#""1""#, "type"), ("true", "type")])
        try check(#"{"type":"number"}"#, pass: ["1", "1.5"], fail: [(#""1.5""#, "type")])
        try check(#"{"type":"boolean"}"#, pass: ["true", "false"], fail: [("0", "type")])
        try check(#"{"type":"null"}"#, pass: ["null"], fail: [("false", "type")])
        try check(#"{"type":"object"}"#, pass: ["{}"], fail: [("[]", "type")])
        try check(#"{"type":"array"}"#, pass: ["[]"], fail: [("{}", "type")])
        try check(#"{"type":["string","null"]}"#, pass: [#""x""#, "null"], fail: [("1", "type")])
    }

    @Test func properties() throws {
        try check(#"{"properties":{"a":{"type":"integer"}}}"#, pass: [#"{"a":1}"#, "{}", #"{"b":"x"}"#, "[]"],
                  fail: [(#"{"a":"1"}"#, "type")])
    }

    @Test func required() throws {
        try check(#"{"required":["a","b"]}"#, pass: [#"{"a":1,"b":null}"#, #""not an object""#], fail: [(#"{"a":1}"#, "required")])
    }

    @Test func additionalProperties() throws {
        try check(#"{"properties":{"a":{}},"additionalProperties":false}"#, pass: [#"{"a":1}"#, "{}"],
                  fail: [(#"{"a":1,"b":2}"#, "additionalProperties")])
        try check(#"{"properties":{"a":{}},"additionalProperties":{"type":"string"}}"#, pass: [#"{"a":1,"b":"x"}"#],
                  fail: [(#"{"a":1,"b":2}"#, "type")])
    }

    @Test func items() throws {
        try check(#"{"items":{"type":"integer"}}"#, pass: ["[]", "[1,2,3]"], fail: [(#"[1,"2"]"#, "type")])
    }

    @Test func enumeration() throws {
        try check(#"{"enum":["a",1,null,{"k":[1]}]}"#, pass: [#""a""#, "1", "1.0", "null", #"{"k":[1]}"#],
                  fail: [(#""b""#, "enum"), ("2", "enum"), (#"{"k":[2]}"#, "enum")])
    }

    @Test func constant() throws {
        try check(#"{"const":1}"#, pass: ["1", "1.0"], fail: [("2", "const"), (#""1""#, "const"), ("true", "const")])
        try check(#"{"const":{"a":[1,"x"]}}"#, pass: [#"{"a":[1,"x"]}"#], fail: [(#"{"a":[1,"x"],"b":0}"#, "const")])
    }

    @Test func minimumAndMaximum() throws {
        try check(#"{"minimum":1}"#, pass: ["1", "1.5", #""not a number""#], fail: [("0", "minimum"), ("0.99", "minimum")])
        try check(#"{"maximum":9223372036854775807}"#, pass: ["9223372036854775807"], fail: [("1e19", "maximum")])
        try check(#"{"maximum":-1}"#, pass: ["-1", "-2"], fail: [("0", "maximum")])
        // Exact for integers beyond a double's precision.
        try check(#"{"minimum":9007199254740993}"#, pass: ["9007199254740993"], fail: [("9007199254740992", "minimum")])
    }

    @Test func lengths() throws {
        try check(#"{"minLength":2}"#, pass: [#""ab""#, #""ü€""#, "3"], fail: [(#""a""#, "minLength"), (#""""#, "minLength")])
        // Code points, not bytes: "Zürich" is 6 characters, 7 bytes.
        try check(#"{"maxLength":6}"#, pass: [#""Zürich""#], fail: [(#""Zürich!""#, "maxLength")])
    }

    @Test func pattern() throws {
        try check(#"{"pattern":"^rep_[0-9A-Z]{2}$"}"#, pass: [#""rep_0A""#, "12"], fail: [(#""rep_0a""#, "pattern"), (#""xrep_0A""#, "pattern")])
        // Unanchored: a match anywhere is enough.
        try check(#"{"pattern":"[0-9]"}"#, pass: [#""abc1""#], fail: [(#""abc""#, "pattern")])
    }

    @Test func itemCounts() throws {
        try check(#"{"minItems":1,"maxItems":2}"#, pass: ["[1]", "[1,2]", "{}"], fail: [("[]", "minItems"), ("[1,2,3]", "maxItems")])
    }

    @Test func references() throws {
        let schema = ##"{"properties":{"a":{"$ref":"#/$defs/small"},"b":{"$ref":"#/$defs/a~1b","maximum":5}},"$defs":{"small":{"type":"integer","maximum":3},"a/b":{"minimum":2}}}"##
        try check(schema, pass: [#"{"a":3,"b":4}"#], fail: [(#"{"a":4}"#, "maximum"), (#"{"a":"x"}"#, "type"), (#"{"b":1}"#, "minimum"), (#"{"b":6}"#, "maximum")])
    }

    @Test func oneOf() throws {
        let schema = #"{"oneOf":[{"type":"integer"},{"minimum":2}]}"#
        // "x" is not an integer, and `minimum` does not apply to strings: exactly one branch holds.
        try check(schema, pass: ["1", "2.5", #""x""#], fail: [("3", "oneOf"), ("1.5", "oneOf")])
    }

    @Test func booleanSchemas() throws {
        try check(#"{"properties":{"a":false,"b":true}}"#, pass: [#"{"b":[]}"#], fail: [(#"{"a":null}"#, "false")])
    }

    @Test func failuresNameTheInstancePath() throws {
        let v = try validator(#"{"properties":{"list":{"items":{"properties":{"n":{"type":"integer"}}}}}}"#)
        let failures = v.validate(try JSONValue(parsing: #"{"list":[{"n":1},{"n":"x"}]}"#))
        #expect(failures.map(\.instancePath) == ["/list/1/n"])
    }

    @Test func annotationsValidateNothing() throws {
        try check(#"{"$schema":"https://json-schema.org/draft/2020-12/schema","title":"t","description":"d","type":"integer"}"#,
                  pass: ["1"], fail: [("[]", "type")])
    }

    /// A schema with a keyword outside the subset, or a broken one, is refused rather than half-applied.
    @Test func refusesSchemasItCannotApply() throws {
        let broken = [
            #"{"anyOf":[{"type":"string"}]}"#,
            #"{"properties":{"a":{"format":"email"}}}"#,
            ##"{"$ref":"#/definitions/x","definitions":{"x":{}}}"##,
            ##"{"$ref":"#/$defs/missing","$defs":{}}"##,
            ##"{"$ref":"other.json#/$defs/x"}"##,
            #"{"properties":{"a":{"$defs":{"x":{}}}}}"#,
            #"{"type":"text"}"#,
            #"{"type":[]}"#,
            #"{"pattern":"("}"#,
            #"{"minLength":-1}"#,
            #"{"maxItems":"2"}"#,
            #"{"minimum":"0"}"#,
            #"{"required":"a"}"#,
            #"{"enum":[]}"#,
            #"{"oneOf":[]}"#,
            #"{"items":1}"#,
            #"[]"#,
        ]
        for text in broken {
            #expect(throws: JSONSchemaValidator.SchemaError.self, "\(text) should be refused") {
                _ = try JSONSchemaValidator(schema: try JSONValue(parsing: text))
            }
        }
    }
}
