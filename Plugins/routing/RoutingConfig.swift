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

    static let topLevelKeys = ["rules"]
    static let ruleKeys = ["name", "match", "model", "deployments", "fallbacks"]
    static let matchKeys = ["use_case", "tag", "team", "org", "key_id", "key_class", "model", "requested_model", "header"]
    static let keyClasses = ["production", "experimentation"]
    /// The host's limit for set_fallback_models.
    static let maxFallbacks = 8

    /// `modelExists` answers whether a public model name is in the catalog.
    init(json: JSONValue, modelExists: (String) -> Bool) throws {
        let top = try Self.object(json, at: "config", keys: Self.topLevelKeys)
        guard let list = top["rules"] else {
            throw Self.error("config needs `rules:`, a list of {match, model / deployments / fallbacks}")
        }
        guard let entries = list.arrayValue, !entries.isEmpty else {
            throw Self.error("rules must be a non-empty list of rules, got \(list.jsonString)")
        }
        var rules: [RoutingRule] = []
        for (index, entry) in entries.enumerated() {
            let rule = try Self.rule(entry, index: index, modelExists: modelExists)
            if let earlier = rules.firstIndex(where: { $0.label == rule.label }) {
                throw Self.error("rules[\(index)]: name '\(rule.label)' is already used by rules[\(earlier)]; rule names must be unique")
            }
            rules.append(rule)
        }
        self.rules = rules
    }

    static func rule(_ json: JSONValue, index: Int, modelExists: (String) -> Bool) throws -> RoutingRule {
        let at = "rules[\(index)]"
        let object = try object(json, at: at, keys: ruleKeys)
        var label = String(index)
        if let name = object["name"] {
            guard let text = name.stringValue, !text.isEmpty else {
                throw error("\(at).name must be a non-empty string, got \(name.jsonString)")
            }
            label = text
        }
        let conditions = try object["match"].map { try self.conditions($0, at: "\(at).match") } ?? []

        var model: String?
        if let value = object["model"] {
            guard let name = value.stringValue, !name.isEmpty else {
                throw error("\(at).model must be a model name, got \(value.jsonString)")
            }
            guard modelExists(name) else {
                throw error("\(at).model: '\(name)' is not in the model catalog; add it under `models:` or fix the name")
            }
            model = name
        }

        var deployments: [(name: String, weight: Int)] = []
        if let value = object["deployments"] {
            let weights = try self.object(value, at: "\(at).deployments", keys: nil)
            for entry in weights.entries {
                guard !entry.key.isEmpty, let weight = entry.value.int64Value, (0...1_000_000).contains(weight) else {
                    throw error("\(at).deployments.\(entry.key) must be a weight from 0 to 1000000, got \(entry.value.jsonString)")
                }
                deployments.append((entry.key, Int(weight)))
            }
            guard deployments.contains(where: { $0.weight > 0 }) else {
                throw error("\(at).deployments needs at least one deployment with a weight above 0, e.g. {east: 3, west: 1}")
            }
        }

        var fallbacks: [String]?
        if let value = object["fallbacks"] {
            guard let list = value.arrayValue else {
                throw error("\(at).fallbacks must be a list of model names, got \(value.jsonString)")
            }
            guard list.count <= maxFallbacks else {
                throw error("\(at).fallbacks has \(list.count) models; at most \(maxFallbacks) are allowed")
            }
            var names: [String] = []
            for item in list {
                guard let name = item.stringValue, !name.isEmpty else {
                    throw error("\(at).fallbacks must be a list of model names, got \(item.jsonString) in it")
                }
                guard modelExists(name) else {
                    throw error("\(at).fallbacks: '\(name)' is not in the model catalog; add it under `models:` or fix the name")
                }
                guard !names.contains(name) else { throw error("\(at).fallbacks lists '\(name)' twice") }
                names.append(name)
            }
            fallbacks = names
        }

        guard model != nil || !deployments.isEmpty || fallbacks != nil else {
            throw error("\(at) has no action: give it `model`, `deployments` or `fallbacks`")
        }
        return RoutingRule(label: label, conditions: conditions, model: model, deployments: deployments, fallbacks: fallbacks)
    }

    static func conditions(_ json: JSONValue, at: String) throws -> [Condition] {
        let object = try object(json, at: at, keys: matchKeys)
        var result: [Condition] = []
        for entry in object.entries {
            let here = "\(at).\(entry.key)"
            switch entry.key {
            case "use_case": result.append(.useCase(try patterns(entry.value, at: here)))
            case "team": result.append(.team(try patterns(entry.value, at: here)))
            case "org": result.append(.org(try patterns(entry.value, at: here)))
            case "key_id": result.append(.keyID(try patterns(entry.value, at: here)))
            case "model": result.append(.model(try patterns(entry.value, at: here)))
            case "requested_model": result.append(.requestedModel(try patterns(entry.value, at: here)))
            case "key_class":
                let classes = try patterns(entry.value, at: here)
                for glob in classes.globs where !keyClasses.contains(where: glob.matches) {
                    throw error("\(here): '\(glob)' matches no key class; key classes are \(keyClasses.joined(separator: " and "))")
                }
                result.append(.keyClass(classes))
            case "tag", "header":
                let pairs = try self.object(entry.value, at: here, keys: nil)
                guard pairs.count > 0 else {
                    throw error("\(here) must name at least one \(entry.key == "tag" ? "attribute" : "header"), e.g. {\(entry.key == "tag" ? "experiment: exp-42" : "x-priority: low")}")
                }
                for pair in pairs.entries {
                    guard !pair.key.isEmpty else { throw error("\(here) has an empty name") }
                    let values = try patterns(pair.value, at: "\(here).\(pair.key)")
                    result.append(entry.key == "tag" ? .attribute(key: pair.key, values)
                                                     : .header(name: pair.key.lowercased(), values))
                }
            default:
                fatalError("unreachable: keys were checked")
            }
        }
        return result
    }

    /// A pattern or a non-empty list of patterns.
    static func patterns(_ json: JSONValue, at: String) throws -> AnyOf {
        if let text = json.stringValue, !text.isEmpty { return AnyOf(globs: [Glob(text)]) }
        if let list = json.arrayValue, !list.isEmpty {
            var globs: [Glob] = []
            for item in list {
                guard let text = item.stringValue, !text.isEmpty else {
                    throw error("\(at) must be a string or a list of strings, got \(item.jsonString) in the list")
                }
                globs.append(Glob(text))
            }
            return AnyOf(globs: globs)
        }
        throw error("\(at) must be a non-empty string (`*` and `?` match any run / one character) or a list of them, got \(json.jsonString)")
    }

    /// An object whose keys are all in `keys` (any keys when nil).
    static func object(_ json: JSONValue, at: String, keys: [String]?) throws -> JSONObject {
        guard let object = json.objectValue else {
            throw error("\(at) must be a mapping, got \(json.isNull ? "nothing" : json.jsonString)")
        }
        if let keys {
            for key in object.keys where !keys.contains(key) {
                let hint = closest(to: key, in: keys).map { "; did you mean '\($0)'?" } ?? ""
                throw error("\(at): unknown key '\(key)'\(hint) (allowed: \(keys.joined(separator: ", ")))")
            }
        }
        return object
    }

    static func error(_ message: String) -> PluginError { PluginError("routing config: " + message) }

    /// The allowed key within edit distance 2 of a mistyped one.
    static func closest(to word: String, in candidates: [String]) -> String? {
        let scored = candidates.map { ($0, editDistance(Array(word.utf8), Array($0.utf8))) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= 2 else { return nil }
        return best.0
    }

    static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        guard !a.isEmpty else { return b.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in stride(from: 1, through: b.count, by: 1) {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
