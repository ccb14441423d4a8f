import TollgateSupport
import TollgateJSON
import TollgateUnits

extension ConfigDecoder {
    static let grantKeys = ["id", "scope", "parent", "owner", "class", "amount", "period", "tpm", "rpm", "renews", "review",
                            "rationale", "on_expiry", "grace_days", "at_cap", "tiers", "expiry_alerts", "oversubscription"]

    /// `grants:`: the committee's allocations (docs/config.md, "grants").
    func decodeGrants(_ node: YAMLNode?) -> [Grant] {
        guard let node, let items = list(node, expected: "a list of grants") else { return [] }
        return items.enumerated().compactMap { index, item in
            decodeGrant(item, context: entryContext(item, nameKey: "id", kind: "grant", list: "grants", index: index))
        }
    }

    func decodeGrant(_ node: YAMLNode, context: String) -> Grant? {
        guard let f = fields(node, context: context, expected: "a grant (a mapping with id, scope, owner, amount and period)",
                             allowed: Self.grantKeys, required: ["id", "scope", "owner", "amount", "period"]) else { return nil }
        let id = f["id"].flatMap { identifier($0, what: "grant id") }
        let scope = f["scope"].flatMap { node -> GrantScope? in
            guard let text = string(node, expected: "a scope (\(GrantScope.syntax))") else { return nil }
            guard let scope = GrantScope.parse(text) else {
                fail(node, "invalid scope '\(text)' in \(context): expected \(GrantScope.syntax)")
                return nil
            }
            return scope
        }
        let parent = f["parent"].flatMap { identifier($0, what: "parent grant id") }
        let owner = f["owner"].flatMap { string($0, expected: "an owner (the person accountable, e.g. an email address)") }
        let grantClass = f["class"].map { choice($0, GrantClass.self, what: "grant class") } ?? .both
        let period = f["period"].flatMap { choice($0, GrantPeriod.self, what: "grant period") }
        let buckets = f["amount"].flatMap { decodeAmount($0, grantClass: grantClass, context: context) }
        var grant: Grant?
        if let id, let scope, let owner, let grantClass, let period, let buckets {
            grant = Grant(id: id, parent: parent, scope: scope, owner: owner, grantClass: grantClass, buckets: buckets, period: period)
            grant?.location = node.location
        }
        grant?.tpm = f["tpm"].flatMap { integer($0, expected: "tpm (tokens per minute)", range: 1...Int64.max) }
        grant?.rpm = f["rpm"].flatMap { integer($0, expected: "rpm (requests per minute)", range: 1...Int64.max) }
        grant?.renewsAt = f["renews"].flatMap { date($0, what: "renews") }
        grant?.reviewAt = f["review"].flatMap { date($0, what: "review") }
        if let rationale = f["rationale"] { grant?.rationale = decodeRationale(rationale, context: context) }
        let expiry = f["on_expiry"].flatMap { choice($0, ExpiryChoice.self, what: "on_expiry") } ?? .refuse
        let graceDays = f["grace_days"].flatMap { integer($0, expected: "grace_days", range: 1...365) }
        switch expiry {
        case .refuse:
            if let node = f["grace_days"] { fail(node, "grace_days in \(context) needs on_expiry: grace") }
        case .grace:
            if let graceDays { grant?.onExpiry = .grace(days: Int(graceDays)) } else if f["grace_days"] == nil {
                fail(node, "\(context) has on_expiry: grace but no grace_days (how many days production traffic goes on)")
            }
        }
        if f["renews"] == nil, expiry == .grace, let at = f["on_expiry"] {
            fail(at, "on_expiry in \(context) has no effect without a renewal date (renews:)")
        }
        grant?.productionAtCap = f["at_cap"].flatMap { choice($0, Grant.AtCap.self, what: "at_cap") } ?? .open
        if let tiers = f["tiers"], let t = fields(tiers, context: "the tiers of \(context)", expected: "a mapping of warn, amber and hard percentages",
                                                  allowed: ["warn", "amber", "hard"]) {
            let warn = t["warn"].flatMap { integer($0, expected: "warn percent", range: 1...1000) }.map(Int.init) ?? 80
            let amber = t["amber"].flatMap { integer($0, expected: "amber percent", range: 100...1000) }.map(Int.init) ?? 110
            let hard = t["hard"].flatMap { integer($0, expected: "hard percent", range: 100...1000) }.map(Int.init) ?? 150
            if !(warn <= 100 && amber <= hard) {
                fail(tiers, "the tiers of \(context) must satisfy warn <= 100 and amber <= hard (got warn \(warn), amber \(amber), hard \(hard))")
            }
            grant?.warnPercent = warn
            grant?.amberPercent = amber
            grant?.hardPercent = hard
        }
        if let alerts = f["expiry_alerts"], let items = list(alerts, expected: "a list of days before renewal, such as [14, 3]") {
            grant?.expiryAlertDays = Array(Set(items.compactMap {
                integer($0, expected: "days before renewal", range: 1...365).map(Int.init)
            })).sorted(by: >)
        }
        if let over = f["oversubscription"].flatMap({ integer($0, expected: "oversubscription percent", range: 100...1000) }) {
            grant?.oversubscriptionPercent = Int(over)
        }
        return grant
    }

