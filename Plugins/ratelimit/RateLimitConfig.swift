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

/// The plugin's `config:` block, validated strictly (the kit's
/// ConfigReader): a typo must not silently leave a scope unlimited.
struct RateLimitConfig: Equatable {
    var defaultOutputTokens: Int64 = ReservationEstimate.defaultOutputTokens
    var rules: [RateLimitRule] = []

    init(json: JSONValue) throws {
        var config = try ConfigReader(json, plugin: "ratelimit")
        defaultOutputTokens = try config["default_output_tokens"].ifPresent?.int64(in: 1...) ?? defaultOutputTokens
        var rules: [RateLimitRule] = []
        try config["limits"].ifPresent?.objects(each: "a mapping such as {scope: team/acme/payments, rpm: 600, tpm: 2000000}") { item in
            let rule = try Self.rule(&item)
            if let earlier = rules.firstIndex(where: { $0.scopeText == rule.scopeText && $0.modelText == rule.modelText }) {
                throw item.error("limits[\(earlier)] already covers \(rule.scopeText)"
                    + (rule.modelText.map { " on model \($0)" } ?? "") + "; put all its limits (rpm, tpm, rpd) in one entry")
            }
            rules.append(rule)
        }
        self.rules = rules
        try config.finish()
    }

    private static func rule(_ item: inout ConfigReader) throws -> RateLimitRule {
        let scopeExpected = "key/KEY_ID, team/ORG/TEAM, org/ORG, or key/*, team/*, org/* for each one"
        let (scopeText, scope) = try item["scope"].parse(expected: scopeExpected) { text in
            Scope.parse(text, allowWildcard: true).map { (text, $0) }
        }
        let modelText = try item["model"].ifPresent?.parse(expected: #"a public model name, or "*" for each model"#) { text in
            text.isEmpty || text.contains(":") || text.contains(" ") ? nil : text
        }
        var limits: [RateMetric: Int64] = [:]
        for metric in RateMetric.allCases {
            limits[metric] = try item[metric.rawValue].ifPresent?.int64(in: 1..., expected: "a positive integer (\(metric.displayName))")
        }
        guard !limits.isEmpty else { throw item.error("set at least one of rpm, tpm, rpd for \(scopeText)") }
        return RateLimitRule(scopeText: scopeText, scope: scope, modelText: modelText, model: ModelMatch(modelText),
                             limits: limits)
    }
}
