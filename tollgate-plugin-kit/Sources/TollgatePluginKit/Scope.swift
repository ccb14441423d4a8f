/// Who a budget or a limit covers: one key (`key/payments-prod`), team
/// (`team/acme/payments`) or org (`org/acme`) — and, where a policy allows
/// it, each of them (`key/*`, `team/*`, `org/*`). One grammar for every
/// counter-based plugin, so their YAML reads the same.
public struct Scope: Equatable, Sendable {
    public enum Level: String, CaseIterable, Sendable { case org, team, key }

    public let level: Level
    /// The names after the level ([org], [org, team] or [key id]); nil for
    /// the wildcard.
    public let path: [String]?

    public init(level: Level, path: [String]?) {
        self.level = level
        self.path = path
    }

    public var isWildcard: Bool { path == nil }

    /// Parses a scope; nil when `text` is not one (the caller words the
    /// error: what it accepts differs). Names may not contain ":" or " "
    /// (":" separates the parts of a counter name). With `allowWildcard`,
    /// `LEVEL/*` is the wildcard and "*" appears nowhere else (a partial
    /// one, team/acme/*, would make two rules of the same rank claim one
    /// counter).
    public static func parse(_ text: String, allowWildcard: Bool) -> Scope? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard let level = parts.first.flatMap(Level.init(rawValue:)) else { return nil }
        let rest = Array(parts.dropFirst())
        if allowWildcard && rest == ["*"] { return Scope(level: level, path: nil) }
        let expected = level == .team ? 2 : 1
        guard rest.count == expected,
              rest.allSatisfy({ !$0.isEmpty && !$0.contains(":") && !$0.contains(" ") && !(allowWildcard && $0.contains("*")) })
        else { return nil }
        return Scope(level: level, path: rest)
    }

    /// The one scope this covers for a caller ("team/acme/payments"); nil
    /// when the caller is outside it.
    public func concrete(keyID: String?, org: String?, team: String?) -> String? {
        guard covers(keyID: keyID, org: org, team: team) else { return nil }
        switch level {
        case .key: return "key/\(keyID!)"
        case .team: return "team/\(org!)/\(team!)"
        case .org: return "org/\(org!)"
        }
    }

    /// Whether the caller is inside this scope (no string is built).
    public func covers(keyID: String?, org: String?, team: String?) -> Bool {
        switch level {
        case .key:
            guard let keyID else { return false }
            return path.map { $0.count == 1 && $0[0] == keyID } ?? true
        case .team:
            guard let org, let team else { return false }
            return path.map { $0.count == 2 && $0[0] == org && $0[1] == team } ?? true
        case .org:
            guard let org else { return false }
            return path.map { $0.count == 1 && $0[0] == org } ?? true
        }
    }
}
