import TollgateSupport
import TollgateJSON
import TollgateUnits

/// Who a grant covers. Below a team: a feature, environment or experiment
/// (the request's attribute of that name), a tag value, or a key.
package struct GrantScope: Sendable, Equatable, Hashable, CustomStringConvertible {
    package enum Level: String, Sendable, CaseIterable {
        case org, team, feature, environment, experiment, tag, key
    }

    package var level: Level
    package var org: String
    /// nil for an org grant; for a key grant, the key's team (filled in
    /// from the key when the table is built).
    package var team: String?
    /// The feature / environment / experiment name, the tag's name, or the key id.
    package var name: String?
    /// A tag grant's value.
    package var value: String?

    package init(level: Level, org: String, team: String? = nil, name: String? = nil, value: String? = nil) {
        self.level = level
        self.org = org
        self.team = team
        self.name = name
        self.value = value
    }

    /// "org/acme", "team/acme/recs", "feature/acme/recs/search",
    /// "tag/acme/recs/cost_center=ads", "key/recs-agent".
    package var description: String {
        switch level {
        case .org: return "org/\(org)"
        case .team: return "team/\(org)/\(team ?? "")"
        case .feature, .environment, .experiment: return "\(level.rawValue)/\(org)/\(team ?? "")/\(name ?? "")"
        case .tag: return "tag/\(org)/\(team ?? "")/\(name ?? "")=\(value ?? "")"
        case .key: return "key/\(name ?? "")"
        }
    }

    package static let syntax = "org/ORG, team/ORG/TEAM, feature|environment|experiment/ORG/TEAM/NAME, tag/ORG/TEAM/NAME=VALUE or key/KEY_ID"

    /// nil when `text` is not a scope. Names: letters, digits, '.', '_', '-', '@'.
    package static func parse(_ text: String) -> GrantScope? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard let level = parts.first.flatMap(Level.init(rawValue:)) else { return nil }
        let rest = Array(parts.dropFirst())
        func ok(_ s: String) -> Bool {
            !s.isEmpty && s.unicodeScalars.allSatisfy {
                ($0.isASCII && $0.properties.isAlphabetic) || ("0"..."9").contains($0) || "._-@".unicodeScalars.contains($0)
            }
        }
        switch level {
        case .org:
            guard rest.count == 1, ok(rest[0]) else { return nil }
            return GrantScope(level: .org, org: rest[0])
        case .team:
            guard rest.count == 2, rest.allSatisfy(ok) else { return nil }
            return GrantScope(level: .team, org: rest[0], team: rest[1])
        case .feature, .environment, .experiment:
            guard rest.count == 3, rest.allSatisfy(ok) else { return nil }
            return GrantScope(level: level, org: rest[0], team: rest[1], name: rest[2])
        case .tag:
            guard rest.count == 3, ok(rest[0]), ok(rest[1]) else { return nil }
            let pair = rest[2].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard pair.count == 2, ok(pair[0]), ok(pair[1]) else { return nil }
            return GrantScope(level: .tag, org: rest[0], team: rest[1], name: pair[0], value: pair[1])
        case .key:
            guard rest.count == 1, ok(rest[0]) else { return nil }
            return GrantScope(level: .key, org: "", name: rest[0])
        }
    }

    /// Whether the scope lies inside `outer` (itself included): an org
    /// holds its teams and everything below them; a team what is below it.
    package func isInside(_ outer: GrantScope) -> Bool {
        switch outer.level {
        case .org: return org == outer.org
        case .team: return org == outer.org && team != nil && team == outer.team
        default: return self == outer
        }
    }

    /// The attribute a sub-team scope reads from the request.
    package var attributeName: String? {
        switch level {
        case .feature, .environment, .experiment: return level.rawValue
        case .tag: return name
        default: return nil
        }
    }
}

/// Which key classes a grant admits.
package enum GrantClass: String, Sendable, CaseIterable {
    case production, experimentation, both

    package var classes: [KeyClass] {
        switch self {
        case .production: return [.production]
        case .experimentation: return [.experimentation]
        case .both: return [.production, .experimentation]
        }
    }
}

