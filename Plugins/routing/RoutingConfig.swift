import TollgatePluginKit

/// The plugin's `config:` block, validated strictly: every mistake is an
/// error that names where it is and what is allowed, so `tollgate
/// check-config` (and a reload) refuses it instead of routing wrongly.
///
/// ```yaml
/// rules:                                   # in order; the first match wins
///   - name: autocomplete-small             # optional; default: the index
///     match: {use_case: autocomplete}      # every condition must hold
///     model: small                         # route to this model
///   - match: {team: payments, model: "gpt-4*"}
///     model: large
///     fallbacks: [small]                   # tried if large fails before the first byte
///   - match: {header: {x-priority: low}}
///     deployments: {east: 3, west: 1}      # weighted pick among the model's deployments
/// ```
struct RoutingConfig {
    var rules: [RoutingRule]

    static let keyClasses = ["production", "experimentation"]
    /// The host's limit for set_fallback_models.
    static let maxFallbacks = 8

    /// `modelExists` answers whether a public model name is in the catalog.
    init(json: JSONValue, modelExists: (String) -> Bool) throws {
        var config = try ConfigReader(json, plugin: "routing")
        var rules: [RoutingRule] = []
        try config["rules"].objects(expected: "a non-empty list of rules {match, model / deployments / fallbacks}",
                                    allowEmpty: false) { item in
            let rule = try Self.rule(&item, index: rules.count, modelExists: modelExists)
            if let earlier = rules.firstIndex(where: { $0.label == rule.label }) {
                throw item.error("name '\(rule.label)' is already used by rules[\(earlier)]; rule names must be unique")
            }
            rules.append(rule)
        }
        self.rules = rules
        try config.finish()
    }

    static func rule(_ item: inout ConfigReader, index: Int, modelExists: (String) -> Bool) throws -> RoutingRule {
        let label = try item["name"].ifPresent?.string() ?? String(index)
        let conditions = try item["match"].ifPresent.map(Self.conditions) ?? []

        let model = try item["model"].ifPresent.map { field in
            let name = try field.string(expected: "a model name")
            guard modelExists(name) else {
                throw field.error("'\(name)' is not in the model catalog; add it under `models:` or fix the name")
            }
            return name
        }

        var deployments: [(name: String, weight: Int)] = []
        if let field = item["deployments"].ifPresent {
            for (name, weight) in try field.entries() {
                guard !name.isEmpty else { throw field.error("a deployment has an empty name") }
                deployments.append((name, try weight.int(in: 0...1_000_000, expected: "a weight from 0 to 1000000")))
            }
            guard deployments.contains(where: { $0.weight > 0 }) else {
                throw field.error("needs at least one deployment with a weight above 0, e.g. {east: 3, west: 1}")
            }
        }

        let fallbacks = try item["fallbacks"].ifPresent.map { field in
            let list = try field.list(expected: "a list of model names")
            guard list.count <= maxFallbacks else {
                throw field.error("has \(list.count) models; at most \(maxFallbacks) are allowed")
            }
            var names: [String] = []
            for element in list {
                let name = try element.string(expected: "a model name")
                guard modelExists(name) else {
                    throw element.error("'\(name)' is not in the model catalog; add it under `models:` or fix the name")
                }
                guard !names.contains(name) else { throw field.error("lists '\(name)' twice") }
                names.append(name)
            }
            return names
        }

        guard model != nil || !deployments.isEmpty || fallbacks != nil else {
            throw item.error("no action; give the rule `model`, `deployments` or `fallbacks`")
        }
        return RoutingRule(label: label, conditions: conditions, model: model, deployments: deployments, fallbacks: fallbacks)
    }

    /// `match:`: every key given is one condition.
    static func conditions(_ field: ConfigField) throws -> [Condition] {
        try field.object { match in
            var result: [Condition] = []
            if let value = match["use_case"].ifPresent { result.append(.useCase(try patterns(value))) }
            if let value = match["tag"].ifPresent {
                for (key, values) in try pairs(value, naming: "attribute", example: "experiment: exp-42") {
                    result.append(.attribute(key: key, values))
                }
            }
            if let value = match["team"].ifPresent { result.append(.team(try patterns(value))) }
            if let value = match["org"].ifPresent { result.append(.org(try patterns(value))) }
            if let value = match["key_id"].ifPresent { result.append(.keyID(try patterns(value))) }
            if let value = match["key_class"].ifPresent {
                let classes = try patterns(value)
                for glob in classes.globs where !keyClasses.contains(where: glob.matches) {
                    throw value.error("'\(glob)' matches no key class; key classes are \(keyClasses.joined(separator: " and "))")
                }
                result.append(.keyClass(classes))
            }
            if let value = match["model"].ifPresent { result.append(.model(try patterns(value))) }
            if let value = match["requested_model"].ifPresent { result.append(.requestedModel(try patterns(value))) }
            if let value = match["header"].ifPresent {
                for (name, values) in try pairs(value, naming: "header", example: "x-priority: low") {
                    result.append(.header(name: name.lowercased(), values))
                }
            }
            return result
        }
    }

    /// `tag:` / `header:`: a non-empty mapping of names to patterns.
    static func pairs(_ field: ConfigField, naming what: String, example: String) throws -> [(String, AnyOf)] {
        let entries = try field.entries(expected: "a mapping naming at least one \(what), e.g. {\(example)}", allowEmpty: false)
        return try entries.map { name, value in
            guard !name.isEmpty else { throw field.error("has an empty \(what) name") }
            return (name, try patterns(value))
        }
    }

    /// A pattern or a non-empty list of patterns.
    static func patterns(_ field: ConfigField) throws -> AnyOf {
        let texts = try field.oneOrMoreStrings(
            expected: "a non-empty string (`*` and `?` match any run / one character) or a list of them")
        return AnyOf(globs: texts.map(Glob.init))
    }
}
