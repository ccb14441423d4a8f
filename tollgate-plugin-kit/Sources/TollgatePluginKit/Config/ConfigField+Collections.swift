// Mappings and lists: every element gets its own path (`budgets[2]`,
// `deployments.east`), so a mistake deep inside is named exactly.

extension ConfigField {
    /// A mapping read by `body`, then finished: a key `body` did not ask
    /// for is refused. Returns what `body` returns.
    @discardableResult
    public func object<Result>(expected: String = "a mapping",
                               _ body: (inout ConfigReader) throws -> Result) throws -> Result {
        guard case .object(let object)? = value else { throw mismatch(expected) }
        var reader = ConfigReader(object: object, path: path, subject: subject)
        let result = try body(&reader)
        try reader.finish()
        return result
    }

    /// A list, as one field per element (`limits[0]`, `limits[1]`...).
    public func list(expected: String? = nil, allowEmpty: Bool = true) throws -> [ConfigField] {
        guard case .array(let items)? = value, allowEmpty || !items.isEmpty else {
            throw mismatch(expected ?? (allowEmpty ? "a list" : "a non-empty list"))
        }
        return items.enumerated().map { index, item in
            ConfigField(path: path.appending(index: index), value: item, subject: subject)
        }
    }

    /// A list of mappings, each read by `body` and finished.
    @discardableResult
    public func objects<Result>(expected: String? = nil, allowEmpty: Bool = true, each itemExpected: String = "a mapping",
                                _ body: (inout ConfigReader) throws -> Result) throws -> [Result] {
        try list(expected: expected, allowEmpty: allowEmpty).map { try $0.object(expected: itemExpected, body) }
    }

    /// A list of non-empty strings.
    public func strings(expected: String? = nil, allowEmpty: Bool = true) throws -> [String] {
        let phrase = expected ?? (allowEmpty ? "a list of strings" : "a non-empty list of strings")
        return try list(expected: phrase, allowEmpty: allowEmpty).map { try $0.string() }
    }

    /// One string or a non-empty list of them: `team: payments` or
    /// `team: [payments, search]`. Empty strings only when `allowEmptyStrings`.
    public func oneOrMoreStrings(expected: String? = nil, allowEmptyStrings: Bool = false) throws -> [String] {
        let phrase = expected ?? "a string or a non-empty list of strings"
        switch value {
        case .string(let text)? where allowEmptyStrings || !text.isEmpty:
            return [text]
        case .array(let items)? where !items.isEmpty:
            return try list().map { try $0.string(allowEmpty: allowEmptyStrings) }
        default:
            throw mismatch(phrase)
        }
    }

    /// A mapping whose keys are names the operator chooses (deployments,
    /// tags, orgs), entry by entry in document order. Its keys are data, so
    /// none is refused as unknown.
    public func entries(expected: String = "a mapping", allowEmpty: Bool = true) throws -> [(key: String, field: ConfigField)] {
        guard case .object(let object)? = value, allowEmpty || object.count > 0 else { throw mismatch(expected) }
        return object.entries.map { entry in
            (entry.key, ConfigField(path: path.appending(entry.key), value: entry.value, subject: subject))
        }
    }
}
