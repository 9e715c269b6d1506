import Foundation
import OutpostModel

/// A JSON Schema validator for exactly the subset of draft 2020-12 that
/// `sync/schema/` uses, over OutpostModel's `JSONValue`:
///
/// `type`, `properties`, `required`, `additionalProperties`, `items`, `enum`,
/// `const`, `minimum`, `maximum`, `minLength`, `maxLength`, `pattern`,
/// `minItems`, `maxItems`, `$ref` (only `#/$defs/NAME`), `$defs` (only at the
/// root) and `oneOf`; plus the annotations `$schema`, `title` and
/// `description`, which do not validate anything. Boolean schemas (`true`,
/// `false`) are accepted wherever a schema is.
///
/// A schema using any other keyword is refused when the validator is made, so
/// a schema can never rely on a keyword that is silently not checked.
///
/// Semantics follow the draft: `integer` matches any number without a
/// fractional part, numbers compare by value in `enum` and `const`, lengths
/// count Unicode code points, `pattern` is an unanchored search, and `$ref`
/// applies together with its sibling keywords.
struct JSONSchemaValidator {
    static let validationKeywords: Set<String> = [
        "type", "properties", "required", "additionalProperties", "items", "enum", "const", "minimum", "maximum",
        "minLength", "maxLength", "pattern", "minItems", "maxItems", "$ref", "$defs", "oneOf",
    ]
    static let annotationKeywords: Set<String> = ["$schema", "title", "description"]
    static let typeNames: Set<String> = ["null", "boolean", "object", "array", "number", "integer", "string"]

    /// The schema itself is not one this validator can apply.
    struct SchemaError: Error, CustomStringConvertible {
        let path: String
        let message: String
        var description: String { "schema \(path.isEmpty ? "/" : path): \(message)" }
    }

    /// Why an instance does not validate: where, which keyword, and a message.
    struct Failure: Equatable, CustomStringConvertible {
        let instancePath: String
        let keyword: String
        let message: String
        var description: String { "\(instancePath.isEmpty ? "/" : instancePath): \(keyword): \(message)" }
    }

    let root: JSONValue
    private let definitions: [String: JSONValue]
    private let patterns: [String: NSRegularExpression]

    init(schema: JSONValue) throws(SchemaError) {
        root = schema
        definitions = schema["$defs"]?.objectValue ?? [:]
        var patterns: [String: NSRegularExpression] = [:]
        try Self.check(schema, path: "", isRoot: true, definitions: definitions, patterns: &patterns)
        self.patterns = patterns
    }

    /// Reads a schema file.
    init(contentsOf url: URL) throws {
        let bytes = Array(try Data(contentsOf: url))
        try self.init(schema: try JSONParser.parse(bytes))
    }

    func validate(_ instance: JSONValue) -> [Failure] {
        var failures: [Failure] = []
        validate(instance, against: root, at: "", into: &failures)
        return failures
    }

    func isValid(_ instance: JSONValue) -> Bool { validate(instance).isEmpty }

    // MARK: Checking the schema

