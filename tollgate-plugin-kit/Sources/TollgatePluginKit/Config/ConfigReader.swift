/// Reads one mapping of a plugin's `config:` block strictly. Ask for each
/// key you allow with `reader["key"]` and convert the `ConfigField` you get
/// (`.string()`, `.int(in:)`, `.money()`, `.oneOf(...)`, `.object { }`...);
/// `finish()` then refuses any key nobody asked for, suggesting the
/// closest allowed one. The keys read are the schema: there is no second
/// list of allowed keys to keep in step.
///
/// ```swift
/// var config = try ConfigReader(json, plugin: "budget")
/// let cap = try config["max_tokens"].ifPresent?.int(in: 1...) ?? 4096
/// let rules = try config["rules"].objects { rule in
///     (scope: try rule["scope"].string(), amount: try rule["amount"].money())
/// }
/// try config.finish()
/// ```
///
/// Every mistake is a `PluginError` that names the plugin's config, the
/// path (`rules[2].amount`), what was expected and what was found; the host
/// prints it after the `file:line:column` of the plugin's entry.
///
/// A typo is recognised early: when a required key is missing, or the
/// plugin refuses the mapping with `error(_:)`, and an unread key is one
/// typo away from a key that was asked for and is absent, the message is
/// the unknown key with its suggestion ("unknown key 'amout'; did you mean
/// 'amount'?") rather than a consequence of it.
public struct ConfigReader: Sendable {
    /// Where this mapping is (`config` for the block itself).
    public let path: ConfigPath
    public let object: JSONObject
    /// "budget config": how every message starts.
    public let subject: String
    /// Every key asked for, present or not, in the order asked: the keys
    /// this mapping allows.
    public private(set) var askedKeys: [String] = []

    /// A reader over the plugin's whole `config:` block. An absent block
    /// (`.null`) reads as an empty mapping; anything but a mapping is refused.
    public init(_ config: JSONValue, plugin: String) throws {
        let subject = plugin + " config"
        switch config {
        case .null: self.init(object: JSONObject(), path: .root, subject: subject)
        case .object(let object): self.init(object: object, path: .root, subject: subject)
        default: throw ConfigField(path: .root, value: config, subject: subject).mismatch("a mapping")
        }
    }

    init(object: JSONObject, path: ConfigPath, subject: String) {
        self.object = object
        self.path = path
        self.subject = subject
    }

    /// The field under `key`, present or not; asking marks the key allowed.
    public subscript(key: String) -> ConfigField {
        mutating get {
            if !askedKeys.contains(key) { askedKeys.append(key) }
            let value = object[key]
            return ConfigField(path: path.appending(key), value: value, subject: subject,
                               strayKeys: value == nil ? unaskedKeys : [])
        }
    }

    /// The mapping's keys, in document order.
    public var keys: [String] { object.keys }

    /// Keys present in the mapping that nobody has asked for yet.
    public var unaskedKeys: [String] { object.keys.filter { !askedKeys.contains($0) } }

    /// Refuses the first key nobody asked for, with the closest allowed key
    /// and the list of allowed ones. Call it after reading every key.
    public func finish() throws {
        guard let stray = unaskedKeys.first else { return }
        throw ConfigMessage.unknownKey(stray, in: path, subject: subject,
                                       suggestion: NameSuggestion.closest(to: stray, among: askedKeys), allowed: askedKeys)
    }

    /// A refusal of this mapping as a whole ("rules[2]: no action; give it
    /// `model`"), for rules the typed getters cannot state. If an unread key
    /// looks like a typo of an absent key that was asked for, the error is
    /// that unknown key instead: it is the likelier cause.
    public func error(_ detail: String) -> PluginError {
        likelyTypo ?? PluginError(ConfigMessage.located(detail, at: path, subject: subject))
    }

    private var likelyTypo: PluginError? {
        let absent = askedKeys.filter { object[$0] == nil }
        for stray in unaskedKeys {
            if let meant = NameSuggestion.closest(to: stray, among: absent) {
                return ConfigMessage.unknownKey(stray, in: path, subject: subject, suggestion: meant, allowed: nil)
            }
        }
        return nil
    }
}

/// The shapes of the messages the reader writes, in one place.
enum ConfigMessage {
    /// "budget config: budgets[1]: DETAIL", or "budget config: DETAIL" for
    /// the block itself.
    static func located(_ detail: String, at path: ConfigPath, subject: String) -> String {
        path.isRoot ? "\(subject): \(detail)" : "\(subject): \(path): \(detail)"
    }

    /// "routing config: rules[1].match: unknown key 'teem'; did you mean
    /// 'team'? (allowed: use_case, tag, team)". `allowed` nil leaves the
    /// list out (it may be incomplete when the reader has not finished).
    static func unknownKey(_ key: String, in path: ConfigPath, subject: String, suggestion: String?,
                           allowed: [String]?) -> PluginError {
        var detail = "unknown key '\(key)'"
        if let suggestion { detail += "; did you mean '\(suggestion)'?" }
        if let allowed { detail += allowed.isEmpty ? " (no keys are allowed here)" : " (allowed: \(allowed.joined(separator: ", ")))" }
        return PluginError(located(detail, at: path, subject: subject))
    }

    /// A value as the message shows it: its JSON, cut if long.
    static func shown(_ value: JSONValue) -> String {
        let text = value.jsonString
        return text.count <= 80 ? text : String(text.prefix(77)) + "..."
    }
}