/// How often a grant's amount comes back.
package enum GrantPeriod: String, Sendable, CaseIterable {
    case daily, weekly, monthly, quarterly, total

    /// TOLLGATE_WINDOW_* of the counter that holds it.
    package var window: Int32 {
        switch self {
        case .total: return 0
        case .daily: return 1
        case .weekly: return 2
        case .monthly: return 3
        case .quarterly: return 5
        }
    }

    /// How many windows of `self` can touch one window of `outer` at most
    /// (a child's amount times this is what it can take of one of its
    /// parent's windows); nil when no bound exists (a periodic child under
    /// a total parent: the parent's total still binds at run time).
    package func timesWithin(_ outer: GrantPeriod) -> Int64? {
        if self == outer { return 1 }
        switch (self, outer) {
        case (.total, _): return 1
        case (_, .total): return nil
        case (.daily, .weekly): return 7
        case (.daily, .monthly): return 31
        case (.daily, .quarterly): return 92
        case (.weekly, .monthly): return 6
        case (.weekly, .quarterly): return 15
        case (.monthly, .quarterly): return 3
        default: return 1  // a longer child period: it may all land in one window of its parent
        }
    }
}

/// Money for some key classes of a grant.
package struct GrantBucket: Sendable, Equatable {
    /// "production", "experimentation", or "all" (both classes share it).
    package var name: String
    package var classes: [KeyClass]
    package var amountNanos: Int64

    package init(name: String, classes: [KeyClass], amountNanos: Int64) {
        self.name = name
        self.classes = classes
        self.amountNanos = amountNanos
    }
}

/// The figures an allocation rests on, shown beside it.
package struct GrantRationale: Sendable, Equatable {
    package var text: String?
    package var trailingUsage: String?
    package var forecast: String?
    package var priority: Int?

    package init(text: String? = nil, trailingUsage: String? = nil, forecast: String? = nil, priority: Int? = nil) {
        self.text = text
        self.trailingUsage = trailingUsage
        self.forecast = forecast
        self.priority = priority
    }

    package var isEmpty: Bool { text == nil && trailingUsage == nil && forecast == nil && priority == nil }
}

/// An allocation: an owner, a scope, a class, an amount per period.
package struct Grant: Sendable, Equatable {
    package enum Source: String, Sendable { case config, minted }
    package enum ExpiryPolicy: Sendable, Equatable {
        case refuse
        /// Production traffic goes on this many days past the renewal date
        /// (with a critical alert every day of it).
        case grace(days: Int)
    }
    /// What production traffic meets at 100% of the amount.
    package enum AtCap: String, Sendable, CaseIterable { case open, refuse }

    package var id: String
    /// nil: the parent is implied by the scope (see GrantTable).
    package var parent: String?
    package var scope: GrantScope
    package var owner: String
    package var grantClass: GrantClass
    package var buckets: [GrantBucket]
    package var period: GrantPeriod
    package var tpm: Int64?
    package var rpm: Int64?
    /// Unix seconds: the first instant after the renewal date (nil = never).
    package var renewsAt: Int64?
    package var reviewAt: Int64?
    package var rationale = GrantRationale()
    package var onExpiry: ExpiryPolicy = .refuse
    package var productionAtCap: AtCap = .open
    package var warnPercent = 80
    package var amberPercent = 110
    package var hardPercent = 150
    /// Days before the renewal date the owner is alerted.
    package var expiryAlertDays: [Int] = [14, 3]
    /// How far (percent of each amount) children may add up to.
    package var oversubscriptionPercent = 100
    package var source: Source = .config
    /// Minted grants: who minted it and when (Unix seconds).
    package var createdBy: String?
    package var createdAt: Int64?
    package var revokedBy: String?
    package var revokedAt: Int64?
    /// Where the YAML declares it (config grants), for messages.
    package var location: SourceLocation?

    package init(id: String, parent: String? = nil, scope: GrantScope, owner: String, grantClass: GrantClass,
                 buckets: [GrantBucket], period: GrantPeriod) {
        self.id = id
        self.parent = parent
        self.scope = scope
        self.owner = owner
        self.grantClass = grantClass
        self.buckets = buckets
        self.period = period
    }

    package var isRevoked: Bool { revokedAt != nil }

    /// The bucket a request of `keyClass` is charged on.
    package func bucket(for keyClass: KeyClass) -> GrantBucket? {
        buckets.first { $0.classes.contains(keyClass) }
    }

    package var graceUntil: Int64? {
        guard let renewsAt, case .grace(let days) = onExpiry else { return nil }
        return renewsAt + Int64(days) * 86_400
    }
}
