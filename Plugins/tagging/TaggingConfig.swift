import TollgatePluginKit

/// The plugin's `config:` block, validated strictly: a typo in a taxonomy
/// must not silently let untagged spend through.
///
/// ```yaml
/// on_missing: untagged          # untagged (default) | reject
/// untagged_value: untagged
/// orgs: {acme: {on_missing: reject}}
/// required:                     # per key class; `default` for the others
///   production: [feature, environment]
///   experimentation: [experiment]
/// tags:
///   environment: {values: [prod, staging, dev], default: prod}
///   feature: {pattern: "[a-z][a-z0-9-]{1,40}"}
/// ledger: {path: ledger.sqlite}  # relative to storage.dir; `ledger: false` disables
/// spend_route: /admin/spend     # GET, reader role (ABI 1.5); `off` disables
/// ```
struct TaggingConfig {
    var taxonomy = Taxonomy()
    /// Where the ledger lives as configured (nil: the default name). The
    /// host opens it (TollgateConfig.ledgerPath reads this key); the plugin
    /// only validates it.
    var ledgerPath: String?
    var ledgerEnabled = true
    /// Where the plugin serves spend over time (reader role); nil with
    /// `spend_route: off` (a second tagging instance must pick another path).
    var spendRoute: String? = "/admin/spend"

    init(json: JSONValue) throws {
        var config = try ConfigReader(json, plugin: "tagging")
        if let policy = try config["on_missing"].ifPresent?.oneOf(Taxonomy.Policy.self) { taxonomy.policy = policy }
        if let field = config["untagged_value"].ifPresent {
            taxonomy.untaggedValue = try field.parse(expected: "a non-empty string", TagName.cleanValue)
        }
        for (org, field) in try config["orgs"].ifPresent?.entries(expected: "a mapping of org names to {on_missing: ...}") ?? [] {
            taxonomy.orgPolicies[org] = try field.object(expected: "{on_missing: reject|untagged}") { orgConfig in
                try orgConfig["on_missing"].oneOf(Taxonomy.Policy.self)
            }
        }
        if let field = config["tags"].ifPresent {
            for (raw, rule) in try field.entries(expected: "a mapping of tag names to rules") {
                let name = try Self.tagName(raw, in: field)
                taxonomy.rules[name] = try TagRule(name: name, field: rule)
            }
        }
        let requiredExpected = "a mapping of key classes (production, experimentation, default) to lists of tag names"
        for (keyClass, list) in try config["required"].ifPresent?.entries(expected: requiredExpected) ?? [] {
            taxonomy.required[keyClass] = try list.list(expected: "a list of tag names").map { item in
                try Self.tagName(try item.string(expected: "a tag name"), in: item)
            }
        }
        if let field = config["ledger"].ifPresent {
            switch field.value {
            case .bool(false)?: ledgerEnabled = false
            case .bool(true)?: break
            case .object?: ledgerPath = try field.object { try $0["path"].ifPresent?.string(expected: "a file path") }
            default: throw field.mismatch("{path: FILE} or false")
            }
        }
        if let field = config["spend_route"].ifPresent {
            spendRoute = try field.parse(expected: "a path under /admin/ such as /admin/spend-eu, or off") { text -> String?? in
                text == "off" ? .some(nil) : RouteRules.isValidPath(text) ? .some(text) : nil
            }
        }
        try config.finish()
    }

    /// `raw` as a tag name, refused at `field` (the mapping it keys, or
    /// the list item it is) when it is not one.
    private static func tagName(_ raw: String, in field: ConfigField) throws -> String {
        guard let name = TagName.normalize(raw), name == raw else {
            throw field.error("\"\(raw)\" is not a tag name (lower-case letters, digits and _, at most \(TagName.maxLength) characters)")
        }
        guard !TagName.reserved.contains(name) else {
            throw field.error("\"\(name)\" comes from the key's identity and cannot be a request tag")
        }
        return name
    }
}
