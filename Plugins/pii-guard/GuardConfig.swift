import TollgatePluginKit

/// The plugin's `config:` block, validated strictly: an unknown key,
/// detector or action is an error naming where it is and what is allowed.
///
/// ```yaml
/// restore: true            # put original values back into answers
/// scan_output: true        # look for PII the model writes (default true)
/// rules:                   # base rules, later entries override earlier
///   - {detect: email, action: redact}
///   - {detect: card, action: block}
/// policies:                # first match wins; its rules override the base
///   - match: {provider: anthropic}
///     rules: [{detect: email, action: block}]
/// ```
struct GuardConfig {
    var base: RuleSet
    var policies: [Policy]

    struct Policy {
        var match: PolicyMatch
        var rules: RuleSet
    }

    /// Used when `rules` is absent.
    static let defaultRules: [(PIICategory?, RuleAction)] = [
        (.email, .redact), (.phone, .redact), (.card, .block), (.ssn, .block),
        (.iban, .redact), (.ip, .log), (.secret, .block),
    ]

    static let topLevelKeys = ["rules", "policies", "restore", "scan_output"]
    static let policyKeys = ["match", "rules", "restore", "scan_output"]
    static let ruleKeys = ["detect", "action"]

    init(json: JSONValue) throws {
        let top = try Self.object(json, at: "config", allowNull: true, keys: Self.topLevelKeys)
        var base = RuleSet()
        base.restore = try Self.bool(top?["restore"], at: "restore") ?? false
        base.scanOutput = try Self.bool(top?["scan_output"], at: "scan_output") ?? true
        if let rules = top?["rules"] {
            for (category, action) in try Self.rules(rules, at: "rules") { base.set(action, for: category) }
        } else {
            for (category, action) in Self.defaultRules { base.set(action, for: category) }
        }
        self.base = base
        var policies: [Policy] = []
        if let list = top?["policies"] {
            guard let entries = list.arrayValue else {
                throw PluginError("pii-guard config: policies must be a list, got \(list.jsonString)")
            }
            for (index, entry) in entries.enumerated() {
                let at = "policies[\(index)]"
                let object = try Self.object(entry, at: at, keys: Self.policyKeys)!
                guard let match = object["match"] else { throw PluginError("pii-guard config: \(at) needs match:") }
                var rules = base
                rules.restore = try Self.bool(object["restore"], at: "\(at).restore") ?? base.restore
                rules.scanOutput = try Self.bool(object["scan_output"], at: "\(at).scan_output") ?? base.scanOutput
                for (category, action) in try Self.rules(object["rules"] ?? .array([]), at: "\(at).rules") {
                    rules.set(action, for: category)
                }
                policies.append(Policy(match: try PolicyMatch(json: match, at: "\(at).match"), rules: rules))
            }
        }
        self.policies = policies
    }

    /// The rules for a request: the first policy whose match holds, else
    /// the base. `property` reads a match key's value for this request.
    func rules(reading property: (PolicyMatch.Key) -> String?) -> RuleSet {
        for policy in policies where policy.match.holds(reading: property) { return policy.rules }
        return base
    }

    // MARK: Validation helpers

    static func object(_ value: JSONValue, at path: String, allowNull: Bool = false, keys: [String]) throws -> JSONObject? {
        if value.isNull, allowNull { return nil }
        guard let object = value.objectValue else {
            throw PluginError("pii-guard config: \(path) must be a mapping, got \(value.jsonString)")
        }
        for key in object.keys where !keys.contains(key) {
            throw PluginError("pii-guard config: unknown key \"\(key)\" in \(path) (expected one of: \(keys.joined(separator: ", ")))")
        }
        return object
    }

    static func bool(_ value: JSONValue?, at path: String) throws -> Bool? {
        guard let value else { return nil }
        guard let flag = value.boolValue else {
            throw PluginError("pii-guard config: \(path) must be true or false, got \(value.jsonString)")
        }
        return flag
    }

    /// A list of `{detect, action}`; `detect: "*"` is every category (nil).
    static func rules(_ value: JSONValue, at path: String) throws -> [(PIICategory?, RuleAction)] {
        guard let list = value.arrayValue else {
            throw PluginError("pii-guard config: \(path) must be a list of {detect, action}, got \(value.jsonString)")
        }
        let detectors = PIICategory.allCases.map(\.name) + ["*"]
        return try list.enumerated().map { index, entry in
            let at = "\(path)[\(index)]"
            let rule = try object(entry, at: at, keys: ruleKeys)!
            guard let detect = rule["detect"]?.stringValue else {
                throw PluginError("pii-guard config: \(at).detect is required (one of: \(detectors.joined(separator: ", ")))")
            }
            guard let actionText = rule["action"]?.stringValue else {
                throw PluginError("pii-guard config: \(at).action is required (redact, block or log)")
            }
            guard let action = RuleAction(rawValue: actionText) else {
                throw PluginError("pii-guard config: \(at).action: unknown action \"\(actionText)\" (expected redact, block or log)")
            }
            if detect == "*" { return (nil, action) }
            guard let category = PIICategory(name: detect) else {
                throw PluginError("pii-guard config: \(at).detect: unknown detector \"\(detect)\" "
                    + "(expected one of: \(detectors.joined(separator: ", ")))")
            }
            return (category, action)
        }
    }
}

/// When a policy applies: every key given must match (a value or a list of
/// values); a request property that is absent matches nothing.
struct PolicyMatch {
    enum Key: String, CaseIterable {
        /// Provider kind of the target model: openai, anthropic, mock.
        case provider
        /// The public model name.
        case model
        /// production or experimentation.
        case keyClass = "key_class"
        case team
        case org
    }

    var conditions: [(key: Key, values: [String])]

    init(json: JSONValue, at path: String) throws {
        let keys = Key.allCases.map(\.rawValue)
        let object = try GuardConfig.object(json, at: path, keys: keys)!
        conditions = try object.entries.map { entry in
            let key = Key(rawValue: entry.key)!
            if let one = entry.value.stringValue { return (key, [one]) }
            if let many = entry.value.arrayValue, !many.isEmpty, many.allSatisfy({ $0.stringValue != nil }) {
                return (key, many.compactMap(\.stringValue))
            }
            throw PluginError("pii-guard config: \(path).\(entry.key) must be a string or a list of strings, "
                + "got \(entry.value.jsonString)")
        }
        guard !conditions.isEmpty else {
            throw PluginError("pii-guard config: \(path) is empty; give at least one of: \(keys.joined(separator: ", "))")
        }
    }

    func holds(reading property: (Key) -> String?) -> Bool {
        conditions.allSatisfy { condition in
            guard let value = property(condition.key) else { return false }
            return condition.values.contains(value)
        }
    }
}