    enum ExpiryChoice: String, CaseIterable { case refuse, grace }

    /// `amount: "40000"` (one bucket for every class the grant admits) or
    /// `amount: {production: "40000", experimentation: "5000"}` (class both).
    private func decodeAmount(_ node: YAMLNode, grantClass: GrantClass?, context: String) -> [GrantBucket]? {
        if node.scalar != nil {
            guard let nanos = money(node, what: "amount of \(context)"), let grantClass else { return nil }
            let name = grantClass == .both ? "all" : grantClass.rawValue
            return [GrantBucket(name: name, classes: grantClass.classes, amountNanos: nanos)]
        }
        guard let f = fields(node, context: "the amount of \(context)",
                             expected: #"an amount ("40000") or one per class ({production: "40000", experimentation: "5000"})"#,
                             allowed: KeyClass.allCases.map(\.rawValue)) else { return nil }
        var buckets: [GrantBucket] = []
        for keyClass in KeyClass.allCases {
            guard let value = f[keyClass.rawValue] else { continue }
            if let grantClass, !grantClass.classes.contains(keyClass) {
                fail(value, "\(context) is a \(grantClass.rawValue) grant; it cannot have an amount for \(keyClass.rawValue)")
                continue
            }
            if let nanos = money(value, what: "\(keyClass.rawValue) amount of \(context)") {
                buckets.append(GrantBucket(name: keyClass.rawValue, classes: [keyClass], amountNanos: nanos))
            }
        }
        if let grantClass, Set(buckets.flatMap(\.classes)) != Set(grantClass.classes) {
            fail(node, "the amount of \(context) must give one figure per class it admits (\(grantClass.classes.map(\.rawValue).joined(separator: ", ")))")
            return nil
        }
        return buckets
    }

    private func decodeRationale(_ node: YAMLNode, context: String) -> GrantRationale {
        if node.scalar != nil { return GrantRationale(text: string(node, expected: "a rationale")) }
        guard let f = fields(node, context: "the rationale of \(context)", expected: "a rationale (text, trailing_usage, forecast, priority)",
                             allowed: ["text", "trailing_usage", "forecast", "priority"]) else { return GrantRationale() }
        return GrantRationale(text: f["text"].flatMap { string($0, expected: "text") },
                              trailingUsage: f["trailing_usage"].flatMap { string($0, expected: "trailing usage") },
                              forecast: f["forecast"].flatMap { string($0, expected: "forecast") },
                              priority: f["priority"].flatMap { integer($0, expected: "priority", range: 0...1000) }.map(Int.init))
    }