    private static func check(_ schema: JSONValue, path: String, isRoot: Bool, definitions: [String: JSONValue],
                              patterns: inout [String: NSRegularExpression]) throws(SchemaError) {
        if case .bool = schema { return }
        guard let members = schema.objectValue else { throw SchemaError(path: path, message: "a schema must be an object or a boolean") }
        for key in members.keys.sorted() where !validationKeywords.contains(key) && !annotationKeywords.contains(key) {
            throw SchemaError(path: path, message: "unsupported keyword '\(key)'")
        }
        func sub(_ value: JSONValue, _ suffix: String) throws(SchemaError) {
            try check(value, path: path + "/" + suffix, isRoot: false, definitions: definitions, patterns: &patterns)
        }
        func nonNegativeInteger(_ key: String) throws(SchemaError) {
            guard let value = members[key] else { return }
            guard let number = value.integerValue, number >= 0 else { throw SchemaError(path: path, message: "'\(key)' must be a non-negative integer") }
        }
        if let type = members["type"] {
            let names: [JSONValue]
            if case .array(let elements) = type { names = elements } else { names = [type] }
            guard !names.isEmpty, names.allSatisfy({ $0.stringValue.map(typeNames.contains) ?? false }), Set(names.compactMap(\.stringValue)).count == names.count else {
                throw SchemaError(path: path, message: "'type' must be a type name or a non-empty array of distinct type names")
            }
        }
        if let properties = members["properties"] {
            guard let entries = properties.objectValue else { throw SchemaError(path: path, message: "'properties' must be an object") }
            for key in entries.keys.sorted() { try sub(entries[key]!, "properties/" + key) }
        }
        if let required = members["required"] {
            guard let names = required.arrayValue, names.allSatisfy({ $0.stringValue != nil }), Set(names.compactMap(\.stringValue)).count == names.count else {
                throw SchemaError(path: path, message: "'required' must be an array of distinct strings")
            }
        }
        if let additional = members["additionalProperties"] { try sub(additional, "additionalProperties") }
        if let items = members["items"] { try sub(items, "items") }
        if let values = members["enum"] {
            guard let elements = values.arrayValue, !elements.isEmpty else { throw SchemaError(path: path, message: "'enum' must be a non-empty array") }
        }
        for key in ["minimum", "maximum"] {
            guard let value = members[key] else { continue }
            guard Self.number(value) != nil else { throw SchemaError(path: path, message: "'\(key)' must be a number") }
        }
        for key in ["minLength", "maxLength", "minItems", "maxItems"] { try nonNegativeInteger(key) }
        if let pattern = members["pattern"] {
            guard let text = pattern.stringValue else { throw SchemaError(path: path, message: "'pattern' must be a string") }
            do {
                patterns[text] = try NSRegularExpression(pattern: text)
            } catch {
                throw SchemaError(path: path, message: "'pattern' \(text) is not a regular expression")
            }
        }
        if let reference = members["$ref"] {
            guard let text = reference.stringValue, let name = Self.definitionName(text) else {
                throw SchemaError(path: path, message: "'$ref' must be \"#/$defs/NAME\"")
            }
            guard definitions[name] != nil else { throw SchemaError(path: path, message: "'$ref' \(text) names no definition") }
        }
        if let defs = members["$defs"] {
            guard isRoot else { throw SchemaError(path: path, message: "'$defs' is only supported at the root") }
            guard let entries = defs.objectValue else { throw SchemaError(path: path, message: "'$defs' must be an object") }
            for key in entries.keys.sorted() { try sub(entries[key]!, "$defs/" + key) }
        }
        if let oneOf = members["oneOf"] {
            guard let branches = oneOf.arrayValue, !branches.isEmpty else { throw SchemaError(path: path, message: "'oneOf' must be a non-empty array") }
            for (index, branch) in branches.enumerated() { try sub(branch, "oneOf/\(index)") }
        }
    }

    /// `#/$defs/NAME` → NAME (with JSON Pointer escapes undone); `nil` for any other reference.
    static func definitionName(_ reference: String) -> String? {
        let prefix = "#/$defs/"
        guard reference.hasPrefix(prefix) else { return nil }
        let name = String(reference.dropFirst(prefix.count))
        guard !name.isEmpty, !name.contains("/") else { return nil }
        return name.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
    }

    // MARK: Validating

