import TollgatePluginKit

/// One limit on a request's path: the host counter it lives in and what it
/// counts. A config entry's, or a grant's TPM/RPM quota (GrantLimits).
struct AppliedLimit: Equatable {
    let counter: CounterID
    let metric: RateMetric
    let limit: Int64
    /// The concrete scope, with the model when the limit is per model:
    /// "key/payments-prod", "team/acme/payments:model/large".
    let subject: String
    /// How messages name it: "team acme/payments on model large",
    /// "grant 'recs-search' (owner lead@x)".
    let displayName: String
    /// Set when the limit is a grant's quota ("grant/<id>" is then the
    /// subject).
    var grant: GrantQuota? = nil

    var counterName: String {
        if let grant { return GrantLimits.counterName(grantID: grant.id, metric: metric) }
        return LimitTable.counterName(subject: subject, metric: metric)
    }
}

/// Which limits apply to a caller, and their counters. Wildcard rules
/// (`key/*`, `model: "*"`) get a counter per key / team / org / model the
/// first time one is seen. When several rules set the same metric for the
/// same counter, the most specific wins (exact scope over wildcard, then a
/// named model over "*"): `key/*` is the default a `key/ID` rule overrides.
final class LimitTable {
    let host: PluginHost
    let rules: [RateLimitRule]
    /// Resolved limits by caller and model. Only models in the catalog are
    /// cached, so a client sending made-up model names cannot grow it.
    private let cache = Locked([String: [AppliedLimit]]())
    static let cacheCapacity = 100_000

    /// Names counters so they list under the "ratelimit:" prefix and never
    /// collide with the budget's ("budget:...").
    static func counterName(subject: String, metric: RateMetric) -> String { "ratelimit:\(subject):\(metric.rawValue)" }

    init(host: PluginHost, rules: [RateLimitRule]) throws {
        self.host = host
        self.rules = rules
        // Exact rules are declared now (they show in /admin/counters from
        // the start, and a reload updates their limits at once); each is the
        // most specific rule for its own counters, so its limit is final.
        for rule in rules where !rule.scope.isWildcard && rule.model != .each {
            let path = rule.scope.path!
            let keyID = rule.scope.level == .key ? path[0] : nil
            let org = rule.scope.level == .key ? nil : path[0]
            let team = rule.scope.level == .team ? path[1] : nil
            guard let scope = rule.scope.concrete(keyID: keyID, org: org, team: team) else { continue }
            let subject = Self.subject(scope: scope, model: { if case .named(let m) = rule.model { return m } else { return nil } }())
            for (metric, limit) in rule.limits {
                _ = try host.declareCounter(name: Self.counterName(subject: subject, metric: metric), limit: limit,
                                            window: metric.window, persist: metric == .rpd)
            }
        }
    }

    /// The limits on this caller's path, in counter-name order.
    func limits(keyID: String?, org: String?, team: String?, model: String?) throws -> [AppliedLimit] {
        let cacheKey = "\(keyID ?? "")\u{1}\(org ?? "")\u{1}\(team ?? "")\u{1}\(model ?? "")"
        if let hit = cache.withLock({ $0[cacheKey] }) { return hit }
        let modelKnown = model.map { host.price(of: $0) != nil } ?? false
        let resolved = try resolve(keyID: keyID, org: org, team: team, model: model, modelKnown: modelKnown)
        if modelKnown {
            cache.withLock { cache in
                if cache.count >= Self.cacheCapacity { cache.removeAll() }
                cache[cacheKey] = resolved
            }
        }
        return resolved
    }

    private func resolve(keyID: String?, org: String?, team: String?, model: String?, modelKnown: Bool) throws -> [AppliedLimit] {
        struct Candidate { var rank: Int; var limit: Int64; var subject: String; var metric: RateMetric }
        var best: [String: Candidate] = [:]
        for rule in rules {
            guard let scope = rule.scope.concrete(keyID: keyID, org: org, team: team) else { continue }
            let modelPart: String?
            switch rule.model {
            case .all: modelPart = nil
            case .named(let name):
                guard name == model else { continue }
                modelPart = name
            case .each:
                // Only catalog models get counters: the core refuses the
                // rest after the pre-call chain anyway.
                guard let model, modelKnown else { continue }
                modelPart = model
            }
            let subject = Self.subject(scope: scope, model: modelPart)
            for (metric, limit) in rule.limits {
                let name = Self.counterName(subject: subject, metric: metric)
                if let current = best[name], current.rank >= rule.rank { continue }
                best[name] = Candidate(rank: rule.rank, limit: limit, subject: subject, metric: metric)
            }
        }
        return try best.keys.sorted().map { name in
            let c = best[name]!
            let id = try host.declareCounter(name: name, limit: c.limit, window: c.metric.window, persist: c.metric == .rpd)
            return AppliedLimit(counter: id, metric: c.metric, limit: c.limit, subject: c.subject,
                                displayName: Self.displayName(subject: c.subject))
        }
    }

    static func subject(scope: String, model: String?) -> String { model.map { "\(scope):model/\($0)" } ?? scope }

    /// "team/acme/payments:model/large" -> "team acme/payments on model large".
    static func displayName(subject: String) -> String {
        let parts = subject.split(separator: ":", maxSplits: 1).map(String.init)
        let scope = parts[0]
        let slash = scope.firstIndex(of: "/")!
        var text = "\(scope[..<slash]) \(scope[scope.index(after: slash)...])"
        if parts.count > 1 { text += " on model \(parts[1].dropFirst("model/".count))" }
        return text
    }
}
