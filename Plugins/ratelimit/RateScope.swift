import TollgatePluginKit

/// Who a limit covers: one key, team or org (`key/payments-prod`,
/// `team/acme/payments`, `org/acme`), or each of them (`key/*`, `team/*`,
/// `org/*`: a counter per key / team / org the plugin sees).
struct RateScope: Equatable {
    enum Level: String, CaseIterable { case org, team, key }

    let level: Level
    /// The names after the level ([org], [org, team] or [key id]); nil for
    /// the wildcard.
    let path: [String]?

    var isWildcard: Bool { path == nil }

    /// Parses `key/ID`, `team/ORG/TEAM`, `org/ORG` or `LEVEL/*`; fails with
    /// the reason when it is none of those.
    static func parse(_ text: String) -> Result<RateScope, PluginError> {
        let help = "scope must be key/KEY_ID, team/ORG/TEAM, org/ORG, or key/*, team/*, org/* for each one, got \"\(text)\""
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard let level = parts.first.flatMap(Level.init(rawValue:)) else { return .failure(PluginError(help)) }
        let rest = Array(parts.dropFirst())
        if rest == ["*"] { return .success(RateScope(level: level, path: nil)) }
        let expected = level == .team ? 2 : 1
        // ":" separates the parts of a counter name; "*" is only the whole
        // wildcard (a partial one, team/acme/*, would make two rules of the
        // same rank claim one counter).
        guard rest.count == expected,
              rest.allSatisfy({ !$0.isEmpty && !$0.contains(":") && !$0.contains(" ") && !$0.contains("*") })
        else { return .failure(PluginError(help)) }
        return .success(RateScope(level: level, path: rest))
    }

    /// The one scope this covers for a caller ("team/acme/payments"), nil
    /// when the caller is outside it.
    func concrete(keyID: String?, org: String?, team: String?) -> String? {
        switch level {
        case .key:
            guard let keyID, path == nil || path! == [keyID] else { return nil }
            return "key/\(keyID)"
        case .team:
            guard let org, let team, path == nil || path! == [org, team] else { return nil }
            return "team/\(org)/\(team)"
        case .org:
            guard let org, path == nil || path! == [org] else { return nil }
            return "org/\(org)"
        }
    }
}

/// Which models a limit counts: all together (no `model:`), one model
/// (`model: large`), or each model separately (`model: "*"`).
enum ModelMatch: Equatable {
    case all
    case named(String)
    case each

    init(_ text: String?) {
        switch text {
        case nil: self = .all
        case "*"?: self = .each
        case let name?: self = .named(name)
        }
    }
}

/// What is limited, and the counter window that holds it.
enum RateMetric: String, CaseIterable, Comparable {
    case rpm, tpm, rpd

    var window: CounterWindow { self == .rpd ? .day : .minute }
    var countsTokens: Bool { self == .tpm }

    /// "requests per minute (RPM)".
    var displayName: String {
        switch self {
        case .rpm: return "requests per minute (RPM)"
        case .tpm: return "tokens per minute (TPM)"
        case .rpd: return "requests per day (RPD)"
        }
    }

    static func < (a: RateMetric, b: RateMetric) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}
