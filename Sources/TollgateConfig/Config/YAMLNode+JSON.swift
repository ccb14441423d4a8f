import TollgateJSON
import TollgateSupport
import TollgateUnits
import TollgateDialects

extension YAMLNode {
    /// The node as JSON, for a plugin's `config:`. Mappings become objects in
    /// written order, sequences arrays. A plain scalar is null (`~`, `null`,
    /// nothing), a bool (`true`/`false` in any case form YAML allows),
    /// a number when its text is a valid JSON number (kept verbatim), and
    /// a string otherwise. Quoted scalars are always strings, so `"5"` stays
    /// text; YAML 1.1's `yes`/`no`/`on`/`off` stay strings too.
    package var jsonValue: JSONValue {
        switch content {
        case .mapping(let pairs):
            return .object(JSONObject(pairs.map { ($0.key.scalar?.text ?? "", $0.value.jsonValue) }))
        case .sequence(let items):
            return .array(items.map(\.jsonValue))
        case .scalar(let scalar):
            return scalar.jsonValue
        }
    }
}

extension YAMLScalar {
    private static let core = "tag:yaml.org,2002:"

    package var jsonValue: JSONValue {
        if let tag {
            switch tag {
            case Self.core + "null": return .null
            case Self.core + "bool" where Self.bool(text) != nil: return .bool(Self.bool(text)!)
            case Self.core + "int", Self.core + "float":
                if Self.isJSONNumber(text) { return .number(text) }
            default: break
            }
            return .string(text)
        }
        guard style == .plain else { return .string(text) }
        if isNull { return .null }
        if let bool = Self.bool(text) { return .bool(bool) }
        if Self.isJSONNumber(text) { return .number(text) }
        return .string(text)
    }

    static func bool(_ text: String) -> Bool? {
        switch text {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: return nil
        }
    }

    /// RFC 8259 number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    static func isJSONNumber(_ text: String) -> Bool {
        let b = Array(text.utf8)
        var i = 0
        func digits() -> Int {
            let start = i
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }
            return i - start
        }
        if i < b.count, b[i] == UInt8(ascii: "-") { i += 1 }
        guard i < b.count else { return false }
        if b[i] == UInt8(ascii: "0") { i += 1 } else if digits() == 0 { return false }
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            if digits() == 0 { return false }
        }
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            i += 1
            if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            if digits() == 0 { return false }
        }
        return i == b.count
    }
}
