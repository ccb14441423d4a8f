import TollgatePluginKit

/// One entry of `limits:`: who (scope), optionally which model, and the
/// limits it sets.
struct RateLimitRule: Equatable {
    var scopeText: String
    var scope: Scope
    var modelText: String?
    var model: ModelMatch
    /// At least one of rpm, tpm, rpd; each a positive integer.
    var limits: [RateMetric: Int64]

    /// How specific the rule is for a counter it shares with others: an
    /// exact scope beats a wildcard, then a named model beats `*`.
    var rank: Int { (scope.isWildcard ? 0 : 2) + (model == .each ? 0 : 1) }
}

/// The plugin's `config:` block, validated strictly: a typo must not
/// silently leave a scope unlimited.
struct RateLimitConfig: Equatable {
    var defaultOutputTokens: Int64 = ReservationEstimate.defaultOutputTokens
    var rules: [RateLimitRule] = []

    static let topKeys = ["default_output_tokens", "limits"]
    static let ruleKeys = ["scope", "model", "rpm", "tpm", "rpd"]

    init(json: JSONValue) throws {
        if json.isNull { return }
        guard let object = json.objectValue else {
            throw PluginError("ratelimit: config must be a mapping with a `limits:` list, got \(json.jsonString)")
        }
        for key in object.keys where !Self.topKeys.contains(key) {
            throw PluginError("ratelimit: unknown config key \"\(key)\" (expected one of: \(Self.topKeys.joined(separator: ", ")))")
        }
        if let value = object["default_output_tokens"] {
            guard let n = value.int64Value, n > 0 else {
                throw PluginError("ratelimit: default_output_tokens must be a positive integer, got \(value.jsonString)")
            }
            defaultOutputTokens = n
        }
        guard let list = object["limits"] else { return }
        guard let items = list.arrayValue else {
            throw PluginError("ratelimit: limits must be a list, got \(list.jsonString)")
        }
        for (index, item) in items.enumerated() {
            let rule = try Self.rule(item, at: "limits[\(index)]")
            if let earlier = rules.firstIndex(where: { $0.scopeText == rule.scopeText && $0.modelText == rule.modelText }) {
                throw PluginError("ratelimit: limits[\(index)]: limits[\(earlier)] already covers \(rule.scopeText)"
                    + (rule.modelText.map { " on model \($0)" } ?? "") + "; put all its limits (rpm, tpm, rpd) in one entry")
            }
            rules.append(rule)
        }
    }

    private static func rule(_ item: JSONValue, at place: String) throws -> RateLimitRule {
        guard let object = item.objectValue else {
            throw PluginError("ratelimit: \(place) must be a mapping such as {scope: team/acme/payments, rpm: 600, tpm: 2000000}")
        }
        for key in object.keys where !ruleKeys.contains(key) {
            throw PluginError("ratelimit: \(place): unknown key \"\(key)\" (expected one of: \(ruleKeys.joined(separator: ", ")))")
        }
        guard let scopeText = object["scope"]?.stringValue else {
            throw PluginError("ratelimit: \(place): scope is required (a string such as key/payments-prod or team/*)")
        }
        guard let scope = Scope.parse(scopeText, allowWildcard: true) else {
            throw PluginError("ratelimit: \(place): scope must be key/KEY_ID, team/ORG/TEAM, org/ORG, or key/*, team/*, "
                + "org/* for each one, got \"\(scopeText)\"")
        }
        var modelText: String?
        if let value = object["model"] {
            guard let text = value.stringValue, !text.isEmpty, !text.contains(":"), !text.contains(" ") else {
                throw PluginError("ratelimit: \(place): model must be a public model name, or \"*\" for each model, got \(value.jsonString)")
            }
            modelText = text
        }
        var limits: [RateMetric: Int64] = [:]
        for metric in RateMetric.allCases {
            guard let value = object[metric.rawValue] else { continue }
            guard let n = value.int64Value, n > 0 else {
                throw PluginError("ratelimit: \(place): \(metric.rawValue) must be a positive integer "
                    + "(\(metric.displayName)), got \(value.jsonString)")
            }
            limits[metric] = n
        }
        guard !limits.isEmpty else {
            throw PluginError("ratelimit: \(place): set at least one of rpm, tpm, rpd for \(scopeText)")
        }
        return RateLimitRule(scopeText: scopeText, scope: scope, modelText: modelText, model: ModelMatch(modelText),
                             limits: limits)
    }
}