    /// A date (valid through its end, UTC) or an RFC 3339 instant.
    func date(_ node: YAMLNode, what: String) -> Int64? {
        guard let text = string(node, expected: "a date") else { return nil }
        guard let second = ExpiryDate.firstInvalidSecond(text) else {
            fail(node, "invalid \(what) '\(text)': expected a date (2027-06-30, through the end of that day UTC) or an RFC 3339 timestamp")
            return nil
        }
        return second
    }

    // MARK: credentials

    /// `credentials:`: team admins and viewers, stored as SHA-256 like keys.
    func decodeCredentials(_ node: YAMLNode?, seen: inout Seen) -> [(sha256Hex: String, credential: Credential)] {
        guard let node, let items = list(node, expected: "a list of credentials") else { return [] }
        var out: [(String, Credential)] = []
        for (index, item) in items.enumerated() {
            let context = entryContext(item, nameKey: "id", kind: "credential", list: "credentials", index: index)
            guard let f = fields(item, context: context, expected: "a credential (id, role, scope, owner, sha256)",
                                 allowed: ["id", "role", "scope", "owner", "sha256"],
                                 required: ["id", "role", "scope", "owner", "sha256"]) else { continue }
            let id = f["id"].flatMap { uniqueID($0, what: "credential id", seen: &seen) }
            let role = f["role"].flatMap { choice($0, CredentialRole.self, what: "role") }
            var scope: GrantScope?
            if let node = f["scope"], let text = string(node, expected: "a scope (org/ORG or team/ORG/TEAM)") {
                scope = GrantScope.parse(text)
                if scope == nil || !(scope!.level == .org || scope!.level == .team) {
                    fail(node, "the scope of \(context) must be org/ORG or team/ORG/TEAM, got '\(text)'")
                    scope = nil
                } else if role == .teamAdmin, scope!.level != .team {
                    fail(node, "a team_admin's scope is one team (team/ORG/TEAM), got '\(text)'")
                    scope = nil
                }
            }
            let owner = f["owner"].flatMap { string($0, expected: "an owner") }
            let digest = f["sha256"].flatMap { sha256(context: context, $0, id: id, seen: &seen) }
            if let id, let role, let scope, let owner, let digest {
                var credential = Credential(id: id, role: role, scope: scope, owner: owner)
                credential.location = item.location
                out.append((digest, credential))
            }
        }
        return out
    }

    // MARK: capacity

    func decodeCapacity(_ node: YAMLNode?, modelNames: [String]) -> CapacityConfig {
        guard let node, let f = fields(node, context: "capacity", expected: "a mapping with pools and warn_above_percent",
                                       allowed: ["pools", "warn_above_percent"]) else { return CapacityConfig() }
        var config = CapacityConfig()
        if let warn = f["warn_above_percent"].flatMap({ integer($0, expected: "warn_above_percent", range: 1...10_000) }) {
            config.warnAbovePercent = Int(warn)
        }
        for (index, item) in (f["pools"].flatMap { list($0, expected: "a list of capacity pools") } ?? []).enumerated() {
            let context = "capacity pools[\(index)]"
            guard let p = fields(item, context: context, expected: "a pool (provider, model, tpm, committed, period)",
                                 allowed: ["provider", "model", "tpm", "committed", "period"], required: ["provider"]) else { continue }
            let provider = p["provider"].flatMap { string($0, expected: "a provider") }
            let model = p["model"].flatMap { node -> String? in
                guard let name = string(node, expected: "a model name") else { return nil }
                if !modelNames.contains(name) {
                    fail(node, "unknown model '\(name)' in \(context)\(Suggestion.clause(for: name, among: modelNames))")
                }
                return name
            }
            let tpm = p["tpm"].flatMap { integer($0, expected: "tpm", range: 1...Int64.max) }
            let committed = p["committed"].flatMap { money($0, what: "committed spend of \(context)") }
            let period = p["period"].flatMap { choice($0, GrantPeriod.self, what: "period") } ?? .monthly
            if tpm == nil, committed == nil, p["tpm"] == nil, p["committed"] == nil {
                fail(item, "\(context) purchases nothing: give tpm, committed, or both")
            }
            if let provider {
                config.pools.append(CapacityPool(provider: provider, model: model, tpm: tpm, committedNanos: committed, period: period))
            }
        }
        return config
    }
}

