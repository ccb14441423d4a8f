import Foundation
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects

/// Turns a YAML tree into typed config, collecting every problem rather than
/// stopping at the first. The readers below report an error and return nil;
/// callers carry on with what they could read so later errors still surface.
package final class ConfigDecoder {
    let file: String
    /// Relative paths in the file resolve against this (the file's directory).
    let baseDirectory: String
    private(set) var errors: [ConfigError] = []

    init(file: String, baseDirectory: String) {
        self.file = file
        self.baseDirectory = baseDirectory
    }

    func fail(_ location: SourceLocation?, _ message: String) {
        errors.append(ConfigError(location: location, message: message))
    }

    func fail(_ node: YAMLNode, _ message: String) { fail(node.location, message) }

    /// A mapping's entries by key, having checked them against the schema.
    struct Fields {
        let node: YAMLNode
        let context: String
        /// Present and not null; a key written with no value counts as absent.
        let values: [String: YAMLNode]
        subscript(key: String) -> YAMLNode? { values[key] }
    }

    /// Reads `node` as a mapping with the `allowed` keys. Unknown keys and
    /// missing `required` keys are reported. A null node reads as an empty
    /// mapping. `context` names the thing in messages ("model 'small'").
    func fields(_ node: YAMLNode, context: String, expected: String,
                allowed: [String], required: [String] = []) -> Fields? {
        var values: [String: YAMLNode] = [:]
        var keyLocations: [String: SourceLocation] = [:]
        if !node.isNull {
            guard case .mapping(let pairs) = node.content else {
                fail(node, "expected \(expected), got \(node.kindDescription)")
                return nil
            }
            for pair in pairs {
                guard let key = pair.key.scalar?.text else { continue }  // reported by the parser
                guard allowed.contains(key) else {
                    let hint = Suggestion.closest(to: key, among: allowed).map { "; did you mean '\($0)'?" }
                        ?? "; expected one of: " + allowed.joined(separator: ", ")
                    fail(pair.key, "unknown key '\(key)' in \(context)\(hint)")
                    continue
                }
                keyLocations[key] = pair.key.location
                if !pair.value.isNull { values[key] = pair.value }
            }
        }
        for key in required where values[key] == nil {
            if let at = keyLocations[key] {
                fail(at, "'\(key)' in \(context) has no value")
            } else {
                fail(node, "missing required key '\(key)' in \(context)")
            }
        }
        return Fields(node: node, context: context, values: values)
    }

    func list(_ node: YAMLNode, expected: String) -> [YAMLNode]? {
        if node.isNull { return [] }
        guard case .sequence(let items) = node.content else {
            fail(node, "expected \(expected), got \(node.kindDescription)")
            return nil
        }
        return items
    }

    func string(_ node: YAMLNode, expected: String) -> String? {
        guard let scalar = node.scalar, !scalar.isNull else {
            fail(node, "expected \(expected), got \(node.kindDescription)")
            return nil
        }
        return scalar.text
    }

    /// A whole number, written plain or quoted; `_` separators allowed
    /// (`10_485_760`).
    func integer(_ node: YAMLNode, expected: String, range: ClosedRange<Int64>) -> Int64? {
        guard let text = node.scalar?.text else {
            fail(node, "expected \(expected), got \(node.kindDescription)")
            return nil
        }
        let digits = text.replacingOccurrences(of: "_", with: "")
        guard digits.range(of: "^-?[0-9]+$", options: .regularExpression) != nil else {
            fail(node, "expected \(expected), got \(node.kindDescription)")
            return nil
        }
        guard let value = Int64(digits), range.contains(value) else {
            let bounds = range.upperBound == Int64.max ? "at least \(range.lowerBound)"
                : "between \(range.lowerBound) and \(range.upperBound)"
            fail(node, "\(expected) must be \(bounds), got \(text)")
            return nil
        }
        return value
    }

    func choice<Choice: RawRepresentable & CaseIterable>(_ node: YAMLNode, _ type: Choice.Type, what: String)
        -> Choice? where Choice.RawValue == String
    {
        let options = Choice.allCases.map(\.rawValue)
        let listed = options.joined(separator: " | ")
        guard let text = node.scalar?.text, !node.isNull else {
            fail(node, "expected \(what) (\(listed)), got \(node.kindDescription)")
            return nil
        }
        if let value = Choice(rawValue: text) { return value }
        fail(node, "unknown \(what) '\(text)'\(Suggestion.clause(for: text, among: options)) (expected \(listed))")
        return nil
    }

    /// A name used in scopes and logs: letters, digits, '.', '_', '-', '@'.
    func identifier(_ node: YAMLNode, what: String) -> String? {
        guard let text = string(node, expected: what) else { return nil }
        let allowed = text.unicodeScalars.allSatisfy {
            ($0.properties.isAlphabetic && $0.isASCII) || ("0"..."9").contains($0) || "._-@".unicodeScalars.contains($0)
        }
        guard !text.isEmpty, allowed else {
            fail(node, "\(what) '\(text)' may only contain letters, digits, '.', '_', '-' and '@'")
            return nil
        }
        return text
    }

    /// The name of an environment variable (`[A-Za-z_][A-Za-z0-9_]*`).
    func environmentName(_ node: YAMLNode, what: String) -> String? {
        guard let text = string(node, expected: "\(what) (the name of an environment variable)") else { return nil }
        let bytes = Array(text.utf8)
        let valid = !bytes.isEmpty && bytes.enumerated().allSatisfy { index, b in
            (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b == 0x5f || (index > 0 && b >= 0x30 && b <= 0x39)
        }
        guard valid else {
            fail(node, "\(what) '\(text)' is not an environment variable name; write the variable's name (e.g. VENDOR_API_KEY), not its value")
            return nil
        }
        return text
    }

    func httpURL(_ node: YAMLNode, what: String) -> String? {
        guard let text = string(node, expected: "\(what) (an http:// or https:// URL)") else { return nil }
        let lower = text.lowercased()
        guard (lower.hasPrefix("http://") || lower.hasPrefix("https://")), text.count > 8,
              !text.contains(where: { $0 == " " }) else {
            fail(node, "\(what) must be an http:// or https:// URL, got '\(text)'")
            return nil
        }
        return text
    }

    /// A path made absolute against the config file's directory.
    func path(_ node: YAMLNode, what: String) -> String? {
        guard let text = string(node, expected: "\(what) (a path)") else { return nil }
        guard !text.isEmpty else {
            fail(node, "\(what) cannot be empty")
            return nil
        }
        return Self.resolve(text, against: baseDirectory)
    }

    static func resolve(_ path: String, against base: String) -> String {
        let absolute = path.hasPrefix("/") ? path : base + "/" + path
        return URL(fileURLWithPath: absolute).standardizedFileURL.path
    }

    /// "models[2]" or, when the entry's name reads cleanly, "model 'small'".
    func entryContext(_ node: YAMLNode, nameKey: String, kind: String, list: String, index: Int) -> String {
        if case .mapping(let pairs) = node.content,
           let value = pairs.first(where: { $0.key.scalar?.text == nameKey })?.value.scalar, !value.isNull {
            return "\(kind) '\(value.text)'"
        }
        return "\(list)[\(index)]"
    }
}
