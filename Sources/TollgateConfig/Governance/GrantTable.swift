import TollgateSupport
import TollgateJSON
import TollgateUnits

/// Something wrong with a grant: where, and what.
package struct GrantProblem: Sendable, Equatable, CustomStringConvertible {
    package var grantID: String
    package var location: SourceLocation?
    package var message: String
    package var description: String { message }
}

/// The keys a grant table needs to know: where each key lives and which
/// grant it was minted in.
package struct KeyPlacement: Sendable, Equatable {
    package var org: String
    package var team: String
    package var grant: String?

    package init(org: String, team: String, grant: String? = nil) {
        self.org = org
        self.team = team
        self.grant = grant
    }
}

/// One consistent set of grants: parents resolved, carve-outs checked,
/// indexed for the per-request path. Immutable; the registry builds a new
/// one (with a new version) on every change.
package final class GrantTable: @unchecked Sendable {
    package let version: UInt64
    /// In declaration order (config first, then minted, oldest first).
    package let grants: [Grant]
    /// grants[i]'s parent index.
    package let parents: [Int?]
    /// Depth from the root (root = 0).
    package let depths: [Int]
    package let problems: [GrantProblem]
    private let byID: [String: Int]
    private let byOrg: [String: [Int]]
    /// "org/team" -> team and sub-team grants.
    private let byTeam: [String: [Int]]
    private let byKey: [String: [Int]]
    /// The document grants_get hands plugins.
    package private(set) var json: [UInt8]

    package static let empty = GrantTable(version: 0, grants: [], keys: [:])

    package let capacity: CapacityConfig
    /// Grant id -> the approved exceptions and burst draws not yet over.
    package let raises: [String: [GrantException]]

    package init(version: UInt64, grants input: [Grant], keys: [String: KeyPlacement], capacity: CapacityConfig = CapacityConfig(),
                 raises: [String: [GrantException]] = [:]) {
        self.capacity = capacity
        self.raises = raises
        self.version = version
        var problems: [GrantProblem] = []
        func problem(_ grant: Grant, _ message: String) {
            problems.append(GrantProblem(grantID: grant.id, location: grant.location, message: message))
        }
        var grants = input
        var byID: [String: Int] = [:]
        for (index, grant) in grants.enumerated() {
            if byID[grant.id] != nil {
                problem(grant, "duplicate grant id '\(grant.id)'; grant ids must be unique")
            } else {
                byID[grant.id] = index
            }
        }
        // Key grants live where their key does.
        for index in grants.indices where grants[index].scope.level == .key {
            let keyID = grants[index].scope.name ?? ""
            if let key = keys[keyID] {
                grants[index].scope.org = key.org
                grants[index].scope.team = key.team
            } else {
                problem(grants[index], "grant '\(grants[index].id)' covers key '\(keyID)', which no key has as its id")
            }
        }
        // Parents: as written, else the one enclosing grant whose class
        // admits every class of the child.
        var parents = [Int?](repeating: nil, count: grants.count)
        for (index, grant) in grants.enumerated() {
            if let parentID = grant.parent {
                guard let parent = byID[parentID] else {
                    problem(grant, "grant '\(grant.id)' names parent '\(parentID)', which is not a grant"
                        + NameSuggestion.clause(for: parentID, among: Array(byID.keys)))
                    continue
                }
                let outer = grants[parent]
                guard grant.scope.isInside(outer.scope), Self.rank(grant.scope.level) > Self.rank(outer.scope.level)
                        || (grant.scope.level == .key && outer.scope.level != .key) else {
                    problem(grant, "grant '\(grant.id)' (\(grant.scope)) is not inside its parent '\(outer.id)' (\(outer.scope))")
                    continue
                }
                parents[index] = parent
            } else {
                let enclosing = Self.enclosingLevels(of: grant.scope.level)
                let candidates = grants.indices.filter { other in
                    other != index && enclosing.contains(grants[other].scope.level) && grant.scope.isInside(grants[other].scope)
                        && Set(grant.grantClass.classes).isSubset(of: grants[other].grantClass.classes)
                }
                // The nearest level that has one wins (a key under its team's
                // grant, a team under its org's).
                let nearest = enclosing.lazy.map { level in candidates.filter { grants[$0].scope.level == level } }
                    .first { !$0.isEmpty } ?? []
                if nearest.count > 1 {
                    problem(grant, "grant '\(grant.id)' (\(grant.scope)) could belong to "
                        + nearest.map { "'\(grants[$0].id)'" }.joined(separator: " or ") + "; say which with 'parent:'")
                } else {
                    parents[index] = nearest.first
                }
            }
            if let parent = parents[index],
               !Set(grant.grantClass.classes).isSubset(of: grants[parent].grantClass.classes) {
                problem(grant, "grant '\(grant.id)' is for \(grant.grantClass.rawValue) traffic but its parent "
                    + "'\(grants[parent].id)' only admits \(grants[parent].grantClass.rawValue)")
                parents[index] = nil
            }
        }
        // No cycles (only explicit parents can make one).
        var depths = [Int](repeating: 0, count: grants.count)
        for index in grants.indices {
            var seen: Set<Int> = [index]
            var next = parents[index]
            var depth = 0
            while let p = next {
                depth += 1
                if !seen.insert(p).inserted {
                    problem(grants[index], "grant '\(grants[index].id)' is its own ancestor (parents form a cycle)")
                    parents[index] = nil
                    depth = 0
                    break
                }
                next = parents[p]
            }
            depths[index] = depth
        }
        // Carve-outs: the children of a grant add up to at most its amount
        // (times its oversubscription) in each bucket.
        for (index, parent) in grants.enumerated() where !parent.isRevoked {
            let children = grants.indices.filter { parents[$0] == index && !grants[$0].isRevoked }
            guard !children.isEmpty else { continue }
            for bucket in parent.buckets {
                let allowed = Saturating.multiplyDivide(bucket.amountNanos, Int64(parent.oversubscriptionPercent), 100)
                var sum: Int64 = 0
                var parts: [String] = []
                for child in children {
                    guard let times = grants[child].period.timesWithin(parent.period) else { continue }
                    for childBucket in grants[child].buckets where !Set(childBucket.classes).isDisjoint(with: bucket.classes) {
                        let share = Saturating.multiply(childBucket.amountNanos, times)
                        sum = Saturating.add(sum, share)
                        parts.append("'\(grants[child].id)' \(Money.format(nanos: childBucket.amountNanos)) \(grants[child].period.rawValue)"
                            + (times > 1 ? " (x\(times) = \(Money.format(nanos: share)))" : ""))
                    }
                }
                if sum > allowed {
                    let over = parent.oversubscriptionPercent == 100 ? "" : " x \(parent.oversubscriptionPercent)% oversubscription"
                    problem(grants[children.last!], "the children of grant '\(parent.id)' add up to \(Money.format(nanos: sum)) "
                        + "per \(parent.period.rawValue) window for \(bucket.name) traffic, more than its "
                        + "\(Money.format(nanos: bucket.amountNanos))\(over): " + parts.joined(separator: ", ")
                        + ". Lower a child, raise the parent, or let the parent oversubscribe (oversubscription: PERCENT)")
                }
            }
        }
        var byOrg: [String: [Int]] = [:], byTeam: [String: [Int]] = [:], byKey: [String: [Int]] = [:]
        for (index, grant) in grants.enumerated() {
            switch grant.scope.level {
            case .org: byOrg[grant.scope.org, default: []].append(index)
            case .key: byKey[grant.scope.name ?? "", default: []].append(index)
            default: byTeam["\(grant.scope.org)/\(grant.scope.team ?? "")", default: []].append(index)
            }
        }
        self.grants = grants
        self.parents = parents
        self.depths = depths
        self.problems = problems
        self.byID = byID
        self.byOrg = byOrg
        self.byTeam = byTeam
        self.byKey = byKey
        self.json = []
        self.json = Array(Self.document(self).jsonString.utf8)
    }

    package subscript(id: String) -> Grant? { byID[id].map { grants[$0] } }
    package func index(of id: String) -> Int? { byID[id] }

    /// The grants a request is on, root first: those whose scope covers
    /// it and whose class admits `keyClass`, the grant its key was minted
    /// in, and all their ancestors. `attribute` reads the request's
    /// attributes (feature, environment, experiment, tags).
    package func path(org: String, team: String, keyID: String, keyClass: KeyClass, keyGrant: String?,
                      attribute: (String) -> String?) -> [Int] {
        var matched: [Int] = []
        func consider(_ index: Int) {
            let grant = grants[index]
            guard grant.grantClass.classes.contains(keyClass) else { return }
            if let name = grant.scope.attributeName {
                let wanted = grant.scope.level == .tag ? grant.scope.value : grant.scope.name
                guard let value = attribute(name), value == wanted else { return }
            }
            matched.append(index)
        }
        byOrg[org]?.forEach(consider)
        byTeam[org + "/" + team]?.forEach(consider)
        byKey[keyID]?.forEach(consider)
        if let keyGrant, let index = byID[keyGrant] { matched.append(index) }
        guard !matched.isEmpty else { return [] }
        var onPath = Set<Int>()
        for index in matched {
            var next: Int? = index
            while let i = next, onPath.insert(i).inserted { next = parents[i] }
        }
        return onPath.sorted { depths[$0] != depths[$1] ? depths[$0] < depths[$1] : $0 < $1 }
    }

    /// The grant's children (indices).
    package func children(of index: Int) -> [Int] { grants.indices.filter { parents[$0] == index } }

    /// Levels a grant's implied parent is looked for at, nearest first.
    static func enclosingLevels(of level: GrantScope.Level) -> [GrantScope.Level] {
        switch level {
        case .org: return []
        case .team: return [.org]
        case .feature, .environment, .experiment, .tag: return [.team]
        case .key: return [.team, .org]
        }
    }

    static func rank(_ level: GrantScope.Level) -> Int {
        switch level {
        case .org: return 0
        case .team: return 1
        case .feature, .environment, .experiment, .tag: return 2
        case .key: return 3
        }
    }

    // MARK: The document plugins read (tollgate_plugin.h, "Grants")

    static func document(_ table: GrantTable) -> JSONValue {
        let grants = table.grants
        return .object(JSONObject([
            ("version", .int(Int64(table.version))),
            ("grants", .array(grants.indices.map {
                json(grants[$0], parent: table.parents[$0].map { grants[$0].id }, raises: table.raises[grants[$0].id] ?? [])
            })),
            ("capacity", capacityJSON(table)),
        ]))
    }

    /// What was purchased, and how much of it the top-level grants allocate.
    static func capacityJSON(_ table: GrantTable) -> JSONValue {
        let figures = CapacityFigures(table: table, capacity: table.capacity)
        func optional(_ v: Int64?) -> JSONValue { v.map { .int($0) } ?? .null }
        return .object(JSONObject([
            ("pools", .array(table.capacity.pools.map { pool in
                .object(JSONObject([("provider", .string(pool.provider)), ("model", pool.model.map { .string($0) } ?? .null),
                                    ("tpm", optional(pool.tpm)), ("committed_nanos", optional(pool.committedNanos)),
                                    ("committed", pool.committedNanos.map { .string(Money.format(nanos: $0)) } ?? .null),
                                    ("period", .string(pool.period.rawValue))]))
            })),
            ("allocated_tpm", .int(figures.allocatedTPM)), ("purchased_tpm", .int(figures.purchasedTPM)),
            ("tpm_percent", optional(figures.tpmPercent)),
            ("allocated_monthly_nanos", .int(figures.allocatedMonthlyNanos)),
            ("allocated_monthly", .string(Money.format(nanos: figures.allocatedMonthlyNanos))),
            ("purchased_monthly_nanos", .int(figures.purchasedMonthlyNanos)),
            ("purchased_monthly", .string(Money.format(nanos: figures.purchasedMonthlyNanos))),
            ("money_percent", optional(figures.moneyPercent)),
            ("warn_above_percent", .int(table.capacity.warnAbovePercent)),
        ]))
    }

    package static func json(_ grant: Grant, parent: String?, raises: [GrantException] = []) -> JSONValue {
        func optional(_ v: Int64?) -> JSONValue { v.map { .int($0) } ?? .null }
        func text(_ v: String?) -> JSONValue { v.map { .string($0) } ?? .null }
        let expiry: String
        if case .grace = grant.onExpiry { expiry = "grace" } else { expiry = "refuse" }
        return .object(JSONObject([
            ("id", .string(grant.id)), ("parent", text(parent)), ("scope", .string(grant.scope.description)),
            ("level", .string(grant.scope.level.rawValue)), ("org", .string(grant.scope.org)), ("team", text(grant.scope.team)),
            ("owner", .string(grant.owner)), ("class", .string(grant.grantClass.rawValue)),
            ("buckets", .array(grant.buckets.map { bucket in
                .object(JSONObject([("name", .string(bucket.name)), ("classes", .array(bucket.classes.map { .string($0.rawValue) })),
                                    ("amount_nanos", .int(bucket.amountNanos)), ("amount", .string(Money.format(nanos: bucket.amountNanos)))]))
            })),
            ("period", .string(grant.period.rawValue)), ("window", .int(Int64(grant.period.window))),
            ("tpm", optional(grant.tpm)), ("rpm", optional(grant.rpm)),
            ("renews_at", optional(grant.renewsAt)), ("renews", text(grant.renewsAt.map { UTCCalendar.day($0 - 1) })),
            ("review_at", optional(grant.reviewAt)), ("review", text(grant.reviewAt.map { UTCCalendar.day($0 - 1) })),
            ("on_expiry", .string(expiry)), ("grace_until", optional(grant.graceUntil)),
            ("production_at_cap", .string(grant.productionAtCap.rawValue)),
            ("tiers", .object(JSONObject([("warn", .int(grant.warnPercent)), ("amber", .int(grant.amberPercent)),
                                          ("hard", .int(grant.hardPercent))]))),
            ("expiry_alert_days", .array(grant.expiryAlertDays.map { .int($0) })),
            ("oversubscription_percent", .int(grant.oversubscriptionPercent)),
            ("rationale", .object(JSONObject([("text", text(grant.rationale.text)),
                                              ("trailing_usage", text(grant.rationale.trailingUsage)),
                                              ("forecast", text(grant.rationale.forecast)),
                                              ("priority", grant.rationale.priority.map { .int($0) } ?? .null)]))),
            ("status", .string(grant.isRevoked ? "revoked" : "active")), ("source", .string(grant.source.rawValue)),
            ("created_by", text(grant.createdBy)), ("created_at", optional(grant.createdAt)),
            ("revoked_by", text(grant.revokedBy)), ("revoked_at", optional(grant.revokedAt)),
            // Approved exceptions and burst draws: the bucket's limit is
            // raised by `amount_nanos` while now is in [starts_at, ends_at).
            ("raises", .array(raises.map { raise in
                .object(JSONObject([("id", .string(raise.id)), ("kind", .string(raise.kind.rawValue)),
                                    ("bucket", .string(raise.bucket)), ("amount_nanos", .int(raise.amountNanos)),
                                    ("starts_at", .int(raise.startsAt)), ("ends_at", .int(raise.endsAt)),
                                    ("counter", .string(raise.spentCounter))]))
            })),
        ]))
    }
}