extension ConfigDecoder {
    // MARK: exceptions and burst pools

    func decodeExceptionPolicy(_ node: YAMLNode?) -> ExceptionPolicy {
        var policy = ExceptionPolicy()
        guard let node, let f = fields(node, context: "exceptions",
                                       expected: "a mapping (max_window_days, pending_expiry_hours, min_reason_length, max_raise_percent)",
                                       allowed: ["max_window_days", "pending_expiry_hours", "min_reason_length", "max_raise_percent"])
        else { return policy }
        if let v = f["max_raise_percent"].flatMap({ integer($0, expected: "max_raise_percent", range: 1...1000) }) {
            policy.maxRaisePercent = Int(v)
        }
        if let v = f["max_window_days"].flatMap({ integer($0, expected: "max_window_days", range: 1...366) }) { policy.maxWindowDays = Int(v) }
        if let v = f["pending_expiry_hours"].flatMap({ integer($0, expected: "pending_expiry_hours", range: 1...8_760) }) {
            policy.pendingExpiryHours = Int(v)
        }
        if let v = f["min_reason_length"].flatMap({ integer($0, expected: "min_reason_length", range: 1...1_000) }) {
            policy.minReasonLength = Int(v)
        }
        return policy
    }

    /// `burst_pools:` one per org at most; borrowing limits name the org's
    /// teams and none exceeds the pool.
    func decodeBurstPools(_ node: YAMLNode?, orgs: [OrgConfig]) -> [BurstPool] {
        guard let node, let items = list(node, expected: "a list of burst pools") else { return [] }
        var pools: [BurstPool] = []
        for (index, item) in items.enumerated() {
            let context = entryContext(item, nameKey: "org", kind: "burst pool of org", list: "burst_pools", index: index)
            guard let f = fields(item, context: context, expected: "a burst pool (org, amount, borrow_limits)",
                                 allowed: ["org", "amount", "borrow_limits"], required: ["org", "amount"]) else { continue }
            let org = f["org"].flatMap { identifier($0, what: "org name") }
            if let org, let node = f["org"] {
                if !orgs.contains(where: { $0.name == org }) {
                    fail(node, "burst pool for org '\(org)', which is not under 'orgs'\(Suggestion.clause(for: org, among: orgs.map(\.name)))")
                } else if pools.contains(where: { $0.org == org }) {
                    fail(node, "org '\(org)' has two burst pools; give each org one")
                }
            }
            let amount = f["amount"].flatMap { money($0, what: "amount of \(context)") }
            var limits: [String: Int64] = [:]
            if let limitsNode = f["borrow_limits"] {
                if case .mapping(let pairs) = limitsNode.content {
                    let teams = orgs.first { $0.name == org }?.teams.map(\.name) ?? []
                    for pair in pairs {
                        guard let team = pair.key.scalar?.text else { continue }
                        if org != nil, !teams.contains(team) {
                            fail(pair.key, "borrow limit for team '\(team)', which is not a team of org '\(org ?? "")'"
                                + Suggestion.clause(for: team, among: teams))
                            continue
                        }
                        guard let nanos = money(pair.value, what: "borrow limit of team '\(team)'") else { continue }
                        if let amount, nanos > amount {
                            fail(pair.value, "team '\(team)' may borrow \(Money.format(nanos: nanos)), more than the pool's \(Money.format(nanos: amount))")
                        }
                        limits[team] = nanos
                    }
                } else {
                    fail(limitsNode, "borrow_limits of \(context) must map team names to amounts ({recs: \"500\"})")
                }
            }
            if let org, let amount {
                var pool = BurstPool(org: org, amountNanos: amount, borrowLimits: limits)
                pool.location = item.location
                pools.append(pool)
            }
        }
        return pools
    }
}
