import TollgatePluginKit

/// What the taxonomy says about one tag: the values it may take (a list,
/// or a regular expression the whole value must match) and the value it
/// gets when a request does not send it.
struct TagRule: @unchecked Sendable {
    enum Allowed {
        case any
        case values([String])
        case pattern(source: String, regex: Regex<AnyRegexOutput>)
    }

    var name: String
    var allowed: Allowed
    var defaultValue: String?

    func allows(_ value: String) -> Bool {
        switch allowed {
        case .any: return true
        case .values(let values): return values.contains(value)
        case .pattern(_, let regex): return (try? regex.wholeMatch(in: value)) != nil
        }
    }

    /// "one of prod, staging, dev" / "matching [a-z]+" — for error messages.
    var allowedDescription: String? {
        switch allowed {
        case .any: return nil
        case .values(let values): return "one of " + values.joined(separator: ", ")
        case .pattern(let source, _): return "matching /\(source)/"
        }
    }

    static let keys = ["values", "pattern", "default"]

    /// Parses `tags.NAME` from the config.
    init(name: String, json: JSONValue) throws {
        self.name = name
        let at = "tagging config: tags.\(name)"
        guard let object = json.objectValue else {
            throw PluginError("\(at) must be a mapping with values:, pattern: or default:, got \(json.jsonString)")
        }
        for key in object.keys where !Self.keys.contains(key) {
            throw PluginError("\(at): unknown key \"\(key)\" (expected one of: \(Self.keys.joined(separator: ", ")))")
        }
        switch (object["values"], object["pattern"]) {
        case (let list?, nil):
            guard let items = list.arrayValue, !items.isEmpty else {
                throw PluginError("\(at).values must be a non-empty list of strings, got \(list.jsonString)")
            }
            var values: [String] = []
            for item in items {
                guard let value = item.stringValue ?? item.scalarText else {
                    throw PluginError("\(at).values must hold strings, got \(item.jsonString)")
                }
                values.append(value)
            }
            allowed = .values(values)
        case (nil, let pattern?):
            guard let source = pattern.stringValue, !source.isEmpty else {
                throw PluginError("\(at).pattern must be a regular expression string, got \(pattern.jsonString)")
            }
            let regex: Regex<AnyRegexOutput>
            do {
                regex = try Regex(source)
            } catch {
                throw PluginError("\(at).pattern /\(source)/ is not a valid regular expression: \(error)")
            }
            allowed = .pattern(source: source, regex: regex)
            // Compile now, on the control thread, not under the first requests.
            _ = try? regex.wholeMatch(in: "")
        case (nil, nil):
            allowed = .any
        case (_?, _?):
            throw PluginError("\(at): give values: or pattern:, not both")
        }
        if let value = object["default"] {
            guard let text = value.stringValue ?? value.scalarText, let clean = TagName.cleanValue(text) else {
                throw PluginError("\(at).default must be a non-empty string, got \(value.jsonString)")
            }
            defaultValue = clean
        }
        if let defaultValue, !allows(defaultValue) {
            throw PluginError("\(at).default \"\(defaultValue)\" is not allowed by its own rule (\(allowedDescription ?? ""))")
        }
    }
}

extension JSONValue {
    /// YAML turns `2026` or `true` into numbers and booleans; as tag values
    /// they mean their text.
    var scalarText: String? {
        switch self {
        case .number(let text): return text
        case .bool(let flag): return flag ? "true" : "false"
        default: return nil
        }
    }
}
