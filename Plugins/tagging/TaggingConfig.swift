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
/// ```
struct TaggingConfig {
    var taxonomy = Taxonomy()
    /// Where the ledger lives as configured (nil: the default name).
    var ledgerPath: String?
    var ledgerEnabled = true

    static let defaultLedgerFile = "ledger.sqlite"
    static let topKeys = ["on_missing", "untagged_value", "orgs", "required", "tags", "ledger"]
    static let ledgerKeys = ["path"]

    init(json: JSONValue) throws {
        if json.isNull { return }
        guard let top = json.objectValue else {
            throw PluginError("tagging config must be a mapping, got \(json.jsonString)")
        }
        for key in top.keys where !Self.topKeys.contains(key) {
            throw PluginError("tagging config: unknown key \"\(key)\" (expected one of: \(Self.topKeys.joined(separator: ", ")))")
        }
        if let value = top["on_missing"] { taxonomy.policy = try Self.policy(value, at: "on_missing") }
        if let value = top["untagged_value"] {
            guard let text = value.stringValue, let clean = TagName.cleanValue(text) else {
                throw PluginError("tagging config: untagged_value must be a non-empty string, got \(value.jsonString)")
            }
            taxonomy.untaggedValue = clean
        }
        if let value = top["orgs"] {
            guard let orgs = value.objectValue else {
                throw PluginError("tagging config: orgs must map org names to {on_missing: ...}, got \(value.jsonString)")
            }
            for entry in orgs.entries {
                guard let object = entry.value.objectValue, object.keys == ["on_missing"], let policy = object["on_missing"] else {
                    throw PluginError("tagging config: orgs.\(entry.key) must be {on_missing: reject|untagged}, got \(entry.value.jsonString)")
                }
                taxonomy.orgPolicies[entry.key] = try Self.policy(policy, at: "orgs.\(entry.key).on_missing")
            }
        }
        if let value = top["tags"] {
            guard let tags = value.objectValue else {
                throw PluginError("tagging config: tags must map tag names to rules, got \(value.jsonString)")
            }
            for entry in tags.entries {
                let name = try Self.tagName(entry.key, at: "tags")
                taxonomy.rules[name] = try TagRule(name: name, json: entry.value)
            }
        }
        if let value = top["required"] {
            guard let required = value.objectValue else {
                throw PluginError("tagging config: required must map key classes (production, experimentation, default) "
                    + "to lists of tag names, got \(value.jsonString)")
            }
            for entry in required.entries {
                guard let list = entry.value.arrayValue else {
                    throw PluginError("tagging config: required.\(entry.key) must be a list of tag names, got \(entry.value.jsonString)")
                }
                taxonomy.required[entry.key] = try list.map { item in
                    guard let text = item.stringValue else {
                        throw PluginError("tagging config: required.\(entry.key) must hold tag names, got \(item.jsonString)")
                    }
                    return try Self.tagName(text, at: "required.\(entry.key)")
                }
            }
        }
        if let value = top["ledger"] {
            switch value {
            case .bool(false): ledgerEnabled = false
            case .bool(true): break
            case .object(let object):
                for key in object.keys where !Self.ledgerKeys.contains(key) {
                    throw PluginError("tagging config: ledger: unknown key \"\(key)\" (expected: path)")
                }
                if let path = object["path"] {
                    guard let text = path.stringValue, !text.isEmpty else {
                        throw PluginError("tagging config: ledger.path must be a file path, got \(path.jsonString)")
                    }
                    ledgerPath = text
                }
            default:
                throw PluginError("tagging config: ledger must be {path: FILE} or false, got \(value.jsonString)")
            }
        }
    }

    /// The ledger file: an absolute `ledger.path` as is, a relative one
    /// (or the default name) under the storage directory.
    func resolvedLedgerPath(storageDirectory: String?) throws -> String {
        let configured = ledgerPath ?? Self.defaultLedgerFile
        if configured.hasPrefix("/") { return configured }
        guard let storageDirectory, !storageDirectory.isEmpty else {
            throw PluginError("tagging: the host gives no storage directory (storage.dir) for the ledger; "
                + "set ledger.path to an absolute path")
        }
        return storageDirectory.hasSuffix("/") ? storageDirectory + configured : storageDirectory + "/" + configured
    }

    private static func policy(_ value: JSONValue, at: String) throws -> Taxonomy.Policy {
        guard let text = value.stringValue, let policy = Taxonomy.Policy(rawValue: text) else {
            throw PluginError("tagging config: \(at) must be one of \(Taxonomy.Policy.allCases.map(\.rawValue).joined(separator: ", ")), "
                + "got \(value.jsonString)")
        }
        return policy
    }

    private static func tagName(_ raw: String, at: String) throws -> String {
        guard let name = TagName.normalize(raw), name == raw else {
            throw PluginError("tagging config: \(at): \"\(raw)\" is not a tag name (lower-case letters, digits and _, "
                + "at most \(TagName.maxLength) characters)")
        }
        guard !TagName.reserved.contains(name) else {
            throw PluginError("tagging config: \(at): \"\(name)\" comes from the key's identity and cannot be a request tag")
        }
        return name
    }
}
