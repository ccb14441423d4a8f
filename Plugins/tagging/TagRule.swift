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

    /// Parses `tags.NAME` from the config.
    init(name: String, field: ConfigField) throws {
        self.name = name
        let defaultField: ConfigField?
        (allowed, defaultValue, defaultField) = try field.object(expected: "a mapping with values:, pattern: or default:") { rule in
            let allowed: Allowed
            switch (rule["values"].ifPresent, rule["pattern"].ifPresent) {
            case (let list?, nil):
                allowed = .values(try list.list(expected: "a non-empty list of strings", allowEmpty: false).map { item in
                    guard let value = item.value?.stringValue ?? item.value?.scalarText else { throw item.mismatch("a string") }
                    return value
                })
            case (nil, let pattern?):
                let source = try pattern.string(expected: "a regular expression string")
                let regex: Regex<AnyRegexOutput>
                do {
                    regex = try Regex(source)
                } catch {
                    throw pattern.error("/\(source)/ is not a valid regular expression: \(error)")
                }
                // Compile now, on the control thread, not under the first requests.
                _ = try? regex.wholeMatch(in: "")
                allowed = .pattern(source: source, regex: regex)
            case (nil, nil):
                allowed = .any
            case (_?, _?):
                throw rule.error("give values: or pattern:, not both")
            }
            let defaultField = rule["default"].ifPresent
            let defaultValue = try defaultField.map { field in
                guard let text = field.value?.stringValue ?? field.value?.scalarText, let clean = TagName.cleanValue(text) else {
                    throw field.mismatch("a non-empty string")
                }
                return clean
            }
            return (allowed, defaultValue, defaultField)
        }
        if let defaultValue, let defaultField, !allows(defaultValue) {
            throw defaultField.error("\"\(defaultValue)\" is not allowed by its own rule (\(allowedDescription ?? ""))")
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