    private func validate(_ instance: JSONValue, against schema: JSONValue, at path: String, into failures: inout [Failure]) {
        if case .bool(let allowed) = schema {
            if !allowed { failures.append(Failure(instancePath: path, keyword: "false", message: "no value is allowed here")) }
            return
        }
        guard let members = schema.objectValue else { return }
        func fail(_ keyword: String, _ message: String) {
            failures.append(Failure(instancePath: path, keyword: keyword, message: message))
        }

        if let reference = members["$ref"]?.stringValue, let name = Self.definitionName(reference), let target = definitions[name] {
            validate(instance, against: target, at: path, into: &failures)
        }
        if let type = members["type"] {
            let names: [String]
            if case .array(let elements) = type { names = elements.compactMap(\.stringValue) } else { names = type.stringValue.map { [$0] } ?? [] }
            if !names.contains(where: { Self.matches(instance, type: $0) }) {
                fail("type", "expected \(names.joined(separator: " or ")), found \(Self.typeName(instance))")
            }
        }
        if let values = members["enum"]?.arrayValue, !values.contains(where: { Self.equal($0, instance) }) {
            fail("enum", "\(instance.serialized.prefix(80)) is not one of \(JSONValue.array(values).serialized.prefix(200))")
        }
        if let value = members["const"], !Self.equal(value, instance) {
            fail("const", "expected \(value.serialized.prefix(80)), found \(instance.serialized.prefix(80))")
        }
        if Self.number(instance) != nil {
            if let minimum = members["minimum"], Self.compare(instance, minimum) == .orderedAscending {
                fail("minimum", "\(instance.serialized) is less than \(minimum.serialized)")
            }
            if let maximum = members["maximum"], Self.compare(instance, maximum) == .orderedDescending {
                fail("maximum", "\(instance.serialized) is greater than \(maximum.serialized)")
            }
        }
        if let text = instance.stringValue {
            let length = text.unicodeScalars.count
            if let minimum = members["minLength"]?.integerValue, length < minimum { fail("minLength", "\(length) characters, at least \(minimum) needed") }
            if let maximum = members["maxLength"]?.integerValue, length > maximum { fail("maxLength", "\(length) characters, at most \(maximum) allowed") }
            if let pattern = members["pattern"]?.stringValue, let expression = patterns[pattern] {
                let range = NSRange(text.startIndex..<text.endIndex, in: text)
                if expression.firstMatch(in: text, range: range) == nil { fail("pattern", "\(text.prefix(80)) does not match \(pattern)") }
            }
        }
        if let elements = instance.arrayValue {
            if let minimum = members["minItems"]?.integerValue, elements.count < minimum { fail("minItems", "\(elements.count) items, at least \(minimum) needed") }
            if let maximum = members["maxItems"]?.integerValue, elements.count > maximum { fail("maxItems", "\(elements.count) items, at most \(maximum) allowed") }
            if let items = members["items"] {
                for (index, element) in elements.enumerated() { validate(element, against: items, at: path + "/\(index)", into: &failures) }
            }
        }
        if let object = instance.objectValue {
            let properties = members["properties"]?.objectValue ?? [:]
            for key in object.keys.sorted() {
                let childPath = path + "/" + key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
                if let property = properties[key] {
                    validate(object[key]!, against: property, at: childPath, into: &failures)
                } else if let additional = members["additionalProperties"] {
                    if additional == .bool(false) {
                        fail("additionalProperties", "member '\(key)' is not allowed")
                    } else {
                        validate(object[key]!, against: additional, at: childPath, into: &failures)
                    }
                }
            }
            for name in members["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where object[name] == nil {
                fail("required", "member '\(name)' is required")
            }
        }
        if let branches = members["oneOf"]?.arrayValue {
            var passing: [Int] = []
            var firstReasons: [Failure] = []
            for (index, branch) in branches.enumerated() {
                var branchFailures: [Failure] = []
                validate(instance, against: branch, at: path, into: &branchFailures)
                if branchFailures.isEmpty { passing.append(index) } else if firstReasons.isEmpty { firstReasons = branchFailures }
            }
            if passing.isEmpty {
                fail("oneOf", "matches none of the \(branches.count) alternatives (the first fails: \(firstReasons.prefix(3).map(\.description).joined(separator: "; ")))")
            } else if passing.count > 1 {
                fail("oneOf", "matches \(passing.count) alternatives (\(passing.map(String.init).joined(separator: ", "))); exactly one must match")
            }
        }
    }

    static func typeName(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "boolean"
        case .integer: return "integer"
        case .double(let v): return v == v.rounded(.towardZero) ? "integer" : "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    static func matches(_ value: JSONValue, type: String) -> Bool {
        switch type {
        case "number": return number(value) != nil
        case "integer": return typeName(value) == "integer"
        default: return typeName(value) == type
        }
    }

    /// A number as (exact integer, or a double).
    enum Number {
        case integer(Int64)
        case double(Double)
    }

    static func number(_ value: JSONValue) -> Number? {
        switch value {
        case .integer(let v): return .integer(v)
        case .double(let v): return .double(v)
        default: return nil
        }
    }

    /// Numeric order; exact for two integers.
    static func compare(_ lhs: JSONValue, _ rhs: JSONValue) -> ComparisonResult? {
        guard let a = number(lhs), let b = number(rhs) else { return nil }
        switch (a, b) {
        case let (.integer(x), .integer(y)): return x < y ? .orderedAscending : x > y ? .orderedDescending : .orderedSame
        default:
            let x = double(a), y = double(b)
            return x < y ? .orderedAscending : x > y ? .orderedDescending : .orderedSame
        }
    }

    static func double(_ number: Number) -> Double {
        switch number {
        case .integer(let v): return Double(v)
        case .double(let v): return v
        }
    }

    /// JSON equality: numbers by value, objects regardless of member order.
    static func equal(_ lhs: JSONValue, _ rhs: JSONValue) -> Bool {
        if number(lhs) != nil, number(rhs) != nil { return compare(lhs, rhs) == .orderedSame }
        switch (lhs, rhs) {
        case let (.array(a), .array(b)): return a.count == b.count && zip(a, b).allSatisfy { equal($0, $1) }
        case let (.object(a), .object(b)): return a.count == b.count && a.allSatisfy { key, value in b[key].map { equal(value, $0) } ?? false }
        default: return lhs == rhs
        }
    }
}
