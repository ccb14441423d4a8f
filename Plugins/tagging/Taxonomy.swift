/// Which tags a request must carry and what they may hold: rules per tag,
/// required tags per key class, and what to do when a request falls short
/// (refuse it, or let it through tagged `untagged` — the default while an
/// org is onboarding). Pure logic: `evaluate` takes the collected tags and
/// returns the verdict and the tags to record.
struct Taxonomy {
    enum Policy: String, CaseIterable {
        /// 400 naming what is missing or invalid and what is allowed.
        case reject
        /// Record the tag as the untagged value and let the call through.
        case untagged
    }

    enum Problem: Equatable {
        case missing(String)
        case invalid(String, value: String)

        var tag: String {
            switch self {
            case .missing(let name), .invalid(let name, _): return name
            }
        }
    }

    struct Evaluation {
        /// The tags to record, defaults and untagged values applied.
        var tags: [(name: String, value: String)]
        var problems: [Problem]
        /// The policy that applied to this call's org.
        var policy: Policy
        var rejected: Bool { policy == .reject && !problems.isEmpty }
    }

    var rules: [String: TagRule] = [:]
    /// Key class -> required tag names; `default` applies to classes not
    /// listed.
    var required: [String: [String]] = [:]
    var policy: Policy = .untagged
    var orgPolicies: [String: Policy] = [:]
    var untaggedValue = "untagged"

    func requiredTags(forClass keyClass: String?) -> [String] {
        if let keyClass, let list = required[keyClass] { return list }
        return required["default"] ?? []
    }

    func policy(forOrg org: String?) -> Policy {
        org.flatMap { orgPolicies[$0] } ?? policy
    }

    /// Applies defaults, checks values against their rules and required
    /// tags against the key class; under the untagged policy every problem
    /// tag is recorded as `untaggedValue`.
    func evaluate(_ collected: [(name: String, value: String)], keyClass: String?, org: String?) -> Evaluation {
        var tags = collected
        var problems: [Problem] = []
        for (index, tag) in tags.enumerated() {
            if let rule = rules[tag.name], !rule.allows(tag.value) {
                problems.append(.invalid(tag.name, value: tag.value))
                tags[index].value = untaggedValue
            }
        }
        for rule in rules.values.sorted(by: { $0.name < $1.name }) {
            if let value = rule.defaultValue, !tags.contains(where: { $0.name == rule.name }) {
                tags.append((rule.name, value))
            }
        }
        for name in requiredTags(forClass: keyClass) where !tags.contains(where: { $0.name == name }) {
            problems.append(.missing(name))
            tags.append((name, untaggedValue))
        }
        return Evaluation(tags: tags, problems: problems, policy: policy(forOrg: org))
    }

    /// The 400 message: what is missing or invalid, where to send it, and
    /// what is allowed. Never echoes more than the offending value.
    func explain(_ problems: [Problem], keyClass: String?) -> String {
        var parts: [String] = []
        let missing = problems.compactMap { problem -> String? in
            guard case .missing(let name) = problem else { return nil }
            return describe(name)
        }
        if !missing.isEmpty {
            parts.append("missing required tag\(missing.count == 1 ? "" : "s") for a \(keyClass ?? "?") key: "
                + missing.joined(separator: "; "))
        }
        let invalid = problems.compactMap { problem -> String? in
            guard case .invalid(let name, let value) = problem else { return nil }
            return "\(name)=\"\(value)\" is not allowed (\(rules[name]?.allowedDescription ?? "see the taxonomy"))"
        }
        if !invalid.isEmpty { parts.append("invalid tag\(invalid.count == 1 ? "" : "s"): " + invalid.joined(separator: "; ")) }
        return "Request refused by the tag taxonomy: " + parts.joined(separator: ". ") + "."
    }

    private func describe(_ name: String) -> String {
        let header = TagName.wellKnown.contains(name)
            ? "x-tollgate-" + name.replacingUnderscores() : "x-tollgate-tag-" + name.replacingUnderscores()
        var text = "\(name) (send header \(header) or metadata.\(name)"
        if let allowed = rules[name]?.allowedDescription { text += "; allowed: \(allowed)" }
        return text + ")"
    }
}

extension String {
    /// `use_case` -> `use-case`, the header spelling.
    func replacingUnderscores() -> String {
        String(decoding: utf8.map { $0 == UInt8(ascii: "_") ? UInt8(ascii: "-") : $0 }, as: UTF8.self)
    }
}
