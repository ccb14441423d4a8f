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

    init(json: JSONValue) throws {
        var config = try ConfigReader(json, plugin: "pii-guard")
        var base = RuleSet()
        base.restore = try config["restore"].ifPresent?.bool() ?? false
        base.scanOutput = try config["scan_output"].ifPresent?.bool() ?? true
        for (category, action) in try config["rules"].ifPresent.map(Self.rules) ?? Self.defaultRules {
            base.set(action, for: category)
        }
        self.base = base
        policies = try config["policies"].ifPresent?.objects { policy in
            let match = try PolicyMatch(policy["match"])
            var rules = base
            rules.restore = try policy["restore"].ifPresent?.bool() ?? base.restore
            rules.scanOutput = try policy["scan_output"].ifPresent?.bool() ?? base.scanOutput
            for (category, action) in try policy["rules"].ifPresent.map(Self.rules) ?? [] {
                rules.set(action, for: category)
            }
            return Policy(match: match, rules: rules)
        } ?? []
        try config.finish()
    }

    /// The rules for a request: the first policy whose match holds, else
    /// the base. `property` reads a match key's value for this request.
    func rules(reading property: (PolicyMatch.Key) -> String?) -> RuleSet {
        for policy in policies where policy.match.holds(reading: property) { return policy.rules }
        return base
    }

    /// A list of `{detect, action}`; `detect: "*"` is every category (nil).
    static func rules(_ field: ConfigField) throws -> [(PIICategory?, RuleAction)] {
        let detectors = PIICategory.allCases.map(\.name) + ["*"]
        return try field.objects(expected: "a list of {detect, action}") { rule in
            let detect = try rule["detect"].oneOf(detectors)
            let action = try rule["action"].oneOf(RuleAction.self)
            return (PIICategory(name: detect), action)
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

    init(_ field: ConfigField) throws {
        let keys = Key.allCases.map(\.rawValue)
        conditions = try field.object(expected: "a mapping of \(keys.joined(separator: ", "))") { match in
            try Key.allCases.compactMap { key in
                try match[key.rawValue].ifPresent.map { (key, try $0.oneOrMoreStrings(allowEmptyStrings: true)) }
            }
        }
        guard !conditions.isEmpty else { throw field.mismatch("a mapping with at least one of \(keys.joined(separator: ", "))") }
    }

    func holds(reading property: (Key) -> String?) -> Bool {
        conditions.allSatisfy { condition in
            guard let value = property(condition.key) else { return false }
            return condition.values.contains(value)
        }
    }
}
