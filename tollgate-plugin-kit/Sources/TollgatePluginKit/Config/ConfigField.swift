/// One value of a plugin's config, with where it is: what
/// `ConfigReader["key"]` and the list getters hand out. The typed getters
/// (here and in `ConfigField+Collections.swift`) treat the value as
/// required: an absent one is refused as "is required". For an optional
/// key, read `field.ifPresent?.string() ?? default`.
///
/// Each getter takes `expected:`, the phrase that completes "must be ...",
/// to say it in the plugin's own terms ("a positive integer (requests per
/// minute)"); the default is generic ("a positive integer").
public struct ConfigField: Sendable {
    public let path: ConfigPath
    /// Nil when the key is absent.
    public let value: JSONValue?
    /// "budget config": how every message starts.
    public let subject: String
    /// Keys of the enclosing mapping not read when this absent one was asked
    /// for: a typo of this key is among them.
    let strayKeys: [String]

    public init(path: ConfigPath, value: JSONValue?, subject: String) {
        self.init(path: path, value: value, subject: subject, strayKeys: [])
    }

    init(path: ConfigPath, value: JSONValue?, subject: String, strayKeys: [String]) {
        self.path = path
        self.value = value
        self.subject = subject
        self.strayKeys = strayKeys
    }

    public var isPresent: Bool { value != nil }

    /// Self when the key is present, nil when absent: `ifPresent?.bool()`.
    public var ifPresent: ConfigField? { value == nil ? nil : self }

    /// "budget config: budgets[1].amount: DETAIL", for rules the getters
    /// cannot state.
    public func error(_ detail: String) -> PluginError {
        PluginError(ConfigMessage.located(detail, at: path, subject: subject))
    }

    /// "PATH must be EXPECTED, got FOUND[; REASON]", or, for an absent
    /// value, "PATH is required (EXPECTED)" — unless an unread key of the
    /// mapping is a typo of this one, which is then named instead.
    public func mismatch(_ expected: String, reason: String? = nil) -> PluginError {
        guard let value else { return missing(expected) }
        var message = "\(subject): \(path) must be \(expected), got \(ConfigMessage.shown(value))"
        if let reason { message += "; " + reason }
        return PluginError(message)
    }

    private func missing(_ expected: String) -> PluginError {
        if let key = path.lastKey,
           let stray = strayKeys.first(where: { NameSuggestion.closest(to: $0, among: [key]) != nil }) {
            return ConfigMessage.unknownKey(stray, in: ConfigPath(path.steps.dropLast()), subject: subject,
                                            suggestion: key, allowed: nil)
        }
        return PluginError("\(subject): \(path) is required (\(expected))")
    }
}

// MARK: Scalars

extension ConfigField {
    /// A string; empty only when `allowEmpty`.
    public func string(expected: String? = nil, allowEmpty: Bool = false) throws -> String {
        guard case .string(let text)? = value, allowEmpty || !text.isEmpty else {
            throw mismatch(expected ?? (allowEmpty ? "a string" : "a non-empty string"))
        }
        return text
    }

    /// A string turned into something else by `convert`; nil from
    /// `convert` refuses it: `try rule["scope"].parse(expected: "org/ORG
    /// or team/ORG/TEAM") { Scope.parse($0) }`.
    public func parse<Result>(expected: String, _ convert: (String) throws -> Result?) throws -> Result {
        guard case .string(let text)? = value, let result = try convert(text) else { throw mismatch(expected) }
        return result
    }

    public func bool(expected: String = "true or false") throws -> Bool {
        guard case .bool(let flag)? = value else { throw mismatch(expected) }
        return flag
    }

    /// A whole number in `range` ("an integer from 1 to 7").
    public func int(in range: ClosedRange<Int>, expected: String? = nil) throws -> Int {
        Int(try integer(from: Int64(range.lowerBound), to: Int64(range.upperBound), expected: expected))
    }

    /// A whole number of at least the bound (`1...`: "a positive integer").
    public func int(in range: PartialRangeFrom<Int>, expected: String? = nil) throws -> Int {
        Int(try integer(from: Int64(range.lowerBound), to: nil, expected: expected))
    }

    public func int64(in range: ClosedRange<Int64>, expected: String? = nil) throws -> Int64 {
        try integer(from: range.lowerBound, to: range.upperBound, expected: expected)
    }

    public func int64(in range: PartialRangeFrom<Int64>, expected: String? = nil) throws -> Int64 {
        try integer(from: range.lowerBound, to: nil, expected: expected)
    }

    private func integer(from lower: Int64, to upper: Int64?, expected: String?) throws -> Int64 {
        guard let number = value?.int64Value, number >= lower, upper.map({ number <= $0 }) ?? true else {
            throw mismatch(expected ?? Self.integerPhrase(from: lower, to: upper))
        }
        return number
    }

    static func integerPhrase(from lower: Int64, to upper: Int64?) -> String {
        if let upper { return "an integer from \(lower) to \(upper)" }
        switch lower {
        case 1: return "a positive integer"
        case 0: return "an integer of 0 or more"
        default: return "an integer of at least \(lower)"
        }
    }

    public static let moneyPhrase = #"a USD decimal such as "800" or "0.50", at most 9 decimals, no sign or symbol"#

    /// A USD amount in nano-dollars, parsed exactly (`Money.parseUSD`) from
    /// a decimal string or a YAML number: `amount: "0.50"` or `amount: 800`.
    public func money(expected: String? = nil) throws -> Int64 {
        let expected = expected ?? Self.moneyPhrase
        let text: String
        switch value {
        case .string(let string)?: text = string
        case .number(let number)?: text = number
        default: throw mismatch(expected)
        }
        switch Money.parseUSDOrExplain(text) {
        case .success(let nanos):
            return nanos
        case .failure(let failure) where failure == .tooPrecise || failure == .tooLarge:
            throw mismatch(expected, reason: failure.description)
        case .failure:
            // The phrase already says what a decimal looks like.
            throw mismatch(expected)
        }
    }

    /// One of `allowed`, with a suggestion for a near miss: "must be one
    /// of reject, allow, got "alow"; did you mean 'allow'?".
    public func oneOf(_ allowed: [String], expected: String? = nil) throws -> String {
        let expected = expected ?? "one of " + allowed.joined(separator: ", ")
        guard case .string(let text)? = value else { throw mismatch(expected) }
        guard allowed.contains(text) else {
            throw mismatch(expected, reason: NameSuggestion.closest(to: text, among: allowed).map { "did you mean '\($0)'?" })
        }
        return text
    }

    /// A case of a string enum, by raw value: `try rule["period"].oneOf(Period.self)`.
    public func oneOf<Choice>(_ type: Choice.Type, expected: String? = nil) throws -> Choice
    where Choice: RawRepresentable & CaseIterable, Choice.RawValue == String {
        let raw = try oneOf(Choice.allCases.map(\.rawValue), expected: expected)
        return Choice(rawValue: raw)!
    }
}
